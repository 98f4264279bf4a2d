"""ocr_receipt: after the warp, every word's pixels stay inside its quad and glyph quads."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from ocr_helpers import ocr_config, word_instances

from synthgen.engine import make_sample
from synthgen.text.page import displacement_field, forward, inverse_maps

TOLERANCE_PX = 2  # quads are mapped at their corners; their edges bend with the smooth field


def _fill(shape, points):
    out = np.zeros(shape, np.uint8)
    pts = np.rint((np.asarray(points, np.float64).reshape(-1, 2) - 0.5) * 16).astype(np.int32)
    cv2.fillPoly(out, [pts], 1, cv2.LINE_8, shift=4)
    return out.astype(bool)


def _grow(mask, px):
    return cv2.dilate(mask.astype(np.uint8), np.ones((2 * px + 1, 2 * px + 1), np.uint8)).astype(bool)


@pytest.mark.parametrize("crumple", [0.0, 8.0])
def test_warped_quads_hold_their_words(tmp_path, crumple):
    params = {"warp": {"crumple": crumple, "crumple_scale": 80, "perspective": 0.06, "rotation": "uniform(-15, 15)"}}
    cfg = ocr_config(tmp_path, "receipt", params)
    words = 0
    for i in range(2):
        s = make_sample(cfg, i)
        for inst in word_instances(s):
            mask = inst.visible_mask()
            assert not (mask & ~_grow(_fill(mask.shape, inst.extensions["text"].quad), TOLERANCE_PX)).any(), (
                inst.extensions["text"].transcription
            )
            chars = np.zeros(mask.shape, bool)
            for q in inst.extensions["text"].char_quads:
                chars |= _fill(mask.shape, q)
            assert not (mask & ~_grow(chars, TOLERANCE_PX)).any(), inst.extensions["text"].transcription
            words += 1
    assert words > 40


def test_inverse_map_undoes_the_forward_map():
    warp = {"seed": 3, "amplitude": 6.0, "scale": 70.0}
    field = displacement_field(warp, 200, 300)
    h = np.array([[0.9, 0.1, 40.0], [-0.08, 0.95, 20.0], [0.0002, 0.0001, 1.0]])
    pts = np.random.default_rng(0).uniform([10, 10], [190, 290], (200, 2))
    mapped = forward(pts, field, h)
    x0, y0 = np.floor(mapped.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(mapped.max(axis=0)).astype(int) + 2
    maps = inverse_maps(field, h, (x0, y0, x1, y1))
    # back-project each mapped point through the per-pixel inverse (bilinear on the map)
    back = (
        np.stack(
            [
                cv2.remap(
                    np.ascontiguousarray(maps[..., k]),
                    (mapped[:, 0] - 0.5 - x0).astype(np.float32).reshape(1, -1),
                    (mapped[:, 1] - 0.5 - y0).astype(np.float32).reshape(1, -1),
                    cv2.INTER_LINEAR,
                )[0]
                for k in (0, 1)
            ],
            axis=1,
        )
        + 0.5
    )
    assert np.abs(back - pts).max() < 0.1


def test_receipt_text_is_a_receipt(tmp_path):
    cfg = ocr_config(tmp_path, "receipt", {"items": 4})
    s = make_sample(cfg, 0)
    by_line: dict[int, list[str]] = {}
    for inst in word_instances(s):
        by_line.setdefault(inst.attributes["line"], []).append(inst.extensions["text"].transcription)
    lines = [" ".join(v) for _, v in sorted(by_line.items())]
    assert lines[-1] == "THANK YOU"
    totals = {ln.split()[0]: float(ln.split()[-1]) for ln in lines if ln.split()[0] in ("SUBTOTAL", "TAX", "TOTAL")}
    assert totals["TOTAL"] == pytest.approx(totals["SUBTOTAL"] + totals["TAX"])
    separators = [i for i in word_instances(s) if i.attributes["role"] == "separator"]
    assert separators and not any(i.attributes["legible"] for i in separators)


def test_every_pixel_a_word_changed_is_that_words(tmp_path):
    # The receipt drawn again without its words: every pixel the words changed belongs to a word
    # instance (text2d's rule, alpha > 0, through the warp), and no word pixel is left unchanged
    # by more than the shading of the paper.
    import dataclasses

    from synthgen.engine.seeds import stage_rng
    from synthgen.render import RENDERERS
    from synthgen.scene import SCENES

    cfg = ocr_config(tmp_path, "receipt", {"warp": {"crumple": 8.0, "crumple_scale": 80}})
    spec = SCENES.get(cfg.scene.kind).sample(cfg.scene.settings, stage_rng(cfg.seed, 0, "scene"))
    with_words = RENDERERS.get(cfg.render.kind).render(spec, None, None)
    blank = RENDERERS.get(cfg.render.kind).render(dataclasses.replace(spec, items=()), None, None)
    changed = np.abs(with_words.rgb.astype(np.int32) - blank.rgb).max(axis=2) > 2  # beyond rounding
    assert changed.sum() > 500
    assert not (changed & (with_words.instance_id == 0)).any()
    assert changed[with_words.instance_id > 0].mean() > 0.9
