"""``perspective``: the image corners move inwards by random amounts, one homography for the image
and every label (kornia ``RandomPerspective`` replayed with corners drawn from the sample's
generator, as its ``basic`` sampling does)."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthgen.augment.base import GEOMETRIC_MOVES, Applied, AugmentKind, draw
from synthgen.augment.warp import BORDERS, KORNIA, warp_layers
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, number, param
from synthgen.types import Layers, SceneSpec

# Direction in which each corner (top-left, top-right, bottom-right, bottom-left) moves inwards.
INWARD = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], np.float64)


class PerspectiveSettings(Params):
    """``augment.<step>.params`` of a perspective step (each a number or a distribution)."""

    distortion: Distribution = param(
        "uniform(0.05, 0.3)", number(0, 1),
        "how far a corner may move inwards, as a fraction of half the image size; each corner moves by an "
        "independent uniform fraction of it along x and y",
    )
    fill: Distribution = param(0.0, number(0, 255), "grey level of the pixels that come from outside the image")
    border: Distribution = param(
        "constant", choice(*BORDERS), "how those pixels are filled: constant (``fill``), replicate or reflect"
    )


def apply(
    s: PerspectiveSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None
) -> Applied:
    """Warp image and labels with one homography drawn from ``rng``."""
    import torch
    from kornia.augmentation import RandomPerspective

    height, width = layers.instance_id.shape
    distortion = draw(s.distortion, rng)
    fill = draw(s.fill, rng)
    # Pixel-centre corners of the image, as kornia's generator makes them.
    x_end, y_end = max(width - 1, 1), max(height - 1, 1)
    start = np.array([[0, 0], [x_end, 0], [x_end, y_end], [0, y_end]], np.float64)
    reach = distortion * np.array([width if width > 1 else 0, height if height > 1 else 0]) / 2.0
    end = start + reach * rng.uniform(0.0, 1.0, size=(4, 2)) * INWARD
    params = {
        "start_points": torch.tensor(start[None], dtype=torch.float32),
        "end_points": torch.tensor(end[None], dtype=torch.float32),
    }
    border = s.border.sample(rng)
    out, dropped = warp_layers(layers, RandomPerspective(distortion_scale=0.5, p=1.0), params, fill, border)
    sampled = {"distortion": distortion, "fill": fill, "corners": [[float(v) for v in c] for c in end]}
    if border != "constant":  # recorded only when set, so runs without it keep their meta
        sampled["border"] = border
    return Applied(out, sampled, dropped)


KIND = AugmentKind(PerspectiveSettings, apply, needs=KORNIA, moves=GEOMETRIC_MOVES)
