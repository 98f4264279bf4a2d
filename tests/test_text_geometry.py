"""Glyph layout: pens from cached advances and kerning pairs are exactly Pillow's prefix lengths."""

from __future__ import annotations

import numpy as np
import pytest

from synthgen.text import fonts
from synthgen.text.glyphs import SUBPIXEL, advance, kerning, layout_run

# Pairs that DejaVu kerns ("AV", "To", "LT", "Yo") beside ones it does not, accents and digits.
CHARS = list("AVAWTaToYoLTFPkerning fifl., -'\"ÀéüßŁ0123456789$%€£")


@pytest.mark.parametrize("name", ["DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"])
def test_pens_equal_the_length_of_every_prefix(name):
    path = str(fonts.bundled_font_dir() / name)
    rng = np.random.default_rng(len(name))
    kerned = 0
    for _ in range(150):
        size = int(rng.integers(6, 90))
        text = "".join(rng.choice(CHARS, int(rng.integers(1, 14))))
        font = fonts.load_font(path, size)
        run = layout_run(path, size, text, 0.0, 0)
        # glyph k's pen is the advance of the text before it: getlength(text[:k+1]) - getlength(ch)
        expected = [font.getlength(text[: k + 1]) - font.getlength(ch) for k, ch in enumerate(text) if not ch.isspace()]
        expected = [round(p * SUBPIXEL) / SUBPIXEL for p in expected]
        assert run.pens.tolist() == expected, (size, text)
        assert run.chars == "".join(ch for ch in text if not ch.isspace())
        kerned += sum(kerning(path, size, a, b) != 0 for a, b in zip(text, text[1:]))
        assert advance(path, size, text[0]) == font.getlength(text[0])
    if name != "DejaVuSansMono.ttf":
        assert kerned > 0  # the check covered real kerning pairs
