"""``brightness_contrast``: global lighting changes, as ``kornia.enhance.adjust_brightness`` then
``adjust_contrast_with_mean_subtraction`` compute them, through one 256-entry lookup table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synthgen.augment.base import Applied, AugmentKind, Number, draw, number
from synthgen.augment.photometric import with_rgb
from synthgen.config.distributions import Distribution
from synthgen.types import Layers, SceneSpec


@dataclass
class BrightnessContrastSchema:
    """Args (each a number or a distribution):
    brightness: offset added to every channel, as a fraction of full scale, -1..1 (0 = unchanged).
    contrast: factor applied about the mean grey level, 0..5 (1 = unchanged, 0 = flat grey).
    """

    brightness: Number = "uniform(-0.15, 0.15)"
    contrast: Number = "uniform(0.7, 1.3)"


@dataclass(frozen=True)
class BrightnessContrastSettings:
    brightness: Distribution
    contrast: Distribution


def from_config(p: BrightnessContrastSchema, key: str) -> BrightnessContrastSettings:
    """Check ``augment.<step>.params`` of a brightness_contrast step."""
    return BrightnessContrastSettings(
        brightness=number(p.brightness, f"{key}.brightness", -1, 1),
        contrast=number(p.contrast, f"{key}.contrast", 0, 5),
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


KIND = AugmentKind("brightness_contrast", BrightnessContrastSchema, from_config, apply)
