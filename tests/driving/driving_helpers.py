"""Hand-built driving scenes with known geometry, rendered with the mesh3d renderer."""

from __future__ import annotations

import math

import numpy as np

from synthgen.annotate import annotate
from synthgen.driving.camera import CameraRig
from synthgen.driving.categories import driving_categories
from synthgen.driving.lights import Environment, Light
from synthgen.driving.objects import SceneObject, Solid
from synthgen.driving.render import Mesh3DSettings, OffscreenResource, render_layers
from synthgen.types import CategoryTable, SceneSpec

SETTINGS = Mesh3DSettings(znear=0.3, zfar=500.0, normals=False)
TABLE = CategoryTable(driving_categories())


def rig(
    width: int = 320, height: int = 192, fov: float = 70.0, mount: float = 1.5, pitch_deg: float = 0.0
) -> CameraRig:
    return CameraRig(width, height, CameraRig.focal_from_fov(width, fov), mount, math.radians(pitch_deg))


def ground(size: float = 400.0) -> SceneObject:
    """A flat road whose top is the plane z = 0."""
    return SceneObject(
        "road",
        "road",
        (Solid("box", (size, size, 0.2), (80, 80, 80), (0.0, 0.0, -0.1)),),
        (0.0, 0.0, 0.0),
        0.0,
        (size, size, 0.2),
        instance=False,
    )


def crate(position, size=(1.0, 1.0, 1.0), heading: float = 0.0, name: str = "box") -> SceneObject:
    """An axis-aligned box actor (an obstacle) standing on the ground, bottom centre at ``position``."""
    return SceneObject(
        name,
        "obstacle",
        (Solid("box", size, (180, 130, 70), (0.0, 0.0, size[2] / 2)),),
        tuple(position),
        heading,
        tuple(size),
        attributes=(("type", name),),
    )


def spec_of(camera_rig: CameraRig, objects, time_of_day: str = "day") -> SceneSpec:
    items = (
        *objects,
        Environment((135, 180, 230), (0.4, 0.4, 0.4), time_of_day),
        Light("directional", (1, 1, 1), 3.0, direction=(0.3, 0.2, -1.0)),
    )
    return SceneSpec(
        "driving", camera_rig.width, camera_rig.height, {}, items, TABLE.names, camera=camera_rig.camera()
    )


_resource = OffscreenResource()


def render(spec: SceneSpec):
    """(layers, labels) of a spec, with one renderer kept for the test session."""
    layers = render_layers(spec, SETTINGS, _resource)
    return layers, annotate(layers, spec, TABLE)


def unproject(camera, u: np.ndarray, v: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """(N, 3) world points of pixel centres (u, v integer columns and rows) at camera depth."""
    k = camera.intrinsics
    x = (u + 0.5 - k[0, 2]) / k[0, 0] * depth
    y = (v + 0.5 - k[1, 2]) / k[1, 1] * depth
    cam = np.stack([x, y, depth], axis=1)
    e = camera.extrinsics
    return (cam - e[:3, 3]) @ e[:3, :3]
