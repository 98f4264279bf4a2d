"""``downsample``: a low-resolution capture (a cheap scanner, a far camera, a thumbnail): the image
shrunk and scaled back up to its size, so the labels keep their place."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthgen.augment.base import Applied, AugmentKind, draw
from synthgen.augment.photometric import with_rgb
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, number, param
from synthgen.types import Layers, SceneSpec

UPSAMPLING = ("linear", "nearest", "cubic")


class DownsampleSettings(Params):
    """``augment.<step>.params`` of a downsample step."""

    factor: Distribution = param(
        "uniform(0.4, 0.8)", number(0.1, 1),
        "the low resolution as a fraction of the image size (a number or a distribution)",
    )
    upsampling: Distribution = param(
        "choice([linear, nearest, cubic])", choice(*UPSAMPLING),
        "how it is scaled back: linear, nearest or cubic (or a choice)",
    )


def apply(s: DownsampleSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    """Shrink ``rgb`` by ``factor`` (area average) and scale it back to its size."""
    import cv2

    factor, upsampling = draw(s.factor, rng), s.upsampling.sample(rng)
    h, w = layers.instance_id.shape
    small = cv2.resize(layers.rgb, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA)
    flag = {"linear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST, "cubic": cv2.INTER_CUBIC}[upsampling]
    return with_rgb(layers, cv2.resize(small, (w, h), interpolation=flag), {"factor": factor, "upsampling": upsampling})


KIND = AugmentKind(DownsampleSettings, apply)
