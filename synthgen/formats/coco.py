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

from collections.abc import Iterable
from pathlib import Path

from synthgen import __version__
from synthgen.formats.base import WriterKind, dump_json, write_atomic
from synthgen.records import table_to_record
from synthgen.types import CategoryTable

PATH = "annotations/coco.json"
# instance-record keys copied onto the annotation as they are (after the standard COCO ones)
EXTRA_KEYS = ("text", "quad", "chars", "char_quads", "polygon", "attributes", "amodal_bbox", "occlusion", "truncation", "box3d")


def coco_dataset(records: Iterable[dict], categories: CategoryTable) -> dict:
    """The COCO dict of a run's records (in index order)."""
    images, annotations = [], []
    for rec in records:
        images.append({"id": rec["index"], "file_name": rec["file_name"], "width": rec["width"], "height": rec["height"]})
        for inst in rec["instances"]:
            if inst["area"] <= 0:  # not visible: nothing for a detector to find
                continue
            ann = {
                "id": len(annotations) + 1,
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
    cats = []
    for entry in table_to_record(categories):
        cat = {"id": entry["id"], "name": entry["name"], "supercategory": entry["name"]}
        if "keypoints" in entry:
            cat["keypoints"] = entry["keypoints"]
            cat["skeleton"] = entry["skeleton"]
        cats.append(cat)
    return {
        "info": {"description": "synthgen dataset", "version": __version__},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": cats,
    }


def finalize(records: Iterable[dict], root: Path, categories: CategoryTable) -> list[str]:
    write_atomic(root / PATH, dump_json(coco_dataset(records, categories)))
    return [PATH]


WRITER = WriterKind(
    "coco",
    finalize=finalize,
    omits={"camera": "COCO has no camera; the manifest and the shard records keep it"},
)
