"""Renderers: draw a SceneSpec into Layers. Filled by the explicit import list below."""

from __future__ import annotations

from collections.abc import Callable

from synthgen.registry import Registry
from synthgen.text import page, render2d
from synthgen.types import Layers, SceneSpec

RENDERERS: Registry[Callable[[SceneSpec], Layers]] = Registry("renderer")

RENDERERS.register("text2d", render2d.render_layers)
RENDERERS.register("text_page", page.render_layers)
