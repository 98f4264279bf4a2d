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

from dataclasses import replace
from typing import Any

import numpy as np

from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, custom, param, within
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
from synthgen.diffusion.lock import composite, locked_pixels, resize, working_size
from synthgen.diffusion.prompts import Prompt, parse_prompt, scene_params
from synthgen.steps import Applied, StepKind
from synthgen.types import Layers, SceneSpec

NEEDS = ("torch", "diffusers")


# The ranges the diffusion steps share.
MARGIN = within(0, 256)
STEPS = within(1, 1000)
GUIDANCE_SCALE = within(0, 50)
WORKING_SIZE = within(16, 1024, multiple_of=8)
PROMPT = custom(parse_prompt, str, "a text, or choice([...]) of texts, with {name} fields")


class InpaintBackgroundSettings(Params):
    """``generate.<step>.params`` of an inpaint_background step."""

    model: str = param(
        BUILTIN, custom(lambda value, key: check_model(value, key, INPAINT_PIPELINES), str),
        "``builtin`` or a local Stable Diffusion (XL) inpainting folder (diffusers format)",
    )
    texture: Distribution = param(
        "choice([brick, grass, gravel, photo, paper, blobs, noise])", choice(*BUILTIN_CLASSES),
        "built-in model: its class to paint",
    )
    prompt: Prompt = param(
        "a photo of a textured surface", PROMPT,
        "checkpoints: what to paint (a template, or choice([...]) of them: synthgen.diffusion.prompts)",
    )
    negative_prompt: Prompt = param("text, letters, watermark", PROMPT, "checkpoints: what not to paint")
    margin: int = param(2, MARGIN, "pixels around every instance that stay locked")
    steps: int = param(25, STEPS, "denoising steps")
    guidance_scale: float = param(7.5, GUIDANCE_SCALE, "checkpoints: classifier-free guidance")
    working_size: int = param(64, WORKING_SIZE, "built-in model: longer side it paints at, px")
    jump_length: int = param(5, within(1, 100), "built-in model: RePaint's jump length")
    resample: int = param(2, within(1, 20), "built-in model: RePaint's resampling per jump")


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


KIND = StepKind(InpaintBackgroundSettings, apply, needs=NEEDS, make_resource=make_resource)
