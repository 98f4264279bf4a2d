"""``gaussian_blur``: defocus, with ``kornia.filters.gaussian_blur2d``."""

from __future__ import annotations

import math
from dataclasses import dataclass
import numpy as np

from synthgen.augment.base import Applied, AugmentKind, Number, draw, number
from synthgen.augment.photometric import apply_to_rgb, odd_kernel
from synthgen.config.distributions import Distribution
from synthgen.types import Layers


@dataclass
class GaussianBlurSchema:
    """Args:
    sigma: standard deviation in pixels, 0.1..20 (a number or a distribution); the kernel spans
        +-3 sigma.
    """

    sigma: Number = "uniform(0.5, 1.5)"


@dataclass(frozen=True)
class GaussianBlurSettings:
    sigma: Distribution


def from_config(p: GaussianBlurSchema, key: str) -> GaussianBlurSettings:
    """Check ``augment.<step>.params`` of a gaussian_blur step."""
    return GaussianBlurSettings(sigma=number(p.sigma, f"{key}.sigma", 0.1, 20))


def apply(s: GaussianBlurSettings, layers: Layers, rng: np.random.Generator) -> Applied:
    """Blur ``rgb`` with a sigma drawn from ``rng``."""
    from kornia.filters import gaussian_blur2d

    sigma = draw(s.sigma, rng)
    height, width = layers.instance_id.shape
    k = odd_kernel(2 * math.ceil(3 * sigma) + 1, height, width)
    return apply_to_rgb(layers, lambda img: gaussian_blur2d(img, (k, k), (sigma, sigma)), {"sigma": sigma})


KIND = AugmentKind("gaussian_blur", GaussianBlurSchema, from_config, apply)
