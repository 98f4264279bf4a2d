"""``text2d``: draw TextItems with FreeType onto a background; exact masks and glyph quads.

Each word is drawn upright glyph by glyph (``synthgen.text.glyphs``), then placed with one
transform (rotation about the ink-box centre plus translation, and a perspective warp when the
item asks for one) by ``text_style``. The same transform maps the ink box and each glyph's ink box
to the image, so quads and pixels agree. A pixel belongs to a word where its alpha is > 0, i.e.
wherever the word changed the picture.
"""

from __future__ import annotations

import numpy as np

from synthgen.backgrounds import render_background
from synthgen.text.draw import draw_text
from synthgen.render.base import RendererKind
from synthgen.types import InstanceGeometry, Layers, SceneSpec


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


RENDERER = RendererKind(lambda spec, settings, resource: render_layers(spec))
