"""``driving``: a road seen from the ego vehicle's camera, with the actors of a scenario (mixed by
weight from the scenario library), background traffic and a time of day."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthgen.config.distributions import Choice, Distribution
from synthgen.driving.animals import ANIMALS, animal, prop
from synthgen.driving.camera import CameraRig
from synthgen.driving.categories import driving_categories
from synthgen.driving.conditions import lighting
from synthgen.driving.lens import Lens, make_lens
from synthgen.driving.mesh_assets import AssetLibrary, asset_actor
from synthgen.driving.meshes import fitted
from synthgen.driving.objects import SceneObject
from synthgen.driving.people import bicycle, person
from synthgen.driving.people import umbrella as carried_umbrella
from synthgen.driving.road import RoadLayout, backdrop_objects, road_objects
from synthgen.driving.scenario import Scenario, ScenarioSchema, load_scenario_file, scenario_from_config
from synthgen.driving.sensor import SensorSchema, SensorSettings, develop, draw_shot
from synthgen.driving.vehicles import VEHICLE_KINDS, vehicle
from synthgen.errors import ConfigError
from synthgen.scene.base import SceneKind
from synthgen.types import Layers, SceneSpec

# label kinds of driving samples: a 2D warp would break the 3D boxes, camera, amodal boxes and depth
DRIVING_LABELS = frozenset({"masks", "boxes", "keypoints", "amodal", "box3d", "camera", "depth", "semantic"})
SIDEWALK_Z = 0.15
UMBRELLA_SHARE = 0.4  # pedestrians under an umbrella in rain


@dataclass
class CameraSchema:
    """Args:
    fov_deg: horizontal field of view in degrees (used when focal_px is not set).
    focal_px: focal length in pixels.
    mount_height: metres above the road.
    pitch_deg: degrees, positive looks down. The 3D boxes are in the rectified camera frame
        (gravity-aligned, KITTI's; the camera frame at pitch 0), exact at any pitch; the KITTI
        calib's R0_rect and P2 carry the pitch.
    """

    fov_deg: float = 75.0
    focal_px: float | None = None
    mount_height: float = 1.5
    pitch_deg: float = 0.0


@dataclass
class DrivingSchema:
    width: int = 640
    height: int = 384
    camera: CameraSchema = field(default_factory=CameraSchema)
    scenario: ScenarioSchema = field(default_factory=ScenarioSchema)
    scenarios: dict[str, float] = field(default_factory=dict)  # name -> weight; empty: `scenario` above
    sensor: SensorSchema = field(default_factory=SensorSchema)  # the camera model (driving/sensor.py)


@dataclass(frozen=True)
class DrivingSettings:
    rig: CameraRig
    scenarios: tuple[Scenario, ...]
    pick: Distribution  # index into scenarios
    sensor: SensorSettings = field(default_factory=SensorSettings)
    lens: Lens | None = None  # a distorting lens (sensor.distortion), built once


def from_config(p: DrivingSchema, key: str) -> DrivingSettings:
    """Check ``scene.params`` of a driving scene and load the scenarios it mixes."""
    for name in ("width", "height"):
        if not 32 <= getattr(p, name) <= 4096:
            raise ConfigError(f"{key}.{name}", f"must be in 32..4096, got {getattr(p, name)}")
    c = check_camera(p.camera, f"{key}.camera")
    focal = c.focal_px if c.focal_px is not None else CameraRig.focal_from_fov(p.width, c.fov_deg)
    rig = CameraRig(p.width, p.height, float(focal), float(c.mount_height), math.radians(c.pitch_deg))
    scenarios, pick = scenario_mix(p.scenario, p.scenarios, key)
    sensor = SensorSettings.from_config(p.sensor, f"{key}.sensor")
    lens = make_lens(rig.camera(), sensor.distortion, f"{key}.sensor.distortion") if sensor.enabled else None
    return DrivingSettings(rig, scenarios, pick, sensor, lens)


def check_camera(c: CameraSchema, key: str) -> CameraSchema:
    """Check a ``camera`` section (under ``key``) of a driving scene; returns it."""
    if c.focal_px is not None and c.focal_px <= 0:
        raise ConfigError(f"{key}.focal_px", f"must be > 0, got {c.focal_px}")
    if not 10 <= c.fov_deg <= 150:
        raise ConfigError(f"{key}.fov_deg", f"must be in 10..150, got {c.fov_deg}")
    if not 0.3 <= c.mount_height <= 5:
        raise ConfigError(f"{key}.mount_height", f"must be in 0.3..5, got {c.mount_height}")
    if not -30 <= c.pitch_deg <= 30:
        raise ConfigError(f"{key}.pitch_deg", f"must be in -30..30, got {c.pitch_deg}")
    return c


def scenario_mix(scenario: Any, weighted: Any, key: str) -> tuple[tuple[Scenario, ...], Distribution]:
    """The scenarios a scene draws from and the draw of one (an index): the scene's own ``scenario``
    (checked even where a mix replaces it), or the shipped scenario files named in ``scenarios``
    with their weights (``{name: weight}``, under ``key.scenarios``)."""
    own = scenario_from_config(scenario, f"{key}.scenario")
    if not weighted:
        return (own,), Choice((0,), None)
    scenarios, weights = [], []
    for name, weight in weighted.items():
        k = f"{key}.scenarios.{name}"
        if not weight >= 0:
            raise ConfigError(k, f"a weight must be >= 0, got {weight}")
        scenarios.append(scenario_from_config(load_scenario_file(name, k), k))
        weights.append(float(weight))
    if sum(weights) <= 0:
        raise ConfigError(f"{key}.scenarios", "the weights sum to 0")
    return tuple(scenarios), Choice(tuple(range(len(scenarios))), tuple(w / sum(weights) for w in weights))


def make_actor(
    kind: str,
    rng: np.random.Generator,
    position,
    heading: float,
    pose: str,
    lights_on: bool,
    assets: AssetLibrary | None = None,
    weather: str = "clear",
) -> list[SceneObject]:
    """The objects of one actor (a cyclist is a rider and a bicycle, a motorcyclist a rider and a
    motorbike; an asset, a mesh of ``assets``); in rain some pedestrians carry an umbrella."""
    if kind == "asset":
        return [asset_actor(assets, rng, position, heading)]
    if kind in VEHICLE_KINDS:
        return [vehicle(kind, rng, position, heading, lights_on)]
    if kind in ("pedestrian", "child", "elderly"):
        umbrella = weather == "rain" and kind != "child" and rng.random() < UMBRELLA_SHARE
        age = {"pedestrian": None, "child": "child", "elderly": "elderly"}[kind]
        walker = person(rng, position, heading, child=kind == "child", pose=pose, age=age, umbrella=umbrella)
        return [walker, carried_umbrella(rng, walker)] if umbrella else [walker]
    if kind == "cyclist":
        return [person(rng, position, heading, riding=True), bicycle(rng, position, heading)]
    if kind == "motorcyclist":
        return [
            person(rng, position, heading, riding=True, mount="motorbike"),
            vehicle("motorbike", rng, position, heading, lights_on),
        ]
    if kind in ANIMALS:
        return [animal(kind, rng, position, heading)]
    return [prop(kind, rng, position, heading)]


def _free(obj: SceneObject, placed: list[SceneObject]) -> bool:
    """Whether obj's footprint circle clears every placed one's."""
    r = 0.5 * math.hypot(obj.dimensions[0], obj.dimensions[1])
    for o in placed:
        ro = 0.5 * math.hypot(o.dimensions[0], o.dimensions[1])
        if math.hypot(obj.position[0] - o.position[0], obj.position[1] - o.position[1]) < r + ro:
            return False
    return True


def _ground(layout: RoadLayout, y: float, x: float) -> float:
    off_road = y < layout.right_edge or y > layout.left_edge
    return SIDEWALK_Z if off_road and layout.sidewalk_width > 0 and not layout.on_intersection(x) else 0.0


def sample(s: DrivingSettings, rng: np.random.Generator) -> SceneSpec:
    """A driving scene: pick a scenario, lay out the road, place its actors and the traffic, light it."""
    sc = s.scenarios[int(s.pick.sample(rng))]
    tod, weather = str(sc.time_of_day.sample(rng)), str(sc.weather.sample(rng))
    fog = float(sc.fog_visibility.sample(rng))
    layout = RoadLayout(
        lanes=int(sc.lanes.sample(rng)),
        lane_width=float(sc.lane_width.sample(rng)),
        sidewalk_width=0.0 if sc.highway else float(sc.sidewalk_width.sample(rng)),
        two_way=sc.two_way,
        crosswalk_at=float(sc.crosswalk_distance.sample(rng))
        if rng.random() < float(sc.crosswalk.sample(rng))
        else None,
        intersection_at=float(sc.intersection_distance.sample(rng))
        if rng.random() < float(sc.intersection.sample(rng))
        else None,
        highway=sc.highway,
        parking=1.0 if sc.highway else 2.2,
        buildings=sc.buildings,
    )
    backdrop = road_objects(layout)
    more, lamps = backdrop_objects(layout, rng, float(sc.backdrop_density.sample(rng)))
    backdrop += more
    actors: list[SceneObject] = []
    firsts: dict[str, tuple[float, float]] = {}
    placed_params = []
    for g in sc.actors:
        for _ in range(int(g.count.sample(rng))):
            kind = str(g.kind.sample(rng))
            dist, lat = float(g.distance.sample(rng)), float(g.lateral.sample(rng))
            if g.relative_to is not None and g.relative_to in firsts:
                d0, l0 = firsts[g.relative_to]
                dist, lat = dist + d0, lat + l0
            firsts.setdefault(g.name, (dist, lat))
            heading = math.radians(float(g.heading.sample(rng)))
            pos = (dist, -lat, _ground(layout, -lat, dist))
            for obj in make_actor(kind, rng, pos, heading, str(g.pose.sample(rng)), g.lights_on, g.assets, weather):
                obj = fitted(obj)
                # actor: the entry of params["actors"] it belongs to, shared by a rider and its
                # bicycle (KITTI writes the pair as one Cyclist)
                obj = _tag(obj, g.name, actor=len(placed_params))
                actors.append(obj)
            placed_params.append(
                {
                    "group": g.name,
                    "kind": kind,
                    "distance": round(dist, 3),
                    "lateral": round(lat, 3),
                    "heading_deg": round(math.degrees(heading), 3),
                }
            )
    dropped = 0
    traffic: list[SceneObject] = []
    kerb = layout.kerb_lane
    for n, lane_y, x_range, heading, kinds in (
        (int(sc.parked.sample(rng)), kerb, (6, 60), 0.0, ("car", "car", "van")),
        (int(sc.ahead.sample(rng)), 0.0, (12, 70), 0.0, ("car", "car", "van", "truck", "bus")),
        (
            int(sc.oncoming.sample(rng)) if layout.two_way and layout.lanes > 1 else 0,
            layout.lane_center(layout.lanes - 1),
            (10, 80),
            math.pi,
            ("car", "car", "van", "truck", "bus"),
        ),
    ):
        for _ in range(n):
            kind = kinds[int(rng.integers(len(kinds)))]
            x = float(rng.uniform(*x_range))
            obj = fitted(vehicle(kind, rng, (x, lane_y, 0.0), heading, tod != "day"))
            if layout.on_intersection(x, 3.0) or not _free(obj, actors + traffic):
                dropped += 1
                continue
            traffic.append(_tag(obj, "traffic"))
    vehicles = sorted(
        [o for o in traffic + actors if o.name in VEHICLE_KINDS and o.heading != 0.0], key=lambda o: o.position[0]
    )
    env, lights = lighting(tod, rng, lamps, vehicles)
    rig = s.rig
    params = {
        "scenario": sc.name,
        "time_of_day": tod,
        "weather": weather,
        "road": {
            "lanes": layout.lanes,
            "lane_width": round(layout.lane_width, 3),
            "crosswalk_at": layout.crosswalk_at and round(layout.crosswalk_at, 3),
            "intersection_at": layout.intersection_at and round(layout.intersection_at, 3),
            "highway": layout.highway,
            "buildings": layout.buildings,
        },
        "actors": placed_params,
    }
    if weather == "fog":
        params["fog_visibility"] = round(fog, 3)
    camera_model: tuple = ()
    if s.sensor.enabled:  # drawn last: the scene's other draws are those of a run without it
        shot = draw_shot(s.sensor, rng)
        params["sensor"] = shot.params()
        if s.lens is not None:
            params["sensor"]["distortion"] = list(s.sensor.distortion)
        camera_model = (shot,) if s.lens is None else (shot, s.lens)
    return SceneSpec(
        kind="driving",
        width=rig.width,
        height=rig.height,
        background={"sky": list(env.sky), "time_of_day": tod},
        items=(*backdrop, *actors, *traffic, env, *lights, *camera_model),
        categories=tuple(c.name for c in driving_categories()),
        params=params,
        dropped={"traffic_no_room": dropped} if dropped else {},
        camera=rig.camera(),
    )


def _tag(obj: SceneObject, role: str, actor: int | None = None) -> SceneObject:
    from dataclasses import replace

    extra = (("role", role),) if actor is None else (("role", role), ("actor", actor))
    return replace(obj, attributes=(*obj.attributes, *extra))


def measure(s: DrivingSettings, spec: SceneSpec, layers: Layers) -> tuple[Layers, dict[str, int]]:
    """The camera model on the final picture (after the fog and rain steps): ``sensor.develop``."""
    return develop(s.sensor, spec, layers), {}


def check_outputs(s: DrivingSettings, outputs: tuple[str, ...]) -> None:
    """KITTI's calib is a pinhole projection: a distorting lens would make its boxes miss."""
    if s.lens is not None and "kitti" in outputs:
        raise ConfigError(
            "outputs", "kitti cannot carry scene.params.sensor.distortion (its calib is a pinhole P2): "
            "drop kitti or set the distortion to [0, 0, 0, 0, 0]"
        )  # fmt: skip


SCENE = SceneKind(
    params_schema=DrivingSchema,
    from_config=from_config,
    sample=sample,
    categories=lambda settings: driving_categories(),
    renderers=("mesh3d",),
    labels=DRIVING_LABELS,
    measure=measure,
    check_outputs=check_outputs,
)
