"""The ground plane of a frame, in frame coordinates (x right, y down, z forward): y = a x + b z + c.

Where it comes from (``ground`` in the config; ``auto`` tries them in this order):

* ``calib``: the calibration's world plane z = 0 (KITTI's ``Tr_velo_to_cam`` chain), when the
  camera stands 0.3..5 m above it and it is within 30 degrees of level: true of the frames synthgen
  writes (its world sits on the road), not of KITTI's own, whose Velodyne origin is 1.73 m up;
* ``boxes``: the bottoms of the labelled vehicles' 3D boxes (cars, vans, trucks, trams stand on
  the road; people may be on a kerb), a least-squares plane through three or more, a level one at
  their median height with one or two, or with a fit steeper than MAX_SLOPE;
* ``camera``: level, ``camera.mount_height`` below the camera.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synthgen.driving.insert.frames import Frame
from synthgen.errors import DatasetError

GROUND_SOURCES = ("auto", "calib", "boxes", "camera")
VEHICLES = ("Car", "Van", "Truck", "Tram")
MAX_SLOPE = 0.15  # a fitted plane steeper than this (8.5 degrees) is not trusted
MIN_HEIGHT, MAX_HEIGHT = 0.3, 5.0
MAX_TILT_DEG = 30.0


@dataclass(frozen=True)
class Ground:
    """The plane y = a x + b z + c in frame coordinates, and where it came from."""

    a: float
    b: float
    c: float
    source: str

    def y_at(self, x: float, z: float) -> float:
        """The plane's y (down) below frame point (x, ., z)."""
        return self.a * x + self.b * z + self.c

    def distance(self, point: np.ndarray) -> float:
        """Signed distance of a frame point from the plane, metres (positive below it)."""
        x, y, z = (float(v) for v in point)
        return (y - self.y_at(x, z)) / math.sqrt(1 + self.a**2 + self.b**2)


def from_calib(frame: Frame) -> Ground | None:
    """The calibration's world ground, where it is a plausible road under the camera."""
    if frame.calib_ground is None:
        return None
    n, p = frame.calib_ground
    if n[1] > 0:
        n = -n  # the up side
    if -n[1] < math.cos(math.radians(MAX_TILT_DEG)):
        return None
    # n . (F - p) = 0  ->  y = (n.p - n_x x - n_z z) / n_y; the camera (the origin) is -n.p above it
    if not MIN_HEIGHT <= -float(n @ p) <= MAX_HEIGHT:
        return None
    return Ground(float(-n[0] / n[1]), float(-n[2] / n[1]), float(n @ p / n[1]), "calib")


def from_boxes(frame: Frame) -> Ground | None:
    """The plane through the labelled vehicles' box bottoms (see the module doc)."""
    boxes = [o.box3d for o in frame.objects if o.box3d is not None and o.kitti.type in VEHICLES]
    if not boxes:
        return None
    pts = np.array([[b.center[0], b.center[1] + b.dimensions[2] / 2, b.center[2]] for b in boxes])
    level = Ground(0.0, 0.0, float(np.median(pts[:, 1])), "boxes")
    if len(pts) < 3:
        return level if MIN_HEIGHT <= level.c <= MAX_HEIGHT else None
    design = np.c_[pts[:, 0], pts[:, 2], np.ones(len(pts))]
    (a, b, c), _, rank, _ = np.linalg.lstsq(design, pts[:, 1], rcond=None)
    fit = Ground(float(a), float(b), float(c), "boxes")
    best = fit if rank == 3 and abs(a) <= MAX_SLOPE and abs(b) <= MAX_SLOPE else level
    return best if MIN_HEIGHT <= best.c <= MAX_HEIGHT else None


def from_camera(mount_height: float) -> Ground:
    return Ground(0.0, 0.0, float(mount_height), "camera")


def ground_plane(frame: Frame, source: str, mount_height: float) -> Ground:
    """The ground of a frame from ``source`` (one of GROUND_SOURCES); DatasetError naming the frame's
    file where a source asked for by name has nothing to give."""
    if source == "camera":
        return from_camera(mount_height)
    if source in ("auto", "calib"):
        found = from_calib(frame)
        if found is not None:
            return found
        if source == "calib":
            raise DatasetError(f"{frame.path}: its calibration has no plausible ground plane (ground: calib)")
    found = from_boxes(frame)
    if found is not None:
        return found
    if source == "boxes":
        raise DatasetError(f"{frame.path}: no labelled vehicle 3D box to take the ground from (ground: boxes)")
    return from_camera(mount_height)
