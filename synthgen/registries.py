"""Every extension point's registry, reachable from one place (the config loader, ``synthgen list``).

Each registry is filled by the explicit imports of its stage's ``__init__``; importing this module
imports the stages, not their heavy dependencies (torch, kornia, pyrender, ray load when used).
"""

from __future__ import annotations

from synthgen.annotate import ANNOTATORS
from synthgen.augment import AUGMENTATIONS
from synthgen.backgrounds import BACKGROUNDS
from synthgen.formats import WRITERS
from synthgen.generate import GENERATORS
from synthgen.render import RENDERERS
from synthgen.scene import SCENES

__all__ = ["ANNOTATORS", "AUGMENTATIONS", "BACKGROUNDS", "GENERATORS", "RENDERERS", "SCENES", "WRITERS"]
