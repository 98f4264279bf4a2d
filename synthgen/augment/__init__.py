"""Augmentations: photometric and geometric changes to rendered Layers, labels kept exact.

The registry is filled by the explicit list in ``_register``; a kind's module is imported when
the kind is first used. Photometric kinds run on OpenCV and numpy; the geometric kinds (affine,
perspective) import torch and kornia when they run (elastic runs on OpenCV), so ``import
synthgen``, a run with no ``augment:`` section and a run with photometric steps only stay light.
"""

from __future__ import annotations

from synthgen.augment.base import AugmentKind, AugmentStep
from synthgen.augment.stage import AugmentResult, augment
from synthgen.registry import Registry


def _register(augmentations: Registry[AugmentKind]) -> None:
    """The augment kinds; each module is imported when its kind is first used."""
    for name, module, attr in (
        ("gaussian_blur", "gaussian_blur", "KIND"),
        ("motion_blur", "motion_blur", "KIND"),
        ("noise", "noise", "KIND"),
        ("jpeg", "jpeg", "KIND"),
        ("brightness_contrast", "brightness_contrast", "KIND"),
        ("shadow", "shadow", "KIND"),
        ("speckle", "speckle", "KIND"),
        ("fade", "fade", "KIND"),
        ("binarize", "binarize", "KIND"),
        ("downsample", "downsample", "KIND"),
        ("ink_texture", "ink_texture", "KIND"),
        ("affine", "affine", "KIND"),
        ("perspective", "perspective", "KIND"),
        ("rain", "precipitation", "RAIN"),
        ("snow", "precipitation", "SNOW"),
        ("elastic", "elastic", "KIND"),
    ):
        augmentations.register_module_attr(name, f"synthgen.augment.{module}", attr)


AUGMENTATIONS: Registry[AugmentKind] = Registry("augment", _register)

__all__ = ["AUGMENTATIONS", "AugmentKind", "AugmentResult", "AugmentStep", "augment"]
