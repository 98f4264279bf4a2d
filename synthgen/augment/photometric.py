"""What every photometric kind shares: a new ``rgb`` from OpenCV or numpy, every label left alone.

Photometric kinds run on uint8 or float32 arrays with OpenCV and numpy, not on torch tensors: on a
32 px word crop a kornia filter costs ~0.75 ms of per-call overhead against ~0.02 ms for OpenCV's,
and importing torch adds ~1.8 s and ~230 MB to every worker (scripts/bench_ocr.py). The tests
check each kind against kornia's function of the same name, within one grey level. Filters use
OpenCV's reflect-101 border (``dcb|abcd|cba``), which torch and kornia call "reflect".
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from synthgen.augment.base import Applied
from synthgen.types import Layers


def with_rgb(layers: Layers, rgb: np.ndarray, sampled: dict[str, Any]) -> Applied:
    """Applied with ``rgb`` ((H, W, 3) uint8) replaced; every other layer and the geometry shared."""
    return Applied(replace(layers, rgb=rgb), sampled)


def to_uint8(image: np.ndarray, scratch: bool = False) -> np.ndarray:
    """(H, W, 3) float grey levels 0..255 -> uint8, rounded to nearest (ties to even) and clipped.

    Args:
        scratch: ``image`` is a temporary the caller no longer needs: rounded and clipped in place.
    """
    if scratch:
        np.rint(image, out=image)
        np.clip(image, 0, 255, out=image)
        return image.astype(np.uint8)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def odd_kernel(size: float) -> int:
    """The odd kernel size at or above ``size`` (at least 3)."""
    return max(3, int(size) // 2 * 2 + 1)
