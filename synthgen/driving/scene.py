"""``driving``: a road seen from the ego vehicle's camera, with the actors of a scenario (mixed by
weight from the scenario library), background traffic and a time of day."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Optional

import numpy as np

from synthgen.config.distributions import Choice, Distribution
from synthgen.config.params import Params, custom, derived, nested, param, within
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
from synthgen.driving.scenario import ScenarioSettings, load_scenario_file
from synthgen.driving.sensor import SensorSettings, develop, draw_shot
from synthgen.driving.vehicles import VEHICLE_KINDS, vehicle
from synthgen.errors import ConfigError
from synthgen.scene.base import SceneKind
from synthgen.types import Layers, SceneSpec

# label kinds of driving samples: a 2D warp would break the 3D boxes, camera, amodal boxes and depth
DRIVING_LABELS = frozenset({"masks", "boxes", "keypoints", "amodal", "box3d", "camera", "depth", "semantic"})
SIDEWALK_Z = 0.15
UMBRELLA_SHARE = 0.4  # pedestrians under an umbrella in rain


def _focal(value: float | None, key: str) -> float | None:
    if value is not None and value <= 0:
        raise ConfigError(key, f"must be > 0, got {value}")
    return value


class CameraSettings(Params):
    """``scene.params.camera``: the ego camera's pinhole and mount."""

    fov_deg: float = param(75.0, within(10, 150), "horizontal field of view in degrees (used when focal_px is not set)")
    focal_px: Optional[float] = param(None, custom(_focal, Optional[float], "> 0"), "focal length in pixels")
    mount_height: float = param(1.5, within(0.3, 5), "metres above the road")
    pitch_deg: float = param(
        0.0,
        within(-30, 30),
        "degrees, positive looks down. The 3D boxes are in the rectified camera frame (gravity-aligned, KITTI's; "
        "the camera frame at pitch 0), exact at any pitch; the KITTI calib's R0_rect and P2 carry the pitch",
    )


class DrivingSettings(Params):
    """``scene.params`` of the ``driving`` scene: the camera, the scenarios it mixes and the sensor."""

    width: int = param(640, within(32, 4096), "image width in pixels")
    height: int = param(384, within(32, 4096), "image height in pixels")
    camera: CameraSettings = nested(CameraSettings, "the ego camera")
    scenario: ScenarioSettings = nested(ScenarioSettings, "the scene's own scenario, drawn when scenarios is empty")
    scenarios: dict[str, float] = param(
        {}, None, "scenario files (scenes/driving/<name>.yaml, or paths) to mix, name -> weight; empty: scenario"
    )
    sensor: SensorSettings = nested(SensorSettings, "the camera model after the pinhole (driving/sensor.py)")
    rig: Optional[CameraRig] = derived(None, "the camera rig of width, height and camera")
    mixed: tuple[ScenarioSettings, ...] = derived((), "the scenarios a sample draws from")
    pick: Optional[Distribution] = derived(None, "the draw of one of them (an index into mixed)")
    lens: Optional[Lens] = derived(None, "a distorting lens (sensor.distortion), built once", compare=False)

    def check(self, key: str) -> DrivingSettings:
        c = self.camera
        focal = c.focal_px if c.focal_px is not None else CameraRig.focal_from_fov(self.width, c.fov_deg)
        rig = CameraRig(self.width, self.height, float(focal), float(c.mount_height), math.radians(c.pitch_deg))
        mixed, pick = scenario_mix(self.scenario, self.scenarios, key)
        sensor = self.sensor
        lens = make_lens(rig.camera(), sensor.distortion, f"{key}.sensor.distortion") if sensor.enabled else None
        return replace(self, rig=rig, mixed=mixed, pick=pick, lens=lens)


def scenario_mix(
    scenario: ScenarioSettings, weighted: dict[str, float], key: str
) -> tuple[tuple[ScenarioSettings, ...], Distribution]:
    """The scenarios a scene draws from and the draw of one (an index): the scene's own ``scenario``
    (its section is checked even where a mix replaces it), or the scenario files named in
    ``scenarios`` with their weights (``{name: weight}``, errors under ``key.scenarios.<name>``)."""
    if not weighted:
        return (scenario,), Choice((0,), None)
    scenarios, weights = [], []
    for name, weight in weighted.items():
        k = f"{key}.scenarios.{name}"
        if not weight >= 0:
            raise ConfigError(k, f"a weight must be >= 0, got {weight}")
        scenarios.append(load_scenario_file(name, k))
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
    sc = s.mixed[int(s.pick.sample(rng))]
    road, traffic_counts = sc.road, sc.traffic
    tod, weather = str(sc.time_of_day.sample(rng)), str(sc.weather.sample(rng))
    fog = float(sc.fog_visibility.sample(rng))
    layout = RoadLayout(
        lanes=int(road.lanes.sample(rng)),
        lane_width=float(road.lane_width.sample(rng)),
        sidewalk_width=0.0 if road.highway else float(road.sidewalk_width.sample(rng)),
        two_way=road.two_way,
        crosswalk_at=float(road.crosswalk_distance.sample(rng))
        if rng.random() < float(road.crosswalk.sample(rng))
        else None,
        intersection_at=float(road.intersection_distance.sample(rng))
        if rng.random() < float(road.intersection.sample(rng))
        else None,
        highway=road.highway,
        parking=1.0 if road.highway else 2.2,
        buildings=road.buildings,
    )
    backdrop = road_objects(layout)
    more, lamps = backdrop_objects(layout, rng, float(sc.backdrop_density.sample(rng)))
    backdrop += more
    actors: list[SceneObject] = []
    firsts: dict[str, tuple[float, float]] = {}
    placed_params = []
    for group, g in sc.actors.items():
        for _ in range(int(g.count.sample(rng))):
            kind = str(g.kind.sample(rng))
            dist, lat = float(g.distance.sample(rng)), float(g.lateral.sample(rng))
            if g.relative_to is not None and g.relative_to in firsts:
                d0, l0 = firsts[g.relative_to]
                dist, lat = dist + d0, lat + l0
            firsts.setdefault(group, (dist, lat))
            heading = math.radians(float(g.heading.sample(rng)))
            pos = (dist, -lat, _ground(layout, -lat, dist))
            for obj in make_actor(kind, rng, pos, heading, str(g.pose.sample(rng)), g.lights_on, g.assets, weather):
                obj = fitted(obj)
                # actor: the entry of params["actors"] it belongs to, shared by a rider and its
                # bicycle (KITTI writes the pair as one Cyclist)
                obj = _tag(obj, group, actor=len(placed_params))
                actors.append(obj)
            placed_params.append(
                {
                    "group": group,
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
        (int(traffic_counts.parked.sample(rng)), kerb, (6, 60), 0.0, ("car", "car", "van")),
        (int(traffic_counts.ahead.sample(rng)), 0.0, (12, 70), 0.0, ("car", "car", "van", "truck", "bus")),
        (
            int(traffic_counts.oncoming.sample(rng)) if layout.two_way and layout.lanes > 1 else 0,
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
    sample,
    lambda settings: driving_categories(),
    ("mesh3d",),
    DRIVING_LABELS,
    measure,
    check_outputs,
    params=DrivingSettings,
)
