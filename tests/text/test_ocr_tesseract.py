"""Legibility checked by an independent reader: Tesseract reads our clean renders and finds our words.

Needs the ``tesseract`` binary (``apt-get install tesseract-ocr tesseract-ocr-eng``) and the
``pytesseract`` package (the ``test`` extra).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from ocr_helpers import ocr_config
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
# clean pages, 228 of 228 legible words found, every match with IoU > 0.95 (median 0.98), and 41 of
# 41 text lines read exactly (Tesseract's block/paragraph/line grouping), every one with IoU > 0.98
# against our line box (median 0.998).
MIN_READ_RATE = 0.85
MIN_FOUND_RATE = 0.85
MIN_IOU_RATE = 0.9
MIN_LINE_FOUND_RATE = 0.8  # a line is read exactly only if each of its words is


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
        read += pytesseract.image_to_string(crop, config="--psm 7").strip() == inst.extensions["text"].transcription
    assert read / n >= MIN_READ_RATE, f"Tesseract read {read} of {n} crops exactly"


def _iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / (aw * ah + bw * bh - inter)


def _tesseract_lines(data: dict) -> list[tuple[str, tuple[int, int, int, int]]]:
    """Tesseract's text lines: (words joined by spaces, box around them), in its reading order."""
    lines: dict[tuple[int, int, int], list[int]] = {}
    for j, t in enumerate(data["text"]):
        if t.strip():
            lines.setdefault((data["block_num"][j], data["par_num"][j], data["line_num"][j]), []).append(j)
    out = []
    for members in lines.values():
        x0 = min(data["left"][j] for j in members)
        y0 = min(data["top"][j] for j in members)
        x1 = max(data["left"][j] + data["width"][j] for j in members)
        y1 = max(data["top"][j] + data["height"][j] for j in members)
        out.append((" ".join(data["text"][j].strip() for j in members), (x0, y0, x1 - x0, y1 - y0)))
    return out


def _matches(ours, theirs) -> tuple[int, int]:
    """(how many of ``ours`` Tesseract read exactly, how many of those overlap its box with IoU > 0.5)."""
    used: set[int] = set()
    found = overlapping = 0
    for inst in ours:
        candidates = [
            (_iou(inst.bbox, box), j) for j, (t, box) in enumerate(theirs) if t == inst.extensions["text"].transcription and j not in used
        ]
        if not candidates:
            continue
        iou, j = max(candidates)
        used.add(j)
        found += 1
        overlapping += iou > 0.5
    return found, overlapping


def test_tesseract_word_and_line_boxes_overlap_ours_on_a_clean_page(tmp_path):
    import pytesseract

    params = {"skew": 0.0, "ink_darkness": 0.0, "columns": 1, "font_size": "randint(16, 20)"}
    cfg = ocr_config(tmp_path, "document", params)
    counts = {"word": [0, 0, 0], "line": [0, 0, 0]}  # ours, read exactly, overlapping
    for i in range(2):
        s = make_sample(cfg, i)
        data = pytesseract.image_to_data(Image.fromarray(s.image), output_type=pytesseract.Output.DICT)
        words = [
            (t.strip(), (data["left"][j], data["top"][j], data["width"][j], data["height"][j]))
            for j, t in enumerate(data["text"])
            if t.strip()
        ]
        for level, theirs in (("word", words), ("line", _tesseract_lines(data))):
            ours = [inst for inst in s.labels.instances if inst.category == level and inst.attributes["legible"]]
            found, overlapping = _matches(ours, theirs)
            counts[level] = [a + b for a, b in zip(counts[level], (len(ours), found, overlapping))]
    (ours, found, overlapping), (lines, lines_found, lines_overlapping) = counts["word"], counts["line"]
    assert ours > 100 and lines > 20
    assert found / ours >= MIN_FOUND_RATE, f"Tesseract found {found} of our {ours} words"
    assert overlapping / found >= MIN_IOU_RATE, f"only {overlapping} of {found} matched words overlap with IoU > 0.5"
    assert lines_found / lines >= MIN_LINE_FOUND_RATE, f"Tesseract read {lines_found} of our {lines} lines exactly"
    assert lines_overlapping / lines_found >= MIN_IOU_RATE, f"only {lines_overlapping} of {lines_found} lines overlap"
