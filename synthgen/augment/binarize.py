"""``binarize``: a fax, a photocopy or a scanner's black-and-white mode: every pixel black or white."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synthgen.augment.base import Applied, AugmentKind, Number, draw, number
from synthgen.augment.photometric import with_rgb
from synthgen.config.distributions import Distribution, parse_value
from synthgen.types import Layers, SceneSpec

METHODS = ("otsu", "adaptive")


@dataclass
class BinarizeSchema:
    """Args:
    method: ``otsu`` (one threshold for the image) or ``adaptive`` (a local mean), or a choice.
    block: adaptive only: the neighbourhood, in fractions of the image height, 0.05..4.
    """

    method: str = "otsu"
    block: Number = "uniform(0.5, 1.5)"


@dataclass(frozen=True)
class BinarizeSettings:
    method: Distribution
    block: Distribution


def from_config(p: BinarizeSchema, key: str) -> BinarizeSettings:
    """Check ``augment.<step>.params`` of a binarize step."""
    return BinarizeSettings(
        method=parse_value(p.method, f"{key}.method", "str", METHODS), block=number(p.block, f"{key}.block", 0.05, 4)
    )


def apply(s: BinarizeSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    """Threshold the grey image; labels are unchanged (text that vanished is still where it was)."""
    import cv2

    method, block = s.method.sample(rng), draw(s.block, rng)
    grey = cv2.cvtColor(layers.rgb, cv2.COLOR_RGB2GRAY)
    if method == "otsu":
        _, bw = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    else:
        size = max(3, int(block * grey.shape[0]) // 2 * 2 + 1)
        bw = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, size, 5)
    return with_rgb(layers, np.repeat(bw[..., None], 3, axis=2), {"method": method, "block": block})


KIND = AugmentKind("binarize", BinarizeSchema, from_config, apply)
