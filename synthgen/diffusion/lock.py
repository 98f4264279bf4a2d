"""What a generate step may change: every pixel but the labelled ones.

The locked pixels are those of every instance (the instance layer), grown by a margin so that
anti-aliased edges and shadows that belong to an object stay as drawn. A step generates freely,
then the locked pixels are put back byte for byte, so every label stays exact.
"""

from __future__ import annotations

import numpy as np


def locked_pixels(instance_id: np.ndarray, margin: int) -> np.ndarray:
    """(H, W) bool: the instances' pixels grown by ``margin`` pixels (a disc)."""
    import cv2

    locked = (instance_id > 0).astype(np.uint8)
    if margin > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1, 2 * margin + 1))
        locked = cv2.dilate(locked, kernel)
    return locked.astype(bool)


def composite(original: np.ndarray, generated: np.ndarray, locked: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8: ``original`` where locked, ``generated`` (same size) elsewhere."""
    return np.where(locked[..., None], original, generated).astype(np.uint8)


def working_size(width: int, height: int, longest: int, multiple: int = 8) -> tuple[int, int]:
    """(w, h) with the longer side ``longest`` (the aspect kept), both multiples of ``multiple``."""
    scale = longest / max(width, height)
    w = max(multiple, int(round(width * scale / multiple)) * multiple)
    h = max(multiple, int(round(height * scale / multiple)) * multiple)
    return w, h


def resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Area-averaged down, bicubic up (the built-in model works below the image's size)."""
    import cv2

    h, w = image.shape[:2]
    interpolation = cv2.INTER_AREA if width * height < w * h else cv2.INTER_CUBIC
    return cv2.resize(image, (width, height), interpolation=interpolation)
