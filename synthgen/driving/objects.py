"""The scene graph's objects: plain, renderer-independent data.

World frame: metres, z up, x forward along the ego lane, y to the left; the ground is z = 0.
An object's local frame has its origin at the bottom centre of its box, x along its heading.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SHAPES = ("box", "cylinder", "sphere", "segment")


@dataclass(frozen=True)
class Solid:
    """One coloured primitive of an object, in the object's local frame.

    Attributes:
        shape: ``box`` (size = extents x, y, z), ``cylinder`` (size = radius, height; axis z),
            ``sphere`` (size = radius, or three semi-axes along x, y, z: an ellipsoid),
            ``segment`` (a cylinder of radius size[0] from point ``a`` to point ``b``).
        size: the shape's sizes, metres.
        center: (x, y, z) of the shape's centre (box, cylinder, sphere).
        rotation: (roll, pitch, yaw) radians applied about the centre (box, cylinder, ellipsoid).
        a, b: the segment's end points.
        color: (r, g, b) 0..255.
        material: a name in driving/materials.py (how its surface looks: texture, roughness, glow).
    """

    shape: str
    size: tuple[float, ...]
    color: tuple[int, int, int]
    center: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rotation: tuple[float, float, float] = (0.0, 0.0, 0.0)
    a: tuple[float, float, float] = (0.0, 0.0, 0.0)
    b: tuple[float, float, float] = (0.0, 0.0, 0.0)
    material: str = "matte"


@dataclass(frozen=True, eq=False)
class TriangleMesh:
    """A triangle mesh of an object besides its solids (a mesh asset), in the object's local frame.

    Compared and hashed by identity (its arrays are large and shared by the actors of one file).

    Attributes:
        vertices: (V, 3) float64 metres.
        faces: (F, 3) int64 vertex indices.
        face_colors: (F, 4) uint8 RGBA.
    """

    vertices: np.ndarray
    faces: np.ndarray
    face_colors: np.ndarray


@dataclass(frozen=True)
class SceneObject:
    """An object placed in the world.

    Attributes:
        name: what it is (``car``, ``van``, ``child``, ``building``), recorded as the ``type`` attribute.
        category: the semantic category (Cityscapes name: ``car``, ``road``, ``animal``, ...).
        solids: its primitives in the local frame.
        mesh: a triangle mesh in the local frame besides the solids (a mesh asset), or None.
        position: (x, y, z) world position of the local origin (bottom centre).
        heading: radians about the world z axis (0: facing +x, away from the camera).
        dimensions: (length, width, height) of its 3D box, metres (along x, y, z of the local frame).
        instance: True for an actor (its own instance id, labels); False for backdrop stuff.
        joints: (17, 3) COCO keypoints in the local frame (people), or None.
        joint_radius: (17,) how far inside the surface each joint lies (limb radius), metres.
        attributes: JSON-able attributes for the instance (``type``, ``pose``, ``role``; ``actor``: the
            index of the scenario actor it belongs to in the scene params' ``actors``, shared by a
            rider and its bicycle).
    """

    name: str
    category: str
    solids: tuple[Solid, ...]
    position: tuple[float, float, float]
    heading: float
    dimensions: tuple[float, float, float]
    instance: bool = True
    joints: tuple[tuple[float, float, float], ...] | None = None
    joint_radius: tuple[float, ...] | None = None
    attributes: tuple[tuple[str, object], ...] = ()
    mesh: TriangleMesh | None = None

    def pose(self) -> np.ndarray:
        """(4, 4) local -> world transform."""
        c, s = np.cos(self.heading), np.sin(self.heading)
        out = np.eye(4)
        out[:2, :2] = [[c, -s], [s, c]]
        out[:3, 3] = self.position
        return out

    def box_corners_world(self) -> np.ndarray:
        """(8, 3) corners of the 3D box in world coordinates."""
        length, width, height = self.dimensions
        x = np.array([1, 1, -1, -1, 1, 1, -1, -1]) * length / 2
        y = np.array([1, -1, -1, 1, 1, -1, -1, 1]) * width / 2
        z = np.array([0, 0, 0, 0, 1, 1, 1, 1]) * height
        local = np.stack([x, y, z, np.ones(8)], axis=1)
        return (local @ self.pose().T)[:, :3]

    def joints_world(self) -> np.ndarray | None:
        """(17, 3) joints in world coordinates, or None."""
        if self.joints is None:
            return None
        local = np.c_[np.asarray(self.joints, np.float64), np.ones(len(self.joints))]
        return (local @ self.pose().T)[:, :3]
