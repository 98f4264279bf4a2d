"""Annotate: labels derived from render layers by pure functions (masks -> boxes, RLE, polygons,
occlusion, truncation, keypoint visibility), then the run config's annotators in order.

``ANNOTATORS`` lists each annotator kind once, ``name -> module:attribute``, imported on first use.
"""

from synthgen.annotate.base import AnnotatorKind
from synthgen.annotate.masks import annotate, mask_to_polygons, masks_to_instances
from synthgen.registry import Registry

ANNOTATORS: Registry[AnnotatorKind] = Registry(
    "annotator",
    {
        "text_lines": "synthgen.text.lines:ANNOTATOR",
        "insert_real": "synthgen.driving.insert.real_labels:ANNOTATOR",
    },
)

__all__ = ["ANNOTATORS", "AnnotatorKind", "annotate", "mask_to_polygons", "masks_to_instances"]
