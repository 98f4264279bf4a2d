"""The random values of a run config (``uniform(...)``, ``choice([...])``, ...) that a recorded
parameter was drawn from: which config key each breakdown field maps to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synthgen.config.distributions import Choice, Constant, Distribution, Piecewise, RandInt, Uniform, parse_value
from synthgen.errors import ConfigError, InputError

SECTIONS = ("scene", "augment", "generate")  # where a run config holds what a sample is drawn from
NUMERIC_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Knob:
    """A random value of the config.

    Attributes:
        key: its key path (``scene.params.background.kind``).
        dist: the parsed distribution.
    """

    key: str
    dist: Distribution

    @property
    def name(self) -> str:
        return self.key.rsplit(".", 1)[-1]


def config_knobs(config: dict[str, Any]) -> dict[str, Knob]:
    """Every value of the run config's scene, augment and generate sections that is a distribution
    (not a constant), by key path."""
    knobs: dict[str, Knob] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}", item)
        elif isinstance(value, str) and "(" in value:
            try:
                dist = parse_value(value, prefix, "str" if value.startswith("choice") else "float")
            except ConfigError:
                try:
                    dist = parse_value(value, prefix, "float")
                except ConfigError:
                    return  # not a distribution (a pattern such as "(a|b)"), or a choice of mixed values
            if not isinstance(dist, Constant):
                knobs[prefix] = Knob(prefix, dist)

    for section in SECTIONS:
        if isinstance(config.get(section), dict):
            walk(section, config[section])
    return knobs


def _observed_fit(knob: Knob, values: list[Any]) -> str | None:
    """Why the recorded values cannot come from the knob's distribution, or None when they can."""
    dist = knob.dist
    if isinstance(dist, Choice):
        options = {str(o) for o in dist.options}
        stray = sorted({str(v) for v in values} - options)
        return f"recorded values {stray[:3]} are not among its options" if stray else None
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(numbers) != len(values):
        return "recorded values are not numbers"
    low, high = dist.support() or (None, None)
    if low is None:
        return f"{dist} has no bounded range to split"
    if min(numbers) < low - NUMERIC_TOLERANCE or max(numbers) > high + NUMERIC_TOLERANCE:
        return f"recorded values {min(numbers):g}..{max(numbers):g} leave its range {low:g}..{high:g} (other units?)"
    return None


def map_fields(
    fields: dict[str, list[Any]], knobs: dict[str, Knob], explicit: dict[str, str]
) -> tuple[dict[str, Knob], dict[str, str]]:
    """Which config knob each recorded field was drawn from.

    A field maps to the knob ``explicit`` names for it; else to the one knob whose key ends with
    the field's name (or with ``<name>.kind``); else, for a field of strings, to the one
    ``choice`` whose options hold every recorded value (``instance.category`` -> ``kinds``). The
    recorded values must fit the knob (options, or range) or the mapping is left out.

    Args:
        fields: field name -> its recorded values.
        knobs: ``config_knobs`` of the dataset's config.
        explicit: field -> config key, from ``--map``.

    Returns:
        (field -> knob, field -> why it maps to none, for the fields the user or the name rule
        pointed at a knob that does not fit).
    """
    for field, key in explicit.items():
        if field not in fields:
            raise InputError(
                f"--map {field}={key}: no recorded parameter {field!r}; recorded: {', '.join(sorted(fields))}"
            )
        if key not in knobs:
            raise InputError(f"--map {field}={key}: the dataset's config has no random value at {key!r}")
    mapped: dict[str, Knob] = {}
    skipped: dict[str, str] = {}
    taken = set()
    for field, values in sorted(fields.items()):
        name = field.rsplit(".", 1)[-1]
        if field in explicit:
            candidates = [knobs[explicit[field]]]
        else:
            candidates = [k for k in knobs.values() if k.name == name or k.key.endswith(f".{name}.kind")]
            if not candidates and all(isinstance(v, str) for v in values):
                candidates = [
                    k for k in knobs.values() if isinstance(k.dist, Choice) and _observed_fit(k, values) is None
                ]
        if len(candidates) != 1:
            continue
        knob = candidates[0]
        problem = _observed_fit(knob, values)
        if problem is not None:
            skipped[field] = f"{knob.key}: {problem}"
        elif knob.key in taken:
            skipped[field] = f"{knob.key}: already mapped from another field"
        else:
            mapped[field] = knob
            taken.add(knob.key)
    return mapped, skipped


def bin_edges(dist: Distribution, bins: int) -> list[float] | None:
    """Edges to split a numeric knob's range into (None: each value its own slice)."""
    if isinstance(dist, Piecewise):
        return list(dist.edges)
    if isinstance(dist, RandInt):
        if dist.high - dist.low + 1 <= 2 * bins:
            return None
        return [float(e) for e in _int_edges(dist.low, dist.high, bins)]
    if isinstance(dist, Uniform) and dist.high > dist.low:
        step = (dist.high - dist.low) / bins
        return [dist.low + step * k for k in range(bins)] + [dist.high]
    return None


def _int_edges(low: int, high: int, bins: int) -> list[int]:
    """Integer bin starts low..high split into ``bins`` runs, plus high + 1 (bins [e_k, e_k+1))."""
    import numpy as np

    starts = sorted({int(round(v)) for v in np.linspace(low, high + 1, bins + 1)})
    return starts
