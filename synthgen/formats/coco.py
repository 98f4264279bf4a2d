"""COCO detection/segmentation JSON (``annotations/coco.json``) with text attributes.

Every annotation has bbox [x, y, w, h], area, segmentation as compressed RLE, iscrowd 0, and for
text: ``text`` (transcription), ``quad`` (8 numbers, clockwise from top-left), ``chars`` and
``char_quads``. pycocotools reads it as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from synthgen import __version__
from synthgen.formats.base import WriterKind, dump_json, write_atomic

PATH = "annotations/coco.json"


def coco_dataset(records: Iterable[dict]) -> dict:
    """The COCO dict of a run's records (in index order)."""
    categories: list[str] = []
    images, annotations = [], []
    for rec in records:
        for name in rec["categories"]:
            if name not in categories:
                categories.append(name)
        images.append({"id": rec["index"], "file_name": rec["file_name"], "width": rec["width"], "height": rec["height"]})
        for inst in rec["instances"]:
            ann = {
                "id": len(annotations) + 1,
                "image_id": rec["index"],
                "category_id": categories.index(inst["category"]) + 1,
                "bbox": inst["bbox"],
                "area": inst["area"],
                "segmentation": inst["segmentation"],
                "iscrowd": 0,
            }
            for key in ("text", "quad", "chars", "char_quads", "attributes"):
                if key in inst:
                    ann[key] = inst[key]
            annotations.append(ann)
    return {
        "info": {"description": "synthgen dataset", "version": __version__},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": [{"id": i + 1, "name": n, "supercategory": n} for i, n in enumerate(categories)],
    }


def finalize(records: Iterable[dict], root: Path) -> list[str]:
    write_atomic(root / PATH, dump_json(coco_dataset(records)))
    return [PATH]


WRITER = WriterKind("coco", finalize=finalize)
