"""font_charset: the code points a font maps to a real glyph, read from its cmap by glyph id."""

from __future__ import annotations

import glob
from pathlib import Path

import numpy as np
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


def test_a_run_over_many_fonts_reads_each_cmap_once(tmp_path, monkeypatch):
    """With a cache of 256 charsets, a weighted font draw over more fonts than that (it looks at every
    font's charset when its first pick cannot draw the word) re-read cmaps on every call: 52 s
    instead of 1 s for 200 crops over the 290 fonts under /usr/share/fonts."""
    import fontTools.ttLib

    from synthgen.text.common import pick_font

    source = sorted(fonts.bundled_font_dir().glob("*.ttf"))[0]
    paths = []
    for k in range(300):  # 300 paths of one face: the charset cache is keyed by path
        link = tmp_path / f"face{k:03d}.ttf"
        link.symlink_to(source)
        paths.append(str(link))
    opened = []
    real = fontTools.ttLib.TTFont
    monkeypatch.setattr(fontTools.ttLib, "TTFont", lambda *a, **k: opened.append(a[0]) or real(*a, **k))
    fonts.font_charset.cache_clear()
    weights = tuple([0.5] + [0.5 / 299] * 299)
    rng = np.random.default_rng(0)
    for _ in range(3):
        assert pick_font(tuple(paths), "\u0915", rng, weights) is None  # Devanagari: DejaVu draws none
        assert pick_font(tuple(paths), "word", rng, weights) in paths
    assert sorted(opened) == sorted(paths)  # each read once
    fonts.font_charset.cache_clear()
