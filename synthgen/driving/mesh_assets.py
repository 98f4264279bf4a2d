"""Actors from the user's own meshes (``kind: asset``): glTF/GLB/OBJ files in a folder, read with trimesh.

Every file of the folder is read and checked when the config loads (before OUT is touched): it
parses, holds triangles with finite vertices, and keeps a plausible shape once turned to z up and
scaled to the real-world size the config gives (a wrong ``up_axis`` makes a car 12 m tall and
40 cm long). Each actor draws one file and one size; the mesh is turned so that its ``forward_axis``
is the actor's heading and its lowest vertex stands on the ground (z = 0 of the object's frame).

Keypoints (categories that have them: COCO's 17 for ``person`` and ``rider``): a sidecar
``<stem>.keypoints.json`` beside the mesh maps each keypoint name to ``[x, y, z]`` in the file's own
coordinates; without one, the glTF file's nodes named after the keypoints (the empties of a rig
export) give them. They move with the mesh and are labelled as the built-in people's are.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np

from synthgen.config.distributions import Distribution, parse_checked
from synthgen.driving.categories import COCO_KEYPOINTS, INSTANCE_CATEGORIES
from synthgen.driving.objects import SceneObject, TriangleMesh
from synthgen.errors import ConfigError

MESH_SUFFIXES = (".glb", ".gltf", ".obj")
AXES = ("x", "y", "z", "-x", "-y", "-z")
KEYPOINT_RADIUS = 0.04  # metres: a keypoint of an asset lies this far inside its surface, at most
MAX_FOOTPRINT_RATIO = 20.0  # longest side / height of a plausible actor: more says the up axis is wrong
MAX_STRETCH = 3.0  # ``dimensions`` may scale one axis at most this much more than another
Number = Union[int, float, str]  # noqa: UP007  (omegaconf 2.4 takes typing.Union, not X | Y)


@dataclass
class AssetSchema:
    """The meshes of a ``kind: asset`` actor group.

    Args:
        folder: a folder of .glb, .gltf and .obj files (sub-folders not searched); each actor draws one.
        category: its instance category (``obstacle``, ``animal``, ``person``, ``rider``, ``car``,
            ``truck``, ``bus``, ``bicycle``).
        height: metres (a number or a distribution): each mesh is scaled evenly to this height.
        dimensions: ``[length, width, height]`` metres instead of ``height``: each mesh is scaled
            along each axis to this box (length along its forward axis).
        up_axis: the file's up direction (``x``, ``y``, ``z``, ``-x``, ...); glTF's is ``y``.
        forward_axis: the file's front direction, turned to the actor's heading; glTF's is ``z``.
    """

    folder: str = "???"
    category: str = "obstacle"
    height: Number | None = None
    dimensions: list[float] | None = None
    up_axis: str = "y"
    forward_axis: str = "z"


@dataclass(frozen=True)
class MeshAsset:
    """One checked file, turned to the object frame (x forward, z up) in its own units.

    Attributes:
        name: the file's stem (the instance's ``type`` attribute).
        vertices: (V, 3) float64; faces: (F, 3) int64; face_colors: (F, 4) uint8.
        keypoints: (K, 3) float64 in the same frame, or None.
    """

    name: str
    vertices: np.ndarray
    faces: np.ndarray
    face_colors: np.ndarray
    keypoints: np.ndarray | None

    @property
    def extents(self) -> np.ndarray:
        return self.vertices.max(axis=0) - self.vertices.min(axis=0)


@dataclass(frozen=True)
class AssetLibrary:
    """The checked meshes of one actor group and how big they are.

    Attributes:
        assets: the files, sorted by name.
        category: the instance category.
        height: the height distribution (metres), or None where ``dimensions`` is given.
        dimensions: (length, width, height) metres, or None.
    """

    assets: tuple[MeshAsset, ...]
    category: str
    height: Distribution | None
    dimensions: tuple[float, float, float] | None


def axis_vector(name: str) -> np.ndarray:
    """The unit vector of an axis name (``-y`` -> (0, -1, 0))."""
    out = np.zeros(3)
    out["xyz".index(name[-1])] = -1.0 if name.startswith("-") else 1.0
    return out


def to_object_frame(up_axis: str, forward_axis: str) -> np.ndarray:
    """(3, 3) rotation taking the file's forward axis to +x and its up axis to +z (y = z cross x)."""
    up, forward = axis_vector(up_axis), axis_vector(forward_axis)
    return np.stack([forward, np.cross(up, forward), up])


def read_mesh(path: Path, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """(vertices (V, 3) float64, faces (F, 3) int64, face colours (F, 4) uint8, {node name: (3,)
    position}) of a mesh file, its scene graph's transforms applied and textures sampled to face
    colours. ConfigError at ``key``."""
    import trimesh

    try:
        scene = trimesh.load(str(path), force="scene")
        parts = [g for g in scene.dump() if isinstance(g, trimesh.Trimesh) and len(g.faces)]
        nodes = {str(n): np.asarray(scene.graph.get(n)[0], np.float64)[:3, 3] for n in scene.graph.nodes}
    except Exception as exc:  # noqa: BLE001  trimesh raises many kinds; the file's contents are not echoed
        raise ConfigError(key, f"{path}: not a readable mesh ({type(exc).__name__})") from None
    if not parts:
        raise ConfigError(key, f"{path}: holds no triangles")
    vertices, faces, colors = [], [], []
    offset = 0
    for part in parts:
        visual = part.visual
        if visual.kind == "texture":
            try:
                visual = visual.to_color()
            except Exception:  # noqa: BLE001  a texture trimesh cannot sample: its material's colour
                visual = trimesh.visual.ColorVisuals(part, face_colors=(180, 180, 180, 255))
        face_colors = np.asarray(visual.face_colors if visual.kind else np.full((len(part.faces), 4), 180), np.uint8)
        vertices.append(np.asarray(part.vertices, np.float64))
        faces.append(np.asarray(part.faces, np.int64) + offset)
        colors.append(face_colors.reshape(len(part.faces), 4))
        offset += len(part.vertices)
    out = np.concatenate(vertices), np.concatenate(faces), np.concatenate(colors)
    if not np.isfinite(out[0]).all():
        raise ConfigError(key, f"{path}: has vertices that are not finite numbers")
    return (*out, nodes)


def node_keypoints(nodes: dict[str, np.ndarray], names: tuple[str, ...], path: Path, key: str) -> np.ndarray | None:
    """(K, 3) keypoints from the nodes named after them, None where no node is; ConfigError where some are."""
    found = [n for n in names if n in nodes]
    if not found:
        return None
    if len(found) < len(names):
        missing = next(n for n in names if n not in nodes)
        raise ConfigError(key, f"{path}: has nodes for {len(found)} of {len(names)} keypoints (lacks {missing!r})")
    return np.stack([nodes[n] for n in names])


def read_keypoints(path: Path, names: tuple[str, ...], key: str) -> np.ndarray:
    """(K, 3) keypoints of a sidecar JSON ``{name: [x, y, z]}`` holding every name of ``names``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(key, f"{path}: not a readable JSON file ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise ConfigError(key, f"{path}: must map keypoint names to [x, y, z]")
    if not names:
        raise ConfigError(key, f"{path}: this category has no keypoints; remove the file or change the category")
    missing = [n for n in names if n not in data]
    if missing:
        raise ConfigError(key, f"{path}: lacks keypoint {missing[0]!r} ({len(missing)} of {len(names)} missing)")
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ConfigError(key, f"{path}: {unknown[0]!r} is not a keypoint of this category")
    points = []
    for n in names:
        p = data[n]
        ok = isinstance(p, list) and len(p) == 3 and all(isinstance(v, (int, float)) and math.isfinite(v) for v in p)
        if not ok:
            raise ConfigError(key, f"{path}: keypoint {n!r} must be [x, y, z] numbers")
        points.append(p)
    return np.asarray(points, np.float64)


def load_library(a: AssetSchema, key: str) -> AssetLibrary:
    """Check an ``asset`` section and read every mesh of its folder; ConfigError naming the key path."""
    if a.category not in INSTANCE_CATEGORIES:
        raise ConfigError(f"{key}.category", f"{a.category!r} is not one of {', '.join(INSTANCE_CATEGORIES)}")
    for name in ("up_axis", "forward_axis"):
        if getattr(a, name) not in AXES:
            raise ConfigError(f"{key}.{name}", f"{getattr(a, name)!r} is not one of {', '.join(AXES)}")
    if a.up_axis[-1] == a.forward_axis[-1]:
        raise ConfigError(f"{key}.forward_axis", f"must be across up_axis ({a.up_axis}), got {a.forward_axis}")
    if (a.height is None) == (a.dimensions is None):
        raise ConfigError(key, "give the real-world size as either height or dimensions (one of them)")
    height, dims = None, None
    if a.height is not None:
        height = parse_checked(a.height, f"{key}.height", "float", 0.05, 30)
    else:
        if len(a.dimensions) != 3 or not all(0.05 <= float(v) <= 30 for v in a.dimensions):
            raise ConfigError(f"{key}.dimensions", f"must be [length, width, height] in 0.05..30 m, got {a.dimensions}")
        dims = tuple(float(v) for v in a.dimensions)
    folder = Path(a.folder)
    if not folder.is_dir():
        raise ConfigError(f"{key}.folder", f"no folder {folder}")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in MESH_SUFFIXES and p.is_file())
    if not files:
        raise ConfigError(f"{key}.folder", f"{folder} has no {', '.join(MESH_SUFFIXES)} files")
    category_keypoints = COCO_KEYPOINTS if a.category in ("person", "rider") else ()
    turn = to_object_frame(a.up_axis, a.forward_axis)
    assets = []
    for path in files:
        vertices, faces, colors, nodes = read_mesh(path, f"{key}.folder")
        vertices = vertices @ turn.T
        sidecar = path.with_name(f"{path.stem}.keypoints.json")
        if sidecar.is_file():
            keypoints = read_keypoints(sidecar, category_keypoints, f"{key}.folder")
        elif category_keypoints:
            keypoints = node_keypoints(nodes, category_keypoints, path, f"{key}.folder")
        else:
            keypoints = None
        keypoints = None if keypoints is None else keypoints @ turn.T
        asset = MeshAsset(path.stem, vertices, faces, colors, keypoints)
        check_shape(asset, dims, path, key)
        assets.append(asset)
    return AssetLibrary(tuple(assets), a.category, height, dims)


def check_shape(asset: MeshAsset, dims: tuple[float, float, float] | None, path: Path, key: str) -> None:
    """Refuse a mesh whose shape says its axes or units are wrong: flat along up, or stretched."""
    length, width, height = (float(v) for v in asset.extents)
    if min(length, width, height) <= 0:
        raise ConfigError(f"{key}.up_axis", f"{path}: the mesh is flat (extents {length:g}, {width:g}, {height:g})")
    if max(length, width) / height > MAX_FOOTPRINT_RATIO:
        raise ConfigError(
            f"{key}.up_axis",
            f"{path}: {max(length, width) / height:.0f}x longer than high with up_axis as given: is the up axis right?",
        )
    if dims is not None:
        scale = np.asarray(dims) / asset.extents
        if scale.max() / scale.min() > MAX_STRETCH:
            raise ConfigError(
                f"{key}.dimensions",
                f"{path}: fitting it to {list(dims)} stretches one axis {scale.max() / scale.min():.1f}x more "
                "than another: are up_axis and forward_axis right?",
            )


def asset_actor(library: AssetLibrary, rng: np.random.Generator, position, heading: float) -> SceneObject:
    """An actor of a random mesh of ``library`` at a random size, lowest vertex at ``position``'s z."""
    asset = library.assets[int(rng.integers(len(library.assets)))]
    if library.dimensions is not None:
        scale = np.asarray(library.dimensions) / asset.extents
    else:
        scale = np.full(3, float(library.height.sample(rng)) / asset.extents[2])
    lo = asset.vertices.min(axis=0)
    hi = asset.vertices.max(axis=0)
    shift = -np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])  # bottom centre to the origin
    vertices = (asset.vertices + shift) * scale
    mesh = TriangleMesh(vertices, asset.faces, asset.face_colors)
    keypoints = None if asset.keypoints is None else (asset.keypoints + shift) * scale
    dims = tuple(float(v) for v in vertices.max(axis=0) - vertices.min(axis=0))
    return SceneObject(
        name=asset.name,
        category=library.category,
        solids=(),
        position=tuple(float(v) for v in position),
        heading=heading,
        dimensions=dims,  # type: ignore[arg-type]
        joints=None if keypoints is None else tuple(tuple(float(v) for v in p) for p in keypoints),
        joint_radius=None if keypoints is None else (KEYPOINT_RADIUS,) * len(keypoints),
        attributes=(("type", asset.name), ("asset", asset.name)),
        mesh=mesh,
    )
