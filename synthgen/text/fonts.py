"""TrueType fonts and word corpora shared by the text scene builders and the text renderer.

Fonts are drawn with Pillow's BASIC layout (FreeType, with kerning) so that glyph positions do
not depend on whether the machine's Pillow was built with libraqm.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from synthgen.errors import ConfigError

FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
SYSTEM_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".fonts"))


def bundled_font_dir() -> Path:
    """The folder of fonts shipped with synthgen (DejaVu, see LICENSE-DejaVu.txt there)."""
    return Path(str(resources.files("synthgen.text") / "assets" / "fonts"))


def bundled_corpus() -> Path:
    return Path(str(resources.files("synthgen.text") / "assets" / "corpus" / "words_en.txt"))


def discover_fonts(paths: Iterable[str], key: str) -> list[str]:
    """Font files named by ``paths`` (files or folders, searched recursively), sorted.

    Raises ConfigError naming ``key`` for a path that does not exist, a folder with no fonts, or a
    file FreeType cannot open.
    """
    found: list[str] = []
    for i, raw in enumerate(paths):
        path = Path(raw).expanduser()
        where = f"{key}[{i}]"
        if not path.exists():
            raise ConfigError(where, f"font path not found: {raw}")
        if path.is_dir():
            files = sorted(str(p) for p in path.rglob("*") if p.suffix.lower() in FONT_SUFFIXES)
            if not files:
                raise ConfigError(where, f"no .ttf/.otf/.ttc fonts in folder {raw}")
        else:
            files = [str(path)]
        for f in files:
            check_font(f, where)
        found.extend(files)
    return sorted(set(found))


def system_fonts() -> list[str]:
    files: set[str] = set()
    for d in SYSTEM_FONT_DIRS:
        root = Path(d)
        if root.is_dir():
            files.update(str(p) for p in root.rglob("*") if p.suffix.lower() in FONT_SUFFIXES)
    return sorted(files)


def check_font(path: str, key: str) -> None:
    """Raise ConfigError if FreeType cannot load ``path`` or it maps no characters."""
    try:
        load_font(path, 12)
        if not font_charset(path):
            raise ConfigError(key, f"font has no character map: {path}")
    except (OSError, ValueError) as exc:
        raise ConfigError(key, f"cannot load font {path}: {exc}") from None


@functools.lru_cache(maxsize=512)
def load_font(path: str, size: int):
    """A Pillow FreeTypeFont at ``size`` pixels (cached per process)."""
    from PIL import ImageFont

    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)


@functools.lru_cache(maxsize=256)
def font_charset(path: str) -> frozenset[int]:
    """Code points the font maps to a real glyph (from its cmap; glyph 0, the tofu box, excluded)."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True, fontNumber=0) as font:
        cmap = font.getBestCmap() or {}
        return frozenset(cp for cp, glyph in cmap.items() if glyph != ".notdef")


def covers(path: str, text: str) -> bool:
    """True when the font can draw every non-whitespace character of ``text``."""
    charset = font_charset(path)
    return all(ch.isspace() or ord(ch) in charset for ch in text)


def load_words(path: str, key: str) -> list[str]:
    """Whitespace-separated words of a UTF-8 text file; ConfigError naming ``key`` if unusable."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise ConfigError(key, f"corpus file not found: {path}")
    try:
        words = p.read_text(encoding="utf-8").split()
    except UnicodeDecodeError as exc:
        raise ConfigError(key, f"corpus file is not UTF-8 text: {path} ({exc.reason})") from None
    if not words:
        raise ConfigError(key, f"corpus file has no words: {path}")
    return words
