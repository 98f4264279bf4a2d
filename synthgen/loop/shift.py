"""A run config shifted toward where a model fails: each mapped knob's values (choice options,
bins of a uniform or randint range) reweighted by their error rate, within the user's limits."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthgen.config.distributions import Choice, Piecewise, RandInt, Uniform
from synthgen.errors import InputError
from synthgen.loop.breakdown import Parameter
from synthgen.loop.knobs import Knob

PRIOR = 5.0  # pseudo-units at the overall rate that each slice's rate is shrunk with (few units, small moves)
MAX_INT_OPTIONS = 256  # a reweighted randint becomes a choice of its values; past this many, left alone
DECIMALS = 4


@dataclass(frozen=True)
class Limits:
    """How far a config may move.

    Args:
        max_shift: no value's probability grows or shrinks by more than this factor (default 2).
        min_weight: no value's probability falls below this (default 0.02); never to zero.
        strength: the exponent on (slice rate / overall rate) (default 1: a value failing twice as
            often is drawn up to twice as often).
    """

    max_shift: float = 2.0
    min_weight: float = 0.02
    strength: float = 1.0

    def check(self) -> None:
        if not 1.0 < self.max_shift <= 100.0:
            raise InputError(f"--max-shift: must be in (1, 100], got {self.max_shift}")
        if not 0.0 < self.min_weight < 0.5:
            raise InputError(f"--min-weight: must be in (0, 0.5), got {self.min_weight}")
        if not 0.0 < self.strength <= 10.0:
            raise InputError(f"--strength: must be in (0, 10], got {self.strength}")


@dataclass(frozen=True)
class Change:
    """One config value the shift rewrote, and why."""

    key: str
    parameter: str
    before: str
    after: str
    why: str


def _base(knob: Knob, param: Parameter) -> tuple[list[str], list[float], list[Any]] | None:
    """(slice labels, base probabilities, the knob's values per slice) aligned with the parameter's
    slices, or None when the slices do not line up with the knob's values."""
    dist = knob.dist
    if isinstance(dist, Choice):
        labels = [str(o) for o in dist.options]
        weights = list(dist.weights) if dist.weights is not None else [1 / len(labels)] * len(labels)
        return labels, weights, list(dist.options)
    if isinstance(dist, RandInt):
        values = list(range(dist.low, dist.high + 1))
        if any(s.edges is None for s in param.slices):  # one slice per value
            return [str(v) for v in values], [1 / len(values)] * len(values), values
        edges = [s.edges for s in param.slices]
        labels = [s.label for s in param.slices]
        members = [
            [v for v in values if a <= v < b or (k == len(edges) - 1 and v == b)] for k, (a, b) in enumerate(edges)
        ]
        return labels, [len(m) / len(values) for m in members], members
    if isinstance(dist, (Uniform, Piecewise)):
        if any(s.edges is None for s in param.slices):
            return None
        edges = [s.edges for s in param.slices]
        low, high = dist.support()
        if edges[0][0] != low or edges[-1][1] != high or any(a[1] != b[0] for a, b in zip(edges, edges[1:])):
            return None  # a bin without units: its weight would be lost
        span = dist.support()[1] - dist.support()[0]
        if isinstance(dist, Piecewise) and len(dist.weights) == len(edges):
            weights = list(dist.weights)
        else:
            weights = [(b - a) / span for a, b in edges]
        return [s.label for s in param.slices], weights, edges
    return None


def reweight(base: list[float], rates: list[float | None], overall: float, limits: Limits) -> list[float]:
    """New probabilities: base x (rate / overall) ** strength, each within a factor ``max_shift``
    of its base and at least ``min_weight`` (a value never observed keeps its factor 1)."""
    base_arr = np.asarray(base, np.float64)
    factor = np.array([1.0 if r is None else (max(r, 1e-6) / max(overall, 1e-6)) ** limits.strength for r in rates])
    factor = np.clip(factor, 1 / limits.max_shift, limits.max_shift)
    new = base_arr * factor
    new /= new.sum()
    low = np.minimum(base_arr, np.maximum(base_arr / limits.max_shift, limits.min_weight))
    high = base_arr * limits.max_shift
    for _ in range(50):  # clamp, renormalise, until both limits hold
        clamped = np.clip(new, low, high)
        clamped /= clamped.sum()
        if np.allclose(clamped, new, rtol=0, atol=1e-12):
            break
        new = clamped
    return new.tolist()


def _written(dist: Any, values: list[Any], weights: list[float]) -> str:
    w = [round(x, DECIMALS) for x in weights]
    if isinstance(dist, Choice):
        return str(Choice(tuple(dist.options), tuple(w)))
    if isinstance(dist, RandInt):
        options, probs = [], []
        for group, p in zip(values, w):
            members = group if isinstance(group, list) else [group]
            options += members
            probs += [round(p / len(members), DECIMALS + 2)] * len(members)
        return str(Choice(tuple(options), tuple(probs)))
    edges = [values[0][0]] + [b for _, b in values]
    return str(Piecewise(tuple(edges), tuple(w)))


def shift_config(
    config: dict[str, Any], params: list[Parameter], overall: float, limits: Limits, min_count: int = 10
) -> tuple[dict[str, Any], list[Change], dict[str, str]]:
    """The config with its mapped knobs reweighted toward the failing values.

    Only a parameter whose breakdown is significant (some slice's 95 % interval leaves out the
    overall rate) moves; each slice's rate is shrunk toward the parameter's own overall rate by
    ``PRIOR`` pseudo-units, so a slice of a few units moves little.

    Args:
        config: the dataset's resolved run config (from its manifest), as plain data.
        params: the breakdown (``break_down``), with ``config_key`` set where a knob was found.
        overall: the overall failure rate.
        limits: how far a value may move.
        min_count: a slice of fewer units keeps its weight.

    Returns:
        (new config, changes, key -> why it was left alone).
    """
    from synthgen.loop.knobs import config_knobs

    knobs = config_knobs(config)
    new = copy.deepcopy(config)
    changes: list[Change] = []
    kept: dict[str, str] = {}
    for param in params:
        if param.config_key is None:
            continue
        knob = knobs[param.config_key]
        if not param.significant:
            kept[knob.key] = (
                f"{param.name}: no value's error rate differs from the overall {overall:.3f} (95 % intervals)"
            )
            continue
        aligned = _base(knob, param)
        if aligned is None:
            kept[knob.key] = f"{param.name}: its slices do not line up with {knob.dist}"
            continue
        labels, base, values = aligned
        if isinstance(knob.dist, RandInt) and knob.dist.high - knob.dist.low + 1 > MAX_INT_OPTIONS:
            kept[knob.key] = f"{param.name}: randint of more than {MAX_INT_OPTIONS} values"
            continue
        slices = {s.label: s for s in param.slices}
        present = sum(s.count for s in param.slices)
        param_rate = sum(s.failures for s in param.slices) / present
        rates = []
        for label in labels:
            s = slices.get(label)
            rates.append(
                None if s is None or s.count < min_count else (s.failures + PRIOR * param_rate) / (s.count + PRIOR)
            )
        weights = reweight(base, rates, param_rate, limits)
        if max(abs(a - b) for a, b in zip(weights, base)) < 10**-DECIMALS:
            kept[knob.key] = f"{param.name}: the shift rounds to nothing"
            continue
        after = _written(knob.dist, values, weights)
        moves = sorted(zip(labels, base, weights, rates), key=lambda m: -(m[2] - m[1]))

        def move(label: str, b: float, w: float) -> str:
            s = slices.get(label)
            return f"{label} {b:.3f}->{w:.3f}" + (
                f" (error {s.rate:.2f}, n={s.count})" if s is not None else " (not seen)"
            )

        up = [move(lab, b, w) for lab, b, w, _ in moves if w > b + 1e-4]
        down = [move(lab, b, w) for lab, b, w, _ in moves[::-1] if w < b - 1e-4]
        why = (
            f"{param.name}: error {param_rate:.2f} overall; more of "
            + ", ".join(up[:4])
            + "; less of "
            + ", ".join(down[:4])
        )
        _set(new, knob.key, after)
        changes.append(Change(knob.key, param.name, _get(config, knob.key), after, why))
    return new, changes, kept


FONT_FIELDS = ("scene.font", "instance.font")  # the font file a text scene records (fonts.record)
FONT_WEIGHTS = "scene.params.fonts.weights"


def shift_font_weights(
    config: dict[str, Any], new: dict[str, Any], params: list[Parameter], limits: Limits, min_count: int = 10
) -> Change | str | None:
    """Reweight ``fonts.weights`` (file name -> weight, others 1) by the recorded font's error rate.

    A text scene draws its font from a list of files, not from a ``choice``: its ``fonts.weights``
    multiply each file's draw. Each observed font's weight is multiplied by its (shrunk) rate over
    the overall rate, within a factor ``max_shift``; a font seen fewer than ``min_count`` times keeps its.

    Returns:
        The Change written into ``new``, why nothing changed (a string), or None when the config has
        no ``fonts.weights`` or no font is recorded.
    """
    try:
        weights = _get(config, FONT_WEIGHTS)
    except (KeyError, TypeError):
        return None
    param = next((p for name in FONT_FIELDS for p in params if p.name == name), None)
    if not isinstance(weights, dict) or param is None:
        return None
    if not param.significant:
        return f"{param.name}: no font's error rate differs from the overall (95 % intervals)"
    present = sum(s.count for s in param.slices)
    rate = sum(s.failures for s in param.slices) / present
    out = dict(weights)
    moved = []
    for s in param.slices:
        if s.count < min_count or not isinstance(s.value, str) or s.label == "other":
            continue
        shrunk = (s.failures + PRIOR * rate) / (s.count + PRIOR)
        factor = float(
            np.clip((max(shrunk, 1e-6) / max(rate, 1e-6)) ** limits.strength, 1 / limits.max_shift, limits.max_shift)
        )
        old = float(weights.get(s.value, 1.0))
        out[s.value] = round(old * factor, DECIMALS)
        if abs(factor - 1) > 1e-3:
            moved.append((factor, f"{s.value} x{factor:.2f} (error {s.rate:.2f}, n={s.count})"))
    if not moved:
        return f"{param.name}: the shift rounds to nothing"
    moved.sort(key=lambda m: -m[0])
    _set(new, FONT_WEIGHTS, out)
    why = f"{param.name}: error {rate:.2f} overall; " + ", ".join(text for _, text in moved[:6])
    return Change(FONT_WEIGHTS, param.name, str(weights), str(out), why)


def _get(config: dict[str, Any], key: str) -> Any:
    node: Any = config
    for part in key.split("."):
        node = node[part]
    return node


def _set(config: dict[str, Any], key: str, value: Any) -> None:
    *parents, leaf = key.split(".")
    node = config
    for part in parents:
        node = node[part]
    node[leaf] = value
