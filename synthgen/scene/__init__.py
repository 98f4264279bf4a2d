"""Scene builders: sample a SceneSpec (pure data) from a scene's settings and a generator.

The registry is filled by the explicit list in ``_register`` on first use; domain packages
(``synthgen.text``, ``synthgen.shapes``, ``synthgen.driving``) hold the builders and may import
``synthgen.scene.base``.
"""

from __future__ import annotations

from synthgen.registry import Registry
from synthgen.scene.base import SceneKind


def _shapes() -> SceneKind:
    from synthgen.shapes import scene as shapes

    return SceneKind(
        "shapes",
        shapes.ShapesSchema,
        shapes.from_config,
        shapes.sample,
        shapes.categories,
        shapes.RENDERERS,
        shapes.LABELS,
    )


def _register(scenes: Registry[SceneKind]) -> None:
    """The scene kinds; each domain module is imported when its kind is first used."""
    for name, module in (
        ("text_words", "synthgen.text.scenes.words"),
        ("ocr_recognition", "synthgen.text.scenes.ocr_recognition"),
        ("ocr_wild", "synthgen.text.scenes.ocr_wild"),
        ("ocr_document", "synthgen.text.scenes.ocr_document"),
        ("ocr_receipt", "synthgen.text.scenes.ocr_receipt"),
        ("driving", "synthgen.driving.scene"),
        ("driving_insert", "synthgen.driving.insert.scene"),
    ):
        scenes.register_module_attr(name, module, "SCENE")
    scenes.register_lazy("shapes", _shapes)


SCENES: Registry[SceneKind] = Registry("scene", _register)
