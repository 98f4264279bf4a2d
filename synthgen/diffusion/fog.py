"""``fog``: Koschmieder's law from the depth layer. Each pixel keeps the fraction
t = exp(-beta * depth) of its colour and takes 1 - t of the fog's (the airlight), with
beta = -ln(0.05) / visibility (the meteorological visibility: 5 % contrast left). The sky (inf
depth) becomes the airlight. Photometric: every label stays as it is."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, custom, number, param
from synthgen.errors import ConfigError
from synthgen.steps import Applied, StepKind, draw, to_uint8, with_rgb
from synthgen.types import Layers, SceneSpec


def _airlight(value: list, key: str) -> tuple[int, int, int]:
    if len(value) != 3 or not all(0 <= v <= 255 for v in value):
        raise ConfigError(key, f"expected 3 values in 0..255, got {list(value)}")
    return tuple(int(v) for v in value)  # type: ignore[return-value]


class FogSettings(Params):
    """``generate.<step>.params`` of a fog step."""

    visibility: Distribution = param(
        "uniform(40, 150)", number(5, 10000),
        "metres, a number or a distribution; used when the scene does not say",
    )
    airlight: tuple[int, int, int] = param(
        [200, 202, 205], custom(_airlight, list[int], "3 values in 0..255"), "(r, g, b) of the fog"
    )
    only_scene_weather: bool = param(
        True, None,
        "apply only to scenes whose params say ``weather: fog``, with the scene's ``fog_visibility`` (a "
        "scenario-driven run); False: every sample, with ``visibility``",
    )


def fog(rgb: np.ndarray, depth: np.ndarray, visibility: float, airlight) -> np.ndarray:
    """(H, W, 3) uint8 fogged image from (H, W) float32 metres of depth (inf: the airlight)."""
    import cv2

    beta = -math.log(0.05) / visibility
    t = np.where(np.isfinite(depth), depth, np.float32(np.inf)).astype(np.float32, copy=False)
    t *= -beta
    np.exp(t, out=t)  # transmission, float32, computed in place
    out = rgb.astype(np.float32)
    out *= cv2.merge([t, t, t])  # (H, W, 3) operands: numpy's broadcast over 3 channels is ~5x slower
    haze = 1 - t
    out += cv2.merge([haze * np.float32(a) for a in airlight])
    return to_uint8(out, scratch=True)


def apply(s: FogSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    if layers.depth is None:
        raise ValueError("fog needs a depth layer (a 3D renderer such as mesh3d)")
    if s.only_scene_weather:
        if spec.params.get("weather") != "fog":
            return Applied(layers, {"skipped": "weather"})
        visibility = float(spec.params.get("fog_visibility", draw(s.visibility, rng)))
    else:
        visibility = draw(s.visibility, rng)
    return with_rgb(layers, fog(layers.rgb, layers.depth, visibility, s.airlight), {"visibility": round(visibility, 3)})


def requires(s: FogSettings) -> frozenset[str]:
    """Fog is depth made visible: a scene without a depth layer is refused at load."""
    return frozenset({"depth"})


KIND = StepKind(FogSettings, apply, requires=requires)
