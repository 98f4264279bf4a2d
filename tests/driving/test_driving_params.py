"""The driving kinds declare their params once (``DrivingSettings``, ``InsertSettings`` and the sections
they nest): errors name the whole key path with the words they had before the conversion, the
rules that depend on another key (an actor's distance on ``relative_to``, an ``asset`` section on the
kind) hold, and what the kinds derive at load (the rig, the mixed scenario files, the frames) is there."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from synthgen.config import load_run_config
from synthgen.config.distributions import Choice, Constant, Normal
from synthgen.driving.camera import CameraRig
from synthgen.driving.scenario import ActorSettings, ScenarioSettings
from synthgen.driving.scene import DrivingSettings
from synthgen.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
DRIVING = ROOT / "configs" / "driving.yaml"
INSERT = ROOT / "configs" / "driving_insert.yaml"
A = "scene.params.scenario.actors"


def _error(config: Path, *overrides: str) -> str:
    with pytest.raises(ConfigError) as err:
        load_run_config(config, list(overrides))
    return str(err.value)


@pytest.mark.parametrize(
    ("config", "overrides", "message"),
    [
        (DRIVING, ["scene.params.width=20"], "scene.params.width: must be in 32..4096, got 20"),
        (DRIVING, ["scene.params.camera.focal_px=0"], "scene.params.camera.focal_px: must be > 0, got 0.0"),
        (DRIVING, ["scene.params.camera.pitch_deg=40"], "scene.params.camera.pitch_deg: must be in -30..30, got 40.0"),
        (DRIVING, [f"{A}.a.distance=0"], f"{A}.a.distance: values must be >= 1, got 0"),
        (DRIVING, [f"{A}.a.count=60"], f"{A}.a.count: values must be <= 50, got 60"),
        (DRIVING, [f"{A}.a.kind=choice([car, plane])"], f"{A}.a.kind: "),
        (
            DRIVING,
            [f"{A}.a.relative_to=b", f"{A}.b.kind=car"],
            f"{A}.a.relative_to: 'b' is not an actor group above it",
        ),
        (DRIVING, [f"{A}.a.asset={{folder: /nope, height: 1}}"], f"{A}.a.asset: is given but the kind is never asset"),
        (DRIVING, [f"{A}.a.kind=asset"], f"{A}.a.asset: kind asset needs an asset section (folder, category, height)"),
        (
            DRIVING,
            [f"{A}.a.kind=asset", f"{A}.a.asset={{folder: /nope, height: 1, up_axis: z, forward_axis: -z}}"],
            f"{A}.a.asset.forward_axis: must be across up_axis (z), got -z",
        ),
        (
            DRIVING,
            [f"{A}.a.kind=asset", f"{A}.a.asset={{folder: /nope, dimensions: [1, 2]}}"],
            f"{A}.a.asset.dimensions: must be [length, width, height] in 0.05..30 m, got [1.0, 2.0]",
        ),
        (
            DRIVING,
            ["scene.params.scenario.road.lanes=9"],
            "scene.params.scenario.road.lanes: values must be <= 6, got 9",
        ),
        (
            DRIVING,
            ["scene.params.scenario.traffic.oncoming=uniform(1, 2)"],
            (
                "scene.params.scenario.traffic.oncoming: expected an integer, randint(a, b) or choice([...]), "
                "got uniform(1.0, 2.0)"
            ),
        ),
        (
            DRIVING,
            ["scene.params.scenarios.cyclist_fog=-1"],
            "scene.params.scenarios.cyclist_fog: a weight must be >= 0",
        ),
        (INSERT, ["scene.params.ground=sky"], "scene.params.ground: 'sky' is not one of auto, calib, boxes, camera"),
        (INSERT, ["scene.params.min_distance=0.5"], "scene.params.min_distance: must be in 1.0..50.0, got 0.5"),
        (INSERT, ["scene.params.camera={focal_px: 0}"], "scene.params.camera.focal_px: must be > 0, got 0.0"),
    ],
)
def test_a_bad_driving_key_is_named_with_its_path(config, overrides, message):
    text = _error(config, *overrides)
    assert text.startswith(message), text


def test_an_offset_from_another_group_may_be_behind_it_and_a_normal_is_clipped_to_the_range():
    relative = ActorSettings.from_config({"relative_to": "lead", "distance": -20}, "a")
    assert relative.distance == Constant(-20.0)
    with pytest.raises(ConfigError, match=r"^a\.distance: values must be >= 1, got -20"):
        ActorSettings.from_config({"distance": -20}, "a")
    # a normal cannot be refused by its range: its samples are clipped, in front of the camera without relative_to
    assert ActorSettings.from_config({"distance": "normal(5, 10)"}, "a").distance == Normal(5.0, 10.0, 1, 150)
    behind = ActorSettings.from_config({"distance": "normal(5, 10)", "relative_to": "lead"}, "a")
    assert behind.distance == Normal(5.0, 10.0, -100, 150)


def test_the_scenario_files_are_sections_checked_under_their_name(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: driving\nparams:\n  scenario:\n    actors:\n      deer: {kind: deer, heading: 999}\n")
    text = _error(DRIVING, "scene.params.scenarios={}", f"scene.params.scenarios={{{bad}: 1}}")
    assert text.startswith(f"scene.params.scenarios.{bad}.actors.deer.heading: values must be <= 360"), text


def test_the_driving_settings_derive_the_rig_and_the_mix():
    s = load_run_config(DRIVING, ["scene.params.camera.pitch_deg=5"]).scene.settings
    assert isinstance(s, DrivingSettings)
    assert s.rig == CameraRig(640, 384, CameraRig.focal_from_fov(640, 75.0), 1.5, math.radians(5))
    names = [sc.name for sc in s.mixed]
    assert names == list(s.scenarios) and len(names) >= 6 and all(isinstance(sc, ScenarioSettings) for sc in s.mixed)
    total = sum(s.scenarios.values())
    assert isinstance(s.pick, Choice) and s.pick.options == tuple(range(len(names)))
    assert s.pick.weights == pytest.approx(tuple(w / total for w in s.scenarios.values()))
    child = s.mixed[names.index("child_behind_parked_car")]
    assert list(child.actors) == ["parked_car", "child"] and child.actors["child"].relative_to == "parked_car"
    # the scene's own scenario is checked and kept even where a mix replaces it
    assert s.scenario.name == "street" and s.scenario not in s.mixed


def test_the_insert_settings_derive_the_frames_and_the_camera_height():
    s = load_run_config(INSERT, []).scene.settings
    assert len(s.frame_list.entries) == 6 and s.mount_height == 1.65 and s.match == (True, True, True)
    s = load_run_config(INSERT, ["scene.params.camera={mount_height: 1.4}", "scene.params.match_noise=false"])
    assert s.scene.settings.mount_height == 1.4 and s.scene.settings.match == (True, False, True)
