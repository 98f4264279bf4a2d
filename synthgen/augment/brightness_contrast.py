"""``brightness_contrast``: global lighting changes, with ``kornia.enhance``."""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from synthgen.augment.base import Applied, AugmentKind, Number, draw, number
from synthgen.augment.photometric import apply_to_rgb
from synthgen.config.distributions import Distribution
from synthgen.types import Layers


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


def apply(s: BrightnessContrastSettings, layers: Layers, rng: np.random.Generator) -> Applied:
    """Change brightness, then contrast, by amounts drawn from ``rng``."""
    from kornia.enhance import adjust_brightness, adjust_contrast_with_mean_subtraction

    brightness = draw(s.brightness, rng)
    contrast = draw(s.contrast, rng)

    def adjust(img):
        return adjust_contrast_with_mean_subtraction(adjust_brightness(img, brightness), contrast)

    return apply_to_rgb(layers, adjust, {"brightness": brightness, "contrast": contrast})


KIND = AugmentKind("brightness_contrast", BrightnessContrastSchema, from_config, apply)
