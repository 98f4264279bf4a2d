"""One sample: scene -> render -> augment -> annotate, a pure function of (config, index)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from synthgen import __version__
from synthgen.annotate import annotate
from synthgen.augment import augment
from synthgen.config.schema import ImageConfig, RunConfig
from synthgen.engine.seeds import stage_rng
from synthgen.image_codec import encode_jpeg, encode_png
from synthgen.render import RENDERERS
from synthgen.scene import SCENES
from synthgen.types import Sample


def make_sample(config: RunConfig, index: int) -> Sample:
    """Generate sample ``index`` of a run."""
    kind = SCENES.get(config.scene.kind)
    spec = kind.sample(config.scene.settings, stage_rng(config.seed, index, "scene"))
    layers = RENDERERS.get(spec.renderer)(spec)
    dropped = Counter(spec.dropped)
    applied = None
    if config.augment:
        augmented = augment(layers, config.augment, stage_rng(config.seed, index, "augment"))
        layers, applied = augmented.layers, augmented.applied
        dropped.update(augmented.dropped)
    labels = annotate(layers, spec)
    meta = {
        "index": index,
        "seed": config.seed,
        "source": "synthetic",
        "generator": f"synthgen/{spec.kind}",
        "version": __version__,
        "scene": spec.params,
        "dropped": dict(dropped),
    }
    if applied is not None:
        meta["augment"] = applied  # step name -> sampled values, for the steps that ran
    return Sample(image=layers.rgb, labels=labels, meta=meta)


def encode_image(rgb: np.ndarray, image: ImageConfig) -> bytes:
    """PNG or JPEG bytes of an (H, W, 3) uint8 image, as the run config asks."""
    if image.format == "jpg":
        return encode_jpeg(rgb, image.jpeg_quality)
    return encode_png(rgb, image.png_compress_level)
