"""What every photometric kind shares: a new ``rgb`` from OpenCV or numpy, every label left alone.

Photometric kinds run on uint8 or float32 arrays with OpenCV and numpy, not on torch tensors: on a
32 px word crop a kornia filter costs ~0.75 ms of per-call overhead against ~0.02 ms for OpenCV's,
and importing torch adds ~1.8 s and ~230 MB to every worker (scripts/bench_ocr.py). The tests
check each kind against kornia's function of the same name, within one grey level. Filters use
OpenCV's reflect-101 border (``dcb|abcd|cba``), which torch and kornia call "reflect".
"""

from __future__ import annotations

from synthgen.steps import to_uint8, with_rgb

__all__ = ["odd_kernel", "to_uint8", "with_rgb"]  # the last two: the step protocol's (synthgen.steps)


def odd_kernel(size: float) -> int:
    """The odd kernel size at or above ``size`` (at least 3)."""
    return max(3, int(size) // 2 * 2 + 1)
