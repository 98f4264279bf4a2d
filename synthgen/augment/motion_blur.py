"""``motion_blur``: camera or object motion along a line, with ``kornia.filters.motion_blur``."""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from synthgen.augment.base import Applied, AugmentKind, Integer, Number, draw, number
from synthgen.augment.photometric import apply_to_rgb, odd_kernel
from synthgen.config.distributions import Distribution
from synthgen.types import Layers


@dataclass
class MotionBlurSchema:
    """Args (each a number or a distribution):
    length: streak length in pixels, 3..101; an even length is rounded up to the next odd one.
    angle: direction of motion in degrees, counter-clockwise from the x axis, -360..360.
    direction: -1..1, where the streak is heaviest: -1 backwards, 0 even, 1 forwards.
    """

    length: Integer = "randint(3, 9)"
    angle: Number = "uniform(0, 360)"
    direction: Number = 0.0


@dataclass(frozen=True)
class MotionBlurSettings:
    length: Distribution
    angle: Distribution
    direction: Distribution


def from_config(p: MotionBlurSchema, key: str) -> MotionBlurSettings:
    """Check ``augment.<step>.params`` of a motion_blur step."""
    return MotionBlurSettings(
        length=number(p.length, f"{key}.length", 3, 101, kind="int"),
        angle=number(p.angle, f"{key}.angle", -360, 360),
        direction=number(p.direction, f"{key}.direction", -1, 1),
    )


def apply(s: MotionBlurSettings, layers: Layers, rng: np.random.Generator) -> Applied:
    """Blur ``rgb`` along a line drawn from ``rng``."""
    from kornia.filters import motion_blur

    length = int(draw(s.length, rng))
    angle = draw(s.angle, rng)
    direction = draw(s.direction, rng)
    height, width = layers.instance_id.shape
    k = odd_kernel(length, height, width)
    if k < 3:  # an image too small for any streak
        return apply_to_rgb(layers, lambda img: img, {"length": 1, "angle": angle, "direction": direction})
    sampled = {"length": k, "angle": angle, "direction": direction}
    return apply_to_rgb(layers, lambda img: motion_blur(img, k, angle, direction), sampled)


KIND = AugmentKind("motion_blur", MotionBlurSchema, from_config, apply)
