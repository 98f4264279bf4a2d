"""``affine``: rotation, scale, translation and shear about the image centre, one matrix for the
image and every label (kornia ``RandomAffine`` replayed with parameters drawn from the sample's
generator)."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthgen.augment.base import GEOMETRIC_MOVES, Applied, AugmentKind, draw
from synthgen.augment.warp import BORDERS, KORNIA, warp_layers
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, number, param
from synthgen.types import Layers, SceneSpec


class AffineSettings(Params):
    """``augment.<step>.params`` of an affine step (each a number or a distribution such as ``uniform(-10, 10)``)."""

    rotation: Distribution = param(
        "uniform(-10, 10)", number(-180, 180), "degrees, counter-clockwise, about the image centre"
    )
    scale: Distribution = param("uniform(0.9, 1.1)", number(0.05, 20), "zoom factor (1 = unchanged)")
    translate_x: Distribution = param(
        "uniform(-0.05, 0.05)", number(-1, 1), "shift as a fraction of the width (+ = right)"
    )
    translate_y: Distribution = param(
        "uniform(-0.05, 0.05)", number(-1, 1), "shift as a fraction of the height (+ = down)"
    )
    shear_x: Distribution = param(0.0, number(-60, 60), "shear angle in degrees")
    shear_y: Distribution = param(0.0, number(-60, 60), "shear angle in degrees")
    fill: Distribution = param(0.0, number(0, 255), "grey level of the pixels that come from outside the image")
    border: Distribution = param(
        "constant", choice(*BORDERS), "how those pixels are filled: constant (``fill``), replicate or reflect "
        "(a rotation on a coloured background then paints no false ink into the corners)"
    )


def apply(s: AffineSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    """Warp image and labels with one affine transform drawn from ``rng``."""
    import torch
    from kornia.augmentation import RandomAffine

    height, width = layers.instance_id.shape
    sampled = {
        "rotation": draw(s.rotation, rng),
        "scale": draw(s.scale, rng),
        "translate_x": draw(s.translate_x, rng),
        "translate_y": draw(s.translate_y, rng),
        "shear_x": draw(s.shear_x, rng),
        "shear_y": draw(s.shear_y, rng),
        "fill": draw(s.fill, rng),
    }
    params = {
        "translations": torch.tensor([[sampled["translate_x"] * width, sampled["translate_y"] * height]]),
        "center": torch.tensor([[(width - 1) / 2.0, (height - 1) / 2.0]]),  # pixel-centre convention
        "scale": torch.tensor([[sampled["scale"], sampled["scale"]]]),
        # kornia's positive angle turns the picture clockwise; ours (as TextItem.angle) counter-clockwise
        "angle": torch.tensor([-sampled["rotation"]]),
        "shear_x": torch.tensor([sampled["shear_x"]]),
        "shear_y": torch.tensor([sampled["shear_y"]]),
    }
    params = {k: v.to(torch.float32) for k, v in params.items()}
    border = s.border.sample(rng)
    if border != "constant":  # recorded only when set, so runs without it keep their meta
        sampled["border"] = border
    out, dropped = warp_layers(layers, RandomAffine(degrees=0.0, p=1.0), params, sampled["fill"], border)
    return Applied(out, sampled, dropped)


KIND = AugmentKind(AffineSettings, apply, needs=KORNIA, moves=GEOMETRIC_MOVES)
