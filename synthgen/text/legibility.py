"""Legibility measured on the drawn text: the size of each word's glyphs in the image and how well
its ink stands apart from the pixels around it.

A word is flagged ``legible: false`` with an ``illegible_reason`` when, in the final picture,

- ``too_small``: its tallest glyph (the longest left or right side of its char quads, or of its
  word quad when it has none) is under ``min_size`` pixels;
- ``low_contrast``: no grey level tells its ink from the pixels right around it. The ink is the
  word's pixels (``instance_id``: fill and outline); the surroundings are the background pixels
  within ``NEAR`` pixels of the ink (other words left out), where a drop shadow or a halo lies. The
  measure (``ink_contrast``) is the two-sample Kolmogorov-Smirnov statistic of the two sets of
  luminances: the largest difference, over every grey threshold, between the share of ink pixels
  and the share of surrounding pixels below it. It does not grow with the gap itself but with how
  cleanly the gap splits the pixels: a word a few grey levels off a clean background scores near
  1 (a reader trained on real images reads it), the same word under noise, blotches, blur or
  JPEG as strong as its gap scores near 0 (it does not). Dark and light text score alike; a light
  fill in a dark outline on a mid-grey scores at least the larger of the two parts' shares of the
  ink.

The thresholds (``min_legible_size`` 7 px in ``ocr_recognition``, 6 elsewhere;
``min_legible_contrast`` 0.15) are calibrated against RapidOCR (PP-OCRv4, trained on real images)
by ``scripts/bench_text_realism.py --calibrate``: on held-out samples of the shipped scenes it read
none of the words they flagged and 93 % of those they kept; on faint words under noise it still
reads a third of the few flagged (docs/ocr.md, "Legibility against a real reader").

Instances already flagged (e.g. ``truncated`` by a geometric augment) keep their flag and reason
and are not counted again.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from synthgen.text.label import ILLEGIBLE, text_of
from synthgen.types import InstanceGeometry, Layers

NEAR = 2  # the pixels around the ink it is read against: within this many pixels of its own
# Ink within 3 grey levels of a flat background reads as nothing: RapidOCR read 1 of 16 clean
# words drawn 1-3 levels off their background, 86 % of those 3-7 levels off (docs/ocr.md). Half a
# level more, so that a float32 luminance 3 levels off stays inside it.
SAME_GREY = 3.5 / 255
LEVELS = 4096  # grey levels the separation is counted over


def drawn_height(geo: InstanceGeometry) -> float:
    """Height in pixels of the tallest drawn glyph of a text instance (its char quads' longest left
    or right side; the word quad's when it has no char quads); 0 without a quad."""
    text = text_of(geo)
    if text is None:
        return 0.0
    quads = text.char_quads if text.char_quads is not None and len(text.char_quads) else None
    if quads is None:
        if text.quad is None:
            return 0.0
        quads = np.asarray(text.quad)[None]
    q = np.asarray(quads, np.float64)
    sides = np.concatenate([np.linalg.norm(q[:, 3] - q[:, 0], axis=1), np.linalg.norm(q[:, 2] - q[:, 1], axis=1)])
    return float(sides.max())


def ink_contrast(lum: np.ndarray, instance_id: np.ndarray, k: int, bounds: tuple[int, int, int, int]) -> float:
    """How well one grey level tells instance ``k``'s drawn text from the pixels right around it,
    0..1 (see the module docstring): the two-sample Kolmogorov-Smirnov statistic of the ink's
    luminances against its surroundings'; 0 when it has no pixel, or no background next to it.

    Args:
        lum: (H, W) float32 luminance 0..1 of the final image.
        instance_id: (H, W) int32 instance ids, 0 = background.
        k: the instance id.
        bounds: (x0, y0, x1, y1) pixel window that holds every pixel of ``k``.
    """
    import cv2

    h, w = instance_id.shape
    x0, y0 = max(bounds[0] - NEAR, 0), max(bounds[1] - NEAR, 0)
    x1, y1 = min(bounds[2] + NEAR, w), min(bounds[3] + NEAR, h)
    if x1 <= x0 or y1 <= y0:
        return 0.0
    ids = instance_id[y0:y1, x0:x1]
    mask = (ids == k).astype(np.uint8)
    if not mask.any():
        return 0.0
    size = 2 * NEAR + 1
    ring = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))).astype(bool) & (ids == 0)
    if not ring.any():
        return 0.0
    crop = lum[y0:y1, x0:x1]
    return separation(crop[mask.astype(bool)], crop[ring])


def separation(ink: np.ndarray, around: np.ndarray) -> float:
    """How well one grey threshold splits two sets of luminances, 0..1: the two-sample
    Kolmogorov-Smirnov statistic (the largest difference, over every grey level, between the
    shares of ``ink`` and of ``around`` at or below it). 1 when one threshold splits them; near 0
    when they are alike, whatever their mean gap (noise or clutter as strong as the gap mixes
    them). 0 when all but a twentieth of both lie within ``SAME_GREY`` of the surroundings' median:
    a word a few grey levels off a flat background, which RapidOCR does not read."""
    ink, around = ink.ravel(), around.ravel()
    middle = _quantile(around, 0.5)
    spread = max(_quantile(np.abs(ink - middle), 0.95), _quantile(np.abs(around - middle), 0.95))
    if spread <= SAME_GREY:
        return 0.0
    # the two cumulative shares over LEVELS grey levels (1/16 of an 8-bit step apart): a bincount
    # instead of sorting both sets, ~2x faster on a word's pixels
    top = LEVELS - 1
    below_ink = np.bincount(np.clip(ink * top + 0.5, 0, top).astype(np.intp), minlength=LEVELS).cumsum()
    below_around = np.bincount(np.clip(around * top + 0.5, 0, top).astype(np.intp), minlength=LEVELS).cumsum()
    return float(np.abs(below_ink / ink.size - below_around / around.size).max())


def _quantile(values: np.ndarray, q: float) -> float:
    """The ``q`` quantile (0..1) of a 1-D array, nearest rank: ``np.partition`` is a few times
    faster than ``np.percentile`` on the few hundred pixels of a word."""
    k = int(round(q * (values.size - 1)))
    return float(np.partition(values, k)[k])


def flag_illegible(
    layers: Layers, ids: tuple[int, ...], min_size: float, min_contrast: float
) -> tuple[Layers, dict[str, int]]:
    """Measure the words ``ids`` of ``layers`` and flag those too small or too faint to read.

    Args:
        layers: the final layers (after generate and augment). Not modified.
        ids: the instance ids to measure (text instances of the scene).
        min_size: smallest legible glyph height, pixels.
        min_contrast: smallest legible ``ink_contrast``, 0..1.

    Returns:
        New layers whose geometry has ``legible`` (and ``illegible_reason`` where False) set on
        each measured instance, and the newly flagged count by reason (``illegible_<reason>``).
    """
    from synthgen.text.contrast import luminance_image

    lum = None
    geometry = dict(layers.geometry)
    counts: dict[str, int] = {}
    for k in ids:
        geo = geometry.get(k)
        if geo is None or text_of(geo) is None:
            continue
        if geo.attributes.get("legible", True) is False:  # flagged upstream (truncated): kept as it is
            continue
        reason = None
        if drawn_height(geo) < min_size:
            reason = "too_small"
        else:
            lum = luminance_image(layers.rgb) if lum is None else lum
            if ink_contrast(lum, layers.instance_id, k, _bounds(geo)) < min_contrast:
                reason = "low_contrast"
        attributes = {**geo.attributes, "legible": reason is None}
        if reason is not None:
            attributes["illegible_reason"] = reason
            counts[f"{ILLEGIBLE}{reason}"] = counts.get(f"{ILLEGIBLE}{reason}", 0) + 1
        geometry[k] = replace(geo, attributes=attributes)
    return replace(layers, geometry=geometry), counts


def _bounds(geo: InstanceGeometry) -> tuple[int, int, int, int]:
    """A pixel window (x0, y0, x1, y1) around every point of a text instance's quads and polygon;
    its pixels lie within a pixel or two of them (anti-aliasing)."""
    text = text_of(geo)
    shapes = (text.quad, text.char_quads, text.polygon)
    pts = [np.asarray(a, np.float64).reshape(-1, 2) for a in shapes if a is not None]
    allp = np.concatenate(pts) if pts else np.zeros((1, 2))
    x0, y0 = np.floor(allp.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(allp.max(axis=0)).astype(int) + 2
    return int(x0), int(y0), int(x1), int(y1)
