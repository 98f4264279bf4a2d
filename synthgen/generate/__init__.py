"""Generate: steps that add variety and realism to rendered Layers without moving a labelled pixel:
``inpaint_background`` (every pixel outside the instances), ``refine`` (img2img), ``controlnet``
(3D scenes: conditioned on depth, segmentation or edges) with diffusion models, and ``fog``
(Koschmieder's law on the depth layer). Same protocol as augment (``synthgen.steps``); the
registry lists each kind once, ``name -> module`` (its ``KIND``), imported on first use. The
built-in model and users' checkpoints: ``synthgen.generate.models``; the background bank (the ``diffusion``
background kind): ``synthgen.generate.bank``.

``synthgen.generate`` is also the API function that generates a dataset: importing this package
makes the name refer to it, so the module is callable and forwards to that function.
"""

from __future__ import annotations

import sys
import types

from synthgen.registry import Registry
from synthgen.steps import StepKind

GENERATORS: Registry[StepKind] = Registry(
    "generate",
    {
        "inpaint_background": "synthgen.generate.inpaint_background",
        "refine": "synthgen.generate.refine",
        "controlnet": "synthgen.generate.controlnet",
        "fog": "synthgen.generate.fog",
    },
)

__all__ = ["GENERATORS"]


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        from synthgen import generate_dataset

        return generate_dataset(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
