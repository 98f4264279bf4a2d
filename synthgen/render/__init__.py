"""Renderers: draw a SceneSpec into Layers. Filled by the explicit import list below."""

from __future__ import annotations

from collections.abc import Callable

from synthgen.registry import Registry
from synthgen.render import text2d, text_page
from synthgen.types import Layers, SceneSpec

RENDERERS: Registry[Callable[[SceneSpec], Layers]] = Registry("renderer")

RENDERERS.register("text2d", text2d.render_layers)
RENDERERS.register("text_page", text_page.render_layers)
