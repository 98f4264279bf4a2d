"""One sample: scene -> render -> generate -> augment -> annotate, a pure function of (config, index)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from synthgen import __version__
from synthgen.annotate import annotate
from synthgen.config.schema import ImageConfig, RunConfig
from synthgen.engine.context import WorkerContext
from synthgen.engine.seeds import stage_rng
from synthgen.image_codec import encode_jpeg, encode_png
from synthgen.scene import SCENES
from synthgen.steps import run_steps
from synthgen.types import Sample


def make_sample(config: RunConfig, index: int, ctx: WorkerContext | None = None) -> Sample:
    """Generate sample ``index`` of a run (``GeneratedSource(config).sample``).

    Args:
        config: the loaded run config.
        index: the sample's index (0-based); the sample depends on nothing else.
        ctx: the worker context, built for this config or a copy of it (ValueError otherwise);
            None: this process's kept context if it is this config's, else a throwaway one (fine
            for a few samples: a GL renderer or a diffusion pipeline is built each call).
    """
    from synthgen.engine.source import GeneratedSource

    return GeneratedSource(config).sample(index, ctx)


def pipeline_sample(config: RunConfig, index: int, ctx: WorkerContext) -> Sample:
    """Sample ``index`` through the run's stages, with ``ctx`` (which ``GeneratedSource.samples``
    has checked is a context of this config): steps find their resources by their names."""
    kind = SCENES.get(config.scene.kind)
    spec = kind.sample(config.scene.settings, stage_rng(config.seed, index, "scene"))
    layers = ctx.render_kind.render(spec, config.render.settings, ctx.render_resource)
    dropped = Counter(spec.dropped)
    meta_steps = {}
    for stage, steps in (("generate", config.generate), ("augment", config.augment)):
        if steps:
            result = run_steps(steps, layers, spec, stage_rng(config.seed, index, stage), ctx, stage=stage)
            layers = result.layers
            dropped.update(result.dropped)
            meta_steps[stage] = result.applied  # step name -> sampled values, for the steps that ran
    if kind.measure is not None:  # labels read off the final pixels (text legibility)
        layers, measured = kind.measure(config.scene.settings, spec, layers)
        dropped.update(measured)
    labels = annotate(layers, spec, config.categories, config.annotate)
    meta = {
        "index": index,
        "seed": config.seed,
        "source": "synthetic",
        "generator": f"synthgen/{spec.kind}",
        "version": __version__,
        "scene": spec.params,
        "dropped": dict(dropped),
        **meta_steps,
    }
    return Sample(image=layers.rgb, labels=labels, meta=meta)


def encode_image(rgb: np.ndarray, image: ImageConfig) -> bytes:
    """PNG or JPEG bytes of an (H, W, 3) uint8 image, as the run config asks."""
    if image.format == "jpg":
        return encode_jpeg(rgb, image.jpeg_quality)
    return encode_png(rgb, image.png_compress_level, image.png_filter)
