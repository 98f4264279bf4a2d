"""Annotate: labels derived from render layers by pure functions (masks -> boxes, RLE, polygons,
occlusion, truncation, keypoint visibility), then the run config's annotators in order.

The annotator registry is filled by the explicit import list below.
"""

from synthgen.annotate.base import AnnotatorKind
from synthgen.annotate.masks import annotate, mask_to_polygons, masks_to_instances
from synthgen.registry import Registry
from synthgen.text import lines

ANNOTATORS: Registry[AnnotatorKind] = Registry("annotator")
ANNOTATORS.register(
    "text_lines",
    AnnotatorKind(
        "text_lines",
        (lines.LINE,),
        lines.annotate_lines,
        labels=frozenset({"lines"}),
        needs=frozenset({"quads", "text"}),
    ),
)

__all__ = ["ANNOTATORS", "AnnotatorKind", "annotate", "mask_to_polygons", "masks_to_instances"]
