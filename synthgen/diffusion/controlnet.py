"""``controlnet``: repaint a rendered scene with a Stable Diffusion (1.x, 2.x or XL) checkpoint
conditioned on its depth, its semantic segmentation (drawn in ADE20K's palette:
``synthgen.diffusion.palette``) or its edges (a ControlNet), keeping the labelled instances'
pixels (``synthgen.diffusion.lock``: whole pixels byte for byte, edges blended by coverage).
Needs a local checkpoint and a ControlNet folder made for it (an SDXL model takes an SDXL
ControlNet; checked at load); the condition must be a layer the scene renders (depth and
segmentation: the 3D scenes).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from synthgen.config.params import REQUIRED, Params, custom, nested, one_of, param, within
from synthgen.diffusion_models.models import (
    CONTROLNET_MODELS,
    IMAGE_PIPELINES,
    check_controlnet_pair,
    check_model,
    load_pipeline,
    pipeline_image,
    torch_generator,
)
from synthgen.diffusion.inpaint_background import DEVICE, GUIDANCE_SCALE, MARGIN, NEEDS, PROMPT, STEPS, WORKING_SIZE
from synthgen.diffusion.lock import composite_covered, resize
from synthgen.diffusion.palette import segmentation_condition
from synthgen.diffusion.prompts import Prompt, scene_params
from synthgen.diffusion.quality import FilterSettings, with_filter
from synthgen.steps import Applied, StepKind
from synthgen.types import Layers, SceneSpec

CONDITIONS = ("depth", "segmentation", "edges")


class ControlNetSettings(Params):
    """``generate.<step>.params`` of a controlnet step."""

    model: str = param(
        REQUIRED, custom(lambda value, key: check_model(value, key, IMAGE_PIPELINES, builtin_ok=False), str),
        "a local Stable Diffusion folder (diffusers format)",
    )
    controlnet: str = param(
        REQUIRED, custom(lambda value, key: check_model(value, key, CONTROLNET_MODELS, builtin_ok=False), str),
        "a local ControlNetModel folder trained on ``condition``",
    )
    condition: str = param("depth", one_of(*CONDITIONS), "depth | segmentation | edges")
    prompt: Prompt = param("a photo of a street", PROMPT, "the prompt (a template, or choice([...]) of them)")
    negative_prompt: Prompt = param("cartoon, drawing", PROMPT, "what not to paint")
    conditioning_scale: float = param(1.0, within(0, 5), "how strongly the condition steers the picture")
    margin: int = param(0, MARGIN, "pixels around every instance whose old background stays (shadows)")
    steps: int = param(25, STEPS, "denoising steps")
    guidance_scale: float = param(7.5, GUIDANCE_SCALE, "classifier-free guidance")
    working_size: int = param(512, WORKING_SIZE, "unused by checkpoints' size rule; kept for the shared checks")
    device: str = param("auto", DEVICE, "auto (a GPU if any), cpu, cuda (workers spread over GPUs), cuda:N")
    filter: FilterSettings = nested(FilterSettings, "score each draw, redraw below a threshold (diffusion.quality)")

    def check(self, key: str) -> None:
        check_controlnet_pair(self.model, self.controlnet, f"{key}.controlnet")


def requires(s: ControlNetSettings) -> frozenset[str]:
    return frozenset({"depth": {"depth"}, "segmentation": {"semantic"}}.get(s.condition, ()))


def make_resource(s: ControlNetSettings) -> Any:
    return load_pipeline(s.model, "controlnet", s.controlnet, device=s.device)


def condition_image(layers: Layers, condition: str) -> np.ndarray:
    """(H, W, 3) uint8 condition: inverse depth (near bright), the semantic classes in ADE20K's
    palette (``synthgen.diffusion.palette``: what segmentation ControlNets are trained on), or Canny edges."""
    import cv2

    if condition == "depth":
        if layers.depth is None:
            raise ValueError("controlnet: the renderer produced no depth layer")
        finite = np.isfinite(layers.depth) & (layers.depth > 0)
        inv = np.where(finite, 1.0 / np.where(finite, layers.depth, 1.0), 0.0)
        top = float(inv.max()) or 1.0
        grey = np.rint(inv / top * 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    if condition == "segmentation":
        if layers.semantic_id is None:
            raise ValueError("controlnet: the renderer produced no semantic layer")
        return segmentation_condition(layers.semantic_id)
    edges = cv2.Canny(cv2.cvtColor(layers.rgb, cv2.COLOR_RGB2GRAY), 100, 200)
    return np.repeat(edges[..., None], 3, axis=2)


def apply(s: ControlNetSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    from PIL import Image

    pipe = ctx.resource(s) if ctx is not None else make_resource(s)
    height, width = layers.rgb.shape[:2]
    prompt, negative = s.prompt.draw(scene_params(spec), rng), s.negative_prompt.draw(scene_params(spec), rng)
    generator = torch_generator(rng, str(pipe.device))
    w, h = max(8, width // 8 * 8), max(8, height // 8 * 8)
    cond = Image.fromarray(condition_image(layers, s.condition)).resize((w, h))
    result = pipe(
        prompt=prompt,
        negative_prompt=negative,
        image=cond,
        height=h,
        width=w,
        num_inference_steps=s.steps,
        guidance_scale=s.guidance_scale,
        controlnet_conditioning_scale=s.conditioning_scale,
        generator=generator,
        output_type="np",
    )
    painted = pipeline_image(result)
    out = composite_covered(layers.rgb, resize(painted, width, height), layers.instance_id, s.margin)
    return Applied(replace(layers, rgb=out), {"condition": s.condition, "prompt": prompt})


KIND = StepKind(
    ControlNetSettings, with_filter(apply), needs=NEEDS, make_resource=make_resource, requires=requires
)
