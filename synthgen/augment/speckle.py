"""``speckle``: toner speckle, the dark dots a laser printer or a photocopier scatters over a page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synthgen.augment.base import Applied, AugmentKind, Number, draw, number
from synthgen.augment.photometric import to_uint8, with_rgb
from synthgen.config.distributions import Distribution
from synthgen.types import Layers, SceneSpec


@dataclass
class SpeckleSchema:
    """Args (each a number or a distribution):
    density: share of pixels where a speck starts, 0..0.2.
    size: speck radius in pixels, 0..5 (0: single pixels).
    darkness: grey level of the toner, 0..255.
    opacity: how much a speck covers what is under it, 0..1.
    """

    density: Number = "uniform(0.002, 0.01)"
    size: Number = "uniform(0, 1.2)"
    darkness: Number = "uniform(0, 60)"
    opacity: Number = "uniform(0.5, 1)"


@dataclass(frozen=True)
class SpeckleSettings:
    density: Distribution
    size: Distribution
    darkness: Distribution
    opacity: Distribution


def from_config(p: SpeckleSchema, key: str) -> SpeckleSettings:
    """Check ``augment.<step>.params`` of a speckle step."""
    return SpeckleSettings(
        density=number(p.density, f"{key}.density", 0, 0.2),
        size=number(p.size, f"{key}.size", 0, 5),
        darkness=number(p.darkness, f"{key}.darkness", 0, 255),
        opacity=number(p.opacity, f"{key}.opacity", 0, 1),
    )


def apply(s: SpeckleSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    """Scatter specks drawn from ``rng`` over ``rgb`` (labels unchanged: specks are not text)."""
    import cv2

    sampled = {k: draw(getattr(s, k), rng) for k in ("density", "size", "darkness", "opacity")}
    h, w = layers.instance_id.shape
    seeds = (rng.random((h, w)) < sampled["density"]).astype(np.float32)
    r = sampled["size"]
    if r > 0:  # soft round specks of that radius
        seeds = cv2.GaussianBlur(seeds, (0, 0), r) * np.float32(2 * np.pi * r * r)
    cover = np.clip(seeds, 0, 1)[..., None] * np.float32(sampled["opacity"])
    out = layers.rgb * (1 - cover) + np.float32(sampled["darkness"]) * cover
    return with_rgb(layers, to_uint8(out), sampled)


KIND = AugmentKind("speckle", SpeckleSchema, from_config, apply)
