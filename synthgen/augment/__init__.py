"""Augmentations: photometric and geometric changes to rendered Layers, labels kept exact.

``AUGMENTATIONS`` lists each kind once, ``name -> module`` (its ``KIND``, or ``module:ATTRIBUTE``);
a kind's module is imported when the kind is first used. Photometric kinds run on OpenCV and
numpy; the geometric kinds (affine, perspective) import torch and kornia when they run (elastic runs
on OpenCV), so ``import synthgen``, a run with no ``augment:`` section and a run with photometric
steps only stay light.
"""

from __future__ import annotations

from synthgen.augment.base import AugmentKind, AugmentStep
from synthgen.augment.stage import AugmentResult, augment
from synthgen.registry import Registry

AUGMENTATIONS: Registry[AugmentKind] = Registry(
    "augment",
    {
        "gaussian_blur": "synthgen.augment.gaussian_blur",
        "motion_blur": "synthgen.augment.motion_blur",
        "noise": "synthgen.augment.noise",
        "jpeg": "synthgen.augment.jpeg",
        "brightness_contrast": "synthgen.augment.brightness_contrast",
        "shadow": "synthgen.augment.shadow",
        "speckle": "synthgen.augment.speckle",
        "fade": "synthgen.augment.fade",
        "binarize": "synthgen.augment.binarize",
        "downsample": "synthgen.augment.downsample",
        "ink_texture": "synthgen.augment.ink_texture",
        "affine": "synthgen.augment.affine",
        "perspective": "synthgen.augment.perspective",
        "rain": "synthgen.augment.precipitation:RAIN",
        "snow": "synthgen.augment.precipitation:SNOW",
        "elastic": "synthgen.augment.elastic",
    },
)

__all__ = ["AUGMENTATIONS", "AugmentKind", "AugmentResult", "AugmentStep", "augment"]
