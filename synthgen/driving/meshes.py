"""Solids -> triangle meshes with trimesh (one mesh per object, coloured per face)."""

from __future__ import annotations

import numpy as np

from synthgen.driving.objects import SceneObject, Solid

SECTIONS = 12  # facets around a cylinder or sphere: round enough at driving distances, cheap to draw


def _rotation(roll: float, pitch: float, yaw: float) -> np.ndarray:
    import trimesh

    return trimesh.transformations.euler_matrix(roll, pitch, yaw, "sxyz")


def solid_mesh(solid: Solid):
    """The trimesh.Trimesh of one solid, in the object's local frame, with its face colours."""
    import trimesh

    if solid.shape == "box":
        mesh = trimesh.creation.box(extents=solid.size)
    elif solid.shape == "cylinder":
        mesh = trimesh.creation.cylinder(radius=solid.size[0], height=solid.size[1], sections=SECTIONS)
    elif solid.shape == "sphere":
        mesh = trimesh.creation.uv_sphere(radius=solid.size[0], count=(SECTIONS // 2 + 1, SECTIONS))
    elif solid.shape == "segment":
        mesh = trimesh.creation.cylinder(radius=solid.size[0], segment=np.array([solid.a, solid.b]), sections=8)
    else:
        raise ValueError(f"unknown solid shape {solid.shape!r}")
    if solid.shape != "segment":
        transform = _rotation(*solid.rotation)
        transform[:3, 3] = solid.center
        mesh.apply_transform(transform)
    mesh.visual.face_colors = np.array([*solid.color, 255], np.uint8)
    return mesh


def object_mesh(obj: SceneObject, world: bool = False):
    """One trimesh.Trimesh of all an object's solids, local frame (or world with ``world=True``),
    coloured per face (``mesh.visual.face_colors``)."""
    import trimesh

    parts = [solid_mesh(s) for s in obj.solids]
    vertices, faces, colors, offset = [], [], [], 0
    for part in parts:  # by hand: trimesh.util.concatenate needs scipy for the colours
        vertices.append(np.asarray(part.vertices))
        faces.append(np.asarray(part.faces) + offset)
        colors.append(np.asarray(part.visual.face_colors))
        offset += len(part.vertices)
    mesh = trimesh.Trimesh(np.concatenate(vertices), np.concatenate(faces), face_colors=np.concatenate(colors), process=False)
    if world:
        mesh.apply_transform(obj.pose())
    return mesh


def flat_arrays(mesh) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unrolled triangles for flat shading: positions (3T, 3) float32, normals (3T, 3) float32,
    colours (3T, 4) float32 0..1."""
    tris = np.asarray(mesh.vertices)[np.asarray(mesh.faces)]
    normals = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    colors = np.asarray(mesh.visual.face_colors, np.float32) / 255
    return (
        tris.reshape(-1, 3).astype(np.float32),
        np.repeat(normals, 3, axis=0).astype(np.float32),
        np.repeat(colors, 3, axis=0),
    )


def triangles_world(obj: SceneObject, mesh=None) -> np.ndarray:
    """(T, 3, 3) the object's triangles in world coordinates (for silhouettes).

    Args:
        mesh: the object's local-frame mesh (``object_mesh(obj)``), built here when None.
    """
    mesh = object_mesh(obj) if mesh is None else mesh
    tris = np.asarray(mesh.vertices)[np.asarray(mesh.faces)]
    pose = obj.pose()
    return tris @ pose[:3, :3].T + pose[:3, 3]


def fitted(obj: SceneObject) -> SceneObject:
    """The object with its solids (and joints) shifted so that its 3D box is tight: the box's
    bottom centre at the local origin, ``dimensions`` the extents of every solid."""
    from dataclasses import replace

    bounds = object_mesh(obj).bounds
    lo, hi = bounds
    shift = np.array([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]])

    def moved(p):
        return tuple(float(v) for v in np.asarray(p, np.float64) + shift)

    solids = tuple(replace(s, center=moved(s.center), a=moved(s.a), b=moved(s.b)) for s in obj.solids)
    joints = None if obj.joints is None else tuple(moved(j) for j in obj.joints)
    # keep the world placement of the geometry: move the origin by the opposite shift (rotated)
    c, s = np.cos(obj.heading), np.sin(obj.heading)
    dx, dy, dz = -shift
    pos = np.asarray(obj.position, np.float64) + np.array([c * dx - s * dy, s * dx + c * dy, dz])
    dims = tuple(float(v) for v in hi - lo)
    return replace(obj, solids=solids, joints=joints, position=tuple(float(v) for v in pos), dimensions=dims)
