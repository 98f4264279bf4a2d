"""The built-in diffusion model: it loads offline and makes images that are neither constant nor
noise, measured by the slope of their radially averaged power spectrum against held-out crops of
its training sources, and the same seed gives the same image."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("diffusers")
from synthgen.diffusion_models.models import BUILTIN_CLASSES, builtin_dir  # noqa: E402

pytestmark = pytest.mark.slow  # runs diffusion pipelines (tiny random-weight ones and the built-in model)

SIZE = 64  # twice the native size: the model is convolutional


def spectral_slope(image: np.ndarray) -> float:
    """-slope of log power against log radial frequency (grey, Hann-windowed), over 2..SIZE/3 cycles.

    Photographs and textures fall off as ~1/f^2 (slope ~2), white noise is flat (~0)."""
    grey = image.astype(np.float64) @ [0.2126, 0.7152, 0.0722]
    grey -= grey.mean()
    n = grey.shape[0]
    window = np.outer(np.hanning(n), np.hanning(n))
    power = np.abs(np.fft.fftshift(np.fft.fft2(grey * window))) ** 2
    yy, xx = np.indices(power.shape) - n // 2
    radius = np.hypot(xx, yy).astype(int)
    radial = np.bincount(radius.ravel(), power.ravel()) / np.bincount(radius.ravel())
    f = np.arange(2, n // 3)
    return -float(np.polyfit(np.log(f), np.log(radial[f] + 1e-12), 1)[0])


def held_out_crops(count: int = 24) -> list[np.ndarray]:
    """Crops of the training sources at the model's scale, from a seed training never used."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
    import train_tiny_diffusion as training

    rng = np.random.default_rng(12345)
    sources = training.photo_sources()
    x, _ = training.batch(sources, count, rng)
    return [np.rint((c.transpose(1, 2, 0) + 1) * 127.5).astype(np.uint8) for c in x]


@pytest.fixture(scope="module")
def model():
    if not (builtin_dir() / "diffusion_pytorch_model.safetensors").is_file():
        pytest.fail("the built-in model's weights are missing from synthgen/diffusion_models/assets/tiny_diffusion")
    from synthgen.diffusion_models.models import BuiltinModel

    return BuiltinModel.load()


def test_builtin_samples_are_neither_constant_nor_noise(model):
    import torch

    gen = torch.Generator().manual_seed(0)
    images = model.sample(list(BUILTIN_CLASSES), (SIZE, SIZE), 25, gen)
    slopes = [spectral_slope(im) for im in images]
    stds = [float(im.std()) for im in images]
    crops = held_out_crops()
    crop_slopes = [spectral_slope(np.asarray(__import__("cv2").resize(c, (SIZE, SIZE)))) for c in crops]
    noise = np.random.default_rng(0).integers(0, 256, (8, SIZE, SIZE, 3)).astype(np.uint8)
    noise_slope = float(np.mean([spectral_slope(im) for im in noise]))
    assert min(stds) > 2.0, f"a constant image: stds {stds}"
    assert abs(noise_slope) < 0.5
    lo, hi = float(np.percentile(crop_slopes, 5)), float(np.percentile(crop_slopes, 95))
    assert np.median(slopes) > noise_slope + 1.0, f"samples look like noise: slopes {slopes}, noise {noise_slope:.2f}"
    assert lo - 1.0 <= float(np.median(slopes)) <= hi + 1.0, f"slopes {slopes} vs held-out crops {lo:.2f}..{hi:.2f}"


def test_same_seed_same_image(model):
    import torch

    a = model.sample(["grass"], (32, 32), 10, torch.Generator().manual_seed(7))
    b = model.sample(["grass"], (32, 32), 10, torch.Generator().manual_seed(7))
    c = model.sample(["grass"], (32, 32), 10, torch.Generator().manual_seed(8))
    assert (a == b).all() and (a != c).any()
