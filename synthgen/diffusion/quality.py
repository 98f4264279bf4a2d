"""The quality filter of a diffusion step (``generate.<step>.params.filter``): score what the step
painted, and redraw a sample that scores below a threshold.

Scores (``filter.score``):

- ``none`` (the default): no filter; the step draws once, as without the key.
- ``stats``: a cheap statistic that needs no model: how well the colours the step painted match
  the scene's own render of the same pixels (the intersection, 0..1, of the two 8x8x8 RGB
  histograms over the pixels the step may change). A repaint that brings colours the scene never
  had (a purple road, a black sky, saturated noise) scores low.
- ``clip``: CLIP's cosine similarity (-1..1; photographs that match their caption score
  about 0.25-0.35) between the painted picture and the step's prompt (the built-in model: ``a
  photo of <texture>``), with a local CLIP checkpoint (``filter.clip_model``: a transformers
  ``CLIPModel`` folder with its processor; nothing is downloaded).
- ``package.module:function``: a scorer of the user's, called as ``function(image, prompt,
  original, changed) -> float`` with the painted (H, W, 3) uint8 image, the prompt, the render
  before the step and the (H, W) bool pixels the step may change; importable at load.

Redraws are deterministic: the first draw is the step's usual one (from the sample's generator,
so a first draw that passes gives the same bytes as no filter); then one seed is drawn from that
generator and draw ``k`` (1, 2, ...) uses its own generator seeded ``(seed, k)``. After ``tries``
draws the best-scoring one is kept. Each sample's record holds its score and draws
(``meta.generate.<step>.filter``); the run's manifest counts the redraws (``counts.dropped``:
``filter_redrawn``) and the samples kept below the threshold (``filter_below_threshold``).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from synthgen.config.params import Params, custom, param, within
from synthgen.errors import ConfigError

REDRAWN, BELOW = "filter_redrawn", "filter_below_threshold"  # the counts a run's manifest holds


def _check_score(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(key, f"expected none, stats, clip or package.module:function, got {value!r}")
    if value in ("none", "stats", "clip"):
        return value
    user_scorer(value, key)
    return value


def user_scorer(path: str, key: str = "filter.score") -> Callable[..., float]:
    """The function a ``package.module:function`` (or ``package.module.function``) path names."""
    module, sep, name = path.partition(":")
    if not sep:
        module, _, name = path.rpartition(".")
    if not module or not name:
        raise ConfigError(key, f"{path!r} is not none, stats, clip or package.module:function")
    try:
        found = getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise ConfigError(key, f"cannot import {module} ({type(exc).__name__}: {exc.name or exc})") from None
    except AttributeError:
        raise ConfigError(key, f"{module} has no {name}") from None
    if not callable(found):
        raise ConfigError(key, f"{path} is not a function")
    return found


class FilterSettings(Params):
    """``generate.<step>.params.filter``."""

    score: str = param("none", custom(_check_score, str, "none | stats | clip | package.module:function"),
                       "what scores a draw (none: no filter)")
    threshold: float = param(0.25, within(-1.0, 1e6), "a draw scoring below is redrawn")
    tries: int = param(3, within(1, 20), "draws at most, the first included; then the best is kept")
    clip_model: str = param("", None, "score clip: a local transformers CLIPModel folder (with its processor)")

    def check(self, key: str) -> None:
        if self.score != "clip":
            return
        folder = Path(self.clip_model).expanduser()
        if not self.clip_model or not (folder / "config.json").is_file():
            raise ConfigError(
                f"{key}.clip_model", f"score clip needs a local CLIP folder; {self.clip_model!r} has no config.json"
            )
        from synthgen.diffusion_models.models import check_weights

        check_weights(folder, None, f"{key}.clip_model")


def stats_score(image: np.ndarray, original: np.ndarray, changed: np.ndarray) -> float:
    """Intersection 0..1 of the 8x8x8 RGB histograms of ``image`` and ``original`` over ``changed``."""
    if not changed.any():
        return 1.0

    def histogram(rgb: np.ndarray) -> np.ndarray:
        bins = (rgb[changed] >> 5).astype(np.int64)
        h = np.bincount(bins[:, 0] * 64 + bins[:, 1] * 8 + bins[:, 2], minlength=512).astype(np.float64)
        return h / h.sum()

    return float(np.minimum(histogram(image), histogram(original)).sum())


@functools.cache
def _clip(folder: str) -> tuple[Any, Any]:
    from transformers import CLIPModel, CLIPProcessor

    from synthgen.diffusion_models.models import _quiet

    _quiet()
    model = CLIPModel.from_pretrained(folder, local_files_only=True).eval()
    return model, CLIPProcessor.from_pretrained(folder, local_files_only=True)


def clip_score(image: np.ndarray, prompt: str, folder: str) -> float:
    """CLIP's cosine similarity between ``image`` and ``prompt`` (a local CLIP checkpoint, on the CPU)."""
    import torch

    model, processor = _clip(folder)
    inputs = processor(text=[prompt], images=[image], return_tensors="pt", padding=True, truncation=True)
    with torch.no_grad():
        img = model.get_image_features(pixel_values=inputs["pixel_values"])
        txt = model.get_text_features(input_ids=inputs["input_ids"], attention_mask=inputs.get("attention_mask"))
    # transformers 5 returns the model output with the projected embedding as its pooler_output; 4.x the tensor
    img, txt = (getattr(v, "pooler_output", v) for v in (img, txt))
    return float(torch.nn.functional.cosine_similarity(img, txt).item())


def score(f: FilterSettings, image: np.ndarray, original: np.ndarray, changed: np.ndarray, prompt: str) -> float:
    if f.score == "stats":
        return stats_score(image, original, changed)
    if f.score == "clip":
        return clip_score(image, prompt, str(Path(f.clip_model).expanduser()))
    return float(user_scorer(f.score)(image, prompt, original, changed))


def with_filter(apply: Callable[..., Any]) -> Callable[..., Any]:
    """A step kind's ``apply`` that honours its settings' ``filter`` (see the module docstring)."""
    return FilteredApply(apply)


@dataclass(frozen=True)
class FilteredApply:
    """``apply`` with the quality filter around it (a class, so that a run config pickles to workers
    with the step kind's own ``apply`` by reference)."""

    apply: Callable[..., Any]

    def __call__(self, s: Any, layers: Any, spec: Any, rng: np.random.Generator, ctx: Any = None) -> Any:
        from synthgen.diffusion.lock import exact_pixels

        f = s.filter
        first = self.apply(s, layers, spec, rng, ctx)
        if f.score == "none":
            return first
        changed = ~exact_pixels(layers.rgb, layers.instance_id, getattr(s, "margin", 0))

        def rate(applied: Any) -> float:
            p = applied.params
            prompt = p.get("prompt") or (f"a photo of {p['texture']}" if "texture" in p else "")
            if not prompt and "repaint" in p:
                prompt = ", ".join(str(v) for v in p["repaint"].values())
            return score(f, applied.layers.rgb, layers.rgb, changed, prompt)

        best, best_score, draws = first, rate(first), 1
        if best_score < f.threshold and f.tries > 1:
            seed = int(rng.integers(0, 2**63))
            for k in range(1, f.tries):
                again = self.apply(s, layers, spec, np.random.default_rng((seed, k)), ctx)
                draws += 1
                value = rate(again)
                if value > best_score:
                    best, best_score = again, value
                if value >= f.threshold:
                    break
        counts = dict(best.dropped)
        if draws > 1:
            counts[REDRAWN] = counts.get(REDRAWN, 0) + draws - 1
        if best_score < f.threshold:
            counts[BELOW] = counts.get(BELOW, 0) + 1
        params = {**best.params, "filter": {"score": round(best_score, 4), "draws": draws}}
        return replace(best, params=params, dropped=counts)
