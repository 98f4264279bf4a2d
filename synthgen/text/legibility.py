"""Legibility measured on the drawn text: the size and contrast of each word's ink in the image.

A word is flagged ``legible: false`` with an ``illegible_reason`` when, in the final picture,

- ``too_small``: its tallest glyph (the longest left or right side of its char quads, or of its
  word quad when it has none) is under ``min_size`` pixels;
- ``low_contrast``: its ink does not stand out from the pixels right around it. The ink is the
  word's pixels (``instance_id``: fill and outline), taken at two levels, the darkest and the
  lightest tenth of them (dark text, light text, or a fill and its outline); the surroundings are
  the background pixels within ``NEAR`` pixels of the ink (other words left out), where a drop
  shadow or a halo lies. The contrast is, for the better of the two levels, the median luminance
  gap between the ink and its surroundings: at least half of the ink's rim must stand out. So
  light text on a busy background of dark and light patches reads where the patches around it are
  dark, a faint word the colour of its background does not, and a faint word behind a contrasting
  shadow does (its darkened or lightened edge pixels stand out from the shadow-free side, and the
  shadow from the fill).

Instances already flagged (e.g. ``truncated`` by a geometric augment) keep their flag and reason
and are not counted again.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from synthgen.text.label import ILLEGIBLE, text_of
from synthgen.types import InstanceGeometry, Layers

NEAR = 2  # the pixels around the ink it is read against: within this many pixels of its own
INK_PERCENTILES = (10, 90)  # the ink's two levels: the darkest and lightest tenth of its pixels


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
    """Contrast 0..1 of instance ``k``'s drawn text against the pixels right around it (see the
    module docstring); 0 when it has no pixel, or no background next to it.

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
    around = crop[ring]
    ink = crop[mask.astype(bool)]
    levels = [_quantile(ink, q / 100) for q in INK_PERCENTILES]
    return float(max(_quantile(np.abs(around - level), 0.5) for level in levels))


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
