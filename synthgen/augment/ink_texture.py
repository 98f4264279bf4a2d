"""``ink_texture``: the ink of a pen or a printer rather than a flat fill, on the text's own pixels.

Every pixel of an instance (``instance_id > 0``) is pulled towards the paper colour (the median
of the pixels of no instance) by a texture in 0..1 times ``strength``:

- ``ballpoint``: streaks along one direction, as a rolling ball lays ink unevenly;
- ``marker``: ink pools at the stroke edges, the middle of a stroke lighter;
- ``print``: a fine grain, as toner or an inkjet's dots.

Only pixels change: the labels stay those of the drawn text.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synthgen.augment.base import Applied, AugmentKind, draw
from synthgen.augment.photometric import to_uint8, with_rgb
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, number, param
from synthgen.types import Layers, SceneSpec

TEXTURES = ("ballpoint", "marker", "print")


class InkTextureSettings(Params):
    """``augment.<step>.params`` of an ink_texture step."""

    texture: Distribution = param(
        "choice([ballpoint, marker, print])", choice(*TEXTURES), "ballpoint, marker or print, or a choice of them"
    )
    strength: Distribution = param(
        "uniform(0.2, 0.5)", number(0, 1), "how far the lightest texture pulls the ink towards the paper"
    )


def texture_field(kind: str, ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(H, W) float32 0..1: how much each pixel of ``ink`` ((H, W) bool) lightens."""
    import cv2

    h, w = ink.shape
    if kind == "marker":
        inside = cv2.distanceTransform(ink.astype(np.uint8), cv2.DIST_L2, 3)
        peak = float(inside.max()) or 1.0
        return (inside / peak).astype(np.float32)
    noise = rng.random((h, w), dtype=np.float32)
    if kind == "print":
        return noise
    # ballpoint: noise smeared along a random direction (a line kernel), then stretched to 0..1
    length = max(3, int(round(min(h, w) * 0.4)) // 2 * 2 + 1)
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    turn = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), float(rng.uniform(0, 180)), 1.0)
    kernel = cv2.warpAffine(kernel, turn, (length, length))
    kernel /= kernel.sum() or 1.0
    streaks = cv2.filter2D(noise, -1, kernel, borderType=cv2.BORDER_REFLECT_101)
    low, high = float(streaks.min()), float(streaks.max())
    return ((streaks - low) / (high - low or 1.0)).astype(np.float32)


def apply(s: InkTextureSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    """Texture the ink of every instance with a texture drawn from ``rng``."""
    texture, strength = s.texture.sample(rng), draw(s.strength, rng)
    ink = layers.instance_id > 0
    sampled = {"texture": texture, "strength": strength}
    if not ink.any() or ink.all():
        return with_rgb(layers, layers.rgb.copy(), sampled)
    rgb = layers.rgb.astype(np.float32)
    paper = np.median(rgb[~ink], axis=0).astype(np.float32)
    pull = (texture_field(texture, ink, rng) * np.float32(strength) * ink)[..., None]
    return with_rgb(layers, to_uint8(rgb + (paper - rgb) * pull), sampled)


KIND = AugmentKind(InkTextureSettings, apply)
