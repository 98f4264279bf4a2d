"""The scene kinds declare their params once (``synthgen.config.params``): each key's errors name
its whole key path, a section's defaults may differ per kind, and what a kind derives at load
(fonts, words, photos) is no config key."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from synthgen.config import load_run_config
from synthgen.config.distributions import Choice, Constant
from synthgen.config.params import Params
from synthgen.errors import ConfigError
from synthgen.scene import SCENES

ROOT = Path(__file__).resolve().parents[2]
CONVERTED = ("text_words", "ocr_recognition", "ocr_wild", "ocr_document", "ocr_receipt", "shapes")


def _error(config: str, *overrides: str) -> str:
    with pytest.raises(ConfigError) as err:
        load_run_config(ROOT / "configs" / f"{config}.yaml", list(overrides))
    return str(err.value)


@pytest.mark.parametrize(
    ("config", "override", "message"),
    [
        # a wrong type
        (
            "text_words",
            "scene.params.width=wide",
            "scene.params.width: Value 'wide' of type 'str' could not be converted to Integer",
        ),
        (
            "shapes",
            "scene.params.keep_inside=maybe",
            "scene.params.keep_inside: Value 'maybe' is not a valid bool (type str)",
        ),
        (
            "ocr_document",
            "scene.params.columns=uniform(1, 2)",
            "scene.params.columns: expected an integer, randint(a, b) or choice([...]), got uniform(1.0, 2.0)",
        ),
        # out of range, in a nested section and in a section nested in it
        ("ocr_recognition", "scene.params.text.words=0", "scene.params.text.words: values must be >= 1, got 0"),
        (
            "ocr_wild",
            "scene.params.background.clutter.probability=2",
            "scene.params.background.clutter.probability: must be in 0..1, got 2.0",
        ),
        ("ocr_receipt", "scene.params.warp.rotation=200", "scene.params.warp.rotation: values must be <= 180, got 200"),
        ("shapes", "scene.params.width=8", "scene.params.width: must be in 16..8192, got 8"),
        (
            "ocr_recognition",
            "scene.params.busy_background=glow",
            "scene.params.busy_background: 'glow' is not one of flag, outline",
        ),
        # an unknown key, with a suggestion
        (
            "ocr_receipt",
            "scene.params.warp.crumpel=3",
            "scene.params.warp.crumpel: unknown key 'crumpel'. Did you mean one of: 'crumple', 'crumple_scale'?",
        ),
        ("shapes", "scene.params.radiuss=3", "scene.params.radiuss: unknown key 'radiuss'. Did you mean: 'radius'?"),
        # checks across fields name the key they are about
        (
            "ocr_recognition",
            "scene.params.max_width=16",
            "scene.params.max_width: must be in height..8192 (32..8192), got 16",
        ),
        (
            "text_words",
            "scene.params.background.kind=image",
            "scene.params.background.kind: kind 'image' needs background.image_dir",
        ),
    ],
)
def test_a_bad_scene_key_names_its_path(config, override, message):
    assert _error(config, override) == message


def test_a_derived_value_is_no_config_key():
    # font_paths is found by the kind's check, never read from the config
    message = _error("ocr_wild", "scene.params.font_paths=[a.ttf]")
    assert message.startswith("scene.params.font_paths: unknown key 'font_paths'")


def test_sections_keep_the_defaults_of_the_kind_that_holds_them():
    receipt = load_run_config(ROOT / "configs" / "ocr_receipt.yaml", []).scene.settings
    shapes = load_run_config(ROOT / "configs" / "shapes.yaml", []).scene.settings
    # the same BackgroundSettings section, declared with other defaults by ocr_receipt
    assert type(receipt.background) is type(shapes.background)
    assert receipt.background.kind == Choice(("noise", "blobs", "gradient"))
    assert receipt.corpus.case == Constant("upper") and shapes.background.kind != receipt.background.kind
    assert receipt.font_paths and all(Path(f).is_file() for f in receipt.font_paths)
    assert receipt.corpus_words and receipt.background.clutter.probability == 0


@pytest.mark.parametrize("name", CONVERTED)
def test_each_converted_scene_kind_declares_its_params_once(name):
    kind = SCENES.get(name)
    assert issubclass(kind.params, Params) and kind.params_schema is None and kind.from_config is None
    # the settings built in Python are those a config without scene.params gives, derived values aside
    keys = [f.name for f in dataclasses.fields(kind.params) if "param" in f.metadata]
    assert keys == [f.name for f in dataclasses.fields(kind.params.schema())]


def test_a_scene_kind_takes_params_or_the_older_pair():
    from synthgen.scene.base import SceneKind
    from synthgen.shapes.scene import LABELS, ShapesSettings, categories, sample

    with pytest.raises(TypeError):
        SceneKind(sample, categories, ("shapes2d",), LABELS)
    with pytest.raises(TypeError):
        SceneKind(
            sample, categories, ("shapes2d",), LABELS, params=ShapesSettings, params_schema=ShapesSettings.schema()
        )
    assert SceneKind(sample, categories, ("shapes2d",), LABELS, params=ShapesSettings).params is ShapesSettings
    assert Constant(4) == ShapesSettings.from_config({"shapes": 4}, "scene.params").shapes
