"""``text2d``: draw TextItems with FreeType onto a background; exact masks and glyph quads.

Each word is drawn upright into an alpha canvas, then placed with one affine transform (rotation
about the ink-box centre plus translation). The same transform maps the ink box and each glyph's
box to the image, so quads and pixels agree. A pixel belongs to a word where its alpha is > 0,
i.e. wherever the word changed the picture.

Plain items (no letter spacing, outline, shadow, curve or perspective) take that path; styled
items are drawn by ``text_style``.
"""

from __future__ import annotations

import math

import numpy as np

from synthgen import fonts
from synthgen.render.background import render_background
from synthgen.render.text_style import draw_styled_text
from synthgen.types import InstanceGeometry, Layers, SceneSpec, TextItem

PAD = 2  # pixels around the ink in the upright canvas, so bilinear spill is not clipped


def render_layers(spec: SceneSpec) -> Layers:
    """Draw a text scene.

    Returns:
        Layers with rgb (H, W, 3) uint8, instance_id (H, W) int32, semantic_id (H, W) int32 and
        one InstanceGeometry (word quad, char quads) per drawn item.
    """
    rgb = render_background(spec.background, spec.width, spec.height)
    instance_id = np.zeros((spec.height, spec.width), np.int32)
    geometry: dict[int, InstanceGeometry] = {}
    category_of = np.zeros(len(spec.items) + 1, np.int32)  # instance id -> category id
    for item in spec.items:
        drawn = draw_text(rgb, instance_id, item)
        if drawn is not None:
            geometry[item.instance_id] = drawn
            category_of[item.instance_id] = spec.categories.index(item.category) + 1
    semantic_id = category_of[instance_id]
    return Layers(rgb=rgb, instance_id=instance_id, geometry=geometry, semantic_id=semantic_id)


def upright_glyphs(item: TextItem) -> tuple[np.ndarray, np.ndarray, list[tuple[str, np.ndarray]]]:
    """Draw the text upright.

    Returns:
        alpha: (h, w) uint8 canvas; ink_box: (4,) float left, top, right, bottom of the ink in
        canvas pixels; chars: (char, (4,) box) for each non-space character.
    """
    from PIL import Image, ImageDraw

    font = fonts.load_font(item.font_path, item.font_size)
    left, top, right, bottom = font.getbbox(item.text)
    canvas = Image.new("L", (right - left + 2 * PAD, bottom - top + 2 * PAD), 0)
    origin_x, origin_y = PAD - left, PAD - top
    ImageDraw.Draw(canvas).text((origin_x, origin_y), item.text, font=font, fill=255)
    chars = []
    for k, ch in enumerate(item.text):
        if ch.isspace():
            continue
        # pen position of glyph k: the advance of the text up to and including it, minus its own
        x = font.getlength(item.text[: k + 1]) - font.getlength(ch)
        gl, gt, gr, gb = font.getbbox(ch)
        chars.append((ch, np.array([origin_x + x + gl, origin_y + gt, origin_x + x + gr, origin_y + gb], np.float64)))
    ink = np.array([PAD, PAD, PAD + right - left, PAD + bottom - top], np.float64)
    return np.asarray(canvas), ink, chars


def placement(item: TextItem, ink: np.ndarray) -> np.ndarray:
    """2x3 affine matrix (pixel-centre convention, as cv2.warpAffine) from canvas to image."""
    t = math.radians(item.angle)
    c, s = math.cos(t), math.sin(t)
    rot = np.array([[c, s], [-s, c]])
    # Ink-box centre in pixel-centre coordinates lands on item.center (corner coordinates).
    centre_src = np.array([(ink[0] + ink[2]) / 2 - 0.5, (ink[1] + ink[3]) / 2 - 0.5])
    centre_dst = np.array(item.center) - 0.5
    shift = np.rint(centre_dst - rot @ centre_src)
    return np.hstack([rot, shift[:, None]])


def box_corners(box: np.ndarray) -> np.ndarray:
    """(4, 2) corners of a left, top, right, bottom box, clockwise from top-left."""
    l, t, r, b = box
    return np.array([[l, t], [r, t], [r, b], [l, b]], np.float64)


def map_corners(matrix: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Map corner-convention points with a pixel-centre affine matrix."""
    return (corners - 0.5) @ matrix[:, :2].T + matrix[:, 2] + 0.5


def map_boxes(matrix: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """(N, 4, 2) float32 image quads of (N, 4) canvas boxes (left, top, right, bottom)."""
    l, t, r, b = boxes.T
    corners = np.stack([np.stack([l, t], -1), np.stack([r, t], -1), np.stack([r, b], -1), np.stack([l, b], -1)], 1)
    return map_corners(matrix, corners).astype(np.float32)


def draw_text(rgb: np.ndarray, instance_id: np.ndarray, item: TextItem) -> InstanceGeometry | None:
    """Composite one TextItem into ``rgb`` and mark its pixels in ``instance_id`` (both in place).

    Returns:
        Its geometry, or None when no pixel of it fell inside the image.
    """
    import cv2

    if not item.is_plain:
        return draw_styled_text(rgb, instance_id, item)

    alpha_src, ink, chars = upright_glyphs(item)
    matrix = placement(item, ink)
    h, w = alpha_src.shape
    corners = map_corners(matrix, box_corners(np.array([0, 0, w, h], np.float64)))
    height, width = instance_id.shape
    x0 = max(int(math.floor(corners[:, 0].min())) - 1, 0)
    y0 = max(int(math.floor(corners[:, 1].min())) - 1, 0)
    x1 = min(int(math.ceil(corners[:, 0].max())) + 1, width)
    y1 = min(int(math.ceil(corners[:, 1].max())) + 1, height)
    if x1 <= x0 or y1 <= y0:
        return None
    local = matrix.copy()
    local[:, 2] -= (x0, y0)
    alpha = cv2.warpAffine(
        alpha_src, local, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
    ink_pixels = alpha > 0
    if not ink_pixels.any():
        return None
    a = alpha[..., None].astype(np.float32) / 255.0
    region = rgb[y0:y1, x0:x1]
    blended = region.astype(np.float32) * (1.0 - a) + np.asarray(item.color, np.float32) * a
    region[...] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    instance_id[y0:y1, x0:x1][ink_pixels] = item.instance_id
    quad = map_corners(matrix, box_corners(ink)).astype(np.float32)
    if item.label_box is not None:
        quad = box_corners(np.asarray(item.label_box, np.float64)).astype(np.float32)
    char_quads = map_boxes(matrix, np.array([box for _, box in chars], np.float64).reshape(-1, 4))
    return InstanceGeometry(
        category=item.category,
        text=item.text,
        quad=quad,
        chars="".join(ch for ch, _ in chars),
        char_quads=char_quads,
        attributes=dict(item.attributes),
    )
