"""font_charset: the code points a font maps to a real glyph, read from its cmap by glyph id."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from synthgen.text import fonts

SHIPPED = sorted((Path(fonts.__file__).parent / "assets" / "fonts").glob("*.ttf"))
SYSTEM = sorted(glob.glob("/usr/share/fonts/truetype/noto/NotoSans*-Regular.ttf"))[:6]


def _by_glyph_name(path) -> frozenset[int]:
    with TTFont(path, lazy=True, fontNumber=0) as font:
        return frozenset(cp for cp, glyph in (font.getBestCmap() or {}).items() if glyph != ".notdef")


@pytest.mark.parametrize("path", SHIPPED + [Path(p) for p in SYSTEM], ids=lambda p: Path(p).name)
def test_charset_is_the_cmap_without_glyph_0(path):
    got = fonts.font_charset(str(path))
    assert got == _by_glyph_name(path)
    assert len(got) > 50
    if path in SHIPPED:
        assert {ord("A"), ord("z"), ord("0"), ord("é")} <= got
