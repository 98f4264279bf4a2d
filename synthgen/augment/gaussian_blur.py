"""``gaussian_blur``: defocus, with OpenCV's ``GaussianBlur`` (the kernel of ``kornia.filters.gaussian_blur2d``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthgen.augment.base import Applied, AugmentKind, Number, draw, number
from synthgen.augment.photometric import odd_kernel, with_rgb
from synthgen.config.distributions import Distribution
from synthgen.types import Layers, SceneSpec


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


def gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """(H, W[, C]) uint8 or float32 blurred with a +-3 sigma kernel, borders reflected (101)."""
    import cv2

    k = odd_kernel(2 * math.ceil(3 * sigma) + 1)
    return cv2.GaussianBlur(image, (k, k), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT_101)


def apply(s: GaussianBlurSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    """Blur ``rgb`` with a sigma drawn from ``rng``."""
    sigma = draw(s.sigma, rng)
    return with_rgb(layers, gaussian_blur(layers.rgb, sigma), {"sigma": sigma})


KIND = AugmentKind("gaussian_blur", GaussianBlurSchema, from_config, apply)
