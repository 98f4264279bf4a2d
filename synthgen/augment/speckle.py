"""``speckle``: toner speckle, the dark dots a laser printer or a photocopier scatters over a page."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthgen.augment.base import Applied, AugmentKind, draw
from synthgen.augment.photometric import to_uint8, with_rgb
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, number, param
from synthgen.types import Layers, SceneSpec


class SpeckleSettings(Params):
    """``augment.<step>.params`` of a speckle step (each a number or a distribution)."""

    density: Distribution = param("uniform(0.002, 0.01)", number(0, 0.2), "share of pixels where a speck starts")
    size: Distribution = param("uniform(0, 1.2)", number(0, 5), "speck radius in pixels (0: single pixels)")
    darkness: Distribution = param("uniform(0, 60)", number(0, 255), "grey level of the toner")
    opacity: Distribution = param("uniform(0.5, 1)", number(0, 1), "how much a speck covers what is under it")


def apply(s: SpeckleSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    """Scatter specks drawn from ``rng`` over ``rgb`` (labels unchanged: specks are not text)."""
    import cv2

    sampled = {k: draw(getattr(s, k), rng) for k in ("density", "size", "darkness", "opacity")}
    h, w = layers.instance_id.shape
    seeds = (rng.random((h, w)) < sampled["density"]).astype(np.float32)
    r = sampled["size"]
    if r > 0:  # soft round specks of that radius
        seeds = cv2.GaussianBlur(seeds, (0, 0), r) * np.float32(2 * np.pi * r * r)
    cover = np.clip(seeds, 0, 1)[..., None] * np.float32(sampled["opacity"])
    out = layers.rgb * (1 - cover) + np.float32(sampled["darkness"]) * cover
    return with_rgb(layers, to_uint8(out), sampled)


KIND = AugmentKind(SpeckleSettings, apply)
