"""Legibility checked by an independent reader: Tesseract reads our clean renders and finds our words.

Needs the ``tesseract`` binary (``apt-get install tesseract-ocr tesseract-ocr-eng``) and the
``pytesseract`` package (the ``test`` extra).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from ocr_helpers import ocr_config, word_instances
from PIL import Image, ImageOps

from synthgen.engine import make_sample

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tesseract") is None, reason="the tesseract binary is not installed"),
]

CLEAN_STYLE = {
    "rotation": 0.0,
    "letter_spacing": 0.0,
    "stroke_probability": 0.0,
    "shadow_probability": 0.0,
    "perspective": 0.0,
    "curve_probability": 0.0,
}
# Measured with Tesseract 5.3.0 (eng): 40 of 40 clean dictionary-word crops read exactly; on two
# clean pages, 228 of 228 legible words found, every match with IoU > 0.95 (median 0.98).
MIN_READ_RATE = 0.85
MIN_FOUND_RATE = 0.85
MIN_IOU_RATE = 0.9


def test_tesseract_reads_clean_recognition_crops(tmp_path):
    import pytesseract

    params = {
        "text": {"source": "word", "words": 1},
        "background": {"kind": "choice([solid, paper])"},
        "style": CLEAN_STYLE,
        "min_contrast": 0.5,
    }
    cfg = ocr_config(tmp_path, "recognition", params)
    n, read = 30, 0
    for i in range(n):
        s = make_sample(cfg, i)
        (inst,) = s.labels.instances
        crop = Image.fromarray(s.image).convert("L")
        # Tesseract wants taller text than 32 px crops and a quiet border around it
        crop = crop.resize((crop.width * 2, crop.height * 2), Image.BICUBIC)
        crop = ImageOps.expand(crop, 16, fill=int(np.median(np.asarray(crop))))
        read += pytesseract.image_to_string(crop, config="--psm 7").strip() == inst.text
    assert read / n >= MIN_READ_RATE, f"Tesseract read {read} of {n} crops exactly"


def _iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / (aw * ah + bw * bh - inter)


def test_tesseract_word_boxes_overlap_ours_on_a_clean_page(tmp_path):
    import pytesseract

    params = {"skew": 0.0, "ink_darkness": 0.0, "columns": 1, "font_size": "randint(16, 20)"}
    cfg = ocr_config(tmp_path, "document", params)
    ours = found = overlapping = 0
    for i in range(2):
        s = make_sample(cfg, i)
        data = pytesseract.image_to_data(Image.fromarray(s.image), output_type=pytesseract.Output.DICT)
        theirs = [
            (t.strip(), (data["left"][j], data["top"][j], data["width"][j], data["height"][j]))
            for j, t in enumerate(data["text"])
            if t.strip()
        ]
        used: set[int] = set()
        for inst in word_instances(s):
            if not inst.attributes["legible"]:
                continue
            ours += 1
            candidates = [
                (_iou(inst.bbox, box), j) for j, (t, box) in enumerate(theirs) if t == inst.text and j not in used
            ]
            if not candidates:
                continue
            iou, j = max(candidates)
            used.add(j)
            found += 1
            overlapping += iou > 0.5
    assert ours > 100
    assert found / ours >= MIN_FOUND_RATE, f"Tesseract found {found} of our {ours} words"
    assert overlapping / found >= MIN_IOU_RATE, f"only {overlapping} of {found} matched words overlap with IoU > 0.5"
