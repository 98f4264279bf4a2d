"""Declarative scenarios: the road, the conditions and the actors of a rare event, placed by
distributions relative to the ego lane.

A scenario is the ``scenario:`` section of a scene file under ``scenes/driving/``; a run mixes
scenarios by weight with ``scene.params.scenarios: {name: weight}`` (names of files in that folder,
or paths to scene files).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

from omegaconf import DictConfig, ListConfig, OmegaConf

from synthgen.config.distributions import Choice, Constant, Distribution, parse_checked, parse_value
from synthgen.config.shipped import SCENES_DIR
from synthgen.driving.conditions import TIMES_OF_DAY
from synthgen.driving.mesh_assets import AssetLibrary, AssetSchema, load_library
from synthgen.driving.people import POSES
from synthgen.errors import ConfigError

ACTOR_KINDS = (
    "car", "van", "truck", "bus", "motorbike", "pedestrian", "child", "elderly", "cyclist", "motorcyclist",
    "deer", "dog", "tyre", "box", "cone", "asset",
)  # fmt: skip
WEATHERS = ("clear", "rain", "snow", "fog")
Number = Union[int, float, str]  # noqa: UP007  (omegaconf 2.4 takes typing.Union, not X | Y)


@dataclass
class ActorSchema:
    """One group of actors.

    Args:
        kind: one of ACTOR_KINDS, or a choice([...]) of them; ``asset``: a mesh of the ``asset`` section's folder.
        count: how many (an int or a distribution).
        distance: metres ahead of the camera along the road (x).
        lateral: metres to the right of the ego lane's centre (negative: to the left).
        heading: degrees; 0 moves away from the camera along the lane, 180 towards it, 90 crosses
            from right to left, -90 from left to right.
        pose: walking, standing, running or crossing (people; crossing: walking, the head turned to the traffic).
        relative_to: the name of an actor group above: distance and lateral are then offsets from
            its first actor.
        lights_on: vehicles' headlights (at night the nearest vehicle's also light the scene).
        asset: the meshes of ``kind: asset`` (folder, category, size, axes; ``mesh_assets.AssetSchema``).
    """

    kind: str = "car"
    count: int | str = 1
    distance: Number = "uniform(10, 30)"
    lateral: Number = 0.0
    heading: Number = 0.0
    pose: str = "walking"
    relative_to: str | None = None
    lights_on: bool = False
    asset: AssetSchema | None = None


@dataclass
class RoadSchema:
    lanes: int | str = 2
    lane_width: Number = "uniform(3.0, 3.6)"
    sidewalk_width: Number = "uniform(2.0, 4.0)"
    two_way: bool = True
    crosswalk: Number = 0.0  # probability of a zebra crossing
    crosswalk_distance: Number = "uniform(12, 30)"
    intersection: Number = 0.0  # probability of a crossing road
    intersection_distance: Number = "uniform(25, 50)"
    highway: bool = False
    buildings: bool = True  # False: the countryside (trees and fields)


@dataclass
class TrafficSchema:
    """Background traffic besides the scenario's actors."""

    parked: int | str = "randint(0, 4)"  # along the right kerb
    ahead: int | str = "randint(0, 2)"  # in the ego lane
    oncoming: int | str = "randint(0, 2)"  # in the lanes to the left


@dataclass
class ScenarioSchema:
    name: str = "street"
    time_of_day: str = "choice([day, dusk, night])"
    weather: str = "clear"  # clear, rain, snow, fog: the augment/generate steps read it from the scene params
    fog_visibility: Number = "uniform(30, 120)"  # metres (meteorological visibility), with weather fog
    backdrop_density: Number = 0.6  # 0..1, trees and signs
    road: RoadSchema = field(default_factory=RoadSchema)
    traffic: TrafficSchema = field(default_factory=TrafficSchema)
    actors: dict[str, ActorSchema] = field(default_factory=dict)


@dataclass(frozen=True)
class ActorGroup:
    name: str
    kind: Distribution
    count: Distribution
    distance: Distribution
    lateral: Distribution
    heading: Distribution
    pose: Distribution
    relative_to: str | None
    lights_on: bool
    assets: AssetLibrary | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    time_of_day: Distribution
    weather: Distribution
    fog_visibility: Distribution
    backdrop_density: Distribution
    lanes: Distribution
    lane_width: Distribution
    sidewalk_width: Distribution
    two_way: bool
    crosswalk: Distribution
    crosswalk_distance: Distribution
    intersection: Distribution
    intersection_distance: Distribution
    highway: bool
    buildings: bool
    parked: Distribution
    ahead: Distribution
    oncoming: Distribution
    actors: tuple[ActorGroup, ...]


def scenario_from_config(p: ScenarioSchema, key: str) -> Scenario:
    """Check a ``scenario:`` section; every error names its key path."""
    groups = []
    for name, a in p.actors.items():
        k = f"{key}.actors.{name}"
        if a.relative_to is not None and a.relative_to not in [g.name for g in groups]:
            raise ConfigError(f"{k}.relative_to", f"{a.relative_to!r} is not an actor group above it")
        groups.append(
            ActorGroup(
                name=name,
                kind=parse_value(a.kind, f"{k}.kind", "str", ACTOR_KINDS),
                count=parse_checked(a.count, f"{k}.count", "int", 0, 50),
                distance=parse_checked(a.distance, f"{k}.distance", "float", -100 if a.relative_to else 1, 150),
                lateral=parse_checked(a.lateral, f"{k}.lateral", "float", -40, 40),
                heading=parse_checked(a.heading, f"{k}.heading", "float", -360, 360),
                pose=parse_value(a.pose, f"{k}.pose", "str", POSES),
                relative_to=a.relative_to,
                lights_on=bool(a.lights_on),
                assets=_assets(a, k),
            )
        )
    r, t = p.road, p.traffic
    return Scenario(
        name=p.name,
        time_of_day=parse_value(p.time_of_day, f"{key}.time_of_day", "str", TIMES_OF_DAY),
        weather=parse_value(p.weather, f"{key}.weather", "str", WEATHERS),
        fog_visibility=parse_checked(p.fog_visibility, f"{key}.fog_visibility", "float", 5, 10000),
        backdrop_density=parse_checked(p.backdrop_density, f"{key}.backdrop_density", "float", 0, 1),
        lanes=parse_checked(r.lanes, f"{key}.road.lanes", "int", 1, 6),
        lane_width=parse_checked(r.lane_width, f"{key}.road.lane_width", "float", 2.5, 5),
        sidewalk_width=parse_checked(r.sidewalk_width, f"{key}.road.sidewalk_width", "float", 0, 8),
        two_way=bool(r.two_way),
        crosswalk=parse_checked(r.crosswalk, f"{key}.road.crosswalk", "float", 0, 1),
        crosswalk_distance=parse_checked(r.crosswalk_distance, f"{key}.road.crosswalk_distance", "float", 3, 120),
        intersection=parse_checked(r.intersection, f"{key}.road.intersection", "float", 0, 1),
        intersection_distance=parse_checked(
            r.intersection_distance, f"{key}.road.intersection_distance", "float", 10, 120
        ),
        highway=bool(r.highway),
        buildings=bool(r.buildings),
        parked=parse_checked(t.parked, f"{key}.traffic.parked", "int", 0, 30),
        ahead=parse_checked(t.ahead, f"{key}.traffic.ahead", "int", 0, 10),
        oncoming=parse_checked(t.oncoming, f"{key}.traffic.oncoming", "int", 0, 10),
        actors=tuple(groups),
    )


def _assets(a: ActorSchema, key: str) -> AssetLibrary | None:
    """The checked meshes of a group whose kind can be ``asset``; its ``asset`` section is required
    then, and refused otherwise (a section that no actor would use is a mistake)."""
    kind = parse_value(a.kind, f"{key}.kind", "str", ACTOR_KINDS)
    options = (kind.value,) if isinstance(kind, Constant) else kind.options if isinstance(kind, Choice) else ()
    if "asset" not in options:
        if a.asset is not None:
            raise ConfigError(f"{key}.asset", "is given but the kind is never asset")
        return None
    if a.asset is None:
        raise ConfigError(f"{key}.asset", "kind asset needs an asset section (folder, category, height)")
    return load_library(a.asset, f"{key}.asset")


def scenario_folder() -> Path:
    """The shipped scenario library (``scenes/driving``, inside the package as every shipped scene)."""
    return SCENES_DIR / "driving"


def _kind(node: object) -> str:
    if isinstance(node, ListConfig):
        return "a list"
    return {bool: "true/false", int: "a number", float: "a number", str: "a string"}.get(type(node), "nothing")


def load_scenario_file(name: str, key: str) -> ScenarioSchema:
    """The ``params.scenario`` section of a scenario's scene file, merged onto the schema.

    Args:
        name: a file name in ``scenes/driving`` without ``.yaml``, or a path to a scene file.
        key: the key path for errors.
    """
    from synthgen.config.omegaconf_errors import merge_checked

    path = Path(name) if name.endswith((".yaml", ".yml")) else scenario_folder() / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(key, f"no scenario file {path}")
    try:
        raw = OmegaConf.load(path)
    except Exception as exc:  # noqa: BLE001  (yaml.YAMLError and friends: report the first line)
        raise ConfigError(key, f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    # a list where a mapping belongs (the file, params or params.scenario) is named, not a traceback
    for where, node in (("the file", raw), ("params", raw.get("params") if isinstance(raw, DictConfig) else None)):
        if not isinstance(node, DictConfig):
            if node is None and where == "params":
                break
            raise ConfigError(key, f"{path}: {where} must be a mapping, got {_kind(node)}")
    section = OmegaConf.select(raw, "params.scenario")
    if section is None:
        raise ConfigError(key, f"{path} has no params.scenario section")
    if not isinstance(section, DictConfig):
        raise ConfigError(key, f"{path}: params.scenario must be a mapping, got {_kind(section)}")
    merged = merge_checked(OmegaConf.structured(ScenarioSchema), section, prefix=f"{key}")
    return OmegaConf.to_object(merged)  # type: ignore[return-value]
