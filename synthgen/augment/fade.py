"""``fade``: faded print (thermal receipts, worn toner): dark ink lightens towards the paper,
unevenly across the image."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthgen.augment.base import Applied, AugmentKind, draw
from synthgen.augment.photometric import to_uint8, with_rgb
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, number, param
from synthgen.types import Layers, SceneSpec


class FadeSettings(Params):
    """``augment.<step>.params`` of a fade step (each a number or a distribution)."""

    amount: Distribution = param(
        "uniform(0.2, 0.6)", number(0, 1), "how far the ink moves towards the paper colour on average (1: gone)"
    )
    unevenness: Distribution = param(
        "uniform(0, 0.5)", number(0, 1), "how much that varies across the image (a smooth random field)"
    )


def apply(s: FadeSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    """Lighten what is darker than the paper (the image's brightest tenth, per channel) by ``amount``."""
    import cv2

    amount, unevenness = draw(s.amount, rng), draw(s.unevenness, rng)
    h, w = layers.instance_id.shape
    rgb = layers.rgb.astype(np.float32)
    paper = np.percentile(rgb.reshape(-1, 3), 90, axis=0).astype(np.float32)
    field = rng.uniform(-1, 1, (h, w)).astype(np.float32)
    field = cv2.GaussianBlur(field, (0, 0), max(min(h, w) / 4, 1.0))
    peak = float(np.abs(field).max()) or 1.0
    fade = np.clip(amount * (1 + unevenness * field / peak), 0, 1)[..., None]
    darker = np.minimum(rgb, paper)  # only what is darker than the paper fades
    out = rgb + (paper - darker) * fade
    return with_rgb(layers, to_uint8(out), {"amount": amount, "unevenness": unevenness})


KIND = AugmentKind(FadeSettings, apply)
