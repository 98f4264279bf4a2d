"""The run config's stages: render, generate, augment, annotate and the category table, checked at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthgen.config import load_run_config
from synthgen.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
WORDS = ROOT / "configs" / "text_words.yaml"


def test_stages_resolve_to_their_kinds():
    config = load_run_config(ROOT / "configs" / "ocr_wild.yaml")
    assert config.render.kind == "text2d"
    assert [a.name for a in config.annotate] == ["text_lines"]
    assert config.categories.names == ("word", "line")
    assert config.resolved["render"] == {"kind": "text2d", "params": {}}
    assert config.resolved["annotate"] == {"lines": {"kind": "text_lines"}}


def test_without_the_line_annotator_there_are_no_lines(tmp_path):
    from synthgen.engine import make_sample

    text = (ROOT / "configs" / "ocr_wild.yaml").read_text()
    text = text.replace("annotate:\n  lines: {kind: text_lines}", "").replace("../scenes", str(ROOT / "scenes"))
    (tmp_path / "wild.yaml").write_text(text)
    # icdar_lines would have no lines to write: refused at load (test_a_writer_is_refused_...)
    overrides = ["scene.params.width=320", "scene.params.height=240", "outputs=[coco,icdar]"]
    config = load_run_config(tmp_path / "wild.yaml", overrides)
    assert config.categories.names == ("word", "line")  # the scene declares both
    sample = make_sample(config, 0)
    assert sample.labels.instances and {i.category for i in sample.labels.instances} == {"word"}


@pytest.mark.parametrize(
    ("overrides", "key", "message"),
    [
        (["render.kind=text_page"], "render.kind", "scene 'text_words' is drawn by text2d, not 'text_page'"),
        (["render.kind=raytracer"], "render.kind", "unknown renderer kind 'raytracer'"),
        (["render.params.samples=4"], "render.params", "unknown key 'samples'"),
        (["annotate.lines.kind=text_line"], "annotate.lines.kind", "unknown annotator kind 'text_line'; valid kinds: insert_real, text_lines"),
        (["annotate.lines.p=1"], "annotate.lines.p", ""),
        (["annotate={lines: {}}"], "annotate.lines.kind", "missing; valid kinds: insert_real, text_lines"),
        (["generate.bg.kind=diffusion"], "generate.bg.kind", "unknown generate kind 'diffusion'"),
        (["generate.bg.p=0.5"], "generate.bg.kind", "missing"),
        (["categories={text: 0}"], "categories.text", "must be an id > 0, got 0"),
        (["categories={text: 1, logo: 2}"], "categories.logo", "is not a category of this run"),
        (["categories={}"], "categories", "gives no id for text"),
    ],
)
def test_bad_stage_config_is_one_line_naming_the_key(overrides, key, message):
    with pytest.raises(ConfigError) as err:
        load_run_config(WORDS, overrides)
    text = str(err.value)
    assert text.startswith(f"{key}") and message in text and "\n" not in text


def test_two_categories_with_one_id_are_refused():
    with pytest.raises(ConfigError, match=r"^categories: two categories share an id"):
        load_run_config(ROOT / "configs" / "ocr_wild.yaml", ["categories={word: 3, line: 3}"])


def test_a_geometric_step_is_refused_for_labels_it_cannot_move():
    from dataclasses import replace

    from omegaconf import OmegaConf

    from synthgen.augment import AUGMENTATIONS
    from synthgen.config.build import _build_steps
    from synthgen.scene import SCENES

    cfg = OmegaConf.create({"augment": {"tilt": {"kind": "affine", "p": 1.0, "params": None}}})
    scene_3d = replace(SCENES.get("text_words"), name="street", labels=frozenset({"masks", "boxes", "box3d", "camera"}))
    with pytest.raises(ConfigError) as err:
        _build_steps(cfg, "augment", AUGMENTATIONS, scene_3d)
    assert str(err.value) == (
        "augment.tilt.kind: affine moves pixels but cannot move the box3d, camera labels of scene 'street'; "
        "drop the step or use a photometric kind"
    )
    # photometric steps keep every pixel in place: fine with any labels
    cfg = OmegaConf.create({"augment": {"blur": {"kind": "gaussian_blur", "p": 1.0, "params": None}}})
    (step,) = _build_steps(cfg, "augment", AUGMENTATIONS, scene_3d)[0]
    assert step.kind.moves is None


CONFIGS = ROOT / "configs"


@pytest.mark.parametrize(
    ("config", "outputs", "message"),
    [
        ("ocr_wild", "[kitti,dense]", "kitti needs 3D boxes and a camera, which scene 'ocr_wild' does not produce"),
        ("ocr_wild", "[coco,dense]", "dense needs a depth layer, which scene 'ocr_wild' does not produce"),
        ("text_words", "[kitti]", "kitti needs 3D boxes and a camera, which scene 'text_words' does not produce"),
        ("shapes", "[coco,icdar]", "icdar needs text quads and transcriptions, which scene 'shapes' does not produce"),
        ("shapes", "[recognition]", "recognition needs text quads and transcriptions, which scene 'shapes' does not"),
        ("driving", "[icdar]", "icdar needs text quads and transcriptions, which scene 'driving' does not produce"),
        ("driving", "[recognition]", "recognition needs text quads and transcriptions, which scene 'driving'"),
        # the lines come from an annotator that the error names where the scene has text for it
        ("text_words", "[icdar_lines]", "icdar_lines needs text lines, which scene 'text_words' does not produce; "
         "the text_lines annotator makes them: annotate.text_lines.kind=text_lines"),
        ("driving", "[icdar_lines]", "icdar_lines needs text lines, which scene 'driving' does not produce"),
    ],
)
def test_a_writer_is_refused_for_labels_the_scene_does_not_produce(config, outputs, message):
    with pytest.raises(ConfigError) as err:
        load_run_config(CONFIGS / f"{config}.yaml", [f"outputs={outputs}"])
    assert str(err.value).startswith(f"outputs: {message}")
    if config == "driving" and outputs == "[icdar_lines]":  # no annotator could make them from a 3D scene
        assert "annotator" not in str(err.value)


@pytest.mark.parametrize(
    ("config", "outputs", "extra"),
    [
        ("ocr_wild", "[coco,icdar,icdar_lines,recognition,yolo]", []),
        ("text_words", "[icdar,recognition,yolo]", []),
        ("text_words", "[icdar_lines]", ["annotate.lines.kind=text_lines"]),
        ("ocr_recognition", "[coco,recognition,icdar]", []),
        ("driving", "[coco,kitti,dense,yolo]", []),
        ("shapes", "[coco,yolo]", []),
    ],
)
def test_a_writer_loads_with_a_scene_that_produces_its_labels(config, outputs, extra):
    loaded = load_run_config(CONFIGS / f"{config}.yaml", [f"outputs={outputs}", *extra])
    assert list(loaded.outputs) == outputs.strip("[]").split(",")


def test_writers_scenes_and_annotators_declare_known_label_kinds():
    from synthgen.annotate import ANNOTATORS
    from synthgen.formats import WRITERS
    from synthgen.scene import SCENES
    from synthgen.steps import LABEL_KINDS

    declared = [*(WRITERS.get(n).needs for n in WRITERS.names()), *(SCENES.get(n).labels for n in SCENES.names())]
    declared += [ANNOTATORS.get(n).labels | ANNOTATORS.get(n).needs for n in ANNOTATORS.names()]
    assert set().union(*declared) <= set(LABEL_KINDS)
