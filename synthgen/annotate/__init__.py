"""Annotate: labels derived from render layers by pure functions (masks -> boxes, RLE, polygons,
occlusion, truncation, keypoint visibility), then the run config's annotators in order.

``ANNOTATORS`` lists each annotator kind once, ``name -> module:attribute``, imported on first use.
"""

from synthgen.annotate.base import AnnotatorKind
from synthgen.annotate.masks import annotate, mask_to_polygons, masks_to_instances
from synthgen.registry import Registry

ANNOTATORS: Registry[AnnotatorKind] = Registry("annotator", {"text_lines": "synthgen.text.lines:ANNOTATOR"})


def _insert_real(instances, layers, spec):
    """The real labelled objects of a driving_insert frame (``synthgen.driving.insert.real_labels``)."""
    from synthgen.driving.insert.real_labels import annotate_real

    return annotate_real(instances, layers, spec)


ANNOTATORS.register(
    "insert_real", AnnotatorKind("insert_real", (), _insert_real, needs=frozenset({"box3d", "camera"}))
)

__all__ = ["ANNOTATORS", "AnnotatorKind", "annotate", "mask_to_polygons", "masks_to_instances"]
