"""``gaussian_blur``: defocus, with OpenCV's ``GaussianBlur`` (the kernel of ``kornia.filters.gaussian_blur2d``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthgen.augment.base import Applied, AugmentKind, draw
from synthgen.augment.photometric import odd_kernel, with_rgb
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, number, param
from synthgen.types import Layers, SceneSpec


class GaussianBlurSettings(Params):
    """``augment.<step>.params`` of a gaussian_blur step."""

    sigma: Distribution = param(
        "uniform(0.5, 1.5)", number(0.1, 20), "standard deviation in pixels; the kernel spans +-3 sigma"
    )


def gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """(H, W[, C]) uint8 or float32 blurred with a +-3 sigma kernel, borders reflected (101)."""
    import cv2

    k = odd_kernel(2 * math.ceil(3 * sigma) + 1)
    return cv2.GaussianBlur(image, (k, k), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT_101)


def apply(s: GaussianBlurSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    """Blur ``rgb`` with a sigma drawn from ``rng``."""
    sigma = draw(s.sigma, rng)
    return with_rgb(layers, gaussian_blur(layers.rgb, sigma), {"sigma": sigma})


KIND = AugmentKind(GaussianBlurSettings, apply)
