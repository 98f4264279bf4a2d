"""A user's scorer for the quality filter's tests (``filter.score: scorers:brightness``)."""

from __future__ import annotations

import numpy as np

CALLS: list[tuple[np.ndarray, str, float]] = []


def brightness(image: np.ndarray, prompt: str, original: np.ndarray, changed: np.ndarray) -> float:
    """The mean grey level (0..1) of the pixels the step may change; each call recorded in CALLS."""
    value = float(image[changed].mean()) / 255
    CALLS.append((image.copy(), prompt, value))
    return value


NOT_A_FUNCTION = 3
