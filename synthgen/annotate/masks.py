"""Boxes, COCO RLE, polygons and areas from an instance-id layer."""

from __future__ import annotations

import numpy as np

from synthgen.text.lines import LINE, line_instances
from synthgen.types import Instance, Labels, Layers, SceneSpec

FEW_IDS = 2  # up to this many instances, masks are encoded one by one


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
    """Per instance id present in the layer: (bbox x, y, w, h), area, COCO RLE.

    One pass over the layer: the nonzero pixels in column-major order (COCO's RLE order), grouped
    by id with a stable sort, give each instance's runs directly; pycocotools compresses them.
    No full-image mask is built per instance, so a page of 200 words costs about what one does.
    """
    from pycocotools import mask as mask_utils

    height, width = instance_id.shape
    if instance_id.size and int(instance_id.max()) <= FEW_IDS:
        return _few_instances(instance_id)
    flat = np.ascontiguousarray(instance_id.T).ravel()  # column-major pixel order
    where = np.flatnonzero(flat)
    if not len(where):
        return {}
    ids = flat[where]
    order = np.argsort(ids, kind="stable")  # positions stay ascending within an id
    ids, where = ids[order], where[order]
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], len(ids)]
    out = {}
    for k, lo, hi in zip(ids[starts].tolist(), starts.tolist(), ends.tolist()):
        pos = where[lo:hi]
        # runs of consecutive positions: [first, last] pairs
        breaks = np.flatnonzero(np.diff(pos) != 1)
        firsts = np.r_[pos[0], pos[breaks + 1]]
        lasts = np.r_[pos[breaks], pos[-1]]
        counts = np.empty(2 * len(firsts) + 1, np.int64)
        counts[0::2] = np.r_[firsts, height * width] - np.r_[0, lasts + 1]  # zeros before each run, then the tail
        counts[1::2] = lasts - firsts + 1
        if counts[-1] == 0:
            counts = counts[:-1]
        rle = mask_utils.frPyObjects({"size": [height, width], "counts": counts.tolist()}, height, width)
        cols, rows = pos // height, pos % height
        x, y = int(cols[0]), int(rows.min())
        bbox = (x, y, int(cols[-1]) - x + 1, int(rows.max()) - y + 1)
        out[k] = (bbox, hi - lo, {"size": [height, width], "counts": rle["counts"].decode("ascii")})
    return out


def _few_instances(instance_id: np.ndarray) -> dict[int, tuple[tuple[int, int, int, int], int, dict]]:
    """``masks_to_instances`` for a layer whose ids are all <= FEW_IDS (a word crop): one
    pycocotools encode per id beats sorting every pixel."""
    from pycocotools import mask as mask_utils

    height, width = instance_id.shape
    out = {}
    for k in range(1, int(instance_id.max()) + 1):
        mask = instance_id == k
        if not mask.any():
            continue
        rle = mask_utils.encode(np.asfortranarray(mask.view(np.uint8)))
        x, y, w, h = (int(v) for v in mask_utils.toBbox(rle))
        out[k] = (
            (x, y, w, h),
            int(mask_utils.area(rle)),
            {"size": [height, width], "counts": rle["counts"].decode("ascii")},
        )
    return out


def annotate(layers: Layers, spec: SceneSpec) -> Labels:
    """Labels of one rendered scene: one Instance per instance id with visible pixels, then, for
    scenes with a ``line`` category, one per line of words (``synthgen.text.lines``).

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
    if LINE in spec.categories:  # scenes that lay words out in lines label the lines too
        instances.extend(line_instances(instances))
    return Labels(instances=tuple(instances), categories=spec.categories, semantic=layers.semantic_id)
