"""Charsets and letter cases of the text scenes: the named charsets (``charset: latin``), a charset
given as ``chars:<the characters>``, and a word cased to fit a charset."""

from __future__ import annotations

import functools
import string

from synthgen.errors import ConfigError

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


def apply_case(word: str, case: str) -> str:
    if case == "title":  # not str.title(), which capitalises after an apostrophe ("Don'T")
        return " ".join(w[:1].upper() + w[1:].lower() for w in word.split(" "))
    if case == "lower":
        return word.lower()
    return word.upper() if case == "upper" else word


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


def fit_case(word: str, charset: str, preferred: str = "as_is") -> str | None:
    """``word`` in the preferred case, else in the first case (as is, lower, upper, title) inside ``charset``."""
    allowed = _characters(charset)
    for case in (preferred, *CASES):
        cased = apply_case(word, case)
        if allowed.issuperset(cased):
            return cased
    return None


# fit_case runs on each of the 50,000 words of the built-in corpus at load and on every word drawn:
# the charset's set is made once, not once a call
@functools.lru_cache(maxsize=64)
def _characters(charset: str) -> frozenset[str]:
    return frozenset(charset)
