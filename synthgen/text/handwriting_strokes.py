"""Centre lines of glyphs: the strokes a pen would follow to write a character.

A glyph is rasterised large by FreeType, smoothed, and thinned to its skeleton (scikit-image's
``skeletonize``); the skeleton's pixels are traced into polylines between its end points and
junctions (closed loops such as ``0`` and ``O`` become closed polylines), short spurs that thinning
leaves at corners are pruned, and each polyline is smoothed. The result is in font heights (the
font's line band, ascent + descent), so the pen model can draw it at any size. Any font that maps
a character gives its centre line: print faces give print-like strokes, handwriting faces cursive-
like ones.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

REF_HEIGHT = 160  # pixels of line band at which glyphs are thinned: large enough for clean skeletons
SPUR = 0.06  # branches shorter than this (font heights) that end in a free end are thinning artefacts
SMOOTH = 5  # moving-average window (pixels at REF_HEIGHT) along a traced polyline

# 8-neighbourhood, 4-neighbours first: a walk prefers the straight step where both exist
_STEPS = ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))


@dataclass(frozen=True)
class GlyphStrokes:
    """A character's centre lines.

    Attributes:
        strokes: polylines, each (n, 2) float64 (x, y) in font heights, x from the pen position,
            y down from the top of the line band (the ascender line).
        advance: the pen advance in font heights.
        ascent: the baseline's y in font heights (ascent / line band).
    """

    strokes: tuple[np.ndarray, ...]
    advance: float
    ascent: float


def _skimage():
    try:
        from skimage.morphology import skeletonize
    except ImportError:  # an optional dependency: said when handwriting is used, not on import
        raise ImportError("handwriting needs scikit-image: pip install 'synthgen-cv[handwriting]'") from None
    return skeletonize


@functools.lru_cache(maxsize=4096)
def centre_lines(font_path: str, ch: str) -> GlyphStrokes:
    """The centre lines of ``ch`` in the font at ``font_path`` (cached per process; read-only)."""
    import cv2
    from PIL import Image, ImageDraw

    from synthgen.text import fonts
    from synthgen.text.sizing import font_size_for_height

    skeletonize = _skimage()
    size = font_size_for_height(font_path, REF_HEIGHT)
    font = fonts.load_font(font_path, size)
    ascent, descent = font.getmetrics()
    band = float(ascent + descent)
    advance = float(font.getlength(ch)) / band
    left, top, right, bottom = font.getbbox(ch, anchor="la")
    if right <= left or bottom <= top:
        return GlyphStrokes((), advance, ascent / band)
    pad = 8
    canvas = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(canvas).text((pad - left, pad - top), ch, fill=255, font=font, anchor="la")
    alpha = cv2.GaussianBlur(np.asarray(canvas, np.float32), (0, 0), 1.5)
    skeleton = skeletonize(alpha > 127)
    paths = trace_skeleton(skeleton, SPUR * band)
    origin = np.array([left - pad, top - pad], np.float64)
    strokes = tuple((_smooth(p[:, ::-1].astype(np.float64)) + origin) / band for p in paths)
    return GlyphStrokes(strokes, advance, ascent / band)


def trace_skeleton(skeleton: np.ndarray, spur: float) -> list[np.ndarray]:
    """Polylines through a one-pixel-wide skeleton.

    Args:
        skeleton: (h, w) bool.
        spur: branches shorter than this many pixels that end in a free end are dropped when they
            leave a junction (thinning leaves them at corners).

    Returns:
        (n, 2) int arrays of (row, col), in a fixed order (the same skeleton gives the same list).
        A closed loop repeats its first point at its end.
    """
    on = np.pad(skeleton.astype(bool), 1)
    pixels = [tuple(p) for p in np.argwhere(on)]
    pixel_set = set(pixels)

    def neighbours(p):
        return [(p[0] + dy, p[1] + dx) for dy, dx in _STEPS if (p[0] + dy, p[1] + dx) in pixel_set]

    degree = {p: len(neighbours(p)) for p in pixels}
    nodes = [p for p in pixels if degree[p] != 2]  # ends and junctions, in raster order
    node_set = set(nodes)
    used: set[tuple[int, int]] = set()  # pixels inside a traced path
    joined: set[frozenset] = set()  # node-to-node steps already traced
    paths: list[list[tuple[int, int]]] = []

    def walk(start, first):
        path = [start, first]
        prev, cur = start, first
        while cur not in node_set:
            used.add(cur)
            ahead = [q for q in neighbours(cur) if q != prev and q not in used and q not in path[-3:]]
            if not ahead:
                break
            nxt = next((q for q in ahead if q in node_set), ahead[0])
            path.append(nxt)
            prev, cur = cur, nxt
        return path

    for node in nodes:
        if degree[node] == 0:
            paths.append([node])
            continue
        for q in neighbours(node):
            if q in node_set:
                step = frozenset((node, q))
                if min(degree[node], degree[q]) >= 3:  # two pixels of one junction: nothing to draw
                    continue
                if step not in joined:
                    joined.add(step)
                    paths.append([node, q])
                continue
            if q not in used:
                paths.append(walk(node, q))
    for p in pixels:  # what is left are closed loops with no end or junction
        if p in used or p in node_set:
            continue
        used.add(p)
        ahead = neighbours(p)
        loop = walk(p, ahead[0])
        paths.append(loop + [p] if len(loop) > 2 else loop)
    kept = [np.array(path, np.int64) - 1 for path in paths if not _is_spur(path, degree, spur)]
    if not kept and paths:  # a glyph that is all spurs (a dot): keep its longest piece
        kept = [np.array(max(paths, key=len), np.int64) - 1]
    return kept


def _is_spur(path, degree, spur: float) -> bool:
    ends = (degree[path[0]], degree[path[-1]])
    free_branch = 1 in ends and max(ends) >= 3
    return free_branch and _length(np.array(path, np.float64)) < spur


def _length(points: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum()) if len(points) > 1 else 0.0


def _smooth(points: np.ndarray) -> np.ndarray:
    """Moving average along a polyline (its ends kept; a closed one wraps), removing pixel stairs."""
    n = len(points)
    if n < SMOOTH:
        return points
    closed = n > 3 and np.array_equal(points[0], points[-1])
    k = SMOOTH // 2
    if closed:
        ring = points[:-1]
        padded = np.concatenate([ring[-k:], ring, ring[:k]])
        out = np.stack([np.convolve(padded[:, i], np.ones(SMOOTH) / SMOOTH, "valid") for i in range(2)], 1)
        return np.concatenate([out, out[:1]])
    padded = np.concatenate([np.repeat(points[:1], k, 0), points, np.repeat(points[-1:], k, 0)])
    out = np.stack([np.convolve(padded[:, i], np.ones(SMOOTH) / SMOOTH, "valid") for i in range(2)], 1)
    out[0], out[-1] = points[0], points[-1]
    return out
