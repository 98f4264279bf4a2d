"""uint8 images <-> the float tensors kornia works on. torch is imported here, when a step runs."""

from __future__ import annotations

from typing import Any

import numpy as np


def torch_module() -> Any:
    """Import torch for a stage that runs inside the engine's process pool, on one thread.

    One thread per worker keeps the pool from oversubscribing the CPU, and keeps float
    reductions in one fixed order, so output bytes are the same in every process.
    """
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency of the augment stage
        raise ImportError("this step needs torch (and kornia for a geometric augmentation): pip install torch kornia") from None
    torch.set_num_threads(1)
    return torch


def rgb_to_tensor(rgb: np.ndarray) -> Any:
    """(H, W, 3) uint8 -> (1, 3, H, W) float32 in 0..1."""
    torch = torch_module()
    return torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1))).unsqueeze(0).float().div_(255.0)


def tensor_to_rgb(image: Any) -> np.ndarray:
    """(1, 3, H, W) float in 0..1 -> (H, W, 3) uint8, rounded to nearest and clipped."""
    arr = image[0].detach().clamp(0.0, 1.0).mul(255.0).round().numpy()
    return np.ascontiguousarray(arr.transpose(1, 2, 0)).astype(np.uint8)
