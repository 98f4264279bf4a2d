"""Renderers: draw a SceneSpec into Layers. The registry is filled by the explicit list in
``_register`` on first use (domain packages hold the renderers and may import ``synthgen.render.base``)."""

from __future__ import annotations

from synthgen.registry import Registry
from synthgen.render.base import NoParams, RendererKind


def _text2d() -> RendererKind:
    from synthgen.text import render2d

    return RendererKind("text2d", lambda spec, settings, resource: render2d.render_layers(spec))


def _text_page() -> RendererKind:
    from synthgen.text import page

    return RendererKind("text_page", lambda spec, settings, resource: page.render_layers(spec))


def _shapes2d() -> RendererKind:
    from synthgen.shapes import render as shapes2d

    return RendererKind("shapes2d", shapes2d.render, shapes2d.Shapes2DSchema, shapes2d.from_config)


def _mesh3d() -> RendererKind:
    from synthgen.driving import render as mesh3d

    return RendererKind(
        "mesh3d",
        mesh3d.render_layers,
        mesh3d.Mesh3DSchema,
        mesh3d.from_config,
        mesh3d.make_resource,
        fork_safe=False,
        check_environment=mesh3d.check_can_start,
    )


def _mesh3d_insert() -> RendererKind:
    from synthgen.driving import render as mesh3d
    from synthgen.driving.insert import composite

    return RendererKind(
        "mesh3d_insert",
        composite.render_layers,
        mesh3d.Mesh3DSchema,
        mesh3d.from_config,
        mesh3d.make_resource,
        fork_safe=False,
        check_environment=mesh3d.check_can_start,
    )


def _register(renderers: Registry[RendererKind]) -> None:
    """The renderers; each domain module is imported when its renderer is first used."""
    renderers.register_lazy("text2d", _text2d)
    renderers.register_lazy("text_page", _text_page)
    renderers.register_lazy("shapes2d", _shapes2d)
    renderers.register_lazy("mesh3d", _mesh3d)
    renderers.register_lazy("mesh3d_insert", _mesh3d_insert)


RENDERERS: Registry[RendererKind] = Registry("renderer", _register)

__all__ = ["RENDERERS", "NoParams", "RendererKind"]
