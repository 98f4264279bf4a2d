"""Straight layout of a shaped run (``synthgen.text.shaping``) as a ``GlyphRun``.

The run's characters stay in logical order (the transcription as typed); each gets the pen,
advance and ink box of the glyph cluster that draws it, so the characters of a ligature or a
conjunct share one box and every ink pixel of a cluster lies inside it. The cluster's bitmap is
the ``Glyph`` of its first character; the others get an empty ``Glyph``, so the cluster is drawn
once. ``GlyphRun.clusters`` numbers the clusters left to right on the page.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from synthgen.text import fonts, shaping
from synthgen.text.glyphs import WEIGHT_SUPERSAMPLE, Glyph, GlyphRun, _finish

EMPTY = _finish(np.zeros((0, 0), np.uint8), np.zeros((0, 0), np.uint8), 0, 0)


@functools.lru_cache(maxsize=16384)
def cluster_glyph(
    font_path: str, size: int, parts: tuple[tuple[int, int, int], ...], stroke_width: int = 0, weight: float = 0.0
) -> Glyph:
    """The glyphs of one cluster rasterised together, at whole-pixel pens ``parts`` ((glyph id, x, y)
    from the cluster's pen on the ascender line); ``stroke_width`` and ``weight`` as ``glyphs.glyph``."""
    ascent = int(fonts.load_font(font_path, size).getmetrics()[0])
    if not weight:
        full, fill, x, y = shaping.cluster_alphas(font_path, size, parts, ascent, stroke_width)
        return _finish(full, fill, x, y)
    import cv2

    # stroke weight at WEIGHT_SUPERSAMPLE times the size (as ``glyphs._weighted_mask``): the fill
    # grown by a disc (> 0) or eroded by one (< 0), then averaged down to quarter-pixel weights
    k = WEIGHT_SUPERSAMPLE
    big_ascent = int(fonts.load_font(font_path, size * k).getmetrics()[0])
    big_parts = tuple((g, px * k, py * k + ascent * k - big_ascent) for g, px, py in parts)
    core, _, x, y = shaping.cluster_alphas(font_path, size * k, big_parts, big_ascent)
    r = round(abs(weight) * k)
    if r and core.size:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        if weight > 0:
            core = cv2.dilate(np.pad(core, r), kernel)
            x, y = x - r, y - r
        else:
            core = cv2.erode(core, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    px, py = x % k, y % k
    h, w = core.shape
    core = np.pad(core, ((py, (-(h + py)) % k), (px, (-(w + px)) % k)))
    small = np.rint(core.reshape(core.shape[0] // k, k, core.shape[1] // k, k).mean(axis=(1, 3))).astype(np.uint8)
    x, y = (x - px) // k, (y - py) // k
    if stroke_width:
        ring = 2 * stroke_width + 1
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (ring, ring))
        padded = np.pad(small, stroke_width)
        return _finish(cv2.dilate(padded, kernel), padded, x - stroke_width, y - stroke_width)
    return _finish(small, small, x, y)


def shaped_run(
    font_path: str, size: int, text: str, letter_spacing: float = 0.0, stroke_width: int = 0, weight: float = 0.0
) -> GlyphRun:
    """``layout_run`` for text that needs shaping: characters in logical order, boxes per cluster.

    ``letter_spacing`` is added after every cluster (left to right on the page), so in joining
    scripts it opens the joins as well.
    """
    run = shaping.shape(font_path, size, text)
    font = fonts.load_font(font_path, size)
    ascent = int(font.getmetrics()[0])
    n = len(text)
    pens = np.zeros(n)
    advances = np.zeros(n)
    boxes = np.zeros((n, 4))
    cluster_of = np.full(n, -1, np.int64)
    glyph_of: list[Glyph] = [EMPTY] * n
    for j, c in enumerate(run.clusters):
        shift = letter_spacing * j
        pen = math.floor(c.pen / 64 + shift + 0.5)
        parts = tuple(
            (gid, math.floor((c.pen + dx) / 64 + shift + 0.5) - pen, -((dy + 32) >> 6)) for gid, dx, dy in c.glyphs
        )
        g = cluster_glyph(font_path, size, parts, stroke_width, weight)
        l, t, r, b = g.ink
        if r <= l:  # no ink (a space, a mark-less control): a zero-size box on the baseline
            l = r = 0
            t = b = ascent
        for i in range(c.first, c.last):
            pens[i] = pen
            advances[i] = c.advance / 64
            boxes[i] = [pen + l, t, pen + r, b]
            cluster_of[i] = j
        glyph_of[c.first] = g
    keep = [i for i in range(n) if not text[i].isspace() and cluster_of[i] >= 0]
    box_arr = boxes[keep].reshape(-1, 4)
    if len(box_arr):
        ink = np.array([box_arr[:, 0].min(), box_arr[:, 1].min(), box_arr[:, 2].max(), box_arr[:, 3].max()])
    else:
        ink = np.zeros(4)
    pen_arr, adv_arr, clusters = pens[keep], advances[keep], cluster_of[keep]
    for a in (pen_arr, adv_arr, box_arr, ink, clusters):
        a.setflags(write=False)
    return GlyphRun(
        chars="".join(text[i] for i in keep),
        pens=pen_arr,
        advances=adv_arr,
        boxes=box_arr,
        ink=ink,
        baseline=float(ascent),
        glyphs=tuple(glyph_of[i] for i in keep),
        clusters=clusters,
        rtl=run.rtl,
    )
