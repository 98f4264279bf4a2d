"""The words a text scene draws: the ``corpus:`` section (synthgen's built-in word lists, a file,
wordfreq's lists), the words that fit a charset, and drawing a word uniformly or by frequency."""

from __future__ import annotations

import functools
import math
from typing import Optional, Union

import numpy as np

from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, custom, one_of, param
from synthgen.errors import ConfigError
from synthgen.text import fonts
from synthgen.text.charsets import CASES, fit_case

SAMPLINGS = ("uniform", "frequency")


def _positive_temperature(value: float, key: str) -> float:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ConfigError(key, f"must be a number > 0, got {value!r}")
    return float(value)


class CorpusSettings(Params):
    """A text scene's ``corpus:`` section (a scene may declare other defaults for it, e.g. ``case``)."""

    # synthgen's own word lists: true = English (wordfreq's 50,000 most frequent Latin-script words,
    # with their frequencies), or language codes "en, ar, he, hi, th" (fonts.BUILTIN_LANGUAGES)
    builtin: Union[bool, str] = param(True, None, "synthgen's own word lists")
    file: Optional[str] = param(None, None, "UTF-8 text, words separated by whitespace")
    # a language code (en, de, fr, ru, ...): the ``top`` most frequent words of the wordfreq
    # package's list for it (an optional extra: pip install 'synthgen-cv[wordfreq]')
    wordfreq: Optional[str] = param(None, None, "a language code: wordfreq's most frequent words")
    top: int = param(50_000, None, "how many of wordfreq's words, 1..1000000 (checked where wordfreq is used)")
    # frequency: words as often as they are used (the built-in English list's or wordfreq's
    # frequencies, flattened by ``temperature``; words without a frequency weigh as the rarest
    # word that has one, and a corpus with none is drawn uniformly); uniform: every word as likely
    sampling: str = param("frequency", one_of(*SAMPLINGS), "frequency | uniform")
    # frequency ** (1 / temperature): 1 = as in running text ("the" 5 % of words), larger = flatter
    # so rare words appear. Built-in English list: the 1,000 most frequent words are 72 % of the
    # draws at 1, 34 % at 1.5, 19 % at 2; the 10,000 most frequent 94 %, 73 %, 57 %
    temperature: float = param(
        1.5, custom(_positive_temperature, words="> 0"), "frequency ** (1 / temperature): larger = flatter"
    )
    case: Distribution = param(
        "choice([as_is, lower, title, upper], [0.4, 0.3, 0.2, 0.1])", choice(*CASES), "the case a word is drawn in"
    )


MAX_WORDFREQ_TOP = 1_000_000


def resolve_corpus(
    builtin: bool | str, file: Optional[str], key: str, charset: str | None = None, p: CorpusSettings | None = None
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


def corpus_sampler(p: CorpusSettings, words: tuple[str, ...], key: str) -> np.ndarray | None:
    """Cumulative sampling weights of ``words`` for ``corpus.sampling: frequency``: each word's
    frequency (lower-cased) in the built-in English list and wordfreq's list (``corpus.wordfreq``),
    to the power 1 / ``corpus.temperature``; words neither has weigh as the rarest word that has one.
    None for uniform sampling, or when no word has a frequency (``draw_word`` then draws uniformly).
    """
    if p.sampling not in SAMPLINGS:
        raise ConfigError(f"{key}.sampling", f"must be one of {', '.join(SAMPLINGS)}, got {p.sampling!r}")
    _positive_temperature(p.temperature, f"{key}.temperature")  # settings built in Python are not checked
    if p.sampling == "uniform" or not words:  # no word is drawn from an empty corpus
        return None
    freqs: dict[str, float] = {}
    if "en" in _builtin_codes(p.builtin):
        freqs.update(fonts.builtin_frequencies("en"))
    if p.wordfreq is not None:
        freqs.update(wordfreq_words(p.wordfreq, p.top, key))
    if not freqs:
        return None
    floor = min(freqs.values())
    weights = np.array([freqs.get(w.lower(), floor) for w in words], np.float64) ** (1.0 / p.temperature)
    return np.cumsum(weights / weights.sum())


def _builtin_codes(builtin: bool | str) -> tuple[str, ...]:
    if isinstance(builtin, bool):
        return ("en",) if builtin else ()
    return tuple(c for c in str(builtin).replace(",", " ").split() if c)


def draw_word(words: tuple[str, ...], cumulative: np.ndarray | None, rng: np.random.Generator) -> str:
    """One word of the corpus: uniform when ``cumulative`` is None, else by its weights
    (``corpus_sampler``), in O(log n)."""
    if cumulative is None:
        return words[int(rng.integers(len(words)))]
    return words[min(int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")), len(words) - 1)]


def refuse_corpus_keys(p: CorpusSettings, key: str, wordfreq: bool = True) -> None:
    """ConfigError for ``corpus`` keys a scene does not read (``wordfreq`` where ``wordfreq`` is
    False), rather than ignoring them."""
    if not wordfreq and p.wordfreq is not None:
        raise ConfigError(f"{key}.wordfreq", "this scene does not read it; use corpus.file")
