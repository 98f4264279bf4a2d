"""A small pattern language for generated strings: licence plates, codes, dates, prices.

Syntax (a subset of regular expressions, every construct bounded so a pattern can be *sampled*):

- literal characters; ``\\`` escapes a special one (``\\.``, ``\\[``, ``\\{``, ``\\\\``)
- ``[A-Z0-9_]`` character classes with ranges, ``[^...]`` negated against printable ASCII
- ``\\d`` digit, ``\\w`` ASCII letter or digit, ``\\s`` space, ``.`` any character of ``any_chars``
- ``(a|b)`` groups with alternation; ``|`` also works at the top level
- repetition: ``{n}``, ``{m,n}``, ``?`` (0-1), ``*`` (0-8), ``+`` (1-8)
- named generators ``{name}`` or ``{name:arg}``: ``{date}`` / ``{date:%Y-%m-%d}`` (``%d %m %Y %y
  %b %H %M %S``), ``{time}`` / ``{time:%H:%M:%S}``, ``{price}`` / ``{price:50}`` (largest whole
  part, two decimals), ``{int}`` / ``{int:1000}`` (0 to arg), ``{word}`` (a corpus word).

``[A-Z]{3}-[0-9]{4}`` gives ``KXB-0417``; ``{date:%d.%m.%Y} {time}`` gives ``07.03.2021 14:52``.
Every alternative and every repetition count is equally likely. ``alphabet()`` is the set of
characters a pattern can produce, so a scene can check a pattern against a charset at load time.

Limits, checked when a pattern is compiled: a pattern of at most MAX_PATTERN_CHARS characters,
groups nested at most MAX_NESTING deep, repetition counts up to MAX_REPEAT, and no pattern that
can produce a string longer than MAX_OUTPUT characters (``((A{100}){100}){100}`` is refused).
"""

from __future__ import annotations

import datetime
import string
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from synthgen.errors import ConfigError

PRINTABLE = "".join(chr(c) for c in range(32, 127))
DIGITS = string.digits
ALNUM = string.ascii_letters + string.digits
UNBOUNDED_MAX = 8  # what * and + stand for
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DATE_FIELDS = {"d": DIGITS, "m": DIGITS, "Y": DIGITS, "y": DIGITS, "H": DIGITS, "M": DIGITS, "S": DIGITS}
DATE_FIELDS["b"] = "".join(sorted(set("".join(MONTHS))))
FIRST_DAY = datetime.date(1970, 1, 1).toordinal()
LAST_DAY = datetime.date(2035, 12, 31).toordinal()
NAMED = ("date", "time", "price", "int", "word")
MAX_PATTERN_CHARS = 10_000
MAX_NESTING = 32  # groups inside groups
MAX_REPEAT = 1000  # n in {n} and {m,n}
MAX_OUTPUT = 1000  # characters a pattern may produce
MAX_NUMBER_DIGITS = 15  # N in {int:N} and {price:N}
DATE_FIELD_WIDTH = {"Y": 4, "b": 3, "%": 1}  # characters of a %-field (others: 2)


class Node:
    def sample(self, rng: np.random.Generator) -> str:
        raise NotImplementedError

    def alphabet(self) -> frozenset[str]:
        raise NotImplementedError

    def max_length(self) -> int:
        """The most characters a sample can have."""
        raise NotImplementedError


@dataclass(frozen=True)
class Literal(Node):
    text: str

    def sample(self, rng):
        return self.text

    def alphabet(self):
        return frozenset(self.text)

    def max_length(self):
        return len(self.text)


@dataclass(frozen=True)
class CharClass(Node):
    chars: str  # sorted, distinct

    def sample(self, rng):
        return self.chars[int(rng.integers(len(self.chars)))]

    def alphabet(self):
        return frozenset(self.chars)

    def max_length(self):
        return 1


@dataclass(frozen=True)
class Sequence_(Node):
    parts: tuple[Node, ...]

    def sample(self, rng):
        return "".join(p.sample(rng) for p in self.parts)

    def alphabet(self):
        return frozenset().union(*(p.alphabet() for p in self.parts))

    def max_length(self):
        return sum(p.max_length() for p in self.parts)


@dataclass(frozen=True)
class Alternation(Node):
    options: tuple[Node, ...]

    def sample(self, rng):
        return self.options[int(rng.integers(len(self.options)))].sample(rng)

    def alphabet(self):
        return frozenset().union(*(o.alphabet() for o in self.options))

    def max_length(self):
        return max(o.max_length() for o in self.options)


@dataclass(frozen=True)
class Repeat(Node):
    node: Node
    low: int
    high: int

    def sample(self, rng):
        n = int(rng.integers(self.low, self.high, endpoint=True))
        return "".join(self.node.sample(rng) for _ in range(n))

    def alphabet(self):
        return self.node.alphabet() if self.high > 0 else frozenset()

    def max_length(self):
        return self.high * self.node.max_length()


def format_datetime(fmt: str, when: datetime.datetime) -> str:
    """strftime for the fields above, locale-independent (``%b`` is always English)."""
    out, i = [], 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            f = fmt[i + 1]
            out.append(
                {
                    "d": f"{when.day:02d}",
                    "m": f"{when.month:02d}",
                    "Y": f"{when.year:04d}",
                    "y": f"{when.year % 100:02d}",
                    "b": MONTHS[when.month - 1],
                    "H": f"{when.hour:02d}",
                    "M": f"{when.minute:02d}",
                    "S": f"{when.second:02d}",
                    "%": "%",
                }[f]
            )
            i += 2
        else:
            out.append(fmt[i])
            i += 1
    return "".join(out)


def _format_alphabet(fmt: str) -> frozenset[str]:
    chars: set[str] = set()
    i = 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            chars.update("%" if fmt[i + 1] == "%" else DATE_FIELDS[fmt[i + 1]])
            i += 2
        else:
            chars.add(fmt[i])
            i += 1
    return frozenset(chars)


def _format_length(fmt: str) -> int:
    """The length of ``format_datetime(fmt, ...)`` (every field has a fixed width)."""
    length, i = 0, 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            length += DATE_FIELD_WIDTH.get(fmt[i + 1], 2)
            i += 2
        else:
            length += 1
            i += 1
    return length


@dataclass(frozen=True)
class Named(Node):
    """A named generator: date, time, price, int or word."""

    name: str
    arg: str
    words: tuple[str, ...] = ()

    def sample(self, rng):
        if self.name in ("date", "time"):
            day = datetime.date.fromordinal(int(rng.integers(FIRST_DAY, LAST_DAY, endpoint=True)))
            seconds = int(rng.integers(0, 86400))
            when = datetime.datetime(day.year, day.month, day.day, seconds // 3600, seconds // 60 % 60, seconds % 60)
            return format_datetime(self.arg, when)
        if self.name == "price":
            return f"{int(rng.integers(0, int(self.arg), endpoint=True))}.{int(rng.integers(0, 100)):02d}"
        if self.name == "int":
            return str(int(rng.integers(0, int(self.arg), endpoint=True)))
        return self.words[int(rng.integers(len(self.words)))]

    def alphabet(self):
        if self.name in ("date", "time"):
            return _format_alphabet(self.arg)
        if self.name == "price":
            return frozenset(DIGITS + ".")
        if self.name == "int":
            return frozenset(DIGITS)
        return frozenset("".join(self.words))

    def max_length(self):
        if self.name in ("date", "time"):
            return _format_length(self.arg)
        if self.name == "price":
            return len(self.arg) + 3
        if self.name == "int":
            return len(self.arg)
        return max(len(w) for w in self.words)


class _Parser:
    def __init__(self, text: str, key: str, words: Sequence[str], any_chars: str):
        self.text, self.key, self.words, self.any_chars = text, key, tuple(words), any_chars
        self.pos = 0
        self.depth = 0

    def error(self, message: str) -> ConfigError:
        shown = repr(self.text) if len(self.text) <= 60 else repr(self.text[:60]) + "..."
        return ConfigError(self.key, f"pattern {shown}: {message} at position {self.pos}")

    def peek(self) -> str | None:
        return self.text[self.pos] if self.pos < len(self.text) else None

    def parse(self) -> Node:
        node = self.alternation()
        if self.pos != len(self.text):
            raise self.error(f"unbalanced {self.text[self.pos]!r}")
        self.check_length(node)
        return node

    def check_length(self, node: Node) -> None:
        if node.max_length() > MAX_OUTPUT:
            raise self.error(f"can produce {node.max_length():,} characters, more than {MAX_OUTPUT:,}")

    def alternation(self) -> Node:
        options = [self.sequence()]
        while self.peek() == "|":
            self.pos += 1
            options.append(self.sequence())
        return options[0] if len(options) == 1 else Alternation(tuple(options))

    def sequence(self) -> Node:
        parts: list[Node] = []
        while self.peek() is not None and self.peek() not in "|)":
            atom = self.atom()
            parts.append(self.quantified(atom))
        return parts[0] if len(parts) == 1 else Sequence_(tuple(parts))

    def atom(self) -> Node:
        ch = self.peek()
        start = self.pos
        self.pos += 1
        if ch == "(":
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise self.error(f"groups nested more than {MAX_NESTING} deep")
            node = self.alternation()
            if self.peek() != ")":
                raise self.error("missing ')'")
            self.pos += 1
            self.depth -= 1
            return node
        if ch == "[":
            return CharClass(self.char_class())
        if ch == "\\":
            return self.escape()
        if ch == ".":
            return CharClass("".join(sorted(set(self.any_chars))))
        if ch == "{":
            return self.named(start)
        if ch in "?*+":
            self.pos = start
            raise self.error(f"nothing to repeat before {ch!r}")
        if ch in ")]}":
            self.pos = start
            raise self.error(f"unbalanced {ch!r}")
        return Literal(ch)

    def escape(self) -> Node:
        ch = self.peek()
        if ch is None:
            raise self.error("pattern ends with a lone backslash")
        self.pos += 1
        classes = {"d": DIGITS, "w": ALNUM, "s": " "}
        if ch in classes:
            return CharClass(classes[ch])
        if ch.isalnum():
            self.pos -= 2
            raise self.error(f"unknown escape '\\{ch}' (known: \\d, \\w, \\s, or a backslash before punctuation)")
        return Literal(ch)

    def char_class(self) -> str:
        negate = self.peek() == "^"
        if negate:
            self.pos += 1
        chars: set[str] = set()
        first = True
        while True:
            ch = self.peek()
            if ch is None:
                raise self.error("missing ']'")
            if ch == "]" and not first:
                self.pos += 1
                break
            first = False
            self.pos += 1
            if ch == "\\":
                node = self.escape()
                chars.update(node.alphabet())
                continue
            if self.peek() == "-" and self.pos + 1 < len(self.text) and self.text[self.pos + 1] != "]":
                end = self.text[self.pos + 1]
                if ord(end) < ord(ch):
                    raise self.error(f"range {ch}-{end} is reversed")
                chars.update(chr(c) for c in range(ord(ch), ord(end) + 1))
                self.pos += 2
            else:
                chars.add(ch)
        if negate:
            chars = set(PRINTABLE) - chars
        if not chars:
            raise self.error("empty character class")
        return "".join(sorted(chars))

    def named(self, start: int) -> Node:
        end = self.text.find("}", self.pos)
        if end < 0:
            self.pos = start
            raise self.error("missing '}'")
        body = self.text[self.pos : end]
        name, _, arg = body.partition(":")
        if name.replace(",", "").isdigit():
            self.pos = start
            raise self.error("nothing to repeat before '{'")
        if name not in NAMED:
            self.pos = start
            raise self.error(f"unknown generator {{{name}}}; valid: {', '.join(NAMED)}")
        self.pos = end + 1
        if name in ("date", "time"):
            arg = arg or ("%d.%m.%Y" if name == "date" else "%H:%M")
            for i in range(len(arg) - 1):
                if arg[i] == "%" and arg[i + 1] not in DATE_FIELDS and arg[i + 1] != "%":
                    raise self.error(f"unknown date field %{arg[i + 1]} in {{{body}}}")
        elif name in ("price", "int"):
            arg = arg or ("999" if name == "price" else "9999")
            if not arg.isdigit() or len(arg) > MAX_NUMBER_DIGITS or int(arg) < 1:
                raise self.error(
                    f"{{{name}:N}} needs a whole number N >= 1 of at most {MAX_NUMBER_DIGITS} digits, got {arg[:20]!r}"
                )
        elif not self.words:
            raise self.error("{word} needs a corpus")
        return Named(name, arg, self.words if name == "word" else ())

    def quantified(self, atom: Node) -> Node:
        ch = self.peek()
        if ch == "?":
            self.pos += 1
            return Repeat(atom, 0, 1)
        if ch is not None and ch in "*+":
            self.pos += 1
            node = Repeat(atom, 0 if ch == "*" else 1, UNBOUNDED_MAX)
            self.check_length(node)
            return node
        if ch == "{":
            end = self.text.find("}", self.pos)
            body = self.text[self.pos + 1 : end] if end > 0 else ""
            if end > 0 and body.replace(",", "", 1).isdigit() and not body.startswith(","):
                low, _, high = body.partition(",")
                if len(low) > 6 or len(high) > 6:
                    raise self.error(f"repetition count above {MAX_REPEAT}")
                lo, hi = int(low), int(high) if high else int(low)
                if lo > hi:
                    raise self.error(f"repetition {{{body}}} has min > max")
                if hi > MAX_REPEAT:
                    raise self.error(f"repetition {{{body}}} above {MAX_REPEAT}")
                self.pos = end + 1
                node = Repeat(atom, lo, hi)
                self.check_length(node)
                return node
        return atom


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern: ``sample(rng)`` draws a string, ``alphabet()`` lists the characters it can produce."""

    source: str
    root: Node

    def sample(self, rng: np.random.Generator) -> str:
        return self.root.sample(rng)

    def alphabet(self) -> frozenset[str]:
        return self.root.alphabet()


def compile_pattern(text: str, key: str, words: Sequence[str] = (), any_chars: str = ALNUM) -> Pattern:
    """Parse a pattern; a syntax error raises ConfigError naming ``key`` and the position.

    Args:
        text: the pattern.
        key: config key path for error messages.
        words: the corpus behind ``{word}``.
        any_chars: the characters ``.`` stands for.
    """
    if not text:
        raise ConfigError(key, "pattern is empty")
    if len(text) > MAX_PATTERN_CHARS:
        raise ConfigError(key, f"pattern is longer than {MAX_PATTERN_CHARS:,} characters ({len(text):,})")
    return Pattern(text, _Parser(text, key, words, any_chars).parse())
