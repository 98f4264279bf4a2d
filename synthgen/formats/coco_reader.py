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
(always an error; so is one nested too deep or holding an integer of more than 4,300 digits),
every field's type and range before it is used (``synthgen.formats.fields``: ids whole numbers of
at most 64 bits, sizes 1..65,536, coordinates finite and near the image, RLE runs that cover the
image exactly, the extra fields' types), duplicate category ids, duplicate image or annotation ids, an annotation of an
unknown image or category, a box outside its image, a missing image file and an image whose size
differs from its record (read from the file's header).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from synthgen.errors import DatasetError
from synthgen.formats.base import BadRecords, ReaderKind, ReadOptions, ReadResult, image_size
from synthgen.formats.coco import PATH, extra_keys
from synthgen.formats.fields import (
    MAX_MEASURE,
    MAX_PIXELS,
    coordinate_bounds,
    depth_problem,
    id_problem,
    is_number,
    numbers_problem,
    points_problem,
    side_problem,
    type_name,
    value_text,
)
from synthgen.formats.paths import OutsideDataset, inside_dataset
from synthgen.lazy import ImageFile, LazySample
from synthgen.records import (
    instance_from_record, instance_to_record, keys_of, original_keys, record_with, table_from_record,
)
from synthgen.types import CategoryTable, Instance, OriginalLabels

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
    except RecursionError:
        raise DatasetError(f"{file}: not readable JSON: nested too deep") from None
    except ValueError as exc:  # an integer of more than 4,300 digits (sys.set_int_max_str_digits)
        raise DatasetError(f"{file}: not readable JSON: {str(exc).split(';')[0]}") from None


def _list(data: dict, key: str, file: Path) -> list:
    value = data.get(key, [] if key == "annotations" else None)
    if not isinstance(value, list):
        raise DatasetError(f"{file}: '{key}' must be a list")
    return value


def categories_of(entries: list, file: Path) -> tuple[CategoryTable, dict[int, str]]:
    seen: dict[int, str] = {}
    for n, e in enumerate(entries):
        if not isinstance(e, dict) or id_problem(e.get("id"), "id") or not isinstance(e.get("name"), str):
            raise DatasetError(f"{file}: categories[{n}]: needs an integer id and a name")
        problem = _category_problem(e)
        if problem:
            raise DatasetError(f"{file}: categories[{n}]: {problem}")
        if e["id"] in seen:
            raise DatasetError(f"{file}: categories[{n}]: duplicate category id {e['id']}")
        if e["name"] in seen.values():
            raise DatasetError(f"{file}: categories[{n}]: duplicate category name {e['name']!r}")
        seen[e["id"]] = e["name"]
    table = table_from_record(sorted(entries, key=lambda e: e["id"]))
    return table, seen


def _category_problem(entry: dict) -> str:
    """What is wrong with a category's keypoint names, skeleton or colour, or ""."""
    keypoints = entry.get("keypoints", [])
    if not isinstance(keypoints, list) or not all(isinstance(k, str) for k in keypoints):
        return "keypoints must be a list of names"
    skeleton = entry.get("skeleton", [])
    ok = isinstance(skeleton, list) and all(
        isinstance(edge, list) and len(edge) == 2 and all(type(k) is int and 1 <= k <= len(keypoints) for k in edge)
        for edge in skeleton
    )
    if not ok:
        return f"skeleton must be a list of [a, b] keypoint numbers in 1..{len(keypoints)}"
    color = entry.get("color")
    if color is not None and (
        not isinstance(color, list) or len(color) != 3 or not all(type(c) is int and 0 <= c <= 255 for c in color)
    ):
        return "color must be 3 whole numbers in 0..255"
    return ""


def _dict_rle(seg: dict, height: int, width: int) -> dict:
    """Compressed RLE (bytes counts) of an uncompressed or compressed COCO RLE segmentation."""
    from pycocotools import mask as mask_utils

    counts = seg.get("counts")
    if isinstance(counts, list):
        return mask_utils.frPyObjects(seg, height, width)
    if list(seg["size"]) != [height, width]:
        raise ValueError(f"RLE size {seg['size']} is not the image's [{height}, {width}]")
    return {"size": seg["size"], "counts": counts.encode("ascii") if isinstance(counts, str) else counts}


def _polygon_problem(seg: list, width: int, height: int) -> str:
    """What keeps pycocotools from rasterising a list of polygons, or "": each a list of at least
    3 x, y pairs of finite numbers within ``fields.coordinate_bounds`` (pycocotools walks every
    pixel step of an edge: a NaN or a huge coordinate made it allocate until the process was
    killed, or crash)."""
    for p in seg:
        if not isinstance(p, list) or len(p) < 6 or len(p) % 2:
            return "a polygon must be a list of at least 3 x, y pairs"
        for v in p:
            if type(v) not in (int, float):
                return f"unreadable polygon (coordinate {value_text(v)} is not a number)"
        problem = points_problem(p, "a polygon", width, height, min_points=3)
        if problem:
            return problem
    return ""


def rle_problem(seg: dict, height: int, width: int) -> str:
    """What keeps a COCO RLE segmentation from being a mask of this image, or "": ``size`` must be
    the image's and the runs (an uncompressed list of whole numbers, or compressed text) must
    cover its pixels exactly, no more (pycocotools' decode writes as many pixels as the runs say)."""
    from synthgen.formats.polygons import rle_counts

    size, counts = seg.get("size"), seg.get("counts")
    if not isinstance(size, list) or len(size) != 2 or not all(type(v) is int for v in size):
        return f"RLE size must be [height, width], got {value_text(size)}"
    if size != [height, width]:
        return f"RLE size {size} is not the image's [{height}, {width}]"
    if isinstance(counts, list):
        if not all(type(v) is int and 0 <= v <= MAX_PIXELS for v in counts):
            return "RLE counts must be whole numbers >= 0"
        total = sum(counts)
    elif isinstance(counts, str):
        if not counts.isascii():
            return "RLE counts must be ASCII text"
        runs = rle_counts(counts)
        if (runs < 0).any() or (runs > MAX_PIXELS).any():
            return "RLE counts decode to runs outside 0..the image's pixels"
        total = int(runs.sum())
    else:
        return f"RLE counts must be a list or text, got {type_name(counts)}"
    if total != height * width:
        return f"RLE runs cover {total} pixels, not the image's {height * width}"
    return ""


@dataclass(frozen=True)
class PendingMask:
    """An instance's mask not yet rasterised: its COCO ``polygons``, or the ``box`` [x, y, w, h] of an
    annotation without a segmentation. ``resolve_record`` turns it into the RLE, bbox and area."""

    polygons: list | None = None
    box: list | None = None


# the keys of an instance record that its mask gives (a pending instance's record lacks bbox and
# area, and holds its PendingMask as its segmentation)
_BOX_KEYS = keys_of(("bbox", "area"))
_MASK_KEY = keys_of(("rle",))[0]


def _with_mask(rec: dict[str, Any], rle: dict, area: int, extent: list[int]) -> dict[str, Any]:
    """A (pending) instance record, written from a typed instance, completed with its mask's fields
    (by their codecs, in the serialiser's key order)."""
    return record_with(
        rec,
        bbox=tuple(extent) if area else (0, 0, 0, 0),
        area=int(area),
        rle={"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")},
    )


def resolve_record(record: dict[str, Any]) -> dict[str, Any]:
    """A sample record whose ``PendingMask`` instances are rasterised (pycocotools, one call per kind
    for the image); bbox and area are the extent and pixel count of each mask."""
    import numpy as np
    from pycocotools import mask as mask_utils

    instances = record["instances"]
    pending = [j for j, inst in enumerate(instances) if isinstance(inst.get(_MASK_KEY), PendingMask)]
    if not pending:
        return record
    height, width = record["height"], record["width"]
    rles: dict[int, Any] = {}
    polygons, owners, boxes, box_owners = [], [], [], []
    for j in pending:
        mask = instances[j][_MASK_KEY]
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
        done[j] = _with_mask(instances[j], rle, area, extent)
    return {**record, "instances": done}


def annotation_instance(ann: dict, name: str) -> Instance:
    """The typed labels of a checked annotation (``extra_problem``, ``_original_problem``), its mask
    left empty (bbox and area 0): the writer's extra fields decoded by the one serialiser (the
    annotation holds them under their record keys), ``iscrowd: 1`` as an attribute, the keypoints,
    and COCO's own values as read (``original``)."""
    import numpy as np

    # foreign JSON, checked above key by key: its extra fields are record keys (the serialiser's)
    extras = {key: ann[key] for key in extra_keys() if key in ann}
    given = dict(
        category=name,
        bbox=(0, 0, 0, 0),
        area=0,
        rle={},
        keypoints=np.asarray(ann["keypoints"], np.float64).reshape(-1, 3) if "keypoints" in ann else None,
        # the annotation's own values, which the writers give back as they are (the mask's box and
        # pixel count are what the pixels say; a dataset's boxes are often not the tight boxes of
        # its polygons, nor its areas their pixel counts). An empty segmentation is a missing one:
        # pycocotools cannot rasterise [], so the writer derives it (the box's mask)
        original=OriginalLabels(**{key: ann[key] for key in original_keys() if ann.get(key) not in (None, [])}),
    )
    inst = instance_from_record(extras, exact=True, **given) if extras else Instance(**given)
    if ann.get("iscrowd"):
        inst = replace(inst, attributes={**inst.attributes, "iscrowd": 1})
    return inst


def instance_records(items: list[tuple[str, dict, str]], height: int, width: int, bad: BadRecords) -> list[dict]:
    """The instance records of one image's annotations ((where, annotation, category name) each),
    written from typed instances (``annotation_instance``).

    Polygons and boxes are checked here and rasterised only when the record is resolved (writing
    needs the masks, planning a mix does not): their record lacks bbox and area, and its
    ``segmentation`` is a ``PendingMask``. RLE segmentations are read now (their bbox and area come
    cheap). An annotation whose segmentation cannot be read goes to ``bad``."""
    import numpy as np
    from pycocotools import mask as mask_utils

    out: list[dict] = []
    rle_owners: list[int] = []
    rles = []
    for where, ann, name in items:
        seg = ann.get("segmentation")
        pending = None
        if isinstance(seg, dict):
            problem = rle_problem(seg, height, width)
            if problem:
                bad(where, f"unreadable RLE segmentation ({problem})")
                continue
            try:
                rle = _dict_rle(seg, height, width)
            except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
                bad(where, f"unreadable RLE segmentation ({type(exc).__name__})")
                continue
        elif isinstance(seg, list) and seg:
            problem = _polygon_problem(seg, width, height)
            if problem:
                bad(where, problem)
                continue
            pending = PendingMask(polygons=seg)
        elif seg is None or seg == []:  # no segmentation: the mask of the box
            pending = PendingMask(box=ann["bbox"])
        else:
            bad(where, f"segmentation must be polygons or an RLE mapping, got {type_name(seg)}")
            continue
        problem = _original_problem(ann, width, height) or extra_problem(ann, width, height)
        if problem:
            bad(where, problem)
            continue
        rec = instance_to_record(annotation_instance(ann, name))
        if pending is not None:
            rec = {k: v for k, v in rec.items() if k not in _BOX_KEYS}
            rec[_MASK_KEY] = pending
        else:  # only now: an annotation skipped above must leave no RLE behind
            rles.append(rle)
            rle_owners.append(len(out))
        out.append(rec)
    if rles:
        areas = mask_utils.area(rles).tolist()
        extents = np.rint(mask_utils.toBbox(rles)).astype(int).tolist()
        for j, rle, area, extent in zip(rle_owners, rles, areas, extents):
            out[j] = _with_mask(out[j], rle, area, extent)
    return out


def _original_problem(ann: dict, width: int, height: int) -> str:
    """What is wrong with the values kept as read besides bbox and segmentation, or ""."""
    area, crowd, kp, num = (ann.get(k) for k in ("area", "iscrowd", "keypoints", "num_keypoints"))
    if area is not None and (not is_number(area) or area < 0 or area > MAX_PIXELS):
        return f"area must be a number >= 0, got {value_text(area)}"
    if crowd is not None and (type(crowd) is not int or crowd not in (0, 1)):
        return f"iscrowd must be 0 or 1, got {value_text(crowd)}"
    if kp is not None:
        if not isinstance(kp, list) or len(kp) % 3 or not all(type(v) in (int, float) for v in kp):
            return "keypoints must be a list of x, y, v numbers"
        (x0, x1), (y0, y1) = coordinate_bounds(width, height)
        for x, y, v in zip(kp[0::3], kp[1::3], kp[2::3]):
            if not (is_number(x) and is_number(y) and x0 <= x <= x1 and y0 <= y <= y1):
                return f"keypoints hold a point far outside the {width}x{height} image or not finite"
            if v not in (0, 1, 2):
                return f"keypoint visibility must be 0, 1 or 2, got {value_text(v)}"
    if num is not None and (type(num) is not int or num < 0):
        return f"num_keypoints must be an integer >= 0, got {value_text(num)}"
    return ""


def extra_problem(ann: dict, width: int, height: int) -> str:
    """What is wrong with the writer's extra fields (``coco.extra_keys``) an annotation holds, or ""."""
    text, chars, char_quads = ann.get("text"), ann.get("chars"), ann.get("char_quads")
    if text is not None and not isinstance(text, str):
        return f"text must be text, got {type_name(text)}"
    if "quad" in ann and (problem := points_problem(ann["quad"], "quad", width, height, count=4)):
        return problem
    if chars is not None and not isinstance(chars, str):
        return f"chars must be text, got {type_name(chars)}"
    if char_quads is not None:
        if not isinstance(char_quads, list) or (chars is not None and len(char_quads) != len(chars)):
            return "char_quads must be a list of one quad per character of chars"
        for q in char_quads:
            if problem := points_problem(q, "a char quad", width, height, count=4):
                return problem
    if "polygon" in ann and (problem := points_problem(ann["polygon"], "polygon", width, height, min_points=3)):
        return problem
    attributes = ann.get("attributes")
    if attributes is not None:
        if not isinstance(attributes, dict):
            return f"attributes must be a mapping, got {type_name(attributes)}"
        if problem := depth_problem(attributes, "attributes"):
            return problem
    if "amodal_bbox" in ann:
        problem = numbers_problem(ann["amodal_bbox"], "amodal_bbox", 4, -MAX_MEASURE, MAX_MEASURE)
        if problem or ann["amodal_bbox"][2] < 0 or ann["amodal_bbox"][3] < 0:
            return problem or "amodal_bbox has a negative size"
    for key in ("occlusion", "truncation"):
        v = ann.get(key)
        if v is not None and (not is_number(v) or not 0 <= v <= 1):
            return f"{key} must be a number in 0..1, got {value_text(v)}"
    box3d = ann.get("box3d")
    if box3d is not None:
        if not isinstance(box3d, dict):
            return f"box3d must be a mapping (center, dimensions, yaw), got {type_name(box3d)}"
        problem = (
            numbers_problem(box3d.get("center"), "box3d.center", 3, -MAX_MEASURE, MAX_MEASURE)
            or numbers_problem(box3d.get("dimensions"), "box3d.dimensions", 3, 0, MAX_MEASURE)
            or numbers_problem([box3d.get("yaw")], "box3d.yaw", 1, -MAX_MEASURE, MAX_MEASURE)
        )
        if problem:
            return problem
    return ""


def _box_problem(bbox: Any, width: int, height: int) -> str | None:
    if not isinstance(bbox, list) or len(bbox) != 4 or not all(is_number(v) for v in bbox):
        return f"bbox must be 4 finite numbers, got {value_text(bbox)}"
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
        problem = id_problem(img["id"], "id")
        if problem:
            bad(where, problem)
            continue
        problem = side_problem(img.get("width"), img.get("height"))
        if problem:
            bad(f"{where} (id {img['id']})", f"needs a positive integer width and height: {problem}")
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
        where = f"{file} annotations[{n}] (id {value_text(ann.get('id')) if isinstance(ann, dict) else None})"
        if not isinstance(ann, dict) or "image_id" not in ann or "category_id" not in ann or "bbox" not in ann:
            bad(where, "needs an image_id, a category_id and a bbox")
            continue
        problem = next(
            (p for key in ("id", "image_id", "category_id") if key in ann and (p := id_problem(ann[key], key))), ""
        )
        if problem:
            bad(where, problem)
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
    read_coco, "a COCO JSON file, or a dataset folder holding annotations/coco.json", file_suffixes=(".json",)
)
