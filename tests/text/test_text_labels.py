"""Text labels against geometry we know: ink extents, glyph positions, pycocotools masks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from synthgen.annotate import annotate
from synthgen.config import load_run_config
from synthgen.engine import generate, make_sample
from synthgen.engine.seeds import stage_rng
from synthgen.scene import SCENES
from synthgen.text import fonts
from synthgen.text.items import TextItem
from synthgen.text.render2d import render_layers
from synthgen.types import SceneSpec

ROOT = Path(__file__).resolve().parents[2]
FONT_DIR = fonts.bundled_font_dir()
SANS = str(FONT_DIR / "DejaVuSans.ttf")
SERIF = str(FONT_DIR / "DejaVuSerif.ttf")
MONO = str(FONT_DIR / "DejaVuSansMono.ttf")
BG = (255, 255, 255)


def scene_with(*items: TextItem, width: int = 320, height: int = 200) -> SceneSpec:
    return SceneSpec(
        kind="test", width=width, height=height,
        background={"kind": "solid", "color": list(BG)}, items=items, categories=("text",),
    )


def render(*items: TextItem, **size):
    spec = scene_with(*items, **size)
    layers = render_layers(spec)
    return layers, annotate(layers, spec)


def ink_extent(rgb: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero((rgb != np.asarray(BG, np.uint8)).any(axis=2))
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def inside(points: np.ndarray, quad: np.ndarray, tol: float) -> np.ndarray:
    """Which (x, y) points lie inside a convex quad grown by tol pixels."""
    import cv2

    q = quad.reshape(-1, 1, 2).astype(np.float32)
    return np.array([cv2.pointPolygonTest(q, (float(x), float(y)), True) >= -tol for x, y in points])


def pixel_centres(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return np.stack([xs + 0.5, ys + 0.5], axis=1)


WORDS = [
    TextItem(1, "Hello", SANS, 40, (0, 0, 0), 0.0, (160.0, 100.0)),
    TextItem(1, "quirky", SERIF, 33, (20, 20, 200), 0.0, (150.3, 90.7)),
    TextItem(1, "AVATAR", SANS, 48, (0, 0, 0), 17.0, (160.0, 100.0)),
    TextItem(1, "gyp{j}", MONO, 29, (200, 0, 0), -33.5, (140.2, 105.9)),
    TextItem(1, "Wave", SERIF, 61, (0, 90, 0), 90.0, (160.0, 100.0)),
]


@pytest.mark.parametrize("item", WORDS, ids=lambda i: f"{i.text}@{i.angle}")
def test_word_box_is_extent_of_its_ink(item):
    layers, labels = render(item)
    (inst,) = labels.instances
    assert inst.extensions["text"].transcription == item.text
    assert inst.bbox == ink_extent(layers.rgb)
    assert inst.area == int((layers.rgb != np.asarray(BG, np.uint8)).any(axis=2).sum())


@pytest.mark.parametrize("item", WORDS, ids=lambda i: f"{i.text}@{i.angle}")
def test_word_quad_contains_all_ink(item):
    layers, labels = render(item)
    (inst,) = labels.instances
    assert inside(pixel_centres(inst.visible_mask()), inst.extensions["text"].quad, tol=1.0).all()


@pytest.mark.parametrize("item", WORDS, ids=lambda i: f"{i.text}@{i.angle}")
def test_char_quads_cover_the_ink_and_each_holds_its_glyph(item):
    layers, labels = render(item)
    (inst,) = labels.instances
    assert inst.extensions["text"].chars == item.text.replace(" ", "")
    assert inst.extensions["text"].char_quads.shape == (len(inst.extensions["text"].chars), 4, 2)
    pts = pixel_centres(inst.visible_mask())
    covered = np.zeros(len(pts), bool)
    for quad in inst.extensions["text"].char_quads:
        covered |= inside(pts, quad, tol=1.0)
    assert covered.all(), f"{(~covered).sum()} ink pixels outside every char quad"


def _pillow_ink(font, xy: tuple[float, float], text: str) -> np.ndarray:
    """(4,) left, top, right, bottom of the pixels Pillow draws for ``text`` at ``xy``."""
    canvas = Image.new("L", (400, 200), 0)
    ImageDraw.Draw(canvas).text(xy, text, font=font, fill=255)
    ys, xs = np.nonzero(np.asarray(canvas))
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float64)


def _extent(quad: np.ndarray) -> np.ndarray:
    return np.array([quad[:, 0].min(), quad[:, 1].min(), quad[:, 0].max(), quad[:, 1].max()], np.float64)


@pytest.mark.parametrize("font_path", [SANS, MONO, SERIF], ids=lambda p: Path(p).stem)
@pytest.mark.parametrize("text", ["Hello", "AVATAR", "gyp{j}", "fi/ffl", "1.5%", "ill."])
def test_quads_are_tight_around_the_ink_pillow_draws(text, font_path):
    # Upright, checked against Pillow alone: the word quad is the box of the pixels Pillow draws
    # for the word, and each char quad the box of its glyph drawn on its own at its pen position
    # (kerning included), both within 1 px; no side bearing or advance cell is left in a quad.
    item = TextItem(1, text, font_path, 44, (0, 0, 0), 0.0, (160.0, 100.0))
    layers, labels = render(item)
    (inst,) = labels.instances
    word = _extent(inst.extensions["text"].quad)
    x, y, w, h = inst.bbox
    assert np.array_equal(word, [x, y, x + w, y + h])  # the quad is exactly the mask's box
    font = fonts.load_font(font_path, 44)
    ref_word = _pillow_ink(font, (100, 50), text)
    assert np.abs((word[2:] - word[:2]) - (ref_word[2:] - ref_word[:2])).max() <= 1
    assert inst.extensions["text"].chars == text.replace(" ", "")
    for k, (ch, quad) in enumerate((c, q) for c, q in zip(text, inst.extensions["text"].char_quads) if not c.isspace()):
        pen = font.getlength(text[: k + 1]) - font.getlength(ch)
        ref = _pillow_ink(font, (100 + pen, 50), ch) - np.tile(ref_word[:2], 2)
        got = _extent(quad) - np.tile(word[:2], 2)
        assert np.abs(got - ref).max() <= 1, f"glyph {ch!r}: quad {got} vs Pillow's ink {ref}"


def test_words_without_overlap_and_every_instance_labelled(tmp_path):
    config = load_run_config(ROOT / "configs/text_words.yaml", ["num_samples=6"])
    for index in range(6):
        sample = make_sample(config, index)
        masks = [inst.visible_mask() for inst in sample.labels.instances]
        assert len(masks) >= 1
        total = np.sum(masks, axis=0)
        assert total.max() == 1  # no pixel belongs to two words


def test_uncovered_character_is_redrawn_or_dropped_never_tofu(tmp_path):
    # U+4E00 (CJK "one") is in no bundled font: such a word is dropped and counted. (Not a script
    # that needs shaping: a corpus whose Tibetan or Devanagari words no font can shape is refused
    # at load, tests/text/test_shaping.py.)
    # U+1D5A0 (mathematical sans-serif A) is in DejaVuSans only: that word must use DejaVuSans.
    corpus = tmp_path / "words.txt"
    corpus.write_text("\u4e00\u4e01 \U0001d5a0\U0001d5a1\n")
    config = load_run_config(
        ROOT / "configs/text_words.yaml",
        ["num_samples=4", "scene.params.corpus.builtin=false", f"scene.params.corpus.file={corpus}",
         "scene.params.words=4", "scene.params.corpus.case=as_is"],
    )
    others = [str(p) for p in FONT_DIR.glob("*.ttf") if str(p) != SANS]
    assert fonts.covers(SANS, "\U0001d5a0") and not any(fonts.covers(p, "\U0001d5a0") for p in others)
    dropped = drawn = 0
    for index in range(4):
        scene = SCENES.get("text_words").sample(config.scene.settings, stage_rng(config.seed, index, "scene"))
        dropped += scene.dropped.get("no_font_coverage", 0)
        for item in scene.items:
            assert item.text == "\U0001d5a0\U0001d5a1" and item.font_path == SANS
            drawn += 1
    assert dropped > 0 and drawn > 0


def test_pycocotools_reads_coco_and_masks_match(tmp_path):
    from pycocotools.coco import COCO

    config = load_run_config(ROOT / "configs/text_words.yaml", ["num_samples=5", "scene.params.width=256", "scene.params.height=192"])
    generate(config, tmp_path / "d", progress=False)
    coco = COCO(str(tmp_path / "d" / "annotations" / "coco.json"))
    assert sorted(coco.getImgIds()) == list(range(5))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["text"]
    checked = 0
    for image_id in range(5):
        sample = make_sample(config, image_id)
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[image_id]))
        assert len(anns) == len(sample.labels.instances)
        for ann, inst in zip(anns, sample.labels.instances):
            mask = coco.annToMask(ann).astype(bool)
            assert (mask == inst.visible_mask()).all()
            assert ann["area"] == mask.sum() and ann["text"] == inst.extensions["text"].transcription
            ys, xs = np.nonzero(mask)
            assert ann["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]
            assert len(ann["char_quads"]) == len(ann["chars"]) and len(ann["quad"]) == 8
            checked += 1
        with Image.open(tmp_path / "d" / coco.loadImgs(image_id)[0]["file_name"]) as im:
            assert (np.asarray(im) == sample.image).all()
    assert checked > 5
    raw = json.loads((tmp_path / "d" / "annotations" / "coco.json").read_text())
    assert all(a["iscrowd"] == 0 for a in raw["annotations"])
