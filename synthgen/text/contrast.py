"""Luminance of the pixels text will cover, and text colours that stand out from them by a
minimum contrast."""

from __future__ import annotations

import numpy as np

from synthgen.backgrounds.colors import LUMA, luminance


def luminance_image(rgb: np.ndarray) -> np.ndarray:
    """(H, W) float32 luminance 0..1 of an (H, W, 3) uint8 image (weights as ``luminance``)."""
    return rgb.astype(np.float32) @ np.array(LUMA, np.float32) / 255.0


def luminance_percentiles(rgb: np.ndarray, percents: tuple[float, ...]) -> list[float]:
    """Percentiles 0..100 of the luminance (0..1, to 1/255) of an (H, W, 3) uint8 image.

    From a 256-bin histogram of the luminance rounded to 8 bits, interpolated linearly between
    order statistics as ``np.percentile`` does: a third of its time on a word crop.
    """
    import cv2

    grey = cv2.transform(rgb, np.array([LUMA], np.float32))  # rounded, saturated to uint8
    cum = np.cumsum(np.bincount(grey.ravel(), minlength=256))
    n = int(cum[-1])
    out = []
    for q in percents:
        pos = q / 100.0 * (n - 1)
        k = int(pos)
        frac = pos - k
        lo = int(np.searchsorted(cum, k, side="right"))
        hi = int(np.searchsorted(cum, k + 1, side="right")) if frac else lo
        out.append((lo + (hi - lo) * frac) / 255.0)
    return out


def contrasting_color(
    rng: np.random.Generator,
    low: float,
    high: float,
    min_contrast: float,
    tries: int = 20,
    like=None,
    side: str | None = None,
) -> tuple[int, int, int] | None:
    """A random colour whose luminance is at least ``min_contrast`` below ``low`` or above ``high``.

    ``low`` and ``high`` bound the luminance of the background the text covers; None when no
    colour can stand out from all of it. ``like``: a colour whose side (darker or lighter than
    the background) the new one must share, e.g. an outline for a fill. ``side``: ``dark`` or
    ``light`` text (darker or lighter than the background) when that side can stand out, else
    the other.
    """
    dark_ok, light_ok = low - min_contrast >= 0, high + min_contrast <= 1
    if side is not None and (dark_ok if side == "dark" else light_ok):  # the wanted side when it can stand out
        dark_ok, light_ok = side == "dark", side == "light"
    if like is not None:
        dark = luminance(like) < (low + high) / 2
        dark_ok, light_ok = dark_ok and dark, light_ok and not dark
    if not (dark_ok or light_ok):
        return None
    colors = rng.integers(0, 256, size=(tries, 3))
    lum = colors @ np.array(LUMA) / 255.0
    ok = (dark_ok & (lum <= low - min_contrast)) | (light_ok & (lum >= high + min_contrast))
    if ok.any():
        return tuple(int(c) for c in colors[int(np.argmax(ok))])  # type: ignore[return-value]
    # A grey at the far end always satisfies the constraint.
    if dark_ok and (not light_ok or rng.random() < 0.5):
        v = int(np.floor(255 * max(low - min_contrast, 0) * rng.uniform(0, 1)))
    else:
        v = int(np.ceil(255 * (high + min_contrast + (1 - high - min_contrast) * rng.uniform(0, 1))))
    v = int(np.clip(v, 0, 255))
    return (v, v, v)
