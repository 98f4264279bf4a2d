"""COCO detection/segmentation/keypoints JSON (``annotations/coco.json``) with the sample model's
extra fields.

Categories come from the run's category table (stable ids, keypoint names and skeletons). One
annotation per visible instance (an instance with no visible pixel is not exported): bbox
[x, y, w, h], area, segmentation, iscrowd 0, ``num_keypoints`` (0 for an instance without
keypoints: pycocotools' keypoint evaluation reads it from every annotation), ``keypoints``
([x, y, v] * K; all 0 for an instance of a keypoint category that has none, as in COCO); text:
``text`` (transcription), ``quad`` (8 numbers, clockwise from top-left), ``chars``, ``char_quads`` and ``polygon`` (curved text); ``attributes``; ``amodal_bbox``,
``occlusion``, ``truncation``; ``box3d`` (rectified camera coordinates). pycocotools reads it as it is.

``segmentation`` (``writers: {coco: {segmentation: polygon | rle}}``) is by default one polygon an
instance, as COCO's ``iscrowd: 0`` annotations and Label Studio expect, exact to the pixel
(``synthgen.formats.polygons.mask_polygon``); ``rle`` writes compressed RLE instead. The polygons
are traced in the run's shard producers, in parallel (``derive``), and the driver copies their
JSON text into the file; a record without them (a mix's) has them traced here.

A real instance (read from a dataset, ``Instance.original``) is written with its dataset's own
``bbox``, ``area``, ``segmentation`` (polygons stay polygons, RLE stays RLE, whichever
``segmentation`` option), ``iscrowd``, ``keypoints`` and ``num_keypoints``, exactly as read; only
what its dataset lacked is derived as for a synthetic one.

Otherwise ``bbox`` and ``area`` are the visible mask's, in whole pixels: the box of exactly the pixels the
segmentation covers, so a box and its mask agree (COCOeval scores the ground truth as detections
at AP 1.0 for ``bbox`` and ``segm``). Sub-pixel geometry is written beside them, in floats, where
the scene knows it: ``amodal_bbox`` (the whole object's box), ``quad`` and ``char_quads`` (text),
``keypoints``, ``box3d``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from synthgen import __version__
from synthgen.config.params import Params, one_of, param
from synthgen.formats.base import WriterKind, atomic_output, dump_json
from synthgen.formats.polygons import mask_polygon, mask_polygon_quarters, mask_polygons, quarters_json  # noqa: F401  (yolo imports them from here)
from synthgen.records import (
    DERIVED, ORIGINAL, InstanceView, instance_fields, instance_keys, instance_views, keys_of,
    table_to_record,
)
from synthgen.types import CategoryTable, OriginalLabels

PATH = "annotations/coco.json"
# the Instance fields an annotation holds as COCO's own keys (written above the rest, from
# ``original`` where a real dataset gave them); every other field of the model is an extra key
COCO_FIELDS = frozenset({"category", "bbox", "area", "rle", "keypoints", "original"})


@functools.cache
def extra_fields() -> tuple[str, ...]:
    """The Instance fields copied onto the annotation as the record holds them, after COCO's own,
    in the record's order: every field of the sample model besides COCO's (``extensions``: a word's
    ``text``, ``quad``, ...; ..., ``box3d``)."""
    return tuple(name for name in instance_fields() if name not in COCO_FIELDS)


@functools.cache
def extra_keys() -> tuple[str, ...]:
    """The record keys of ``extra_fields`` (what a reader of the file finds beside COCO's own)."""
    return keys_of(extra_fields())


class CocoOptions(Params):
    """``writers: {coco: {...}}``."""

    segmentation: str = param(
        "polygon", one_of("polygon", "rle"),
        "``polygon``: each mask as one polygon that pycocotools rasterises back to exactly its pixels "
        "(``mask_polygon``), what COCO's ``iscrowd: 0`` annotations hold and what Label Studio's converter "
        "reads; traced in the run's workers. ``rle``: compressed RLE, exact and smaller (a word's polygon is "
        "~8 KB of JSON, its RLE ~0.5 KB), for clients that read RLE",
    )


# stands for the polygon in an annotation until its JSON text is copied in: the first string value
# of an annotation (only numbers come before it), so the first match in its JSON is this one
_SLOT = "\0segmentation"
_SLOT_JSON = json.dumps(_SLOT).encode("ascii")


def polygon_json(rle: dict) -> str:
    """The COCO ``segmentation`` of an RLE mask as JSON text: ``[[x1,y1,x2,y2,...]]``, one polygon."""
    return "[[" + quarters_json(mask_polygon_quarters(rle)) + "]]"


def derive(rec: dict, options: CocoOptions = CocoOptions()) -> dict | None:
    """What the producers compute for the COCO file: ``{"masks": masks_digest(rec), "polygons":
    [...]}``, each visible instance's polygon as JSON text (``polygon_json``; None for an invisible
    one); None for RLE output."""
    if options.segmentation != "polygon":
        return None
    instances = instance_views(rec)
    polygons = [polygon_json(inst.rle) if _traced(inst) else None for inst in instances]
    return {"masks": masks_digest(instances), "polygons": polygons}


def _traced(inst: InstanceView) -> bool:
    """Whether the polygon of an instance is traced from its mask: a visible one's, unless its
    dataset gave its own segmentation (written as read)."""
    return inst.visible and (inst.original is None or inst.original.segmentation is None)


def masks_digest(instances: list[InstanceView]) -> str:
    """A digest of a record's instance masks: derived polygons are used only for the masks they were
    traced from (a record edited since, or its instances filtered, has them traced again)."""
    digest = hashlib.sha256()
    for inst in instances:
        digest.update(dump_json(inst.rle) + b"\n")
    return digest.hexdigest()[:32]


def coco_image(rec: dict) -> dict:
    """The COCO ``images`` entry of a sample record."""
    return {"id": rec["index"], "file_name": rec["file_name"], "width": rec["width"], "height": rec["height"]}


def coco_annotations(rec: dict, categories: CategoryTable, first_id: int, options: CocoOptions = CocoOptions()) -> list[dict]:
    """The COCO annotations of a sample record's visible instances, numbered from ``first_id``."""
    return [
        {**ann, "segmentation": json.loads(seg)} if seg is not None else ann
        for ann, seg in _annotations(rec, categories, first_id, options)
    ]


def _annotation_json(rec: dict, categories: CategoryTable, first_id: int, options: CocoOptions) -> list[bytes]:
    """``dump_json`` of each of ``coco_annotations``, with a polygon's JSON text copied in, not
    parsed and printed again (its ~1000 floats an instance are most of the file)."""
    out = []
    for ann, seg in _annotations(rec, categories, first_id, options):
        data = dump_json(ann)
        out.append(data.replace(_SLOT_JSON, seg.encode("ascii"), 1) if seg is not None else data)
    return out


def _annotations(
    rec: dict, categories: CategoryTable, first_id: int, options: CocoOptions
) -> list[tuple[dict, str | None]]:
    """(annotation, polygon JSON text): for polygon output, the annotation's ``segmentation`` is
    ``_SLOT``, to be replaced by the text (the producers' from ``derive``, else traced here)."""
    polygon = options.segmentation == "polygon"
    instances = instance_views(rec)
    derived = rec.get(DERIVED, {}).get("coco") if polygon else None  # kept under the writer's registry name
    derived = derived["polygons"] if derived and derived.get("masks") == masks_digest(instances) else None
    keypoint_counts = {c.name: len(c.keypoints) for c in categories.categories}
    annotations = []
    extra = extra_fields()
    for k, inst in enumerate(instances):
        # a real annotation's own values, as read (kept even where its polygon covers no pixel centre)
        visible, original = inst.area > 0, inst.original
        if not visible and original is None:  # not visible: nothing for a detector to find
            continue
        original = original or _SYNTHETIC
        seg = None
        if original.segmentation is not None:
            segmentation = original.segmentation
        elif polygon and not visible:  # a real box that covers no pixel centre: no polygon to trace
            segmentation = []
        elif polygon:
            seg = derived[k] if derived is not None and derived[k] is not None else polygon_json(inst.rle)
            segmentation = _SLOT
        else:
            segmentation = inst.rle
        ann = {
            "id": first_id + len(annotations),
            "image_id": rec["index"],
            "category_id": categories.id_of(inst.category),
            "bbox": list(inst.bbox) if original.bbox is None else original.bbox,
            "area": inst.area if original.area is None else original.area,
            "segmentation": segmentation,
            "iscrowd": 0 if original.iscrowd is None else original.iscrowd,
        }
        keypoints = inst.as_written("keypoints") if original.keypoints is None else original.keypoints
        if keypoints is None and keypoint_counts[inst.category]:  # COCO's own unlabelled people: every v = 0
            keypoints = [0] * (3 * keypoint_counts[inst.category])
        if keypoints is not None:
            ann.update(keypoints=keypoints)
        # on every annotation: COCOeval's keypoint evaluation over all categories reads it from each
        # ground truth (KeyError without it), and ignores those with 0
        counted = original.num_keypoints
        ann.update(num_keypoints=sum(1 for v in (keypoints or ())[2::3] if v > 0) if counted is None else counted)
        ann.update(inst.written(extra))
        annotations.append((ann, seg))
    return annotations


_SYNTHETIC = OriginalLabels()  # a synthetic instance's: its dataset gave nothing


def coco_categories(categories: CategoryTable) -> list[dict]:
    cats = []
    for entry in table_to_record(categories):
        cat = {"id": entry["id"], "name": entry["name"], "supercategory": entry["name"]}
        if "keypoints" in entry:
            cat["keypoints"] = entry["keypoints"]
            cat["skeleton"] = entry["skeleton"]
        cats.append(cat)
    return cats


def _info() -> dict:
    return {"description": "synthgen dataset", "version": __version__}


def coco_dataset(records: Iterable[dict], categories: CategoryTable, options: CocoOptions = CocoOptions()) -> dict:
    """The COCO dict of a run's records (in index order), in memory: for small sets and tests;
    ``write_coco`` streams the same bytes for a dataset of any size."""
    images, annotations = [], []
    for rec in records:
        images.append(coco_image(rec))
        annotations.extend(coco_annotations(rec, categories, len(annotations) + 1, options))
    return {"info": _info(), "licenses": [], "images": images, "annotations": annotations, "categories": coco_categories(categories)}


def write_coco(
    records: Iterable[dict], categories: CategoryTable, out: BinaryIO, spool_dir: Path, options: CocoOptions = CocoOptions()
) -> None:
    """Stream the COCO file of ``records`` (one pass, in index order) into ``out``: the bytes of
    ``dump_json(coco_dataset(records, categories))``, in memory bounded by one record.

    Images come before annotations in the file, so the annotations are spooled to an anonymous
    temporary file in ``spool_dir`` (gone when closed, or when the process dies) and appended.
    """
    out.write(b'{"info":' + dump_json(_info()) + b',"licenses":[],"images":[')
    next_id = 1
    with tempfile.TemporaryFile(dir=spool_dir) as spool:
        for n, rec in enumerate(records):
            out.write((b"," if n else b"") + dump_json(coco_image(rec)))
            for ann in _annotation_json(rec, categories, next_id, options):
                spool.write((b"," if next_id > 1 else b"") + ann)
                next_id += 1
        out.write(b'],"annotations":[')
        spool.seek(0)
        shutil.copyfileobj(spool, out)
    out.write(b'],"categories":' + dump_json(coco_categories(categories)) + b"}")


def finalize(records: Iterable[dict], root: Path, categories: CategoryTable, options: CocoOptions = CocoOptions()) -> list[str]:
    path = root / PATH
    with atomic_output(path) as out:
        write_coco(records, categories, out, path.parent, options)
    return [PATH]


WRITER = WriterKind(
    finalize=finalize,
    # every instance field: COCO's own, and each other one as an extra key (``extra_fields``);
    # no camera (the manifest and the shard records keep it) and no dense layer
    writes=frozenset(instance_keys()) - {ORIGINAL},
    entries=(PATH.split("/")[0],),
    options=CocoOptions,
    derive=derive,
)
