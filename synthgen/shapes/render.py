"""``shapes2d``: draw ShapeItems back to front onto a background; exact instance layer, drawn-alone
counts, amodal boxes and keypoints.

Each shape is rasterised once on a window that holds all of it (``synthgen.shapes.raster``): the
pixels inside the image are its "drawn alone" area, all of them its unbounded area, and painting
them in drawing order gives the instance layer, so a pixel of instance k is one where shape k is
the top shape. The RGB is painted with the coverage of ``supersample`` x ``supersample`` sub-pixel
samples of the same geometry (anti-aliased edges), or with the label pixels themselves for 1.

``synthgen.render`` registers the kind from ``render``, ``Shapes2DSchema`` and ``from_config``
(this module does not import the stage, so importing it first cannot make a cycle).
"""

from __future__ import annotations


import numpy as np

from synthgen.backgrounds import render_background
from synthgen.config.params import Params, param, within
from synthgen.render.base import RendererKind
from synthgen.shapes.geometry import ShapeItem, amodal_bbox, keypoints
from synthgen.shapes.raster import contains, footprint, shape_mask
from synthgen.types import InstanceGeometry, Layers, SceneSpec


class Shapes2DSettings(Params):
    """``render.params`` of the ``shapes2d`` renderer."""

    supersample: int = param(
        4, within(1, 8), "sub-pixel samples per pixel along each axis for the RGB's edges (1: hard edges); "
        "the label layers are never anti-aliased"
    )


def render_layers(spec: SceneSpec, settings: Shapes2DSettings = Shapes2DSettings()) -> Layers:
    """Draw a shapes scene, ``spec.items`` back to front.

    Returns:
        Layers with rgb (H, W, 3) uint8, instance_id (H, W) int32 and one InstanceGeometry per
        shape that holds a pixel: category (the shape's kind), amodal box, area drawn alone inside
        the image and in all, keypoints (visible 2, or 1 where a shape in front holds them; annotate
        unlabels those outside the image) and ``layer`` (0 for the backmost shape).
    """
    height, width = spec.height, spec.width
    rgb = render_background(spec.background, width, height).astype(np.float32)
    instance_id = np.zeros((height, width), np.int32)
    geometry: dict[int, InstanceGeometry] = {}
    s = settings.supersample
    for layer, item in enumerate(spec.items):
        window = footprint(item)
        mask = shape_mask(item, window)
        total = int(mask.sum())
        if not total:  # too thin to hold a pixel centre anywhere: nothing to draw or label
            continue
        x0, y0, w, h = window
        ix0, iy0 = max(x0, 0), max(y0, 0)
        ix1, iy1 = min(x0 + w, width), min(y0 + h, height)
        alone = 0
        if ix1 > ix0 and iy1 > iy0:
            inside = mask[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0]
            alone = int(inside.sum())
            instance_id[iy0:iy1, ix0:ix1][inside] = item.instance_id
            _paint(rgb[iy0:iy1, ix0:ix1], item, inside, (ix0, iy0, ix1 - ix0, iy1 - iy0), s)
        points = keypoints(item)
        geometry[item.instance_id] = InstanceGeometry(
            category=item.kind,
            keypoints=None if points is None else _visibility(points, spec.items[layer + 1 :]),
            amodal_bbox=amodal_bbox(item),
            area_alone=alone,
            area_alone_total=total,
            attributes={"layer": layer},
        )
    out = np.rint(rgb).astype(np.uint8)
    return Layers(rgb=out, instance_id=instance_id, geometry=geometry)


def _visibility(points: np.ndarray, in_front: tuple) -> np.ndarray:
    """(K, 3) float32 keypoints: visible (2) unless a shape drawn later holds the point (1).

    Decided on the geometry, not on the instance layer: a sharp tip often has no pixel centre of
    its own shape near it, yet nothing covers it. annotate then unlabels points outside the image.
    """
    covered = np.zeros(len(points), bool)
    for other in in_front:
        covered |= contains(other, points)
    return np.column_stack([points, np.where(covered, 1.0, 2.0)]).astype(np.float32)


def _paint(region: np.ndarray, item: ShapeItem, inside: np.ndarray, window: tuple[int, int, int, int], s: int) -> None:
    """Blend the shape's colour into ``region`` (float32, in place) by its pixel coverage."""
    if s == 1:
        coverage = inside.astype(np.float32)
    else:
        w, h = window[2], window[3]
        coverage = shape_mask(item, window, s).reshape(h, s, w, s).mean(axis=(1, 3), dtype=np.float32)
    color = np.asarray(item.color, np.float32)
    region += coverage[:, :, None] * (color - region)


def render(spec: SceneSpec, settings: Shapes2DSettings, resource: object = None) -> Layers:
    """The ``shapes2d`` RendererKind's entry point (no per-worker resource)."""
    return render_layers(spec, settings)


RENDERER = RendererKind(render, Shapes2DSettings)
