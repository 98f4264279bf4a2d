"""Generate: steps that add variety to rendered Layers (diffusion backgrounds, inpainting, ...)
without moving a labelled pixel unless they re-derive its label. Same protocol as augment
(``synthgen.steps``). The registry is filled by the explicit import list below.
"""

from __future__ import annotations

from synthgen.generate import fog
from synthgen.registry import Registry
from synthgen.steps import StepKind

GENERATORS: Registry[StepKind] = Registry("generate")

GENERATORS.register("fog", fog.KIND)

__all__ = ["GENERATORS"]
