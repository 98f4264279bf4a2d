"""ocr_recognition: crop height, pattern transcriptions, charset restriction, determinism."""

from __future__ import annotations

import re

import numpy as np
import pytest
from ocr_helpers import ocr_config

from synthgen.engine import make_sample
from synthgen.errors import ConfigError


def test_crops_have_the_configured_height_and_a_full_frame_quad(tmp_path):
    cfg = ocr_config(tmp_path, "recognition", {"height": 40, "max_width": 300})
    for i in range(6):
        s = make_sample(cfg, i)
        h, w = s.image.shape[:2]
        assert h == 40 and 40 <= w <= 300 or (h == 40 and not s.labels.instances)
        (inst,) = s.labels.instances
        np.testing.assert_allclose(inst.extensions["text"].quad, [[0, 0], [w, 0], [w, h], [0, h]])
        assert inst.extensions["text"].chars == inst.extensions["text"].transcription.replace(" ", "") and len(inst.extensions["text"].char_quads) == len(inst.extensions["text"].chars)
        x, y, bw, bh = inst.bbox
        assert x >= 0 and y >= 0 and x + bw <= w and y + bh <= h
        assert inst.attributes["legible"] is True
        assert inst.category == ("line" if " " in inst.extensions["text"].transcription else "word")


PLATE = "[A-Z]{3}-[0-9]{4}"
DATE = r"\d{2}/\d{2}/(19|20)\d{2}"


def test_transcriptions_match_the_patterns(tmp_path):
    params = {
        "text": {
            "source": "pattern",
            "patterns": [PLATE, DATE],
            "charset": "chars:0123456789/-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        }
    }
    cfg = ocr_config(tmp_path, "recognition", params)
    seen = set()
    for i in range(12):
        (inst,) = make_sample(cfg, i).labels.instances
        assert re.fullmatch(PLATE, inst.extensions["text"].transcription) or re.fullmatch(DATE, inst.extensions["text"].transcription), inst.extensions["text"].transcription
        seen.add(bool(re.fullmatch(PLATE, inst.extensions["text"].transcription)))
    assert seen == {True, False}


@pytest.mark.parametrize(
    "charset, allowed", [("lower", "abcdefghijklmnopqrstuvwxyz "), ("upper", "ABCDEFGHIJKLMNOPQRSTUVWXYZ ")]
)
@pytest.mark.parametrize("source", ["word", "pattern"])
def test_corpus_words_respect_the_charset(tmp_path, charset, allowed, source):
    # Corpus words come in a case the charset holds, also through the {word} pattern generator.
    params = {
        "text": {"source": source, "words": 2, "charset": charset, "patterns": ["{word}"]},
        "corpus": {"case": "choice([as_is, title, upper, lower])"},
    }
    cfg = ocr_config(tmp_path, "recognition", params)
    for i in range(8):
        (inst,) = make_sample(cfg, i).labels.instances
        assert set(inst.extensions["text"].transcription) <= set(allowed) and inst.extensions["text"].transcription.strip(), inst.extensions["text"].transcription


def test_pattern_outside_the_charset_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"^scene\.params\.text\.patterns\[1\]: .*outside the charset: 'x'"):
        ocr_config(
            tmp_path,
            "recognition",
            {"text": {"patterns": ["[0-9]{4}", "[0-9x]{2}"], "charset": "digits", "source": "pattern"}},
        )


@pytest.mark.parametrize(
    "params, key",
    [
        ({"height": 4}, "scene.params.height"),
        ({"text": {"charset": "klingon"}}, "scene.params.text.charset"),
        ({"text": {"patterns": ["[A-Z"]}}, "scene.params.text.patterns[0]"),
        ({"text": {"source": "choice([word, poem])"}}, "scene.params.text.source"),
        ({"style": {"curve_probability": 2}}, "scene.params.style.curve_probability"),
        ({"style": {"rotation": "uniform(10, -10)"}}, "scene.params.style.rotation"),
        ({"text": {"charset": "digits", "source": "word"}}, "scene.params.text.charset"),  # not the corpus
    ],
)
def test_bad_params_name_their_key(tmp_path, params, key):
    with pytest.raises(ConfigError) as err:
        ocr_config(tmp_path, "recognition", params)
    assert str(err.value).startswith(key + ": ") and "\n" not in str(err.value)


def test_same_index_same_crop(tmp_path):
    cfg = ocr_config(tmp_path, "recognition")
    a, b = make_sample(cfg, 5), make_sample(cfg, 5)
    assert a.image.tobytes() == b.image.tobytes()
    assert a.labels.instances[0].extensions["text"].transcription == b.labels.instances[0].extensions["text"].transcription


def test_luminance_percentiles_equal_numpy_on_the_rounded_luminance():
    import cv2

    from synthgen.backgrounds.colors import LUMA
    from synthgen.text.contrast import luminance_percentiles

    rng = np.random.default_rng(1)
    for _ in range(100):
        h, w = (int(v) for v in rng.integers(1, 60, 2))
        rgb = (rng.random((h, w, 3)) ** rng.uniform(0.2, 3) * 255).astype(np.uint8)
        grey = cv2.transform(rgb, np.array([LUMA], np.float32))
        qs = (5, 95, 0, 100, 50, 33.3)
        np.testing.assert_allclose(luminance_percentiles(rgb, qs), np.percentile(grey, qs) / 255, atol=1e-12)
