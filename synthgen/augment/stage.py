"""The augment stage: run a run config's ``augment:`` steps, in order, on one sample's Layers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from synthgen.steps import Step, StepsResult, run_steps
from synthgen.types import Layers, SceneSpec

AugmentResult = StepsResult


def augment(
    layers: Layers, steps: Sequence[Step], rng: np.random.Generator, spec: SceneSpec | None = None, ctx: Any = None
) -> StepsResult:
    """Apply the augment steps (``synthgen.steps.run_steps``) to one sample's layers.

    Args:
        layers: rgb (H, W, 3) uint8, instance_id (H, W) int32, optional semantic_id and depth,
            geometry per instance id. Not modified.
        steps: the configured steps (``RunConfig.augment``).
        rng: the sample's augment generator.
        spec: the scene the layers were rendered from.
        ctx: the worker context.
    """
    return run_steps(steps, layers, spec, rng, ctx, stage="augment")  # type: ignore[arg-type]
