"""``fade``: faded print (thermal receipts, worn toner): dark ink lightens towards the paper,
unevenly across the image."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synthgen.augment.base import Applied, AugmentKind, Number, draw, number
from synthgen.augment.photometric import to_uint8, with_rgb
from synthgen.config.distributions import Distribution
from synthgen.types import Layers, SceneSpec


@dataclass
class FadeSchema:
    """Args (each a number or a distribution):
    amount: how far the ink moves towards the paper colour on average, 0..1 (1: gone).
    unevenness: how much that varies across the image, 0..1 (a smooth random field).
    """

    amount: Number = "uniform(0.2, 0.6)"
    unevenness: Number = "uniform(0, 0.5)"


@dataclass(frozen=True)
class FadeSettings:
    amount: Distribution
    unevenness: Distribution


def from_config(p: FadeSchema, key: str) -> FadeSettings:
    """Check ``augment.<step>.params`` of a fade step."""
    return FadeSettings(
        amount=number(p.amount, f"{key}.amount", 0, 1), unevenness=number(p.unevenness, f"{key}.unevenness", 0, 1)
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


KIND = AugmentKind("fade", FadeSchema, from_config, apply)
