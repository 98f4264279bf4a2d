"""The words a text scene draws: the ``corpus:`` section (synthgen's built-in word lists, a file,
wordfreq's lists), the words that fit a charset, and drawing a word uniformly or by frequency."""

from __future__ import annotations

import functools
from typing import Optional, Union

import numpy as np

from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, one_of, param
from synthgen.errors import ConfigError
from synthgen.text import fonts
from synthgen.text.charsets import CASES, fit_case

SAMPLINGS = ("uniform", "frequency")


class CorpusSettings(Params):
    """A text scene's ``corpus:`` section (a scene may declare other defaults for it, e.g. ``case``)."""

    # synthgen's own word lists: true = English, or language codes "ar, he, hi, th" (fonts.BUILTIN_LANGUAGES)
    builtin: Union[bool, str] = param(True, None, "synthgen's own word lists")
    file: Optional[str] = param(None, None, "UTF-8 text, words separated by whitespace")
    # a language code (en, de, fr, ru, ...): the ``top`` most frequent words of the wordfreq
    # package's list for it (an optional extra: pip install 'synthgen-cv[wordfreq]')
    wordfreq: Optional[str] = param(None, None, "a language code: wordfreq's most frequent words")
    top: int = param(50_000, None, "how many of wordfreq's words, 1..1000000 (checked where wordfreq is used)")
    # uniform: every word as likely; frequency: words as often as wordfreq says they are used
    # (needs ``wordfreq``; ocr_recognition and ocr_wild)
    sampling: str = param("uniform", one_of(*SAMPLINGS), "uniform | frequency")
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


def refuse_corpus_keys(p: CorpusSettings, key: str, wordfreq: bool = True) -> None:
    """ConfigError for ``corpus`` keys a scene does not read (``sampling``; ``wordfreq`` where
    ``wordfreq`` is False), rather than ignoring them."""
    if p.sampling != "uniform":
        raise ConfigError(f"{key}.sampling", "only ocr_recognition and ocr_wild read it so far; leave it uniform here")
    if not wordfreq and p.wordfreq is not None:
        raise ConfigError(f"{key}.wordfreq", "this scene does not read it; use corpus.file")
