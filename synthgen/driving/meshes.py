"""Solids -> triangle meshes (one per object, coloured per face): trimesh builds each unit
primitive once; a solid is that primitive scaled, turned and moved with numpy."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from synthgen.driving.objects import SceneObject, Solid

SECTIONS = 12  # facets around a cylinder or sphere: round enough at driving distances, cheap to draw
SEGMENT_SECTIONS = 8


@dataclass(frozen=True)
class MeshData:
    """A triangle mesh: vertices (V, 3) float64, faces (F, 3) int64, face_colors (F, 4) uint8."""

    vertices: np.ndarray
    faces: np.ndarray
    face_colors: np.ndarray

    @property
    def bounds(self) -> np.ndarray:
        return np.stack([self.vertices.min(axis=0), self.vertices.max(axis=0)])


@cache
def unit_shape(shape: str) -> tuple[np.ndarray, np.ndarray]:
    """(vertices, faces) of a unit primitive built once by trimesh: a 1 m cube, a cylinder of radius
    1 and height 1 along z, a sphere of radius 1 (all centred on the origin)."""
    import trimesh

    if shape == "box":
        mesh = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    elif shape == "cylinder":
        mesh = trimesh.creation.cylinder(radius=1.0, height=1.0, sections=SECTIONS)
    elif shape == "segment":
        mesh = trimesh.creation.cylinder(radius=1.0, height=1.0, sections=SEGMENT_SECTIONS)
    elif shape == "sphere":
        mesh = trimesh.creation.uv_sphere(radius=1.0, count=(SECTIONS // 2 + 1, SECTIONS))
    else:
        raise ValueError(f"unknown solid shape {shape!r}")
    vertices, faces = np.asarray(mesh.vertices, np.float64), np.asarray(mesh.faces, np.int64)
    vertices.flags.writeable = False
    faces.flags.writeable = False
    return vertices, faces


@lru_cache(maxsize=4096)  # most solids are unturned or share a few turns: built once per worker
def _euler(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """(3, 3) rotation, static x then y then z axes (trimesh's ``sxyz``); read-only."""
    cr, sr, cp, sp, cy, sy = np.cos(roll), np.sin(roll), np.cos(pitch), np.sin(pitch), np.cos(yaw), np.sin(yaw)
    rx = np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    ry = np.array([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]])
    rz = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
    out = rz @ ry @ rx
    out.flags.writeable = False
    return out


def _align_z(direction: np.ndarray) -> np.ndarray:
    """(3, 3) rotation taking +z onto ``direction`` (unit)."""
    v = np.array([-direction[1], direction[0], 0.0])  # z x direction, as np.cross gives it (but -0.0)
    c = float(direction[2])  # z . direction
    if np.linalg.norm(v) < 1e-12:
        return np.eye(3) if c > 0 else np.diag([1.0, -1.0, -1.0])
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx / (1 + c)


def _segment_transform(solid: Solid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(scale (3,), rotation (3, 3), centre (3,)) that take the unit segment cylinder onto a segment."""
    a, b = np.asarray(solid.a, np.float64), np.asarray(solid.b, np.float64)
    length = float(np.linalg.norm(b - a))
    r = solid.size[0]
    rot = _align_z((b - a) / length) if length > 0 else np.eye(3)
    return np.array([r, r, max(length, 1e-6)]), rot, (a + b) / 2


def _solid_transform(solid: Solid):
    """(scale (3,), rotation (3, 3), centre (3,)) that take ``unit_shape(solid.shape)`` onto the
    solid (tuples or arrays)."""
    if solid.shape == "segment":
        return _segment_transform(solid)
    size = solid.size
    if solid.shape == "box":
        scale = size
    elif solid.shape == "cylinder":
        scale = (size[0], size[0], size[1])
    else:
        scale = (size[0], size[0], size[0])
    return scale, _euler(*solid.rotation), solid.center


def solid_vertices(solid: Solid) -> tuple[np.ndarray, np.ndarray]:
    """(vertices, faces) of one solid in the object's local frame."""
    vertices, faces = unit_shape(solid.shape)
    scale, rot, center = _solid_transform(solid)
    return (vertices * np.asarray(scale, np.float64)) @ rot.T + np.asarray(center, np.float64), faces


def object_mesh(obj: SceneObject) -> MeshData:
    """One mesh of all an object's solids (then its ``mesh``, if any) in its local frame, coloured per face.

    The solids keep their order (vertices, faces and colours solid after solid, as
    ``solid_vertices`` gives each); the solids of one shape are moved in one batched product.
    """
    solids = obj.solids
    shapes = [s.shape for s in solids]
    units = {shape: unit_shape(shape) for shape in dict.fromkeys(shapes)}
    n_vertices = np.array([len(units[shape][0]) for shape in shapes], np.int64)
    n_faces = np.array([len(units[shape][1]) for shape in shapes], np.int64)
    first_vertex = np.concatenate([[0], np.cumsum(n_vertices)[:-1]]).astype(np.int64)
    first_face = np.concatenate([[0], np.cumsum(n_faces)[:-1]]).astype(np.int64)
    vertices = np.empty((int(n_vertices.sum()), 3))
    faces = np.empty((int(n_faces.sum()), 3), np.int64)
    transforms = [_solid_transform(s) for s in solids]
    for shape, (unit_vertices, unit_faces) in units.items():
        idx = [i for i, sh in enumerate(shapes) if sh == shape]
        scale = np.array([transforms[i][0] for i in idx], np.float64)[:, None, :]
        rot_t = np.array([transforms[i][1] for i in idx], np.float64).transpose(0, 2, 1)
        center = np.array([transforms[i][2] for i in idx], np.float64)[:, None, :]
        moved = np.matmul(unit_vertices[None] * scale, rot_t) + center
        rows = first_vertex[idx][:, None] + np.arange(len(unit_vertices))
        vertices[rows.ravel()] = moved.reshape(-1, 3)
        face_rows = first_face[idx][:, None] + np.arange(len(unit_faces))
        faces[face_rows.ravel()] = (unit_faces[None] + first_vertex[idx][:, None, None]).reshape(-1, 3)
    colors = np.repeat(np.array([[*s.color, 255] for s in solids], np.uint8).reshape(-1, 4), n_faces, axis=0)
    if obj.mesh is not None:  # a mesh asset: its triangles after the solids'
        extra = obj.mesh
        faces = np.concatenate([faces, np.asarray(extra.faces, np.int64) + len(vertices)])
        vertices = np.concatenate([vertices, np.asarray(extra.vertices, np.float64)])
        colors = np.concatenate([colors, np.asarray(extra.face_colors, np.uint8)])
    return MeshData(vertices, faces, colors)


def flat_arrays(mesh: MeshData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unrolled triangles for flat shading: positions (3T, 3) float32, normals (3T, 3) float32,
    colours (3T, 4) float32 0..1."""
    tris = mesh.vertices[mesh.faces]
    normals = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    colors = mesh.face_colors.astype(np.float32) / 255
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
    tris = mesh.vertices[mesh.faces]
    pose = obj.pose()
    return tris @ pose[:3, :3].T + pose[:3, 3]


def fitted(obj: SceneObject) -> SceneObject:
    """The object with its solids (its mesh and joints) shifted so that its 3D box is tight: the box's
    bottom centre at the local origin, ``dimensions`` the extents of every solid."""
    from dataclasses import replace

    bounds = object_mesh(obj).bounds
    lo, hi = bounds
    shift = np.array([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]])

    def moved(p):
        return tuple(float(v) for v in np.asarray(p, np.float64) + shift)

    solids = tuple(replace(s, center=moved(s.center), a=moved(s.a), b=moved(s.b)) for s in obj.solids)
    joints = None if obj.joints is None else tuple(moved(j) for j in obj.joints)
    mesh = obj.mesh if obj.mesh is None else replace(obj.mesh, vertices=np.asarray(obj.mesh.vertices) + shift)
    # keep the world placement of the geometry: move the origin by the opposite shift (rotated)
    c, s = np.cos(obj.heading), np.sin(obj.heading)
    dx, dy, dz = -shift
    pos = np.asarray(obj.position, np.float64) + np.array([c * dx - s * dy, s * dx + c * dy, dz])
    dims = tuple(float(v) for v in hi - lo)
    return replace(obj, solids=solids, joints=joints, mesh=mesh, position=tuple(float(v) for v in pos), dimensions=dims)
