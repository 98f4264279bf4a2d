"""The shapes themselves: what a ShapeItem is, its outline, keypoints and amodal box, and the
category table entry (keypoint names and skeleton) of each kind.

Coordinates are image pixels, x right, y down, corner convention (pixel (i, j) covers
[j, j+1) x [i, i+1)). Angles are degrees, counter-clockwise on screen; the first corner of a
polygon (the first tip of a star) lies at ``rotation`` degrees from the centre, straight right
for 0, and the others follow clockwise on screen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthgen.types import Category

# kind -> number of corners of the regular polygon it is
POLYGON_CORNERS = {"triangle": 3, "square": 4, "pentagon": 5, "hexagon": 6}
STAR_TIPS = 5
SHAPE_KINDS = ("triangle", "square", "pentagon", "hexagon", "disc", "star", "ring")


@dataclass(frozen=True)
class ShapeItem:
    """One filled shape of a ``shapes`` scene, drawn in the order of ``SceneSpec.items``.

    Attributes:
        instance_id: its value in the instance layer (1, 2, ... in drawing order).
        kind: one of ``SHAPE_KINDS``.
        center: (x, y) of its centre.
        radius: circumradius of a polygon, outer radius of a star, disc or ring, pixels.
        rotation: degrees, counter-clockwise, of the first corner or tip (no effect on discs and rings).
        inner: inner radius / radius of a star (its inner corners) or a ring (its hole); 0 otherwise.
        color: (r, g, b) fill colour.
    """

    instance_id: int
    kind: str
    center: tuple[float, float]
    radius: float
    rotation: float
    inner: float
    color: tuple[int, int, int]


def _ring_points(center: tuple[float, float], radius: float, n: int, start: float) -> np.ndarray:
    """(n, 2) points at ``radius`` from ``center``, the first at ``start`` degrees CCW, then
    clockwise on screen (y down, so a CCW angle t is (cos t, -sin t))."""
    t = np.radians(start) - 2 * np.pi * np.arange(n) / n
    return np.stack([center[0] + radius * np.cos(t), center[1] - radius * np.sin(t)], axis=1)


def corner_points(item: ShapeItem) -> np.ndarray:
    """(K, 2) float64 corners of a polygon or a star (tips and inner corners alternating, in
    outline order); (0, 2) for discs and rings."""
    if item.kind in POLYGON_CORNERS:
        return _ring_points(item.center, item.radius, POLYGON_CORNERS[item.kind], item.rotation)
    if item.kind == "star":
        tips = _ring_points(item.center, item.radius, STAR_TIPS, item.rotation)
        inner = _ring_points(item.center, item.radius * item.inner, STAR_TIPS, item.rotation - 180.0 / STAR_TIPS)
        return np.stack([tips, inner], axis=1).reshape(-1, 2)
    return np.zeros((0, 2))


def keypoints(item: ShapeItem) -> np.ndarray | None:
    """(K, 2) float64 keypoints of the shape's category: the corners of a polygon, the tips and
    inner corners of a star, the centre of a disc; None for a ring (its centre is a hole, so the
    instance layer could never show it)."""
    if item.kind == "ring":
        return None
    if item.kind == "disc":
        return np.asarray([item.center], np.float64)
    return corner_points(item)


def amodal_bbox(item: ShapeItem) -> tuple[float, float, float, float]:
    """(x, y, w, h) extent of the whole shape's geometry, outside parts included (unclipped)."""
    if item.kind in ("disc", "ring"):
        cx, cy = item.center
        return (cx - item.radius, cy - item.radius, 2 * item.radius, 2 * item.radius)
    pts = corner_points(item)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return (float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1]))


def keypoint_names(kind: str) -> tuple[str, ...]:
    """The COCO keypoint names of a kind's category."""
    if kind in POLYGON_CORNERS:
        return tuple(f"corner_{i + 1}" for i in range(POLYGON_CORNERS[kind]))
    if kind == "star":
        return tuple(name for i in range(STAR_TIPS) for name in (f"tip_{i + 1}", f"inner_{i + 1}"))
    if kind == "disc":
        return ("center",)
    return ()


def category(kind: str, category_id: int) -> Category:
    """The category of a kind: keypoint names, and a skeleton joining them along the outline."""
    names = keypoint_names(kind)
    skeleton = tuple((i + 1, (i + 1) % len(names) + 1) for i in range(len(names))) if len(names) > 1 else ()
    return Category(category_id, kind, keypoints=names, skeleton=skeleton)
