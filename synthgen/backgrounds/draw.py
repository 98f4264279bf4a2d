"""The plain background kinds: solid, gradient, fractal noise, and a crop of a photo.

Each is a pure function ``(spec, width, height) -> (height, width, 3) uint8`` of its description;
``synthgen.backgrounds`` registers them.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np


def solid(spec: dict[str, Any], width: int, height: int) -> np.ndarray:
    """``{"kind": "solid", "color": [r, g, b]}``."""
    out = np.empty((height, width, 3), np.uint8)
    out[...] = np.asarray(spec["color"], np.uint8)
    return out


def gradient(spec: dict[str, Any], width: int, height: int) -> np.ndarray:
    """``{"kind": "gradient", "colors": [c1, c2], "angle": deg}``: c1 -> c2 along the angle."""
    t = np.radians(spec["angle"])
    c, si = np.float32(np.cos(t)), np.float32(np.sin(t))
    xs = (np.arange(width, dtype=np.float32) + 0.5) * c
    ys = (np.arange(height, dtype=np.float32) + 0.5) * si
    lo = float(min(xs[0], xs[-1]) + min(ys[0], ys[-1]))
    hi = float(max(xs[0], xs[-1]) + max(ys[0], ys[-1]))
    field = (xs[None, :] + ys[:, None] - lo) * np.float32(1.0 / max(hi - lo, 1e-6))
    return _blend(field, spec["colors"])


def noise(spec: dict[str, Any], width: int, height: int) -> np.ndarray:
    """``{"kind": "noise", "colors": [c1, c2], "seed": int, "scale": px}``: fractal value noise."""
    return _blend(value_noise(spec["seed"], width, height, spec["scale"]), spec["colors"])


def image(spec: dict[str, Any], width: int, height: int) -> np.ndarray:
    """``{"kind": "image", "path": str, "crop": [x, y, w, h]}``: a photo crop resized to the output."""
    return _photo_crop(spec["path"], tuple(spec["crop"]), width, height)


def value_noise(seed: int, width: int, height: int, scale: float, octaves: int = 4) -> np.ndarray:
    """Fractal value noise in [0, 1]: random grids summed at a quarter of the size, then one
    bicubic upsampling (the finest octave is at most a few pixels, so little detail is lost).

    Returns:
        (height, width) float32.
    """
    import cv2

    rng = np.random.default_rng(seed)
    sw, sh = max(2, (width + 3) // 4), max(2, (height + 3) // 4)
    acc = np.zeros((sh, sw), np.float32)
    amplitude, total = 1.0, 0.0
    for octave in range(octaves):
        cell = max(scale / (2**octave) / 4, 1.0)
        gw, gh = max(2, int(sw / cell) + 2), max(2, int(sh / cell) + 2)
        grid = rng.random((gh, gw), dtype=np.float32)
        acc += np.float32(amplitude) * cv2.resize(grid, (sw, sh), interpolation=cv2.INTER_CUBIC)
        total += amplitude
        amplitude *= 0.5
    lo, hi = float(acc.min()), float(acc.max())
    acc = (acc - np.float32(lo)) * np.float32(1.0 / max(hi - lo, 1e-6))
    return cv2.resize(acc, (width, height), interpolation=cv2.INTER_CUBIC)


def _blend(field: np.ndarray, colors) -> np.ndarray:
    """Colours c1 -> c2 along a [0, 1] field, through a 256-entry table (8-bit output anyway)."""
    import cv2

    c1 = np.asarray(colors[0], np.float32)
    c2 = np.asarray(colors[1], np.float32)
    table = np.rint(c1 + np.linspace(0.0, 1.0, 256, dtype=np.float32)[:, None] * (c2 - c1)).astype(np.uint8)
    levels = cv2.convertScaleAbs(field, alpha=255.0)  # rounds and saturates to 0..255
    return cv2.LUT(cv2.merge([levels, levels, levels]), table.reshape(256, 1, 3))


@functools.lru_cache(maxsize=8)
def _load_photo(path: str) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def _photo_crop(path: str, crop: tuple[int, int, int, int], width: int, height: int) -> np.ndarray:
    import cv2

    x, y, w, h = crop
    region = _load_photo(path)[y : y + h, x : x + w]
    return cv2.resize(region, (width, height), interpolation=cv2.INTER_AREA)
