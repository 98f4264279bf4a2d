"""Renderers: draw a SceneSpec into Layers. Filled by the explicit import list below."""

from __future__ import annotations

from synthgen.registry import Registry
from synthgen.render.base import NoParams, RendererKind
from synthgen.shapes import render as shapes2d
from synthgen.text import page, render2d

RENDERERS: Registry[RendererKind] = Registry("renderer")

RENDERERS.register("text2d", RendererKind("text2d", lambda spec, settings, resource: render2d.render_layers(spec)))
RENDERERS.register("text_page", RendererKind("text_page", lambda spec, settings, resource: page.render_layers(spec)))
RENDERERS.register("shapes2d", RendererKind("shapes2d", shapes2d.render, shapes2d.Shapes2DSchema, shapes2d.from_config))

__all__ = ["RENDERERS", "NoParams", "RendererKind"]
