"""glyph(): FreeType's bitmap of a character as Pillow's public API gives it, with the tight box of
its nonzero pixels, whatever fast path turns Pillow's bitmap into an array."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from synthgen.text import fonts, glyphs

FACES = ["DejaVuSans.ttf", "Kristi.ttf", "CourierPrime.otf", "BebasNeue-Regular.otf"]


def _reference(font_path: str, size: int, ch: str, stroke_width: int, step: int):
    """The bitmap and ink box through Pillow's public API (``np.asarray`` of an Image, numpy's nonzero)."""
    font = fonts.load_font(font_path, size)
    start = (step / glyphs.SUBPIXEL, 0.0)
    core, (x, y) = font.getmask2(ch, mode="L", stroke_width=stroke_width, start=start, anchor="la")
    full = np.asarray(Image.Image()._new(core))
    rows, cols = np.flatnonzero(full.any(axis=1)), np.flatnonzero(full.any(axis=0))
    ink = (0, 0, 0, 0)
    if len(rows):
        ink = (x + int(cols[0]), y + int(rows[0]), x + int(cols[-1]) + 1, y + int(rows[-1]) + 1)
    return full, x, y, ink


@pytest.mark.parametrize("face", FACES)
def test_glyph_bitmaps_and_ink_boxes_are_pillows(face):
    path = str(fonts.bundled_font_dir() / face)
    checked = 0
    for size in (7, 23, 64):
        for ch in "AgQj,.|-W5 ":
            for step in range(glyphs.SUBPIXEL):
                g = glyphs.glyph(path, size, ch, 0, step)
                full, x, y, ink = _reference(path, size, ch, 0, step)
                np.testing.assert_array_equal(g.full, full)
                assert (g.x, g.y, g.ink) == (x, y, ink), (face, size, ch, step)
                assert not g.full.flags.writeable
                checked += 1
    assert checked == 3 * 11 * glyphs.SUBPIXEL


def test_outlined_and_weighted_glyphs_keep_their_ink_boxes():
    path = str(fonts.bundled_font_dir() / "DejaVuSerif.ttf")
    for ch in "ag.":
        plain = glyphs.glyph(path, 30, ch, 0, 1)
        outlined = glyphs.glyph(path, 30, ch, 2, 1)
        _full, _x, _y, ink = _reference(path, 30, ch, 2, 1)
        assert outlined.ink[0] <= plain.ink[0] and outlined.ink[2] >= plain.ink[2]
        # the outline band and the fill together: at least the stroked bitmap's box
        assert outlined.ink[0] <= ink[0] and outlined.ink[2] >= ink[2]
        heavy = glyphs.glyph(path, 30, ch, 0, 1, 0.75)
        ys, xs = np.nonzero(heavy.full)
        assert heavy.ink == (heavy.x + xs.min(), heavy.y + ys.min(), heavy.x + xs.max() + 1, heavy.y + ys.max() + 1)
    space = glyphs.glyph(path, 30, " ", 0, 0)
    assert space.ink == (0, 0, 0, 0)


def test_a_font_without_a_kern_table_kerns_no_pair_and_freetype_is_not_asked(monkeypatch):
    """Pillow's basic layout kerns only from a 'kern' table; 59 of the 75 shipped faces have none,
    and for them ``kerning`` is 0 without loading both glyphs in FreeType."""
    from fontTools.ttLib import TTFont

    pairs = ["AV", "To", "Ty", "LT", "r.", "Wa", "ff", "P,"]
    with_table, without = [], []
    for path in fonts.bundled_fonts():
        with TTFont(path, lazy=True) as font:
            (with_table if "kern" in font else without).append(path)
        assert fonts.has_kern_table(path) == (path in with_table)
    assert len(without) >= 40 and with_table
    for path in without + with_table:
        for size in (11, 32, 80):
            font = fonts.load_font(path, size)
            for a, b in pairs:
                kern = glyphs.kerning(path, size, a, b)
                assert kern == font.getlength(a + b) - font.getlength(a) - font.getlength(b), (path, size, a + b)
    assert any(glyphs.kerning(p, 80, a, b) for p in with_table for a, b in pairs)  # the others do kern
    glyphs.kerning.cache_clear()
    monkeypatch.setattr(fonts, "load_font", lambda *a: pytest.fail("FreeType asked for a font without kerning"))
    try:
        assert glyphs.kerning(without[0], 27, "A", "V") == 0.0
    finally:
        glyphs.kerning.cache_clear()
