"""Renderers: draw a SceneSpec into Layers. The registry is filled by the explicit list in
``_register`` on first use (domain packages hold the renderers and may import ``synthgen.render.base``)."""

from __future__ import annotations

from synthgen.registry import Registry
from synthgen.render.base import NoParams, RendererKind


def _register(renderers: Registry[RendererKind]) -> None:
    from synthgen.driving import render as mesh3d
    from synthgen.shapes import render as shapes2d
    from synthgen.text import page, render2d

    renderers.register("text2d", RendererKind("text2d", lambda spec, settings, resource: render2d.render_layers(spec)))
    renderers.register("text_page", RendererKind("text_page", lambda spec, settings, resource: page.render_layers(spec)))
    renderers.register(
        "shapes2d", RendererKind("shapes2d", shapes2d.render, shapes2d.Shapes2DSchema, shapes2d.from_config)
    )
    renderers.register(
        "mesh3d",
        RendererKind(
            "mesh3d", mesh3d.render_layers, mesh3d.Mesh3DSchema, mesh3d.from_config, mesh3d.make_resource, fork_safe=False
        ),
    )


RENDERERS: Registry[RendererKind] = Registry("renderer", _register)

__all__ = ["RENDERERS", "NoParams", "RendererKind"]
