"""``shadow``: a soft dark region over the image, a polygon with blurred edges or a linear
gradient across it. Photometric: labels are unchanged."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthgen.augment.base import Applied, AugmentKind, draw
from synthgen.augment.gaussian_blur import gaussian_blur
from synthgen.augment.photometric import to_uint8, with_rgb
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, integer, number, param
from synthgen.types import Layers, SceneSpec

SHAPES = ("polygon", "gradient")


class ShadowSettings(Params):
    """``augment.<step>.params`` of a shadow step (each a value or a distribution)."""

    shape: Distribution = param(
        "choice([polygon, gradient])", choice(*SHAPES),
        "``polygon`` (a random convex polygon, partly off the image, with soft edges) or ``gradient`` "
        "(darkness rising linearly across the image in a random direction)",
    )
    strength: Distribution = param(
        "uniform(0.3, 0.6)", number(0, 1), "darkening at the shadow's core (0.4 keeps 60 % of the light)"
    )
    softness: Distribution = param(
        "uniform(0.01, 0.05)", number(0, 0.25), "edge blur of a polygon, its sigma as a fraction of the shorter side"
    )
    vertices: Distribution = param("randint(3, 6)", integer(3, 12), "points a polygon is the convex hull of")


def polygon_mask(height: int, width: int, vertices: int, rng: np.random.Generator) -> np.ndarray:
    """(H, W) float32 0..1: the convex hull of random points around the image, anti-aliased."""
    import cv2

    span = np.array([width, height], np.float64)
    points = rng.uniform(-0.25, 1.25, size=(vertices, 2)) * span
    hull = cv2.convexHull(np.rint(points * 16).astype(np.int32))  # 4 fractional bits, for cv2's shift
    mask = np.zeros((height, width), np.uint8)
    cv2.fillPoly(mask, [hull], 255, lineType=cv2.LINE_AA, shift=4)
    return mask.astype(np.float32) / 255.0


def gradient_mask(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """(H, W) float32 0..1 rising linearly across the image in a random direction."""
    theta = rng.uniform(0.0, 2.0 * math.pi)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32) + 0.5
    proj = xs * math.cos(theta) + ys * math.sin(theta)
    low, high = float(proj.min()), float(proj.max())
    return ((proj - low) / max(high - low, 1e-6)).astype(np.float32)


def apply(s: ShadowSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    """Darken ``rgb`` under a shadow drawn from ``rng``."""
    height, width = layers.instance_id.shape
    shape = str(s.shape.sample(rng))
    strength = draw(s.strength, rng)
    sampled: dict = {"shape": shape, "strength": strength}
    if shape == "polygon":
        softness = draw(s.softness, rng)
        vertices = int(draw(s.vertices, rng))
        mask = polygon_mask(height, width, vertices, rng)
        sigma = softness * min(height, width)
        if sigma >= 0.1:
            mask = gaussian_blur(mask, sigma)
        sampled.update(softness=softness, vertices=vertices)
    else:
        mask = gradient_mask(height, width, rng)
    light = np.float32(1.0) - np.float32(strength) * mask
    return with_rgb(layers, to_uint8(layers.rgb * light[..., None]), sampled)


KIND = AugmentKind(ShadowSettings, apply)
