"""KITTI object detection labels, in the layout of the KITTI object devkit (``training/``):
``kitti/image_2/<stem>.png|.jpg`` (the image), ``kitti/label_2/<stem>.txt`` (labels) and
``kitti/calib/<stem>.txt`` (calibration), written from records and parsed back (``read_kitti``:
frames; the mixer's reader, records and lazy images, is ``kitti_reader``).

Names: ``<stem>`` is the sample index written ``%06d``, as the devkit and the tools built on it
(kitti-object-eval-python, OpenPCDet, mmdetection3d) expect: ``images/000000007.png`` is
``kitti/image_2/000007.png`` (``kitti_stem``). Past 999,999 samples the index takes the digits it
needs (``1000000``), as ``%06d`` does; KITTI's tools that build names with ``%06d`` read those too.
``image_2/`` holds hard links to the files in ``images/`` (no second copy on disk), or copies where
the file system has no hard links; never symbolic links, which some tools and archivers do not
follow. They are made in the shard's staging folder with the labels, so they are moved into place
with the shard.

A cyclist is one ``Cyclist`` object, as in KITTI, whose box covers rider and bicycle (or motorbike:
KITTI has no class for motorcyclists): the rider and the bicycle that share the ``actor`` attribute
(two instances in COCO) are written as one line (``kitti_objects``): the union of their 2D boxes,
the box enclosing both 3D boxes turned along the bicycle, and occlusion and truncation of the
pair's pixels together. Their pixels drawn alone are recovered from each part's area and occlusion
(estimated from the amodal boxes for a part hidden whole) and summed, so where the rider hides part
of the bicycle those pixels count as hidden: the pair's occlusion can read a little high.

One line per visible instance with a 3D box: ``type truncated occluded alpha x1 y1 x2 y2 h w l x y
z rotation_y``, as the KITTI devkit defines them: truncation 0..1; occlusion level 0 (fully
visible, occlusion < 0.15), 1 (partly, < 0.5), 2 (largely), 3 (unknown: no occlusion value);
alpha = rotation_y - atan2(x, z) in [-pi, pi]; the 2D box of the visible pixels (x2, y2 at the
far edge); dimensions height, width, length; location = the bottom centre of the 3D box in camera
coordinates; rotation_y about camera y. Locations and rotation_y are in the rectified camera
frame, as in KITTI: the camera frame turned so that y points down along gravity
(``Camera.rectification``), where a box standing on the road turns about y only.

Calib: R0_rect that rectification (the identity for a level camera); P0..P3 = K [R0_rect^T | 0],
the projection of the rectified frame into the image, so that the devkit's ``P2 @ corner`` lands
on the pixels (K [I | 0] for a level camera; with a pitch, ``cv2.decomposeProjectionMatrix(P2)``
gives K back); Tr_velo_to_cam the world (x forward, y left, z up, on the road below the camera,
like KITTI's Velodyne frame) -> camera transform (a world point X lands at
P2 @ R0_rect @ Tr_velo_to_cam @ X, KITTI's chain); Tr_imu_to_velo the identity.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthgen.errors import DatasetError
from synthgen.formats.base import WriterKind, read_text, write_staged
from synthgen.records import as_instance, camera_from_record, labels_of_record
from synthgen.types import Box3D, Camera, Instance, Sample

IMAGE_DIR, LABEL_DIR, CALIB_DIR = "kitti/image_2", "kitti/label_2", "kitti/calib"
STEM_DIGITS = 6  # the devkit's %06d
# our instance (category, type attribute) -> KITTI type
KITTI_TYPES = {
    "van": "Van",
    "car": "Car",
    "truck": "Truck",
    "pedestrian": "Pedestrian",
    "child": "Pedestrian",
    "rider": "Cyclist",
}
# what a rider sits on: the pair is one KITTI Cyclist (KITTI has no motorcyclist class of its own)
MOUNTS = ("bicycle", "motorbike")
# the devkit's own type names, written as they are where an instance's type attribute holds one
KITTI_NAMES = ("Car", "Van", "Truck", "Pedestrian", "Person_sitting", "Cyclist", "Tram", "Misc")
OCCLUSION_LEVELS = (0.15, 0.5)
MAX_VALUE = 1e6  # label and calibration numbers read: pixels, metres, radians, focal lengths


@dataclass(frozen=True)
class KittiObject:
    """One line of a KITTI label file."""

    type: str
    truncated: float
    occluded: int
    alpha: float
    bbox: tuple[float, float, float, float]  # x1, y1, x2, y2
    dimensions: tuple[float, float, float]  # h, w, l
    location: tuple[float, float, float]  # x, y, z of the bottom centre, camera coordinates
    rotation_y: float


@dataclass(frozen=True)
class KittiFrame:
    """One image's labels and calibration."""

    stem: str
    objects: tuple[KittiObject, ...]
    calib: dict[str, np.ndarray]  # P0..P3 (3, 4), R0_rect (3, 3), Tr_velo_to_cam, Tr_imu_to_velo (3, 4)


def kitti_stem(image_file: str) -> str:
    """The KITTI file stem of a dataset image path: ``images/000000007.png`` -> ``000007``, the
    sample index as ``%06d`` (more digits past 999,999); a stem that is not a number stays as it is."""
    stem = Path(image_file).stem
    return f"{int(stem):0{STEM_DIGITS}d}" if stem.isascii() and stem.isdigit() else stem


def kitti_type(inst: Instance | dict) -> str:
    """The KITTI type of an instance (or its record): a devkit type name held in its ``type``
    attribute as it is (a real KITTI label's), else ``Misc`` for what KITTI has no class for."""
    inst = as_instance(inst)
    if _kind(inst) in KITTI_NAMES:
        return _kind(inst)
    return KITTI_TYPES.get(_kind(inst), KITTI_TYPES.get(inst.category, "Misc"))


def occlusion_level(occlusion: float | None) -> int:
    if occlusion is None:
        return 3
    return int(np.searchsorted(OCCLUSION_LEVELS, occlusion, side="right"))


def kitti_object(inst: Instance | dict) -> KittiObject:
    """The KITTI object of a visible instance (or its record) with a 3D box."""
    inst = as_instance(inst)
    b = inst.box3d
    (cx, cy, cz), (length, width, height), ry = (float(v) for v in b.center), (float(v) for v in b.dimensions), b.yaw
    x, y, w, h = inst.bbox
    alpha = inst.attributes.get("alpha")  # a real label's observation angle, as read
    if alpha is None:
        alpha = ry - math.atan2(cx, cz)
        alpha = (alpha + math.pi) % (2 * math.pi) - math.pi
    return KittiObject(
        type=kitti_type(inst),
        truncated=float(inst.truncation if inst.truncation is not None else 0.0),
        occluded=occlusion_level(inst.occlusion),
        alpha=alpha,
        bbox=(float(x), float(y), float(x + w), float(y + h)),
        dimensions=(height, width, length),
        location=(cx, cy + height / 2, cz),
        rotation_y=ry,
    )


def _kind(inst: Instance) -> str:
    return inst.attributes.get("type", inst.category)


def _alone_pixels(parts: list[Instance]) -> list[float]:
    """Pixels each part covers drawn alone in the image: its visible area / (1 - occlusion). A part
    hidden whole (occlusion 1) does not say; it gets the pixels of the others drawn alone per
    pixel of their amodal boxes, times its own amodal box's (0 without amodal boxes)."""

    def box_area(p: Instance) -> float:
        box = p.amodal_bbox
        return float(box[2] * box[3]) if box is not None else 0.0

    known = {id(p): p.area / (1.0 - p.occlusion) for p in parts if p.occlusion < 1.0}
    boxes = sum(box_area(p) for p in parts if id(p) in known)
    fill = sum(known.values()) / boxes if boxes > 0 else 0.0
    return [known[id(p)] if id(p) in known else fill * box_area(p) for p in parts]


def _pair_occlusion_truncation(parts: list[Instance]) -> tuple[float | None, float]:
    """Occlusion and truncation of parts taken as one object: their visible pixels over their
    pixels drawn alone, and those over their pixels on an unbounded canvas (see the module doc)."""
    truncations = [float(p.truncation if p.truncation is not None else 0.0) for p in parts]
    if any(p.occlusion is None for p in parts):
        return None, max(truncations)
    alone = _alone_pixels(parts)
    drawn = sum(alone)
    occlusion = 1.0 - sum(p.area for p in parts) / drawn if drawn > 0 else 1.0
    inside = [(a, t) for a, t in zip(alone, truncations) if t < 1.0]
    canvas = sum(a / (1.0 - t) for a, t in inside)
    truncation = 1.0 - sum(a for a, _ in inside) / canvas if canvas > 0 else max(truncations)
    return min(max(occlusion, 0.0), 1.0), min(max(truncation, 0.0), 1.0)


def enclosing_box3d(boxes: list[Box3D], yaw: float) -> Box3D:
    """The smallest box turned by ``yaw`` about rectified y that holds every box of ``boxes``."""
    corners = np.concatenate([b.corners() for b in boxes])
    c, s = math.cos(yaw), math.sin(yaw)
    # into the frame turned by yaw (Box3D.corners turns x, z by [[c, s], [-s, c]]; this is its inverse)
    x, y, z = corners.T
    local = np.stack([c * x - s * z, y, s * x + c * z], axis=1)
    lo, hi = local.min(axis=0), local.max(axis=0)
    x, y, z = (lo + hi) / 2
    center = [c * x + s * z, y, -s * x + c * z]
    length, height, width = hi - lo
    return Box3D(np.array([float(v) for v in center]), np.array([float(v) for v in (length, width, height)]), yaw)


def cyclist_instance(rider: Instance, bicycle: Instance) -> Instance:
    """One instance of a rider and its bicycle for ``kitti_object``: a ``Cyclist`` whose 2D box
    holds both parts' visible boxes and whose 3D box holds both 3D boxes, along the bicycle."""
    parts = [rider, bicycle]
    seen = [p.bbox for p in parts if p.area > 0] or [(0, 0, 0, 0)]  # both hidden: area 0, not written
    x0 = min(b[0] for b in seen)
    y0 = min(b[1] for b in seen)
    x1 = max(b[0] + b[2] for b in seen)
    y1 = max(b[1] + b[3] for b in seen)
    occlusion, truncation = _pair_occlusion_truncation(parts)
    return Instance(
        category=rider.category,
        bbox=(x0, y0, x1 - x0, y1 - y0),
        area=sum(p.area for p in parts),
        rle={},
        attributes={"type": _kind(rider)},
        occlusion=occlusion,
        truncation=truncation,
        box3d=enclosing_box3d([rider.box3d, bicycle.box3d], bicycle.box3d.yaw),
    )


def kitti_objects(instances: Sequence[Instance | dict]) -> list[KittiObject]:
    """The KITTI objects of a sample's instances (or their records): one per visible instance with
    a 3D box, except that a rider and the bicycle with the same ``actor`` attribute are one
    ``Cyclist`` (visible when either part is), at the rider's place in the list."""
    instances = [as_instance(i) for i in instances]
    solid = [i for i in instances if i.box3d is not None]
    bicycles = {i.attributes["actor"]: i for i in solid if _kind(i) in MOUNTS and "actor" in i.attributes}
    riders = {i.attributes["actor"] for i in solid if _kind(i) == "rider" and i.attributes.get("actor") in bicycles}
    out = []
    for inst in solid:
        actor = inst.attributes.get("actor")
        if actor in riders and _kind(inst) in MOUNTS:
            continue  # written with its rider
        if actor in riders and _kind(inst) == "rider":
            inst = cyclist_instance(inst, bicycles[actor])
        if inst.area > 0:
            out.append(kitti_object(inst))
    return out


def format_object(o: KittiObject) -> str:
    nums = [o.truncated, o.occluded, o.alpha, *o.bbox, *o.dimensions, *o.location, o.rotation_y]
    text = [f"{o.truncated:.2f}", str(o.occluded), f"{o.alpha:.2f}"] + [f"{v:.2f}" for v in nums[3:]]
    return " ".join([o.type, *text])


def calib_lines(camera: Camera | dict) -> str:
    """The calib file of a camera (or its record; see the module doc)."""
    cam = camera if isinstance(camera, Camera) else camera_from_record({"width": 0, "height": 0, **camera})
    rect = cam.rectification()
    p = np.hstack([np.asarray(cam.intrinsics, np.float64) @ rect.T, np.zeros((3, 1))])
    rows = {f"P{i}": p for i in range(4)}
    rows["R0_rect"] = rect
    rows["Tr_velo_to_cam"] = np.asarray(cam.extrinsics, np.float64)[:3]
    rows["Tr_imu_to_velo"] = np.eye(4)[:3]
    return "".join(f"{name}: " + " ".join(f"{v:.12e}" for v in m.reshape(-1)) + "\n" for name, m in rows.items())


def stage_image(image: Path, dest: Path) -> None:
    """``dest`` as a hard link to the image file ``image`` (a copy where the file system cannot link
    it); never a symbolic link, and never through one: a link in place of ``image`` is refused."""
    if image.is_symlink() or not image.is_file():
        raise FileNotFoundError(f"{image}: no image file to put in {dest.parent}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_symlink() or dest.is_file():
        dest.unlink()  # a name of this writer's (kitti/image_2/), replaced, not written through
    try:
        os.link(image, dest, follow_symlinks=False)
    except OSError:  # a file system without hard links (EPERM, ENOTSUP), or the link count at its limit
        shutil.copyfile(image, dest)


def write_sample(sample: Sample, record: dict, root: Path) -> None:
    stem = kitti_stem(record["file_name"])
    image = Path(record["file_name"])
    stage_image(root / image, root / IMAGE_DIR / f"{stem}{image.suffix}")
    labels = labels_of_record(record)  # the values as the record rounds them: the same bytes from a shard's record
    lines = [format_object(o) for o in kitti_objects(labels.instances)]
    write_staged(root / LABEL_DIR / f"{stem}.txt", "".join(line + "\n" for line in lines).encode())
    if labels.camera is not None:
        write_staged(root / CALIB_DIR / f"{stem}.txt", calib_lines(labels.camera).encode())


def parse_object(line: str) -> KittiObject:
    """One label line's object; ValueError saying what is wrong with it."""
    f = line.split()
    if len(f) not in (15, 16):  # a 16th field is a detection's score
        raise ValueError(f"expected 15 fields, got {len(f)}")
    try:
        v = [float(x) for x in f[1:15]]
    except ValueError:
        raise ValueError("a field is not a number") from None
    if not all(math.isfinite(x) and abs(x) <= MAX_VALUE for x in v):  # a NaN box rasterised until OOM-killed
        raise ValueError(f"a field is not a finite number within +-{MAX_VALUE:g}")
    if not v[1].is_integer():
        raise ValueError("occluded is not a whole number")
    return KittiObject(f[0], v[0], int(v[1]), v[2], tuple(v[3:7]), tuple(v[7:10]), tuple(v[10:13]), v[13])  # type: ignore[arg-type]


def parse_label(text: str, where: str) -> tuple[KittiObject, ...]:
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(parse_object(line))
        except ValueError as exc:
            raise DatasetError(f"{where}:{n}: {exc}") from None
    return tuple(out)


def parse_calib(text: str, where: str) -> dict[str, np.ndarray]:
    out = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, _, values = line.partition(":")
        try:
            m = np.array([float(x) for x in values.split()], np.float64)
        except ValueError:
            raise DatasetError(f"{where}:{n}: not numbers") from None
        if not (np.isfinite(m) & (np.abs(m) <= MAX_VALUE)).all():
            bound = f"a number that is not finite within +-{MAX_VALUE:g}"
            raise DatasetError(f"{where}:{n}: {name.strip()[:40]} holds {bound}")
        if m.size not in (9, 12):
            raise DatasetError(f"{where}:{n}: {name.strip()} holds {m.size} numbers, not a 3x3 or 3x4 matrix")
        out[name.strip()] = m.reshape(3, -1)
    return out


def read_kitti(folder: str | Path) -> list[KittiFrame]:
    """The frames of a KITTI object folder (the one holding ``label_2/``, and ``calib/`` where present), by stem."""
    folder = Path(folder)
    labels = folder / "label_2"
    if not labels.is_dir():
        raise DatasetError(f"{folder}: no label_2 folder")
    frames = []
    for path in sorted(labels.glob("*.txt")):
        calib_path = folder / "calib" / path.name
        calib = parse_calib(read_text(calib_path), str(calib_path)) if calib_path.is_file() else {}
        frames.append(KittiFrame(path.stem, parse_label(read_text(path), str(path)), calib))
    return frames


WRITER = WriterKind(
    write_sample=write_sample,
    entries=("kitti",),
    needs=frozenset({"box3d", "camera"}),
    # the category as its KITTI type (attributes' type and actor choose among them), the visible 2D
    # box, the 3D box and the calibration; occlusion only as KITTI's level 0..3
    writes=frozenset({"category", "bbox", "truncation", "box3d", "camera"}),
)
