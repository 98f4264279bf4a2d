"""``driving_insert``: a frame of the user's (cycled by sample index) with the actors of a scenario
placed on its ground, for the ``mesh3d_insert`` renderer to draw into it.

Placement: each actor of the scenario's groups (kind, count, distance, lateral, heading, pose and
``relative_to`` as in ``driving``; the scenario's road, traffic, time of day and weather are the
frame's own and are not used) stands on the frame's ground plane at its sampled distance ahead and
offset from the camera's lane; a draw whose footprint meets a labelled 3D box's or an actor's
placed before, or whose foot is outside the view or nearer than ``min_distance``, is drawn again,
up to ``tries`` times, then counted in ``dropped`` as ``insert_no_room``.

The world frame of a frame (as the driving scene's: x forward, y left, z up, metres) has its origin
on the level plane through the ground under the camera; a point there is at frame coordinates
F = (-y, c - z, x) for the ground's height c under the camera (``ground``), and the ground's z
below (x, y) is ``a y - b x`` for its slopes a, b.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from synthgen.config.distributions import Distribution
from synthgen.driving.categories import driving_categories
from synthgen.driving.insert.frames import Frame, FrameCamera, FrameList, list_frames, load_pixels, read_frame
from synthgen.driving.insert.ground import GROUND_SOURCES, Ground, ground_plane
from synthgen.driving.insert.match import Look, lights_for, measure
from synthgen.driving.meshes import fitted
from synthgen.driving.objects import SceneObject
from synthgen.driving.scenario import Scenario, ScenarioSchema
from synthgen.driving.scene import CameraSchema, check_camera, make_actor, scenario_mix
from synthgen.errors import ConfigError
from synthgen.scene.base import SceneKind
from synthgen.types import Camera, SceneSpec

INSERT_LABELS = frozenset({"masks", "boxes", "keypoints", "amodal", "box3d", "camera"})
BUILTIN = "builtin"  # frames: the small KITTI-layout folder that ships in the package
ANCHOR_RULES = ("real_parked",)
PARKED_LATERAL = 1.5  # metres right of the camera: a labelled vehicle past this is parked at the kerb
PARKED_TYPES = ("Car", "Van", "Truck")
LEVEL = np.array([[0, -1, 0], [0, 0, -1], [1, 0, 0]], np.float64)  # world (x fwd, y left, z up) -> F


def builtin_frames() -> str:
    """The shipped frames: six 640x384 street frames rendered by synthgen (``configs/driving.yaml``'s
    renderer, background traffic only) with their KITTI calib and labels, ~160 kB."""
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / "assets" / "frames")


# -- the kind's config: schema, settings, from_config (one block) ---------------------------------


@dataclass
class InsertSchema:
    """Args:
    frames: a KITTI-layout folder (image_2/, calib/, optional label_2/), a folder of images (with
        ``camera``), or ``builtin`` (six frames that ship with synthgen). Default builtin.
    camera: a plain folder's camera (focal_px or fov_deg, pitch_deg), and the mount height that
        ``ground: camera`` (and ``auto`` with nothing better) uses. Unset: none.
    ground: auto | calib | boxes | camera (``ground.py``). Default auto.
    scenario: the actors to insert when ``scenarios`` is empty (a scenario section as in driving).
    scenarios: name -> weight of scenario files (scenes/driving/<name>.yaml) to mix.
    tries: draws per actor before it is dropped (1..100). Default 12.
    min_distance: metres; no actor's foot nearer the camera (1..50). Default 4.
    shadow: darkness of the contact shadow under an actor, 0 (none)..1. Default 0.5.
    match_blur, match_noise, match_jpeg: give the actors the frame's blur, noise, JPEG level. Default on.
    anchors: scenario group -> ``real_parked``: instead of inserting that group, take the nearest
        labelled vehicle parked to the right (a car, van or truck whose centre is more than
        PARKED_LATERAL m right of the camera, at least min_distance ahead) as its actor, so that
        groups ``relative_to`` it are placed from a real car (``parked_car: real_parked`` makes
        ``child_behind_parked_car`` a child stepping out from behind a parked car of the frame).
        A frame without one inserts the group as the scenario says. Default none.
    """

    frames: str = BUILTIN
    camera: CameraSchema | None = None
    ground: str = "auto"
    scenario: ScenarioSchema = field(default_factory=ScenarioSchema)
    scenarios: dict[str, float] = field(default_factory=dict)
    tries: int = 12
    min_distance: float = 4.0
    shadow: float = 0.5
    match_blur: bool = True
    match_noise: bool = True
    match_jpeg: bool = True
    anchors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InsertSettings:
    frames: FrameList
    ground: str
    mount_height: float
    scenarios: tuple[Scenario, ...]
    pick: Distribution
    tries: int
    min_distance: float
    shadow: float
    match: tuple[bool, bool, bool]  # blur, noise, jpeg
    anchors: tuple[tuple[str, str], ...] = ()  # (group, rule)


def from_config(p: InsertSchema, key: str) -> InsertSettings:
    """Check ``scene.params`` and list the frames (every file checked here, before any work)."""
    if p.ground not in GROUND_SOURCES:
        raise ConfigError(f"{key}.ground", f"{p.ground!r} is not one of {', '.join(GROUND_SOURCES)}")
    for name, lo, hi in (("tries", 1, 100), ("min_distance", 1.0, 50.0), ("shadow", 0.0, 1.0)):
        if not lo <= getattr(p, name) <= hi:
            raise ConfigError(f"{key}.{name}", f"must be in {lo}..{hi}, got {getattr(p, name)}")
    camera = None
    mount_height = 1.65  # KITTI's camera height, for ground: camera without a camera section
    if p.camera is not None:
        c = check_camera(p.camera, f"{key}.camera")
        camera = (c.focal_px, float(c.fov_deg), float(c.pitch_deg))
        mount_height = float(c.mount_height)
    scenarios, pick = scenario_mix(p.scenario, p.scenarios, key)
    if not any(g for sc in scenarios for g in sc.actors):
        raise ConfigError(f"{key}.scenarios" if p.scenarios else f"{key}.scenario.actors", "no actor to insert")
    groups = {g.name for sc in scenarios for g in sc.actors}
    for name, rule in p.anchors.items():
        if rule not in ANCHOR_RULES:
            raise ConfigError(f"{key}.anchors.{name}", f"{rule!r} is not one of {', '.join(ANCHOR_RULES)}")
        if name not in groups:
            known = ", ".join(sorted(groups))
            raise ConfigError(f"{key}.anchors.{name}", f"no actor group {name!r} in the scenarios ({known})")
    folder = builtin_frames() if p.frames == BUILTIN else p.frames
    frames = list_frames(folder, f"{key}.frames", camera)
    return InsertSettings(
        frames, p.ground, mount_height, tuple(scenarios), pick, int(p.tries), float(p.min_distance),
        float(p.shadow), (bool(p.match_blur), bool(p.match_noise), bool(p.match_jpeg)), tuple(p.anchors.items()),
    )  # fmt: skip


# -- sampling ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FrameItem:
    """The frame a spec draws into (an item of the spec, beside the actors and lights).

    Attributes:
        frame: the frame read (camera, labels, image path).
        ground: its ground plane.
        look: its measured look.
        shadow: contact shadow darkness 0..1.
        match: (blur, noise, jpeg) matching switched on.
        noise_seed: seed of the noise given to the actors' pixels.
    """

    frame: Frame
    ground: Ground
    look: Look
    shadow: float
    match: tuple[bool, bool, bool]
    noise_seed: int


def sample_index(rng: np.random.Generator) -> int | None:
    """The sample index a scene generator was made for: ``engine.seeds.stage_rng`` seeds it with
    ``SeedSequence(seed, spawn_key=(index, ...))``; None for a generator made otherwise."""
    seq = getattr(rng.bit_generator, "seed_seq", None)
    key = getattr(seq, "spawn_key", ())
    return int(key[0]) if key else None


def frame_world_camera(camera: FrameCamera, ground: Ground, width: int, height: int) -> Camera:
    """The Camera of a frame's world frame (see the module doc): world -> image camera."""
    rot = camera.rotation @ LEVEL
    extrinsics = np.eye(4)
    extrinsics[:3, :3] = rot
    extrinsics[:3, 3] = -rot @ np.array([0.0, 0.0, ground.c])
    return Camera(camera.intrinsics.copy(), extrinsics, width, height)


def world_to_frame(points: np.ndarray, ground: Ground) -> np.ndarray:
    """(N, 3) world points -> frame coordinates."""
    pts = np.asarray(points, np.float64).reshape(-1, 3)
    return np.stack([-pts[:, 1], ground.c - pts[:, 2], pts[:, 0]], axis=1)


def ground_z(ground: Ground, x: float, y: float) -> float:
    """World z of the ground below world (x, y)."""
    return ground.a * y - ground.b * x


def _footprints(frame: Frame, ground: Ground) -> list[tuple[float, float, float]]:
    """(x, y, radius) in the world frame of the labelled 3D boxes' footprints."""
    out = []
    for o in frame.objects:
        if o.box3d is not None:
            cx, _, cz = o.box3d.center
            length, width, _ = o.box3d.dimensions
            out.append((float(cz), float(-cx), 0.5 * math.hypot(length, width)))
    return out


def _clear(obj: SceneObject, taken: list[tuple[float, float, float]]) -> bool:
    r = 0.5 * math.hypot(obj.dimensions[0], obj.dimensions[1])
    return all(math.hypot(obj.position[0] - x, obj.position[1] - y) >= r + rt for x, y, rt in taken)


def _in_view(obj: SceneObject, camera: Camera, min_distance: float) -> bool:
    foot = np.asarray(obj.position, np.float64)
    cam = camera.extrinsics[:3, :3] @ foot + camera.extrinsics[:3, 3]
    if cam[2] < min_distance:
        return False
    u, v = camera.project(cam[None])[0]
    return 0 <= u < camera.width and 0 <= v < camera.height


def _real_parked(frame: Frame, min_distance: float) -> tuple[int, float, float] | None:
    """(label line, distance ahead, metres right) of the nearest labelled vehicle parked to the right."""
    parked = [
        (float(o.box3d.center[2]), o.line, float(o.box3d.center[0]))
        for o in frame.objects
        if o.box3d is not None and o.kitti.type in PARKED_TYPES
        and o.box3d.center[0] > PARKED_LATERAL and o.box3d.center[2] >= min_distance
    ]  # fmt: skip
    if not parked:
        return None
    dist, line, lat = min(parked)
    return line, dist, lat


def place_actors(
    sc: Scenario, frame: Frame, ground: Ground, camera: Camera, s: InsertSettings, rng: np.random.Generator
) -> tuple[list[SceneObject], list[dict], int]:
    """The scenario's actors placed on the frame's ground: (objects, their params, dropped count)."""
    taken = _footprints(frame, ground)
    actors: list[SceneObject] = []
    placed: list[dict] = []
    firsts: dict[str, tuple[float, float]] = {}
    dropped = 0
    anchors = dict(s.anchors)
    for g in sc.actors:
        if anchors.get(g.name) == "real_parked":
            found = _real_parked(frame, s.min_distance)
            if found is not None:
                line, dist, lat = found
                firsts[g.name] = (dist, lat)
                placed.append({"group": g.name, "kind": "real", "label_line": line, "distance": round(dist, 3),
                               "lateral": round(lat, 3)})  # fmt: skip
                continue
        for _ in range(int(g.count.sample(rng))):
            kind = str(g.kind.sample(rng))
            for _attempt in range(s.tries):
                dist, lat = float(g.distance.sample(rng)), float(g.lateral.sample(rng))
                if g.relative_to is not None and g.relative_to in firsts:
                    d0, l0 = firsts[g.relative_to]
                    dist, lat = dist + d0, lat + l0
                heading = math.radians(float(g.heading.sample(rng)))
                pos = (dist, -lat, ground_z(ground, dist, -lat))
                pose = str(g.pose.sample(rng))
                objs = [fitted(o) for o in make_actor(kind, rng, pos, heading, pose, g.lights_on, g.assets)]
                # fitted boxes are tight: lower the actor until its lowest part rests on the ground
                # (a deer's hooves are modelled a little above its origin; a rider stays on its bicycle)
                lift = min(o.position[2] - ground_z(ground, o.position[0], o.position[1]) for o in objs)
                objs = [replace(o, position=(o.position[0], o.position[1], o.position[2] - lift)) for o in objs]
                if all(_clear(o, taken) and _in_view(o, camera, s.min_distance) for o in objs):
                    break
            else:
                dropped += 1
                continue
            firsts.setdefault(g.name, (dist, lat))
            for o in objs:
                tags = (("role", g.name), ("actor", len(placed)), ("inserted", True))
                actors.append(replace(o, attributes=(*o.attributes, *tags)))
                taken.append((o.position[0], o.position[1], 0.5 * math.hypot(o.dimensions[0], o.dimensions[1])))
            placed.append(
                {
                    "group": g.name,
                    "kind": kind,
                    "distance": round(dist, 3),
                    "lateral": round(lat, 3),
                    "heading_deg": round(math.degrees(heading), 3),
                }
            )
    return actors, placed, dropped


def sample(s: InsertSettings, rng: np.random.Generator) -> SceneSpec:
    """Frame ``index % frames`` (the index from the generator; a random frame for a generator not
    made by the engine), the scenario's actors placed on its ground, lights matched to it."""
    n = len(s.frames.entries)
    index = sample_index(rng)
    position = index % n if index is not None else int(rng.integers(n))
    frame = read_frame(s.frames, position)
    entry = frame.entry
    ground = ground_plane(frame, s.ground, s.mount_height)
    look = measure(load_pixels(frame.path, entry.width, entry.height), frame.path)
    camera = frame_world_camera(frame.camera, ground, entry.width, entry.height)
    sc = s.scenarios[int(s.pick.sample(rng))]
    actors, placed, dropped = place_actors(sc, frame, ground, camera, s, rng)
    env, lights = lights_for(look)
    item = FrameItem(frame, ground, look, s.shadow, s.match, int(rng.integers(1 << 31)))
    folder = s.frames.folder
    params = {
        "scenario": sc.name,
        "frame": {
            "position": position,
            "cycle": index // n if index is not None else None,
            "file": frame.path.removeprefix(folder + "/"),
            "folder": "builtin" if folder == builtin_frames() else folder,
            "labelled_objects": len(frame.objects),
        },
        "ground": {"source": ground.source, "a": round(ground.a, 6), "b": round(ground.b, 6), "c": round(ground.c, 4)},
        "look": look.to_params(),
        "actors": placed,
    }
    return SceneSpec(
        kind="driving_insert",
        width=entry.width,
        height=entry.height,
        background={"frame": frame.path},
        items=(*actors, env, *lights, item),
        categories=tuple(c.name for c in driving_categories()),
        params=params,
        dropped={"insert_no_room": dropped} if dropped else {},
        camera=camera,
    )


SCENE = SceneKind(
    params_schema=InsertSchema,
    from_config=from_config,
    sample=sample,
    categories=lambda settings: driving_categories(),
    renderers=("mesh3d_insert",),
    labels=INSERT_LABELS,
)
