"""``controlnet``: repaint a rendered scene with a Stable Diffusion (1.x, 2.x or XL) checkpoint
conditioned on its depth, its semantic segmentation or its edges (a ControlNet), keeping the
labelled instances' pixels (grown by ``margin``) byte for byte. Needs a local checkpoint and a
ControlNet folder made for it (an SDXL model takes an SDXL ControlNet; checked at load); the
condition must be a layer the scene renders (depth and segmentation: the 3D scenes).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from synthgen.diffusion_models.models import (
    CONTROLNET_MODELS,
    IMAGE_PIPELINES,
    check_controlnet_pair,
    check_model,
    load_pipeline,
    pipeline_image,
    torch_generator,
)
from synthgen.errors import ConfigError
from synthgen.generate.inpaint_background import NEEDS, check_common
from synthgen.generate.lock import composite, locked_pixels, resize
from synthgen.generate.prompts import Prompt, parse_prompt, scene_params
from synthgen.steps import Applied, StepKind
from synthgen.types import Layers, SceneSpec

CONDITIONS = ("depth", "segmentation", "edges")


@dataclass
class ControlNetSchema:
    model: str = "???"  # a local Stable Diffusion folder (diffusers format)
    controlnet: str = "???"  # a local ControlNetModel folder trained on `condition`
    condition: str = "depth"  # depth | segmentation | edges
    prompt: str = "a photo of a street"
    negative_prompt: str = "cartoon, drawing"
    conditioning_scale: float = 1.0
    margin: int = 2
    steps: int = 25
    guidance_scale: float = 7.5
    working_size: int = 512  # unused by checkpoints' size rule; kept for the shared checks


@dataclass(frozen=True)
class ControlNetSettings:
    model: str
    controlnet: str
    condition: str
    prompt: Prompt
    negative_prompt: Prompt
    conditioning_scale: float
    margin: int
    steps: int
    guidance_scale: float


def from_config(p: ControlNetSchema, key: str) -> ControlNetSettings:
    check_common(p, key)
    if p.condition not in CONDITIONS:
        raise ConfigError(f"{key}.condition", f"{p.condition!r} is not one of {', '.join(CONDITIONS)}")
    if not 0 <= p.conditioning_scale <= 5:
        raise ConfigError(f"{key}.conditioning_scale", f"must be in 0..5, got {p.conditioning_scale}")
    model = check_model(p.model, f"{key}.model", IMAGE_PIPELINES, builtin_ok=False)
    controlnet = check_model(p.controlnet, f"{key}.controlnet", CONTROLNET_MODELS, builtin_ok=False)
    check_controlnet_pair(model, controlnet, f"{key}.controlnet")
    return ControlNetSettings(
        model=model,
        controlnet=controlnet,
        condition=p.condition,
        prompt=parse_prompt(p.prompt, f"{key}.prompt"),
        negative_prompt=parse_prompt(p.negative_prompt, f"{key}.negative_prompt"),
        conditioning_scale=p.conditioning_scale,
        margin=p.margin,
        steps=p.steps,
        guidance_scale=p.guidance_scale,
    )


def requires(s: ControlNetSettings) -> frozenset[str]:
    return frozenset({"depth": {"depth"}, "segmentation": {"semantic"}}.get(s.condition, ()))


def make_resource(s: ControlNetSettings) -> Any:
    return load_pipeline(s.model, "controlnet", s.controlnet)


def condition_image(layers: Layers, condition: str) -> np.ndarray:
    """(H, W, 3) uint8 condition: inverse depth (near bright), segment colours, or Canny edges."""
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
        ids = layers.semantic_id.astype(np.int64)
        palette = np.random.default_rng(0).integers(0, 256, (int(ids.max()) + 1, 3), dtype=np.uint8)
        palette[0] = 0
        return palette[ids]
    edges = cv2.Canny(cv2.cvtColor(layers.rgb, cv2.COLOR_RGB2GRAY), 100, 200)
    return np.repeat(edges[..., None], 3, axis=2)


def apply(s: ControlNetSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    from PIL import Image

    pipe = ctx.resource(s) if ctx is not None else make_resource(s)
    height, width = layers.rgb.shape[:2]
    locked = locked_pixels(layers.instance_id, s.margin)
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
    out = composite(layers.rgb, resize(painted, width, height), locked)
    return Applied(replace(layers, rgb=out), {"condition": s.condition, "prompt": prompt})


KIND = StepKind(
    "controlnet", ControlNetSchema, from_config, apply, needs=NEEDS, make_resource=make_resource, requires=requires
)
