"""Annotate: labels derived from render layers by pure functions (masks -> boxes, RLE, polygons)."""

from synthgen.annotate.masks import annotate, mask_to_polygons, masks_to_instances

__all__ = ["annotate", "mask_to_polygons", "masks_to_instances"]
