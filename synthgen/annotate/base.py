"""What an annotator provides: labels derived from the instances and layers of one image."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from synthgen.types import Instance, Layers, SceneSpec


@dataclass(frozen=True)
class AnnotatorKind:
    """An annotator, named in a run config's ``annotate:`` section.

    Attributes:
        categories: the categories it adds to the run's category table.
        annotate: (instances so far, layers, spec) -> new instances, appended after the others.
            A pure function: it returns new instances and changes none it was given.
        labels: the label kinds (``synthgen.steps.LABEL_KINDS``) it adds to the scene's, for the
            writers that need them (``icdar_lines`` needs the ``lines`` of ``text_lines``).
        needs: the scene's label kinds it makes them from; with another scene it adds nothing.
        name: the ``annotate.<name>.kind`` that selects it, set by the ``ANNOTATORS`` registry.
    """

    categories: tuple[str, ...]
    annotate: Callable[[Sequence[Instance], Layers, SceneSpec], tuple[Instance, ...]]
    labels: frozenset[str] = frozenset()
    needs: frozenset[str] = frozenset()
    name: str = ""
