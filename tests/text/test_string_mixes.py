"""text.source: mixed (synthgen.text.mixes): lower / Title / UPPER words, numbers, punctuated
words, dates, prices and codes by weight; each kind appears, labels are the drawn strings, the
charset is honoured, bad mixes name their key."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from ocr_helpers import PLAIN_STYLE, cropped, ocr_config, redrawn_mask

from synthgen.engine import make_sample
from synthgen.engine.seeds import stage_rng
from synthgen.errors import ConfigError
from synthgen.scene import SCENES
from synthgen.text import fonts
from synthgen.text.mixes import DEFAULT_MIX, KINDS

FORMS = {  # what a string of each kind looks like
    # corpus words may hold an inner apostrophe or hyphen ("don't", "well-known")
    "lower": r"[a-z\u00e0-\u017f]+(['-][a-z\u00e0-\u017f]+)*",
    "title": r"[A-Z\u00c0-\u00de][a-z\u00e0-\u017f]*(['-][a-z\u00e0-\u017f]+)*",
    "upper": r"[A-Z\u00c0-\u00de\u0100-\u017f]+(['-][A-Z\u00c0-\u00de\u0100-\u017f]+)*",
    "number": r"-?\d{1,3}(,\d{3})?(\.\d{1,2})?%?|\d+|No\. ?\d{1,4}",
    "punctuated": r"[A-Za-z]+[.,:;!?]|\"[A-Za-z]+\"|\([A-Za-z]+\)|[A-Za-z]+'s|[A-Za-z]+[-/][A-Za-z]+",
    "date": r"\d\d\.\d\d\.\d{4}|\d{4}-\d\d-\d\d|\d\d [A-Z][a-z]{2} \d{4}|\d\d/\d\d/\d\d|\d\d:\d\d(:\d\d)?",
    "price": r"-?\$\d+\.\d\d|\d+\.\d\d( EUR| USD)?",
    "code": r"[A-Z]{2,3}-\d{3,5}|#\d{4,8}|[A-Z]\d{2}[A-Z]{2}\d|\d{3}-\d{3}-\d{4}|[A-Z0-9]{8}|[A-Z]{2}\d{2} ?\d{4}",
}


def _texts(cfg, n):
    kind = SCENES.get(cfg.scene.kind)
    for i in range(n):
        spec = kind.sample(cfg.scene.settings, stage_rng(cfg.seed, i, "scene"))
        if spec.items:
            yield spec.params["text_kinds"], spec.items[0].text


@pytest.mark.slow  # draws every string kind
def test_every_kind_appears_in_its_own_form(tmp_path):
    cfg = ocr_config(tmp_path, "recognition", {"text": {"source": "mixed", "words": 1}, "unicase": "skip"})
    seen = defaultdict(list)
    for (kind,), text in _texts(cfg, 400):
        seen[kind].append(text)
        assert re.fullmatch(FORMS[kind], text), (kind, text)
    assert set(seen) == set(KINDS)
    # drawn by weight: lower (0.25) is the most common kind, code (0.08) among the rarest
    counts = Counter({k: len(v) for k, v in seen.items()})
    assert counts["lower"] > counts["code"] and counts["lower"] >= 0.15 * 400


def test_labels_are_the_drawn_strings(tmp_path):
    params = {"text": {"source": "mixed", "words": "randint(1, 3)"}, "fonts": {"record": True}, "style": PLAIN_STYLE}
    cfg = ocr_config(tmp_path, "recognition", params)
    files = {Path(p).name: p for p in fonts.bundled_fonts()}
    checked = 0
    for i in range(12):
        sample = make_sample(cfg, i)
        (inst,) = sample.labels.instances
        assert 1 <= len(sample.meta["scene"]["text_kinds"]) <= 3
        drawn = cropped(inst.visible_mask())
        ink = redrawn_mask(
            inst.extensions["text"].transcription, files[inst.attributes["font"]], inst.attributes["font_size"]
        )
        assert (drawn == ink).all() if drawn.shape == ink.shape else False, inst.extensions["text"].transcription
        assert inst.extensions["text"].chars == inst.extensions["text"].transcription.replace(" ", "")
        checked += 1
    assert checked == 12


@pytest.mark.slow  # draws many strings per charset
@pytest.mark.parametrize(
    "charset, kinds",
    [
        ("digits", {"number"}),
        ("upper", {"upper"}),
        ("alnum", {"lower", "title", "upper", "number", "code"}),  # code: [A-Z0-9]{8}
        ("plates", {"upper", "number", "code", "punctuated", "date"}),  # WORD-WORD, 2021-03-07
        ("latin", set(KINDS)),
    ],
)
def test_the_charset_is_honoured(tmp_path, charset, kinds):
    cfg = ocr_config(tmp_path, "recognition", {"text": {"source": "mixed", "charset": charset}})
    mix = cfg.scene.settings.mix
    assert {k.name for k in mix.kinds} == kinds
    assert set(mix.left_out) == set(DEFAULT_MIX) - kinds
    allowed = set(cfg.scene.settings.charset)
    for _, text in _texts(cfg, 40):
        assert set(text) <= allowed, (charset, text)


@pytest.mark.parametrize(
    "text, key",
    [
        ({"source": "mixed", "mix": {"colour": 1.0}}, "scene.params.text.mix.colour"),
        ({"source": "mixed", "mix": {"date": -1.0}}, "scene.params.text.mix.date"),
        ({"source": "mixed", "charset": "chars:@"}, "scene.params.text.mix"),
        ({"source": "mixture"}, "scene.params.text.source"),
    ],
)
def test_bad_mixes_name_their_key(tmp_path, text, key):
    with pytest.raises(ConfigError) as err:
        ocr_config(tmp_path, "recognition", {"text": text})
    assert str(err.value).startswith(key + ": ") and "\n" not in str(err.value), str(err.value)


def test_a_mix_of_one_kind(tmp_path):
    mix = {k: 0.0 for k in DEFAULT_MIX} | {"price": 1.0}
    cfg = ocr_config(tmp_path, "recognition", {"text": {"source": "mixed", "mix": mix, "words": 1}})
    assert all(kinds == ["price"] and re.fullmatch(FORMS["price"], t) for kinds, t in _texts(cfg, 20))


def test_title_case_keeps_apostrophes_lower():
    from synthgen.text.charsets import apply_case

    assert apply_case("don't", "title") == "Don't" and apply_case("new york", "title") == "New York"
