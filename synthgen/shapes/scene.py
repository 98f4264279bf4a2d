"""``shapes``: filled polygons, discs, stars and rings in random depth order on a background, free
to overlap, hide each other and leave the image; the scene for amodal boxes, occlusion,
truncation and keypoints.

``synthgen.scene`` registers the kind from ``ShapesSettings``, ``sample``, ``categories``,
``RENDERERS`` and ``LABELS`` (this module does not import the stage, so importing it first cannot
make a cycle).
"""

from __future__ import annotations

import numpy as np

from synthgen.backgrounds import BackgroundSettings, render_background, sample_background
from synthgen.backgrounds.colors import LUMA, luminance
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, integer, nested, number, param, within
from synthgen.errors import ConfigError
from synthgen.scene.base import SceneKind
from synthgen.shapes.geometry import SHAPE_KINDS, ShapeItem, category
from synthgen.shapes.raster import footprint
from synthgen.types import Category, SceneSpec

# what its samples carry (SceneKind.labels): a geometric augment step cannot move amodal boxes
LABELS = frozenset({"masks", "boxes", "keypoints", "amodal"})
RENDERERS = ("shapes2d",)
COLOR_CANDIDATES = 20


class ShapesSettings(Params):
    """``scene.params`` of the ``shapes`` scene (scenes/shapes/shapes.yaml shows each in use)."""

    width: int = param(512, within(16, 8192), "image width in pixels")
    height: int = param(512, within(16, 8192), "image height in pixels")
    shapes: Distribution = param("randint(4, 10)", integer(0, 1000), "shapes per image")
    kinds: Distribution = param(
        "choice([triangle, square, pentagon, hexagon, disc, star, ring])", choice(*SHAPE_KINDS), "each shape's kind"
    )
    radius: Distribution = param(
        "uniform(16, 80)", number(2, 4096), "circumradius (polygons) or outer radius (stars, discs, rings), pixels"
    )
    rotation: Distribution = param("uniform(0, 360)", number(-360, 360), "degrees, counter-clockwise")
    star_inner: Distribution = param("uniform(0.4, 0.6)", number(0.1, 0.9), "inner / outer radius of a star")
    ring_inner: Distribution = param("uniform(0.4, 0.75)", number(0.1, 0.9), "hole / outer radius of a ring")
    keep_inside: bool = param(False, None, "keep every shape whole inside the image (no truncation)")
    min_contrast: float = param(0.25, within(0, 1), "luminance difference between a shape and what it lies on")
    background: BackgroundSettings = nested(BackgroundSettings, "the background sampler")

    def check(self, key: str) -> None:
        support = self.radius.support()
        if self.keep_inside and support is not None and 2 * support[0] > min(self.width, self.height):
            raise ConfigError(
                f"{key}.radius", f"keep_inside needs shapes that fit the image, but {self.radius} is always too large"
            )


def categories(s: ShapesSettings) -> tuple[Category, ...]:
    """One category per kind ``kinds`` can give, in ``SHAPE_KINDS`` order (ids 1, 2, ...), each
    with its keypoint names and skeleton."""
    possible = s.kinds.options if hasattr(s.kinds, "options") else (s.kinds.value,)  # type: ignore[attr-defined]
    kinds = [k for k in SHAPE_KINDS if k in possible]
    return tuple(category(kind, i + 1) for i, kind in enumerate(kinds))


def sample(s: ShapesSettings, rng: np.random.Generator) -> SceneSpec:
    """Sample the background and the shapes of one image, back to front."""
    background = sample_background(s.background, s.width, s.height, rng)
    pixels = render_background(background, s.width, s.height)
    n_shapes = int(s.shapes.sample(rng))
    items: list[ShapeItem] = []
    dropped = {"too_large": 0}
    for _ in range(n_shapes):
        kind = str(s.kinds.sample(rng))
        radius = float(s.radius.sample(rng))
        rotation = float(s.rotation.sample(rng))
        inner = 0.0
        if kind == "star":
            inner = float(s.star_inner.sample(rng))
        elif kind == "ring":
            inner = float(s.ring_inner.sample(rng))
        if s.keep_inside:
            if 2 * radius > min(s.width, s.height):
                dropped["too_large"] += 1
                continue
            center = (float(rng.uniform(radius, s.width - radius)), float(rng.uniform(radius, s.height - radius)))
        else:
            center = (float(rng.uniform(0, s.width)), float(rng.uniform(0, s.height)))
        item = ShapeItem(len(items) + 1, kind, center, radius, rotation, inner, (0, 0, 0))
        below = [_mean_luminance(pixels, item)] + [
            luminance(o.color)
            for o in items
            if np.hypot(o.center[0] - center[0], o.center[1] - center[1]) < o.radius + radius
        ]
        items.append(
            ShapeItem(item.instance_id, kind, center, radius, rotation, inner, _color(rng, below, s.min_contrast))
        )
    return SceneSpec(
        kind="shapes",
        width=s.width,
        height=s.height,
        background=background,
        items=tuple(items),
        categories=tuple(c.name for c in categories(s)),
        params={"shapes_sampled": n_shapes, "background": background["kind"]},
        dropped={k: v for k, v in dropped.items() if v},
    )


def _mean_luminance(pixels: np.ndarray, item: ShapeItem) -> float:
    """Luminance of the background's mean colour under the part of the shape's window in the image."""
    x0, y0, w, h = footprint(item)
    height, width = pixels.shape[:2]
    region = pixels[max(y0, 0) : min(y0 + h, height), max(x0, 0) : min(x0 + w, width)]
    if not region.size:
        return 0.5
    return luminance(region.reshape(-1, 3).mean(axis=0))


def _color(rng: np.random.Generator, below: list[float], min_contrast: float) -> tuple[int, int, int]:
    """The first of a few random colours whose luminance differs from each of ``below`` by
    ``min_contrast``; the one that differs most where none does."""
    candidates = rng.integers(0, 256, size=(COLOR_CANDIDATES, 3))
    lum = candidates @ np.asarray(LUMA) / 255.0
    margin = np.abs(lum[:, None] - np.asarray(below)[None, :]).min(axis=1)
    ok = np.flatnonzero(margin >= min_contrast)
    best = int(ok[0]) if len(ok) else int(np.argmax(margin))
    return tuple(int(c) for c in candidates[best])  # type: ignore[return-value]


__all__ = ["LABELS", "RENDERERS", "ShapesSettings", "categories", "sample"]


SCENE = SceneKind(sample, categories, RENDERERS, LABELS, params=ShapesSettings)
