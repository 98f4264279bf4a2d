"""Every extension point's registry, reachable from one place (the config loader, ``synthgen list``).

Each registry lists its kinds in its stage's ``__init__`` (``name -> module``); importing this
module imports the stages, not their kinds' modules nor their heavy dependencies (torch, kornia,
pyrender, ray load when a kind is used).
"""

from __future__ import annotations

from typing import Any

from synthgen.annotate import ANNOTATORS
from synthgen.augment import AUGMENTATIONS
from synthgen.backgrounds import BACKGROUNDS
from synthgen.engine.executors import EXECUTORS
from synthgen.formats import READERS, WRITERS
from synthgen.diffusion import GENERATORS
from synthgen.registry import Registry
from synthgen.render import RENDERERS
from synthgen.scene import SCENES

__all__ = [
    "ANNOTATORS",
    "AUGMENTATIONS",
    "BACKGROUNDS",
    "EXECUTORS",
    "GENERATORS",
    "READERS",
    "RENDERERS",
    "SCENES",
    "WRITERS",
    "by_key",
]


def by_key() -> dict[str, Registry[Any]]:
    """Each registry under the config key (or option) whose value names one of its kinds."""
    return {
        "scene.kind": SCENES,
        "render.kind": RENDERERS,
        "generate.*.kind": GENERATORS,
        "augment.*.kind": AUGMENTATIONS,
        "annotate.*.kind": ANNOTATORS,
        "outputs": WRITERS,
        "background kind": BACKGROUNDS,
        "sources.*.format": READERS,
        "--executor": EXECUTORS,
    }
