"""Glyph layout of one run of text, straight or along a curved baseline.

Shared by the text scene builders (to size and place text before it is drawn) and the text
renderers (to draw it), so both agree on every glyph box. Coordinates are in the *text plane*:
pixels, x right, y down, origin at the pen start on the ascender line (Pillow's ``la`` anchor),
corner convention (pixel x spans [x, x + 1]).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synthgen import fonts

CURVES = ("none", "arc", "wave")


@dataclass(frozen=True)
class GlyphRun:
    """Straight upright layout of a text run.

    Attributes:
        chars: the non-whitespace characters, in order.
        pens: (n,) float64 pen x of each of them.
        advances: (n,) float64 advance width of each of them.
        boxes: (n, 4) float64 ink boxes (left, top, right, bottom), outline included.
        ink: (4,) float64 box around all the ink.
        baseline: y of the baseline.
        line_top, line_bottom: y of the ascender and descender lines (the font's line band).
    """

    chars: str
    pens: np.ndarray
    advances: np.ndarray
    boxes: np.ndarray
    ink: np.ndarray
    baseline: float
    line_top: float
    line_bottom: float


def layout_run(font_path: str, size: int, text: str, letter_spacing: float = 0.0, stroke_width: int = 0) -> GlyphRun:
    """Pen positions and ink boxes of ``text`` drawn upright (kerning kept, ``letter_spacing`` added).

    With no letter spacing and no outline the ink box is the font's box of the whole string, as
    the plain text2d path draws it in one call.
    """
    font = fonts.load_font(font_path, size)
    chars, pens, advances, boxes = [], [], [], []
    for k, ch in enumerate(text):
        if ch.isspace():
            continue
        adv = font.getlength(ch)
        # pen position of glyph k: the advance of the text up to and including it, minus its own
        pens.append(font.getlength(text[: k + 1]) - adv + letter_spacing * k)
        advances.append(adv)
        gl, gt, gr, gb = font.getbbox(ch, stroke_width=stroke_width)
        boxes.append([pens[-1] + gl, gt, pens[-1] + gr, gb])
        chars.append(ch)
    box_arr = np.asarray(boxes, np.float64).reshape(-1, 4)
    if letter_spacing == 0 and stroke_width == 0:
        ink = np.asarray(font.getbbox(text), np.float64)
    elif len(box_arr):
        ink = np.array([box_arr[:, 0].min(), box_arr[:, 1].min(), box_arr[:, 2].max(), box_arr[:, 3].max()])
    else:
        ink = np.zeros(4)
    ascent, descent = font.getmetrics()
    return GlyphRun(
        chars="".join(chars),
        pens=np.asarray(pens, np.float64),
        advances=np.asarray(advances, np.float64),
        boxes=box_arr,
        ink=ink,
        baseline=float(ascent),
        line_top=float(-stroke_width),
        line_bottom=float(ascent + descent + stroke_width),
    )


@dataclass(frozen=True)
class CurvedRun:
    """Glyphs of a run placed along a curved baseline.

    Attributes:
        run: the straight layout.
        transforms: (n, 2, 3) float64 affine maps from the straight layout to the curved one, one
            per glyph (point convention: p' = A @ [x, y, 1]).
        char_quads: (n, 4, 2) float64 glyph ink quads, clockwise from the upright top-left.
        polygon: (2m, 2) float64 outline holding every glyph quad: upper edge left to right, then
            lower edge right to left.
        ink: (4,) float64 box around the polygon.
    """

    run: GlyphRun
    transforms: np.ndarray
    char_quads: np.ndarray
    polygon: np.ndarray
    ink: np.ndarray


def _baseline(curve: str, amount: float, period: float, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points (len(s), 2) and tangent angles (len(s),) of the baseline at arc lengths ``s`` from its middle."""
    if curve == "arc" and amount != 0:
        phi = amount * s
        pts = np.stack([np.sin(phi) / amount, (1.0 - np.cos(phi)) / amount], axis=1)
        return pts, phi
    if curve == "wave" and amount != 0 and period > 0:
        k = 2.0 * math.pi / period
        span = float(np.abs(s).max()) * 1.05 + 1.0
        x = np.linspace(-span, span, max(int(span * 8), 64))
        dy = amount * k * np.cos(k * x)
        seg = np.sqrt(1.0 + dy**2)
        arc = np.concatenate([[0.0], np.cumsum((seg[1:] + seg[:-1]) / 2 * np.diff(x))])
        arc -= np.interp(0.0, x, arc)
        xs = np.interp(s, arc, x)
        pts = np.stack([xs, amount * np.sin(k * xs)], axis=1)
        return pts, np.arctan(amount * k * np.cos(k * xs))
    return np.stack([s, np.zeros_like(s)], axis=1), np.zeros_like(s)


def _affine(point: np.ndarray, angle: float, origin: np.ndarray) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    # y points down: the glyph's x axis follows the tangent (c, s), its y axis the normal (-s, c).
    rot = np.array([[c, -s], [s, c]])
    return np.hstack([rot, (point - rot @ origin)[:, None]])


def _apply(a: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return pts @ a[:, :2].T + a[:, 2]


def box_corners(box: np.ndarray) -> np.ndarray:
    """(4, 2) corners of a left, top, right, bottom box, clockwise from top-left."""
    l, t, r, b = box
    return np.array([[l, t], [r, t], [r, b], [l, b]], np.float64)


def curve_run(run: GlyphRun, curve: str, amount: float, period: float = 0.0) -> CurvedRun:
    """Bend a straight run along a baseline: each glyph keeps its shape, turned to the local tangent.

    A glyph's centre (pen + advance / 2) sits on the curve at the same arc length as on the
    straight baseline, measured from the middle of the run.
    """
    n = len(run.chars)
    mid = (run.ink[0] + run.ink[2]) / 2
    centres = run.pens + run.advances / 2 - mid
    pts, phi = _baseline(curve, amount, period, centres if n else np.zeros(1))
    pts = pts + np.array([mid, run.baseline])
    transforms = np.array(
        [_affine(pts[k], float(phi[k]), np.array([centres[k] + mid, run.baseline])) for k in range(n)]
    ).reshape(-1, 2, 3)
    quads = np.array([_apply(transforms[k], box_corners(run.boxes[k])) for k in range(n)]).reshape(-1, 4, 2)
    polygon = _outline(run, curve, amount, period, quads, mid)
    ink = np.array([polygon[:, 0].min(), polygon[:, 1].min(), polygon[:, 0].max(), polygon[:, 1].max()])
    return CurvedRun(run, transforms, quads, polygon, ink)


def _outline(run: GlyphRun, curve: str, amount: float, period: float, quads: np.ndarray, mid: float) -> np.ndarray:
    """Upper and lower offset curves of the ink band, pushed out until they hold every glyph quad."""
    import cv2

    top = run.ink[1] - run.baseline
    bottom = run.ink[3] - run.baseline
    left, right = run.ink[0] - mid, run.ink[2] - mid
    pad = 0.0
    for _ in range(4):
        steps = max(int(math.ceil((right - left + 2 * pad) / 6.0)), 2)
        s = np.linspace(left - pad, right + pad, steps + 1)
        pts, phi = _baseline(curve, amount, period, s)
        normal = np.stack([-np.sin(phi), np.cos(phi)], axis=1)  # points down, away from the glyph tops
        upper = pts + normal * (top - pad)
        lower = pts + normal * (bottom + pad)
        polygon = np.concatenate([upper, lower[::-1]]) + np.array([mid, run.baseline])
        contour = polygon.astype(np.float32).reshape(-1, 1, 2)
        outside = max(
            (-cv2.pointPolygonTest(contour, (float(x), float(y)), True) for x, y in quads.reshape(-1, 2)),
            default=0.0,
        )
        if outside <= 0:
            return polygon
        pad += outside + 0.25
    return polygon


def min_area_quad(points: np.ndarray, first: np.ndarray) -> np.ndarray:
    """(4, 2) smallest rotated rectangle around ``points``, clockwise, starting at the corner nearest ``first``."""
    import cv2

    rect = cv2.minAreaRect(points.astype(np.float32))
    corners = cv2.boxPoints(rect).astype(np.float64)
    # boxPoints order is not fixed: sort clockwise (y down) around the centre, then rotate.
    centre = corners.mean(axis=0)
    angles = np.arctan2(corners[:, 1] - centre[1], corners[:, 0] - centre[0])
    corners = corners[np.argsort(angles)]
    start = int(np.argmin(np.linalg.norm(corners - first, axis=1)))
    return np.roll(corners, -start, axis=0)
