"""The user's frames: a KITTI-layout folder (``image_2/``, ``calib/``, optional ``label_2/``) or a
plain folder of images seen through one camera, listed and checked at load time, read one frame
at a time (pixels and labels are never held for the whole folder).

Coordinates. A frame's labels live in KITTI's rectified camera frame, here called the *frame
coordinates* F (x right, y down along gravity, z forward, metres), moved to the image camera as
synthgen's KITTI reader does (``kitti_reader.camera_record``: a point X of a label lands on pixel
``P2 @ [X; 1] = K2 (X + t)``, so F = X + t is centred on the image camera). The image camera C is
F turned by ``rotation`` (C = rotation @ F, the pitch of a synthgen frame's camera; the identity
for KITTI, whose P2 is already rectified), with the upper-triangular ``intrinsics``:
pixel = intrinsics @ C, corner convention (pixel (0, 0) covers [0, 1) x [0, 1)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthgen.errors import ConfigError, DatasetError
from synthgen.formats.base import IMAGE_SUFFIXES, image_size, read_text
from synthgen.formats.kitti import KittiObject, parse_calib, parse_object
from synthgen.types import Box3D

MIN_SIDE, MAX_SIDE = 32, 8192


@dataclass(frozen=True)
class FrameCamera:
    """A frame's pinhole camera.

    Attributes:
        intrinsics: (3, 3) float64 upper-triangular K of the image camera C.
        rotation: (3, 3) float64 F -> C.
        offset: (3,) float64 ``t``: the label frame's points X are at F = X + t.
    """

    intrinsics: np.ndarray
    rotation: np.ndarray
    offset: np.ndarray

    def project(self, points_f: np.ndarray) -> np.ndarray:
        """(N, 3) points in frame coordinates -> (N, 2) pixels."""
        c = np.asarray(points_f, np.float64).reshape(-1, 3) @ self.rotation.T
        uvw = c @ self.intrinsics.T
        return uvw[:, :2] / uvw[:, 2:3]

    def rays(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """(N, 3) directions in frame coordinates of the rays through pixel positions (u, v)."""
        pix = np.stack([u, v, np.ones_like(u)], axis=-1).astype(np.float64)
        return (pix @ np.linalg.inv(self.intrinsics).T) @ self.rotation  # C -> F is rotation.T


@dataclass(frozen=True)
class FrameEntry:
    """One frame of the listing: its stem, image file name and size."""

    stem: str
    image: str
    width: int
    height: int


@dataclass(frozen=True)
class FrameList:
    """The frames of a folder, checked at load time.

    Attributes:
        folder: the folder (absolute).
        layout: ``kitti`` (image_2/, calib/, optional label_2/) or ``plain`` (images in the folder).
        entries: the frames in name order.
        labelled: whether the KITTI folder has ``label_2/``.
        camera: (focal_px or None, fov_deg, pitch_deg) of a plain folder's camera, else None.
    """

    folder: str
    layout: str
    entries: tuple[FrameEntry, ...]
    labelled: bool = False
    camera: tuple[float | None, float, float] | None = None


@dataclass(frozen=True)
class RealObject:
    """One labelled object of a frame.

    Attributes:
        line: its 1-based line in the label file.
        kitti: the parsed label line.
        box3d: its 3D box in frame coordinates, or None (``DontCare``, or no 3D extent).
    """

    line: int
    kitti: KittiObject
    box3d: Box3D | None


@dataclass(frozen=True)
class Frame:
    """One frame, read.

    Attributes:
        entry: its listing entry; ``path`` its image file.
        camera: its camera.
        calib_ground: (normal (3,), point (3,)) of the calibration's world ground plane z = 0 in
            frame coordinates (KITTI's Tr_velo_to_cam chain), or None where the calibration has none.
        objects: its labelled objects, in file order ((), for a frame without labels).
        label_text: the label file's text ("" without one).
    """

    entry: FrameEntry
    path: str
    camera: FrameCamera
    calib_ground: tuple[np.ndarray, np.ndarray] | None
    objects: tuple[RealObject, ...]
    label_text: str = ""


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def list_frames(path: str, key: str, camera: tuple[float | None, float, float] | None) -> FrameList:
    """List and check the frames of ``path`` (ConfigError naming ``key`` and the file at fault).

    Every image's header, every calibration file and every label file is read and checked here,
    before a run touches its output folder; pixels are decoded only when a frame is used.

    Args:
        path: the folder.
        key: the config key path for errors (``scene.params.frames``).
        camera: a plain folder's camera (focal_px or None, fov_deg, pitch_deg); None when not set.
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise ConfigError(key, f"{folder}: no such folder")
    folder = folder.resolve()
    kitti = (folder / "image_2").is_dir()
    image_dir = folder / "image_2" if kitti else folder
    images = _images(image_dir)
    if not images:
        raise ConfigError(key, f"{image_dir}: no images ({', '.join(IMAGE_SUFFIXES)})")
    if not kitti and camera is None:
        raise ConfigError(key.rsplit(".", 1)[0] + ".camera", f"a plain image folder ({folder}) needs its camera, e.g. "
                          "{fov_deg: 90, mount_height: 1.3, pitch_deg: 0}")
    labelled = kitti and (folder / "label_2").is_dir()
    entries = []
    for image in images:
        size = image_size(image)
        if size is None:
            raise ConfigError(key, f"{image}: not a readable image")
        width, height = size
        if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
            raise ConfigError(key, f"{image}: {width}x{height}, sides must be in {MIN_SIDE}..{MAX_SIDE}")
        entry = FrameEntry(image.stem, image.name, width, height)
        if kitti:
            calib = folder / "calib" / f"{image.stem}.txt"
            if not calib.is_file():
                raise ConfigError(key, f"{calib}: missing (every image of image_2/ needs its calibration)")
            try:
                kitti_camera(calib)
            except DatasetError as exc:
                raise ConfigError(key, str(exc)) from None
            if labelled:
                labels = folder / "label_2" / f"{image.stem}.txt"
                if not labels.is_file():
                    raise ConfigError(key, f"{labels}: missing (label_2/ needs a file per image)")
                try:
                    read_objects(labels, np.zeros(3))
                except DatasetError as exc:
                    raise ConfigError(key, str(exc)) from None
        entries.append(entry)
    return FrameList(str(folder), "kitti" if kitti else "plain", tuple(entries), labelled, None if kitti else camera)


def kitti_camera(calib_path: Path) -> tuple[FrameCamera, tuple[np.ndarray, np.ndarray] | None]:
    """The camera of a KITTI calibration file and its world ground plane (see ``Frame``); DatasetError
    naming the file when it is not usable."""
    import cv2

    calib = parse_calib(read_text(calib_path), str(calib_path))
    p2 = calib.get("P2")
    if p2 is None or p2.shape != (3, 4):
        raise DatasetError(f"{calib_path}: no 3x4 P2 matrix")
    k_rect = p2[:, :3]
    if abs(np.linalg.det(k_rect)) < 1e-9 or not np.isfinite(np.linalg.cond(k_rect)) or np.linalg.cond(k_rect) > 1e12:
        raise DatasetError(f"{calib_path}: P2 is singular, not a camera")
    k, rot = cv2.RQDecomp3x3(k_rect)[1:3]
    signs = np.diag(np.sign(np.diag(k)))  # K with a positive diagonal; K R is unchanged
    k, rot = k @ signs, signs @ rot
    if k[2, 2] <= 0 or abs(k[0, 1]) > 1e-6 * abs(k[0, 0]) or np.linalg.det(rot) < 0:
        raise DatasetError(f"{calib_path}: P2 is not a pinhole camera looking forward (skewed or mirrored)")
    k = k / k[2, 2]
    offset = np.linalg.solve(k_rect, p2[:, 3])
    ground = None
    if "Tr_velo_to_cam" in calib and calib["Tr_velo_to_cam"].shape == (3, 4):
        r0 = calib.get("R0_rect", np.eye(3))
        if r0.shape != (3, 3):
            raise DatasetError(f"{calib_path}: R0_rect is not 3x3")
        tr = calib["Tr_velo_to_cam"]
        normal = r0 @ tr[:, :3] @ np.array([0.0, 0.0, 1.0])
        point = r0 @ tr[:, 3] + offset
        if np.linalg.norm(normal) > 1e-6:
            ground = (normal / np.linalg.norm(normal), point)
    return FrameCamera(np.asarray(k, np.float64), np.asarray(rot, np.float64), offset), ground


def plain_camera(width: int, height: int, camera: tuple[float | None, float, float]) -> FrameCamera:
    """The camera of a plain folder's frame: the configured focal length (or field of view) and pitch."""
    focal_px, fov_deg, pitch_deg = camera
    focal = focal_px if focal_px is not None else width / 2 / math.tan(math.radians(fov_deg) / 2)
    k = np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1]], np.float64)
    c, s = math.cos(math.radians(pitch_deg)), math.sin(math.radians(pitch_deg))
    tilt = np.array([[1, 0, 0], [0, c, -s], [0, s, c]], np.float64)  # as CameraRig: positive looks down
    return FrameCamera(k, tilt, np.zeros(3))


def read_objects(labels: Path, offset: np.ndarray) -> tuple[tuple[RealObject, ...], str]:
    """The objects of a KITTI label file, with their 3D boxes in frame coordinates, and its text."""
    text = read_text(labels)
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            o = parse_object(line)
        except ValueError as exc:
            raise DatasetError(f"{labels} line {n}: {exc}") from None
        x1, y1, x2, y2 = o.bbox
        if x2 < x1 or y2 < y1:
            raise DatasetError(f"{labels} line {n}: 2D box has x2 < x1 or y2 < y1")
        box = None
        h, w, length = o.dimensions
        if o.type != "DontCare" and h > 0 and w > 0 and length > 0:
            x, y, z = np.asarray(o.location, np.float64) + offset
            box = Box3D(np.array([x, y - h / 2, z]), np.array([length, w, h], np.float64), float(o.rotation_y))
        out.append(RealObject(n, o, box))
    return tuple(out), text


def read_frame(frames: FrameList, index: int) -> Frame:
    """Frame ``index`` of the listing: camera, ground and labels (the pixels: ``load_pixels``)."""
    entry = frames.entries[index]
    folder = Path(frames.folder)
    if frames.layout == "plain":
        assert frames.camera is not None
        return Frame(entry, str(folder / entry.image), plain_camera(entry.width, entry.height, frames.camera), None, ())
    camera, ground = kitti_camera(folder / "calib" / f"{entry.stem}.txt")
    objects: tuple[RealObject, ...] = ()
    text = ""
    if frames.labelled:
        objects, text = read_objects(folder / "label_2" / f"{entry.stem}.txt", camera.offset)
    return Frame(entry, str(folder / "image_2" / entry.image), camera, ground, objects, text)


def load_pixels(path: str, width: int, height: int) -> np.ndarray:
    """(H, W, 3) uint8 RGB of a frame's image; DatasetError naming the file if it cannot be decoded
    or changed size since the listing."""
    from synthgen.lazy import ImageFile

    rgb = ImageFile(path)()
    if rgb.shape[:2] != (height, width):
        raise DatasetError(f"{path}: {rgb.shape[1]}x{rgb.shape[0]}, listed as {width}x{height} when the run started")
    return rgb
