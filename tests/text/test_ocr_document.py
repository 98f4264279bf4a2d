"""ocr_document: alignment, columns, headings, and word quads that hold the word pixels."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from ocr_helpers import ocr_config, word_instances

from synthgen.engine import make_sample


def _lines(sample):
    by_line: dict[int, list] = {}
    for inst in word_instances(sample):
        by_line.setdefault(inst.attributes["line"], []).append(inst)
    return [v for _, v in sorted(by_line.items())]


def _edges(words):
    return min(w.extensions["text"].quad[:, 0].min() for w in words), max(
        w.extensions["text"].quad[:, 0].max() for w in words
    )


FLAT = {"skew": 0.0, "columns": 1, "heading_probability": 0.0, "paragraph_words": "randint(40, 60)"}


@pytest.mark.parametrize("align", ["left", "right", "justify", "center"])
def test_alignment(tmp_path, align):
    # every justified line stretched (no gap bound: tests/text/test_layout.py checks the bound)
    s = make_sample(ocr_config(tmp_path, "document", {**FLAT, "align": align, "max_justified_gap": 20}), 0)
    blocks: dict[int, list] = {}
    for words in _lines(s):
        blocks.setdefault(words[0].attributes["block"], []).append(_edges(words))
    spread = {"left": [], "right": [], "center": []}
    for edges in blocks.values():
        body = edges[:-1] if align == "justify" else edges  # a justified paragraph's last line is ragged
        for left, right in body:
            spread["left"].append(left)
            spread["right"].append(right)
            spread["center"].append((left + right) / 2)
    # glyph side bearings move the ink a pixel or two off the text column's edge
    if align in ("left", "justify"):
        assert np.ptp(spread["left"]) <= 3
    if align in ("right", "justify"):
        assert np.ptp(spread["right"]) <= 3
    if align == "center":
        assert np.ptp(spread["center"]) <= 3
    if align == "left":
        assert np.ptp(spread["right"]) > 20  # ragged right


def test_two_columns_and_headings(tmp_path):
    params = {"skew": 0.0, "columns": 2, "heading_probability": 1.0, "gutter": 0.05}
    s = make_sample(ocr_config(tmp_path, "document", params), 0)
    xs = np.array([i.extensions["text"].quad[:, 0].mean() for i in word_instances(s)])
    width = s.image.shape[1]
    assert (xs < width / 2).sum() > 20 and (xs > width / 2).sum() > 20
    heights = {"heading": [], "body": []}
    for inst in word_instances(s):
        heights[inst.attributes["role"]].append(
            np.linalg.norm(inst.extensions["text"].quad[3] - inst.extensions["text"].quad[0])
        )
    assert heights["heading"] and np.median(heights["heading"]) > np.median(heights["body"]) * 1.2


def test_skewed_page_quads_hold_the_words(tmp_path):
    s = make_sample(ocr_config(tmp_path, "document", {"skew": 2.0}), 1)
    assert len(word_instances(s)) > 50
    for inst in word_instances(s):
        mask = inst.visible_mask()
        box = np.zeros(mask.shape, np.uint8)
        cv2.fillPoly(box, [np.rint((inst.extensions["text"].quad - 0.5) * 16).astype(np.int32)], 1, cv2.LINE_8, shift=4)
        box = cv2.dilate(box, np.ones((3, 3), np.uint8)).astype(bool)
        assert not (mask & ~box).any(), inst.extensions["text"].transcription
        top = inst.extensions["text"].quad[1] - inst.extensions["text"].quad[0]
        assert np.degrees(np.arctan2(-top[1], top[0])) == pytest.approx(2.0, abs=0.6)
