"""YOLO labels (``yolo/``): detection, segmentation, oriented boxes or poses, with ``data.yaml``; the
writer (its reader, the inverse, is ``yolo_reader``).

Layout, as Ultralytics and most YOLO trainers read it::

    yolo/data.yaml             names (class id -> name), train/val: images, the task
    yolo/images/<stem>.<ext>   the dataset's images: hard links to ``images/<stem>.<ext>``
    yolo/labels/<stem>.txt     one line per visible instance, coordinates normalised to 0..1

Trainers find an image's label file by replacing the last ``/images/`` of its path with
``/labels/``, after resolving links: a link to the ``images/`` folder (this writer's old layout)
sent them to ``OUT/labels/`` ("No labels found"). So ``yolo/images/`` is a real folder of real
files, made per sample in the shard's staging folder beside the engine's image (committed, resumed
and removed with it): a hard link to that image (no second copy on disk), or a copy where the
file system has no hard links (FAT, some network shares). A dataset copied without keeping hard
links (``cp -r``, ``rsync`` without ``-H``) then holds two copies; a shard written by a Ray task on
another node arrives as bytes and is written as two copies too. Nothing under ``yolo/`` is a link.

``writers: {yolo: {mode: detect | segment | obb | pose}}`` picks the line format:

- ``detect``: ``class cx cy w h`` (the instance's box: the extent of its visible pixels);
- ``segment``: ``class x1 y1 x2 y2 ...``: the mask as one polygon (``coco.mask_polygon``: parts and
  holes joined by zero-width cuts, as Ultralytics' own COCO converter joins parts);
- ``obb``: ``class x1 y1 x2 y2 x3 y3 x4 y4``: a text instance's quad, or the smallest rotated
  rectangle around any other instance's pixels;
- ``pose``: ``class cx cy w h x1 y1 v1 ... xK yK vK``: the box, then the instance's keypoints, and
  ``data.yaml`` gains ``kpt_shape: [K, 3]``, ``flip_idx`` and ``kpt_names`` (class id -> its
  keypoint names, for the classes that have keypoints). Pose is asked for, never chosen from the
  categories, so adding a category with keypoints does not change a detect dataset, and a run
  without keypoints is refused when its config loads. Ultralytics takes one K for every class: K is
  the most keypoints a category has; a category's keypoints fill its first slots and the rest are
  ``0 0 0`` (not labelled), so a category without keypoints (a car beside people) has K of them.
  ``flip_idx`` pairs ``left_*`` and ``right_*`` names (others map to themselves); it is left out
  when categories disagree on a slot, and trainers then turn left-right flips off. Visibility is
  COCO's, which Ultralytics reads as is when ``kpt_shape[1]`` is 3 (0 not labelled, 1 hidden,
  2 visible; it trains on v > 0); a keypoint outside the image is written ``0 0 0``, as COCO
  labels it.

Class ids are the positions of the run's category table (0-based and contiguous, as YOLO needs).
An instance with no visible pixel is not written (as in COCO).

A ``synthgen mix`` with this writer also writes ``OUT/data.yaml`` over its splits
(``mix_data_yaml``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from synthgen.config.params import Params, one_of, param
from synthgen.errors import DatasetError
from synthgen.formats.base import WriterKind, write_atomic, write_staged
from synthgen.formats.coco import mask_polygon, mask_polygons
from synthgen.records import instance_views
from synthgen.types import CategoryTable, Sample

FOLDER = "yolo"
DECIMALS = 6  # normalised coordinates: a millionth of the image side
KEYPOINT_DIMS = 3  # x, y, visibility


class YoloOptions(Params):
    """``writers: {yolo: {...}}``."""

    mode: str = param(
        "detect", one_of("detect", "segment", "obb", "pose"), "detect, segment, obb or pose (see the module docstring)"
    )


TASKS = {"detect": "detect", "segment": "segment", "obb": "obb", "pose": "pose"}


def label_path(file_name: str) -> str:
    """The label file (relative to the dataset root) of an image path such as ``images/000000007.png``."""
    return f"{FOLDER}/labels/{Path(file_name).stem}.txt"


def image_path(file_name: str) -> str:
    """The YOLO image (relative to the dataset root) of an image path such as ``images/000000007.png``."""
    return f"{FOLDER}/images/{Path(file_name).name}"


def pose_keypoint_count(categories: CategoryTable) -> int:
    """K, the keypoints of every pose line: the most any category has.

    Raises:
        ValueError: no category has keypoints.
    """
    count = max((len(c.keypoints) for c in categories.categories), default=0)
    if count == 0:
        names = ", ".join(categories.names)
        raise ValueError(f"mode pose needs a category with keypoints; this run's have none ({names})")
    return count


def flip_index(names: tuple[str, ...], count: int) -> list[int]:
    """The slot each of ``count`` keypoint slots becomes in a mirrored image, for a category whose
    keypoints are ``names`` (``left_x`` <-> ``right_x``; a name without a partner, and a padding
    slot, maps to itself)."""
    where = {name: k for k, name in enumerate(names)}
    swap = {"left_": "right_", "right_": "left_"}
    flipped = list(range(count))
    for k, name in enumerate(names):
        prefix = next((p for p in swap if name.startswith(p)), None)
        if prefix is not None:
            flipped[k] = where.get(swap[prefix] + name[len(prefix) :], k)
    return flipped


def pose_flip_index(categories: CategoryTable) -> list[int] | None:
    """Ultralytics' ``flip_idx``, one for all classes: None when categories disagree (a slot that is
    a left keypoint of one and a centre one of another), so that trainers turn flips off."""
    count = pose_keypoint_count(categories)
    found = {tuple(flip_index(c.keypoints, count)) for c in categories.categories if c.keypoints}
    return list(found.pop()) if len(found) == 1 else None


def check_categories(options: YoloOptions, categories: CategoryTable) -> None:
    """Raise ValueError when ``options`` cannot be written for ``categories`` (a pose run with no
    keypoints); the config loader reports it under ``writers.yolo``."""
    if options.mode == "pose":
        pose_keypoint_count(categories)


def _pixel_rectangle(rle: dict) -> np.ndarray:
    """(4, 2) corners of the smallest rotated rectangle around a mask's pixel squares."""
    import cv2

    outline = np.concatenate([np.asarray(p).reshape(-1, 2) for p in mask_polygons(rle)])
    corners = (outline[:, None, :] + np.array([[-0.25, -0.25], [0.25, -0.25], [0.25, 0.25], [-0.25, 0.25]])).reshape(-1, 2)
    return cv2.boxPoints(cv2.minAreaRect(corners.astype(np.float32))).astype(np.float64)


def _numbers(values: Any, width: int, height: int) -> str:
    pts = np.asarray(values, np.float64).reshape(-1, 2) / (width, height)
    return " ".join(f"{v:.{DECIMALS}f}" for v in np.clip(pts, 0.0, 1.0).reshape(-1))


def _keypoints(points: np.ndarray | None, count: int, width: int, height: int) -> str:
    """``x y v`` * ``count``: an instance's keypoints ((K, 3) x, y, v in pixels, or None), normalised;
    absent, unlabelled or outside the image: ``0 0 0``."""
    kp = np.zeros((count, KEYPOINT_DIMS), np.float64)
    if points is not None and len(points):
        given = np.asarray(points, np.float64).reshape(-1, KEYPOINT_DIMS)[:count]
        kp[: len(given)] = given
    x, y, v = kp[:, 0] / width, kp[:, 1] / height, kp[:, 2]
    keep = (v > 0) & (x >= 0) & (x <= 1) & (y >= 0) & (y <= 1)
    return " ".join(
        f"{a:.{DECIMALS}f} {b:.{DECIMALS}f} {int(c)}" if k else "0 0 0" for a, b, c, k in zip(x, y, v, keep)
    )


def yolo_text(record: dict[str, Any], mode: str = "detect", keypoint_count: int = 0) -> str:
    """The YOLO label file content of one sample record.

    Args:
        record: the sample record.
        mode: the line format (``YoloOptions.mode``).
        keypoint_count: K, the keypoints of every ``pose`` line (``pose_keypoint_count``).
    """
    classes = {name: k for k, name in enumerate(record["categories"])}
    w, h = record["width"], record["height"]
    lines = []
    for inst in instance_views(record):
        if not inst.visible:
            continue
        cls = classes[inst.category]
        if mode in ("detect", "pose"):
            x, y, bw, bh = inst.bbox
            body = _numbers([x + bw / 2, y + bh / 2, bw, bh], w, h)
            if mode == "pose":
                body += " " + _keypoints(inst.keypoints, keypoint_count, w, h)
        elif mode == "segment":
            body = _numbers(mask_polygon(inst.rle), w, h)
        else:
            text = inst.extensions.get("text")  # a word's quad: its oriented box
            quad = text.quad if text is not None else None
            body = _numbers(quad if quad is not None else _pixel_rectangle(inst.rle), w, h)
        lines.append(f"{cls} {body}\n")
    return "".join(lines)


def link_image(source: Path, dest: Path) -> None:
    """``dest`` as a hard link to the image ``source`` (a copy where the file system has none).

    Both lie in a shard's staging folder (the engine's image and this writer's), so the link never
    crosses a file system the engine chose; the commit renames both, which keeps them one file.
    """
    if source.is_symlink():  # the engine writes images as files; never link through a link
        raise DatasetError(f"{source}: is a symbolic link; synthgen does not write through links")
    dest.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(dest):  # this writer's own file (a sample written again into the same folder)
        dest.unlink()
    try:
        os.link(source, dest, follow_symlinks=False)
    except OSError:  # no hard links here (EPERM, EXDEV, ENOTSUP ...): a copy reads the same
        shutil.copyfile(source, dest)


def write_sample(sample: Sample, record: dict[str, Any], root: Path, options: YoloOptions = YoloOptions()) -> None:
    count = pose_keypoint_count(sample.labels.categories) if options.mode == "pose" else 0
    write_staged(root / label_path(record["file_name"]), yolo_text(record, options.mode, count).encode("utf-8"))
    link_image(root / record["file_name"], root / image_path(record["file_name"]))


def data_yaml_doc(categories: CategoryTable, mode: str) -> dict[str, Any]:
    """``data.yaml``'s content, without the image folders."""
    names = {k: c.name for k, c in enumerate(categories.categories)}
    doc: dict[str, Any] = {"task": TASKS[mode], "nc": len(names), "names": names}
    if mode == "pose":
        doc["kpt_shape"] = [pose_keypoint_count(categories), KEYPOINT_DIMS]
        if (flip := pose_flip_index(categories)) is not None:
            doc["flip_idx"] = flip
        doc["kpt_names"] = {k: list(c.keypoints) for k, c in enumerate(categories.categories) if c.keypoints}
    return doc


def _dump_yaml(comment: str, doc: dict[str, Any]) -> bytes:
    """``doc`` as YAML after ``comment``: mappings one key a line, lists on one line
    (``kpt_shape: [17, 3]``, each class's ``kpt_names``)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(list, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
    body = yaml.dump(doc, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=1000)
    return (comment + body).encode("utf-8")


def data_yaml(categories: CategoryTable, mode: str) -> str:
    """``data.yaml``: no ``path`` key, so trainers take the file's own folder as the dataset root
    (Ultralytics' ``check_det_dataset`` does, and resolves ``train``/``val`` against it)."""
    doc = {"train": "images", "val": "images", **data_yaml_doc(categories, mode)}
    comment = "# synthgen dataset; images in images/ (hard links to ../images), labels in labels/\n"
    return _dump_yaml(comment, doc).decode("utf-8")


def finalize(records: Iterable[dict], root: Path, categories: CategoryTable, options: YoloOptions = YoloOptions()) -> list[str]:
    write_atomic(root / FOLDER / "data.yaml", data_yaml(categories, options.mode).encode("utf-8"))
    return [f"{FOLDER}/data.yaml"]


MIX_DATA_YAML = "data.yaml"


def mix_data_yaml(out: Path, splits: Iterable[str], categories: CategoryTable) -> str | None:
    """Write ``out/data.yaml`` over a mix's splits (``out/<split>/yolo/``); its name below ``out``,
    or None when no split holds a YOLO dataset.

    ``train``, ``val`` and ``test`` name each split's ``yolo/images`` (relative, no ``path`` key:
    trainers resolve them against this file's folder); a split without samples is left out, and
    with no val split (a mix of synthetic sources only has none) ``val`` is the train images, so
    that trainers, which need one, run (their val metrics are then train metrics). The task and
    the keypoint keys are the train split's ``data.yaml``'s.
    """
    import yaml

    present = [s for s in splits if all((out / s / FOLDER / name).exists() for name in ("images", "data.yaml"))]
    if not present:
        return None
    split_doc = yaml.safe_load((out / present[0] / FOLDER / "data.yaml").read_text(encoding="utf-8"))
    folders = {s: f"{s}/{FOLDER}/images" for s in present}
    comment = "# synthgen mix; each split a synthgen dataset, its YOLO images and labels in <split>/yolo/\n"
    if "val" not in folders and "train" in folders:
        folders["val"] = folders["train"]
        comment += "# no val split in this mix: val is the train images (trainers need one)\n"
    doc = {k: folders[k] for k in ("train", "val", "test") if k in folders}
    doc |= {k: v for k, v in split_doc.items() if k not in ("train", "val", "test", "path")}
    doc["names"] = {k: c.name for k, c in enumerate(categories.categories)}
    write_atomic(out / MIX_DATA_YAML, _dump_yaml(comment, doc))
    return MIX_DATA_YAML


WRITER = WriterKind(
    write_sample=write_sample,
    finalize=finalize,
    options=YoloOptions,
    entries=(FOLDER,),
    check=check_categories,
    # a class and a box a line (mode: detect); mode: segment writes the mask as a polygon, obb the
    # quad as a rotated box, pose the keypoints
    writes=frozenset({"category", "bbox"}),
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
