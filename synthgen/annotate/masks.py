"""Boxes, COCO RLE, polygons and areas from an instance-id layer."""

from __future__ import annotations

import numpy as np

from synthgen.types import Instance, Labels, Layers, SceneSpec


def instance_extents(instance_id: np.ndarray) -> dict[int, tuple[int, int, int, int]]:
    """Pixel extent (x0, y0, x1, y1), inclusive, of every non-zero id in an (H, W) int layer."""
    return {k: (x, y, x + w - 1, y + h - 1) for k, ((x, y, w, h), _, _) in masks_to_instances(instance_id).items()}


def mask_to_rle(mask: np.ndarray) -> dict:
    """COCO compressed RLE of an (H, W) bool mask, counts as str (JSON-able)."""
    from pycocotools import mask as mask_utils

    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8, copy=False)))
    return {"size": [int(s) for s in rle["size"]], "counts": rle["counts"].decode("ascii")}


def mask_to_polygons(mask: np.ndarray, offset: tuple[int, int] = (0, 0)) -> tuple[tuple[float, ...], ...]:
    """Outer contours of a bool mask as flat [x0, y0, x1, y1, ...] lists (3+ points each).

    Args:
        mask: (h, w) bool.
        offset: (x, y) added to every point (for a mask cropped out of a larger image).
    """
    import cv2

    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    polys = []
    for c in contours:
        if len(c) < 3:
            continue
        pts = c.reshape(-1, 2).astype(np.float64) + offset
        polys.append(tuple(float(v) for v in pts.reshape(-1)))
    return tuple(polys)


def masks_to_instances(instance_id: np.ndarray) -> dict[int, tuple[tuple[int, int, int, int], int, dict]]:
    """Per instance id present in the layer: (bbox x, y, w, h), area, COCO RLE."""
    from pycocotools import mask as mask_utils

    areas = np.bincount(instance_id.ravel())
    ids = [int(k) for k in np.flatnonzero(areas) if k != 0]
    if not ids:
        return {}
    # RLE runs down columns: compare on the transposed layer so each mask is Fortran-ordered free.
    transposed = np.ascontiguousarray(instance_id.T)
    out = {}
    for k in ids:
        rle = mask_to_rle((transposed == k).view(np.uint8).T)
        coco = {"size": rle["size"], "counts": rle["counts"].encode("ascii")}
        x, y, w, h = (int(v) for v in mask_utils.toBbox(coco))
        out[k] = ((x, y, w, h), int(areas[k]), rle)
    return out


def annotate(layers: Layers, spec: SceneSpec) -> Labels:
    """Labels of one rendered scene: one Instance per instance id with visible pixels.

    Text attributes (transcription, word and char quads) come from the geometry the renderer
    recorded; boxes, masks and areas come from the instance-id layer only.
    """
    instances = []
    for k, (bbox, area, rle) in sorted(masks_to_instances(layers.instance_id).items()):
        geo = layers.geometry[k]
        instances.append(
            Instance(
                category=geo.category,
                bbox=bbox,
                area=area,
                rle=rle,
                text=geo.text,
                quad=geo.quad,
                chars=geo.chars,
                char_quads=geo.char_quads,
                attributes=dict(geo.attributes),
                polygon=geo.polygon,
            )
        )
    return Labels(instances=tuple(instances), categories=spec.categories, semantic=layers.semantic_id)
