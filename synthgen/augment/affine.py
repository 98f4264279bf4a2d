"""``affine``: rotation, scale, translation and shear about the image centre, one matrix for the
image and every label (kornia ``RandomAffine`` replayed with parameters drawn from the sample's
generator)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synthgen.augment.base import GEOMETRIC_MOVES, Applied, AugmentKind, Number, draw, number
from synthgen.augment.warp import BORDERS, KORNIA, warp_layers
from synthgen.config.distributions import Distribution, parse_value
from synthgen.types import Layers, SceneSpec


@dataclass
class AffineSchema:
    """Args (each a number or a distribution such as ``uniform(-10, 10)``):
    rotation: degrees, counter-clockwise, about the image centre, -180..180.
    scale: zoom factor, 0.05..20 (1 = unchanged).
    translate_x, translate_y: shift as a fraction of the width / height, -1..1 (+ = right / down).
    shear_x, shear_y: shear angles in degrees, -60..60.
    fill: grey level 0..255 of the pixels that come from outside the image.
    border: constant (``fill``), replicate or reflect: how those pixels are filled; a rotation on
        a coloured background then paints no false ink into the corners.
    """

    rotation: Number = "uniform(-10, 10)"
    scale: Number = "uniform(0.9, 1.1)"
    translate_x: Number = "uniform(-0.05, 0.05)"
    translate_y: Number = "uniform(-0.05, 0.05)"
    shear_x: Number = 0.0
    shear_y: Number = 0.0
    fill: Number = 0.0
    border: str = "constant"


@dataclass(frozen=True)
class AffineSettings:
    rotation: Distribution
    scale: Distribution
    translate_x: Distribution
    translate_y: Distribution
    shear_x: Distribution
    shear_y: Distribution
    fill: Distribution
    border: Distribution


def from_config(p: AffineSchema, key: str) -> AffineSettings:
    """Check ``augment.<step>.params`` of an affine step."""
    return AffineSettings(
        rotation=number(p.rotation, f"{key}.rotation", -180, 180),
        scale=number(p.scale, f"{key}.scale", 0.05, 20),
        translate_x=number(p.translate_x, f"{key}.translate_x", -1, 1),
        translate_y=number(p.translate_y, f"{key}.translate_y", -1, 1),
        shear_x=number(p.shear_x, f"{key}.shear_x", -60, 60),
        shear_y=number(p.shear_y, f"{key}.shear_y", -60, 60),
        fill=number(p.fill, f"{key}.fill", 0, 255),
        border=parse_value(p.border, f"{key}.border", "str", BORDERS),
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


KIND = AugmentKind("affine", AffineSchema, from_config, apply, needs=KORNIA, moves=GEOMETRIC_MOVES)
