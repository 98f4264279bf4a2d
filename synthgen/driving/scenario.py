"""Declarative scenarios: the road, the conditions and the actors of a rare event, placed by
distributions relative to the ego lane.

A scenario is the ``scenario:`` section of a scene file under ``scenes/driving/``; a run mixes
scenarios by weight with ``scene.params.scenarios: {name: weight}`` (names of files in that folder,
or paths to scene files). Its sections are ``synthgen.config.params`` classes, nested by the
``driving`` and ``driving_insert`` scenes: each key is declared once, with its rule and doc.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

from omegaconf import DictConfig, ListConfig, OmegaConf

from synthgen.config.distributions import Choice, Constant, Distribution, Normal, check_range
from synthgen.config.params import Params, choice, derived, integer, named_sections, nested, number, param
from synthgen.config.shipped import SCENES_DIR
from synthgen.driving.conditions import TIMES_OF_DAY
from synthgen.driving.mesh_assets import AssetLibrary, AssetSettings, load_library
from synthgen.driving.people import POSES
from synthgen.errors import ConfigError

ACTOR_KINDS = (
    "car", "van", "truck", "bus", "motorbike", "pedestrian", "child", "elderly", "cyclist", "motorcyclist",
    "deer", "dog", "tyre", "box", "cone", "asset",
)  # fmt: skip
WEATHERS = ("clear", "rain", "snow", "fog")
DISTANCE = (1, 150)  # metres ahead of the camera; an offset from another group may be -100..150
RELATIVE_DISTANCE = (-100, 150)


class ActorSettings(Params):
    """One group of actors (``scenario.actors.<name>``; the name is the group's ``role``)."""

    kind: Distribution = param(
        "car", choice(*ACTOR_KINDS), "what each actor is; asset: a mesh of the group's asset section"
    )
    count: Distribution = param(1, integer(0, 50), "how many actors")
    distance: Distribution = param(
        "uniform(10, 30)",
        number(*RELATIVE_DISTANCE),
        f"metres ahead of the camera along the road (x), {DISTANCE[0]}..{DISTANCE[1]}; "
        "with relative_to an offset from that group's first actor",
    )
    lateral: Distribution = param(0.0, number(-40, 40), "metres right of the ego lane's centre (negative: left)")
    heading: Distribution = param(
        0.0,
        number(-360, 360),
        "degrees; 0 moves away from the camera along the lane, 180 towards it, 90 crosses from right to left",
    )
    pose: Distribution = param(
        "walking", choice(*POSES), "people's pose (crossing: walking, the head turned to the traffic)"
    )
    relative_to: Optional[str] = param(None, None, "an actor group above: distance and lateral are offsets from it")
    lights_on: bool = param(False, None, "vehicles' headlights (at night the nearest vehicle's light the scene)")
    asset: Optional[AssetSettings] = nested(
        AssetSettings, "the meshes of kind asset (required then, refused otherwise)", optional=True
    )
    assets: Optional[AssetLibrary] = derived(None, "the meshes of the asset section, read at load", compare=False)

    def check(self, key: str) -> ActorSettings:
        distance = self.distance
        if self.relative_to is None:  # from the camera: in front of it
            check_range(distance, f"{key}.distance", *DISTANCE)
            if isinstance(distance, Normal):
                distance = dataclasses.replace(distance, low=DISTANCE[0], high=DISTANCE[1])
        return dataclasses.replace(self, distance=distance, assets=self._assets(key))

    def _assets(self, key: str) -> AssetLibrary | None:
        """The meshes of a group whose kind can be ``asset``; its ``asset`` section is required
        then, and refused otherwise (a section that no actor would use is a mistake)."""
        kind = self.kind
        options = (kind.value,) if isinstance(kind, Constant) else kind.options if isinstance(kind, Choice) else ()
        if "asset" not in options:
            if self.asset is not None:
                raise ConfigError(f"{key}.asset", "is given but the kind is never asset")
            return None
        if self.asset is None:
            raise ConfigError(f"{key}.asset", "kind asset needs an asset section (folder, category, height)")
        return load_library(self.asset, f"{key}.asset")


class RoadSettings(Params):
    """``scenario.road``: the road the ego vehicle drives on."""

    lanes: Distribution = param(2, integer(1, 6), "lanes")
    lane_width: Distribution = param("uniform(3.0, 3.6)", number(2.5, 5), "metres")
    sidewalk_width: Distribution = param("uniform(2.0, 4.0)", number(0, 8), "metres (none on a highway)")
    two_way: bool = param(True, None, "the lanes to the left carry oncoming traffic")
    crosswalk: Distribution = param(0.0, number(0, 1), "probability of a zebra crossing")
    crosswalk_distance: Distribution = param("uniform(12, 30)", number(3, 120), "metres ahead")
    intersection: Distribution = param(0.0, number(0, 1), "probability of a crossing road")
    intersection_distance: Distribution = param("uniform(25, 50)", number(10, 120), "metres ahead")
    highway: bool = param(False, None, "a highway: no sidewalk, a narrow kerb strip")
    buildings: bool = param(True, None, "false: the countryside (trees and fields)")


class TrafficSettings(Params):
    """``scenario.traffic``: background traffic besides the scenario's actors."""

    parked: Distribution = param("randint(0, 4)", integer(0, 30), "cars parked along the right kerb")
    ahead: Distribution = param("randint(0, 2)", integer(0, 10), "vehicles in the ego lane")
    oncoming: Distribution = param("randint(0, 2)", integer(0, 10), "vehicles in the lanes to the left")


class ScenarioSettings(Params):
    """A ``scenario:`` section: the road, the conditions and the actor groups of one event."""

    name: str = param("street", None, "the scenario's name (recorded in each sample's params)")
    time_of_day: Distribution = param("choice([day, dusk, night])", choice(*TIMES_OF_DAY), "the light")
    weather: Distribution = param(
        "clear", choice(*WEATHERS), "the augment and generate steps (fog, rain, snow) read it from the scene params"
    )
    fog_visibility: Distribution = param(
        "uniform(30, 120)", number(5, 10000), "metres (meteorological visibility), with weather fog"
    )
    backdrop_density: Distribution = param(0.6, number(0, 1), "trees and signs beside the road, 0..1")
    road: RoadSettings = nested(RoadSettings, "the road")
    traffic: TrafficSettings = nested(TrafficSettings, "background traffic")
    actors: dict[str, ActorSettings] = named_sections(ActorSettings, "the actor groups, placed in this order")

    def check(self, key: str) -> None:
        above: list[str] = []
        for name, actor in self.actors.items():
            if actor.relative_to is not None and actor.relative_to not in above:
                raise ConfigError(
                    f"{key}.actors.{name}.relative_to", f"{actor.relative_to!r} is not an actor group above it"
                )
            above.append(name)


def scenario_folder() -> Path:
    """The shipped scenario library (``scenes/driving``, inside the package as every shipped scene)."""
    return SCENES_DIR / "driving"


def _kind(node: object) -> str:
    if isinstance(node, ListConfig):
        return "a list"
    return {bool: "true/false", int: "a number", float: "a number", str: "a string"}.get(type(node), "nothing")


def load_scenario_file(name: str, key: str) -> ScenarioSettings:
    """The checked ``params.scenario`` section of a scenario's scene file.

    Args:
        name: a file name in ``scenes/driving`` without ``.yaml``, or a path to a scene file.
        key: the key path for errors.
    """
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
    return ScenarioSettings.from_config(section, key)
