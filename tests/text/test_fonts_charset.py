"""font_charset: the code points a font maps to a real glyph, read from its cmap by glyph id."""

from __future__ import annotations

import glob
from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTFont

from synthgen.text import fonts

SHIPPED = [Path(p) for p in fonts.bundled_fonts()]
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
        assert {ord("A"), ord("z"), ord("0")} <= got


@pytest.mark.slow  # a run over every bundled and system font
def test_a_run_over_many_fonts_reads_each_cmap_once(tmp_path, monkeypatch):
    """With a cache of 256 charsets, a weighted font draw over more fonts than that (it looks at every
    font's charset when its first pick cannot draw the word) re-read cmaps on every call: 52 s
    instead of 1 s for 200 crops over the 290 fonts under /usr/share/fonts."""
    import fontTools.ttLib

    from synthgen.text.font_choice import pick_font

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


# The faces of the Debian packages docs/ocr.md recommends that draw lower case as capitals (their
# lower-case code points hold a second set of capitals, not copies: names and cmaps do not tell).
UNICASE_FACES = {
    "Humor-Sans.ttf", "Beteckna.ttf", "MarkedFool.ttf", "Winks.ttf",
    *(f"BecauseWe{w}-Regular.otf" for w in ("Build", "Connect", "Create", "Learn", "Mentor", "Organize")),
}
RECOMMENDED_PACKAGES = (
    "fonts-liberation", "fonts-urw-base35", "fonts-dejavu-core", "fonts-noto-core", "fonts-sil-andika",
    "fonts-sil-gentium", "fonts-comic-neue", "fonts-dustin", "fonts-beteckna", "fonts-dkg-handwriting",
    "fonts-breip", "fonts-femkeklaver", "fonts-rufscript", "fonts-sjfonts", "fonts-humor-sans", "fonts-bwht",
)


def _package_faces() -> list[Path]:
    import subprocess

    faces = []
    for package in RECOMMENDED_PACKAGES:
        listed = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True)
        faces += [Path(line) for line in listed.stdout.splitlines() if line.endswith((".ttf", ".otf"))]
    return sorted({p for p in faces if p.is_file() and not p.is_symlink()})


def test_unicase_faces_are_found_from_their_outlines_among_the_recommended_fonts():
    faces = _package_faces()
    if not any(p.name in UNICASE_FACES for p in faces):
        pytest.skip("the recommended Debian font packages are not installed (scripts/setup.sh installs them)")
    latin = [p for p in faces if all(fonts.covers(str(p), c) for c in "abdhnoHEIT")]
    found = {p.name for p in latin if fonts.is_unicase(str(p))}
    # URW's Dingbats maps a..z to ornaments of one height: no lower case to mislabel as such
    assert found - {"D050000L.otf"} == UNICASE_FACES & {p.name for p in faces}, found
    assert len(latin) > 100
