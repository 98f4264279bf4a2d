"""What an augmentation kind provides, a configured step, and the checks their configs share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np

from synthgen.config.distributions import Distribution, parse_checked
from synthgen.types import Layers

# Schema field types: a number or a distribution string such as "uniform(0.5, 1.5)". int is
# listed beside float because omegaconf 2.4 rejects an int for Union[float, str].
Number = Union[int, float, str]
Integer = Union[int, str]


@dataclass(frozen=True)
class Applied:
    """What one application of an augmentation kind produced.

    Attributes:
        layers: the augmented layers (new arrays; the input layers are left untouched).
        params: the values sampled for this application, JSON-able, recorded in the sample's meta.
        dropped: instances removed by this application, by reason (``{"augment_out_of_image": 1}``).
    """

    layers: Layers
    params: dict[str, Any]
    dropped: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AugmentKind:
    """An augmentation kind.

    Attributes:
        name: the ``augment.<step>.kind`` that selects it.
        params_schema: omegaconf dataclass that ``augment.<step>.params`` is merged onto.
        from_config: (schema object, key path) -> frozen settings; raises ConfigError.
        apply: (settings, layers, rng) -> Applied. Photometric kinds change only ``rgb``;
            geometric kinds move every layer and every quad with one sampled transform.
        needs: optional modules the kind imports when it runs (``("torch", "kornia")`` for the
            geometric kinds); a config that uses it without them fails at load time.
    """

    name: str
    params_schema: type
    from_config: Callable[[Any, str], Any]
    apply: Callable[[Any, Layers, np.random.Generator], Applied]
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class AugmentStep:
    """One named, configured step of the ``augment:`` section of a run config.

    Attributes:
        name: the step's key in the config (``blur`` in ``augment.blur``).
        kind: the augmentation kind it runs.
        p: probability of applying it to a sample, 0..1.
        settings: the kind's frozen settings dataclass.
    """

    name: str
    kind: AugmentKind
    p: float
    settings: Any


def number(
    value: Any, key: str, low: float | None = None, high: float | None = None, kind: str = "float"
) -> Distribution:
    """Parse a numeric config value (a number or a distribution) and check its range."""
    return parse_checked(value, key, kind, low, high)


def draw(dist: Distribution, rng: np.random.Generator) -> float:
    """Sample a float (``number`` has checked the range, and clips a normal to it)."""
    return float(dist.sample(rng))
