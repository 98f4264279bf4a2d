"""``text_page``: text drawn on a page (a receipt, a sheet) that is then warped onto a background.

The page is drawn flat, like a ``text2d`` scene. Then one smooth warp places it in the image:
``F(q) = H(q + d(q))``, a low-frequency random displacement field ``d`` on the page (crumpling)
followed by a homography ``H`` (the page lying at an angle, seen in perspective). The image,
the page coverage and the instance ids are resampled through the inverse of ``F`` (solved per
output pixel by fixed-point iteration, which converges because the field is smooth and small),
and every quad, glyph quad and polygon point is mapped through ``F`` itself, so labels follow
the pixels. Folds are shaded from the field's divergence.

``SceneSpec.background`` for this renderer::

    {"kind": "page", "scene": <background under the page>, "paper": <page background>,
     "page_size": [w, h], "homography": 3x3 list (page corner coords -> image corner coords),
     "warp": {"seed": int, "amplitude": px, "scale": px, "shading": 0..1}}
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from synthgen.backgrounds import render_background
from synthgen.backgrounds.draw import value_noise
from synthgen.text.draw import draw_text
from synthgen.text.label import EXTENSION, text_of
from synthgen.render.base import RendererKind
from synthgen.types import InstanceGeometry, Layers, SceneSpec

ITERATIONS = 12


def displacement_field(warp: dict, width: int, height: int) -> np.ndarray:
    """(height, width, 2) float32 displacement in pixels at the page's pixel centres."""
    if warp["amplitude"] <= 0:
        return np.zeros((height, width, 2), np.float32)
    fields = [value_noise(warp["seed"] + k, width, height, warp["scale"], octaves=2) for k in (0, 1)]
    return (np.stack(fields, axis=-1) * 2.0 - 1.0) * np.float32(warp["amplitude"])


def sample_field(field: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Bilinear samples (N, 2) of a (h, w, 2) field at corner-convention points (N, 2), edges clamped."""
    h, w = field.shape[:2]
    x = np.clip(pts[:, 0] - 0.5, 0, w - 1)
    y = np.clip(pts[:, 1] - 0.5, 0, h - 1)
    x0, y0 = (
        np.minimum(np.floor(x).astype(int), w - 2 if w > 1 else 0),
        np.minimum(np.floor(y).astype(int), h - 2 if h > 1 else 0),
    )
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    top = field[y0, x0] * (1 - fx) + field[y0, x1] * fx
    bottom = field[y1, x0] * (1 - fx) + field[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


def forward(points: np.ndarray, field: np.ndarray, homography: np.ndarray) -> np.ndarray:
    """Map (..., 2) page points (corner convention) to the image: H(q + d(q))."""
    flat = points.reshape(-1, 2).astype(np.float64)
    moved = flat + sample_field(field, flat)
    proj = np.hstack([moved, np.ones((len(moved), 1))]) @ homography.T
    return (proj[:, :2] / proj[:, 2:3]).reshape(points.shape)


def inverse_maps(field: np.ndarray, homography: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Page pixel-centre coordinates (h, w, 2) float32 of each output pixel of ``box`` (x0, y0, x1, y1)."""
    import cv2

    x0, y0, x1, y1 = box
    xs, ys = np.meshgrid(np.arange(x0, x1, dtype=np.float64) + 0.5, np.arange(y0, y1, dtype=np.float64) + 0.5)
    pts = np.stack([xs, ys, np.ones_like(xs)], axis=-1) @ np.linalg.inv(homography).T
    r = (pts[..., :2] / pts[..., 2:3]).astype(np.float32)
    q = r.copy()
    fx, fy = np.ascontiguousarray(field[..., 0]), np.ascontiguousarray(field[..., 1])
    for _ in range(ITERATIONS):
        mx, my = q[..., 0] - 0.5, q[..., 1] - 0.5
        d = np.stack(
            [cv2.remap(f, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE) for f in (fx, fy)], axis=-1
        )
        q = r - d
    return q - 0.5


def warp_outline(
    quad: np.ndarray, polygon: np.ndarray | None, field: np.ndarray, h: np.ndarray, step: float = 4.0
) -> tuple[np.ndarray, np.ndarray | None]:
    """A word's quad and outline after the warp.

    The top and bottom edges are sampled every ``step`` pixels and mapped. Where the mapped edges
    bend more than half a pixel out of the quad of the mapped corners (a long word across a
    crease), the word gets that outline as its polygon and the smallest rotated rectangle around
    it as its quad, so the quad still holds every pixel.

    Returns:
        (4, 2) float32 quad and (N, 2) float32 polygon or None.
    """
    import cv2

    from synthgen.text.glyphs import min_area_quad

    curved = polygon is not None
    if not curved:
        n = max(int(np.ceil(np.linalg.norm(quad[1] - quad[0]) / step)), 1)
        t = np.linspace(0.0, 1.0, n + 1)[:, None]
        upper = quad[0] + t * (quad[1] - quad[0])
        lower = quad[3] + t * (quad[2] - quad[3])
        polygon = np.concatenate([upper, lower[::-1]])
    outline = forward(np.asarray(polygon, np.float64), field, h)
    corners = forward(np.asarray(quad, np.float64), field, h)
    contour = corners.astype(np.float32).reshape(-1, 1, 2)
    outside = max(-cv2.pointPolygonTest(contour, (float(x), float(y)), True) for x, y in outline)
    if not curved and outside <= 0.5:
        return corners.astype(np.float32), None
    return min_area_quad(outline, outline[0]).astype(np.float32), outline.astype(np.float32)


def render_layers(spec: SceneSpec) -> Layers:
    """Draw the page flat, warp it onto the background, and map the labels with it.

    Returns:
        Layers with rgb (H, W, 3) uint8, instance_id (H, W) int32, semantic_id (H, W) int32.
    """
    import cv2

    bg = spec.background
    pw, ph = bg["page_size"]
    page = render_background(bg["paper"], pw, ph)
    page_id = np.zeros((ph, pw), np.int32)
    flat: dict[int, InstanceGeometry] = {}
    for item in spec.items:
        drawn = draw_text(page, page_id, item)
        if drawn is not None:
            flat[item.instance_id] = drawn

    field = displacement_field(bg["warp"], pw, ph)
    shading = float(bg["warp"].get("shading", 0.0))
    if shading > 0 and bg["warp"]["amplitude"] > 0:
        # creases: brighter where the paper is stretched towards the light, darker where folded
        div = np.gradient(field[..., 0], axis=1) + np.gradient(field[..., 1], axis=0)
        div = cv2.GaussianBlur(div.astype(np.float32), (0, 0), max(float(bg["warp"]["scale"]) / 16, 1.0))
        shade = 1.0 + shading * np.clip(div, -1, 1)
        page = np.clip(np.rint(page.astype(np.float32) * shade[..., None]), 0, 255).astype(np.uint8)

    h = np.asarray(bg["homography"], np.float64)
    rgb = render_background(bg["scene"], spec.width, spec.height)
    instance_id = np.zeros((spec.height, spec.width), np.int32)
    corners = forward(np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float64), field, h)
    grow = float(bg["warp"]["amplitude"]) * 2 + 2
    x0 = max(int(np.floor(corners[:, 0].min() - grow)), 0)
    y0 = max(int(np.floor(corners[:, 1].min() - grow)), 0)
    x1 = min(int(np.ceil(corners[:, 0].max() + grow)), spec.width)
    y1 = min(int(np.ceil(corners[:, 1].max() + grow)), spec.height)
    if x1 > x0 and y1 > y0:
        maps = inverse_maps(field, h, (x0, y0, x1, y1))
        mx, my = maps[..., 0], maps[..., 1]
        warped = cv2.remap(page, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        cover = cv2.remap(np.full((ph, pw), 255, np.uint8), mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        # A pixel is a word's wherever the bilinear warp mixed any of that word's ink into it
        # (alpha > 0, as text2d): the ink footprint decides where, and the ids, grown by one
        # pixel on the page (words never touch), then sampled nearest, decide whose.
        ink = cv2.remap((page_id > 0).astype(np.uint8) * 255, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        grown = cv2.dilate(page_id.astype(np.float32), np.ones((3, 3), np.uint8))
        ids = cv2.remap(grown, mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT)
        a = cover.astype(np.float32)[..., None] / 255.0
        region = rgb[y0:y1, x0:x1].astype(np.float32)
        rgb[y0:y1, x0:x1] = np.clip(np.rint(region * (1 - a) + warped.astype(np.float32) * a), 0, 255).astype(np.uint8)
        instance_id[y0:y1, x0:x1] = np.where(ink > 0, np.rint(ids).astype(np.int32), 0)

    geometry: dict[int, InstanceGeometry] = {}
    category_of = np.zeros(len(spec.items) + 1, np.int32)
    for k, geo in flat.items():
        text = text_of(geo)
        quad, polygon = warp_outline(text.quad, text.polygon, field, h)
        char_quads = forward(text.char_quads, field, h).astype(np.float32)
        moved = replace(text, quad=quad, char_quads=char_quads, polygon=polygon)
        geometry[k] = replace(geo, extensions={**geo.extensions, EXTENSION: moved})
    for item in spec.items:
        category_of[item.instance_id] = spec.categories.index(item.category) + 1
    return Layers(rgb=rgb, instance_id=instance_id, geometry=geometry, semantic_id=category_of[instance_id])


RENDERER = RendererKind(lambda spec, settings, resource: render_layers(spec))
