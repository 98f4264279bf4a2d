"""``refine``: img2img (SDEdit) over the whole picture at a configurable strength, then the locked
instance pixels are put back with their coverage as alpha (``synthgen.diffusion.lock``: whole
pixels byte for byte, edge pixels over the refined background), so every label stays exact.

With the built-in model the picture is refined at ``working_size`` px on the longer side and the
result brought back up (it softens what it changes); with a Stable Diffusion checkpoint
(``model: /a/local/folder``: SD 1.x/2.x, SDXL, or the SDXL refiner) the img2img pipeline works at
the image's size from ``prompt``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, custom, nested, number, param
from synthgen.diffusion_models.models import (
    BUILTIN,
    BUILTIN_CLASSES,
    IMAGE_PIPELINES,
    BuiltinModel,
    check_model,
    load_pipeline,
    pipeline_image,
    torch_generator,
)
from synthgen.diffusion.inpaint_background import DEVICE, GUIDANCE_SCALE, MARGIN, NEEDS, PROMPT, STEPS, WORKING_SIZE
from synthgen.diffusion.lock import composite_covered, resize, working_size
from synthgen.diffusion.prompts import Prompt, scene_params
from synthgen.diffusion.quality import FilterSettings, with_filter
from synthgen.steps import Applied, StepKind
from synthgen.types import Layers, SceneSpec


class RefineSettings(Params):
    """``generate.<step>.params`` of a refine step."""

    model: str = param(
        BUILTIN, custom(lambda value, key: check_model(value, key, IMAGE_PIPELINES, refiner_ok=True), str),
        "``builtin`` or a local Stable Diffusion (XL, or XL refiner) folder (diffusers format)",
    )
    strength: Distribution = param("uniform(0.2, 0.4)", number(0.0, 1.0), "0: unchanged .. 1: all noise, repainted")
    texture: Distribution = param(
        "photo", choice(*BUILTIN_CLASSES), "built-in model: the class it pulls the picture towards"
    )
    prompt: Prompt = param("a photo", PROMPT, "checkpoints: the prompt (a template, or choice([...]) of them)")
    negative_prompt: Prompt = param("text, letters, watermark", PROMPT, "checkpoints: what not to paint")
    margin: int = param(0, MARGIN, "pixels around every instance whose old background stays (shadows)")
    steps: int = param(25, STEPS, "denoising steps of the whole schedule (strength * steps run)")
    guidance_scale: float = param(7.5, GUIDANCE_SCALE, "checkpoints: classifier-free guidance")
    working_size: int = param(128, WORKING_SIZE, "built-in model: longer side it refines at, px")
    device: str = param("auto", DEVICE, "auto (a GPU if any), cpu, cuda (workers spread over GPUs), cuda:N")
    filter: FilterSettings = nested(FilterSettings, "score each draw, redraw below a threshold (diffusion.quality)")


def make_resource(s: RefineSettings) -> Any:
    return BuiltinModel.load(s.device) if s.model == BUILTIN else load_pipeline(s.model, "img2img", device=s.device)


def apply(s: RefineSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    model = ctx.resource(s) if ctx is not None else make_resource(s)
    height, width = layers.rgb.shape[:2]
    strength = float(s.strength.sample(rng))
    if s.model == BUILTIN:
        texture = str(s.texture.sample(rng))
        generator = torch_generator(rng, model.device)
        w, h = working_size(width, height, s.working_size)
        refined = model.sdedit(resize(layers.rgb, w, h), strength, texture, s.steps, generator)
        params: dict[str, Any] = {"strength": round(strength, 4), "texture": texture}
    else:
        from PIL import Image

        prompt, negative = s.prompt.draw(scene_params(spec), rng), s.negative_prompt.draw(scene_params(spec), rng)
        generator = torch_generator(rng, str(model.device))
        w, h = max(8, width // 8 * 8), max(8, height // 8 * 8)
        result = model(
            prompt=prompt,
            negative_prompt=negative,
            image=Image.fromarray(layers.rgb).resize((w, h)),
            strength=max(strength, 1.0 / s.steps),
            num_inference_steps=s.steps,
            guidance_scale=s.guidance_scale,
            generator=generator,
            output_type="np",
        )
        refined = pipeline_image(result)
        params = {"strength": round(strength, 4), "prompt": prompt}
    out = composite_covered(layers.rgb, resize(refined, width, height), layers.instance_id, s.margin)
    return Applied(replace(layers, rgb=out), params)


KIND = StepKind(RefineSettings, with_filter(apply), needs=NEEDS, make_resource=make_resource)
