"""Complex-script text: which runs need shaping, their bidi runs, HarfBuzz shaping into glyph
clusters, and the rasters of those clusters.

Latin, Greek and Cyrillic text keeps Pillow's basic layout (``synthgen.text.glyphs.layout_run``,
byte-identical to earlier releases); a run with a right-to-left character (bidi class R, AL or AN)
or a character of a script that needs shaping (Arabic, Hebrew, Indic, Thai, Lao, Tibetan, Myanmar,
Khmer, combining marks) is shaped here instead:

- the run is one paragraph; its direction is that of its first strong character, and its
  characters get bidi levels by a reduced UAX #9 (strong types, numbers, neutrals between them;
  no explicit embeddings, which ``fonts.strip_invisible`` removes from every corpus anyway);
  the level runs are reordered to visual order (rule L2);
- each level run is shaped by HarfBuzz (``uharfbuzz``; OpenType font functions, so positions are
  unhinted 26.6 design metrics, as Pillow's raqm layout gets them) and cut into clusters: a
  cluster is the glyphs HarfBuzz gives one cluster value, and the characters from that value up
  to the next one (a ligature such as lam-alef, a Devanagari conjunct with its reordered matra, a
  Thai consonant with its marks);
- each glyph is rasterised by FreeType (``freetype-py``) at its pen rounded to the pixel, as
  Pillow's raqm layout draws it; the glyphs of a cluster are composited into one bitmap.

Straight text is composited glyph over glyph as Pillow does (``glyphs.stamp_over``). Measured
against ``ImageDraw.text(..., layout_engine=RAQM)`` on every word of the shipped Arabic, Hebrew,
Hindi and Thai lists with the Noto Sans faces of Debian's fonts-noto-core (and DejaVu Sans for
Arabic) at 17 and 32 px: the same ink pixels, alphas at most 1 level apart (integer rounding of
the compositing). Curved and jittered text takes the maximum of the warped clusters, as Latin does.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

# Scripts that need shaping: (first, last code point, name, OpenType script tags or () when a
# font's character map is enough to draw it).
SCRIPT_RANGES: tuple[tuple[int, int, str, tuple[str, ...]], ...] = (
    (0x0590, 0x05FF, "Hebrew", ()),
    (0xFB1D, 0xFB4F, "Hebrew", ()),
    (0x0600, 0x06FF, "Arabic", ("arab",)),
    (0x0750, 0x077F, "Arabic", ("arab",)),
    (0x0870, 0x08FF, "Arabic", ("arab",)),
    (0xFB50, 0xFDFF, "Arabic", ()),  # presentation forms: already shaped
    (0xFE70, 0xFEFE, "Arabic", ()),
    (0x0700, 0x074F, "Syriac", ("syrc",)),
    (0x0780, 0x07BF, "Thaana", ()),
    (0x07C0, 0x07FF, "NKo", ()),
    (0x0900, 0x097F, "Devanagari", ("dev2", "deva")),
    (0x0980, 0x09FF, "Bengali", ("bng2", "beng")),
    (0x0A00, 0x0A7F, "Gurmukhi", ("gur2", "guru")),
    (0x0A80, 0x0AFF, "Gujarati", ("gjr2", "gujr")),
    (0x0B00, 0x0B7F, "Oriya", ("ory2", "orya")),
    (0x0B80, 0x0BFF, "Tamil", ("tml2", "taml")),
    (0x0C00, 0x0C7F, "Telugu", ("tel2", "telu")),
    (0x0C80, 0x0CFF, "Kannada", ("knd2", "knda")),
    (0x0D00, 0x0D7F, "Malayalam", ("mlm2", "mlym")),
    (0x0D80, 0x0DFF, "Sinhala", ("sinh",)),
    (0x0E00, 0x0E7F, "Thai", ()),
    (0x0E80, 0x0EFF, "Lao", ()),
    (0x0F00, 0x0FFF, "Tibetan", ()),
    (0x1000, 0x109F, "Myanmar", ("mym2", "mymr")),
    (0x1780, 0x17FF, "Khmer", ("khmr",)),
    (0x0300, 0x036F, "combining marks", ()),
    (0x1AB0, 0x1AFF, "combining marks", ()),
    (0x1DC0, 0x1DFF, "combining marks", ()),
    (0x20D0, 0x20FF, "combining marks", ()),
    (0xFE20, 0xFE2F, "combining marks", ()),
    (0x10800, 0x10FFF, "historic right-to-left", ()),
    (0x1E800, 0x1EFFF, "historic right-to-left", ()),
)
_NEEDS = re.compile("[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b, _, _ in SCRIPT_RANGES) + "]")
_RTL_TYPES = ("R", "AL")


def needs_shaping(text: str) -> bool:
    """True when ``text`` holds a character that basic left-to-right layout would draw wrongly."""
    return _NEEDS.search(text) is not None


def script_of(ch: str) -> tuple[str, tuple[str, ...]] | None:
    """The name and OpenType tags of ``ch``'s script when it needs shaping (``SCRIPT_RANGES``), else None."""
    cp = ord(ch)
    for first, last, name, tags in SCRIPT_RANGES:
        if first <= cp <= last:
            return name, tags
    return None


def scripts_in(text: str) -> dict[str, tuple[str, ...]]:
    """The scripts of ``text`` that need shaping, name -> OpenType tags."""
    out: dict[str, tuple[str, ...]] = {}
    for ch in text:
        s = script_of(ch)
        if s is not None and s[0] not in out:
            out[s[0]] = s[1]
    return out


def missing_library() -> str | None:
    """None when the shaping libraries import, else what to install."""
    try:
        import freetype  # noqa: F401
        import uharfbuzz  # noqa: F401
    except ImportError:
        return "pip install 'synthgen-cv[scripts]' (uharfbuzz and freetype-py)"
    return None


@functools.lru_cache(maxsize=1024)
def font_shapes(path: str, tags: tuple[str, ...]) -> bool:
    """True when the font's GSUB table has one of the OpenType script ``tags`` (True for no tags)."""
    if not tags:
        return True
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True, fontNumber=0) as font:
        if "GSUB" not in font:
            return False
        records = font["GSUB"].table.ScriptList.ScriptRecord if font["GSUB"].table.ScriptList else []
        return any(r.ScriptTag in tags for r in records)


# --- bidi -------------------------------------------------------------------------------------


def paragraph_rtl(text: str) -> bool:
    """True when the first strong character of ``text`` is right-to-left (UAX #9 rules P2, P3)."""
    for ch in text:
        t = unicodedata.bidirectional(ch)
        if t == "L":
            return False
        if t in _RTL_TYPES:
            return True
    return False


def bidi_levels(text: str) -> tuple[bool, list[int]]:
    """The paragraph direction and each character's embedding level (reduced UAX #9, see module doc)."""
    rtl = paragraph_rtl(text)
    base = 1 if rtl else 0
    types = []
    last_strong = "R" if rtl else "L"
    for ch in text:
        t = unicodedata.bidirectional(ch)
        if t == "NSM":  # W1: a mark takes the type of what it marks
            t = types[-1] if types else ("R" if rtl else "L")
        if t == "AL":
            last_strong, t = "AL", "R"
        elif t in ("L", "R"):
            last_strong = t
        elif t == "EN":  # W2, W7: European digits after Arabic letters are Arabic numbers; after L, L
            t = "AN" if last_strong == "AL" else ("L" if last_strong == "L" else "EN")
        types.append(t)
    # N1/N2: a run of neutrals between two characters of one direction takes it (numbers count as
    # R), else the paragraph's direction.
    strong = {"L": "L", "R": "R", "EN": "R", "AN": "R"}
    n = len(types)
    resolved = list(types)
    k = 0
    while k < n:
        if types[k] in strong:
            k += 1
            continue
        j = k
        while j < n and types[j] not in strong:
            j += 1
        before = strong[types[k - 1]] if k > 0 else ("R" if rtl else "L")
        after = strong[types[j]] if j < n else ("R" if rtl else "L")
        fill = before if before == after else ("R" if rtl else "L")
        for i in range(k, j):
            resolved[i] = fill
        k = j
    levels = []
    for t in resolved:  # I1, I2
        if base == 0:
            levels.append({"L": 0, "R": 1, "AN": 2, "EN": 2}[t])
        else:
            levels.append({"L": 2, "R": 1, "AN": 2, "EN": 2}[t])
    return rtl, levels


def visual_runs(text: str) -> tuple[bool, list[tuple[int, int, bool]]]:
    """The paragraph direction and the level runs ``(start, end, rtl)`` of ``text`` in visual order."""
    rtl, levels = bidi_levels(text)
    runs: list[tuple[int, int, int]] = []
    for i, lv in enumerate(levels):
        if runs and runs[-1][2] == lv:
            runs[-1] = (runs[-1][0], i + 1, lv)
        else:
            runs.append((i, i + 1, lv))
    top = max(levels, default=0)
    lowest_odd = 1
    for level in range(top, lowest_odd - 1, -1):  # L2: reverse every sequence at >= level
        k = 0
        while k < len(runs):
            if runs[k][2] >= level:
                j = k
                while j < len(runs) and runs[j][2] >= level:
                    j += 1
                runs[k:j] = runs[k:j][::-1]
                k = j
            else:
                k += 1
    return rtl, [(a, b, lv % 2 == 1) for a, b, lv in runs]


# --- shaping ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cluster:
    """One glyph cluster of a shaped run.

    Attributes:
        first, last: the characters it draws, ``text[first:last]`` (logical order).
        pen: x of its origin in 26.6 fixed point (1/64 px) from the start of the run.
        advance: its advance in 26.6 fixed point.
        glyphs: ``(glyph id, dx, dy)`` per glyph, in drawing order; dx, dy in 26.6 from ``pen``
            on the baseline (y up, as HarfBuzz gives it).
    """

    first: int
    last: int
    pen: int
    advance: int
    glyphs: tuple[tuple[int, int, int], ...]


@dataclass(frozen=True)
class ShapedRun:
    """A run shaped into clusters, in visual order (left to right on the page).

    Attributes:
        text: the run, logical order.
        rtl: the paragraph direction is right to left.
        clusters: the clusters left to right.
        advance: the run's advance in 26.6 fixed point.
    """

    text: str
    rtl: bool
    clusters: tuple[Cluster, ...]
    advance: int


@functools.lru_cache(maxsize=64)
def _hb_font(path: str, size: int):
    import uharfbuzz as hb

    font = hb.Font(hb.Face(hb.Blob.from_file_path(path)))
    font.scale = (size * 64, size * 64)  # positions in 26.6 pixels
    return font


@functools.lru_cache(maxsize=4096)
def shape(path: str, size: int, text: str) -> ShapedRun:
    """``text`` shaped with the font at ``path`` at ``size`` px (see the module doc)."""
    import uharfbuzz as hb

    font = _hb_font(path, size)
    rtl, runs = visual_runs(text)
    clusters: list[Cluster] = []
    x = 0
    for start, end, run_rtl in runs:
        buf = hb.Buffer()
        buf.add_codepoints([ord(c) for c in text[start:end]])
        buf.direction = "rtl" if run_rtl else "ltr"
        buf.guess_segment_properties()
        hb.shape(font, buf, {})
        infos, positions = buf.glyph_infos, buf.glyph_positions
        values = sorted({info.cluster for info in infos})
        # the characters of a cluster: from its value up to the next value (or the run's end)
        ends = {v: (values[i + 1] if i + 1 < len(values) else end - start) for i, v in enumerate(values)}
        k = 0
        while k < len(infos):
            value = infos[k].cluster
            pen, glyphs = x, []
            while k < len(infos) and infos[k].cluster == value:
                pos = positions[k]
                glyphs.append((int(infos[k].codepoint), x - pen + pos.x_offset, pos.y_offset))
                x += pos.x_advance
                k += 1
            clusters.append(Cluster(start + value, start + ends[value], pen, x - pen, tuple(glyphs)))
    return ShapedRun(text, rtl, tuple(clusters), x)


def advance(path: str, size: int, text: str) -> float:
    """The shaped advance of ``text`` in pixels."""
    return shape(path, size, text).advance / 64


# --- rasters ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _ft_face(path: str, size: int):
    import freetype

    face = freetype.Face(path)
    face.set_pixel_sizes(0, size)
    return face


def _glyph_bitmaps(path: str, size: int, gid: int, stroke_width: int) -> tuple[tuple[np.ndarray, int, int], ...]:
    """FreeType's fill (and, with ``stroke_width``, outline band) alpha of glyph ``gid``, each with
    its left and top bearing (top: pixels above the baseline), as Pillow renders glyphs."""
    import freetype

    face = _ft_face(path, size)
    face.load_glyph(gid, freetype.FT_LOAD_DEFAULT)
    out = []
    g = face.glyph.get_glyph()
    fill = g.to_bitmap(freetype.FT_RENDER_MODE_NORMAL, freetype.Vector(0, 0))
    out.append((_alpha(fill.bitmap), fill.left, fill.top))
    if stroke_width:
        stroker = freetype.Stroker()
        stroker.set(stroke_width * 64, freetype.FT_STROKER_LINECAP_ROUND, freetype.FT_STROKER_LINEJOIN_ROUND, 0)
        face.load_glyph(gid, freetype.FT_LOAD_DEFAULT)
        band = face.glyph.get_glyph()
        band.stroke(stroker, True)
        bm = band.to_bitmap(freetype.FT_RENDER_MODE_NORMAL, freetype.Vector(0, 0))
        out.append((_alpha(bm.bitmap), bm.left, bm.top))
    return tuple(out)


def _alpha(bitmap) -> np.ndarray:
    if not bitmap.rows or not bitmap.width:
        return np.zeros((0, 0), np.uint8)
    return np.array(bitmap.buffer, np.uint8).reshape(bitmap.rows, bitmap.pitch)[:, : bitmap.width]


def _over(dst: np.ndarray, src: np.ndarray) -> None:
    """``src`` composited over ``dst`` in place (Pillow's rule for glyphs of one run)."""
    d = dst.astype(np.int32)
    s = src.astype(np.int32)
    dst[...] = np.clip(s + d * (255 - s) // 255, 0, 255)


def cluster_alphas(
    path: str, size: int, parts: tuple[tuple[int, int, int], ...], ascent: int, stroke_width: int = 0
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """The full (fill and outline) and fill alphas of a cluster's glyphs.

    Args:
        parts: ``(glyph id, x, y)`` per glyph: its pen in whole pixels from the cluster's pen on
            the ascender line (y down).
        ascent: the font's ascent in pixels (the baseline's y).

    Returns:
        full, fill: (h, w) uint8; x, y: their top-left from the cluster's pen on the ascender line.
    """
    pieces = []  # (alpha, x, y, is_fill)
    for gid, px, py in parts:
        bitmaps = _glyph_bitmaps(path, size, gid, stroke_width)
        for n, (a, left, top) in enumerate(bitmaps):
            if a.size:
                pieces.append((a, px + left, py + ascent - top, n == 0))
    if not pieces:
        empty = np.zeros((0, 0), np.uint8)
        return empty, empty, 0, 0
    x0 = min(p[1] for p in pieces)
    y0 = min(p[2] for p in pieces)
    x1 = max(p[1] + p[0].shape[1] for p in pieces)
    y1 = max(p[2] + p[0].shape[0] for p in pieces)
    full = np.zeros((y1 - y0, x1 - x0), np.uint8)
    fill = np.zeros_like(full) if stroke_width else full
    for a, x, y, is_fill in pieces:
        h, w = a.shape
        _over(full[y - y0 : y - y0 + h, x - x0 : x - x0 + w], a)
        if stroke_width and is_fill:
            _over(fill[y - y0 : y - y0 + h, x - x0 : x - x0 + w], a)
    return full, fill, x0, y0
