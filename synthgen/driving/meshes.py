"""Solids -> triangle meshes (one per object, coloured per face, with a material and texture
coordinates per face): trimesh builds each unit primitive once; a solid is that primitive scaled,
turned and moved with numpy."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from synthgen.driving.objects import SceneObject, Solid

SECTIONS = 12  # facets around a cylinder or sphere: round enough at driving distances, cheap to draw
SEGMENT_SECTIONS = 8


@dataclass(frozen=True)
class MeshData:
    """A triangle mesh: vertices (V, 3) float64, faces (F, 3) int64, face_colors (F, 4) uint8.

    ``face_uv`` (F, 3, 2) float32 holds each face corner's texture coordinates in metres on the
    solid's surface (a box projection in the solid's own frame, from its lowest corner: u, v along
    the two axes the face is most parallel to, v up on vertical faces), ``face_material`` (F,)
    int32 each face's index into ``materials`` (the names of ``Solid.material``, first use order).
    """

    vertices: np.ndarray
    faces: np.ndarray
    face_colors: np.ndarray
    face_uv: np.ndarray | None = None
    face_material: np.ndarray | None = None
    materials: tuple[str, ...] = ("matte",)

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


# for a face whose normal is most along x, y or z (in the solid's frame): the axes that give (u, v)
_UV_AXES = np.array([[1, 2], [0, 2], [0, 1]])


@cache
def unit_uv_layout(shape: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """((F, 3, 3) the unit primitive's face corners moved so that its lowest corner is the origin,
    (F, 2) the two axes that give each face's (u, v), (F,) +1 or -1: the sign of u, so that a
    texture reads left to right seen from outside on every side face); read-only."""
    vertices, faces = unit_shape(shape)
    corners = (vertices - vertices.min(axis=0))[faces]
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    dominant = np.argmax(np.abs(normals), axis=1)
    along = normals[np.arange(len(normals)), dominant]
    u_sign = np.where(((dominant == 0) & (along < 0)) | ((dominant == 1) & (along > 0)), -1.0, 1.0)
    axes = _UV_AXES[dominant]
    for a in (corners, axes, u_sign):
        a.flags.writeable = False
    return corners, axes, u_sign


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
    else:  # a sphere, or an ellipsoid when three semi-axes are given
        scale = (size[0], size[0], size[0]) if len(size) == 1 else size
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
    face_uv = np.empty((len(faces), 3, 2), np.float32)
    for shape in units:
        idx = [i for i, sh in enumerate(shapes) if sh == shape]
        corners, axes, u_sign = unit_uv_layout(shape)
        scale = np.abs(np.array([transforms[i][0] for i in idx], np.float64))  # (S, 3)
        # corner coordinates in metres along the solid's own axes, then the two of each face
        metres = corners[None] * scale[:, None, None, :]  # (S, F, 3, 3)
        picked = np.take_along_axis(metres, np.broadcast_to(axes[None, :, None, :], (*metres.shape[:3], 2)), axis=3)
        picked[..., 0] *= u_sign[None, :, None]
        face_rows = first_face[idx][:, None] + np.arange(len(corners))
        face_uv[face_rows.ravel()] = picked.reshape(-1, 3, 2)
    names = [s.material for s in solids]
    if obj.mesh is not None:
        names.append("matte")  # a mesh asset draws in its own face colours, untextured
    materials = tuple(dict.fromkeys(names)) or ("matte",)
    index = {name: k for k, name in enumerate(materials)}
    face_material = np.repeat(np.array([index[s.material] for s in solids], np.int32), n_faces)
    if obj.mesh is not None:  # a mesh asset: its triangles after the solids'
        extra = obj.mesh
        faces = np.concatenate([faces, np.asarray(extra.faces, np.int64) + len(vertices)])
        vertices = np.concatenate([vertices, np.asarray(extra.vertices, np.float64)])
        colors = np.concatenate([colors, np.asarray(extra.face_colors, np.uint8)])
        n_extra = len(extra.faces)
        face_uv = np.concatenate([face_uv, np.zeros((n_extra, 3, 2), np.float32)])
        face_material = np.concatenate([face_material, np.full(n_extra, index["matte"], np.int32)])
    return MeshData(vertices, faces, colors, face_uv, face_material, materials)


def flat_arrays(mesh: MeshData, faces: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unrolled triangles for flat shading: positions (3T, 3) float32, normals (3T, 3) float32,
    colours (3T, 4) float32 0..1.

    Args:
        faces: the faces to unroll (an index or boolean mask over the mesh's faces); all when None.
    """
    picked = mesh.faces if faces is None else mesh.faces[faces]
    tris = mesh.vertices[picked]
    normals = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    colors = (mesh.face_colors if faces is None else mesh.face_colors[faces]).astype(np.float32) / 255
    return (
        tris.reshape(-1, 3).astype(np.float32),
        np.repeat(normals, 3, axis=0).astype(np.float32),
        np.repeat(colors, 3, axis=0),
    )


def material_groups(mesh: MeshData) -> list[tuple[str, np.ndarray]]:
    """(material name, indices of its faces) for each material of the mesh, in ``mesh.materials`` order."""
    if mesh.face_material is None or len(mesh.materials) == 1:
        return [(mesh.materials[0], np.arange(len(mesh.faces)))]
    order = np.argsort(mesh.face_material, kind="stable")
    bounds = np.searchsorted(mesh.face_material[order], np.arange(len(mesh.materials) + 1))
    return [
        (name, order[bounds[k] : bounds[k + 1]]) for k, name in enumerate(mesh.materials) if bounds[k + 1] > bounds[k]
    ]


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
