"""Cityscapes label ids and colours, and the category table of driving scenes.

Semantic ids follow Cityscapes' ``labels.py`` (id, name, colour), so a model or tool made for
Cityscapes reads our semantic layer without a label map. Instance categories use the same ids
(COCO ``category_id`` = Cityscapes id). Cityscapes has no class for animals or road debris: they
are its ``dynamic`` (5, things that may move) and ``static`` (4) classes, exported under the names
``animal`` and ``obstacle`` with the kind in the instance's ``type`` attribute.
"""

from __future__ import annotations

from synthgen.types import Category

# (id, Cityscapes name, colour), from cityscapesScripts/helpers/labels.py
CITYSCAPES: tuple[tuple[int, str, tuple[int, int, int]], ...] = (
    (0, "unlabeled", (0, 0, 0)),
    (1, "ego vehicle", (0, 0, 0)),
    (2, "rectification border", (0, 0, 0)),
    (3, "out of roi", (0, 0, 0)),
    (4, "static", (0, 0, 0)),
    (5, "dynamic", (111, 74, 0)),
    (6, "ground", (81, 0, 81)),
    (7, "road", (128, 64, 128)),
    (8, "sidewalk", (244, 35, 232)),
    (9, "parking", (250, 170, 160)),
    (10, "rail track", (230, 150, 140)),
    (11, "building", (70, 70, 70)),
    (12, "wall", (102, 102, 156)),
    (13, "fence", (190, 153, 153)),
    (14, "guard rail", (180, 165, 180)),
    (15, "bridge", (150, 100, 100)),
    (16, "tunnel", (150, 120, 90)),
    (17, "pole", (153, 153, 153)),
    (18, "polegroup", (153, 153, 153)),
    (19, "traffic light", (250, 170, 30)),
    (20, "traffic sign", (220, 220, 0)),
    (21, "vegetation", (107, 142, 35)),
    (22, "terrain", (152, 251, 152)),
    (23, "sky", (70, 130, 180)),
    (24, "person", (220, 20, 60)),
    (25, "rider", (255, 0, 0)),
    (26, "car", (0, 0, 142)),
    (27, "truck", (0, 0, 70)),
    (28, "bus", (0, 60, 100)),
    (29, "caravan", (0, 0, 90)),
    (30, "trailer", (0, 0, 110)),
    (31, "train", (0, 80, 100)),
    (32, "motorcycle", (0, 0, 230)),
    (33, "bicycle", (119, 11, 32)),
)
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
INSTANCE_CATEGORIES = ("obstacle", "animal", "person", "rider", "car", "truck", "bus", "bicycle")


def palette() -> dict[int, tuple[int, int, int]]:
    """Cityscapes id -> colour."""
    return {i: color for i, _, color in CITYSCAPES}


def category(name: str) -> Category:
    """The Category of an instance category name (Cityscapes id and colour; COCO keypoints for people)."""
    cid = SEMANTIC_ID[name]
    keypoints = COCO_KEYPOINTS if name in ("person", "rider") else ()
    skeleton = COCO_SKELETON if keypoints else ()
    return Category(cid, name, keypoints, skeleton, palette()[cid])


def driving_categories() -> tuple[Category, ...]:
    """The instance categories of driving scenes, in id order."""
    return tuple(sorted((category(n) for n in INSTANCE_CATEGORIES), key=lambda c: c.id))
