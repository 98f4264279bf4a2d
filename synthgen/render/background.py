"""Backgrounds drawn from the SceneSpec's ``background`` description: solid, gradient, noise, image."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np


def render_background(spec: dict[str, Any], width: int, height: int) -> np.ndarray:
    """Draw a background.

    Args:
        spec: ``{"kind": "solid", "color": [r, g, b]}``, ``{"kind": "gradient", "colors": [c1, c2],
            "angle": deg}``, ``{"kind": "noise", "colors": [c1, c2], "seed": int, "scale": px}`` or
            ``{"kind": "image", "path": str, "crop": [x, y, w, h]}``.
        width, height: output size.

    Returns:
        (height, width, 3) uint8.
    """
    kind = spec["kind"]
    if kind == "solid":
        return np.broadcast_to(np.asarray(spec["color"], np.uint8), (height, width, 3)).copy()
    if kind == "gradient":
        t = np.radians(spec["angle"])
        xs = np.linspace(-0.5, 0.5, width, dtype=np.float32)
        ys = np.linspace(-0.5, 0.5, height, dtype=np.float32)
        field = np.cos(t) * xs[None, :] + np.sin(t) * ys[:, None]
        field = (field - field.min()) / max(float(np.ptp(field)), 1e-6)
        return _blend(field, spec["colors"])
    if kind == "noise":
        return _blend(value_noise(spec["seed"], width, height, spec["scale"]), spec["colors"])
    if kind == "image":
        return _photo_crop(spec["path"], tuple(spec["crop"]), width, height)
    raise ValueError(f"unknown background kind {kind!r}")


def value_noise(seed: int, width: int, height: int, scale: float, octaves: int = 4) -> np.ndarray:
    """Fractal value noise in [0, 1]: random grids upsampled with bicubic interpolation.

    Returns:
        (height, width) float32.
    """
    import cv2

    rng = np.random.default_rng(seed)
    acc = np.zeros((height, width), np.float32)
    amplitude, total = 1.0, 0.0
    for octave in range(octaves):
        cell = max(scale / (2**octave), 2.0)
        gw, gh = max(2, int(width / cell) + 2), max(2, int(height / cell) + 2)
        grid = rng.random((gh, gw), dtype=np.float32)
        acc += amplitude * cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)
        total += amplitude
        amplitude *= 0.5
    acc /= total
    lo, hi = float(acc.min()), float(acc.max())
    return (acc - lo) / max(hi - lo, 1e-6)


def _blend(field: np.ndarray, colors) -> np.ndarray:
    c1 = np.asarray(colors[0], np.float32)
    c2 = np.asarray(colors[1], np.float32)
    out = c1 + field[..., None] * (c2 - c1)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


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
