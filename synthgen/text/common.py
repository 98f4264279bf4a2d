"""Pieces shared by the text scenes: charsets, cases, fonts and corpus resolution, colours
with a contrast constraint, and fitting a font to a pixel height."""

from __future__ import annotations

import functools
import math
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional, Union

import numpy as np

from synthgen.backgrounds.colors import LUMA, luminance
from synthgen.errors import ConfigError
from synthgen.text import fonts
from synthgen.text.items import TextItem

CASES = ("lower", "upper", "title", "as_is")
PUNCTUATION = ".,:;!?'\"()-/&%+*#@$"
CHARSETS = {
    "digits": string.digits,
    "upper": string.ascii_uppercase,
    "lower": string.ascii_lowercase,
    "alnum": string.ascii_letters + string.digits,
    "latin": string.ascii_letters + string.digits + PUNCTUATION + " ",
    "plates": string.ascii_uppercase + string.digits + "- ",
    "ascii": "".join(chr(c) for c in range(32, 127)),
}


@dataclass
class FontsSchema:
    paths: list[str] = field(default_factory=list)  # font files or folders (searched recursively)
    bundled: bool = True  # the DejaVu fonts shipped with synthgen
    system: bool = False  # every font under the system font folders
    # relative weights of fonts: key = a font's file name, a folder (every font under it) or a
    # family name (FreeType's); fonts no key names weigh 1, and a font named by several keys gets
    # their product. ocr_recognition only.
    weights: dict[str, float] = field(default_factory=dict)
    per_family: bool = False  # each family weighs the same in total, however many files it has
    # attributes.font (file name) and attributes.font_size (the pixel size it was drawn at) on each
    # text instance, and in the recognition writer's meta.jsonl
    record: bool = True


@dataclass
class CorpusSchema:
    # synthgen's own word lists: true = English, or language codes "ar, he, hi, th" (fonts.BUILTIN_LANGUAGES)
    builtin: Union[bool, str] = True
    file: Optional[str] = None  # UTF-8 text, words separated by whitespace
    # a language code (en, de, fr, ru, ...): the ``top`` most frequent words of the wordfreq
    # package's list for it (an optional extra: pip install 'synthgen-cv[wordfreq]')
    wordfreq: Optional[str] = None
    top: int = 50_000
    # uniform: every word as likely; frequency: words as often as wordfreq says they are used
    # (needs ``wordfreq``; ocr_recognition and ocr_wild)
    sampling: str = "uniform"
    case: str = "choice([as_is, lower, title, upper], [0.4, 0.3, 0.2, 0.1])"


SAMPLINGS = ("uniform", "frequency")
MAX_WORDFREQ_TOP = 1_000_000


def apply_case(word: str, case: str) -> str:
    if case == "title":  # not str.title(), which capitalises after an apostrophe ("Don'T")
        return " ".join(w[:1].upper() + w[1:].lower() for w in word.split(" "))
    return {"lower": word.lower(), "upper": word.upper()}.get(case, word)


def resolve_charset(value: str, key: str) -> str:
    """The characters of a charset: a name from CHARSETS or ``chars:<the characters>``."""
    if value.startswith("chars:"):
        chars = value[len("chars:") :]
        if not chars.strip():
            raise ConfigError(key, "chars: needs at least one non-space character")
        return "".join(sorted(set(chars)))
    if value not in CHARSETS:
        raise ConfigError(key, f"unknown charset {value!r}; valid: {', '.join(CHARSETS)} or chars:<characters>")
    return CHARSETS[value]


def resolve_fonts(p: FontsSchema, key: str, charset: str | None = None) -> tuple[str, ...]:
    """Font files of a ``fonts:`` section (sorted, distinct); ConfigError when there are none.

    With ``charset``, the system fonts are only those that FreeType opens and that map every
    letter and digit of it (symbol, emoji and other-script faces left out); fonts named by
    ``paths`` are the user's choice and kept (a text they cannot draw gets another font).
    """
    paths = fonts.discover_fonts(p.paths, f"{key}.paths")
    if p.bundled:
        paths += fonts.discover_fonts([str(fonts.bundled_font_dir())], f"{key}.bundled")
    if p.system:
        found = fonts.system_fonts()
        if charset is not None:
            needed = "".join(ch for ch in charset if ch.isalnum())
            found = [f for f in found if _opens(f) and fonts.covers(f, needed)]
        paths += found
    if not paths:
        raise ConfigError(key, "no fonts: give fonts.paths or set fonts.bundled/fonts.system")
    return tuple(sorted(set(paths)))


def font_family(path: str) -> str:
    """FreeType's family name of a font file (``DejaVu Sans`` for DejaVuSans-Bold.ttf)."""
    return fonts.load_font(path, 12).getname()[0] or Path(path).stem


def refuse_recognition_font_keys(p: FontsSchema, key: str) -> None:
    """ConfigError for ``fonts`` keys only ocr_recognition reads (weights, per_family), set in
    another scene, rather than ignoring them."""
    for name, default in (("weights", {}), ("per_family", False)):
        if getattr(p, name) != default:
            raise ConfigError(f"{key}.{name}", "only ocr_recognition reads it so far; leave it at its default here")


def resolve_font_weights(p: FontsSchema, paths: tuple[str, ...], key: str) -> tuple[float, ...] | None:
    """Sampling weights of ``paths`` from ``fonts.weights`` and ``fonts.per_family``; None when
    every font weighs the same (then a font is drawn exactly as without weights)."""
    weights = np.ones(len(paths))
    families = [font_family(f) for f in paths] if (p.per_family or p.weights) else []
    for name, value in p.weights.items():
        where = f"{key}.weights.{name}"
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise ConfigError(where, f"must be a number >= 0, got {value!r}")
        folder = str(Path(name).expanduser())
        hit = [
            k
            for k, f in enumerate(paths)
            if Path(f).name == name or families[k] == name or f.startswith(folder.rstrip("/") + "/")
        ]
        if not hit:
            raise ConfigError(where, "names no configured font (a file name, a folder or a family name)")
        weights[hit] *= float(value)
    if p.per_family:
        counts = Counter(families)
        weights /= np.array([counts[f] for f in families], np.float64)
    if weights.sum() <= 0:
        raise ConfigError(f"{key}.weights", "every font has weight 0")
    if np.all(weights == weights[0]):
        return None
    return tuple(float(w) for w in weights / weights.sum())


def record_fonts(items: Sequence[TextItem], record: bool) -> tuple[TextItem, ...]:
    """``items`` with ``attributes.font`` (the font's file name) and ``attributes.font_size`` (the
    pixel size it is drawn at) when ``record`` (``fonts.record``); unchanged otherwise."""
    if not record:
        return tuple(items)
    return tuple(
        replace(i, attributes={**i.attributes, "font": Path(i.font_path).name, "font_size": i.font_size})
        for i in items
    )


def _opens(path: str) -> bool:
    try:
        fonts.check_font(path, "fonts.system")
    except ConfigError:
        return False
    return True


def fit_case(word: str, charset: str, preferred: str = "as_is") -> str | None:
    """``word`` in the preferred case, else in the first case (as is, lower, upper, title) inside ``charset``."""
    allowed = set(charset)
    for case in (preferred, *CASES):
        cased = apply_case(word, case)
        if set(cased) <= allowed:
            return cased
    return None


def resolve_corpus(
    builtin: bool | str, file: Optional[str], key: str, charset: str | None = None, p: CorpusSchema | None = None
) -> tuple[str, ...]:
    """Corpus words (built-in lists, ``fonts.builtin_corpora``, a file and/or wordfreq's list when
    ``p.wordfreq``); with ``charset``, those that fit it in some case, in that case."""
    words: list[str] = []
    for path in fonts.builtin_corpora(builtin, f"{key}.builtin"):
        words += fonts.load_words(str(path), f"{key}.builtin")
    if file is not None:
        words += fonts.load_words(file, f"{key}.file")
    if p is not None and p.wordfreq is not None:
        words += [w for w, _ in wordfreq_words(p.wordfreq, p.top, key)]
    if charset is not None:  # in a case the charset holds, so {word} patterns can use them too
        words = [c for c in (fit_case(w, charset) for w in words) if c is not None]
    if not words:
        raise ConfigError(
            key,
            "no words" + (" inside the charset" if charset is not None else "") + ": set builtin, file or wordfreq",
        )
    return tuple(words)


def wordfreq_words(lang: str, top: int, key: str) -> tuple[tuple[str, float], ...]:
    """The ``top`` most frequent words of ``lang`` in the wordfreq package's best list, with their
    frequencies, most frequent first (ties in wordfreq's order). Tokens with a digit, an underscore
    or without a letter (``000``, ``00th``, emoji) are left out; contractions (``don't``) and
    abbreviations (``u.s``) stay.

    Raises ConfigError (``<key>.wordfreq``, ``<key>.top``) when wordfreq is not installed, has no
    list for ``lang``, or ``top`` is out of range.
    """
    if not 1 <= top <= MAX_WORDFREQ_TOP:
        raise ConfigError(f"{key}.top", f"must be in 1..{MAX_WORDFREQ_TOP}, got {top}")
    return _wordfreq_top(lang, top, key)


@functools.lru_cache(maxsize=4)
def _wordfreq_top(lang: str, top: int, key: str) -> tuple[tuple[str, float], ...]:
    try:
        import wordfreq
    except ImportError:
        raise ConfigError(
            f"{key}.wordfreq",
            "needs the wordfreq package: pip install 'synthgen-cv[wordfreq]' (or pip install wordfreq)",
        ) from None
    languages = sorted(wordfreq.available_languages(wordlist="best"))
    if lang not in languages:
        raise ConfigError(f"{key}.wordfreq", f"wordfreq has no word list for {lang!r}; valid: {', '.join(languages)}")
    kept: list[tuple[str, float]] = []
    # one bucket of words per centibel of frequency, most frequent first (wordfreq's own format)
    for centibels, bucket in enumerate(wordfreq.get_frequency_list(lang, wordlist="best")):
        freq = 10.0 ** (-centibels / 100)
        kept += [(w, freq) for w in bucket if _is_word(w)]
        if len(kept) >= top:
            break
    return tuple(kept[:top])


def _is_word(token: str) -> bool:
    if token.isalpha():
        return len(token) <= fonts.MAX_WORD_CHARS
    return (
        len(token) <= fonts.MAX_WORD_CHARS
        and any(c.isalpha() for c in token)
        and not any(c.isdigit() or c.isspace() or c == "_" for c in token)
    )


def corpus_sampler(p: CorpusSchema, words: tuple[str, ...], key: str) -> np.ndarray | None:
    """Cumulative sampling weights of ``words`` for ``corpus.sampling: frequency`` (wordfreq's
    frequency of each word, lower-cased; words it lacks weigh as its rarest kept word), or None for
    uniform sampling (``draw_word`` then draws exactly as before)."""
    if p.sampling not in SAMPLINGS:
        raise ConfigError(f"{key}.sampling", f"must be one of {', '.join(SAMPLINGS)}, got {p.sampling!r}")
    if p.sampling == "uniform" or not words:  # no word is drawn from an empty corpus
        return None
    if p.wordfreq is None:
        raise ConfigError(f"{key}.sampling", "frequency sampling needs corpus.wordfreq (a language code, e.g. en)")
    table = wordfreq_words(p.wordfreq, p.top, key)
    freqs = dict(table)
    floor = table[-1][1]
    weights = np.array([freqs.get(w.lower(), floor) for w in words], np.float64)
    return np.cumsum(weights / weights.sum())


def draw_word(words: tuple[str, ...], cumulative: np.ndarray | None, rng: np.random.Generator) -> str:
    """One word of the corpus: uniform when ``cumulative`` is None, else by its weights
    (``corpus_sampler``), in O(log n)."""
    if cumulative is None:
        return words[int(rng.integers(len(words)))]
    return words[min(int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")), len(words) - 1)]


def refuse_corpus_keys(p: CorpusSchema, key: str, wordfreq: bool = True) -> None:
    """ConfigError for ``corpus`` keys a scene does not read (``sampling``; ``wordfreq`` where
    ``wordfreq`` is False), rather than ignoring them."""
    if p.sampling != "uniform":
        raise ConfigError(f"{key}.sampling", "only ocr_recognition and ocr_wild read it so far; leave it uniform here")
    if not wordfreq and p.wordfreq is not None:
        raise ConfigError(f"{key}.wordfreq", "this scene does not read it; use corpus.file")


MAX_PLACEMENT_ATTEMPTS = 10_000  # tries to place one word or block (a loop bound per object)


def check_corpus_coverage(words: tuple[str, ...], font_paths: tuple[str, ...], key: str) -> None:
    """Raise ConfigError naming the corpus ``key`` when no configured font can draw any of its words."""
    if not words:
        return
    if not any(any(fonts.covers(f, word) for f in font_paths) for word in words):
        raise ConfigError(
            key, f"no configured font covers any word of the corpus ({len(words)} words); add a font that covers them"
        )
    check_scripts(words, font_paths, key)


def check_scripts(words: tuple[str, ...], font_paths: tuple[str, ...], key: str) -> None:
    """Raise ConfigError naming ``key`` when the corpus holds words of a script that needs shaping
    (``shaping.SCRIPT_RANGES``) and the shaping libraries are missing or no configured font can draw
    and shape any word of that script (a font without the script's glyphs or OpenType tables)."""
    from synthgen.text import shaping

    examples: dict[str, list[str]] = {}
    for word in words:
        if shaping.needs_shaping(word):
            for script in shaping.scripts_in(word):
                examples.setdefault(script, []).append(word)
    if not examples:
        return
    missing = shaping.missing_library()
    if missing is not None:
        first = next(iter(examples))
        raise ConfigError(key, f"{first} words (e.g. {examples[first][0]!r}) need text shaping: {missing}")
    for script, hits in examples.items():
        if not any(fonts.covers(f, w) for w in hits for f in font_paths):
            raise ConfigError(
                key,
                f"no configured font can draw and shape the {len(hits)} {script} words of the corpus "
                f"(e.g. {hits[0]!r}); add a font with {script} glyphs and OpenType tables to fonts.paths "
                f"(e.g. Debian's fonts-noto-core)",
            )


def luminance_image(rgb: np.ndarray) -> np.ndarray:
    """(H, W) float32 luminance 0..1 of an (H, W, 3) uint8 image (weights as ``luminance``)."""
    return rgb.astype(np.float32) @ np.array(LUMA, np.float32) / 255.0


def luminance_percentiles(rgb: np.ndarray, percents: tuple[float, ...]) -> list[float]:
    """Percentiles 0..100 of the luminance (0..1, to 1/255) of an (H, W, 3) uint8 image.

    From a 256-bin histogram of the luminance rounded to 8 bits, interpolated linearly between
    order statistics as ``np.percentile`` does: a third of its time on a word crop.
    """
    import cv2

    grey = cv2.transform(rgb, np.array([LUMA], np.float32))  # rounded, saturated to uint8
    cum = np.cumsum(np.bincount(grey.ravel(), minlength=256))
    n = int(cum[-1])
    out = []
    for q in percents:
        pos = q / 100.0 * (n - 1)
        k = int(pos)
        frac = pos - k
        lo = int(np.searchsorted(cum, k, side="right"))
        hi = int(np.searchsorted(cum, k + 1, side="right")) if frac else lo
        out.append((lo + (hi - lo) * frac) / 255.0)
    return out


def contrasting_color(
    rng: np.random.Generator,
    low: float,
    high: float,
    min_contrast: float,
    tries: int = 20,
    like=None,
    side: str | None = None,
) -> tuple[int, int, int] | None:
    """A random colour whose luminance is at least ``min_contrast`` below ``low`` or above ``high``.

    ``low`` and ``high`` bound the luminance of the background the text covers; None when no
    colour can stand out from all of it. ``like``: a colour whose side (darker or lighter than
    the background) the new one must share, e.g. an outline for a fill. ``side``: ``dark`` or
    ``light`` text (darker or lighter than the background) when that side can stand out, else
    the other.
    """
    dark_ok, light_ok = low - min_contrast >= 0, high + min_contrast <= 1
    if side is not None and (dark_ok if side == "dark" else light_ok):  # the wanted side when it can stand out
        dark_ok, light_ok = side == "dark", side == "light"
    if like is not None:
        dark = luminance(like) < (low + high) / 2
        dark_ok, light_ok = dark_ok and dark, light_ok and not dark
    if not (dark_ok or light_ok):
        return None
    colors = rng.integers(0, 256, size=(tries, 3))
    lum = colors @ np.array(LUMA) / 255.0
    ok = (dark_ok & (lum <= low - min_contrast)) | (light_ok & (lum >= high + min_contrast))
    if ok.any():
        return tuple(int(c) for c in colors[int(np.argmax(ok))])  # type: ignore[return-value]
    # A grey at the far end always satisfies the constraint.
    if dark_ok and (not light_ok or rng.random() < 0.5):
        v = int(np.floor(255 * max(low - min_contrast, 0) * rng.uniform(0, 1)))
    else:
        v = int(np.ceil(255 * (high + min_contrast + (1 - high - min_contrast) * rng.uniform(0, 1))))
    v = int(np.clip(v, 0, 255))
    return (v, v, v)


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


def pick_font(
    font_paths: tuple[str, ...],
    text: str,
    rng: np.random.Generator,
    weights: tuple[float, ...] | None = None,
    usable: Callable[[str, str], bool] = fonts.draws,
) -> str | None:
    """A random font that draws ``text`` as written; None when none does (never tofu, never
    capitals under a lower-case label).

    Args:
        weights: sampling probabilities of the fonts (``resolve_font_weights``), None for uniform.
        usable: (font, text) -> whether the font may draw it: ``fonts.draws`` (default), or
            ``fonts.covers`` for a caller that handles unicase faces itself.
    """
    if weights is None:
        first = int(rng.integers(len(font_paths)))
    else:
        first = int(rng.choice(len(font_paths), p=weights))
    if usable(font_paths[first], text):
        return font_paths[first]
    if weights is not None:
        ok = np.array([usable(f, text) for f in font_paths]) * np.asarray(weights)
        if ok.sum() > 0:
            return font_paths[int(rng.choice(len(font_paths), p=ok / ok.sum()))]
        return None
    for i in rng.permutation(len(font_paths)):
        if usable(font_paths[int(i)], text):
            return font_paths[int(i)]
    return None
