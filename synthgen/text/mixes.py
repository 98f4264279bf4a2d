"""Realistic string mixes for recognition crops (``text.source: mixed``): corpus words in lower,
Title and UPPER case beside numbers, punctuated words, dates and times, prices and codes, drawn by
weight (``text.mix``).

Each non-word kind is a list of patterns of ``synthgen.text.patterns``, one drawn uniformly per
string. Against the run's charset, a word kind keeps the corpus words whose cased form lies inside
it, a pattern kind the patterns whose alphabet does; a kind left with nothing is left out (a
``digits`` charset keeps numbers only), and a mix left with no kind is a ConfigError.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from synthgen.errors import ConfigError
from synthgen.text.patterns import Pattern, compile_pattern

CASE_KINDS = ("lower", "title", "upper")
PATTERN_KINDS: dict[str, tuple[str, ...]] = {
    "number": (
        "{int:99}",
        "{int:99999}",
        "[1-9]\\d{0,2},\\d{3}",  # thousands separator
        "\\d{1,3}\\.\\d{1,2}",
        "\\d{1,2}%",
        "-\\d{1,3}",
        "No\\. ?\\d{1,4}",
    ),
    "punctuated": ("{word}[.,:;!?]", '"{word}"', "\\({word}\\)", "{word}'s", "{word}-{word}", "{word}/{word}"),
    "date": ("{date}", "{date:%Y-%m-%d}", "{date:%d %b %Y}", "{date:%m/%d/%y}", "{time}", "{time:%H:%M:%S}"),
    "price": ("\\${price:999}", "{price:99} EUR", "{price:9999} USD", "{price:99}", "-\\${price:99}"),
    "code": (
        "[A-Z]{2,3}-\\d{3,5}",
        "#\\d{4,8}",
        "[A-Z]\\d{2}[A-Z]{2}\\d",
        "\\d{3}-\\d{3}-\\d{4}",
        "[A-Z0-9]{8}",
        "[A-Z]{2}\\d{2} ?\\d{4}",
    ),
}
KINDS = (*CASE_KINDS, *PATTERN_KINDS)
DEFAULT_MIX = {
    "lower": 0.25,
    "title": 0.15,
    "upper": 0.10,
    "number": 0.12,
    "punctuated": 0.10,
    "date": 0.10,
    "price": 0.10,
    "code": 0.08,
}


@dataclass(frozen=True)
class MixKind:
    """One kind of a mix: corpus words in a case (``words`` and their cumulative sampling weights,
    or None for uniform) or patterns (one drawn uniformly)."""

    name: str
    words: tuple[str, ...] = ()
    word_weights: np.ndarray | None = field(default=None, compare=False)
    patterns: tuple[Pattern, ...] = ()

    def sample(self, rng: np.random.Generator) -> str:
        from synthgen.text.corpus import draw_word

        if self.patterns:
            return self.patterns[int(rng.integers(len(self.patterns)))].sample(rng)
        return draw_word(self.words, self.word_weights, rng)


@dataclass(frozen=True)
class StringMix:
    """The kinds of a mix that the charset can hold and their cumulative weights."""

    kinds: tuple[MixKind, ...]
    cumulative: tuple[float, ...]
    left_out: tuple[str, ...] = ()  # kinds with a weight that the charset cannot hold

    def sample(self, rng: np.random.Generator) -> tuple[str, str]:
        """(kind name, string) of one drawn string."""
        at = rng.random() * self.cumulative[-1]
        kind = self.kinds[min(int(np.searchsorted(self.cumulative, at, side="right")), len(self.kinds) - 1)]
        return kind.name, kind.sample(rng)


def build_mix(
    weights: Mapping[str, float],
    charset: str,
    words: tuple[str, ...],
    key: str,
    sampler=None,
) -> StringMix:
    """Check ``text.mix`` and build its kinds against the charset and corpus.

    Args:
        weights: kind name -> weight >= 0 (``KINDS``).
        charset: the characters a string may hold.
        words: the corpus (already fitted to the charset in some case).
        key: the config key of the mix, for errors.
        sampler: (words) -> cumulative weights or None: the corpus sampling of word kinds.
    """
    allowed = set(charset)
    kinds: list[MixKind] = []
    mass: list[float] = []
    left_out: list[str] = []
    for name, weight in weights.items():
        where = f"{key}.{name}"
        if name not in KINDS:
            raise ConfigError(where, f"unknown kind; valid: {', '.join(KINDS)}")
        if not (isinstance(weight, (int, float)) and np.isfinite(weight) and weight >= 0):
            raise ConfigError(where, f"must be a number >= 0, got {weight!r}")
        if weight == 0:
            continue
        kind = _kind(name, allowed, charset, words, where, sampler)
        if kind is None:
            left_out.append(name)
            continue
        kinds.append(kind)
        mass.append(float(weight))
    if not kinds:
        raise ConfigError(key, f"no kind of the mix can be drawn inside the charset {charset!r} (with a weight > 0)")
    return StringMix(tuple(kinds), tuple(np.cumsum(mass).tolist()), tuple(left_out))


def _kind(name: str, allowed: set[str], charset: str, words: tuple[str, ...], where: str, sampler) -> MixKind | None:
    from synthgen.text.charsets import apply_case

    if name in CASE_KINDS:
        # a one-letter word ("a", "I") in title case is its upper case: not a Title string
        forms = (apply_case(w, name) for w in words if name != "title" or sum(ch.isalpha() for ch in w) > 1)
        cased = tuple(dict.fromkeys(c for c in forms if set(c) <= allowed))
        if not cased:
            return None
        return MixKind(name, words=cased, word_weights=sampler(cased) if sampler else None)
    patterns = []
    # punctuation around plain words only: "don't" or "well-known" would make "don't's", "a-b-c"
    words = tuple(w for w in words if w.isalpha())
    for text in PATTERN_KINDS[name]:
        if "{word" in text and not words:
            continue
        pattern = compile_pattern(text, where, words, any_chars=charset)
        if pattern.alphabet() <= allowed:
            patterns.append(pattern)
    return MixKind(name, patterns=tuple(patterns)) if patterns else None
