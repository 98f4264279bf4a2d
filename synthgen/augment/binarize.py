"""``binarize``: a fax, a photocopy or a scanner's black-and-white mode: every pixel black or white."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthgen.augment.base import Applied, AugmentKind, draw
from synthgen.augment.photometric import with_rgb
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, number, param
from synthgen.types import Layers, SceneSpec

METHODS = ("otsu", "adaptive")


class BinarizeSettings(Params):
    """``augment.<step>.params`` of a binarize step."""

    method: Distribution = param(
        "otsu", choice(*METHODS), "``otsu`` (one threshold for the image) or ``adaptive`` (a local mean), or a choice"
    )
    block: Distribution = param(
        "uniform(0.5, 1.5)", number(0.05, 4), "adaptive only: the neighbourhood, in fractions of the image height"
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


KIND = AugmentKind(BinarizeSettings, apply)
