"""COCO reader, the inverse of the ``coco`` writer; reads any COCO detection/segmentation/keypoint file.

Categories keep their ids, names, keypoint names and skeletons. Each image becomes a sample record
and each annotation an instance record: the segmentation (polygons, uncompressed RLE as crowd
annotations hold it, or compressed RLE) becomes compressed RLE through pycocotools, ``bbox`` and
``area`` are the extent and pixel count of that mask (an annotation without a segmentation gets
the mask of its box). The annotation's own ``bbox``, ``area``, ``segmentation``, ``iscrowd``,
``keypoints`` and ``num_keypoints`` are kept as read in ``original`` (``OriginalLabels``): the
writers give them back unchanged, so a mix never moves a real box or changes a real area.
Polygons and boxes are checked while reading and rasterised only when a sample's record is
resolved (``LazySample.full_record``, ``materialize``): a mix plans on categories alone, and pays
for masks only for the samples it writes. ``iscrowd: 1`` becomes the
attribute ``iscrowd: 1``; ``keypoints`` and the writer's extra fields (text, quads, amodal box,
occlusion, truncation, 3D box) are kept as they are.

Checked while reading, each naming the file and the record: a truncated or malformed JSON
(always an error), duplicate category ids, duplicate image or annotation ids, an annotation of an
unknown image or category, a box outside its image, a missing image file and an image whose size
differs from its record (read from the file's header).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthgen.errors import DatasetError
from synthgen.formats.base import BadRecords, ReaderKind, ReadOptions, ReadResult, image_size
from synthgen.formats.coco import EXTRA_KEYS, PATH
from synthgen.formats.paths import OutsideDataset, inside_dataset
from synthgen.lazy import ImageFile, LazySample
from synthgen.records import ORIGINAL, ORIGINAL_KEYS, table_from_record
from synthgen.types import CategoryTable

BOX_SLACK_PX = 0.5  # polygon boxes of real datasets reach half a pixel past the border


def coco_file_and_root(path: Path, images: str | None) -> tuple[Path, Path]:
    """The JSON file and the folder its ``file_name``s are relative to.

    ``path`` is a dataset folder holding ``annotations/coco.json`` (root: the folder) or a JSON file
    (root: the folder above ``annotations/`` when it sits in one, else its own folder).
    """
    if path.is_dir():
        file = path / PATH
        root = path
    else:
        file = path
        root = path.parent.parent if path.parent.name == "annotations" else path.parent
    if not file.is_file():
        raise DatasetError(f"{file}: COCO file not found")
    return file, Path(images) if images is not None else root


def load_json(file: Path) -> Any:
    """A JSON file; one DatasetError line naming it (and where it breaks) otherwise."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise DatasetError(f"{file}: cannot read ({exc.strerror})") from None
    try:
        return json.loads(data)
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{file}: not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        truncated = " (truncated?)" if exc.pos >= len(data.rstrip()) else ""
        raise DatasetError(
            f"{file}: not valid JSON{truncated}: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None


def _list(data: dict, key: str, file: Path) -> list:
    value = data.get(key, [] if key == "annotations" else None)
    if not isinstance(value, list):
        raise DatasetError(f"{file}: '{key}' must be a list")
    return value


def categories_of(entries: list, file: Path) -> tuple[CategoryTable, dict[int, str]]:
    seen: dict[int, str] = {}
    for n, e in enumerate(entries):
        if not isinstance(e, dict) or not isinstance(e.get("id"), int) or not isinstance(e.get("name"), str):
            raise DatasetError(f"{file}: categories[{n}]: needs an integer id and a name")
        if e["id"] in seen:
            raise DatasetError(f"{file}: categories[{n}]: duplicate category id {e['id']}")
        if e["name"] in seen.values():
            raise DatasetError(f"{file}: categories[{n}]: duplicate category name {e['name']!r}")
        seen[e["id"]] = e["name"]
    table = table_from_record(sorted(entries, key=lambda e: e["id"]))
    return table, seen


def _dict_rle(seg: dict, height: int, width: int) -> dict:
    """Compressed RLE (bytes counts) of an uncompressed or compressed COCO RLE segmentation."""
    from pycocotools import mask as mask_utils

    counts = seg.get("counts")
    if isinstance(counts, list):
        return mask_utils.frPyObjects(seg, height, width)
    if list(seg["size"]) != [height, width]:
        raise ValueError(f"RLE size {seg['size']} is not the image's [{height}, {width}]")
    return {"size": seg["size"], "counts": counts.encode("ascii") if isinstance(counts, str) else counts}


def _polygon_problem(seg: list) -> str:
    """What keeps pycocotools from rasterising a list of polygons, or ""."""
    for p in seg:
        if not isinstance(p, list) or len(p) < 6 or len(p) % 2:
            return "a polygon must be a list of at least 3 x, y pairs"
        for v in p:
            if type(v) not in (int, float):
                return f"unreadable polygon (coordinate {v!r} is not a number)"
    return ""


@dataclass(frozen=True)
class PendingMask:
    """An instance's mask not yet rasterised: its COCO ``polygons``, or the ``box`` [x, y, w, h] of an
    annotation without a segmentation. ``resolve_record`` turns it into the RLE, bbox and area."""

    polygons: list | None = None
    box: list | None = None


def _full(rec: dict[str, Any], rle: dict, area: int, extent: list[int]) -> dict[str, Any]:
    """An instance record completed with its mask (keys in the serialiser's order)."""
    out: dict[str, Any] = {
        "category": rec["category"],
        "bbox": extent if area else [0, 0, 0, 0],
        "area": int(area),
        "segmentation": {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")},
    }
    out.update((k, v) for k, v in rec.items() if k not in out)
    return out


def resolve_record(record: dict[str, Any]) -> dict[str, Any]:
    """A sample record whose ``PendingMask`` instances are rasterised (pycocotools, one call per kind
    for the image); bbox and area are the extent and pixel count of each mask."""
    import numpy as np
    from pycocotools import mask as mask_utils

    instances = record["instances"]
    pending = [j for j, inst in enumerate(instances) if isinstance(inst.get("segmentation"), PendingMask)]
    if not pending:
        return record
    height, width = record["height"], record["width"]
    rles: dict[int, Any] = {}
    polygons, owners, boxes, box_owners = [], [], [], []
    for j in pending:
        mask = instances[j]["segmentation"]
        if mask.polygons is not None:
            polygons += mask.polygons
            owners += [j] * len(mask.polygons)
        else:
            boxes.append(mask.box)
            box_owners.append(j)
    if polygons:
        parts: dict[int, list] = {}
        for j, rle in zip(owners, mask_utils.frPyObjects(polygons, height, width)):
            parts.setdefault(j, []).append(rle)
        rles.update((j, rs[0] if len(rs) == 1 else mask_utils.merge(rs)) for j, rs in parts.items())
    if boxes:
        rles.update(zip(box_owners, mask_utils.frPyObjects(np.asarray(boxes, np.float64), height, width)))
    coded = [rles[j] for j in pending]
    areas = mask_utils.area(coded).tolist()
    extents = np.rint(mask_utils.toBbox(coded)).astype(int).tolist()
    done = list(instances)
    for j, rle, area, extent in zip(pending, coded, areas, extents):
        done[j] = _full(instances[j], rle, area, extent)
    return {**record, "instances": done}


def instance_records(items: list[tuple[str, dict, str]], height: int, width: int, bad: BadRecords) -> list[dict]:
    """The instance records of one image's annotations ((where, annotation, category name) each).

    Polygons and boxes are checked here and rasterised only when the record is resolved (writing
    needs the masks, planning a mix does not): their ``segmentation`` is a ``PendingMask``.
    RLE segmentations are read now (their bbox and area come cheap). An annotation whose
    segmentation cannot be read goes to ``bad``."""
    import numpy as np
    from pycocotools import mask as mask_utils

    out: list[dict] = []
    rle_owners: list[int] = []
    rles = []
    for where, ann, name in items:
        seg = ann.get("segmentation")
        rec: dict[str, Any] = {"category": name}
        if isinstance(seg, dict):
            try:
                rles.append(_dict_rle(seg, height, width))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                bad(where, f"unreadable RLE segmentation ({type(exc).__name__}: {exc})")
                continue
            rle_owners.append(len(out))
        elif isinstance(seg, list) and seg:
            problem = _polygon_problem(seg)
            if problem:
                bad(where, problem)
                continue
            rec["segmentation"] = PendingMask(polygons=seg)
        else:  # no segmentation: the mask of the box
            rec["segmentation"] = PendingMask(box=ann["bbox"])
        problem = _original_problem(ann)
        if problem:
            bad(where, problem)
            continue
        for key in EXTRA_KEYS:
            if key in ann:
                rec[key] = ann[key]
        if ann.get("iscrowd"):
            rec["attributes"] = {**rec.get("attributes", {}), "iscrowd": 1}
        if "keypoints" in ann:
            rec["keypoints"] = ann["keypoints"]
        # the annotation's own values, which the writers give back as they are (the mask's box and
        # pixel count above are what the pixels say; a dataset's boxes are often not the tight boxes
        # of its polygons, nor its areas their pixel counts). An empty segmentation is a missing one:
        # pycocotools cannot rasterise [], so the writer derives it (the box's mask)
        rec[ORIGINAL] = {key: ann[key] for key in ORIGINAL_KEYS if ann.get(key) not in (None, [])}
        out.append(rec)
    if rles:
        areas = mask_utils.area(rles).tolist()
        extents = np.rint(mask_utils.toBbox(rles)).astype(int).tolist()
        for j, rle, area, extent in zip(rle_owners, rles, areas, extents):
            out[j] = _full(out[j], rle, area, extent)
    return out


def _original_problem(ann: dict) -> str:
    """What is wrong with the values kept as read besides bbox and segmentation, or ""."""
    area, crowd, kp, num = (ann.get(k) for k in ("area", "iscrowd", "keypoints", "num_keypoints"))
    if area is not None and (type(area) not in (int, float) or area < 0):
        return f"area must be a number >= 0, got {area!r}"
    if crowd is not None and crowd not in (0, 1):
        return f"iscrowd must be 0 or 1, got {crowd!r}"
    if kp is not None and (not isinstance(kp, list) or len(kp) % 3 or not all(type(v) in (int, float) for v in kp)):
        return "keypoints must be a list of x, y, v numbers"
    if num is not None and (type(num) is not int or num < 0):
        return f"num_keypoints must be an integer >= 0, got {num!r}"
    return ""


def _box_problem(bbox: Any, width: int, height: int) -> str | None:
    if not isinstance(bbox, list) or len(bbox) != 4 or not all(isinstance(v, (int, float)) for v in bbox):
        return f"bbox must be 4 numbers, got {bbox!r}"
    x, y, w, h = bbox
    if w < 0 or h < 0:
        return f"bbox {bbox} has a negative size"
    if x < -BOX_SLACK_PX or y < -BOX_SLACK_PX or x + w > width + BOX_SLACK_PX or y + h > height + BOX_SLACK_PX:
        return f"bbox {bbox} lies outside the {width}x{height} image"
    return None


def read_coco(path: Path, options: ReadOptions) -> ReadResult:
    """Read a COCO file (or a synthgen dataset's ``annotations/coco.json``) into lazy samples."""
    file, root = coco_file_and_root(Path(path), options.images)
    data = load_json(file)
    if not isinstance(data, dict):
        raise DatasetError(f"{file}: a COCO file holds a JSON object")
    images, annotations = _list(data, "images", file), _list(data, "annotations", file)
    table, names = categories_of(_list(data, "categories", file), file)
    bad = BadRecords(options.on_bad)

    by_id: dict[Any, dict] = {}
    dropped_ids: set = set()
    for n, img in enumerate(images):
        where = f"{file} images[{n}]"
        if not isinstance(img, dict) or "id" not in img or not isinstance(img.get("file_name"), str):
            bad(where, "needs an id and a file_name")
            continue
        if (
            not isinstance(img.get("width"), int)
            or not isinstance(img.get("height"), int)
            or img["width"] <= 0
            or img["height"] <= 0
        ):
            bad(f"{where} (id {img['id']})", "needs a positive integer width and height")
            dropped_ids.add(img["id"])
            continue
        if img["id"] in by_id or img["id"] in dropped_ids:
            bad(f"{where} (id {img['id']})", f"duplicate image id {img['id']}; its annotations cannot be told apart")
            by_id.pop(img["id"], None)
            dropped_ids.add(img["id"])
            continue
        try:
            image_path = inside_dataset(root, img["file_name"], "file_name")
        except OutsideDataset as exc:
            bad(f"{where} (id {img['id']})", str(exc))
            dropped_ids.add(img["id"])
            continue
        if not image_path.is_file():
            bad(f"{where} (id {img['id']})", f"image file {image_path} not found")
            dropped_ids.add(img["id"])
            continue
        if options.check_sizes:
            size = image_size(image_path)
            if size is None:
                bad(f"{where} (id {img['id']})", f"{image_path} is not a readable image")
                dropped_ids.add(img["id"])
                continue
            if size != (img["width"], img["height"]):
                bad(
                    f"{where} (id {img['id']})",
                    f"{image_path} is {size[0]}x{size[1]} but the record says {img['width']}x{img['height']}",
                )
                dropped_ids.add(img["id"])
                continue
        by_id[img["id"]] = img

    valid: dict[Any, list[tuple[str, dict, str]]] = {i: [] for i in by_id}
    ann_ids: set = set()
    for n, ann in enumerate(annotations):
        where = f"{file} annotations[{n}] (id {ann.get('id') if isinstance(ann, dict) else None})"
        if not isinstance(ann, dict) or "image_id" not in ann or "category_id" not in ann or "bbox" not in ann:
            bad(where, "needs an image_id, a category_id and a bbox")
            continue
        if "id" in ann:
            if ann["id"] in ann_ids:
                bad(where, f"duplicate annotation id {ann['id']}")
                continue
            ann_ids.add(ann["id"])
        img = by_id.get(ann["image_id"])
        if img is None:
            if ann["image_id"] not in dropped_ids:  # those of a skipped image go with it
                bad(where, f"image_id {ann['image_id']} is not an image of the file")
            continue
        name = names.get(ann["category_id"])
        if name is None:
            bad(where, f"unknown category_id {ann['category_id']} (categories: {sorted(names)})")
            continue
        problem = _box_problem(ann["bbox"], img["width"], img["height"])
        if problem is not None:
            bad(where, problem)
            continue
        valid[ann["image_id"]].append((where, ann, name))

    samples = []
    names_list = list(table.names)
    for n, (image_id, img) in enumerate(by_id.items()):
        instances = instance_records(valid[image_id], img["height"], img["width"], bad)
        record = {
            "index": n,
            "file_name": img["file_name"],
            "width": img["width"],
            "height": img["height"],
            "categories": names_list,
            "meta": {"index": n, "coco_id": image_id},
            "instances": instances,
        }
        path = str(root / img["file_name"])
        origin = {"path": path, "id": image_id}
        samples.append(LazySample(record, table, ImageFile(path), origin, resolve=resolve_record))
    return ReadResult(table, samples, bad.skipped)


READER = ReaderKind(
    "coco", read_coco, "a COCO JSON file, or a dataset folder holding annotations/coco.json", file_suffixes=(".json",)
)
