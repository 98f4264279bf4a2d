"""Styled text: every ink pixel lies in its glyph quads, and curved outlines hold the word."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from synthgen.text import fonts
from synthgen.text.items import TextItem
from synthgen.text.render2d import render_layers
from synthgen.types import SceneSpec

FONT = str(fonts.bundled_font_dir() / "DejaVuSans.ttf")
SERIF = str(fonts.bundled_font_dir() / "DejaVuSerif.ttf")


def _scene(*items: TextItem) -> SceneSpec:
    return SceneSpec("test", 320, 200, {"kind": "solid", "color": [255, 255, 255]}, items, ("text",))


def _item(**kw) -> TextItem:
    base = TextItem(1, "Jaguar Quay", FONT, 30, (0, 0, 0), 0.0, (160.0, 100.0))
    return dataclasses.replace(base, **kw)


def fill_polygon(shape: tuple[int, int], points: np.ndarray) -> np.ndarray:
    """Pixels whose centres lie inside a corner-convention polygon, (H, W) bool."""
    out = np.zeros(shape, np.uint8)
    pts = np.rint((np.asarray(points, np.float64).reshape(-1, 2) - 0.5) * 16).astype(np.int32)
    cv2.fillPoly(out, [pts], 1, lineType=cv2.LINE_8, shift=4)
    return out.astype(bool)


def grow(mask: np.ndarray, px: int = 1) -> np.ndarray:
    return cv2.dilate(mask.astype(np.uint8), np.ones((2 * px + 1, 2 * px + 1), np.uint8)).astype(bool)


STYLES = {
    "spacing": dict(letter_spacing=4.0),
    "negative_spacing": dict(letter_spacing=-1.5, font_path=SERIF),
    "stroke": dict(stroke_width=2, stroke_color=(200, 0, 0), color=(0, 0, 255)),
    "shadow": dict(shadow=(3.0, 2.0, 1.5, 0.6), shadow_color=(90, 90, 90)),
    "rotated_spacing": dict(letter_spacing=2.0, angle=25.0),
    "perspective": dict(stroke_width=1, corner_offsets=((-6.0, 3.0), (8.0, -4.0), (5.0, 6.0), (-3.0, -2.0))),
    "arc": dict(curve="arc", curve_amount=1 / 120),
    "arc_up_stroke": dict(curve="arc", curve_amount=-1 / 90, stroke_width=2, angle=-10.0),
    "wave": dict(curve="wave", curve_amount=6.0, curve_period=110.0, letter_spacing=1.0),
    "wave_perspective": dict(
        curve="wave",
        curve_amount=5.0,
        curve_period=90.0,
        corner_offsets=((0.0, 4.0), (0.0, -4.0), (3.0, 3.0), (0.0, 0.0)),
    ),
}


@pytest.mark.parametrize("style", sorted(STYLES))
def test_ink_lies_in_char_quads_and_word_outline(style):
    item = _item(**STYLES[style])
    layers = render_layers(_scene(item))
    mask = layers.instance_id == 1
    geo = layers.geometry[1]
    assert mask.sum() > 200
    assert geo.extensions["text"].chars == "JaguarQuay" and geo.extensions["text"].char_quads.shape == (10, 4, 2)
    chars = np.zeros(mask.shape, bool)
    for q in geo.extensions["text"].char_quads:
        chars |= fill_polygon(mask.shape, q)
    outside = mask & ~grow(chars, 1)
    assert not outside.any(), f"{outside.sum()} ink pixels outside the char quads"
    assert not (mask & ~grow(fill_polygon(mask.shape, geo.extensions["text"].quad), 1)).any()
    if item.curve != "none":
        assert geo.extensions["text"].polygon is not None and len(geo.extensions["text"].polygon) > 4
        assert not (mask & ~grow(fill_polygon(mask.shape, geo.extensions["text"].polygon), 1)).any()
    else:
        assert geo.extensions["text"].polygon is None


@pytest.mark.parametrize("style", ["spacing", "arc", "wave", "perspective"])
def test_each_glyph_ink_in_its_own_quad(style):
    """With wide spacing every glyph is its own blob of ink: it must lie in its own glyph's quad."""
    item = _item(text="JaguarQ", **{**STYLES[style], "letter_spacing": 12.0})
    layers = render_layers(_scene(item))
    mask = (layers.instance_id == 1).astype(np.uint8)
    quads = layers.geometry[1].extensions["text"].char_quads
    n, labels = cv2.connectedComponents(mask, connectivity=8)
    assert n - 1 == len(quads)
    blobs = sorted(range(1, n), key=lambda c: np.nonzero(labels == c)[1].mean())
    order = sorted(range(len(quads)), key=lambda k: quads[k][:, 0].mean())
    assert order == list(range(len(quads)))
    for k, c in enumerate(blobs):
        own = grow(fill_polygon(mask.shape, quads[k]), 1)
        assert not ((labels == c) & ~own).any(), f"glyph {k} spills out of its quad"


def test_shadow_is_not_instance_pixels():
    plain = render_layers(_scene(_item()))
    shadowed = render_layers(_scene(_item(shadow=(4.0, 4.0, 0.0, 1.0), shadow_color=(128, 128, 128))))
    # the shadow changes pixels outside the text mask, which stay background
    changed = np.any(shadowed.rgb != plain.rgb, axis=2) & (shadowed.instance_id == 0)
    assert changed.sum() > 50
