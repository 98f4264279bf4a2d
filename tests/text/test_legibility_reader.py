"""The legibility flags against a real reader: RapidOCR (PP-OCRv4's ONNX models, trained on real
images, shipped in its wheel, CPU) reads the words synthgen keeps and not the words it flags, at the
default thresholds (docs/ocr.md, "Legibility against a real reader")."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from synthgen.text import fonts, render2d
from synthgen.text.items import TextItem
from synthgen.text.legibility import flag_illegible
from synthgen.text.scenes.ocr_recognition import OcrRecognitionSettings
from synthgen.types import SceneSpec

pytestmark = pytest.mark.slow
FONT = str(fonts.bundled_font_dir() / "DejaVuSans.ttf")
WORDS = ("window", "garden", "market", "number", "letters", "orange")
GREY = 128

# condition -> (gap to the grey 0..1, pixel noise sigma 0..1, font size px, flagged reason or None)
CONDITIONS = {
    "dark, clean": (-0.4, 0.0, 24, None),
    "faint (5 grey levels), clean": (0.02, 0.0, 24, None),
    "faint, noise 4x the gap": (0.02, 0.08, 24, "low_contrast"),
    "the grey itself, noise": (0.0, 0.04, 24, "low_contrast"),
    "dark, about 5 px tall in a 32 px crop": (-0.4, 0.0, 7, "too_small"),
}


def _crop(word: str, gap: float, sigma: float, size: int, seed: int):
    """One crop as ``ocr_recognition`` makes them (32 px tall, the word with a margin), on a grey,
    then noise. (A reader reads 6 px words cut out tight and scaled up; in a 32 px crop it does not.)"""
    height = 32
    ink = int(round(GREY + 255 * gap))
    item = TextItem(1, word, FONT, size, (ink,) * 3, 0.0, (6 * size, height / 2), category="word")
    spec = SceneSpec(
        kind="test",
        width=12 * size,
        height=height,
        background={"kind": "solid", "color": [GREY] * 3},
        items=(item,),
        categories=("word",),
    )
    layers = render2d.render_layers(spec)
    if sigma:
        noise = np.random.default_rng(seed).normal(0, 255 * sigma, layers.rgb.shape[:2])[..., None]
        layers = replace(layers, rgb=np.clip(np.round(layers.rgb + noise), 0, 255).astype(np.uint8))
    xs = np.nonzero(layers.instance_id.any(axis=0))[0]
    pad = 4
    return layers, layers.rgb[:, max(xs.min() - pad, 0) : xs.max() + 1 + pad]


def test_rapidocr_reads_what_is_kept_and_not_what_is_flagged():
    rapidocr = pytest.importorskip("rapidocr_onnxruntime", reason="pip install 'synthgen-cv[test]' (RapidOCR)")
    engine = rapidocr.RapidOCR()
    defaults = OcrRecognitionSettings()
    for name, (gap, sigma, size, reason) in CONDITIONS.items():
        crops, reads = [], 0
        for seed, word in enumerate(WORDS):
            layers, crop = _crop(word, gap, sigma, size, seed)
            out, _ = flag_illegible(layers, (1,), defaults.min_legible_size, defaults.min_legible_contrast)
            attrs = out.geometry[1].attributes
            assert attrs.get("illegible_reason") == reason, (name, word)
            crops.append(crop[..., ::-1])  # RapidOCR takes BGR
        results, _ = engine.text_rec(crops)
        reads = sum(text.strip() == word for (text, _), word in zip(results, WORDS))
        if reason is None:
            assert reads >= len(WORDS) - 1, (name, [t for t, _ in results])
        else:
            assert reads <= 1, (name, [t for t, _ in results])
