"""``rain`` and ``snow``: photometric precipitation drawn over the image (streaks or flakes), with
the dimming and loss of contrast of wet or snowy air. Every label stays as it is: the drops are
semi-transparent and cover no object in the label sense.

A rain drop is a wide-angle lens: it refracts the light of a cone of ~165 degrees around it into the
camera (Garg and Nayar, "Vision and Rain", 2007), so a streak is about as bright as the scene around
it, a little brighter, and takes its colour: streaks show by day and in the light of lamps, shop
windows and headlights, and fade into the dark at night (a fixed grey drew them glowing at night).

With ``only_scene_weather`` (the default) a step applies only to scenes whose params say
``weather: rain`` (or ``snow``), so a scenario decides its weather.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthgen.augment.base import Applied, AugmentKind, draw
from synthgen.augment.photometric import to_uint8, with_rgb
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, number, param
from synthgen.types import Layers, SceneSpec


class RainSettings(Params):
    """``augment.<step>.params`` of a rain step."""

    density: Distribution = param("uniform(3, 10)", number(0, 50), "streaks per 10,000 pixels")
    length: Distribution = param("uniform(10, 30)", number(1, 200), "streak length in pixels")
    angle: Distribution = param("uniform(-15, 15)", number(-60, 60), "degrees from vertical")
    opacity: Distribution = param("uniform(0.25, 0.5)", number(0, 1), "streak opacity")
    dim: Distribution = param(
        "uniform(0.1, 0.3)", number(0, 0.8), "fraction of daylight lost to the overcast (none at night)"
    )
    drop_light: Distribution = param(
        "uniform(1.1, 1.4)", number(0, 4), "a drop's brightness over the scene light around it (wide blur of the image)"
    )
    only_scene_weather: bool = param(True, None, "apply only where the scene's ``weather`` is rain")


class SnowSettings(Params):
    """``augment.<step>.params`` of a snow step."""

    density: Distribution = param("uniform(5, 20)", number(0, 50), "flakes per 10,000 pixels")
    size: Distribution = param("uniform(1, 3)", number(0.5, 10), "flake radius in pixels")
    opacity: Distribution = param("uniform(0.6, 0.95)", number(0, 1), "flake opacity")
    haze: Distribution = param("uniform(0.1, 0.3)", number(0, 0.8), "how far the image fades to white")
    only_scene_weather: bool = param(True, None, "apply only where the scene's ``weather`` is snow")


def rain(
    rgb: np.ndarray,
    rng: np.random.Generator,
    density: float,
    length: float,
    angle: float,
    opacity: float,
    dim: float,
    drop_light: float = 1.25,
) -> np.ndarray:
    """(H, W, 3) uint8 with rain streaks over a dimmed image; a streak's colour is ``drop_light``
    times the scene light around it (``scene_light`` of the dimmed image)."""
    import cv2

    h, w = rgb.shape[:2]
    n = int(density * h * w / 10_000)
    layer = np.zeros((h, w), np.float32)
    xs, ys = rng.uniform(0, w, n), rng.uniform(0, h, n)
    lens = length * rng.uniform(0.6, 1.2, n)
    dx, dy = math.sin(math.radians(angle)), math.cos(math.radians(angle))
    for x, y, ln in zip(xs, ys, lens):
        cv2.line(layer, (int(x), int(y)), (int(x + dx * ln), int(y + dy * ln)), 1.0, 1, cv2.LINE_AA)
    drop = scene_light(rgb) * np.float32((1 - dim) * drop_light)
    return _veil(rgb, layer, opacity, 1 - dim, 0.0, drop)


def scene_light(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 0..255: the light around each pixel, the image blurred over a twelfth of its
    width (done at an eighth of the size: the light a drop gathers is smooth anyway)."""
    import cv2

    h, w = rgb.shape[:2]
    small = cv2.resize(rgb, (max(1, w // 8), max(1, h // 8)), interpolation=cv2.INTER_AREA).astype(np.float32)
    small = cv2.GaussianBlur(small, (0, 0), max(w / 96, 0.5))
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).reshape(h, w, -1)


def _veil(
    rgb: np.ndarray, layer: np.ndarray, opacity: float, keep: float, toward: float, drop: float | np.ndarray
) -> np.ndarray:
    """``rgb * keep + toward`` (dimmed or hazed) under the blurred drop ``layer`` (H, W) float32
    0..1 times ``opacity``, drawn in grey level ``drop`` (a number, or (H, W, 3) float32 levels per
    pixel): float32 arithmetic in place, three image-sized buffers instead of seven."""
    import cv2

    layer = cv2.GaussianBlur(layer, (3, 3), 0)
    layer *= opacity
    out = rgb.astype(np.float32)
    out *= keep
    if toward:
        out += toward
    clear = 1 - layer
    out *= cv2.merge([clear, clear, clear])  # (H, W, 3) operands: numpy's broadcast over 3 channels is ~5x slower
    if isinstance(drop, np.ndarray):
        drop *= cv2.merge([layer, layer, layer])
        out += drop
    else:
        layer *= np.float32(drop)
        out += cv2.merge([layer, layer, layer])
    return to_uint8(out, scratch=True)


def snow(
    rgb: np.ndarray, rng: np.random.Generator, density: float, size: float, opacity: float, haze: float
) -> np.ndarray:
    """(H, W, 3) uint8 with snowflakes over a whitened image."""
    import cv2

    h, w = rgb.shape[:2]
    n = int(density * h * w / 10_000)
    layer = np.zeros((h, w), np.float32)
    for x, y, r in zip(rng.uniform(0, w, n), rng.uniform(0, h, n), size * rng.uniform(0.5, 1.5, n)):
        cv2.circle(layer, (int(x * 16), int(y * 16)), max(1, int(r * 16)), 1.0, -1, cv2.LINE_AA, shift=4)
    return _veil(rgb, layer, opacity, 1 - haze, 235 * haze, 250)


def apply_rain(s: RainSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    if s.only_scene_weather and spec.params.get("weather") != "rain":
        return Applied(layers, {"skipped": "weather"})
    v = {k: draw(getattr(s, k), rng) for k in ("density", "length", "angle", "opacity", "dim", "drop_light")}
    if spec.params.get("time_of_day") == "night":
        v["dim"] = 0.0  # the overcast dims daylight; at night the light is the lamps' and headlights'
    return with_rgb(layers, rain(layers.rgb, rng, **v), {k: round(x, 4) for k, x in v.items()})


def apply_snow(s: SnowSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    if s.only_scene_weather and spec.params.get("weather") != "snow":
        return Applied(layers, {"skipped": "weather"})
    v = {k: draw(getattr(s, k), rng) for k in ("density", "size", "opacity", "haze")}
    return with_rgb(layers, snow(layers.rgb, rng, **v), {k: round(x, 4) for k, x in v.items()})


RAIN = AugmentKind(RainSettings, apply_rain)
SNOW = AugmentKind(SnowSettings, apply_snow)
