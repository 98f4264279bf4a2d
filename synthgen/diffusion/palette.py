"""The colours a segmentation ControlNet reads: synthgen's semantic classes (Cityscapes ids, the
driving scenes' semantic layer) drawn in ADE20K's palette.

The common Stable Diffusion 1.5 segmentation ControlNet (``lllyasviel/sd-controlnet-seg``,
``control_v11p_sd15_seg``) was trained on images segmented by UniFormer into ADE20K's 150 classes,
each drawn in its fixed colour (the ``ade_palette`` of ControlNet's annotator and of mmseg). A
condition image in any other colours is a picture it has never seen: a road drawn in Cityscapes'
purple reads as no class at all. So each Cityscapes class is drawn in the colour of the ADE20K
class nearest in meaning; classes ADE20K lacks take the closest it has (a train is drawn as a bus,
a rider as a person, a tunnel as a wall), and the void classes (unlabeled, ego vehicle, ...) are
black, as the annotator leaves pixels it does not label.
"""

from __future__ import annotations

import numpy as np

from synthgen.cityscapes import CITYSCAPES

# ADE20K (SceneParsing, 150 classes) index, name and colour, for the classes used below
ADE20K: dict[str, tuple[int, tuple[int, int, int]]] = {
    "wall": (0, (120, 120, 120)),
    "building": (1, (180, 120, 120)),
    "sky": (2, (6, 230, 230)),
    "tree": (4, (4, 200, 3)),
    "road": (6, (140, 140, 140)),
    "grass": (9, (4, 250, 7)),
    "sidewalk": (11, (235, 255, 7)),
    "person": (12, (150, 5, 61)),
    "earth": (13, (120, 120, 70)),
    "car": (20, (0, 102, 200)),
    "fence": (32, (255, 184, 6)),
    "railing": (38, (255, 61, 6)),
    "box": (41, (0, 255, 20)),
    "signboard": (43, (255, 5, 153)),
    "bridge": (61, (255, 82, 0)),
    "bus": (80, (255, 0, 245)),
    "truck": (83, (255, 0, 20)),
    "dirt track": (91, (0, 10, 255)),
    "pole": (93, (51, 0, 255)),
    "van": (102, (163, 255, 0)),
    "minibike": (116, (163, 0, 255)),
    "animal": (126, (255, 0, 122)),
    "bicycle": (127, (255, 245, 0)),
    "traffic light": (136, (41, 0, 255)),
}

# Cityscapes name -> ADE20K name (absent: void, drawn black)
CITYSCAPES_TO_ADE20K: dict[str, str] = {
    "static": "box",  # synthgen's road obstacles
    "dynamic": "animal",  # synthgen's animals
    "ground": "earth",
    "road": "road",
    "sidewalk": "sidewalk",
    "parking": "road",
    "rail track": "dirt track",
    "building": "building",
    "wall": "wall",
    "fence": "fence",
    "guard rail": "railing",
    "bridge": "bridge",
    "tunnel": "wall",
    "pole": "pole",
    "polegroup": "pole",
    "traffic light": "traffic light",
    "traffic sign": "signboard",
    "vegetation": "tree",
    "terrain": "grass",
    "sky": "sky",
    "person": "person",
    "rider": "person",
    "car": "car",
    "truck": "truck",
    "bus": "bus",
    "caravan": "van",
    "trailer": "truck",
    "train": "bus",
    "motorcycle": "minibike",
    "bicycle": "bicycle",
}


def ade20k_table() -> np.ndarray:
    """(256, 3) uint8: Cityscapes id -> its ADE20K colour (black for void and unknown ids)."""
    table = np.zeros((256, 3), np.uint8)
    for cid, name, _ in CITYSCAPES:
        ade = CITYSCAPES_TO_ADE20K.get(name)
        if ade is not None:
            table[cid] = ADE20K[ade][1]
    return table


def segmentation_condition(semantic_id: np.ndarray) -> np.ndarray:
    """(H, W) Cityscapes ids -> (H, W, 3) uint8 RGB in ADE20K's palette (ids out of 0..255: black)."""
    ids = semantic_id.astype(np.int64)
    ids = np.where((ids >= 0) & (ids < 256), ids, 0)
    return ade20k_table()[ids]
