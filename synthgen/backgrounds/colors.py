"""Colours: luminance and random colours, shared by backgrounds and the scenes that must contrast with them."""

from __future__ import annotations

import numpy as np

LUMA = (0.2126, 0.7152, 0.0722)  # Rec. 709 luminance weights


def luminance(rgb) -> float:
    """Relative luminance (Rec. 709 weights) of an sRGB colour, 0..1."""
    return sum(w * float(c) for w, c in zip(LUMA, rgb)) / 255.0


def random_color(rng: np.random.Generator) -> tuple[int, int, int]:
    return tuple(int(c) for c in rng.integers(0, 256, size=3))  # type: ignore[return-value]
