"""Scene builders: sample a SceneSpec (pure data) from a scene's settings and a generator.

The registry is filled by the explicit import list below; domain packages (``synthgen.text``)
hold the builders.
"""

from __future__ import annotations

from synthgen.driving import scene as driving
from synthgen.registry import Registry
from synthgen.scene.base import SceneKind
from synthgen.text.scenes import ocr_document, ocr_receipt, ocr_recognition, ocr_wild, words

SCENES: Registry[SceneKind] = Registry("scene")

SCENES.register("text_words", words.SCENE)
SCENES.register("ocr_recognition", ocr_recognition.SCENE)
SCENES.register("ocr_wild", ocr_wild.SCENE)
SCENES.register("ocr_document", ocr_document.SCENE)
SCENES.register("ocr_receipt", ocr_receipt.SCENE)
SCENES.register("driving", driving.SCENE)
