"""``noise``: additive gaussian sensor noise, kornia ``RandomGaussianNoise`` replayed with noise
drawn from the sample's generator."""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from synthgen.augment.base import Applied, AugmentKind, Number, draw, number
from synthgen.augment.photometric import apply_to_rgb
from synthgen.config.distributions import Distribution
from synthgen.types import Layers


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


def apply(s: NoiseSettings, layers: Layers, rng: np.random.Generator) -> Applied:
    """Add gaussian noise drawn from ``rng`` to ``rgb``."""
    import torch
    from kornia.augmentation import RandomGaussianNoise

    sigma = draw(s.sigma, rng)
    height, width = layers.instance_id.shape
    noise = rng.standard_normal((1, 3, height, width), dtype=np.float32) * np.float32(sigma / 255.0)
    params = {"gaussian_noise": torch.from_numpy(noise), "batch_prob": torch.ones(1)}
    return apply_to_rgb(layers, lambda img: RandomGaussianNoise(p=1.0)(img, params=params), {"sigma": sigma})


KIND = AugmentKind("noise", NoiseSchema, from_config, apply)
