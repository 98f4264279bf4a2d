"""``elastic``: a smooth random displacement field (Simard et al. 2003) and independent x and y
scale, applied to the image and every label with OpenCV's ``remap``.

The field says where each output pixel comes from: output (x, y) takes the input at
``(x, y) + d(x, y)``, with ``d`` = Gaussian-smoothed uniform noise scaled to ``amplitude``, plus
the inverse of the x / y scale about the image centre. ``rgb`` is resampled bilinearly,
``instance_id``, ``semantic_id`` and ``depth`` with nearest neighbour (each output pixel holds one
input pixel's exact label; outside the image they are 0 / inf). Labels follow the pixels:

- a point p moves to the q with ``q + d(q) = p`` (fixed-point iteration; the field is smooth and
  its slope well under 1, so it converges to a thousandth of a pixel in a few steps);
- each label extension (``synthgen.extensions``) gives its points with its outlines' edges cut
  into ``QUAD_EDGE_POINTS`` pieces and is rebuilt from the moved ones: a quad (word or character)
  becomes the smallest rotated rectangle around its moved outline (the field bends straight
  edges, and the rectangle around the bent outline still holds every pixel the quad held); a
  polygon keeps its cut edges, every point moved; keypoints are moved.

Clipping to the image and dropping what left it are ``warp``'s (``fit_geometry``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from synthgen.augment.base import GEOMETRIC_MOVES, Applied, AugmentKind, draw
from synthgen.augment.warp import BORDERS, MAX_EXACT_ID, fit_geometry
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, number, param
from synthgen.extensions import extensions_of, label_points, with_label_points
from synthgen.types import InstanceGeometry, Layers, SceneSpec

QUAD_EDGE_POINTS = 8  # pieces each quad edge is cut into before it is moved (a polygon's: half as many)
FIXED_POINT_STEPS = 30  # at most; it stops when no point moves by 1/1000 px


class ElasticSettings(Params):
    """``augment.<step>.params`` of an elastic step (each a number or a distribution)."""

    amplitude: Distribution = param(
        "uniform(0.02, 0.05)", number(0, 0.25), "largest displacement, in fractions of the image's shorter side"
    )
    smoothness: Distribution = param(
        "uniform(0.15, 0.3)", number(0.01, 2),
        "Gaussian sigma of the field, in fractions of the shorter side (larger: broader, gentler bends)",
    )
    scale_x: Distribution = param(1.0, number(0.5, 2), "horizontal scale about the image centre")
    scale_y: Distribution = param(1.0, number(0.5, 2), "vertical scale about the image centre")
    fill: Distribution = param(0.0, number(0, 255), "grey level of the pixels from outside the image (border constant)")
    border: Distribution = param("replicate", choice(*BORDERS), "constant, replicate or reflect")


def displacement(
    height: int, width: int, amplitude: float, sigma: float, scale: tuple[float, float], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(dx, dy), each (H, W) float32 pixels: where each output pixel's input lies, relative to it."""
    import cv2

    dx = np.zeros((height, width), np.float32)
    dy = np.zeros((height, width), np.float32)
    if amplitude > 0:
        for d in (dx, dy):
            noise = rng.uniform(-1.0, 1.0, (height, width)).astype(np.float32)
            smooth = cv2.GaussianBlur(noise, (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101)
            peak = float(np.abs(smooth).max())
            if peak > 0:
                d += smooth * np.float32(amplitude / peak)
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    xs = np.arange(width, dtype=np.float32) - cx
    ys = np.arange(height, dtype=np.float32) - cy
    dx += (xs * np.float32(1.0 / scale[0] - 1.0))[None, :]
    dy += (ys * np.float32(1.0 / scale[1] - 1.0))[:, None]
    return dx, dy


def _bilinear(field: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``field`` (H, W) at pixel-centre points (x, y), clamped to the image."""
    h, w = field.shape
    x = np.clip(x, 0, w - 1)
    y = np.clip(y, 0, h - 1)
    x0 = np.minimum(np.floor(x).astype(np.int64), max(w - 2, 0))
    y0 = np.minimum(np.floor(y).astype(np.int64), max(h - 2, 0))
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    fx, fy = x - x0, y - y0
    top = field[y0, x0] * (1 - fx) + field[y0, x1] * fx
    bottom = field[y1, x0] * (1 - fx) + field[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


def move_points(points: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """(..., 2) corner-convention points moved with the pixels (solves q + d(q) = p)."""
    p = np.asarray(points, np.float64).reshape(-1, 2) - 0.5
    q = p.copy()
    for _ in range(FIXED_POINT_STEPS):
        step = p - np.stack([_bilinear(dx, q[:, 0], q[:, 1]), _bilinear(dy, q[:, 0], q[:, 1])], axis=1)
        done = not len(q) or float(np.abs(step - q).max()) < 1e-3
        q = step
        if done:
            break
    return (q + 0.5).reshape(np.shape(points))


def warp_geometry(
    geometry: dict[int, InstanceGeometry], dx: np.ndarray, dy: np.ndarray, instance_id: np.ndarray
) -> tuple[dict[int, InstanceGeometry], dict[str, int]]:
    """Every label of ``geometry`` moved with the field (outlines bent, ``QUAD_EDGE_POINTS``), then
    made to fit the image and dropped as ``warp`` does (``fit_geometry``)."""
    labels = {k: extensions_of(geometry[k]) for k in sorted(geometry)}
    points = label_points(labels, QUAD_EDGE_POINTS)
    moved = move_points(points, dx, dy) if len(points) else np.zeros((0, 2))
    height, width = instance_id.shape
    return fit_geometry(geometry, with_label_points(labels, moved, QUAD_EDGE_POINTS), instance_id, width, height)


def apply(s: ElasticSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    """Warp image and labels with one displacement field drawn from ``rng``."""
    import cv2

    height, width = layers.instance_id.shape
    if layers.instance_id.size and int(layers.instance_id.max()) >= MAX_EXACT_ID:
        raise ValueError(f"instance ids must be < {MAX_EXACT_ID} to be warped exactly")
    side = min(height, width)
    sampled = {
        "amplitude": draw(s.amplitude, rng),
        "smoothness": draw(s.smoothness, rng),
        "scale_x": draw(s.scale_x, rng),
        "scale_y": draw(s.scale_y, rng),
        "fill": draw(s.fill, rng),
        "border": s.border.sample(rng),
    }
    dx, dy = displacement(
        height,
        width,
        sampled["amplitude"] * side,
        max(sampled["smoothness"] * side, 0.5),
        (sampled["scale_x"], sampled["scale_y"]),
        rng,
    )
    map_x = np.arange(width, dtype=np.float32)[None, :] + dx
    map_y = np.arange(height, dtype=np.float32)[:, None] + dy
    mode = {"constant": cv2.BORDER_CONSTANT, "replicate": cv2.BORDER_REPLICATE, "reflect": cv2.BORDER_REFLECT_101}
    fill = float(sampled["fill"])
    rgb = cv2.remap(
        layers.rgb, map_x, map_y, cv2.INTER_LINEAR, borderMode=mode[sampled["border"]], borderValue=(fill, fill, fill)
    )

    def nearest(plane: np.ndarray, empty: float) -> np.ndarray:
        return cv2.remap(plane, map_x, map_y, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=empty)

    # ids are exact in float32 below MAX_EXACT_ID; remap has no int32 path
    instance_id = nearest(layers.instance_id.astype(np.float32), 0).astype(np.int32)
    semantic_id = None
    if layers.semantic_id is not None:
        semantic_id = nearest(layers.semantic_id.astype(np.float32), 0).astype(np.int32)
    depth = None
    if layers.depth is not None:
        depth = nearest(layers.depth.astype(np.float32), float("inf"))
    geometry, dropped = warp_geometry(layers.geometry, dx, dy, instance_id)
    out = replace(layers, rgb=rgb, instance_id=instance_id, semantic_id=semantic_id, depth=depth, geometry=geometry)
    return Applied(out, sampled, dropped)


KIND = AugmentKind(ElasticSettings, apply, moves=GEOMETRIC_MOVES)
