"""TrueType fonts and word corpora shared by the text scene builders and the text renderer.

Fonts are drawn with Pillow's BASIC layout (FreeType, with kerning) so that glyph positions do
not depend on whether the machine's Pillow was built with libraqm.
"""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from synthgen.errors import ConfigError
from synthgen.paths import refused_location
from synthgen.text import shaping

FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
SYSTEM_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".fonts"))


def bundled_font_dir() -> Path:
    """The folder of fonts shipped with synthgen (``manifest.json`` there lists them, with their
    licences under ``licenses/``; built by scripts/pack_fonts.py)."""
    return Path(str(resources.files("synthgen.text") / "assets" / "fonts"))


# the classes of the shipped font set (manifest.json's "class" of each family)
FONT_CLASSES = ("serif", "sans", "mono", "condensed", "display", "handwriting")


@dataclass(frozen=True)
class BundledFace:
    """One face of the shipped font set.

    Attributes:
        path: the font file.
        family: its family name in the manifest.
        font_class: one of ``FONT_CLASSES``.
        weight: its sampling weight: the family's weight split evenly over the family's faces.
        sha256: the file's hash as packed.
    """

    path: str
    family: str
    font_class: str
    weight: float
    sha256: str


@functools.cache
def _manifest() -> dict:
    return json.loads((bundled_font_dir() / "manifest.json").read_text(encoding="utf-8"))


@functools.cache
def bundled_faces() -> tuple[BundledFace, ...]:
    """The faces of the shipped font set, in file-name order (from the folder's manifest.json)."""
    folder = bundled_font_dir()
    manifest = _manifest()
    faces = [
        BundledFace(
            str(folder / face["file"]), fam["family"], fam["class"], fam["weight"] / len(fam["faces"]), face["sha256"]
        )
        for fam in manifest["families"]
        for face in fam["faces"]
    ]
    return tuple(sorted(faces, key=lambda f: f.path))


@functools.cache
def _packed_faces() -> dict[str, dict]:
    """Path -> the manifest.json entry of each face of the shipped set that records its tables
    (``charset``, ``unicase``, ``kern``)."""
    folder = bundled_font_dir()
    return {
        str(folder / face["file"]): face
        for fam in _manifest()["families"]
        for face in fam["faces"]
        if all(k in face for k in ("charset", "unicase", "kern"))
    }


def format_ranges(codepoints: Iterable[int]) -> str:
    """Code points as ranges of hex numbers, ``"20-7e a0-17f 2013"`` (inverse of ``parse_ranges``)."""
    out: list[str] = []
    points = sorted(codepoints)
    k = 0
    while k < len(points):
        first = last = points[k]
        while k + 1 < len(points) and points[k + 1] == last + 1:
            k += 1
            last = points[k]
        out.append(f"{first:x}" if first == last else f"{first:x}-{last:x}")
        k += 1
    return " ".join(out)


def parse_ranges(text: str) -> frozenset[int]:
    """The code points of ``format_ranges``' text."""
    points: list[int] = []
    for part in text.split():
        first, _, last = part.partition("-")
        points.extend(range(int(first, 16), int(last or first, 16) + 1))
    return frozenset(points)


def bundled_class(path: str) -> str | None:
    """The class (``FONT_CLASSES``) of a face of the shipped set; None for any other font."""
    return _classes().get(path)


@functools.cache
def _classes() -> dict[str, str]:
    return {face.path: face.font_class for face in bundled_faces()}


def bundled_fonts() -> list[str]:
    """The font files of the shipped set (sorted paths)."""
    return [face.path for face in bundled_faces()]


BUILTIN_LANGUAGES = ("en", "ar", "he", "hi", "th")  # assets/corpus/words_<code>.txt (English: .tsv.gz)


def bundled_corpus(language: str = "en") -> Path:
    """The word list shipped for ``language`` (one of ``BUILTIN_LANGUAGES``): English is wordfreq's
    50,000 most frequent Latin-script words with their frequencies (``words_en.tsv.gz``, built by
    scripts/build_corpus.py), the others short plain lists."""
    folder = resources.files("synthgen.text") / "assets" / "corpus"
    name = "words_en.tsv.gz" if language == "en" else f"words_{language}.txt"
    return Path(str(folder / name))


@functools.cache
def _builtin_table(path: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    with open(path, "rb") as fh:
        text = gzip.decompress(fh.read()).decode("utf-8")
    rows = [line for line in text.split("\n") if line and not line.startswith("#")]
    # word<TAB>frequency on every row: one split of the whole table, not one per row (half the
    # ~60 ms the 50,000 rows took to parse at every start-up)
    cells = "\t".join(rows).split("\t")
    if len(cells) != 2 * len(rows):
        raise ValueError(f"{path}: every row must be word<TAB>frequency")
    return tuple(cells[0::2]), tuple(map(float, cells[1::2]))


def builtin_frequencies(language: str = "en") -> dict[str, float]:
    """Word -> frequency (per word of running text) of a shipped list that has them (English); empty otherwise."""
    path = bundled_corpus(language)
    if not path.name.endswith(".tsv.gz"):
        return {}
    words, freqs = _builtin_table(str(path))
    return dict(zip(words, freqs))


def builtin_corpora(value: bool | str, key: str) -> list[Path]:
    """The shipped word lists a ``corpus.builtin`` value names: true = English, false = none, or
    language codes separated by commas or spaces (``"ar, he, hi, th"``); ConfigError naming ``key``
    for an unknown code."""
    if isinstance(value, bool):
        return [bundled_corpus()] if value else []
    codes = [c for c in str(value).replace(",", " ").split() if c]
    for code in codes:
        if code not in BUILTIN_LANGUAGES:
            valid = ", ".join(BUILTIN_LANGUAGES)
            raise ConfigError(key, f"no built-in word list {code!r}; valid: true, false or codes of {valid}")
    return [bundled_corpus(code) for code in dict.fromkeys(codes)]


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
            files = sorted(str(p) for p in path.rglob("*") if p.suffix.lower() in FONT_SUFFIXES and p.is_file())
            if not files:
                raise ConfigError(where, f"no .ttf/.otf/.ttc fonts in folder {raw}")
        elif not path.is_file():  # a FIFO or a device would block or never end
            raise ConfigError(where, f"font path is not a regular file: {raw}")
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


# Unbounded: one entry a font of the run (the fonts a config names, read once per worker). With
# 256 entries, a run over more fonts than that re-read cmaps all the time: fonts.weights or
# per_family on the 290 fonts under /usr/share/fonts made 200 recognition crops take 52 s, not 1 s
# (a weighted draw of a font that cannot draw the word looks at every font's charset).
@functools.cache
def font_charset(path: str) -> frozenset[int]:
    """Code points the font maps to a real glyph (from its cmap; glyph 0, the tofu box, excluded).

    A face of the shipped set has them in manifest.json (``charset``, written by
    scripts/pack_fonts.py from ``read_charset``): no font file is parsed at start-up for them.
    """
    packed = _packed_faces().get(path)
    if packed is not None:
        return parse_ranges(packed["charset"])
    return read_charset(path)


@functools.cache
def has_kern_table(path: str) -> bool:
    """Whether the font has a 'kern' table: the only kerning FreeType gives Pillow's basic layout
    (``FT_HAS_KERNING``; GPOS kerning is a shaping engine's), so in a font without one every pair
    of characters kerns by 0 and ``glyphs.kerning`` need not ask FreeType (59 of the 75 shipped
    faces; for those, manifest.json's ``kern`` says so without opening the file)."""
    packed = _packed_faces().get(path)
    if packed is not None:
        return bool(packed["kern"])
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True, fontNumber=0) as font:
        return "kern" in font


def read_charset(path: str) -> frozenset[int]:
    """``font_charset`` read from the font file's cmap (fontTools)."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True, fontNumber=0) as font:
        # glyphs named by index: the cmap maps to glyph ids, and fontTools would otherwise decode
        # the 'post' table's names for every glyph first (60 % of the time, on DejaVu)
        font.setGlyphOrder([".notdef", *(f"glyph{i}" for i in range(1, font["maxp"].numGlyphs))])
        cmap = font.getBestCmap() or {}
        return frozenset(cp for cp, glyph in cmap.items() if glyph != ".notdef")


# Letters of the x-height and with ascenders, whose heights tell a real lower case from capitals.
X_HEIGHT_LETTERS = "acemnorsuvwxz"
ASCENDER_LETTERS = "bdhkl"
# Ascender letters / x-height letters, medians of their heights above the baseline, measured on
# the 151 Latin faces of the Debian packages docs/ocr.md recommends: 0.92-1.10 for the faces that
# draw lower case as capitals (Beteckna, MarkedFool, Winks, Humor Sans, the six BecauseWe*), 1.24
# or more for every real lower case (femkeklaver and It_wasn_t_me, handwriting, lowest).
UNICASE_ASCENDER_RATIO = 1.17


@functools.lru_cache(maxsize=1024)
def is_unicase(path: str) -> bool:
    """True for a face that draws its lower-case letters as capitals: all caps, unicase, small caps,
    or a handwriting face whose 'lower case' is a second set of capitals (Humor Sans, fonts-bwht).

    ``measure_unicase``'s verdict; for a face of the shipped set, as manifest.json records it
    (``unicase``, written by scripts/pack_fonts.py), so start-up measures no outlines.
    """
    packed = _packed_faces().get(path)
    if packed is not None:
        return bool(packed["unicase"])
    return measure_unicase(path)


def measure_unicase(path: str) -> bool:
    """``is_unicase`` measured from the glyph outlines (FreeType's boxes at 100 px): in a real lower case the
    ascender letters (b d h k l) stand well above the x-height letters (a c e m n o ...); drawn as
    capitals or small capitals, they stand no taller. The shapes of the glyphs are not compared:
    such faces draw a lower-case code point as another capital glyph, not a copy of the capital.
    """
    import numpy as np

    font = load_font(path, 100)

    def heights(letters: str) -> list[float]:
        out = []
        for ch in letters:
            if covers(path, ch):
                left, top, right, bottom = font.getbbox(ch, anchor="ls")
                if bottom > top:
                    out.append(-float(top))  # height above the baseline
        return out

    x_height, ascenders = heights(X_HEIGHT_LETTERS), heights(ASCENDER_LETTERS)
    if len(x_height) < 3 or len(ascenders) < 2 or np.median(x_height) <= 0:
        return False  # no lower case to speak of: nothing to mislabel
    return float(np.median(ascenders) / np.median(x_height)) < UNICASE_ASCENDER_RATIO


def draws(path: str, text: str) -> bool:
    """True when the font draws ``text`` as written: it covers it (``covers``), and where ``text``
    has lower case, the face is not one that draws lower case as capitals (``is_unicase``), so the
    label matches the pixels."""
    return covers(path, text) and (text == text.upper() or not is_unicase(path))


def covers(path: str, text: str) -> bool:
    """True when the font can draw every non-whitespace character of ``text``, and shape it where
    its script needs the font's own substitutions (Arabic joining forms, Indic conjuncts: the
    font's GSUB table lists the script, ``shaping.font_shapes``)."""
    charset = font_charset(path)
    if not all(ch.isspace() or ord(ch) in charset for ch in text):
        return False
    if shaping.needs_shaping(text):
        return all(shaping.font_shapes(path, tags) for tags in shaping.scripts_in(text).values())
    return True


MAX_CORPUS_BYTES = 64 * 2**20
MAX_WORD_CHARS = 200  # a longer "word" is not text to draw (and would need a canvas of its length)
# Zero-width and bidi-control characters (and the soft hyphen, and C0/C1 controls): invisible in a
# rendered word, so a transcription that kept them would not match the image.
INVISIBLE = "".join(
    [chr(c) for c in range(0x200B, 0x2010)]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\ufeff", "\u00ad", "\u2060"]
    + [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))]
)
_DROP_INVISIBLE = str.maketrans("", "", INVISIBLE)


def strip_invisible(words: Iterable[str]) -> list[str]:
    """``words`` without zero-width, bidi-control and control characters; words left empty are dropped."""
    cleaned = (w.translate(_DROP_INVISIBLE) for w in words)
    return [w for w in cleaned if w]


def load_words(path: str, key: str) -> list[str]:
    """Whitespace-separated words of a UTF-8 text file; ConfigError naming ``key`` if unusable.

    The file must be a regular file of at most 64 MiB outside system locations
    (``synthgen.paths.REFUSED_DIRS``: /etc, /proc, ~/.ssh and the like); errors name the file,
    never its contents. Invisible characters are stripped from the words (``strip_invisible``).
    """
    p = Path(path).expanduser()
    if p.name.endswith(".tsv.gz") and p.parent == bundled_corpus().parent:
        return list(_builtin_table(str(p))[0])  # a shipped frequency list (word<TAB>frequency)
    name = p.name or str(path)
    folder = refused_location(p)
    if folder is not None:
        raise ConfigError(key, f"refusing to read a corpus file under {folder}: {name}")
    if not p.exists():
        raise ConfigError(key, f"corpus file not found: {path}")
    if not p.is_file():
        raise ConfigError(key, f"corpus file is not a regular file: {path}")
    try:
        size = p.stat().st_size
        if size > MAX_CORPUS_BYTES:
            raise ConfigError(key, f"corpus file is larger than 64 MiB ({size / 2**20:.0f} MiB): {path}")
        data = p.read_bytes()
    except OSError as exc:
        raise ConfigError(key, f"cannot read corpus file {path}: {exc.strerror or type(exc).__name__}") from None
    try:
        words = strip_invisible(data.decode("utf-8").split())
    except UnicodeDecodeError as exc:
        raise ConfigError(key, f"corpus file is not UTF-8 text: {path} ({exc.reason})") from None
    if not words:
        raise ConfigError(key, f"corpus file has no words: {path}")
    longest = max(len(w) for w in words)
    if longest > MAX_WORD_CHARS:
        raise ConfigError(key, f"corpus file holds a word of {longest:,} characters (at most {MAX_WORD_CHARS}): {path}")
    return words
