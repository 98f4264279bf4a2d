"""``motion_blur``: camera or object motion along a line, the kernel of ``kornia.filters.motion_blur``
correlated with the image by OpenCV's ``filter2D``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthgen.augment.base import Applied, AugmentKind, draw
from synthgen.augment.photometric import odd_kernel, with_rgb
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, integer, number, param
from synthgen.types import Layers, SceneSpec


class MotionBlurSettings(Params):
    """``augment.<step>.params`` of a motion_blur step (each a number or a distribution)."""

    length: Distribution = param(
        "randint(3, 9)", integer(3, 101), "streak length in pixels; an even length is rounded up to the next odd one"
    )
    angle: Distribution = param(
        "uniform(0, 360)", number(-360, 360), "direction of motion in degrees, counter-clockwise from the x axis"
    )
    direction: Distribution = param(
        0.0, number(-1, 1), "where the streak is heaviest: -1 backwards, 0 even, 1 forwards"
    )


def motion_kernel(size: int, angle: float, direction: float) -> np.ndarray:
    """(size, size) float32 line kernel summing to 1, as ``kornia.filters.get_motion_kernel2d`` makes it.

    The middle row is weighted linearly (``direction`` 1: heavy at the left end, 0 at the right;
    -1 mirrored; 0 even), then turned ``angle`` degrees counter-clockwise as displayed, each pixel
    taking the tap nearest its source under the inverse turn (ties to the even coordinate).
    """
    d = (min(max(direction, -1.0), 1.0) + 1.0) / 2.0
    taps = d + (1.0 - 2.0 * d) / (size - 1) * np.arange(size)
    c = (size - 1) / 2.0
    t = math.radians(angle)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64) - c
    # Source of each pixel under the inverse turn, in pixel indices. Rounded to 1e-9 first so that
    # exact ties (30 degrees: sin = 1/2) are ties here too, whatever the last bit of sin and cos.
    src_x = np.rint(np.round(xs * math.cos(t) - ys * math.sin(t) + c, 9))
    src_y = np.rint(np.round(xs * math.sin(t) + ys * math.cos(t) + c, 9))
    on_line = (src_y == c) & (src_x >= 0) & (src_x <= size - 1)
    kernel = np.where(on_line, taps[np.clip(src_x, 0, size - 1).astype(int)], 0.0)
    return (kernel / kernel.sum()).astype(np.float32)


def apply(s: MotionBlurSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    """Blur ``rgb`` along a line drawn from ``rng``."""
    import cv2

    length = int(draw(s.length, rng))
    angle = draw(s.angle, rng)
    direction = draw(s.direction, rng)
    k = odd_kernel(length)
    rgb = cv2.filter2D(layers.rgb, -1, motion_kernel(k, angle, direction), borderType=cv2.BORDER_REFLECT_101)
    return with_rgb(layers, rgb, {"length": k, "angle": angle, "direction": direction})


KIND = AugmentKind(MotionBlurSettings, apply)
