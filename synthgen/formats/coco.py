"""COCO detection/segmentation/keypoints JSON (``annotations/coco.json``) with the sample model's
extra fields.

Categories come from the run's category table (stable ids, keypoint names and skeletons). One
annotation per visible instance (an instance with no visible pixel is not exported): bbox
[x, y, w, h], area, segmentation as compressed RLE, iscrowd 0, and where known: ``keypoints``
([x, y, v] * K) with ``num_keypoints``; text: ``text`` (transcription), ``quad`` (8 numbers,
clockwise from top-left), ``chars``, ``char_quads`` and ``polygon`` (curved text); ``attributes``;
``amodal_bbox``, ``occlusion``, ``truncation``; ``box3d`` (camera coordinates). pycocotools reads
it as it is.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from synthgen import __version__
from synthgen.formats.base import WriterKind, atomic_output, dump_json
from synthgen.records import table_to_record
from synthgen.types import CategoryTable

PATH = "annotations/coco.json"
# instance-record keys copied onto the annotation as they are (after the standard COCO ones)
EXTRA_KEYS = ("text", "quad", "chars", "char_quads", "polygon", "attributes", "amodal_bbox", "occlusion", "truncation", "box3d")


def coco_image(rec: dict) -> dict:
    """The COCO ``images`` entry of a sample record."""
    return {"id": rec["index"], "file_name": rec["file_name"], "width": rec["width"], "height": rec["height"]}


def coco_annotations(rec: dict, categories: CategoryTable, first_id: int) -> list[dict]:
    """The COCO annotations of a sample record's visible instances, numbered from ``first_id``."""
    annotations = []
    for inst in rec["instances"]:
        if inst["area"] <= 0:  # not visible: nothing for a detector to find
            continue
        ann = {
            "id": first_id + len(annotations),
            "image_id": rec["index"],
            "category_id": categories.id_of(inst["category"]),
            "bbox": inst["bbox"],
            "area": inst["area"],
            "segmentation": inst["segmentation"],
            "iscrowd": 0,
        }
        if "keypoints" in inst:
            ann["keypoints"] = inst["keypoints"]
            ann["num_keypoints"] = sum(1 for v in inst["keypoints"][2::3] if v > 0)
        for key in EXTRA_KEYS:
            if key in inst:
                ann[key] = inst[key]
        annotations.append(ann)
    return annotations


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


def coco_dataset(records: Iterable[dict], categories: CategoryTable) -> dict:
    """The COCO dict of a run's records (in index order), in memory: for small sets and tests;
    ``write_coco`` streams the same bytes for a dataset of any size."""
    images, annotations = [], []
    for rec in records:
        images.append(coco_image(rec))
        annotations.extend(coco_annotations(rec, categories, len(annotations) + 1))
    return {"info": _info(), "licenses": [], "images": images, "annotations": annotations, "categories": coco_categories(categories)}


def write_coco(records: Iterable[dict], categories: CategoryTable, out: BinaryIO, spool_dir: Path) -> None:
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
            for ann in coco_annotations(rec, categories, next_id):
                spool.write((b"," if next_id > 1 else b"") + dump_json(ann))
                next_id += 1
        out.write(b'],"annotations":[')
        spool.seek(0)
        shutil.copyfileobj(spool, out)
    out.write(b'],"categories":' + dump_json(coco_categories(categories)) + b"}")


def finalize(records: Iterable[dict], root: Path, categories: CategoryTable) -> list[str]:
    path = root / PATH
    with atomic_output(path) as out:
        write_coco(records, categories, out, path.parent)
    return [PATH]


WRITER = WriterKind(
    "coco",
    finalize=finalize,
    omits={"camera": "COCO has no camera; the manifest and the shard records keep it"},
    entries=(PATH.split("/")[0],),
)
