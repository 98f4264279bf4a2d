"""KITTI object reader, the inverse of the ``kitti`` writer; reads the KITTI object benchmark's layout.

``path`` is the folder holding ``label_2/`` (KITTI's ``training/``, a synthgen dataset's
``kitti/``) or a dataset root holding ``kitti/``. Images are ``<stem>.png|.jpg`` in
``ReadOptions.images``, else in ``image_2/`` beside ``label_2/`` (KITTI, and synthgen's ``kitti``
writer), else in the dataset's ``images/`` (synthgen datasets written before ``image_2/``), where
a label file's image is the one of that stem or, failing that, the one the writer names it after
(``kitti.kitti_stem``: ``images/000000007.png`` for ``label_2/000007.txt``). Calibration, where
``calib/<stem>.txt`` exists, becomes the sample's camera: intrinsics ``P2[:, :3]``, extrinsics
``[I | t] R0_rect Tr_velo_to_cam`` with ``t = K^-1 P2[:, 3]`` (the image camera's offset from the
rectified reference camera), and the 3D boxes, which KITTI gives in the reference camera, are
moved by ``t`` into that camera.

Categories are the KITTI types found (``Car``, ``Pedestrian``, ...; ``DontCare`` too, which a mix's
label map can drop), in the devkit's order. One instance a line: the 2D box (corners rounded to
whole pixels, as the writer writes a mask's extent) as bbox, with the box's pixels as its mask
and area; ``truncated`` as ``truncation``; the occlusion level (0..3) as the attribute
``occluded`` (the level is all KITTI keeps); dimensions, location (the bottom centre) and
rotation_y as the ``box3d`` (centre, (length, width, height), yaw), where the line has one
(``DontCare`` lines hold -1 and -1000 there).

Checked while reading, each naming the file and line: a label file that is not UTF-8, a line
that is not 15 fields of a type and finite numbers (within +-1e6; a NaN box once rasterised until
the process was killed), a calibration number that is not finite or a P2 whose camera is not,
a 2D box outside its image or with x2 < x1, a label file without an image, an image whose side
is outside 1..65,536, an unreadable image or calibration file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from synthgen.errors import DatasetError
from synthgen.formats.base import (
    IMAGE_SUFFIXES,
    BadRecords,
    ReaderKind,
    ReadOptions,
    ReadResult,
    find_image,
    label_image,
    read_text,
)
from synthgen.formats.fields import read_record_text, side_problem
from synthgen.formats.kitti import MAX_VALUE, KittiObject, kitti_stem, parse_calib, parse_object
from synthgen.formats.paths import OutsideDataset, found_inside
from synthgen.lazy import ImageFile, LazySample
from synthgen.records import camera_to_record, instance_to_record
from synthgen.types import Box3D, Camera, CategoryTable, Instance

KITTI_ORDER = ("Car", "Van", "Truck", "Pedestrian", "Person_sitting", "Cyclist", "Tram", "Misc", "DontCare")
SLACK_PX = 0.5


def kitti_folder(path: Path) -> Path:
    """The folder holding ``label_2/``: ``path`` itself, or its ``kitti/``."""
    if not (path / "label_2").is_dir() and (path / "kitti" / "label_2").is_dir():
        path = path / "kitti"
    if not (path / "label_2").is_dir():
        raise DatasetError(f"{path}: no label_2 folder; not a KITTI object folder")
    return path


def images_folder(folder: Path, images: str | None) -> Path:
    if images is not None:
        return Path(images)
    if (folder / "image_2").is_dir():
        return folder / "image_2"
    if (folder.parent / "images").is_dir():
        return folder.parent / "images"
    raise DatasetError(f"{folder}: no image_2 folder here and no images folder beside it (or set images:)")


def image_stems(images: Path) -> dict[str, str]:
    """KITTI stem -> image stem of the image files in ``images`` (``kitti_stem``: ``000007`` ->
    ``000000007``), for a label file whose image is not found under its own stem."""
    return {kitti_stem(p.name): p.stem for p in sorted(images.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES}


def camera_record(calib: dict[str, np.ndarray], width: int, height: int) -> tuple[dict[str, Any], np.ndarray]:
    """The sample record's camera of a frame's calibration, and the image camera's offset ``t`` (3,)."""
    p2 = calib["P2"]
    k, turn = _intrinsics_and_turn(p2[:, :3])
    t = np.linalg.solve(k, p2[:, 3])
    rect = np.eye(4)
    rect[:3, :3] = calib.get("R0_rect", np.eye(3))
    velo = np.eye(4)
    velo[:3] = calib.get("Tr_velo_to_cam", np.eye(4)[:3])
    offset = np.eye(4)
    offset[:3, :3] = turn
    offset[:3, 3] = t
    extrinsics = offset @ rect @ velo
    return camera_to_record(Camera(k, extrinsics, width, height)), t


def _intrinsics_and_turn(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``P2[:, :3]`` as K (upper triangular, positive diagonal) times a rotation: KITTI's own P2 is
    K already (the rotation is the identity, and it is taken as it is); a pitched camera's, as
    synthgen writes it (K R0_rect^T), gives its rectification back as the rotation."""
    if m[1, 0] == 0 and m[2, 0] == 0 and m[2, 1] == 0:
        return m, np.eye(3)
    flip = np.eye(3)[::-1]
    q, r = np.linalg.qr((flip @ m).T)  # RQ by QR of the flipped transpose
    k, turn = flip @ r.T @ flip, flip @ q.T
    signs = np.diag(np.sign(np.diag(k)))
    k, turn = k @ signs, signs @ turn
    if np.linalg.det(turn) < 0:  # not a camera's rotation: keep P2's block as the intrinsics
        return m, np.eye(3)
    return k, turn


def frame_camera(calib_path: Path, width: int, height: int) -> tuple[dict[str, Any], np.ndarray]:
    """``camera_record`` of a calibration file; ValueError saying what is wrong with it."""
    try:
        calib = parse_calib(read_text(calib_path), str(calib_path))
    except DatasetError as exc:
        raise ValueError(str(exc).removeprefix(f"{calib_path}")) from None
    if "P2" not in calib or calib["P2"].shape != (3, 4):
        raise ValueError("no 3x4 P2 matrix")
    try:
        with np.errstate(all="ignore"):  # a near-singular P2 overflows: refused below, without a warning
            camera, t = camera_record(calib, width, height)
    except (np.linalg.LinAlgError, ValueError) as exc:
        raise ValueError(f"unusable calibration ({exc})") from None
    values = np.concatenate([camera["intrinsics"], camera["extrinsics"], t])
    if not (np.isfinite(values) & (np.abs(values) <= MAX_VALUE)).all():
        raise ValueError(f"unusable calibration (P2 is near-singular: its camera has values beyond +-{MAX_VALUE:g})")
    return camera, t


def _problem(o: KittiObject, width: int, height: int) -> str:
    x1, y1, x2, y2 = o.bbox
    if x2 < x1 or y2 < y1:
        return f"2D box {list(o.bbox)} has x2 < x1 or y2 < y1"
    if x1 < -SLACK_PX or y1 < -SLACK_PX or x2 > width + SLACK_PX or y2 > height + SLACK_PX:
        return f"2D box {list(o.bbox)} lies outside the {width}x{height} image"
    return ""


def instances_of(objects: list[KittiObject], t: np.ndarray, width: int, height: int) -> list[Instance]:
    """The typed instances of one frame's checked objects; masks of the boxes' pixels through pycocotools."""
    from pycocotools import mask as mask_utils

    if not objects:
        return []
    polygons = []
    for o in objects:
        x0, y0, x1, y1 = np.clip(np.rint(o.bbox), 0, (width, height, width, height)).tolist()
        polygons.append([x0, y0, x1, y0, x1, y1, x0, y1])
    rles = mask_utils.frPyObjects(polygons, height, width)
    areas = mask_utils.area(rles).tolist()
    extents = np.rint(mask_utils.toBbox(rles)).astype(int).tolist()
    out = []
    for o, rle, area, extent in zip(objects, rles, areas, extents):
        h, w, length = o.dimensions
        box3d = None
        if h > 0 and w > 0 and length > 0:  # DontCare lines hold -1 there
            x, y, z = np.asarray(o.location, np.float64) + t
            box3d = Box3D(np.array([x, y - h / 2, z]), np.array([length, w, h], np.float64), float(o.rotation_y))
        out.append(
            Instance(
                category=o.type,
                bbox=tuple(extent) if area else (0, 0, 0, 0),
                area=int(area),
                rle={"size": [height, width], "counts": rle["counts"].decode("ascii")},
                attributes={"occluded": o.occluded} if 0 <= o.occluded <= 3 else {},
                truncation=float(o.truncated) if 0 <= o.truncated <= 1 else None,
                box3d=box3d,
            )
        )
    return out


def instance_records(objects: list[KittiObject], t: np.ndarray, width: int, height: int) -> list[dict[str, Any]]:
    """The instance records of ``instances_of`` (rounded as a record holds them)."""
    return [instance_to_record(i) for i in instances_of(objects, t, width, height)]


def read_kitti_dataset(path: Path, options: ReadOptions) -> ReadResult:
    """Read a KITTI object folder into lazy samples (see the module docstring)."""
    folder = kitti_folder(Path(path))
    images = images_folder(folder, options.images)
    bad = BadRecords(options.on_bad)
    frames = []
    stems: dict[str, str] | None = None
    for labels in sorted((folder / "label_2").glob("*.txt")):
        try:
            found_inside(folder, labels, "label file")
        except OutsideDataset as exc:
            bad(str(labels), str(exc))
            continue
        stem = image_stem = labels.stem
        if find_image(images, stem) is None and images.is_dir():
            stems = image_stems(images) if stems is None else stems
            image_stem = stems.get(stem, stem)
        found = label_image(images, image_stem, str(labels), bad)
        if found is None:
            continue
        image, width, height = found
        problem = side_problem(width, height)  # pycocotools rasterises at this size
        if problem:
            bad(str(labels), f"image {image.name}: {problem}")
            continue
        calib_path = folder / "calib" / labels.name
        camera, t = None, np.zeros(3)
        if calib_path.is_file():
            try:
                found_inside(folder, calib_path, "calibration file")
                camera, t = frame_camera(calib_path, width, height)
            except ValueError as exc:  # OutsideDataset is one
                bad(str(calib_path), str(exc))
                continue
        text = read_record_text(labels, bad)
        if text is None:
            continue
        objects = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                o = parse_object(line)
            except ValueError as exc:
                bad(f"{labels} line {n}", str(exc))
                continue
            problem = _problem(o, width, height)
            if problem:
                bad(f"{labels} line {n}", problem)
                continue
            objects.append(o)
        frames.append((stem, image, width, height, camera, instances_of(objects, t, width, height)))
    found = {inst.category for *_, instances in frames for inst in instances}
    names = [n for n in KITTI_ORDER if n in found] + sorted(found - set(KITTI_ORDER))
    table = CategoryTable.of_names(names)
    samples = []
    for stem, image, width, height, camera, instances in frames:
        index = len(samples)
        record: dict[str, Any] = {
            "index": index,
            "file_name": image.name,
            "width": width,
            "height": height,
            "categories": names,
            "meta": {"index": index, "stem": stem},
        }
        if camera is not None:
            record["camera"] = camera
        record["instances"] = [instance_to_record(i) for i in instances]
        samples.append(LazySample(record, table, ImageFile(str(image)), {"path": str(image), "id": stem}))
    return ReadResult(table, samples, bad.skipped)


READER = ReaderKind(
    read_kitti_dataset, "a KITTI object folder (label_2/, calib/, image_2/), or a dataset holding kitti/"
)
