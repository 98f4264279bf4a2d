"""Plain data types that the stages pass to each other.

A stage never imports another stage; they talk only through these types:
``SceneSpec`` (what to draw) -> ``Layers`` (what was drawn) -> ``Labels``/``Sample`` (what is written).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class SceneSpec:
    """A sampled scene: pure data, enough for a renderer to draw it with no randomness left.

    Attributes:
        kind: the scene builder that made it (``text_words``).
        renderer: the renderer kind that draws it (``text2d``).
        width, height: image size in pixels.
        background: renderer-specific description of the background (JSON-able).
        items: the objects to draw, in drawing order (renderer-specific frozen dataclasses).
        categories: category names this scene can emit, in id order (ids start at 1).
        params: the sampled scene parameters, JSON-able, recorded in each sample's meta.
        dropped: what the builder sampled but could not place, by reason (``{"no_room": 2}``).
    """

    kind: str
    renderer: str
    width: int
    height: int
    background: dict[str, Any]
    items: tuple[Any, ...]
    categories: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class InstanceGeometry:
    """Geometry the renderer knows for one instance, in image pixel coordinates (x right, y down).

    Attributes:
        category: category name.
        text: transcription, or None for non-text instances.
        quad: (4, 2) float32 corners, clockwise from the top-left of the upright object, or None.
        chars: the characters that have ``char_quads`` (whitespace excluded), or None.
        char_quads: (len(chars), 4, 2) float32 per-character quads, or None.
        polygon: (N, 2) float32 outline with more than 4 points where a quad is too coarse (curved
            text: the upper edge left to right, then the lower edge right to left), or None.
        attributes: JSON-able attributes copied onto the Instance (``legible``, ``line``, ...).
    """

    category: str
    text: str | None = None
    quad: np.ndarray | None = None
    chars: str | None = None
    char_quads: np.ndarray | None = None
    polygon: np.ndarray | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Layers:
    """What a renderer drew.

    Attributes:
        rgb: (H, W, 3) uint8 image.
        instance_id: (H, W) int32, 0 = background, k = the pixels of instance k.
        geometry: instance id -> InstanceGeometry for every instance that was drawn.
        depth: optional (H, W) float32 metres, inf where empty.
        semantic_id: optional (H, W) int32 category ids, 0 = background.
    """

    rgb: np.ndarray
    instance_id: np.ndarray
    geometry: dict[int, InstanceGeometry]
    depth: np.ndarray | None = None
    semantic_id: np.ndarray | None = None


@dataclass(frozen=True)
class Instance:
    """One labelled object, derived from render layers.

    Attributes:
        category: category name.
        bbox: (x, y, w, h) pixel extent of the visible mask; x, y of the top-left pixel.
        area: number of visible pixels.
        rle: visible mask as COCO compressed RLE ``{"size": [H, W], "counts": str}``.
        text: transcription (text instances).
        quad: (4, 2) float32 word quad (text instances).
        chars: characters with a quad each.
        char_quads: (len(chars), 4, 2) float32.
        attributes: extra JSON-able attributes (``legible``, ...).
        polygon: (N, 2) float32 text outline with more than 4 points (curved text), or None.
    """

    category: str
    bbox: tuple[int, int, int, int]
    area: int
    rle: dict[str, Any]
    text: str | None = None
    quad: np.ndarray | None = None
    chars: str | None = None
    char_quads: np.ndarray | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    polygon: np.ndarray | None = None

    def visible_mask(self) -> np.ndarray:
        """Decode the RLE into a (H, W) bool mask."""
        from pycocotools import mask as mask_utils

        rle = {"size": self.rle["size"], "counts": self.rle["counts"].encode("ascii")}
        return mask_utils.decode(rle).astype(bool)


@dataclass(frozen=True)
class Labels:
    """All labels of one image.

    Attributes:
        instances: the visible instances, in instance-id order.
        categories: category names, in id order (COCO ids start at 1).
        depth: optional (H, W) float32 metres.
        semantic: optional (H, W) int32.
    """

    instances: tuple[Instance, ...]
    categories: tuple[str, ...]
    depth: np.ndarray | None = None
    semantic: np.ndarray | None = None


@dataclass(frozen=True)
class Sample:
    """One generated (or read) sample.

    Attributes:
        image: (H, W, 3) uint8.
        labels: its Labels.
        meta: JSON-able: ``index``, ``seed``, ``source``, ``generator``, ``version``, ``scene`` params,
            ``dropped`` counts.
    """

    image: np.ndarray
    labels: Labels
    meta: dict[str, Any]
