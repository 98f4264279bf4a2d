"""Fog (Koschmieder's law from the depth layer), rain and snow: photometric, labels untouched,
applied where the scenario's weather asks for them."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from synthgen.augment import AUGMENTATIONS
from synthgen.config.distributions import Constant
from synthgen.diffusion import GENERATORS
from synthgen.diffusion.fog import FogSettings
from synthgen.types import InstanceGeometry, Layers, SceneSpec


def layers_and_spec(weather: str):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    depth = np.full((40, 60), np.inf, np.float32)
    depth[20:] = np.linspace(2, 80, 60, dtype=np.float32)[None, :]
    ids = np.zeros((40, 60), np.int32)
    ids[25:30, 10:20] = 1
    layers = Layers(rgb, ids, {1: InstanceGeometry("car")}, depth=depth, semantic_id=np.full((40, 60), 7, np.int32))
    spec = SceneSpec("driving", 60, 40, {}, (), ("car",), params={"weather": weather, "fog_visibility": 50.0})
    return layers, spec


def test_fog_follows_koschmieder():
    kind = GENERATORS.get("fog")
    layers, spec = layers_and_spec("fog")
    airlight = (200, 202, 205)
    result = kind.apply(FogSettings(Constant(999.0), airlight, True), layers, spec, np.random.default_rng(0), None)
    assert result.params == {"visibility": 50.0}  # the scene's, not the step's
    out = result.layers
    beta = -math.log(0.05) / 50.0
    t = np.exp(-beta * layers.depth[20:].astype(np.float64))[:, :, None]
    expected = layers.rgb[20:] * t + np.array(airlight) * (1 - t)
    assert np.abs(out.rgb[20:].astype(np.float64) - expected).max() <= 0.5 + 1e-3
    assert (out.rgb[:20] == airlight).all()  # the sky (no depth) is the airlight
    # at the visibility distance 5 % of the contrast is left
    assert math.exp(-beta * 50.0) == pytest.approx(0.05)
    assert out.instance_id is layers.instance_id and out.depth is layers.depth and out.geometry is layers.geometry
    assert kind.moves is None


def test_fog_skips_other_weather_unless_told():
    kind = GENERATORS.get("fog")
    layers, spec = layers_and_spec("clear")
    skipped = kind.apply(
        FogSettings(Constant(60.0), (200, 200, 200), True), layers, spec, np.random.default_rng(0), None
    )
    assert skipped.layers is layers and skipped.params == {"skipped": "weather"}
    forced = kind.apply(
        FogSettings(Constant(60.0), (200, 200, 200), False), layers, spec, np.random.default_rng(0), None
    )
    assert forced.params == {"visibility": 60.0} and (forced.layers.rgb != layers.rgb).any()


@pytest.mark.parametrize("name", ["rain", "snow"])
def test_precipitation_changes_pixels_only_and_is_deterministic(name):
    kind = AUGMENTATIONS.get(name)
    settings = kind.from_config(kind.params_schema(), f"augment.{name}.params")
    layers, spec = layers_and_spec(name)
    a = kind.apply(settings, layers, spec, np.random.default_rng(4), None)
    b = kind.apply(settings, layers, spec, np.random.default_rng(4), None)
    assert (a.layers.rgb == b.layers.rgb).all() and a.params == b.params
    assert (a.layers.rgb != layers.rgb).any()
    assert a.layers.instance_id is layers.instance_id and a.layers.geometry is layers.geometry
    assert kind.moves is None
    other = kind.apply(settings, *layers_and_spec("clear"), np.random.default_rng(4), None)
    assert other.params == {"skipped": "weather"}


def test_rain_dims_daylight_only():
    """The overcast dims daylight; a night scene's light (lamps, headlights) is not dimmed: its
    pixels away from the streaks are left as they were, and the draw is recorded as 0."""
    kind = AUGMENTATIONS.get("rain")
    settings = kind.from_config({"density": 0.0}, "augment.rain.params")
    layers, spec = layers_and_spec("rain")
    day = kind.apply(settings, layers, spec, np.random.default_rng(4), None)
    assert day.params["dim"] >= 0.1 and (day.layers.rgb < layers.rgb).any()
    night_spec = dataclasses.replace(spec, params={**spec.params, "time_of_day": "night"})
    night = kind.apply(settings, layers, night_spec, np.random.default_rng(4), None)
    assert night.params["dim"] == 0.0 and np.array_equal(night.layers.rgb, layers.rgb)


def test_rain_dims_and_snow_hazes_by_their_formula_and_leave_the_input_alone():
    """Without drops (density 0) rain is the image dimmed by ``dim`` and snow the image faded toward
    grey 235 by ``haze``, to the nearest grey level (float64 reference); the input is not written."""
    from synthgen.augment.precipitation import rain, snow

    rgb = np.random.default_rng(1).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    before = rgb.copy()
    dimmed = rain(rgb, np.random.default_rng(0), 0.0, 20.0, 5.0, 0.4, 0.25)
    assert np.abs(dimmed - rgb * 0.75).max() <= 0.5 + 1e-3
    hazed = snow(rgb, np.random.default_rng(0), 0.0, 2.0, 0.8, 0.2)
    assert np.abs(hazed - (rgb * 0.8 + 235 * 0.2)).max() <= 0.5 + 1e-3
    flat = np.full((40, 60, 3), 120, np.uint8)
    streaked = rain(flat, np.random.default_rng(0), 20.0, 20.0, 5.0, 1.0, 0.25, 1.3)
    # on a flat grey a streak blends toward drop_light x the (dimmed) light around it: 1.3 x 90 = 117
    assert streaked.min() >= 90 and 100 < streaked.max() <= 117 and (streaked > 95).sum() > 100
    assert (rgb == before).all()


def test_rain_streaks_take_the_light_around_them():
    """A drop refracts the light around it: streaks fade into the dark, show beside a lit shop
    window and take its warm colour."""
    from synthgen.augment.precipitation import rain

    night = np.full((120, 240, 3), 12, np.uint8)
    night[:, 160:] = (250, 170, 80)  # a lit shop window
    drops = rain(night, np.random.default_rng(0), 20.0, 20.0, 5.0, 1.0, 0.0, 1.3).astype(int)
    none = rain(night, np.random.default_rng(0), 0.0, 20.0, 5.0, 1.0, 0.0, 1.3).astype(int)
    assert np.array_equal(none, night)
    streaks = drops - none
    assert np.abs(streaks[:, :60]).max() <= 6  # in the dark, far from the light: faint
    beside = streaks[:, 130:158]
    assert beside.max() > 40  # beside the window: bright streaks
    warm = beside[..., 0] > 20
    assert warm.sum() > 20 and (beside[..., 0][warm] > 2 * beside[..., 2][warm]).all()  # in the window's colour
