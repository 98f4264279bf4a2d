"""``noise``: additive gaussian sensor noise (as kornia's ``RandomGaussianNoise``), drawn from the
sample's generator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synthgen.augment.base import Applied, AugmentKind, Number, draw, number
from synthgen.augment.photometric import to_uint8, with_rgb
from synthgen.config.distributions import Distribution
from synthgen.types import Layers, SceneSpec


@dataclass
class NoiseSchema:
    """Args:
    sigma: standard deviation in grey levels (0..255 scale), 0..128, a number or a distribution;
        each pixel and channel gets its own noise.
    """

    sigma: Number = "uniform(2, 10)"


@dataclass(frozen=True)
class NoiseSettings:
    sigma: Distribution


def from_config(p: NoiseSchema, key: str) -> NoiseSettings:
    """Check ``augment.<step>.params`` of a noise step."""
    return NoiseSettings(sigma=number(p.sigma, f"{key}.sigma", 0, 128))


def apply(s: NoiseSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    """Add gaussian noise drawn from ``rng`` to ``rgb``."""
    sigma = draw(s.sigma, rng)
    noise = rng.standard_normal(layers.rgb.shape, dtype=np.float32)
    noise *= np.float32(sigma)
    noise += layers.rgb
    return with_rgb(layers, to_uint8(noise), {"sigma": sigma})


KIND = AugmentKind("noise", NoiseSchema, from_config, apply)
