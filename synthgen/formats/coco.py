"""COCO detection/segmentation/keypoints JSON (``annotations/coco.json``) with the sample model's
extra fields.

Categories come from the run's category table (stable ids, keypoint names and skeletons). One
annotation per visible instance (an instance with no visible pixel is not exported): bbox
[x, y, w, h], area, segmentation (``writers: {coco: {segmentation: rle | polygon}}``: compressed
RLE by default; polygons, as Label Studio expects, one polygon an instance, exact to the pixel,
see ``mask_polygon``), iscrowd 0, and where known: ``keypoints``
([x, y, v] * K) with ``num_keypoints``; text: ``text`` (transcription), ``quad`` (8 numbers,
clockwise from top-left), ``chars``, ``char_quads`` and ``polygon`` (curved text); ``attributes``;
``amodal_bbox``, ``occlusion``, ``truncation``; ``box3d`` (rectified camera coordinates). pycocotools reads
it as it is.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from synthgen import __version__
from synthgen.formats.base import WriterKind, atomic_output, dump_json
from synthgen.records import table_to_record
from synthgen.types import CategoryTable

PATH = "annotations/coco.json"
# instance-record keys copied onto the annotation as they are (after the standard COCO ones)
EXTRA_KEYS = ("text", "quad", "chars", "char_quads", "polygon", "attributes", "amodal_bbox", "occlusion", "truncation", "box3d")


@dataclass(frozen=True)
class CocoOptions:
    """``writers: {coco: {...}}``.

    Attributes:
        segmentation: ``rle`` (default): compressed RLE, exact and cheap; ``polygon``: each mask as
            one polygon that pycocotools rasterises back to exactly its pixels (``mask_polygon``),
            for clients that read polygons only (Label Studio). Tracing costs ~1-2 ms an instance,
            in the single-process finalise step: on ocr_wild it took polygon runs from ~20 to ~8
            scenes/s, so it is opt-in.
    """

    segmentation: str = "rle"
    CHOICES = {"segmentation": ("polygon", "rle")}


def mask_polygons(rle: dict) -> list[list[float]]:
    """An RLE mask as COCO polygons ``[[x1, y1, x2, y2, ...], ...]``, one per connected part.

    Each outline runs a quarter pixel inside the mask's pixel edges (the mask is doubled and
    traced through the doubled pixels' centres), and each hole (the counter of an ``o``) is
    joined to its outline by a zero-width cut, so pycocotools rasterises the polygons back to
    exactly the mask's pixels (tests/formats/test_clients.py). Coordinates are multiples of 0.25.
    """
    import cv2
    from pycocotools import mask as mask_utils

    mask = mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode("ascii")})
    # trace in the mask's box (plus a pixel), not the whole image: a word is a small part of a page
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return []
    y0, x0 = max(int(rows[0]) - 1, 0), max(int(cols[0]) - 1, 0)
    mask = mask[y0 : int(rows[-1]) + 2, x0 : int(cols[-1]) + 2]
    doubled = np.kron(mask, np.ones((2, 2), np.uint8))
    contours, hierarchy = cv2.findContours(doubled, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    polygons: list[list[float]] = []
    if hierarchy is None:
        return polygons
    links = hierarchy[0]  # per contour: next, previous, first child (a hole), parent
    for k, contour in enumerate(contours):
        if links[k][3] != -1:
            continue
        ring = contour.reshape(-1, 2).astype(np.float64)
        hole_id = links[k][2]
        while hole_id != -1:
            ring = _join(ring, contours[hole_id].reshape(-1, 2).astype(np.float64))  # in, around the hole, out
            hole_id = links[hole_id][0]
        polygons.append(((ring + 0.5) / 2 + (x0, y0)).reshape(-1).tolist())
    return polygons


def mask_polygon(rle: dict) -> list[float]:
    """An RLE mask as ONE polygon ``[x1, y1, x2, y2, ...]``: the parts of ``mask_polygons`` joined
    by zero-width cuts between their nearest corners. pycocotools still rasterises it to exactly
    the mask's pixels, and clients that read only a segmentation's first polygon (Label Studio's
    converter) get the whole instance, not its first letter."""
    rings = [np.asarray(p, np.float64).reshape(-1, 2) for p in mask_polygons(rle)]
    if not rings:
        return []
    rings.sort(key=lambda r: (float(r[:, 0].min()), float(r[:, 1].min())))  # left to right: short cuts
    ring = rings[0]
    for other in rings[1:]:
        ring = _join(ring, other)
    return ring.reshape(-1).tolist()


def _join(ring: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``ring`` with ``other`` spliced in by a zero-width cut: out along the cut, around ``other``,
    back. A cut traversed both ways adds no pixel, wherever it runs; it goes between near corners
    (the corner of ``ring`` nearest ``other``'s first, and ``other``'s corner nearest that), found
    in two linear passes rather than over every pair of corners."""
    a = int(((ring - other[0]) ** 2).sum(axis=1).argmin())
    b = int(((other - ring[a]) ** 2).sum(axis=1).argmin())
    other = np.roll(other, -b, axis=0)
    return np.concatenate([ring[: a + 1], other, other[:1], ring[a:]])


def coco_image(rec: dict) -> dict:
    """The COCO ``images`` entry of a sample record."""
    return {"id": rec["index"], "file_name": rec["file_name"], "width": rec["width"], "height": rec["height"]}


def coco_annotations(rec: dict, categories: CategoryTable, first_id: int, options: CocoOptions = CocoOptions()) -> list[dict]:
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
            "segmentation": inst["segmentation"] if options.segmentation == "rle" else [mask_polygon(inst["segmentation"])],
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
            for ann in coco_annotations(rec, categories, next_id, options):
                spool.write((b"," if next_id > 1 else b"") + dump_json(ann))
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
    "coco",
    finalize=finalize,
    omits={"camera": "COCO has no camera; the manifest and the shard records keep it"},
    entries=(PATH.split("/")[0],),
    options=CocoOptions,
)
