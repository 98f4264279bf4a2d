"""Glyph layout of one run of text, straight or along a curved baseline.

Shared by the text scene builders (to size and place text before it is drawn) and the text
renderers (to draw it), so both agree on every glyph box. Coordinates are in the *text plane*:
pixels, x right, y down, origin at the pen start on the ascender line (Pillow's ``la`` anchor),
corner convention (pixel x spans [x, x + 1]).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from synthgen.text import fonts, shaping

SUBPIXEL = 4  # pen positions are kept to 1/4 px, so glyph bitmaps can be cached


@dataclass(frozen=True)
class Glyph:
    """One rasterised glyph at one subpixel pen offset.

    Attributes:
        full: (h, w) uint8 alpha of fill and outline together.
        fill: (h, w) uint8 alpha of the fill alone (``full`` itself when there is no outline).
        x, y: top-left of the alphas relative to the integer pen on the ascender line.
        ink: (4,) int left, top, right, bottom of the nonzero alpha, same origin; all zero for a
            glyph without ink.
    """

    full: np.ndarray
    fill: np.ndarray
    x: int
    y: int
    ink: tuple[int, int, int, int]


def _mask(font, ch: str, stroke_width: int, start: float) -> tuple[np.ndarray, int, int]:
    core, (ox, oy) = font.getmask2(ch, mode="L", stroke_width=stroke_width, start=(start, 0.0), anchor="la")
    return _core_array(core), int(ox), int(oy)


def _core_array(core) -> np.ndarray:
    """(h, w) uint8 of a Pillow "L" core image, through its raw encoder in one call.

    A glyph is rasterised for nearly every character of a crop drawn with the default font set
    (a new font and size each crop), and ``np.asarray(Image)`` spends ~16 us a glyph in Pillow's
    Python layers (an Image object, ``tobytes``' chunk loop, the array interface); this is ~4 us.
    """
    from PIL import Image

    w, h = core.size
    if not w or not h:
        return np.zeros((h, w), np.uint8)
    encoder = getattr(Image.core, "raw_encoder", None)
    if encoder is None:  # a Pillow without it: the public (slower) way
        return np.asarray(Image.Image()._new(core))
    e = encoder("L", "L")
    try:
        e.setimage(core, (0, 0, w, h))
        chunks = []
        while True:  # one pass for a glyph: the buffer holds the whole bitmap
            _, status, data = e.encode(w * h + 65536)
            chunks.append(data)
            if status:
                break
        if status < 0:
            raise RuntimeError(f"Pillow's raw encoder failed ({status}) on a {w}x{h} glyph")
    finally:
        e.cleanup()
    return np.frombuffer(b"".join(chunks) if len(chunks) > 1 else chunks[0], np.uint8).reshape(h, w)


WEIGHT_SUPERSAMPLE = 4  # stroke weight is applied at 4x the size, so it comes in quarter pixels


def _weighted_mask(font_path: str, size: int, ch: str, weight: float, start: float) -> tuple[np.ndarray, int, int]:
    """The fill of ``ch`` with its strokes ``weight`` px thicker (FreeType's stroker grows the
    outline on every side) or ``-weight`` px thinner (a grey erosion of the coverage).

    Both are done on the glyph rasterised at ``WEIGHT_SUPERSAMPLE`` times the size and then
    averaged down, so a weight of a fraction of a pixel thins or thickens by that fraction.
    """
    import cv2

    k = WEIGHT_SUPERSAMPLE
    big = fonts.load_font(font_path, size * k)
    r = round(abs(weight) * k)
    core, x, y = _mask(big, ch, 0, start * k)
    if weight > 0:
        # the stroker's mask is a band around the outline: the glyph's own coverage fills its middle
        out, x0, y0 = _mask(big, ch, r, start * k)
        out = out.copy()
        dst = out[y - y0 : y - y0 + core.shape[0], x - x0 : x - x0 + core.shape[1]]
        np.maximum(dst, core[: dst.shape[0], : dst.shape[1]], out=dst)
        core, x, y = out, x0, y0
    elif r:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        core = cv2.erode(core, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    # pad so the bitmap starts and ends on the 1x pixel grid, then average each k x k block
    px, py = x % k, y % k
    h, w = core.shape
    core = np.pad(core, ((py, (-(h + py)) % k), (px, (-(w + px)) % k)))
    small = core.reshape(core.shape[0] // k, k, core.shape[1] // k, k).mean(axis=(1, 3))
    return np.rint(small).astype(np.uint8), (x - px) // k, (y - py) // k


@functools.lru_cache(maxsize=16384)
def glyph(font_path: str, size: int, ch: str, stroke_width: int = 0, step: int = 0, weight: float = 0.0) -> Glyph:
    """``ch`` rasterised by FreeType with its pen ``step / SUBPIXEL`` px right of an integer pixel.

    The alphas are read-only (shared by the cache). ``ink`` is the tight box of the pixels the
    glyph changes, so char boxes are the glyph's ink, not its advance cell. ``weight`` thickens
    (> 0) or thins (< 0) the strokes by that many pixels (to 1/4 px, ``_weighted_mask``); the
    outline goes around the result.
    """
    font = fonts.load_font(font_path, size)
    start = step / SUBPIXEL
    if weight:
        full, x, y = _weighted_mask(font_path, size, ch, weight, start)
        if stroke_width:  # the outline band around the weighted fill
            import cv2

            ring = 2 * stroke_width + 1
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (ring, ring))
            core = np.pad(full, stroke_width)
            return _finish(cv2.dilate(core, kernel), core, x - stroke_width, y - stroke_width)
        return _finish(full, full, x, y)
    full, x, y = _mask(font, ch, stroke_width, start)
    fill = full
    if stroke_width:
        # the stroked mask is the outline band; the fill is drawn over it, so the glyph is both
        fill, fx, fy = _mask(font, ch, 0, start)
        x0, y0 = min(x, fx), min(y, fy)
        x1, y1 = max(x + full.shape[1], fx + fill.shape[1]), max(y + full.shape[0], fy + fill.shape[0])
        both = np.zeros((y1 - y0, x1 - x0), np.uint8)
        fill_c = np.zeros_like(both)
        both[y - y0 : y - y0 + full.shape[0], x - x0 : x - x0 + full.shape[1]] = full
        fill_c[fy - y0 : fy - y0 + fill.shape[0], fx - x0 : fx - x0 + fill.shape[1]] = fill
        full, fill, x, y = np.maximum(both, fill_c), fill_c, x0, y0
    return _finish(full, fill, x, y)


def _finish(full: np.ndarray, fill: np.ndarray, x: int, y: int) -> Glyph:
    import cv2

    ink = (0, 0, 0, 0)
    if full.size:
        # the box of the nonzero pixels (a uint8 array is a mask to OpenCV, never a point set)
        left, top, w, h = cv2.boundingRect(full)
        if w:
            ink = (x + left, y + top, x + left + w, y + top + h)
    for a in (full, fill):
        a.setflags(write=False)
    return Glyph(full, fill, x, y, ink)


@dataclass(frozen=True)
class GlyphRun:
    """Straight upright layout of a text run.

    Attributes:
        chars: the non-whitespace characters, in order.
        pens: (n,) float64 pen x of each of them (multiples of 1 / SUBPIXEL).
        advances: (n,) float64 advance width of each of them.
        boxes: (n, 4) float64 ink boxes (left, top, right, bottom) of the rasterised glyphs,
            outline included: tight around the pixels each glyph draws.
        ink: (4,) float64 box around all the ink.
        baseline: y of the baseline.
        glyphs: the rasterised glyph of each char; it is drawn at x = floor(pen).
        clusters: shaped text only (``synthgen.text.shaped_layout``): (n,) int64 number of the glyph
            cluster that draws each char, clusters numbered left to right on the page; the chars of
            one cluster share its pen, advance and box, and only the first has a non-empty glyph.
            None for basic layout (one glyph per char, left to right).
        rtl: the run reads right to left (its first strong character is right-to-left).
    """

    chars: str
    pens: np.ndarray
    advances: np.ndarray
    boxes: np.ndarray
    ink: np.ndarray
    baseline: float
    glyphs: tuple[Glyph, ...] = ()
    clusters: np.ndarray | None = None
    rtl: bool = False


@functools.lru_cache(maxsize=8192)
def advance(font_path: str, size: int, ch: str) -> float:
    """Advance width of ``ch`` in pixels (FreeType's 26.6 fixed point: a multiple of 1/64)."""
    return fonts.load_font(font_path, size).getlength(ch)


@functools.lru_cache(maxsize=65536)
def kerning(font_path: str, size: int, left: str, right: str) -> float:
    """Kerning between two characters in pixels: what the pair measures beyond their advances.

    Pillow's basic layout adds the advances and the kerning of each pair in 26.6 fixed point, so
    these sums are exactly ``getlength`` of the string: pens come in one pass, not from the
    length of every prefix. A font without a 'kern' table kerns no pair (``fonts.has_kern_table``):
    0 without asking FreeType, which would load both glyphs to say so.
    """
    if not fonts.has_kern_table(font_path):
        return 0.0
    return (
        fonts.load_font(font_path, size).getlength(left + right)
        - advance(font_path, size, left)
        - advance(font_path, size, right)
    )


@functools.lru_cache(maxsize=4096)
def layout_run(
    font_path: str, size: int, text: str, letter_spacing: float = 0.0, stroke_width: int = 0, weight: float = 0.0
) -> GlyphRun:
    """Pen positions and ink boxes of ``text`` drawn upright (kerning kept, ``letter_spacing`` added;
    strokes ``weight`` px thicker or thinner, see ``glyph``).

    Every glyph is rasterised on its own at its pen position (to 1/SUBPIXEL px), so the boxes are
    those of the pixels the renderer draws. Cached (scene builders measure a run, then the
    renderer draws it): treat the result as read-only. Text that needs shaping (right-to-left or
    complex scripts, ``shaping.needs_shaping``) is laid out by ``shaped_layout.shaped_run``.
    """
    if shaping.needs_shaping(text):
        from synthgen.text.shaped_layout import shaped_run

        return shaped_run(font_path, size, text, letter_spacing, stroke_width, weight)
    font = fonts.load_font(font_path, size)
    chars, pens, advances, boxes, glyphs = [], [], [], [], []
    x = 0.0  # the advance of the text before glyph k: what font.getlength(text[:k]) measures
    for k, ch in enumerate(text):
        adv = advance(font_path, size, ch)
        before = x
        if k + 1 < len(text):
            x += adv + kerning(font_path, size, ch, text[k + 1])
        if ch.isspace():
            continue
        pen = round((before + letter_spacing * k) * SUBPIXEL) / SUBPIXEL
        whole = math.floor(pen)
        g = glyph(font_path, size, ch, stroke_width, round((pen - whole) * SUBPIXEL), weight)
        l, t, r, b = g.ink
        if r <= l:  # no ink: a zero-size box on the baseline
            l = r = 0
            t = b = int(font.getmetrics()[0])
        pens.append(pen)
        advances.append(adv)
        boxes.append([whole + l, t, whole + r, b])
        glyphs.append(g)
        chars.append(ch)
    box_arr = np.asarray(boxes, np.float64).reshape(-1, 4)
    if len(box_arr):
        ink = np.array([box_arr[:, 0].min(), box_arr[:, 1].min(), box_arr[:, 2].max(), box_arr[:, 3].max()])
    else:
        ink = np.zeros(4)
    ascent, _ = font.getmetrics()
    pen_arr, adv_arr = np.asarray(pens, np.float64), np.asarray(advances, np.float64)
    for a in (pen_arr, adv_arr, box_arr, ink):
        a.setflags(write=False)
    return GlyphRun(
        chars="".join(chars),
        pens=pen_arr,
        advances=adv_arr,
        boxes=box_arr,
        ink=ink,
        baseline=float(ascent),
        glyphs=tuple(glyphs),
    )


def stamp(canvas: np.ndarray, g: Glyph, x: int, y: int) -> None:
    """Draw ``g``'s full alpha into ``canvas`` (in place, maximum) with its pen origin at (x, y)."""
    _stamp(canvas, g.full, x + g.x, y + g.y)


def stamp_fill(canvas: np.ndarray, g: Glyph, x: int, y: int) -> None:
    """Like ``stamp`` with the glyph's fill alpha."""
    _stamp(canvas, g.fill, x + g.x, y + g.y)


def _stamp(canvas: np.ndarray, alpha: np.ndarray, x: int, y: int, over: bool = False) -> None:
    h, w = alpha.shape
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, canvas.shape[1]), min(y + h, canvas.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    dst = canvas[y0:y1, x0:x1]
    src = alpha[y0 - y : y1 - y, x0 - x : x1 - x]
    if over:  # src over dst, as Pillow composites the glyphs of a run
        d, s = dst.astype(np.int32), src.astype(np.int32)
        dst[...] = s + d * (255 - s) // 255
    else:
        np.maximum(dst, src, out=dst)


def stamp_over(canvas: np.ndarray, g: Glyph, x: int, y: int, fill: bool = False) -> None:
    """Like ``stamp`` (``fill``: ``stamp_fill``) with the glyph composited over the canvas instead of
    the maximum: shaped runs, whose joined clusters overlap as Pillow's raqm layout draws them."""
    _stamp(canvas, g.fill if fill else g.full, x + g.x, y + g.y, over=True)


@dataclass(frozen=True)
class CurvedRun:
    """Glyphs of a run placed along a curved baseline.

    Attributes:
        run: the straight layout.
        transforms: (n, 2, 3) float64 affine maps from the straight layout to the curved one, one
            per glyph (point convention: p' = A @ [x, y, 1]).
        char_quads: (n, 4, 2) float64 glyph ink quads, clockwise from the upright top-left.
        polygon: (2m, 2) float64 outline holding every glyph quad: upper edge left to right, then
            lower edge right to left; None for a straight run placed glyph by glyph (``place_run``).
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


def _compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The 2x3 affine map ``a`` after ``b``."""
    return (np.vstack([a, [0.0, 0.0, 1.0]]) @ np.vstack([b, [0.0, 0.0, 1.0]]))[:2]


def _apply(a: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return pts @ a[:, :2].T + a[:, 2]


def box_corners(box: np.ndarray) -> np.ndarray:
    """(4, 2) corners of a left, top, right, bottom box, clockwise from top-left."""
    l, t, r, b = box
    return np.array([[l, t], [r, t], [r, b], [l, b]], np.float64)


def box_corners_of(boxes: np.ndarray) -> np.ndarray:
    """(n, 4, 2) corners of (n, 4) left, top, right, bottom boxes, each clockwise from top-left."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    return np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]]], axis=1)


def jitter_transforms(run: GlyphRun, jitter, slant: float = 0.0) -> np.ndarray:
    """(n, 2, 3) per-glyph affine maps of the straight layout: handwriting-like jitter and slant.

    Args:
        run: the straight layout.
        jitter: per non-space character ``(dx, dy, scale, angle)``: a shift in pixels, a scale and
            a counter-clockwise turn in degrees, both about the centre of the glyph's ink box; or
            None for none.
        slant: shear of the whole run in degrees about its baseline (positive leans right).
    """
    n = len(run.chars)
    shear = np.array([[1.0, -math.tan(math.radians(slant)), 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    shear[0, 2] = -shear[0, 1] * run.baseline  # x' = x + tan(slant) * (baseline - y)
    out = np.empty((n, 2, 3))
    # a shaped cluster moves as one: every char of it takes the jitter of its first char
    lead = list(range(n))
    if run.clusters is not None:
        first: dict[int, int] = {}
        lead = [first.setdefault(int(c), k) for k, c in enumerate(run.clusters)]
    for k in range(n):
        m = np.eye(3)
        if jitter is not None:
            dx, dy, scale, angle = jitter[lead[k]]
            t = math.radians(angle)
            c, s = math.cos(t) * scale, math.sin(t) * scale
            centre = (run.boxes[k, :2] + run.boxes[k, 2:]) / 2
            turn = np.array([[c, s], [-s, c]])
            m[:2, :2] = turn
            m[:2, 2] = centre + np.array([dx, dy]) - turn @ centre
        out[k] = (shear @ m)[:2]
    return out


def place_run(
    run: GlyphRun, curve: str, amount: float, period: float = 0.0, jitter=None, slant: float = 0.0
) -> CurvedRun:
    """Glyph by glyph placement of a run: jitter and slant (``jitter_transforms``), then a curved
    baseline (``curve_run``; ``curve == "none"`` keeps it straight, with ``polygon`` None)."""
    pre = jitter_transforms(run, jitter, slant) if (jitter is not None or slant) else None
    if curve != "none":
        return curve_run(run, curve, amount, period, pre)
    transforms = pre if pre is not None else np.tile(np.eye(3)[:2], (len(run.chars), 1, 1))
    quads = np.array([_apply(transforms[k], c) for k, c in enumerate(box_corners_of(run.boxes))]).reshape(-1, 4, 2)
    pts = quads.reshape(-1, 2)
    ink = np.array([pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()]) if len(pts) else np.zeros(4)
    return CurvedRun(run, transforms, quads, None, ink)  # type: ignore[arg-type]


def curve_run(
    run: GlyphRun, curve: str, amount: float, period: float = 0.0, pre: np.ndarray | None = None
) -> CurvedRun:
    """Bend a straight run along a baseline: each glyph keeps its shape, turned to the local tangent.

    A glyph's centre (pen + advance / 2) sits on the curve at the same arc length as on the
    straight baseline, measured from the middle of the run. ``pre``: (n, 2, 3) maps applied to
    each glyph in the straight layout first (``jitter_transforms``).
    """
    n = len(run.chars)
    mid = (run.ink[0] + run.ink[2]) / 2
    centres = run.pens + run.advances / 2 - mid
    pts, phi = _baseline(curve, amount, period, centres if n else np.zeros(1))
    pts = pts + np.array([mid, run.baseline])
    transforms = np.array(
        [_affine(pts[k], float(phi[k]), np.array([centres[k] + mid, run.baseline])) for k in range(n)]
    ).reshape(-1, 2, 3)
    if pre is not None:
        transforms = np.array([_compose(transforms[k], pre[k]) for k in range(n)]).reshape(-1, 2, 3)
    quads = np.array([_apply(transforms[k], corners) for k, corners in enumerate(box_corners_of(run.boxes))]).reshape(
        -1, 4, 2
    )
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
