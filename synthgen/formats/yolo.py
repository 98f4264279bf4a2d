"""YOLO labels (``yolo/``): detection, segmentation or oriented boxes, with ``data.yaml``; the writer (its
reader, the inverse, is ``yolo_reader``).

Layout, as Ultralytics and most YOLO trainers read it::

    yolo/data.yaml           names (class id -> name), train/val: images, the task
    yolo/images -> ../images  a link to the dataset's images (labels are found by replacing
                              /images/ with /labels/ in an image's path)
    yolo/labels/<stem>.txt   one line per visible instance, coordinates normalised to 0..1

``writers: {yolo: {mode: detect | segment | obb}}`` picks the line format:

- ``detect``: ``class cx cy w h`` (the instance's box: the extent of its visible pixels);
- ``segment``: ``class x1 y1 x2 y2 ...``: the mask as one polygon (``coco.mask_polygon``: parts and
  holes joined by zero-width cuts, as Ultralytics' own COCO converter joins parts);
- ``obb``: ``class x1 y1 x2 y2 x3 y3 x4 y4``: a text instance's quad, or the smallest rotated
  rectangle around any other instance's pixels.

Class ids are the positions of the run's category table (0-based and contiguous, as YOLO needs).
An instance with no visible pixel is not written (as in COCO).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthgen.formats.base import WriterKind, write_atomic
from synthgen.formats.coco import mask_polygon, mask_polygons
from synthgen.types import CategoryTable, Sample

FOLDER = "yolo"
DECIMALS = 6  # normalised coordinates: a millionth of the image side


@dataclass(frozen=True)
class YoloOptions:
    """``writers: {yolo: {...}}``.

    Attributes:
        mode: ``detect`` (default), ``segment`` or ``obb`` (see the module docstring).
    """

    mode: str = "detect"
    CHOICES = {"mode": ("detect", "segment", "obb")}


TASKS = {"detect": "detect", "segment": "segment", "obb": "obb"}


def label_path(file_name: str) -> str:
    """The label file (relative to the dataset root) of an image path such as ``images/000000007.png``."""
    return f"{FOLDER}/labels/{Path(file_name).stem}.txt"


def _pixel_rectangle(rle: dict) -> np.ndarray:
    """(4, 2) corners of the smallest rotated rectangle around a mask's pixel squares."""
    import cv2

    outline = np.concatenate([np.asarray(p).reshape(-1, 2) for p in mask_polygons(rle)])
    corners = (outline[:, None, :] + np.array([[-0.25, -0.25], [0.25, -0.25], [0.25, 0.25], [-0.25, 0.25]])).reshape(-1, 2)
    return cv2.boxPoints(cv2.minAreaRect(corners.astype(np.float32))).astype(np.float64)


def _numbers(values: Any, width: int, height: int) -> str:
    pts = np.asarray(values, np.float64).reshape(-1, 2) / (width, height)
    return " ".join(f"{v:.{DECIMALS}f}" for v in np.clip(pts, 0.0, 1.0).reshape(-1))


def yolo_text(record: dict[str, Any], mode: str = "detect") -> str:
    """The YOLO label file content of one sample record."""
    classes = {name: k for k, name in enumerate(record["categories"])}
    w, h = record["width"], record["height"]
    lines = []
    for inst in record["instances"]:
        if inst["area"] <= 0:
            continue
        cls = classes[inst["category"]]
        if mode == "detect":
            x, y, bw, bh = inst["bbox"]
            body = _numbers([x + bw / 2, y + bh / 2, bw, bh], w, h)
        elif mode == "segment":
            body = _numbers(mask_polygon(inst["segmentation"]), w, h)
        else:
            body = _numbers(inst["quad"] if "quad" in inst else _pixel_rectangle(inst["segmentation"]), w, h)
        lines.append(f"{cls} {body}\n")
    return "".join(lines)


def write_sample(sample: Sample, record: dict[str, Any], root: Path, options: YoloOptions = YoloOptions()) -> None:
    path = root / label_path(record["file_name"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(yolo_text(record, options.mode).encode("utf-8"))


def data_yaml(categories: CategoryTable, mode: str) -> str:
    """``data.yaml``: no ``path`` key, so trainers take the file's own folder as the dataset root."""
    import yaml

    names = {k: c.name for k, c in enumerate(categories.categories)}
    doc = {"train": "images", "val": "images", "task": TASKS[mode], "nc": len(names), "names": names}
    return "# synthgen dataset; labels in labels/, images in images/ (a link to ../images)\n" + yaml.safe_dump(
        doc, sort_keys=False, allow_unicode=True
    )


def finalize(records: Iterable[dict], root: Path, categories: CategoryTable, options: YoloOptions = YoloOptions()) -> list[str]:
    write_atomic(root / FOLDER / "data.yaml", data_yaml(categories, options.mode).encode("utf-8"))
    link = root / FOLDER / "images"
    if not link.is_symlink() and not link.exists():
        link.symlink_to(Path("..") / "images", target_is_directory=True)
    return [f"{FOLDER}/data.yaml"]


WRITER = WriterKind(
    "yolo",
    write_sample=write_sample,
    finalize=finalize,
    options=YoloOptions,
    entries=(FOLDER,),
    omits={
        "area": "YOLO lines hold a class and coordinates only",
        "segmentation": "written as a polygon with mode: segment; boxes or rotated boxes otherwise",
        "text": "not in YOLO (COCO and ICDAR keep it)",
        "quad": "written as the rotated box with mode: obb",
        **{key: "not in YOLO (COCO keeps it)" for key in ("chars", "char_quads", "polygon", "attributes")},
        **{key: "not in YOLO (COCO keeps it)" for key in ("amodal_bbox", "occlusion", "truncation", "keypoints", "box3d")},
        "camera": "YOLO has no camera; the manifest and the shard records keep it",
    },
)


# --- reader (synthgen.formats.yolo_reader) -----------------------------------------------------


def read_yolo(folder: str | Path) -> Iterator[Sample]:
    """The samples of a YOLO dataset folder, images decoded (the ``yolo`` reader's, materialised).

    Args:
        folder: the folder holding ``data.yaml`` (a synthgen dataset's ``yolo/``, or its root).

    Yields:
        Samples in image-path order; ``meta`` holds the index and the image path below ``folder``.
    """
    from synthgen.formats.base import ReadOptions
    from synthgen.formats.yolo_reader import read_yolo_dataset

    for lazy in read_yolo_dataset(Path(folder), ReadOptions()).samples:
        yield lazy.materialize()
