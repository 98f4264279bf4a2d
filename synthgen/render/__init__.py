"""Renderers: draw a SceneSpec into Layers.

``RENDERERS`` lists each kind once, ``name -> module:attribute``; a kind's module is imported when
the kind is first used (domain packages hold the renderers and may import ``synthgen.render.base``).
"""

from __future__ import annotations

from synthgen.registry import Registry
from synthgen.render.base import NoParams, RendererKind

RENDERERS: Registry[RendererKind] = Registry(
    "renderer",
    {
        "text2d": "synthgen.text.render2d:RENDERER",
        "text_page": "synthgen.text.page:RENDERER",
        "shapes2d": "synthgen.shapes.render:RENDERER",
        "mesh3d": "synthgen.driving.render:RENDERER",
        "mesh3d_insert": "synthgen.driving.insert.composite:RENDERER",
    },
)

__all__ = ["RENDERERS", "NoParams", "RendererKind"]
