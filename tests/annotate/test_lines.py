"""Text-line instances: the union of their words' pixels, a quad holding every word, the words' text."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

from synthgen.annotate import ANNOTATORS, annotate
from synthgen.config import load_run_config
from synthgen.engine import generate, make_sample
from synthgen.formats.icdar import read_icdar
from synthgen.formats.recognition import read_recognition_tsv
from synthgen.text.fonts import bundled_font_dir
from synthgen.text.items import TextItem
from synthgen.text.render2d import render_layers
from synthgen.types import SceneSpec

ROOT = Path(__file__).resolve().parents[2]
FONT = str(bundled_font_dir() / "DejaVuSans.ttf")


def words_on_lines(angle: float = 0.0) -> SceneSpec:
    """'Hello world' on line 0 (two words 90 px apart along a baseline turned by ``angle``), 'again'
    alone on line 1; each word its own TextItem, as the scenes lay lines out."""
    t = np.radians(angle)
    second = (70 + 90 * np.cos(t), 90 - 90 * np.sin(t))  # counter-clockwise, y down
    line = {"line": 0, "block": 0}
    items = [
        TextItem(1, "Hello", FONT, 24, (20, 20, 20), angle, (70, 90), "word", attributes=line),
        TextItem(2, "world", FONT, 24, (20, 20, 20), angle, second, "word", attributes=line),
        TextItem(3, "again", FONT, 24, (20, 20, 20), 0.0, (90, 130), "word", attributes={"line": 1, "block": 0}),
    ]
    background = {"kind": "solid", "color": [235, 235, 230]}
    return SceneSpec("test", 240, 160, background, tuple(items), ("word", "line"))


def outside(points: np.ndarray, quad: np.ndarray) -> float:
    """How far the farthest of ``points`` lies outside ``quad`` (0 when all are inside)."""
    contour = np.asarray(quad, np.float32).reshape(-1, 1, 2)
    return max(max(-cv2.pointPolygonTest(contour, (float(x), float(y)), True), 0.0) for x, y in points)


def check_lines(instances) -> int:
    """Every line against its words; returns the number of lines checked."""
    words = [i for i in instances if i.category == "word"]
    lines = [i for i in instances if i.category == "line"]
    keys = {(w.attributes.get("block"), w.attributes["line"], w.attributes.get("segment")) for w in words}
    assert len(lines) == len(keys)
    for line in lines:
        a = line.attributes
        members = [
            w
            for w in words
            if (w.attributes.get("block"), w.attributes["line"], w.attributes.get("segment"))
            == (a.get("block"), a["line"], a.get("segment"))
        ]
        assert members and a["level"] == "line"
        assert line.extensions["text"].transcription == " ".join(w.extensions["text"].transcription for w in members)
        assert a["legible"] == all(w.attributes.get("legible", True) for w in members)
        union = np.zeros(members[0].visible_mask().shape, bool)
        for w in members:
            union |= w.visible_mask()
        mask = line.visible_mask()
        assert np.array_equal(mask, union)
        ys, xs = np.nonzero(mask)
        assert line.area == len(xs)
        assert line.bbox == (xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
        # the quad holds every word quad, so every pixel of ink (pixel centres, 1 px tolerance),
        # unless the image border clamped one of its corners (as word quads are clamped)
        height, width = mask.shape
        assert (line.extensions["text"].quad >= 0).all() and (line.extensions["text"].quad <= [width, height]).all()
        if not ((line.extensions["text"].quad == 0) | (line.extensions["text"].quad == [width, height])).any():
            corners = np.concatenate([w.extensions["text"].quad.reshape(-1, 2) for w in members])
            assert outside(corners, line.extensions["text"].quad) <= 0.05
            assert outside(np.stack([xs + 0.5, ys + 0.5], axis=1), line.extensions["text"].quad) <= 1.0
        # clockwise from the corner nearest the first word's top-left
        q = line.extensions["text"].quad.astype(np.float64)
        (ax, ay), (bx, by) = q[1] - q[0], q[2] - q[1]
        assert ax * by - ay * bx > 0
        assert np.argmin(np.linalg.norm(q - members[0].extensions["text"].quad[0], axis=1)) == 0
    return len(lines)


@pytest.mark.parametrize("angle", [0.0, 17.0])
def test_line_of_known_words(angle):
    spec = words_on_lines(angle)
    labels = annotate(render_layers(spec), spec, annotators=[ANNOTATORS.get("text_lines")])
    assert [i.category for i in labels.instances] == ["word", "word", "word", "line", "line"]
    assert [i.extensions["text"].transcription for i in labels.instances[3:]] == ["Hello world", "again"]
    assert check_lines(labels.instances) == 2
    hello, world, again, line0, line1 = labels.instances
    if angle == 0.0:
        # upright words: the line quad is exactly the box around both word quads
        corners = np.concatenate([hello.extensions["text"].quad, world.extensions["text"].quad])
        left, top = corners.min(axis=0)
        right, bottom = corners.max(axis=0)
        np.testing.assert_allclose(line0.extensions["text"].quad, [[left, top], [right, top], [right, bottom], [left, bottom]], atol=1e-3)
    else:
        # a turned line: its quad's long side follows the text (17 degrees counter-clockwise)
        q = line0.extensions["text"].quad.astype(np.float64)
        turn = np.degrees(np.arctan2(-(q[1, 1] - q[0, 1]), q[1, 0] - q[0, 0]))
        assert abs(turn - angle) < 1.5
    # a line of one word is that word
    np.testing.assert_array_equal(line1.extensions["text"].quad, again.extensions["text"].quad)
    assert line1.attributes == {"level": "line", "block": 0, "line": 1, "legible": True}


@pytest.mark.parametrize("config", ["ocr_wild", "ocr_document", "ocr_receipt"])
def test_scene_lines_hold_their_words(config):
    cfg = load_run_config(ROOT / "configs" / f"{config}.yaml")
    checked = sum(check_lines(make_sample(cfg, i).labels.instances) for i in range(2))
    assert checked >= 4


def test_receipt_lines_split_name_and_price():
    cfg = load_run_config(ROOT / "configs/ocr_receipt.yaml")
    s = make_sample(cfg, 0)
    items = [i for i in s.labels.instances if i.category == "line" and i.attributes["role"] == "item"]
    prices = [i for i in items if i.attributes["segment"] == 1]
    assert prices and all(any(c.isdigit() for c in p.extensions["text"].transcription) and " " not in p.extensions["text"].transcription for p in prices)


def test_icdar_lines_coco_and_recognition_outputs(tmp_path):
    config = load_run_config(
        ROOT / "configs/ocr_wild.yaml",
        ["num_samples=3", "shard_size=2", "outputs=[coco,icdar,icdar_lines,recognition]"],
    )
    out = tmp_path / "ds"
    generate(config, out, progress=False)
    coco = COCO(str(out / "annotations" / "coco.json"))
    names = {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())}
    assert sorted(names.values()) == ["line", "word"]
    words_gt, lines_gt = read_icdar(out / "icdar"), read_icdar(out / "icdar_lines")
    crops = dict(read_recognition_tsv(out / "recognition"))
    for image_id in coco.getImgIds():
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[image_id]))
        words = [a for a in anns if names[a["category_id"]] == "word"]
        lines = [a for a in anns if names[a["category_id"]] == "line"]
        stem = f"{image_id:09d}"
        assert [w.text for w in words_gt[stem]] == [a["text"] if a["attributes"]["legible"] else "###" for a in words]
        assert [w.text for w in lines_gt[stem]] == [a["text"] if a["attributes"]["legible"] else "###" for a in lines]
        for gt, ann in zip(lines_gt[stem], lines):
            np.testing.assert_array_equal(gt.quad, np.rint(np.reshape(ann["quad"], (4, 2))))
            union = np.zeros((config.scene.settings.height, config.scene.settings.width), bool)
            for w in words:
                if w["attributes"]["line"] == ann["attributes"]["line"]:
                    union |= coco.annToMask(w).astype(bool)
            assert np.array_equal(coco.annToMask(ann).astype(bool), union)
        # recognition crops are words: a line is its words again
        assert {k for k in crops if k.startswith(f"images/{stem}_")} == {
            f"images/{stem}_{k}.png" for k, a in enumerate(anns) if a in words and a["attributes"]["legible"]
        }
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["instances"] == len(coco.getAnnIds())


def test_lines_cut_by_the_border_stay_in_the_image_and_are_dont_care():
    # A line pushed half out of the image by an affine shift: its quad is clamped to the image
    # like its words', and it is don't-care (its text no longer matches the pixels).
    cfg = load_run_config(
        ROOT / "configs/ocr_document.yaml",
        [
            "augment.shift.kind=affine",
            "augment.shift.params.translate_x=0.6",
            "augment.shift.params.rotation=12",
            "augment.shift.params.scale=1",
            "augment.shift.params.translate_y=0",
        ],
    )
    s = make_sample(cfg, 0)
    lines = [i for i in s.labels.instances if i.category == "line"]
    h, w = s.image.shape[:2]
    cut = [line for line in lines if line.attributes.get("truncated")]
    assert cut and all(line.attributes["legible"] is False for line in cut)
    assert any(((line.extensions["text"].quad == 0) | (line.extensions["text"].quad == [w, h])).any() for line in lines)  # some were clamped
    assert check_lines(s.labels.instances) == len(lines)
