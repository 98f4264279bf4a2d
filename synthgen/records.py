"""The one serialiser of the sample model: ``Sample`` <-> JSON-able record.

Shard records, ``synthgen regress`` and every writer and reader go through ``to_record`` /
``from_record``; no other list of fields exists. A sample record::

    {"index", "file_name", "width", "height", "sha256",
     "categories": [names in the run table's order], "meta": {...},
     "camera": {"intrinsics": [9], "extrinsics": [16], "width", "height"}     (3D scenes)
     "instances": [instance records]}

An instance record holds ``category``, ``bbox`` [x, y, w, h], ``area``, ``segmentation`` (COCO
compressed RLE) and, where known: ``text`` (transcription), ``quad`` (8 numbers), ``chars`` and
``char_quads``, ``polygon`` (2N numbers), ``attributes``, ``amodal_bbox`` [x, y, w, h],
``occlusion``, ``truncation``, ``keypoints`` ([x, y, v] * K, as COCO), ``box3d``
(``center``, ``dimensions``, ``yaw``). Coordinates are rounded to 3 decimals, which keeps files
small and stable across CPUs whose last float bits differ. A real instance adds ``original``:
its dataset's own values of those labels, exactly as read (``OriginalLabels``).

A record in a shard file may also hold ``derived``: writer name -> what that writer derives from
the record for its dataset-level file, computed in the shard producers
(``synthgen.formats.base.WriterKind.derive``; COCO's polygons). It is not part of the sample model:
``from_record`` ignores it and a writer gives the same bytes without it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synthgen.types import Box3D, Camera, Category, CategoryTable, Instance, Labels, OriginalLabels, Sample, TextRecord

# the key of a shard record's writer-derived data (not part of the sample model)
DERIVED = "derived"
# the key of a real instance's labels as its dataset holds them (``OriginalLabels``): not a label
# of its own but the source's values of ``bbox``, ``area``, ``segmentation``, ``keypoints`` (and
# COCO's ``iscrowd``, ``num_keypoints``), written last and kept byte for byte (never rounded)
ORIGINAL = "original"
ORIGINAL_KEYS = ("bbox", "area", "segmentation", "iscrowd", "keypoints", "num_keypoints")

# every key an instance record may hold, in the order it is written
INSTANCE_KEYS = (
    "category",
    "bbox",
    "area",
    "segmentation",
    "text",
    "quad",
    "chars",
    "char_quads",
    "polygon",
    "attributes",
    "amodal_bbox",
    "occlusion",
    "truncation",
    "keypoints",
    "box3d",
)


def floats(values: Any, decimals: int = 3) -> list[float]:
    """A flat list of rounded floats."""
    return [round(float(v), decimals) for v in np.asarray(values, np.float64).reshape(-1)]


def instance_to_record(inst: Instance) -> dict[str, Any]:
    """The JSON-able record of one Instance (keys absent where the instance has no value)."""
    rec: dict[str, Any] = {
        "category": inst.category,
        "bbox": [int(v) for v in inst.bbox],
        "area": int(inst.area),
        "segmentation": inst.rle,
    }
    text = inst.text
    if text is not None:
        rec["text"] = text.transcription
        if text.quad is not None:
            rec["quad"] = floats(text.quad)
        if text.chars is not None and text.char_quads is not None:
            rec["chars"] = text.chars
            rec["char_quads"] = [floats(q) for q in text.char_quads]
        if text.polygon is not None:
            rec["polygon"] = floats(text.polygon)
    if inst.attributes:
        rec["attributes"] = inst.attributes
    if inst.amodal_bbox is not None:
        rec["amodal_bbox"] = floats(inst.amodal_bbox)
    if inst.occlusion is not None:
        rec["occlusion"] = round(float(inst.occlusion), 4)
    if inst.truncation is not None:
        rec["truncation"] = round(float(inst.truncation), 4)
    if inst.keypoints is not None:
        kp = np.asarray(inst.keypoints, np.float64).reshape(-1, 3)
        rec["keypoints"] = [v for x, y, vis in kp for v in (round(x, 3), round(y, 3), int(vis))]
    if inst.box3d is not None:
        rec["box3d"] = {
            "center": floats(inst.box3d.center, 4),
            "dimensions": floats(inst.box3d.dimensions, 4),
            "yaw": round(float(inst.box3d.yaw), 6),
        }
    if inst.original is not None:
        rec[ORIGINAL] = original_to_record(inst.original)
    return rec


def original_to_record(original: OriginalLabels) -> dict[str, Any]:
    """The record of a real instance's labels as read: the values as they are, absent ones left out."""
    return {k: v for k in ORIGINAL_KEYS if (v := getattr(original, k)) is not None}


def original_from_record(rec: dict[str, Any]) -> OriginalLabels:
    return OriginalLabels(**{k: rec[k] for k in ORIGINAL_KEYS if k in rec})


def _array(values: Any, shape: tuple[int, ...]) -> np.ndarray:
    return np.asarray(values, np.float32).reshape(shape)


def instance_from_record(rec: dict[str, Any]) -> Instance:
    """The Instance of an instance record (the inverse of ``instance_to_record``)."""
    text = None
    if "text" in rec:
        char_quads = rec.get("char_quads")
        text = TextRecord(
            transcription=rec["text"],
            quad=_array(rec["quad"], (4, 2)) if "quad" in rec else None,
            chars=rec.get("chars"),
            char_quads=_array(char_quads, (-1, 4, 2)) if char_quads is not None else None,
            polygon=_array(rec["polygon"], (-1, 2)) if "polygon" in rec else None,
        )
    box3d = None
    if "box3d" in rec:
        b = rec["box3d"]
        box3d = Box3D(np.asarray(b["center"], np.float64), np.asarray(b["dimensions"], np.float64), float(b["yaw"]))
    return Instance(
        category=rec["category"],
        bbox=tuple(int(v) for v in rec["bbox"]),  # type: ignore[arg-type]
        area=int(rec["area"]),
        rle=rec["segmentation"],
        amodal_bbox=tuple(float(v) for v in rec["amodal_bbox"]) if "amodal_bbox" in rec else None,  # type: ignore[arg-type]
        occlusion=float(rec["occlusion"]) if "occlusion" in rec else None,
        truncation=float(rec["truncation"]) if "truncation" in rec else None,
        keypoints=_array(rec["keypoints"], (-1, 3)) if "keypoints" in rec else None,
        box3d=box3d,
        attributes=dict(rec.get("attributes", {})),
        text=text,
        original=original_from_record(rec[ORIGINAL]) if ORIGINAL in rec else None,
    )


def camera_to_record(camera: Camera) -> dict[str, Any]:
    return {
        "intrinsics": floats(camera.intrinsics, 6),
        "extrinsics": floats(camera.extrinsics, 6),
        "width": int(camera.width),
        "height": int(camera.height),
    }


def camera_from_record(rec: dict[str, Any]) -> Camera:
    return Camera(
        intrinsics=np.asarray(rec["intrinsics"], np.float64).reshape(3, 3),
        extrinsics=np.asarray(rec["extrinsics"], np.float64).reshape(4, 4),
        width=int(rec["width"]),
        height=int(rec["height"]),
    )


def to_record(sample: Sample, file_name: str, sha256: str) -> dict[str, Any]:
    """The JSON-able record of a sample: everything but the pixels and the dense layers.

    Args:
        sample: the sample.
        file_name: its image's path relative to the dataset root (``images/000000007.png``).
        sha256: hex digest of the image file's bytes.
    """
    h, w = sample.image.shape[:2]
    rec: dict[str, Any] = {
        "index": sample.meta["index"],
        "file_name": file_name,
        "width": int(w),
        "height": int(h),
        "sha256": sha256,
        "categories": list(sample.labels.categories.names),
        "meta": sample.meta,
    }
    if sample.labels.camera is not None:
        rec["camera"] = camera_to_record(sample.labels.camera)
    rec["instances"] = [instance_to_record(i) for i in sample.labels.instances]
    return rec


def from_record(rec: dict[str, Any], image: np.ndarray, categories: CategoryTable | None = None) -> Sample:
    """The Sample of a record (the inverse of ``to_record``).

    Args:
        rec: a sample record.
        image: (H, W, 3) uint8 pixels of ``rec["file_name"]``.
        categories: the run's category table (a dataset's manifest holds it); None builds one
            from the record's names with ids 1, 2, ...
    """
    table = categories if categories is not None else CategoryTable.of_names(rec["categories"])
    labels = Labels(
        instances=tuple(instance_from_record(i) for i in rec["instances"]),
        categories=table,
        camera=camera_from_record(rec["camera"]) if "camera" in rec else None,
    )
    return Sample(image=image, labels=labels, meta=rec["meta"])


def table_to_record(table: CategoryTable) -> list[dict[str, Any]]:
    """The category table as the manifest and COCO hold it."""
    out = []
    for c in table.categories:
        entry: dict[str, Any] = {"id": c.id, "name": c.name}
        if c.keypoints:
            entry["keypoints"] = list(c.keypoints)
            entry["skeleton"] = [list(p) for p in c.skeleton]
        if c.color is not None:
            entry["color"] = list(c.color)
        out.append(entry)
    return out


def table_from_record(entries: list[dict[str, Any]]) -> CategoryTable:

    return CategoryTable(
        tuple(
            Category(
                id=int(e["id"]),
                name=str(e["name"]),
                keypoints=tuple(e.get("keypoints", ())),
                skeleton=tuple(tuple(p) for p in e.get("skeleton", ())),  # type: ignore[misc]
                color=tuple(e["color"]) if e.get("color") is not None else None,  # type: ignore[arg-type]
            )
            for e in entries
        )
    )
