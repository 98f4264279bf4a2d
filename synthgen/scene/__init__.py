"""Scene builders: sample a SceneSpec (pure data) from a scene's settings and a generator.

The registry is filled by the explicit list in ``_register`` on first use; domain packages
(``synthgen.text``, ``synthgen.shapes``, ``synthgen.driving``) hold the builders and may import
``synthgen.scene.base``.
"""

from __future__ import annotations

from synthgen.registry import Registry
from synthgen.scene.base import SceneKind


def _register(scenes: Registry[SceneKind]) -> None:
    from synthgen.driving import scene as driving
    from synthgen.shapes import scene as shapes
    from synthgen.text.scenes import ocr_document, ocr_receipt, ocr_recognition, ocr_wild, words

    scenes.register("text_words", words.SCENE)
    scenes.register("ocr_recognition", ocr_recognition.SCENE)
    scenes.register("ocr_wild", ocr_wild.SCENE)
    scenes.register("ocr_document", ocr_document.SCENE)
    scenes.register("ocr_receipt", ocr_receipt.SCENE)
    scenes.register(
        "shapes",
        SceneKind(
            "shapes",
            shapes.ShapesSchema,
            shapes.from_config,
            shapes.sample,
            shapes.categories,
            shapes.RENDERERS,
            shapes.LABELS,
        ),
    )
    scenes.register("driving", driving.SCENE)


SCENES: Registry[SceneKind] = Registry("scene", _register)
