"""The ``insert_real`` annotator: a ``driving_insert`` frame's own labelled objects, after the actors'.

Each object of the frame's label file (``DontCare`` regions aside: they mark no object) becomes the
instance synthgen's KITTI reader makes of it (``kitti_reader.instance_records``: its 2D box's pixels
as mask, the box, truncation and 3D box as read), in the driving categories (``KITTI_CATEGORY``;
the KITTI type kept in ``attributes.type``, so the KITTI writer writes the line's type back), with
its occlusion level in ``attributes.occluded`` and as ``occlusion`` the level's floor (0, 0.15,
0.5; None for level 3, unknown), which the KITTI writer turns back into the same level, and its
observation angle in ``attributes.alpha``, which the KITTI writer writes as read (derived from the
3D box rounded to centimetres, it could differ in the last digit).

Where no inserted actor covers it, that is all: its labels are the dataset's, and ``original``
keeps its 2D box as read (KITTI's fractional pixels) for the writers that keep real values. Where
a kept actor pixel nearer than the object lies in its box (``composite.covered``), those pixels
leave its mask, its box and area are the rest's, its occlusion grows by the share covered
(1 - (1 - floor) x area after / area before), its occlusion level is that occlusion's (never
lower than the level read), ``attributes.covered_by_insert`` counts the pixels, and ``original``
is None: these labels are no longer the dataset's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from synthgen.annotate.base import AnnotatorKind
from synthgen.types import Instance, Layers, OriginalLabels, SceneSpec

# KITTI type -> (driving category, attributes.type)
KITTI_CATEGORY = {
    "Car": ("car", "Car"),
    "Van": ("car", "Van"),
    "Truck": ("truck", "Truck"),
    "Pedestrian": ("person", "Pedestrian"),
    "Person_sitting": ("person", "Person_sitting"),
    "Cyclist": ("rider", "Cyclist"),
    "Tram": ("bus", "Tram"),
    "Misc": ("obstacle", "Misc"),
}
LEVEL_FLOOR = (0.0, 0.15, 0.5)  # the least occlusion of KITTI's levels 0, 1, 2 (kitti.OCCLUSION_LEVELS)


def annotate_real(instances: Sequence[Instance], layers: Layers, spec: SceneSpec) -> tuple[Instance, ...]:
    """The real objects of the frame a driving_insert spec drew into (see the module doc)."""
    if spec.kind != "driving_insert":
        return ()
    from pycocotools import mask as mask_utils

    from synthgen.driving.insert.composite import covered, frame_item
    from synthgen.formats.kitti import occlusion_level
    from synthgen.formats.kitti_reader import instance_records
    from synthgen.records import instance_from_record

    item = frame_item(spec)
    frame = item.frame
    width, height = frame.entry.width, frame.entry.height
    actor_depth = layers.depth if layers.depth is not None else np.full((height, width), np.inf, np.float32)
    actor_depth = np.where(layers.instance_id > 0, actor_depth, np.inf)
    objects = [o for o in frame.objects if o.kitti.type != "DontCare"]
    records = instance_records([o.kitti for o in objects], frame.camera.offset, width, height)
    out = []
    for o, rec in zip(objects, records):
        category, kind = KITTI_CATEGORY.get(o.kitti.type, ("obstacle", o.kitti.type))
        level = o.kitti.occluded
        attributes = {"type": kind, "occluded": level, "alpha": o.kitti.alpha, "real": True, "label_line": o.line}
        floor = LEVEL_FLOOR[level] if 0 <= level <= 2 else None
        inst = instance_from_record({**rec, "category": category, "attributes": attributes})
        hidden = covered(o, frame, item.ground, actor_depth) if inst.area else None
        if hidden is None:
            x1, y1, x2, y2 = o.kitti.bbox
            out.append(replace(inst, occlusion=floor, original=OriginalLabels(bbox=[x1, y1, x2 - x1, y2 - y1])))
            continue
        mask = inst.visible_mask() & ~hidden
        rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
        area = int(mask_utils.area(rle))
        bbox = tuple(int(round(v)) for v in mask_utils.toBbox(rle)) if area else (0, 0, 0, 0)
        occlusion = 1.0 - (1.0 - (floor or 0.0)) * area / inst.area
        attributes = {
            **attributes,
            "occluded": max(level if 0 <= level <= 2 else 0, occlusion_level(occlusion)),
            "covered_by_insert": inst.area - area,
        }
        counts = rle["counts"].decode("ascii")
        out.append(
            replace(
                inst, bbox=bbox, area=area, rle={"size": [height, width], "counts": counts},
                occlusion=occlusion, attributes=attributes, original=None,
            )  # fmt: skip
        )
    return tuple(out)


ANNOTATOR = AnnotatorKind((), annotate_real, needs=frozenset({"box3d", "camera"}))
