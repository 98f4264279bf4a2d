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
    config = load_run_config(tmp_path / "wild.yaml", ["scene.params.width=320", "scene.params.height=240"])
    assert config.categories.names == ("word", "line")  # the scene declares both
    sample = make_sample(config, 0)
    assert sample.labels.instances and {i.category for i in sample.labels.instances} == {"word"}


@pytest.mark.parametrize(
    ("overrides", "key", "message"),
    [
        (["render.kind=text_page"], "render.kind", "scene 'text_words' is drawn by text2d, not 'text_page'"),
        (["render.kind=raytracer"], "render.kind", "unknown renderer kind 'raytracer'"),
        (["render.params.samples=4"], "render.params", "unknown key 'samples'"),
        (["annotate.lines.kind=text_line"], "annotate.lines.kind", "unknown annotator kind 'text_line'; valid kinds: text_lines"),
        (["annotate.lines.p=1"], "annotate.lines.p", ""),
        (["annotate={lines: {}}"], "annotate.lines.kind", "missing; valid kinds: text_lines"),
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
    from synthgen.config.load import _build_steps
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
