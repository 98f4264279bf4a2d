"""Tiny hand-made COCO sets with known classes for the mixer's tests."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

CLASSES = ["car", "person", "bike"]


def write_coco(
    folder: Path, images: list[list[str]], tag: int, size: tuple[int, int] = (32, 24), categories=None
) -> Path:
    """A COCO set: image k holds one box per class name in images[k]; pixel content unique per (tag, k).

    Returns the folder (``annotations/coco.json`` and ``images/``).
    """
    categories = categories or [{"id": 10 + i, "name": n} for i, n in enumerate(CLASSES)]
    ids = {c["name"]: c["id"] for c in categories}
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "annotations").mkdir(exist_ok=True)
    w, h = size
    coco = {"images": [], "annotations": [], "categories": categories}
    for k, names in enumerate(images):
        pixels = np.random.default_rng([tag, k]).integers(0, 256, (h, w, 3), np.uint8)
        name = f"images/{k:04d}.png"
        cv2.imwrite(str(folder / name), pixels)
        coco["images"].append({"id": 100 + k, "file_name": name, "width": w, "height": h})
        for j, cat in enumerate(names):
            coco["annotations"].append(
                {
                    "id": len(coco["annotations"]) + 1,
                    "image_id": 100 + k,
                    "category_id": ids[cat],
                    "bbox": [2 + 3 * j, 2 + 2 * j, 6, 5],
                    "area": 30,
                    "iscrowd": 0,
                    "segmentation": [],
                }
            )
    (folder / "annotations/coco.json").write_text(json.dumps(coco))
    return folder


def mix_yaml(folder: Path, body: str) -> Path:
    path = folder / "mix.yaml"
    path.write_text(body)
    return path
