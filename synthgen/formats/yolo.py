"""YOLO labels (``yolo/``): detection, segmentation or oriented boxes, with ``data.yaml``; writer and reader.

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

from synthgen.errors import DatasetError
from synthgen.formats.base import WriterKind, read_text, write_atomic
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


# --- reader --------------------------------------------------------------------------------------


def _read_data_yaml(folder: Path) -> tuple[list[str], str]:
    import yaml

    path = folder / "data.yaml"
    try:
        doc = yaml.safe_load(read_text(path))
    except yaml.YAMLError as exc:
        raise DatasetError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    names = doc.get("names") if isinstance(doc, dict) else None
    if isinstance(names, dict) and all(isinstance(k, int) for k in names) and sorted(names) == list(range(len(names))):
        names = [names[k] for k in range(len(names))]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DatasetError(f"{path}: names must map the class ids 0..n-1 to names")
    task = doc.get("task", "detect")
    if task not in TASKS.values():
        raise DatasetError(f"{path}: task {task!r} is not one of {', '.join(TASKS.values())}")
    return names, task


def _instance(numbers: list[float], name: str, task: str, width: int, height: int) -> Any:
    from pycocotools import mask as mask_utils

    from synthgen.types import Instance, TextRecord

    if task == "detect":
        cx, cy, bw, bh = numbers
        x0, y0, x1, y1 = (cx - bw / 2) * width, (cy - bh / 2) * height, (cx + bw / 2) * width, (cy + bh / 2) * height
        corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    else:
        corners = np.asarray(numbers, np.float64).reshape(-1, 2) * (width, height)
    if task == "detect":  # a box covers whole pixels: its mask is the pixels inside it
        mask = np.zeros((height, width), np.uint8)
        mask[int(round(y0)) : int(round(y1)), int(round(x0)) : int(round(x1))] = 1
        rle = mask_utils.encode(np.asfortranarray(mask))
    else:
        rle = mask_utils.merge(mask_utils.frPyObjects([corners.reshape(-1).tolist()], height, width))
        mask = mask_utils.decode(rle)
    rle = {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}
    ys, xs = np.nonzero(mask)
    bbox = (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)) if xs.size else (0, 0, 0, 0)
    text = TextRecord(transcription="", quad=corners.astype(np.float32)) if task == "obb" else None
    return Instance(category=name, bbox=bbox, area=int(mask.sum()), rle=rle, text=text)


def read_yolo(folder: str | Path) -> Iterator[Sample]:
    """Read a YOLO dataset folder (``data.yaml``, ``images/``, ``labels/``) as Samples, image by image.

    Detection boxes become box-shaped masks, segmentation polygons and oriented boxes are
    rasterised as pycocotools does (oriented boxes also kept as the text quad, transcription
    empty). Categories are ``data.yaml``'s names with ids 1..n in class order.

    Args:
        folder: the folder holding ``data.yaml`` (a synthgen dataset's ``yolo/``, or its root).

    Yields:
        Samples in image-name order; ``meta`` holds ``source: real:yolo``, the image path and index.
    """
    from synthgen.dataset import _decode
    from synthgen.types import Labels

    folder = Path(folder)
    if not (folder / "data.yaml").is_file() and (folder / FOLDER / "data.yaml").is_file():
        folder = folder / FOLDER
    if not (folder / "data.yaml").is_file():
        raise DatasetError(f"{folder}: no data.yaml; not a YOLO dataset folder")
    names, task = _read_data_yaml(folder)
    table = CategoryTable.of_names(names)
    images = sorted(p for p in (folder / "images").iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp", ".webp"))
    expected = {"detect": 4, "obb": 8}
    for index, image_path in enumerate(images):
        image = _decode(image_path)
        height, width = image.shape[:2]
        label_file = folder / "labels" / f"{image_path.stem}.txt"
        instances = []
        lines = read_text(label_file).splitlines() if label_file.is_file() else []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{label_file}: line {number}"
            fields = line.split()
            try:
                cls, numbers = int(fields[0]), [float(v) for v in fields[1:]]
            except ValueError:
                raise DatasetError(f"{where}: expected a class id and numbers, got {line!r}") from None
            if not 0 <= cls < len(names):
                raise DatasetError(f"{where}: class {cls} is not in data.yaml's names (0..{len(names) - 1})")
            want = expected.get(task)
            if (want is not None and len(numbers) != want) or (task == "segment" and (len(numbers) < 6 or len(numbers) % 2)):
                raise DatasetError(f"{where}: {len(numbers)} numbers do not make a {task} label")
            instances.append(_instance(numbers, names[cls], task, width, height))
        meta = {"index": index, "source": "real:yolo", "file_name": str(image_path.relative_to(folder))}
        yield Sample(image=image, labels=Labels(instances=tuple(instances), categories=table), meta=meta)
