"""YOLO reader, the inverse of the ``yolo`` writer; reads Ultralytics-style detection, segmentation,
oriented-box and pose datasets.

``path`` is the folder holding ``data.yaml`` (a synthgen dataset's ``yolo/``, the dataset root above
it, or an Ultralytics dataset). ``data.yaml``'s ``names`` (a list, or a mapping of the class ids
0..n-1) become the category table with ids 1..n in class order; its ``task`` (``detect``,
``segment``, ``obb`` or ``pose``; ``detect`` when absent) says what a label line holds. A pose
dataset's ``kpt_shape`` ([K, 3], or [K, 2] without visibility) gives the keypoints of a line, and
``kpt_names`` (class id -> up to K names) the categories that have keypoints and their names, in a
line's first slots (without it, every class has keypoints named ``0`` .. ``K-1``, as Ultralytics
names them). Images are those under the folders that ``train``, ``val`` and ``test`` name (relative
to ``path:`` or to ``data.yaml``'s folder; each distinct folder once), or under
``ReadOptions.images``; an image's label file is its path with the last ``images`` folder replaced
by ``labels`` and the suffix by ``.txt``, as Ultralytics finds it (with ``ReadOptions.images``:
``labels/`` beside ``data.yaml``). This reads the ``yolo`` writer's layout (``yolo/images/`` of hard
links) and its earlier one (``yolo/images`` a link to ``../images``: the folder is read through the
link, its label files found beside it, unresolved). An image without a label file holds no instance
(a background image, as YOLO trainers read it).

Each line becomes an instance record whose mask is what the line describes, rasterised as
pycocotools rasterises polygons: a detection box becomes the whole pixels it covers (its corners
rounded to the pixel grid, the inverse of the writer's box of a mask's extent), a segmentation
polygon and an oriented box their polygon; bbox and area are the extent and pixel count of that
mask. An oriented box is also kept as the instance's quad (with an empty transcription), so a
round trip gives back a text instance's quad. A pose line is a detection box and the instance's
keypoints (pixels, COCO visibility; without visibility in the file, 2 where labelled and 0 where a
coordinate is negative, as Ultralytics reads it); a category without keypoints keeps none.

Checked while reading, each naming the file and line (or image): a label line that is not a class
id and numbers, a class id outside ``names``, a count of numbers that is not the task's, a
coordinate outside the image (0..1 with half a pixel of slack), a keypoint visibility that is not
0, 1 or 2, an unreadable image, two images with one label file (same stem in one folder), and a
pose ``data.yaml`` without a valid ``kpt_shape`` or with ``kpt_names`` that do not fit it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from synthgen.errors import DatasetError
from synthgen.extensions import domain_label_class
from synthgen.formats.base import IMAGE_SUFFIXES, BadRecords, ReaderKind, ReadOptions, ReadResult, image_size, read_text
from synthgen.formats.fields import read_record_text, side_problem, value_text
from synthgen.formats.paths import OutsideDataset, found_inside, inside_dataset
from synthgen.formats.yolo import FOLDER, TASKS
from synthgen.lazy import ImageFile, LazySample
from synthgen.records import instance_to_record
from synthgen.types import Category, CategoryTable, Instance

NUMBERS = {"detect": 4, "obb": 8}  # numbers after the class id; segment: an even count >= 6; pose: 4 + K * dims
SLACK_PX = 0.5
MAX_NUMBER = 1e6  # a label line's numbers (normalised coordinates, visibilities)
MAX_KEYPOINTS = 1024  # K of kpt_shape: each class gets K keypoint names


def yolo_folder(path: Path) -> Path:
    """The folder holding ``data.yaml``: ``path`` itself, or its ``yolo/``."""
    if not (path / "data.yaml").is_file() and (path / FOLDER / "data.yaml").is_file():
        path = path / FOLDER
    if not (path / "data.yaml").is_file():
        raise DatasetError(f"{path}: no data.yaml; not a YOLO dataset folder")
    return path


def read_data_yaml(folder: Path) -> tuple[list[str], str, dict]:
    """(class names in id order, task, the whole document) of ``folder/data.yaml``."""
    import yaml

    path = folder / "data.yaml"
    try:
        doc = yaml.safe_load(read_text(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)  # where it breaks, not the text there (outside data)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise DatasetError(f"{path}: not valid YAML{where}") from None
    except RecursionError:
        raise DatasetError(f"{path}: not readable YAML: nested too deep") from None
    if not isinstance(doc, dict):
        raise DatasetError(f"{path}: a data.yaml holds a mapping (names, train, ...)")
    names = doc.get("names")
    if isinstance(names, dict) and all(isinstance(k, int) for k in names) and sorted(names) == list(range(len(names))):
        names = [names[k] for k in range(len(names))]
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise DatasetError(f"{path}: names must map the class ids 0..n-1 to names")
    if len(set(names)) != len(names):
        raise DatasetError(f"{path}: names holds a name twice: {names}")
    task = doc.get("task", "detect")
    if task not in TASKS.values():
        raise DatasetError(f"{path}: task {task!r} is not one of {', '.join(TASKS.values())}")
    return names, task, doc


def keypoint_layout(folder: Path, doc: dict, names: list[str]) -> tuple[int, int, dict[int, tuple[str, ...]]]:
    """(K, dims, class id -> keypoint names) of a pose dataset's ``data.yaml``."""
    path = folder / "data.yaml"
    shape = doc.get("kpt_shape")
    valid = isinstance(shape, list) and len(shape) == 2 and all(type(v) is int for v in shape)
    if not valid or not 1 <= shape[0] <= MAX_KEYPOINTS or shape[1] not in (2, 3):
        raise DatasetError(
            f"{path}: kpt_shape must be [K, 2] or [K, 3] for task pose (K at most {MAX_KEYPOINTS}), "
            f"got {value_text(shape)}"
        )
    count, dims = shape
    given = doc.get("kpt_names")
    if given is None:
        return count, dims, {k: tuple(str(i) for i in range(count)) for k in range(len(names))}
    if isinstance(given, list):  # one list for every class
        given = {k: given for k in range(len(names))}
    ok = isinstance(given, dict) and all(
        isinstance(k, int) and 0 <= k < len(names) and isinstance(v, list) and 0 < len(v) <= count
        for k, v in given.items()
    )
    if not ok:
        raise DatasetError(f"{path}: kpt_names must map class ids to lists of 1..{count} keypoint names")
    return count, dims, {k: tuple(str(n) for n in v) for k, v in sorted(given.items())}


def image_folders(folder: Path, doc: dict, images: str | None, root: Path | None = None) -> list[Path]:
    """The distinct image folders of a dataset, in train, val, test order; each inside ``root``, the
    dataset folder (default ``folder``; the folder above it where the source names a synthgen
    dataset, whose ``yolo/images`` linked to ``../images`` in an earlier layout)."""
    if images is not None:
        return [Path(images)]
    base = doc["path"] if isinstance(doc.get("path"), str) else "."
    _inside(folder, base, "path", root)
    found: list[Path] = []
    for split in ("train", "val", "test"):
        entries = doc.get(split)
        for entry in entries if isinstance(entries, list) else [entries]:
            if not isinstance(entry, str):
                continue
            candidate = _inside(folder, os.path.join(base, entry), split, root)
            if not candidate.is_dir():
                raise DatasetError(f"{folder / 'data.yaml'}: {split}: image folder {candidate} not found")
            if all(candidate.resolve() != f.resolve() for f in found):
                found.append(candidate)
    if not found:
        if (folder / "images").is_dir():
            return [folder / "images"]
        raise DatasetError(
            f"{folder / 'data.yaml'}: names no image folder (train, val, test) and {folder}/images is missing"
        )
    return found


def _inside(folder: Path, name: str, key: str, root: Path | None) -> Path:
    """``folder / name`` for a folder that ``data.yaml``'s ``key`` names, when it lies inside the
    dataset folder ``root``; a YOLO dataset elsewhere is read by pointing the source at it (or ``images:``)."""
    try:
        return inside_dataset(folder, name, key, root)
    except OutsideDataset as exc:
        raise DatasetError(f"{folder / 'data.yaml'}: {exc}; point the source at that dataset, or set images:") from None


def label_file(image: Path) -> Path:
    """An image's label file: the last ``images`` folder of its path made ``labels`` (Ultralytics' rule)."""
    parts = list(image.parts)
    for k in range(len(parts) - 2, -1, -1):
        if parts[k] == "images":
            parts[k] = "labels"
            break
    return Path(*parts).with_suffix(".txt")


def _corners(numbers: list[float], task: str, width: int, height: int) -> np.ndarray:
    """(N, 2) pixel corners of a label line's numbers."""
    if task == "detect":
        cx, cy, bw, bh = numbers
        return np.array([[cx - bw / 2, cy - bh / 2], [cx + bw / 2, cy + bh / 2]]) * (width, height)
    return np.asarray(numbers, np.float64).reshape(-1, 2) * (width, height)


def instance_records(
    lines: list[tuple[str, np.ndarray, np.ndarray | None]], task: str, width: int, height: int
) -> list[dict]:
    """Instance records of one image's checked label lines ((category, (N, 2) corners, (K, 3)
    keypoints in pixels or None) each): masks through pycocotools, one call for the image; bbox and
    area from the masks."""
    from pycocotools import mask as mask_utils

    if not lines:
        return []
    polygons = []
    for _, corners, _ in lines:
        if task in ("detect", "pose"):  # the whole pixels the box covers, as a polygon of integer corners
            (x0, y0), (x1, y1) = np.clip(np.rint(corners), 0, (width, height))
            polygons.append([x0, y0, x1, y0, x1, y1, x0, y1])
        else:
            polygons.append(corners.reshape(-1).tolist())
    rles = mask_utils.frPyObjects(polygons, height, width)
    areas = mask_utils.area(rles).tolist()
    extents = np.rint(mask_utils.toBbox(rles)).astype(int).tolist()
    out = []
    for (name, corners, keypoints), rle, area, extent in zip(lines, rles, areas, extents):
        inst = Instance(
            category=name,
            bbox=tuple(extent) if area else (0, 0, 0, 0),
            area=int(area),
            rle={"size": [height, width], "counts": rle["counts"].decode("ascii")},
            # float64, as read: the record rounds these very numbers
            extensions={"text": domain_label_class("text")("", quad=np.asarray(corners, np.float64).reshape(4, 2))}
            if task == "obb"
            else {},
            keypoints=None if keypoints is None else np.asarray(keypoints, np.float64),
        )
        out.append(instance_to_record(inst))
    return out


def _line_problem(
    fields: list[str], names: list[str], task: str, width: int, height: int, kpt: tuple[int, int] = (0, 3)
) -> tuple[str, Any]:
    """(problem, None) or ("", (class id, corners, (K, 3) keypoints in pixels or None)) of one label
    line's fields; ``kpt`` is a pose dataset's (K, dims)."""
    try:
        cls, numbers = int(fields[0]), [float(v) for v in fields[1:]]
    except ValueError:
        return f"expected a class id and numbers ({len(fields)} fields, not all numbers)", None
    if not 0 <= cls < len(names):
        return f"class {cls} is not in data.yaml's names (0..{len(names) - 1})", None
    want = 4 + kpt[0] * kpt[1] if task == "pose" else NUMBERS.get(task)
    if want is not None and len(numbers) != want:
        return f"{len(numbers)} numbers, but {'an' if task == 'obb' else 'a'} {task} line holds {want}", None
    if want is None and (len(numbers) < 6 or len(numbers) % 2):
        return f"{len(numbers)} numbers, but a {task} line holds an even count of at least 6", None
    if not np.isfinite(numbers).all():
        return "a coordinate is not a finite number", None
    if np.abs(numbers).max() > MAX_NUMBER:  # normalised: 0..1; bounded before it is scaled to pixels
        return f"a number lies beyond +-{MAX_NUMBER:g}", None
    keypoints = None
    if task == "pose":
        numbers, points = numbers[:4], np.asarray(numbers[4:], np.float64).reshape(kpt)
        if kpt[1] == 2:  # no visibility in the file: a negative coordinate marks an unlabelled one (Ultralytics)
            points = np.column_stack([points, np.where((points >= 0).all(axis=1), 2.0, 0.0)])
        if not np.isin(points[:, 2], (0, 1, 2)).all():
            return f"keypoint visibilities {points[:, 2].tolist()} are not all 0, 1 or 2", None
        keypoints = points * (width, height, 1)
        keypoints[points[:, 2] == 0] = 0.0
        labelled = keypoints[points[:, 2] > 0, :2]
        if (labelled < -SLACK_PX).any() or (labelled > np.array([width, height]) + SLACK_PX).any():
            return f"a keypoint of {points[:, :2].tolist()} lies outside the {width}x{height} image", None
    corners = _corners(numbers, "detect" if task == "pose" else task, width, height)
    if task in ("detect", "pose") and (numbers[2] < 0 or numbers[3] < 0):
        return f"box {numbers} has a negative size", None
    if (corners < -SLACK_PX).any() or (corners > np.array([width, height]) + SLACK_PX).any():
        return f"{task} label {numbers} lies outside the {width}x{height} image", None
    return "", (cls, corners, keypoints)


def read_yolo_dataset(path: Path, options: ReadOptions) -> ReadResult:
    """Read a YOLO dataset folder into lazy samples (see the module docstring)."""
    folder = yolo_folder(Path(path))
    root = Path(path) if options.images is None else Path(options.images)  # folder, or the dataset holding it
    names, task, doc = read_data_yaml(folder)
    kpt, kpt_names = (0, 3), {}
    if task == "pose":
        count, dims, kpt_names = keypoint_layout(folder, doc, names)
        kpt = (count, dims)
    table = CategoryTable(tuple(Category(k + 1, n, kpt_names.get(k, ())) for k, n in enumerate(names)))
    bad = BadRecords(options.on_bad)
    samples = []
    for images in image_folders(folder, doc, options.images, root):
        files = sorted(p for p in images.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        stems: dict[Path, Path] = {}
        for image in files:
            if options.images:
                labels = folder / "labels" / image.relative_to(images).with_suffix(".txt")
            else:
                labels = label_file(image)
            if labels in stems:
                bad(str(image), f"shares its label file {labels} with {stems[labels]}; rename one")
                continue
            stems[labels] = image
            try:
                found_inside(root, image)
                if labels.is_file():
                    found_inside(Path(path), labels, "label file")
            except OutsideDataset as exc:
                bad(str(image), str(exc))
                continue
            size = image_size(image)
            if size is None:
                bad(str(image), "not a readable image")
                continue
            problem = side_problem(*size)  # pycocotools rasterises at this size
            if problem:
                bad(str(image), f"image {problem}")
                continue
            width, height = size
            lines = []
            text = read_record_text(labels, bad) if labels.is_file() else ""
            if text is None:
                continue
            for number, line in enumerate(text.splitlines(), start=1):
                fields = line.split()
                if not fields:
                    continue
                problem, parsed = _line_problem(fields, names, task, width, height, kpt)
                if problem:
                    bad(f"{labels} line {number}", problem)
                    continue
                cls, corners, keypoints = parsed
                kept = keypoints[: len(kpt_names[cls])] if cls in kpt_names else None  # the category's own slots
                lines.append((names[cls], corners, kept))
            index = len(samples)
            rel = str(image.relative_to(folder)) if image.is_relative_to(folder) else str(image)
            record = {
                "index": index,
                "file_name": rel,
                "width": width,
                "height": height,
                "categories": list(names),
                "meta": {"index": index, "file_name": rel},
                "instances": instance_records(lines, task, width, height),
            }
            samples.append(LazySample(record, table, ImageFile(str(image)), {"path": str(image), "id": rel}))
    return ReadResult(table, samples, bad.skipped)


READER = ReaderKind(
    read_yolo_dataset, "a YOLO dataset folder (data.yaml, images/, labels/), or a dataset holding yolo/"
)
