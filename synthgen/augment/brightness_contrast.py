"""``brightness_contrast``: global lighting changes, as ``kornia.enhance.adjust_brightness`` then
``adjust_contrast_with_mean_subtraction`` compute them, through one 256-entry lookup table."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthgen.augment.base import Applied, AugmentKind, draw
from synthgen.augment.photometric import with_rgb
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, number, param
from synthgen.types import Layers, SceneSpec


class BrightnessContrastSettings(Params):
    """``augment.<step>.params`` of a brightness_contrast step (each a number or a distribution)."""

    brightness: Distribution = param(
        "uniform(-0.15, 0.15)", number(-1, 1),
        "offset added to every channel, as a fraction of full scale (0 = unchanged)",
    )
    contrast: Distribution = param(
        "uniform(0.7, 1.3)", number(0, 5), "factor applied about the mean grey level (1 = unchanged, 0 = flat grey)"
    )


def adjust(rgb: np.ndarray, brightness: float, contrast: float) -> np.ndarray:
    """(H, W, 3) uint8 with ``brightness`` added (full scale 1, clipped), then contrast scaled by
    ``contrast`` about the mean grey level (ITU-R 601 weights) and clipped."""
    import cv2

    bright = np.clip(np.arange(256, dtype=np.float64) / 255.0 + brightness, 0.0, 1.0)
    # Each channel's mean after the brightness step, from its histogram: exact, and cheap on big images.
    counts = [np.bincount(rgb[..., c].ravel(), minlength=256) for c in range(3)]
    means = [float(counts[c] @ bright) / max(rgb.shape[0] * rgb.shape[1], 1) for c in range(3)]
    grey = 0.299 * means[0] + 0.587 * means[1] + 0.114 * means[2]
    table = np.clip(bright * contrast + grey * (1.0 - contrast), 0.0, 1.0) * 255.0
    return cv2.LUT(rgb, np.rint(table).astype(np.uint8))


def apply(s: BrightnessContrastSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    """Change brightness, then contrast, by amounts drawn from ``rng``."""
    brightness = draw(s.brightness, rng)
    contrast = draw(s.contrast, rng)
    rgb = adjust(layers.rgb, brightness, contrast)
    return with_rgb(layers, rgb, {"brightness": brightness, "contrast": contrast})


KIND = AugmentKind(BrightnessContrastSettings, apply)
