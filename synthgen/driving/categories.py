"""Cityscapes label ids and colours, and the category table of driving scenes.

Semantic ids follow Cityscapes' ``labels.py`` (id, name, colour), so a model or tool made for
Cityscapes reads our semantic layer without a label map. Instance categories use the same ids
(COCO ``category_id`` = Cityscapes id). Cityscapes has no class for animals or road debris: they
are its ``dynamic`` (5, things that may move) and ``static`` (4) classes, exported under the names
``animal`` and ``obstacle`` with the kind in the instance's ``type`` attribute.
"""

from __future__ import annotations

from synthgen.cityscapes import CITYSCAPES, palette
from synthgen.types import Category

SEMANTIC_ID = {name: i for i, name, _ in CITYSCAPES}
SEMANTIC_ID["animal"] = SEMANTIC_ID["dynamic"]
SEMANTIC_ID["obstacle"] = SEMANTIC_ID["static"]
SKY = SEMANTIC_ID["sky"]

COCO_KEYPOINTS = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
COCO_SKELETON = (
    (16, 14), (14, 12), (17, 15), (15, 13), (12, 13), (6, 12), (7, 13), (6, 7), (6, 8),
    (7, 9), (8, 10), (9, 11), (2, 3), (1, 2), (1, 3), (2, 4), (3, 5), (4, 6), (5, 7),
)  # fmt: skip

# instance categories of driving scenes, in id order
INSTANCE_CATEGORIES = ("obstacle", "animal", "person", "rider", "car", "truck", "bus", "motorcycle", "bicycle")


def category(name: str) -> Category:
    """The Category of an instance category name (Cityscapes id and colour; COCO keypoints for people)."""
    cid = SEMANTIC_ID[name]
    keypoints = COCO_KEYPOINTS if name in ("person", "rider") else ()
    skeleton = COCO_SKELETON if keypoints else ()
    return Category(cid, name, keypoints, skeleton, palette()[cid])


def driving_categories() -> tuple[Category, ...]:
    """The instance categories of driving scenes, in id order."""
    return tuple(sorted((category(n) for n in INSTANCE_CATEGORIES), key=lambda c: c.id))
