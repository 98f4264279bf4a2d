"""What a scene builder provides."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from synthgen.types import Category, Layers, SceneSpec

if TYPE_CHECKING:
    from synthgen.config.params import Params


@dataclass(frozen=True)
class SceneKind:
    """A scene builder.

    Attributes:
        sample: (settings, rng) -> SceneSpec.
        categories: (settings) -> the categories its specs can hold, in id order (names get ids
            1, 2, ...; a Category fixes its own id, keypoints and colour).
        renderers: the renderer kinds that can draw its specs; the first is the default.
        labels: the label kinds (``synthgen.steps.LABEL_KINDS``) its samples carry, declared by each
            scene (no default: a domain's labels are its own, ``synthgen.text.label.TEXT_LABELS``); a
            geometric step that cannot move one of them, and a writer that needs another, are refused
            at load.
        measure: optional (settings, spec, layers) -> (layers, counts): labels measured on the final
            pixels, after generate and augment (text legibility), and the instances it flagged, by
            reason, added to the sample's ``dropped`` counts. A pure function: new layers.
        check_outputs: optional (settings, output names) -> None: refuses, at load, a writer its
            settings cannot serve (driving: kitti with a distorting lens), with a ConfigError.
        name: the ``scene.kind`` that selects it, set by the ``SCENES`` registry (``synthgen.scene``).
        params: the kind's ``synthgen.config.params.Params`` class (keyword): ``scene.params`` are
            checked into an instance of it, the settings ``sample`` receives.
        params_schema, from_config: the older form, for kinds not yet declared as Params (keyword,
            both or neither): an omegaconf dataclass that ``scene.params`` is merged onto, and
            (schema object, key path) -> frozen settings.
    """

    sample: Callable[[Any, np.random.Generator], SceneSpec]
    categories: Callable[[Any], tuple[str | Category, ...]]
    renderers: tuple[str, ...]
    labels: frozenset[str]
    measure: Callable[[Any, SceneSpec, Layers], tuple[Layers, dict[str, int]]] | None = None
    check_outputs: Callable[[Any, tuple[str, ...]], None] | None = None
    name: str = ""
    _: KW_ONLY
    params: type[Params] | None = None
    params_schema: type | None = None
    from_config: Callable[[Any, str], Any] | None = None

    def __post_init__(self):
        older = (self.params_schema is not None, self.from_config is not None)
        if older not in ((False, False), (True, True)) or (self.params is not None) == older[0]:
            raise TypeError("SceneKind takes params=, or params_schema= and from_config=")
