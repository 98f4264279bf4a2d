"""Annotate: labels derived from render layers by pure functions (masks -> boxes, RLE, polygons,
occlusion, truncation, keypoint visibility), then the run config's annotators in order.

The annotator registry is filled by the explicit list in ``_register`` on first use; domain
packages hold the annotators (``synthgen.text.lines``), each imported when its kind is first used.
"""

from synthgen.annotate.base import AnnotatorKind
from synthgen.annotate.masks import annotate, mask_to_polygons, masks_to_instances
from synthgen.registry import Registry


def _text_lines() -> AnnotatorKind:
    from synthgen.text import lines

    return AnnotatorKind(
        "text_lines",
        (lines.LINE,),
        lines.annotate_lines,
        labels=frozenset({"lines"}),
        needs=frozenset({"quads", "text"}),
    )


def _register(annotators: Registry[AnnotatorKind]) -> None:
    """The annotator kinds; each domain module is imported when its kind is first used."""
    annotators.register_lazy("text_lines", _text_lines)


ANNOTATORS: Registry[AnnotatorKind] = Registry("annotator", _register)

__all__ = ["ANNOTATORS", "AnnotatorKind", "annotate", "mask_to_polygons", "masks_to_instances"]
