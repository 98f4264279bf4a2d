"""The diffusion stage (the ``generate:`` section of a run config): steps that add variety and realism
to rendered Layers without moving a labelled pixel:
``inpaint_background`` (every pixel outside the instances), ``refine`` (img2img), ``controlnet``
(3D scenes: conditioned on depth, segmentation or edges) with diffusion models, and ``fog``
(Koschmieder's law on the depth layer). Same protocol as augment (``synthgen.steps``); the
registry lists each kind once, ``name -> module`` (its ``KIND``), imported on first use. The
built-in model and users' checkpoints: ``synthgen.diffusion_models.models``; the background bank
(the ``diffusion`` background kind): ``synthgen.diffusion_models.bank``.

It stays light to import (no numpy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synthgen.registry import Registry

if TYPE_CHECKING:
    from synthgen.steps import StepKind

GENERATORS: Registry[StepKind] = Registry(
    "generate",
    {
        "inpaint_background": "synthgen.diffusion.inpaint_background",
        "refine": "synthgen.diffusion.refine",
        "controlnet": "synthgen.diffusion.controlnet",
        "fog": "synthgen.diffusion.fog",
    },
)

__all__ = ["GENERATORS"]

