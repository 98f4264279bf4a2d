"""Boxes, COCO RLE, polygons, areas, occlusion and keypoint visibility from an instance-id layer."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import numpy as np

from synthgen.annotate.base import AnnotatorKind
from synthgen.types import CategoryTable, Instance, InstanceGeometry, Labels, Layers, SceneSpec

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


def annotate(
    layers: Layers,
    spec: SceneSpec,
    categories: CategoryTable | None = None,
    annotators: Sequence[AnnotatorKind] = (),
) -> Labels:
    """Labels of one rendered scene.

    One Instance per drawn instance id: box, area and mask from the instance-id layer only;
    domain labels (``extensions``: text records) and attributes from the geometry the renderer
    recorded. Where the renderer knows how many pixels an object covers drawn alone
    (``InstanceGeometry.area_alone``), the instance gets its occlusion and truncation, and an object
    with no visible pixel is kept with area 0 and occlusion 1 (writers export only visible
    instances); other instances without pixels are left out. Keypoints keep the visibility the renderer gave them (it knows what covers a point:
    the shapes in front, a depth test), except that points outside the image become unlabelled
    (0, x = y = 0). The annotators then add their instances, in order.

    Args:
        layers: rgb (H, W, 3) uint8, instance_id (H, W) int32, geometry per instance id, optional
            depth and semantic_id.
        spec: the scene it was rendered from (camera, categories).
        categories: the run's category table (None: the spec's categories, ids 1, 2, ...).
        annotators: the run config's annotators.

    Returns:
        The Labels.
    """
    found = masks_to_instances(layers.instance_id)
    instances = []
    for k, geo in sorted(layers.geometry.items()):
        if k in found:
            bbox, area, rle = found[k]
        elif geo.area_alone is not None:
            bbox, area, rle = (0, 0, 0, 0), 0, empty_rle(*layers.instance_id.shape)
        else:
            continue
        occlusion = truncation = None
        if geo.area_alone is not None:
            occlusion = 1.0 - area / geo.area_alone if geo.area_alone > 0 else 1.0
            if geo.area_alone_total:
                truncation = 1.0 - geo.area_alone / geo.area_alone_total
        # what the renderer knew carries over by name: every field InstanceGeometry shares with Instance
        inst = Instance(
            bbox=bbox,
            area=area,
            rle=rle,
            occlusion=None if occlusion is None else min(max(occlusion, 0.0), 1.0),
            truncation=None if truncation is None else min(max(truncation, 0.0), 1.0),
            **{name: getattr(geo, name) for name in _carried_fields()},
        )
        keypoints = None if geo.keypoints is None else keypoint_visibility(geo.keypoints, *layers.instance_id.shape)
        instances.append(dataclasses.replace(inst, attributes=dict(geo.attributes), keypoints=keypoints))
    for annotator in annotators:
        instances.extend(annotator.annotate(tuple(instances), layers, spec))
    return Labels(
        instances=tuple(instances),
        categories=categories if categories is not None else CategoryTable.of_names(spec.categories),
        camera=spec.camera,
        depth=layers.depth,
        semantic=layers.semantic_id,
    )


@functools.cache
def _carried_fields() -> tuple[str, ...]:
    """The fields of ``InstanceGeometry`` that ``Instance`` has too (category, extensions, keypoints, amodal
    box, 3D box, attributes): copied as they are, so a label the renderer adds needs no line here."""
    names = {f.name for f in dataclasses.fields(Instance)}
    return tuple(f.name for f in dataclasses.fields(InstanceGeometry) if f.name in names)


def empty_rle(height: int, width: int) -> dict:
    """COCO compressed RLE of an all-background (height, width) mask."""
    from pycocotools import mask as mask_utils

    rle = mask_utils.encode(np.zeros((height, width), np.uint8, order="F"))
    return {"size": [height, width], "counts": rle["counts"].decode("ascii")}


def keypoint_visibility(keypoints: np.ndarray, height: int, width: int) -> np.ndarray:
    """(K, 3) float32 keypoints as the renderer marked them (2 visible, 1 hidden: it knows, from
    the geometry or a depth test), with those outside the image unlabelled (0, at x = y = 0)."""
    out = np.asarray(keypoints, np.float32).reshape(-1, 3).copy()
    x, y = out[:, 0], out[:, 1]
    outside = (out[:, 2] > 0) & ~((x >= 0) & (x < width) & (y >= 0) & (y < height))
    out[outside] = 0
    return out
