"""What an annotator provides: labels derived from the instances and layers of one image."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from synthgen.types import Instance, Layers, SceneSpec


@dataclass(frozen=True)
class AnnotatorKind:
    """An annotator, named in a run config's ``annotate:`` section.

    Attributes:
        name: the ``annotate.<name>.kind`` that selects it.
        categories: the categories it adds to the run's category table.
        annotate: (instances so far, layers, spec) -> new instances, appended after the others.
            A pure function: it returns new instances and changes none it was given.
    """

    name: str
    categories: tuple[str, ...]
    annotate: Callable[[Sequence[Instance], Layers, SceneSpec], tuple[Instance, ...]]
