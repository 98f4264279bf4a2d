"""Error rates per value of each recorded parameter, with Wilson confidence intervals."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from synthgen.config.distributions import Choice, RandInt
from synthgen.loop.knobs import Knob, bin_edges
from synthgen.loop.units import Unit

MAX_CATEGORIES = 24  # a field with more distinct values keeps the most common, the rest as "other"


@dataclass(frozen=True)
class Slice:
    """Units that share a value (or a bin) of one parameter.

    Attributes:
        label: the value, or the bin ``[low, high)``.
        count: units in the slice.
        failures: units the model got wrong.
        rate: failures / count.
        low, high: the Wilson 95 % interval of the rate.
        edges: (low, high) of a numeric bin, or None.
        value: the value of a categorical slice (as recorded), or None.
    """

    label: str
    count: int
    failures: int
    rate: float
    low: float
    high: float
    edges: tuple[float, float] | None = None
    value: Any = None


@dataclass(frozen=True)
class Parameter:
    """One recorded parameter's breakdown.

    Attributes:
        name: the field (``scene.background``, ``instance.occlusion``).
        numeric: whether it was binned.
        slices: its slices, in value (or bin) order.
        gap: the largest rate minus the smallest among slices of at least ``min_count`` units.
        significant: whether some slice's interval leaves out the rate of the units that record
            the parameter (all of them but in a mix of real and synthetic samples).
        config_key: the config key it was drawn from, or None.
    """

    name: str
    numeric: bool
    slices: tuple[Slice, ...]
    gap: float
    significant: bool
    config_key: str | None = None


def wilson(failures: int, count: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (without continuity correction: what scipy's
    ``binomtest(k, n).proportion_ci(method="wilson")`` gives, with no scipy to install)."""
    if count == 0:
        return 0.0, 1.0
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = failures / count
    centre = (p + z * z / (2 * count)) / (1 + z * z / count)
    half = z / (1 + z * z / count) * math.sqrt(p * (1 - p) / count + z * z / (4 * count * count))
    # the interval holds p: at p = 0 or 1 rounding would leave it a hair short (a negative error bar)
    return min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half))


def _slice(label: str, units: list[Unit], **extra: Any) -> Slice:
    failures = sum(u.failed for u in units)
    low, high = wilson(failures, len(units))
    return Slice(label, len(units), failures, failures / len(units), low, high, **extra)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _numeric_slices(units: list[Unit], name: str, edges: list[float] | None, bins: int) -> list[Slice]:
    values = np.array([u.fields[name] for u in units], np.float64)
    if edges is None:
        distinct = np.unique(values)
        if len(distinct) <= 2 * bins and np.all(distinct == np.round(distinct)):
            return [
                _slice(_fmt(v), [u for u, x in zip(units, values) if x == v], value=int(v) if v.is_integer() else v)
                for v in distinct
            ]
        edges = sorted(set(np.quantile(values, np.linspace(0, 1, bins + 1)).tolist()))
        if len(edges) < 2:
            return []
    out = []
    last = len(edges) - 2
    for k, (a, b) in enumerate(zip(edges, edges[1:])):
        inside = (values >= a) & ((values < b) if k < last else (values <= b))
        members = [u for u, m in zip(units, inside) if m]
        if members:
            closing = ")" if k < last else "]"
            out.append(_slice(f"[{_fmt(a)}, {_fmt(b)}{closing}", members, edges=(a, b)))
    return out


def _categorical_slices(units: list[Unit], name: str) -> list[Slice]:
    labels = [str(u.fields[name]) for u in units]
    counts = Counter(labels)
    keep = (
        {label for label, _ in counts.most_common(MAX_CATEGORIES - 1)} if len(counts) > MAX_CATEGORIES else set(counts)
    )
    groups: dict[str, list[Unit]] = {}
    for unit, label in zip(units, labels):
        groups.setdefault(label if label in keep else "other", []).append(unit)
    first = {}
    for unit, label in zip(units, labels):
        first.setdefault(label, unit.fields.get(name))
    return [_slice(label, members, value=first.get(label)) for label, members in sorted(groups.items())]


def break_down(
    units: list[Unit], knobs: dict[str, Knob], bins: int = 5, min_count: int = 10
) -> tuple[tuple[float, float, float], list[Parameter]]:
    """Error rates by every field the units record, largest gap first.

    Args:
        units: the judged units.
        knobs: field -> the config knob it was drawn from (``map_fields``); a numeric field's bins
            follow its knob's range, so that they can be reweighted.
        bins: bins of a numeric field (default 5).
        min_count: slices smaller than this do not count towards a parameter's gap (default 10).

    Returns:
        ((overall rate, low, high), parameters): parameters with at least two slices, sorted by
        gap (significant ones first, then by gap), then by name.
    """
    failures = sum(u.failed for u in units)
    overall = failures / len(units)
    low, high = wilson(failures, len(units))
    names = sorted({name for u in units for name in u.fields})
    params = []
    for name in names:
        present = [u for u in units if name in u.fields]
        values = [u.fields[name] for u in present]
        knob = knobs.get(name)
        categorical_knob = knob is not None and isinstance(knob.dist, Choice)
        small_int_knob = knob is not None and isinstance(knob.dist, RandInt) and bin_edges(knob.dist, bins) is None
        if all(_number(v) for v in values) and not categorical_knob:
            edges = None if knob is None or small_int_knob else bin_edges(knob.dist, bins)
            slices = _numeric_slices(present, name, edges, bins)
            numeric = True
        else:
            slices = _categorical_slices(present, name)
            numeric = False
        if len(slices) < 2:
            continue
        big = [s for s in slices if s.count >= min_count]
        gap = max(s.rate for s in big) - min(s.rate for s in big) if len(big) >= 2 else 0.0
        # against the rate of the units that record it (a mix's real samples record no scene)
        base = sum(u.failed for u in present) / len(present)
        significant = any(s.count >= min_count and (s.low > base or s.high < base) for s in slices)
        params.append(Parameter(name, numeric, tuple(slices), gap, significant, knob.key if knob else None))
    params.sort(key=lambda p: (not p.significant, -p.gap, p.name))
    return (overall, low, high), params
