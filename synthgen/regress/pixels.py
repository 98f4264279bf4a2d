"""Image side of a fingerprint: small RGB thumbnails, their PNG/base64 form, the two image
measures (grayscale SSIM for structure, cell-mean colour shift for colour) and a difference map.

Thumbnails are box-filtered down to ``thumbnail_px`` on the longest side, which averages away the
anti-aliasing differences between FreeType versions and CPUs while keeping layout, size and colour.
SSIM alone barely moves when a colour changes but the layout does not, hence the colour check.
"""

from __future__ import annotations

import base64
import hashlib
import io

import numpy as np

SSIM_WINDOW = 7  # taps of the Gaussian window; thumbnails are small
COLOR_CELL = 8  # thumbnail pixels per side of a cell whose mean colour is compared


def make_thumbnail(image: np.ndarray, thumbnail_px: int) -> np.ndarray:
    """Box-filtered thumbnail whose longest side is ``thumbnail_px`` (never upscaled).

    Args:
        image: (H, W, 3) uint8.
        thumbnail_px: longest side of the result.

    Returns:
        (h, w, 3) uint8.
    """
    from PIL import Image

    h, w = image.shape[:2]
    scale = min(1.0, thumbnail_px / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    pil = Image.fromarray(np.ascontiguousarray(image[..., :3]))
    if size != (w, h):
        pil = pil.resize(size, Image.Resampling.BOX)
    return np.asarray(pil, dtype=np.uint8)


def pixel_hash(image: np.ndarray) -> str:
    """Short hash of the exact pixels, to tell 'bit-identical' from 'within tolerance'."""
    arr = np.ascontiguousarray(image)
    return hashlib.sha256(f"{arr.shape}".encode() + arr.tobytes()).hexdigest()[:16]


def thumbnail_to_text(thumb: np.ndarray) -> str:
    """Base64 PNG of a (h, w, 3) uint8 thumbnail, for embedding in JSON."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(thumb).save(buf, "PNG", optimize=True)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def thumbnail_from_text(text: str) -> np.ndarray:
    """Inverse of ``thumbnail_to_text``; raises ValueError on anything that is not an RGB PNG."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(base64.b64decode(text, validate=True))) as im:
            if im.format != "PNG":
                raise ValueError(f"thumbnail is {im.format}, not PNG")
            return np.asarray(im.convert("RGB"), dtype=np.uint8)
    except ValueError:
        raise
    except Exception as exc:  # binascii.Error, PIL.UnidentifiedImageError, truncated data
        raise ValueError(f"thumbnail is not a base64 PNG ({exc})") from None


def fit_to(thumb: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``thumb`` resized to the shape of ``like`` (only when a sample changed size)."""
    from PIL import Image

    if thumb.shape == like.shape:
        return thumb
    return np.asarray(Image.fromarray(thumb).resize((like.shape[1], like.shape[0]), Image.Resampling.BOX))


def luma(thumb: np.ndarray) -> np.ndarray:
    """(h, w) float32 grayscale in 0..1 (Rec. 601 weights) of an RGB thumbnail."""
    return thumb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32) / 255.0


def ssim(golden: np.ndarray, new: np.ndarray) -> float:
    """Mean SSIM of the grayscale versions of two RGB thumbnails, in [-1, 1].

    Grayscale keeps the structure (layout, glyph shapes) and drops the chroma that JPEG subsamples;
    colour is checked by ``color_shift``. Computed with OpenCV as kornia's ``metrics.ssim`` does
    (Gaussian window of SSIM_WINDOW taps, sigma 1.5, ``padding="valid"``), so that regress runs on
    a plain install without torch; tests hold the two within 1e-4 (kornia sums in float32).

    Args:
        golden, new: (h, w, 3) uint8; ``new`` is resized to ``golden``'s shape when they differ.
    """
    new = fit_to(new, golden)
    window = SSIM_WINDOW if min(golden.shape[:2]) > SSIM_WINDOW else 3
    return ssim_gray(luma(golden), luma(new), window)


def ssim_gray(a: np.ndarray, b: np.ndarray, window: int, sigma: float = 1.5, max_val: float = 1.0) -> float:
    """Mean SSIM of two (h, w) float images over the positions where the whole window fits.

    Args:
        a, b: (h, w) float arrays in 0..max_val, h and w at least ``window``.
        window: odd number of Gaussian taps per side.
    """
    import cv2

    kernel = cv2.getGaussianKernel(window, sigma, cv2.CV_64F)
    r = window // 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.sepFilter2D(x, cv2.CV_64F, kernel, kernel, borderType=cv2.BORDER_REFLECT)[r : x.shape[0] - r, r : x.shape[1] - r]

    a, b = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * max_val) ** 2, (0.03 * max_val) ** 2
    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    return float((num / den).mean())


def color_shift(golden: np.ndarray, new: np.ndarray) -> tuple[float, tuple[float, float]]:
    """Largest change of a region's mean colour between two thumbnails.

    The thumbnails are averaged over cells of COLOR_CELL pixels (JPEG and anti-aliasing noise
    averages out there, a text or background colour change does not).

    Returns:
        (largest absolute change of one channel's cell mean in 0..255 levels,
         (x, y) centre of that cell as fractions of the image width and height).
    """
    from PIL import Image

    new = fit_to(new, golden)
    h, w = golden.shape[:2]
    size = (max(1, w // COLOR_CELL), max(1, h // COLOR_CELL))
    cells_g = np.asarray(Image.fromarray(golden).resize(size, Image.Resampling.BOX), np.float32)
    cells_n = np.asarray(Image.fromarray(new).resize(size, Image.Resampling.BOX), np.float32)
    delta = np.abs(cells_g - cells_n).max(axis=2)
    y, x = np.unravel_index(int(delta.argmax()), delta.shape)
    return float(delta.max()), ((x + 0.5) / size[0], (y + 0.5) / size[1])


def difference_map(golden: np.ndarray, new: np.ndarray) -> np.ndarray:
    """(h, w, 3) uint8 picture of where two thumbnails differ: black = same, bright red = large change."""
    new = fit_to(new, golden)
    diff = np.abs(golden.astype(np.int16) - new.astype(np.int16)).max(axis=2).astype(np.float32)
    scaled = np.clip(diff * 4.0, 0, 255).astype(np.uint8)  # amplify so a few levels still show
    out = np.zeros(golden.shape, np.uint8)
    out[..., 0] = scaled
    out[..., 1] = scaled // 4
    return out


def mean_color(thumb: np.ndarray) -> tuple[int, int, int]:
    """Mean (r, g, b) of a thumbnail, for telling a colour change from a layout change."""
    return tuple(int(round(float(c))) for c in thumb.reshape(-1, 3).mean(axis=0))  # type: ignore[return-value]
