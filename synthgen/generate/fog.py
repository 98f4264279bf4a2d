"""``fog``: Koschmieder's law from the depth layer. Each pixel keeps the fraction
t = exp(-beta * depth) of its colour and takes 1 - t of the fog's (the airlight), with
beta = -ln(0.05) / visibility (the meteorological visibility: 5 % contrast left). The sky (inf
depth) becomes the airlight. Photometric: every label stays as it is."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthgen.config.distributions import Distribution
from synthgen.errors import ConfigError
from synthgen.steps import Applied, Number, StepKind, draw, number, to_uint8, with_rgb
from synthgen.types import Layers, SceneSpec


@dataclass
class FogSchema:
    """Args:
    visibility: metres (5..10000), a number or a distribution; used when the scene does not say.
    airlight: (r, g, b) 0..255 of the fog.
    only_scene_weather: apply only to scenes whose params say ``weather: fog``, with the scene's
        ``fog_visibility`` (a scenario-driven run); False: every sample, with ``visibility``.
    """

    visibility: Number = "uniform(40, 150)"
    airlight: list[int] = field(default_factory=lambda: [200, 202, 205])
    only_scene_weather: bool = True


@dataclass(frozen=True)
class FogSettings:
    visibility: Distribution
    airlight: tuple[int, int, int]
    only_scene_weather: bool


def from_config(p: FogSchema, key: str) -> FogSettings:
    if len(p.airlight) != 3 or not all(0 <= v <= 255 for v in p.airlight):
        raise ConfigError(f"{key}.airlight", f"expected 3 values in 0..255, got {list(p.airlight)}")
    return FogSettings(
        number(p.visibility, f"{key}.visibility", 5, 10000),
        tuple(int(v) for v in p.airlight),
        bool(p.only_scene_weather),
    )  # type: ignore[arg-type]


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


KIND = StepKind("fog", FogSchema, from_config, apply, requires=requires)
