"""Text drawing for ``text2d`` and ``text_page``: letter spacing, stroke weight, outline, drop shadow,
handwriting-like jitter and slant, curved baselines, perspective.

The text is drawn into an upright *text plane* (glyph by glyph at the pen positions of
``synthgen.text.glyphs``; along a curve each glyph is turned to the local tangent), then the
plane is placed in the image with one homography (jittered or slanted text is drawn glyph by
glyph too, each glyph through its own affine map): a rotation about the ink-box centre, followed,
when the item has ``corner_offsets``, by the perspective warp that moves the ink-box corners by
them. The same homography maps the ink box, each glyph quad and the curved outline, so labels
and pixels agree. The instance's pixels are those of the fill and the outline; the shadow is
background.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synthgen.text.glyphs import (
    box_corners,
    box_corners_of,
    layout_run,
    min_area_quad,
    place_run,
    stamp,
    stamp_fill,
    stamp_over,
)
from synthgen.text.items import TextItem
from synthgen.text.label import EXTENSION, TextRecord
from synthgen.types import InstanceGeometry

PAD = 2  # pixels around the ink in the text plane, so bilinear spill is not clipped


@dataclass(frozen=True)
class TextPlane:
    """Upright (or curved, but unplaced) text.

    Attributes:
        full: (h, w) uint8 alpha of fill and outline together.
        fill: (h, w) uint8 alpha of the fill alone.
        ink: (4,) float64 ink box (left, top, right, bottom) in plane pixels.
        chars: characters with a quad each, in logical order.
        char_quads: (n, 4, 2) float64 in plane pixels (the characters of a shaped cluster share its quad).
        rtl: the text reads right to left.
        polygon: (N, 2) float64 curved outline in plane pixels, or None for straight text.
        glyphs: curved text only: per glyph (full alpha, fill alpha, 3x3 map from its canvas to the
            plane, pixel-centre convention), so that placing it resamples each glyph once.
    """

    full: np.ndarray
    fill: np.ndarray
    ink: np.ndarray
    chars: str
    char_quads: np.ndarray
    polygon: np.ndarray | None
    glyphs: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...] = ()
    rtl: bool = False


def draw_plane(item: TextItem) -> TextPlane:
    """Draw ``item``'s text into its text plane (no placement yet)."""
    import cv2

    if item.hand is not None:
        return _hand_written(item)
    sw = item.stroke_width
    run = layout_run(item.font_path, item.font_size, item.text, item.letter_spacing, sw, item.weight)
    if item.curve == "none" and item.jitter is None and not item.slant:
        origin = PAD - np.floor(run.ink[:2])
        w = int(math.ceil(run.ink[2] + origin[0])) + PAD
        h = int(math.ceil(run.ink[3] + origin[1])) + PAD
        full_a = np.zeros((h, w), np.uint8)
        fill_a = np.zeros((h, w), np.uint8) if sw else full_a
        ox, oy = int(origin[0]), int(origin[1])
        shaped = run.clusters is not None
        for g, pen in zip(run.glyphs, run.pens):
            if shaped:
                stamp_over(full_a, g, ox + math.floor(pen), oy)
                if sw:
                    stamp_over(fill_a, g, ox + math.floor(pen), oy, fill=True)
                continue
            stamp(full_a, g, ox + math.floor(pen), oy)
            if sw:
                stamp_fill(fill_a, g, ox + math.floor(pen), oy)
        quads = box_corners_of(run.boxes) + origin
        return TextPlane(
            full_a, fill_a, run.ink + np.concatenate([origin, origin]), run.chars, quads, None, rtl=run.rtl
        )

    curved = place_run(run, item.curve, item.curve_amount, item.curve_period, item.jitter, item.slant)
    origin = PAD - np.floor(curved.ink[:2])
    w = int(math.ceil(curved.ink[2] + origin[0])) + PAD
    h = int(math.ceil(curved.ink[3] + origin[1])) + PAD
    full_a = np.zeros((h, w), np.uint8)
    fill_a = np.zeros((h, w), np.uint8)
    glyphs = []
    for k, (g, pen) in enumerate(zip(run.glyphs, run.pens)):
        if run.clusters is not None and not g.full.size:  # a shaped cluster is drawn by its first char
            continue
        box = run.boxes[k]
        g0 = np.floor(box[:2]) - PAD  # straight-layout position of the glyph canvas' corner
        gw = int(math.ceil(box[2] - g0[0])) + PAD
        gh = int(math.ceil(box[3] - g0[1])) + PAD
        gfull = np.zeros((gh, gw), np.uint8)
        gx, gy = math.floor(pen) - int(g0[0]), -int(g0[1])
        stamp(gfull, g, gx, gy)
        gfill = gfull
        if sw:
            gfill = np.zeros((gh, gw), np.uint8)
            stamp_fill(gfill, g, gx, gy)
        a = curved.transforms[k]
        # glyph-canvas pixel centres -> plane pixel centres
        m = np.hstack([a[:, :2], (a[:, :2] @ (g0 + 0.5) + a[:, 2] + origin - 0.5)[:, None]])
        glyphs.append((gfull, gfill, np.vstack([m, [0.0, 0.0, 1.0]])))
        for src, dst in ((gfull, full_a), (gfill, fill_a)):
            warped = cv2.warpAffine(src, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
            np.maximum(dst, warped, out=dst)
    if not sw:
        fill_a = full_a
    return TextPlane(
        full_a,
        fill_a,
        curved.ink + np.concatenate([origin, origin]),
        run.chars,
        curved.char_quads + origin,
        None if curved.polygon is None else curved.polygon + origin,
        tuple(glyphs),
        rtl=run.rtl,
    )


def _hand_written(item: TextItem) -> TextPlane:
    """The plane of a handwritten item: the pen's ink is both fill and outline (there is no outline)."""
    from synthgen.text.handwriting import hand_plane

    hp = hand_plane(item.font_path, item.font_size, item.text, item.hand)
    return TextPlane(hp.alpha, hp.alpha, hp.ink, hp.chars, hp.char_quads, None)


def plane_homography(item: TextItem, ink: np.ndarray) -> np.ndarray:
    """3x3 homography (pixel-centre convention) from the text plane to the image."""
    import cv2

    t = math.radians(item.angle)
    c, s = math.cos(t), math.sin(t)
    rot = np.array([[c, s], [-s, c]])
    centre_src = np.array([(ink[0] + ink[2]) / 2 - 0.5, (ink[1] + ink[3]) / 2 - 0.5])
    centre_dst = np.array(item.center) - 0.5
    shift = np.rint(centre_dst - rot @ centre_src)
    h = np.array([[c, s, shift[0]], [-s, c, shift[1]], [0.0, 0.0, 1.0]])
    if item.corner_offsets is not None:
        src = map_points(h, box_corners(ink)) - 0.5
        dst = src + np.asarray(item.corner_offsets, np.float64)
        h = cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32)).astype(np.float64) @ h
    return h


def map_points(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Map (..., 2) corner-convention points with a pixel-centre homography."""
    flat = pts.reshape(-1, 2) - 0.5
    proj = flat @ h[:, :2].T + h[:, 2]
    return (proj[:, :2] / proj[:, 2:3] + 0.5).reshape(pts.shape)


def _translate(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def _blend(region: np.ndarray, alpha: np.ndarray, color) -> np.ndarray:
    a = alpha[..., None]
    return region * (1.0 - a) + np.asarray(color, np.float32) * a


def draw_text(rgb: np.ndarray, instance_id: np.ndarray, item: TextItem) -> InstanceGeometry | None:
    """Composite one TextItem into ``rgb`` and mark its pixels in ``instance_id`` (in place).

    Returns:
        Its geometry, or None when no pixel of it fell inside the image.
    """
    import cv2

    plane = draw_plane(item)
    h = plane_homography(item, plane.ink)
    ph, pw = plane.full.shape
    corners = map_points(h, box_corners(np.array([0, 0, pw, ph], np.float64)))
    grow = 1.0
    if item.shadow is not None:
        dx, dy, sigma, _ = item.shadow
        grow += max(abs(dx), abs(dy)) + 3 * sigma
    height, width = instance_id.shape
    x0 = max(int(math.floor(corners[:, 0].min() - grow)), 0)
    y0 = max(int(math.floor(corners[:, 1].min() - grow)), 0)
    x1 = min(int(math.ceil(corners[:, 0].max() + grow)), width)
    y1 = min(int(math.ceil(corners[:, 1].max() + grow)), height)
    if x1 <= x0 or y1 <= y0:
        return None
    local = _translate(-x0, -y0) @ h
    size = (x1 - x0, y1 - y0)

    def warp_one(alpha: np.ndarray, m: np.ndarray) -> np.ndarray:
        return cv2.warpPerspective(
            alpha, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
        )

    def warp(which: int, m: np.ndarray) -> np.ndarray:
        """Alpha ``which`` (0 full, 1 fill) through ``m``; curved text glyph by glyph, resampled once."""
        if not plane.glyphs:
            return warp_one(plane.full if which == 0 else plane.fill, m)
        out = np.zeros(size[::-1], np.uint8)
        for glyph in plane.glyphs:
            np.maximum(out, warp_one(glyph[which], m @ glyph[2]), out=out)
        return out

    full = warp(0, local)
    ink_pixels = full > 0
    if not ink_pixels.any():
        return None
    region = rgb[y0:y1, x0:x1].astype(np.float32)
    if item.shadow is not None:
        dx, dy, sigma, opacity = item.shadow
        shadow = warp(0, _translate(dx, dy) @ local).astype(np.float32) / 255.0
        if sigma > 0:
            shadow = cv2.GaussianBlur(shadow, (0, 0), sigma)
        region = _blend(region, shadow * opacity, item.shadow_color)
    full_f = full.astype(np.float32) / 255.0
    if item.stroke_width:
        region = _blend(region, full_f, item.stroke_color)
        region = _blend(region, warp(1, local).astype(np.float32) / 255.0, item.color)
    else:
        region = _blend(region, full_f, item.color)
    rgb[y0:y1, x0:x1] = np.clip(np.rint(region), 0, 255).astype(np.uint8)
    instance_id[y0:y1, x0:x1][ink_pixels] = item.instance_id

    char_quads = map_points(h, plane.char_quads).astype(np.float32).reshape(-1, 4, 2)
    polygon = None
    if plane.polygon is not None:
        polygon = map_points(h, plane.polygon)
        quad = min_area_quad(polygon, polygon[0])
        polygon = polygon.astype(np.float32)
    else:
        quad = map_points(h, box_corners(plane.ink))
    if item.label_box is not None:
        quad = box_corners(np.asarray(item.label_box, np.float64))
    text = TextRecord(item.text, quad.astype(np.float32), plane.chars, char_quads, polygon)
    attributes = dict(item.attributes)
    if plane.rtl:  # absent means left to right (the records of Latin text stay as they were)
        attributes["direction"] = "rtl"
    return InstanceGeometry(category=item.category, extensions={EXTENSION: text}, attributes=attributes)
