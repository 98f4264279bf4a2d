"""Text-like clutter: drawn into the background (no label, no instance pixel), deterministic, and
off by default (scenes without it keep their random streams)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from synthgen.backgrounds import render_background, sample_background
from synthgen.backgrounds.clutter import CLUTTER_KINDS, ClutterSettings, draw_clutter
from synthgen.backgrounds.sample import BackgroundSettings
from synthgen.config import load_run_config
from synthgen.engine import make_sample
from synthgen.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def settings(**clutter):
    return BackgroundSettings.from_config({"kind": "solid", "clutter": clutter}, "bg")


@pytest.mark.parametrize("kind", CLUTTER_KINDS)
def test_each_kind_draws_marks_into_the_background(kind):
    s = settings(probability=1.0, count=3, kind=kind)
    spec = sample_background(s, 160, 120, np.random.default_rng(1))
    assert [m["kind"] for m in spec["clutter"]] == [kind] * 3
    plain = render_background({k: v for k, v in spec.items() if k != "clutter"}, 160, 120)
    drawn = render_background(spec, 160, 120)
    changed = np.any(drawn != plain, axis=2)
    assert changed.mean() > 0.002  # marks are there
    assert np.array_equal(drawn, render_background(spec, 160, 120))  # the same description, the same pixels


def test_no_clutter_draws_nothing_from_the_stream():
    off, on_never = settings(), settings(probability=0.0, count=5)
    assert off.clutter.probability == 0 and on_never.clutter.probability == 0
    a, b = np.random.default_rng(3), np.random.default_rng(3)
    assert sample_background(off, 64, 64, a) == sample_background(on_never, 64, 64, b)
    assert a.random() == b.random()


def test_a_share_of_backgrounds_gets_clutter():
    s = settings(probability=0.5)
    rng = np.random.default_rng(0)
    share = np.mean([bool(sample_background(s, 64, 64, rng).get("clutter")) for _ in range(400)])
    assert 0.4 < share < 0.6


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [("probability", 1.5, "bg.clutter.probability"), ("count", "randint(0, 99)", "bg.clutter.count"),
     ("kind", "choice([stripes, text])", "bg.clutter.kind"), ("size", "uniform(0, 2)", "bg.clutter.size")],
)
def test_bad_clutter_settings_name_their_key(field, value, key):
    with pytest.raises(ConfigError, match="^" + re.escape(key) + ": "):
        ClutterSettings.from_config({field: value}, "bg.clutter")


def test_ocr_wild_clutter_carries_no_label():
    """With clutter on every background, every instance is a word the scene placed: the marks are
    background pixels (instance id 0), never an instance of their own."""
    from synthgen.engine.seeds import stage_rng
    from synthgen.scene import SCENES

    config = load_run_config(ROOT / "configs" / "ocr_wild.yaml", ["scene.params.background.clutter.probability=1"])
    for index in range(3):
        spec = SCENES.get(config.scene.kind).sample(config.scene.settings, stage_rng(config.seed, index, "scene"))
        assert spec.background["clutter"]
        sample = make_sample(config, index)
        words = [i.extensions["text"].transcription for i in sample.labels.instances if i.category != "line"]
        assert words == [item.text for item in spec.items]  # the words, and no other instance


def test_draw_clutter_stays_inside_the_image():
    image = np.zeros((40, 50, 3), np.uint8)
    marks = [{"kind": "grille", "center": [-100.0, 500.0], "size": 300.0, "angle": 30.0, "color": [255, 255, 255],
              "thickness": 3, "aspect": 1.0, "spacing": 10.0}]
    out = draw_clutter(image, marks)  # far below the image: clipped by OpenCV, no error, no pixel
    assert out.shape == (40, 50, 3) and not out.any()
    marks[0]["center"] = [25.0, 20.0]  # the same grille over the image covers a good part of it
    assert 0.1 < draw_clutter(image, marks).any(axis=2).mean() < 0.9
