"""Renderers: draw a SceneSpec into Layers. Filled by the explicit import list below."""

from __future__ import annotations

from synthgen.driving import render as mesh3d
from synthgen.registry import Registry
from synthgen.render.base import NoParams, RendererKind
from synthgen.text import page, render2d

RENDERERS: Registry[RendererKind] = Registry("renderer")

RENDERERS.register("text2d", RendererKind("text2d", lambda spec, settings, resource: render2d.render_layers(spec)))
RENDERERS.register("text_page", RendererKind("text_page", lambda spec, settings, resource: page.render_layers(spec)))
RENDERERS.register(
    "mesh3d",
    RendererKind(
        "mesh3d", mesh3d.render_layers, mesh3d.Mesh3DSchema, mesh3d.from_config, mesh3d.make_resource, fork_safe=False
    ),
)

__all__ = ["RENDERERS", "NoParams", "RendererKind"]
