"""What every photometric kind shares: run a kornia function on ``rgb`` and leave every label alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from synthgen.augment.base import Applied
from synthgen.augment.tensors import rgb_to_tensor, tensor_to_rgb
from synthgen.types import Layers


def apply_to_rgb(layers: Layers, fn: Callable[[Any], Any], sampled: dict[str, Any]) -> Applied:
    """Applied with ``rgb`` replaced by ``fn((1, 3, H, W) float32 0..1)``; other layers shared."""
    out = fn(rgb_to_tensor(layers.rgb))
    return Applied(replace(layers, rgb=tensor_to_rgb(out)), sampled)


def odd_kernel(size: float, height: int, width: int) -> int:
    """The odd kernel size nearest above ``size``, small enough for reflect padding of the image."""
    k = max(3, int(size) // 2 * 2 + 1)
    limit = 2 * min(height, width) - 1  # reflect padding needs pad < each side
    return max(1, min(k, limit if limit % 2 else limit - 1))
