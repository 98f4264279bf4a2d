"""The augment stage: run a run config's steps, in order, on one sample's Layers."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthgen.augment.base import AugmentStep
from synthgen.types import Layers


@dataclass(frozen=True)
class AugmentResult:
    """What the augment stage produced for one sample.

    Attributes:
        layers: the augmented Layers; geometry holds only instances with pixels left.
        applied: step name -> the values sampled for it, for the steps that ran (JSON-able).
        dropped: instances removed, by reason (``{"augment_out_of_image": 2}``).
    """

    layers: Layers
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)


def augment(layers: Layers, steps: Sequence[AugmentStep], rng: np.random.Generator) -> AugmentResult:
    """Apply each step with its probability, in order, drawing everything from ``rng``.

    Args:
        layers: rgb (H, W, 3) uint8, instance_id (H, W) int32, optional semantic_id and depth,
            geometry per instance id. Not modified.
        steps: the configured steps (``RunConfig.augment``).
        rng: the sample's augment generator; the same generator gives the same bytes. Each
            step draws from its own child generator, keyed by the step's name, so adding,
            removing or changing one step does not change what the others sample.

    Returns:
        AugmentResult with the new layers, the sampled values and the dropped counts.
    """
    applied: dict[str, dict[str, Any]] = {}
    dropped: dict[str, int] = {}
    root = int(rng.integers(0, 2**63))
    for step in steps:
        step_rng = step_generator(root, step.name)
        if step_rng.random() >= step.p:
            continue
        result = step.kind.apply(step.settings, layers, step_rng)
        layers = result.layers
        applied[step.name] = result.params
        for reason, n in result.dropped.items():
            dropped[reason] = dropped.get(reason, 0) + n
    return AugmentResult(layers=layers, applied=applied, dropped=dropped)


def step_generator(root: int, name: str) -> np.random.Generator:
    """The generator of the step called ``name``, from the sample's root draw."""
    return np.random.default_rng(np.random.SeedSequence(root, spawn_key=(zlib.crc32(name.encode()),)))
