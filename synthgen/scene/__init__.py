"""Scene builders: sample a SceneSpec (pure data) from a scene's settings and a generator.

The registry is filled by the explicit list in ``_register`` on first use; domain packages
(``synthgen.text``, ``synthgen.shapes``, ``synthgen.driving``) hold the builders and may import
``synthgen.scene.base``.
"""

from __future__ import annotations

import functools
import importlib

from synthgen.registry import Registry
from synthgen.scene.base import SceneKind


def _shapes() -> SceneKind:
    from synthgen.shapes import scene as shapes

    return SceneKind(
        "shapes", shapes.ShapesSchema, shapes.from_config, shapes.sample, shapes.categories, shapes.RENDERERS, shapes.LABELS
    )


def _text_scene(module: str) -> SceneKind:
    return importlib.import_module(f"synthgen.text.scenes.{module}").SCENE


def _driving() -> SceneKind:
    from synthgen.driving import scene as driving

    return driving.SCENE


def _register(scenes: Registry[SceneKind]) -> None:
    """The scene kinds; each domain module is imported when its kind is first used."""
    for name, module in (
        ("text_words", "words"),
        ("ocr_recognition", "ocr_recognition"),
        ("ocr_wild", "ocr_wild"),
        ("ocr_document", "ocr_document"),
        ("ocr_receipt", "ocr_receipt"),
    ):
        scenes.register_lazy(name, functools.partial(_text_scene, module))
    scenes.register_lazy("shapes", _shapes)
    scenes.register_lazy("driving", _driving)


SCENES: Registry[SceneKind] = Registry("scene", _register)
