"""Fitting a font to a pixel height: the size whose line band, or whose ink of one glyph, is that tall."""

from __future__ import annotations

from synthgen.text import fonts


def font_size_for_height(font_path: str, line_height: float) -> int:
    """The pixel size at which the font's line band (ascent + descent) is ``line_height``."""
    ascent, descent = fonts.load_font(font_path, 100).getmetrics()
    return max(4, int(round(line_height * 100 / (ascent + descent))))


def font_size_for_glyph(font_path: str, ch: str, height: float) -> int | None:
    """The pixel size at which the ink of ``ch`` is ``height`` pixels tall; None when the font
    does not map ``ch`` or draws it without ink."""
    if not fonts.covers(font_path, ch):
        return None
    _, top, _, bottom = fonts.load_font(font_path, 100).getbbox(ch, anchor="ls")
    if bottom <= top:
        return None
    return max(4, int(round(height * 100 / (bottom - top))))
