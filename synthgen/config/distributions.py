"""Random values written in configs: ``uniform(a, b)``, ``normal(mu, sigma)``, ``randint(a, b)``,
``choice([a, b, c])`` (optionally ``choice([a, b], [0.7, 0.3])``), ``loguniform(a, b)``, and
``piecewise([e0, e1, ..., en], [w1, ..., wn])``: uniform within each bin [e(k-1), ek), bins drawn with
the weights (what ``synthgen target`` writes when it reweights a ``uniform`` range).

They are parsed at load time (YAML flow syntax for the arguments, never ``eval``) into
Distribution objects that a stage samples with the sample's own generator.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import yaml

from synthgen.errors import ConfigError

_CALL = re.compile(r"^\s*([a-z_]+)\s*\((.*)\)\s*$", re.S)
MAX_NESTING = 8  # brackets inside a distribution's arguments (choice([[a, b], [c]]) needs 2)
MAX_ARGS_CHARS = 100_000  # text of a distribution's arguments
MAX_MAGNITUDE = 1e15  # larger numbers are typos, and would overflow or lose integer precision


class Distribution:
    """A value to sample: ``sample(rng)`` draws one with the given numpy Generator."""

    def sample(self, rng: np.random.Generator) -> Any:
        raise NotImplementedError

    def support(self) -> tuple[float, float] | None:
        """(low, high) bounds of a numeric distribution when they are finite, else None."""
        return None


@dataclass(frozen=True)
class Constant(Distribution):
    value: Any

    def sample(self, rng: np.random.Generator) -> Any:
        return self.value

    def support(self):
        return (self.value, self.value) if isinstance(self.value, (int, float)) else None

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True)
class Uniform(Distribution):
    low: float
    high: float

    def sample(self, rng):
        return float(rng.uniform(self.low, self.high))

    def support(self):
        return (self.low, self.high)

    def __str__(self) -> str:
        return f"uniform({self.low}, {self.high})"


@dataclass(frozen=True)
class LogUniform(Distribution):
    low: float
    high: float

    def sample(self, rng):
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))

    def support(self):
        return (self.low, self.high)

    def __str__(self) -> str:
        return f"loguniform({self.low}, {self.high})"


@dataclass(frozen=True)
class Normal(Distribution):
    """Normal samples, clipped to [low, high] where the field has bounds (``parse_checked``)."""

    mu: float
    sigma: float
    low: float | None = None
    high: float | None = None

    def sample(self, rng):
        value = float(rng.normal(self.mu, self.sigma))
        if self.low is not None:
            value = max(value, self.low)
        return value if self.high is None else min(value, self.high)

    def __str__(self) -> str:
        return f"normal({self.mu}, {self.sigma})"


@dataclass(frozen=True)
class RandInt(Distribution):
    """Integers from low to high, both included."""

    low: int
    high: int

    def sample(self, rng):
        return int(rng.integers(self.low, self.high, endpoint=True))

    def support(self):
        return (self.low, self.high)

    def __str__(self) -> str:
        return f"randint({self.low}, {self.high})"


@dataclass(frozen=True)
class Choice(Distribution):
    options: tuple[Any, ...]
    weights: tuple[float, ...] | None = None

    def sample(self, rng):
        if self.weights is None:
            return self.options[int(rng.integers(len(self.options)))]
        # What rng.choice(n, p=weights) does for one draw, the same stream and the same result,
        # without its ~20 us of argument checks per call (a crop samples several choices).
        return self.options[bisect.bisect_right(self._cdf, rng.random())]

    @functools.cached_property
    def _cdf(self) -> list[float]:
        return cumulative(self.weights)

    def support(self):
        if all(isinstance(o, (int, float)) and not isinstance(o, bool) for o in self.options):
            return (min(self.options), max(self.options))
        return None

    def __str__(self) -> str:
        opts = ", ".join(str(o) for o in self.options)
        return f"choice([{opts}])" if self.weights is None else f"choice([{opts}], {list(self.weights)})"


def cumulative(weights) -> list[float]:
    """The cumulative share of ``weights`` (the last entry 1.0): bin ``bisect_right(cdf, u)`` for ``u`` in [0, 1)."""
    cdf = np.asarray(weights, np.float64).cumsum()
    cdf /= cdf[-1]
    return cdf.tolist()

@dataclass(frozen=True)
class Piecewise(Distribution):
    """Uniform within each bin ``[edges[k], edges[k + 1])``, bin ``k`` drawn with probability ``weights[k]``."""

    edges: tuple[float, ...]
    weights: tuple[float, ...]

    def sample(self, rng):
        k = bisect.bisect_right(self._cdf, rng.random())
        k = min(k, len(self.weights) - 1)
        return float(rng.uniform(self.edges[k], self.edges[k + 1]))

    @functools.cached_property
    def _cdf(self) -> list[float]:
        return cumulative(self.weights)

    def support(self):
        return (self.edges[0], self.edges[-1])

    def __str__(self) -> str:
        return f"piecewise({list(self.edges)}, {list(self.weights)})"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number_problem(value: Any) -> str | None:
    """Why a number cannot stand in a config (NaN, infinite, absurdly large), or None when it can."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, got {value}"
    if abs(value) > MAX_MAGNITUDE:
        digits = int(int(abs(value)).bit_length() * math.log10(2)) + 1  # str() of a huge int raises
        return f"magnitude must be <= {MAX_MAGNITUDE:g}, got a number of about {digits} digits"
    return None


def _check_number(key: str, value: Any) -> None:
    problem = number_problem(value)
    if problem is not None:
        raise ConfigError(key, problem)


def _numbers(key: str, name: str, args: list, count: int) -> list[float]:
    if len(args) != count or not all(_is_number(a) for a in args):
        raise ConfigError(key, f"{name} takes {count} numbers, got {_short(args)}")
    for a in args:
        _check_number(key, a)
    return [a for a in args]


def _nesting(text: str) -> int:
    """The deepest bracket nesting in ``text`` (quotes ignored: a rough bound, not a parser)."""
    depth = deepest = 0
    for ch in text:
        if ch in "[{(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]})":
            depth -= 1
    return deepest


def _load_args(body: str, value: str, key: str) -> Any:
    """The arguments of ``name(body)`` as YAML flow data; bounded so that no input can recurse deep."""
    if len(body) > MAX_ARGS_CHARS:
        raise ConfigError(key, f"the arguments of a distribution are longer than {MAX_ARGS_CHARS} characters")
    if _nesting(body) > MAX_NESTING:
        raise ConfigError(key, f"brackets nested more than {MAX_NESTING} deep in a distribution")
    try:
        return yaml.safe_load(f"[{body}]")
    except yaml.YAMLError:
        raise ConfigError(key, f"cannot parse the arguments of {_short(value)}") from None
    except (ValueError, OverflowError, RecursionError) as exc:  # e.g. Python's limit on int digits
        raise ConfigError(key, f"cannot read a number in the arguments ({type(exc).__name__})") from None


def _short(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters (a config value may be megabytes long)."""
    try:
        text = repr(value)
    except ValueError:  # an int past Python's digit limit
        return "(a number too long to print)"
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def parse_value(value: Any, key: str, kind: str = "float", options: tuple[str, ...] | None = None) -> Distribution:
    """Parse a config value into a Distribution, checking it against what the field takes.

    Args:
        value: a number, a string such as ``"uniform(1, 2)"``, or a plain string.
        key: full key path, for error messages (``scene.params.font_size``).
        kind: ``"float"``, ``"int"`` or ``"str"``: what a sampled value must be.
        options: for ``kind="str"``, the allowed values (None = any string).

    Returns:
        A Distribution; a plain value becomes a Constant.
    """
    dist = _parse(value, key)
    _check_values(dist, key, kind, options)
    return dist


def _parse(value: Any, key: str) -> Distribution:
    if isinstance(value, Distribution):
        return value
    if not isinstance(value, str):
        return Constant(value)
    match = _CALL.match(value)
    if not match:
        return Constant(value)
    name, body = match.group(1), match.group(2)
    args = _load_args(body, value, key)
    if name == "uniform":
        low, high = _numbers(key, name, args, 2)
        if low > high:
            raise ConfigError(key, f"uniform low {low} > high {high}")
        return Uniform(float(low), float(high))
    if name == "loguniform":
        low, high = _numbers(key, name, args, 2)
        if low <= 0 or low > high:
            raise ConfigError(key, f"loguniform needs 0 < low <= high, got ({low}, {high})")
        return LogUniform(float(low), float(high))
    if name == "normal":
        mu, sigma = _numbers(key, name, args, 2)
        if sigma < 0:
            raise ConfigError(key, f"normal sigma {sigma} < 0")
        return Normal(float(mu), float(sigma))
    if name == "randint":
        low, high = _numbers(key, name, args, 2)
        if not (float(low).is_integer() and float(high).is_integer()):
            raise ConfigError(key, f"randint takes integers, got ({low}, {high})")
        if low > high:
            raise ConfigError(key, f"randint low {int(low)} > high {int(high)}")
        return RandInt(int(low), int(high))
    if name == "choice":
        if not args or not isinstance(args[0], list) or not args[0] or len(args) > 2:
            raise ConfigError(key, f"choice takes a non-empty list and optional weights, got {_short(value)}")
        options = tuple(args[0])
        weights = None
        if len(args) == 2:
            w = args[1]
            if (
                not isinstance(w, list)
                or len(w) != len(options)
                or not all(_is_number(x) and number_problem(x) is None and x >= 0 for x in w)
                or not 0 < sum(w) < math.inf
            ):
                raise ConfigError(
                    key, f"choice weights must be {len(options)} finite non-negative numbers with a sum > 0, got {_short(w)}"
                )
            weights = tuple(float(x) / sum(w) for x in w)
        return Choice(options, weights)
    if name == "piecewise":
        return _piecewise(args, value, key)
    raise ConfigError(
        key, f"unknown distribution {name!r}; valid: uniform, normal, randint, choice, loguniform"
    )


def _piecewise(args: list, value: str, key: str) -> Piecewise:
    usage = f"piecewise takes increasing bin edges and one weight per bin, got {_short(value)}"
    if len(args) != 2 or not all(isinstance(a, list) for a in args):
        raise ConfigError(key, usage)
    edges, weights = args
    if len(edges) < 2 or len(weights) != len(edges) - 1 or not all(_is_number(x) for x in [*edges, *weights]):
        raise ConfigError(key, usage)
    for x in [*edges, *weights]:
        _check_number(key, x)
    if any(b <= a for a, b in zip(edges, edges[1:])):
        raise ConfigError(key, f"piecewise edges must increase, got {_short(edges)}")
    if any(w < 0 for w in weights) or not sum(weights) > 0:
        raise ConfigError(key, f"piecewise weights must be non-negative with a sum > 0, got {_short(weights)}")
    return Piecewise(tuple(float(e) for e in edges), tuple(float(w) / sum(weights) for w in weights))


def _check_values(dist: Distribution, key: str, kind: str, options: tuple[str, ...] | None) -> None:
    values: tuple[Any, ...]
    if isinstance(dist, Constant):
        values = (dist.value,)
    elif isinstance(dist, Choice):
        values = dist.options
    else:
        if kind == "str":
            raise ConfigError(key, f"expected one of {_fmt(options)} or choice([...]), got {dist}")
        if kind == "int" and not isinstance(dist, RandInt):
            raise ConfigError(key, f"expected an integer, randint(a, b) or choice([...]), got {dist}")
        return
    for v in values:
        if kind == "str":
            if not isinstance(v, str):
                raise ConfigError(key, f"expected a string, got {_short(v)}")
            if options is not None and v not in options:
                raise ConfigError(key, f"{_short(v)} is not one of {_fmt(options)}")
        elif isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ConfigError(key, f"expected a number or a distribution, got {_short(v)}")
        elif number_problem(v) is not None:
            raise ConfigError(key, str(number_problem(v)))
        elif kind == "int" and not float(v).is_integer():
            raise ConfigError(key, f"expected an integer, got {_short(v)}")


def _fmt(options: tuple[str, ...] | None) -> str:
    return "any string" if options is None else ", ".join(options)


def check_range(dist: Distribution, key: str, low: float | None = None, high: float | None = None) -> None:
    """Raise ConfigError when a distribution can produce values outside [low, high]."""
    support = dist.support()
    if support is None:
        return  # unbounded (normal): parse_checked clips its samples to the range
    lo, hi = support

    def offending(value: float) -> str:
        return f"got {value}" if isinstance(dist, Constant) else f"{dist} allows {value}"

    if low is not None and lo < low:
        raise ConfigError(key, f"values must be >= {low}, {offending(lo)}")
    if high is not None and hi > high:
        raise ConfigError(key, f"values must be <= {high}, {offending(hi)}")


def parse_checked(
    value: Any, key: str, kind: str = "float", low: float | None = None, high: float | None = None
) -> Distribution:
    """``parse_value`` of a number field whose values must lie in [low, high]: a ConfigError naming
    ``key`` when a bounded distribution can leave the range; a normal is clipped to it."""
    dist = parse_value(value, key, kind)
    check_range(dist, key, low, high)
    if isinstance(dist, Normal):
        dist = replace(dist, low=low, high=high)
    return dist
