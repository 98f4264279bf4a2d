"""Augmentations: photometric and geometric changes to rendered Layers, labels kept exact.

The registry is filled by the explicit import list below. Photometric kinds run on OpenCV and
numpy; the geometric kinds (affine, perspective) import torch and kornia when they run (elastic runs on
OpenCV), so
``import synthgen``, a run with no ``augment:`` section and a run with photometric steps only
stay light.
"""

from __future__ import annotations

from synthgen.augment import (
    affine,
    binarize,
    brightness_contrast,
    downsample,
    elastic,
    fade,
    gaussian_blur,
    ink_texture,
    jpeg,
    motion_blur,
    noise,
    perspective,
    precipitation,
    shadow,
    speckle,
)
from synthgen.augment.base import AugmentKind, AugmentStep
from synthgen.augment.stage import AugmentResult, augment
from synthgen.registry import Registry

AUGMENTATIONS: Registry[AugmentKind] = Registry("augment")

AUGMENTATIONS.register("gaussian_blur", gaussian_blur.KIND)
AUGMENTATIONS.register("motion_blur", motion_blur.KIND)
AUGMENTATIONS.register("noise", noise.KIND)
AUGMENTATIONS.register("jpeg", jpeg.KIND)
AUGMENTATIONS.register("brightness_contrast", brightness_contrast.KIND)
AUGMENTATIONS.register("shadow", shadow.KIND)
AUGMENTATIONS.register("speckle", speckle.KIND)
AUGMENTATIONS.register("fade", fade.KIND)
AUGMENTATIONS.register("binarize", binarize.KIND)
AUGMENTATIONS.register("downsample", downsample.KIND)
AUGMENTATIONS.register("ink_texture", ink_texture.KIND)
AUGMENTATIONS.register("affine", affine.KIND)
AUGMENTATIONS.register("perspective", perspective.KIND)
AUGMENTATIONS.register("rain", precipitation.RAIN)
AUGMENTATIONS.register("snow", precipitation.SNOW)
AUGMENTATIONS.register("elastic", elastic.KIND)

__all__ = ["AUGMENTATIONS", "AugmentKind", "AugmentResult", "AugmentStep", "augment"]
