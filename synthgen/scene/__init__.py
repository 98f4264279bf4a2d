"""Scene builders: sample a SceneSpec (pure data) from a scene's settings and a generator.

``SCENES`` lists each kind once, ``name -> module`` (its ``SCENE``); a kind's module is imported
when the kind is first used. Domain packages (``synthgen.text``, ``synthgen.shapes``,
``synthgen.driving``) hold the builders and may import ``synthgen.scene.base``.
"""

from __future__ import annotations

from synthgen.registry import Registry
from synthgen.scene.base import SceneKind

SCENES: Registry[SceneKind] = Registry(
    "scene",
    {
        "text_words": "synthgen.text.scenes.words",
        "ocr_recognition": "synthgen.text.scenes.ocr_recognition",
        "ocr_wild": "synthgen.text.scenes.ocr_wild",
        "ocr_document": "synthgen.text.scenes.ocr_document",
        "ocr_receipt": "synthgen.text.scenes.ocr_receipt",
        "driving": "synthgen.driving.scene",
        "driving_insert": "synthgen.driving.insert.scene",
        "shapes": "synthgen.shapes.scene",
    },
    attribute="SCENE",
)
