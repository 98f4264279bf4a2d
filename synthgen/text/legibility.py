"""Legibility measured on the drawn text: the size and contrast of each word's ink in the image.

A word is flagged ``legible: false`` with an ``illegible_reason`` when, in the final picture,

- ``too_small``: its tallest glyph (the longest left or right side of its char quads, or of its
  word quad when it has none) is under ``min_size`` pixels;
- ``low_contrast``: its drawn text does not stand out from its background. The drawn text is the
  word's pixels (``instance_id``) and the pixels within ``NEAR`` of them, so an outline, a drop
  shadow or a halo that contrasts counts (a faint word behind a contrasting shadow reads); its
  background is the ring ``NEAR + 1`` to ``FAR`` pixels away (other words left out). The contrast
  is how much wider the luminance range (5th to 95th percentile) of the drawn text is than that of
  its background: the ink's gap to the background, less nothing for a plain background, while a
  word the colour of a busy background adds no range of its own.

Instances already flagged (e.g. ``truncated`` by a geometric augment) keep their flag and reason
and are not counted again.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from synthgen.types import InstanceGeometry, Layers

NEAR = 2  # pixels around the ink that belong to the drawn text: a drop shadow of 1-3 px, a halo
FAR = 8  # the background it is read against: NEAR + 1 to FAR pixels away
PERCENTILES = (5, 95)
REASONS = ("too_small", "low_contrast")


def drawn_height(geo: InstanceGeometry) -> float:
    """Height in pixels of the tallest drawn glyph of a text instance (its char quads' longest left
    or right side; the word quad's when it has no char quads); 0 without a quad."""
    text = geo.text
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
    """Contrast of instance ``k``'s drawn text against its background (see the module docstring):
    the luminance range (5th to 95th percentile) of its pixels and those within ``NEAR`` pixels of
    them, less the range of the background ``NEAR + 1`` to ``FAR`` pixels away; 0 when it has no
    pixel, or no background around it.

    Args:
        lum: (H, W) float32 luminance 0..1 of the final image.
        instance_id: (H, W) int32 instance ids, 0 = background.
        k: the instance id.
        bounds: (x0, y0, x1, y1) pixel window that holds every pixel of ``k``.
    """
    import cv2

    h, w = instance_id.shape
    x0, y0 = max(bounds[0] - FAR, 0), max(bounds[1] - FAR, 0)
    x1, y1 = min(bounds[2] + FAR, w), min(bounds[3] + FAR, h)
    if x1 <= x0 or y1 <= y0:
        return 0.0
    ids = instance_id[y0:y1, x0:x1]
    mask = (ids == k).astype(np.uint8)
    if not mask.any():
        return 0.0

    def grown(r: int) -> np.ndarray:
        return cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * r + 1, 2 * r + 1))).astype(bool)

    free = (ids == 0) | (ids == k)  # other words are neither this word's surroundings nor its background
    near = grown(NEAR) & free
    outer = grown(FAR) & ~grown(NEAR + 1) & (ids == 0)
    if not outer.any():
        return 0.0
    crop = lum[y0:y1, x0:x1]
    lo, hi = np.percentile(crop[near], PERCENTILES)
    blo, bhi = np.percentile(crop[outer], PERCENTILES)
    return float((hi - lo) - (bhi - blo))


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
    from synthgen.text.common import luminance_image

    lum = None
    geometry = dict(layers.geometry)
    counts: dict[str, int] = {}
    for k in ids:
        geo = geometry.get(k)
        if geo is None or geo.text is None:
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
            counts[f"illegible_{reason}"] = counts.get(f"illegible_{reason}", 0) + 1
        geometry[k] = replace(geo, attributes=attributes)
    return replace(layers, geometry=geometry), counts


def _bounds(geo: InstanceGeometry) -> tuple[int, int, int, int]:
    """A pixel window (x0, y0, x1, y1) around every point of a text instance's quads and polygon;
    its pixels lie within a pixel or two of them (anti-aliasing)."""
    text = geo.text
    pts = [np.asarray(a, np.float64).reshape(-1, 2) for a in (text.quad, text.char_quads, text.polygon) if a is not None]
    allp = np.concatenate(pts) if pts else np.zeros((1, 2))
    x0, y0 = np.floor(allp.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(allp.max(axis=0)).astype(int) + 2
    return int(x0), int(y0), int(x1), int(y1)
