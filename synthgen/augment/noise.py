"""``noise``: additive gaussian sensor noise (as kornia's ``RandomGaussianNoise``), drawn from the
sample's generator."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthgen.augment.base import Applied, AugmentKind, draw
from synthgen.augment.photometric import to_uint8, with_rgb
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, number, param
from synthgen.types import Layers, SceneSpec


class NoiseSettings(Params):
    """``augment.<step>.params`` of a noise step."""

    sigma: Distribution = param(
        "uniform(2, 10)", number(0, 128),
        "standard deviation in grey levels (0..255 scale); each pixel and channel gets its own noise",
    )


def apply(s: NoiseSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    """Add gaussian noise drawn from ``rng`` to ``rgb``."""
    sigma = draw(s.sigma, rng)
    noise = rng.standard_normal(layers.rgb.shape, dtype=np.float32)
    noise *= np.float32(sigma)
    noise += layers.rgb
    return with_rgb(layers, to_uint8(noise), {"sigma": sigma})


KIND = AugmentKind(NoiseSettings, apply)
