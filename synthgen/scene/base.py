"""What a scene builder provides."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthgen.types import SceneSpec


@dataclass(frozen=True)
class SceneKind:
    """A scene builder.

    Attributes:
        name: the ``scene.kind`` that selects it.
        params_schema: omegaconf dataclass that ``scene.params`` is merged onto.
        from_config: (schema object, key path) -> frozen settings; raises ConfigError.
        sample: (settings, rng) -> SceneSpec.
    """

    name: str
    params_schema: type
    from_config: Callable[[Any, str], Any]
    sample: Callable[[Any, np.random.Generator], SceneSpec]
