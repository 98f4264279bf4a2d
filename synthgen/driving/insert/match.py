"""How a frame looks, measured on its pixels, and the same look given to what is inserted into it:
light (brightness, colour, a key direction), blur, noise and JPEG level.

Measures are well-known estimators: the noise level is Immerkaer's ("Fast noise variance
estimation", CVIU 1996: the mean absolute response to a kernel that cancels smooth image content,
through OpenCV); the blur, measured by the renderer around each inserted actor (the frame's blur
may change across it), is scikit-image's ``measure.blur_effect`` (Crete-Roffet et al. 2007: how much
a re-blur changes the gradients; 0 sharp .. 1 blurred). The
JPEG quality of a JPEG frame comes from its luminance quantisation table, scaled against the
standard one as libjpeg scales it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synthgen.driving.lights import Environment, Light

# libjpeg's standard luminance quantisation table (ITU T.81 Annex K), in natural order
STD_LUMINANCE = np.array(
    [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
     14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
     49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99], np.float64,
)  # fmt: skip
BLUR_SIGMAS = (0.0, 0.5, 0.8, 1.2, 1.7, 2.4)  # Gaussian sigmas tried on an inserted actor, pixels
SIDE_LIGHT = 0.08  # a brighter side of the sky by this share of the mean gives a side key light


@dataclass(frozen=True)
class Look:
    """A frame's look.

    Attributes:
        brightness: mean luma, 0..1.
        color: (r, g, b) the mean colour over its largest channel, 0..1 (grey world).
        key_azimuth_deg: where the key light comes from: 180 behind the camera (a frame without a
            brighter side), +-100 from the left or right when one side of the sky is brighter.
        noise_sigma: the noise's standard deviation, 0..255 levels.
        jpeg_quality: the frame's JPEG quality (1..100), or None for a frame that is not a JPEG.
    """

    brightness: float
    color: tuple[float, float, float]
    key_azimuth_deg: float
    noise_sigma: float
    jpeg_quality: int | None

    def to_params(self) -> dict:
        return {
            "brightness": round(self.brightness, 4),
            "color": [round(c, 4) for c in self.color],
            "key_azimuth_deg": round(self.key_azimuth_deg, 2),
            "noise_sigma": round(self.noise_sigma, 3),
            "jpeg_quality": self.jpeg_quality,
        }


def jpeg_quality(path: str) -> int | None:
    """The libjpeg quality that gives a JPEG file's luminance table, or None for another format."""
    from PIL import Image

    with Image.open(path) as im:
        tables = getattr(im, "quantization", None) if im.format == "JPEG" else None
    if not tables or 0 not in tables:
        return None
    table = np.asarray(tables[0], np.float64)
    if table.size != 64:
        return None
    scale = float(np.mean((table * 100 - 50) / STD_LUMINANCE))  # libjpeg: q = (std * scale + 50) // 100
    quality = (200 - scale) / 2 if scale <= 100 else 5000 / max(scale, 1e-6)
    return int(min(max(round(quality), 1), 100))


def noise_sigma(luma: np.ndarray) -> float:
    """Immerkaer's estimate of the standard deviation of the noise of an (H, W) float32 image."""
    import cv2

    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    response = cv2.filter2D(luma, cv2.CV_32F, kernel, borderType=cv2.BORDER_REFLECT)[1:-1, 1:-1]
    return float(np.sqrt(np.pi / 2) * np.abs(response, dtype=np.float64).mean() / 6)


def measure(rgb: np.ndarray, path: str) -> Look:
    """The look of a frame (rgb (H, W, 3) uint8, read from ``path``)."""
    img = rgb.astype(np.float32) / 255
    luma = img @ np.array([0.299, 0.587, 0.114], np.float32)
    mean = img.reshape(-1, 3).mean(axis=0)
    color = tuple(float(v) for v in mean / max(float(mean.max()), 1e-6))
    sky = luma[: max(1, luma.shape[0] // 3)]
    half = sky.shape[1] // 2
    left, right = float(sky[:, :half].mean()), float(sky[:, half:].mean())
    azimuth = 180.0
    if abs(left - right) > SIDE_LIGHT * max(float(sky.mean()), 1e-6):
        azimuth = 100.0 if left > right else -100.0  # world y is left: positive azimuth, light from the left
    return Look(
        brightness=float(luma.mean()),
        color=color,  # type: ignore[arg-type]
        key_azimuth_deg=azimuth,
        noise_sigma=noise_sigma(luma) * 255,
        jpeg_quality=jpeg_quality(path),
    )


def lights_for(look: Look) -> tuple[Environment, list[Light]]:
    """An environment and lights that give a rendered actor the frame's brightness and colour:
    ambient and a sky fill in the frame's colour, a key light from ``key_azimuth_deg`` (scaled so
    that a mid-grey surface comes out near the frame's mean brightness under synthgen's day light)."""
    color = look.color
    level = look.brightness
    ambient = tuple(min(1.0, 0.75 * level * c) for c in color)
    sky = tuple(int(round(255 * min(1.0, level * c))) for c in color)
    el, az = math.radians(45.0), math.radians(look.key_azimuth_deg)
    key_direction = (-math.cos(el) * math.cos(az), -math.cos(el) * math.sin(az), -math.sin(el))
    key = Light("directional", color, 7.0 * level, direction=key_direction)
    fill = Light("directional", color, 2.0 * level, direction=(0.0, 0.0, -1.0))
    return Environment(sky, ambient, "matched"), [key, fill]  # type: ignore[arg-type]


def blur_like(patch: np.ndarray, target: float) -> float:
    """The sigma of BLUR_SIGMAS whose Gaussian blur gives ``patch`` ((h, w) float32 luma 0..1) the
    blur effect closest to ``target``."""
    import cv2
    from skimage.measure import blur_effect

    if min(patch.shape) < 8:
        return 0.0
    best, best_err = 0.0, math.inf
    for sigma in BLUR_SIGMAS:
        blurred = cv2.GaussianBlur(patch, (0, 0), sigma) if sigma > 0 else patch
        err = abs(float(blur_effect(blurred)) - target)
        if err < best_err:
            best, best_err = sigma, err
    return best
