"""``elastic``: a smooth random displacement field (Simard et al. 2003) and independent x and y
scale, applied to the image and every label with OpenCV's ``remap``.

The field says where each output pixel comes from: output (x, y) takes the input at
``(x, y) + d(x, y)``, with ``d`` = Gaussian-smoothed uniform noise scaled to ``amplitude``, plus
the inverse of the x / y scale about the image centre. ``rgb`` is resampled bilinearly,
``instance_id``, ``semantic_id`` and ``depth`` with nearest neighbour (each output pixel holds one
input pixel's exact label; outside the image they are 0 / inf). Labels follow the pixels:

- a point p moves to the q with ``q + d(q) = p`` (fixed-point iteration; the field is smooth and
  its slope well under 1, so it converges to a thousandth of a pixel in a few steps);
- a quad (word or character) becomes the smallest rotated rectangle around its moved outline
  (each edge cut into ``QUAD_EDGE_POINTS`` pieces): the field bends straight edges, and the
  rectangle around the bent outline still holds every pixel the quad held;
- a polygon gets its edges cut the same way and every point moved; keypoints are moved.

Clipping to the image and dropping what left it are ``warp``'s (``_fit_geometry``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from synthgen.augment.base import GEOMETRIC_MOVES, Applied, AugmentKind, draw
from synthgen.augment.warp import BORDERS, MAX_EXACT_ID, _fit_geometry, _quad_points
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, number, param
from synthgen.types import InstanceGeometry, Layers, SceneSpec

QUAD_EDGE_POINTS = 8  # pieces each quad edge is cut into before it is moved
POLYGON_EDGE_POINTS = 4  # pieces each polygon edge is cut into
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


def _densify(points: np.ndarray, pieces: int, closed: bool = True) -> np.ndarray:
    """(N, 2) points with each edge cut into ``pieces``: (N * pieces, 2), the originals first of each edge."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    nxt = np.roll(pts, -1, axis=0) if closed else pts[1:]
    start = pts if closed else pts[:-1]
    t = (np.arange(pieces) / pieces)[None, :, None]
    out = (start[:, None] + (nxt - start)[:, None] * t).reshape(-1, 2)
    return out if closed else np.vstack([out, pts[-1:]])


def _rectangle_around(outline: np.ndarray) -> np.ndarray:
    """(4, 2) smallest rotated rectangle around ``outline`` (N, 2), clockwise, starting at the
    corner nearest ``outline[0]``."""
    import cv2

    rect = cv2.minAreaRect(outline.astype(np.float32))
    corners = cv2.boxPoints(rect).astype(np.float64)
    centre = corners.mean(axis=0)
    corners = corners[np.argsort(np.arctan2(corners[:, 1] - centre[1], corners[:, 0] - centre[0]))]
    start = int(np.argmin(np.linalg.norm(corners - outline[0], axis=1)))
    return np.roll(corners, -start, axis=0)


def warp_geometry(
    geometry: dict[int, InstanceGeometry], dx: np.ndarray, dy: np.ndarray, instance_id: np.ndarray
) -> tuple[dict[int, InstanceGeometry], dict[str, int]]:
    """Every label of ``geometry`` moved with the field, then clipped and dropped as ``warp`` does."""
    dense = {
        k: replace(g, text=replace(g.text, polygon=_densify(g.text.polygon, POLYGON_EDGE_POINTS).astype(np.float32)))
        if g.text is not None and g.text.polygon is not None
        else g
        for k, g in geometry.items()
    }
    ids, points = _quad_points(dense)
    # one (K', 2) batch of what moves: each quad's cut outline, then the other points as they are
    n_quads: list[int] = []  # per instance, the quads it has (word quad, then char quads)
    for k in ids:
        text = dense[k].text
        chars = 0 if text is None or text.char_quads is None else len(text.char_quads)
        n_quads.append(0 if text is None else int(text.quad is not None) + chars)
    pieces = 4 * QUAD_EDGE_POINTS
    batch, at = [], 0
    for k, nq in zip(ids, n_quads):
        geo, text = dense[k], dense[k].text
        quads = points[at : at + 4 * nq].reshape(-1, 4, 2)
        batch.extend(_densify(q, QUAD_EDGE_POINTS) for q in quads)
        at += 4 * nq
        rest = (len(text.polygon) if text is not None and text.polygon is not None else 0) + (
            len(geo.keypoints) if geo.keypoints is not None else 0
        )
        batch.append(points[at : at + rest].astype(np.float64))
        at += rest
    flat = move_points(np.concatenate(batch), dx, dy) if batch else np.zeros((0, 2))
    moved = np.empty((len(points), 2), np.float64)
    at = src = 0
    for k, nq in zip(ids, n_quads):
        for _ in range(nq):
            moved[at : at + 4] = _rectangle_around(flat[src : src + pieces])
            at += 4
            src += pieces
        geo, text = dense[k], dense[k].text
        rest = (len(text.polygon) if text is not None and text.polygon is not None else 0) + (
            len(geo.keypoints) if geo.keypoints is not None else 0
        )
        moved[at : at + rest] = flat[src : src + rest]
        at += rest
        src += rest
    height, width = instance_id.shape
    return _fit_geometry(dense, ids, moved, instance_id, width, height)


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
