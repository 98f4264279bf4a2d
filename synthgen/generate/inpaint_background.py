"""``inpaint_background``: regenerate every pixel outside the labelled instances.

The instances' pixels, grown by ``margin``, stay locked and are put back byte for byte, so every
label stays exact. With the built-in model the background is repainted with RePaint (diffusers'
RePaintScheduler) at a working size of ``working_size`` px on the longer side and brought back up;
with a Stable Diffusion (1.x, 2.x or XL) inpainting checkpoint (``model: /a/local/folder``) the
pipeline paints at the image's size (rounded to a multiple of 8) from ``prompt``. Each sample is
one pipeline call with its own generator: the step sees one sample at a time, so it does not batch
(see ``synthgen.diffusion_models.bank`` for where batching is sound).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from synthgen.config.distributions import Distribution, parse_value
from synthgen.diffusion_models.models import (
    BUILTIN,
    BUILTIN_CLASSES,
    INPAINT_PIPELINES,
    BuiltinModel,
    check_model,
    load_pipeline,
    pipeline_image,
    torch_generator,
)
from synthgen.errors import ConfigError
from synthgen.generate.lock import composite, locked_pixels, resize, working_size
from synthgen.generate.prompts import Prompt, parse_prompt, scene_params
from synthgen.steps import Applied, StepKind
from synthgen.types import Layers, SceneSpec

NEEDS = ("torch", "diffusers")


@dataclass
class InpaintBackgroundSchema:
    model: str = BUILTIN  # "builtin" or a local Stable Diffusion (XL) inpainting folder (diffusers format)
    texture: str = "choice([brick, grass, gravel, photo, paper, blobs, noise])"  # built-in model: its class to paint
    # checkpoints: what to paint (a template, or choice([...]) of them: synthgen.generate.prompts)
    prompt: str = "a photo of a textured surface"
    negative_prompt: str = "text, letters, watermark"
    margin: int = 2  # pixels around every instance that stay locked
    steps: int = 25  # denoising steps
    guidance_scale: float = 7.5  # checkpoints: classifier-free guidance
    working_size: int = 64  # built-in model: longer side it paints at, px
    jump_length: int = 5  # built-in model: RePaint's jump length
    resample: int = 2  # built-in model: RePaint's resampling per jump


@dataclass(frozen=True)
class InpaintBackgroundSettings:
    model: str
    texture: Distribution
    prompt: Prompt
    negative_prompt: Prompt
    margin: int
    steps: int
    guidance_scale: float
    working_size: int
    jump_length: int
    resample: int


def check_common(p: Any, key: str) -> None:
    """Range checks the diffusion steps share."""
    if not 0 <= p.margin <= 256:
        raise ConfigError(f"{key}.margin", f"must be in 0..256, got {p.margin}")
    if not 1 <= p.steps <= 1000:
        raise ConfigError(f"{key}.steps", f"must be in 1..1000, got {p.steps}")
    if not 0 <= p.guidance_scale <= 50:
        raise ConfigError(f"{key}.guidance_scale", f"must be in 0..50, got {p.guidance_scale}")
    if not 16 <= p.working_size <= 1024 or p.working_size % 8:
        raise ConfigError(f"{key}.working_size", f"must be a multiple of 8 in 16..1024, got {p.working_size}")


def from_config(p: InpaintBackgroundSchema, key: str) -> InpaintBackgroundSettings:
    check_common(p, key)
    if not 1 <= p.jump_length <= 100:
        raise ConfigError(f"{key}.jump_length", f"must be in 1..100, got {p.jump_length}")
    if not 1 <= p.resample <= 20:
        raise ConfigError(f"{key}.resample", f"must be in 1..20, got {p.resample}")
    return InpaintBackgroundSettings(
        model=check_model(p.model, f"{key}.model", INPAINT_PIPELINES),
        texture=parse_value(p.texture, f"{key}.texture", "str", BUILTIN_CLASSES),
        prompt=parse_prompt(p.prompt, f"{key}.prompt"),
        negative_prompt=parse_prompt(p.negative_prompt, f"{key}.negative_prompt"),
        margin=p.margin,
        steps=p.steps,
        guidance_scale=p.guidance_scale,
        working_size=p.working_size,
        jump_length=p.jump_length,
        resample=p.resample,
    )


def make_resource(s: InpaintBackgroundSettings) -> Any:
    return BuiltinModel.load() if s.model == BUILTIN else load_pipeline(s.model, "inpaint")


def apply(
    s: InpaintBackgroundSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None
) -> Applied:
    model = ctx.resource(s) if ctx is not None else make_resource(s)
    height, width = layers.rgb.shape[:2]
    locked = locked_pixels(layers.instance_id, s.margin)
    if s.model == BUILTIN:
        texture = str(s.texture.sample(rng))
        generator = torch_generator(rng, model.device)
        w, h = working_size(width, height, s.working_size)
        small = resize(layers.rgb, w, h)
        keep = resize(locked.astype(np.float32), w, h) > 0.5
        painted = model.repaint(small, keep, texture, s.steps, s.jump_length, s.resample, generator)
        params: dict[str, Any] = {"texture": texture, "steps": s.steps}
    else:
        prompt, negative = s.prompt.draw(scene_params(spec), rng), s.negative_prompt.draw(scene_params(spec), rng)
        generator = torch_generator(rng, str(model.device))
        painted = _pipeline_inpaint(model, s, layers.rgb, locked, generator, prompt, negative)
        params = {"prompt": prompt, "steps": s.steps}
    out = composite(layers.rgb, resize(painted, width, height), locked)
    return Applied(replace(layers, rgb=out), params)


def _pipeline_inpaint(
    pipe: Any,
    s: InpaintBackgroundSettings,
    rgb: np.ndarray,
    locked: np.ndarray,
    generator: Any,
    prompt: str,
    negative_prompt: str,
):
    from PIL import Image

    height, width = rgb.shape[:2]
    w, h = max(8, width // 8 * 8), max(8, height // 8 * 8)
    image = Image.fromarray(rgb).resize((w, h))
    mask = Image.fromarray(np.where(locked, 0, 255).astype(np.uint8)).resize((w, h))  # white: paint
    result = pipe(
        prompt=prompt,
        negative_prompt=negative_prompt,
        image=image,
        mask_image=mask,
        height=h,
        width=w,
        num_inference_steps=s.steps,
        guidance_scale=s.guidance_scale,
        generator=generator,
        output_type="np",
    )
    return pipeline_image(result)


KIND = StepKind(
    "inpaint_background",
    InpaintBackgroundSchema,
    from_config,
    apply,
    needs=NEEDS,
    make_resource=make_resource,
)
