"""Augment kinds are steps of the shared protocol (``synthgen.steps``); the checks their configs share."""

from __future__ import annotations

from typing import Any, Union

import numpy as np

from synthgen.config.distributions import Distribution, parse_checked
from synthgen.steps import Applied, Step, StepKind

# Schema field types: a number or a distribution string such as "uniform(0.5, 1.5)". int is
# listed beside float because omegaconf 2.4 rejects an int for Union[float, str].
Number = Union[int, float, str]
Integer = Union[int, str]


# Augment steps are steps of the shared protocol (synthgen.steps).
AugmentKind = StepKind
AugmentStep = Step

__all__ = ["GEOMETRIC_MOVES", "Applied", "AugmentKind", "AugmentStep", "Integer", "Number", "draw", "number"]

# What a geometric kind moves with the pixels (StepKind.moves), or carries unchanged (a word's
# transcription): not 3D boxes, cameras, depth or amodal boxes, whose values a 2D warp cannot keep true.
GEOMETRIC_MOVES = frozenset({"masks", "boxes", "quads", "polygons", "text", "keypoints"})


def number(
    value: Any, key: str, low: float | None = None, high: float | None = None, kind: str = "float"
) -> Distribution:
    """Parse a numeric config value (a number or a distribution) and check its range."""
    return parse_checked(value, key, kind, low, high)


def draw(dist: Distribution, rng: np.random.Generator) -> float:
    """Sample a float (``number`` has checked the range, and clips a normal to it)."""
    return float(dist.sample(rng))
