"""Sampling a background description (solid, gradient, noise, paper, blobs or a photo crop) that
``synthgen.backgrounds.render_background`` draws: any scene may call it."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path
from typing import Any, Optional

import numpy as np

from synthgen.backgrounds.clutter import ClutterSettings, sample_clutter
from synthgen.backgrounds.colors import random_color
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, derived, nested, param, section
from synthgen.diffusion_models.bank import BankSchema, bank_from_config, sample_bank_background
from synthgen.errors import ConfigError
from synthgen.paths import refused_location

BACKGROUND_KINDS = ("solid", "gradient", "noise", "image", "paper", "blobs", "diffusion")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


MAX_IMAGE_BYTES = 256 * 2**20  # a background photo file at most this large
MAX_IMAGE_PIXELS = 80_000_000  # width * height; larger ones are refused (decompression bombs)


def image_folder(image_dir: str | None, key: str) -> tuple[str, ...]:
    """The images under ``image_dir`` (recursively, sorted); () for None; ConfigError at ``key``.

    Every image is opened and decoded here, at load time, so that a corrupt, truncated, huge or
    unreadable file is refused (one error naming it) before a run starts, not in its middle.
    """
    if image_dir is None:
        return ()
    root = Path(image_dir).expanduser()
    folder = refused_location(root)
    if folder is not None:
        raise ConfigError(key, f"refusing to read images under {folder}: {image_dir}")
    if not root.is_dir():
        raise ConfigError(key, f"folder not found: {image_dir}")
    images = tuple(sorted(str(f) for f in root.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES))
    if not images:
        raise ConfigError(key, f"no images in folder {image_dir}")
    for path in images:
        problem = image_problem(path)
        if problem is not None:
            raise ConfigError(key, f"{path}: {problem}")
    return images


def image_problem(path: str) -> str | None:
    """Why the background photo at ``path`` cannot be used, or None when it can."""
    import warnings

    from PIL import Image

    file = Path(path)
    try:
        if not file.is_file():
            return "not a regular file"
        size = file.stat().st_size
        if size > MAX_IMAGE_BYTES:
            return f"file larger than {MAX_IMAGE_BYTES // 2**20} MiB ({size / 2**20:.0f} MiB)"
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                w, h = im.size
                if w * h > MAX_IMAGE_PIXELS:
                    return f"{w}x{h} pixels, more than {MAX_IMAGE_PIXELS:,}"
                im.verify()
            with Image.open(path) as im:  # verify() does not decode every format: decode it (JPEG at 1/8)
                im.draft("RGB", (max(1, w // 8), max(1, h // 8)))
                im.convert("RGB").load()
    except OSError as exc:
        if exc.strerror:  # the file system's word: permission denied, I/O error
            return f"cannot read the image ({exc.strerror})"
        return f"corrupt or truncated image ({exc})"
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        return f"more than {MAX_IMAGE_PIXELS:,} pixels (a decompression bomb?)"
    except (SyntaxError, ValueError, EOFError, MemoryError) as exc:  # what Pillow's decoders raise
        return f"corrupt or truncated image ({type(exc).__name__})"
    return None


class BackgroundSettings(Params):
    """A scene's ``background:`` section: which kinds of background it draws and what they need.

    ``images`` (the photos under ``image_dir``) and ``bank_spec`` (the diffusion bank's JSON-able
    description, when ``kind`` can be ``diffusion``) are found at load time.
    """

    kind: Distribution = param(
        "choice([noise, gradient, blobs, paper])", choice(*BACKGROUND_KINDS), "the kind of each background"
    )
    image_dir: Optional[str] = param(None, None, "photos for kind image (searched recursively)")
    bank: BankSchema = param(BankSchema(), section(BankSchema), "diffusion backgrounds for kind diffusion")
    clutter: ClutterSettings = nested(ClutterSettings, "text-like marks with no label (backgrounds/clutter.py)")
    images: tuple[str, ...] = derived((), "the photos under image_dir, sorted")
    bank_spec: Optional[dict[str, Any]] = derived(None, "the diffusion bank's description")

    def check(self, key: str) -> BackgroundSettings:
        images = image_folder(self.image_dir, f"{key}.image_dir")
        kinds = self.kind.options if hasattr(self.kind, "options") else (self.kind.value,)  # type: ignore[attr-defined]
        if "image" in kinds and not images:
            raise ConfigError(f"{key}.kind", "kind 'image' needs image_dir")
        bank = None
        if "diffusion" in kinds:
            if importlib.util.find_spec("diffusers") is None or importlib.util.find_spec("torch") is None:
                raise ConfigError(
                    f"{key}.kind", "kind 'diffusion' needs torch and diffusers: pip install 'synthgen-cv[generate]'"
                )
            bank = bank_from_config(self.bank, f"{key}.bank")
        return replace(self, images=images, bank_spec=bank)


def sample_background(s: BackgroundSettings, width: int, height: int, rng: np.random.Generator) -> dict[str, Any]:
    """A background description (see ``synthgen.backgrounds``) of the given size, with its
    ``clutter`` marks where the settings ask for some."""
    background = _sample_kind(s, width, height, rng)
    if s.clutter.probability > 0:  # no clutter draws nothing from rng: other scenes' streams stay as they were
        marks = sample_clutter(s.clutter, width, height, rng)
        if marks:
            background["clutter"] = marks
    return background


def _sample_kind(s: BackgroundSettings, width: int, height: int, rng: np.random.Generator) -> dict[str, Any]:
    kind = s.kind.sample(rng)
    if kind == "solid":
        return {"kind": "solid", "color": list(random_color(rng))}
    if kind in ("gradient", "noise"):
        c1 = random_color(rng)
        c2 = tuple(int(np.clip(c + rng.integers(-60, 61), 0, 255)) for c in c1)
        bg: dict[str, Any] = {"kind": kind, "colors": [list(c1), list(c2)]}
        if kind == "gradient":
            bg["angle"] = float(rng.uniform(0, 360))
        else:
            bg["seed"] = int(rng.integers(2**31))
            bg["scale"] = float(rng.uniform(8, 64))
        return bg
    if kind == "paper":
        return paper_background(rng)
    if kind == "diffusion":
        return sample_bank_background(s.bank_spec, width, height, rng)  # type: ignore[arg-type]
    if kind == "blobs":
        n = int(rng.integers(2, 6))
        return {
            "kind": "blobs",
            "colors": [list(random_color(rng)) for _ in range(n)],
            "seed": int(rng.integers(2**31)),
            "count": int(rng.integers(3, 12)),
            "blur": float(rng.uniform(0.5, 4.0)),
        }
    path = s.images[int(rng.integers(len(s.images)))]
    from PIL import Image

    with Image.open(path) as im:
        w, h = im.size
    scale = min(w / width, h / height) * float(rng.uniform(0.5, 1.0))
    cw, ch = max(1, int(width * scale)), max(1, int(height * scale))
    x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    return {"kind": "image", "path": path, "crop": [x, y, cw, ch]}


def paper_background(rng: np.random.Generator, white: bool = False) -> dict[str, Any]:
    """Off-white paper (or bright thermal paper with ``white``)."""
    if white:
        base = [int(v) for v in rng.integers(238, 256, size=3)]
    else:
        tone = int(rng.integers(225, 252))
        base = [tone, int(tone - rng.integers(0, 8)), int(tone - rng.integers(2, 22))]
    return {
        "kind": "paper",
        "color": base,
        "seed": int(rng.integers(2**31)),
        "grain": float(rng.uniform(0.3, 1.0)),
        "stains": int(rng.integers(0, 3)),
    }
