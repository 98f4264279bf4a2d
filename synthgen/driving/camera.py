"""The camera rig: intrinsics from a focal length or a field of view, mounted at a height with a pitch."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synthgen.types import Camera


@dataclass(frozen=True)
class CameraRig:
    """A forward-looking camera on the ego vehicle.

    Attributes:
        width, height: image size in pixels.
        focal_px: focal length in pixels (square pixels); the principal point is the image centre.
        mount_height: metres above the ground; the camera sits at world (0, 0, mount_height).
        pitch: radians, positive tilts the camera down.
    """

    width: int
    height: int
    focal_px: float
    mount_height: float
    pitch: float = 0.0

    @staticmethod
    def focal_from_fov(width: int, fov_deg: float) -> float:
        """Focal length in pixels of a horizontal field of view."""
        return width / 2 / math.tan(math.radians(fov_deg) / 2)

    def intrinsics(self) -> np.ndarray:
        """(3, 3) K, corner convention (pixel (0, 0) covers [0, 1) x [0, 1))."""
        return np.array(
            [[self.focal_px, 0, self.width / 2], [0, self.focal_px, self.height / 2], [0, 0, 1]], np.float64
        )

    def extrinsics(self) -> np.ndarray:
        """(4, 4) world -> camera (OpenCV axes: x right, y down, z forward)."""
        # level camera: x_cam = -y_world, y_cam = -z_world, z_cam = x_world
        level = np.array([[0, -1, 0], [0, 0, -1], [1, 0, 0]], np.float64)
        c, s = math.cos(self.pitch), math.sin(self.pitch)
        tilt = np.array([[1, 0, 0], [0, c, -s], [0, s, c]], np.float64)  # about camera x: z turns down
        rot = tilt @ level
        out = np.eye(4)
        out[:3, :3] = rot
        out[:3, 3] = -rot @ np.array([0.0, 0.0, self.mount_height])
        return out

    def camera(self) -> Camera:
        return Camera(self.intrinsics(), self.extrinsics(), self.width, self.height)
