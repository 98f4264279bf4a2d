"""KITTI object detection labels (``kitti/label_2/<stem>.txt``) and calibration
(``kitti/calib/<stem>.txt``), written from records and parsed back (``read_kitti``: frames; the
mixer's reader, records and lazy images, is ``kitti_reader``).

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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthgen.errors import DatasetError
from synthgen.formats.base import WriterKind, read_text, write_staged
from synthgen.types import Camera, Sample

LABEL_DIR, CALIB_DIR = "kitti/label_2", "kitti/calib"
# our instance (category, type attribute) -> KITTI type
KITTI_TYPES = {
    "van": "Van",
    "car": "Car",
    "truck": "Truck",
    "pedestrian": "Pedestrian",
    "child": "Pedestrian",
    "rider": "Cyclist",
}
OCCLUSION_LEVELS = (0.15, 0.5)


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


def kitti_type(inst: dict) -> str:
    """The KITTI type of an instance record (``Misc`` for what KITTI has no class for)."""
    kind = inst.get("attributes", {}).get("type", inst["category"])
    return KITTI_TYPES.get(kind, KITTI_TYPES.get(inst["category"], "Misc"))


def occlusion_level(occlusion: float | None) -> int:
    if occlusion is None:
        return 3
    return int(np.searchsorted(OCCLUSION_LEVELS, occlusion, side="right"))


def kitti_object(inst: dict) -> KittiObject:
    """The KITTI object of a visible instance record with a box3d."""
    b = inst["box3d"]
    (cx, cy, cz), (length, width, height), ry = b["center"], b["dimensions"], b["yaw"]
    x, y, w, h = inst["bbox"]
    alpha = ry - math.atan2(cx, cz)
    alpha = (alpha + math.pi) % (2 * math.pi) - math.pi
    return KittiObject(
        type=kitti_type(inst),
        truncated=float(inst.get("truncation", 0.0)),
        occluded=occlusion_level(inst.get("occlusion")),
        alpha=alpha,
        bbox=(float(x), float(y), float(x + w), float(y + h)),
        dimensions=(height, width, length),
        location=(cx, cy + height / 2, cz),
        rotation_y=ry,
    )


def format_object(o: KittiObject) -> str:
    nums = [o.truncated, o.occluded, o.alpha, *o.bbox, *o.dimensions, *o.location, o.rotation_y]
    text = [f"{o.truncated:.2f}", str(o.occluded), f"{o.alpha:.2f}"] + [f"{v:.2f}" for v in nums[3:]]
    return " ".join([o.type, *text])


def calib_lines(camera: dict) -> str:
    """The calib file of a camera record (see the module doc)."""
    cam = Camera(
        np.asarray(camera["intrinsics"], np.float64).reshape(3, 3),
        np.asarray(camera["extrinsics"], np.float64).reshape(4, 4),
        int(camera.get("width", 0)),
        int(camera.get("height", 0)),
    )
    rect = cam.rectification()
    p = np.hstack([np.asarray(cam.intrinsics, np.float64) @ rect.T, np.zeros((3, 1))])
    rows = {f"P{i}": p for i in range(4)}
    rows["R0_rect"] = rect
    rows["Tr_velo_to_cam"] = np.asarray(cam.extrinsics, np.float64)[:3]
    rows["Tr_imu_to_velo"] = np.eye(4)[:3]
    return "".join(f"{name}: " + " ".join(f"{v:.12e}" for v in m.reshape(-1)) + "\n" for name, m in rows.items())


def write_sample(sample: Sample, record: dict, root: Path) -> None:
    stem = Path(record["file_name"]).stem
    lines = [format_object(kitti_object(i)) for i in record["instances"] if i["area"] > 0 and "box3d" in i]
    write_staged(root / LABEL_DIR / f"{stem}.txt", "".join(line + "\n" for line in lines).encode())
    if "camera" in record:
        write_staged(root / CALIB_DIR / f"{stem}.txt", calib_lines(record["camera"]).encode())


def parse_object(line: str) -> KittiObject:
    """One label line's object; ValueError saying what is wrong with it."""
    f = line.split()
    if len(f) not in (15, 16):  # a 16th field is a detection's score
        raise ValueError(f"expected 15 fields, got {len(f)}")
    try:
        v = [float(x) for x in f[1:15]]
    except ValueError:
        raise ValueError("a field is not a number") from None
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
    "kitti",
    write_sample=write_sample,
    entries=("kitti",),
    needs=frozenset({"box3d", "camera"}),
    omits={
        "segmentation": "KITTI object labels hold boxes only (the dense writer and COCO keep masks)",
        "area": "not in KITTI's label line",
        "text": "no text in KITTI",
        "quad": "no text in KITTI",
        "chars": "no text in KITTI",
        "char_quads": "no text in KITTI",
        "polygon": "no text in KITTI",
        "attributes": "only the type attribute, as the KITTI type",
        "amodal_bbox": "KITTI's 2D box is the visible one; the 3D box gives the amodal extent",
        "keypoints": "KITTI has no keypoints (COCO keeps them)",
        "occlusion": "quantised to KITTI's occlusion level 0..3",
    },
)
