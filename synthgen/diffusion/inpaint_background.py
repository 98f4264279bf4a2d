"""``inpaint_background``: regenerate every pixel outside the labelled instances, or, with
``repaint``, each listed semantic class's pixels as that class.

The instances' pixels stay locked with their anti-aliased coverage as alpha
(``synthgen.diffusion.lock``): whole pixels are put back byte for byte, so every label stays exact,
and an edge pixel keeps its ink's share over the new background, so no ring of the old background
is left around an object. With the built-in model the background is repainted with RePaint (diffusers'
RePaintScheduler) at a working size of ``working_size`` px on the longer side and brought back up;
with a Stable Diffusion (1.x, 2.x or XL) inpainting checkpoint (``model: /a/local/folder``) the
pipeline paints at the image's size (rounded to a multiple of 8) from ``prompt``. Each sample is
one pipeline call with its own generator: the step sees one sample at a time, so it does not batch
(see ``synthgen.diffusion_models.bank`` for where batching is sound).

Dense labels: a scene's semantic (and depth) layer says what each pixel shows. Repainting every
background pixel with one prompt makes a road a lawn that the layer still calls road, so on a
scene with a semantic layer whose run writes it (the ``dense`` writer) the step is refused at load
unless it says per class what to paint: ``repaint: {sky: "overcast sky", road: "wet asphalt"}``
repaints each listed class's pixels only, one pipeline call per class in the order given, each
with its own prompt (a template, or ``choice([...])``; with the built-in model: one of its
texture classes), and leaves the classes it does not list as rendered.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from synthgen.config.distributions import Distribution
from synthgen.cityscapes import CITYSCAPES
from synthgen.config.params import Params, choice, custom, nested, param, within
from synthgen.diffusion_models.models import (
    BUILTIN,
    BUILTIN_CLASSES,
    INPAINT_PIPELINES,
    BuiltinModel,
    DEVICES,
    check_device,
    check_model,
    load_pipeline,
    pipeline_image,
    torch_generator,
)
from synthgen.diffusion.lock import composite_covered, paint_mask, resize, working_size
from synthgen.diffusion.prompts import Prompt, parse_prompt, scene_params
from synthgen.diffusion.quality import FilterSettings, with_filter
from synthgen.errors import ConfigError
from synthgen.steps import Applied, StepKind
from synthgen.types import Layers, SceneSpec

NEEDS = ("torch", "diffusers")


# The ranges the diffusion steps share.
MARGIN = within(0, 256)
STEPS = within(1, 1000)
GUIDANCE_SCALE = within(0, 50)
WORKING_SIZE = within(16, 1024, multiple_of=8)
PROMPT = custom(parse_prompt, str, "a text, or choice([...]) of texts, with {name} fields")
DEVICE = custom(check_device, str, DEVICES)
SEMANTIC_CLASSES = {name: cid for cid, name, _ in CITYSCAPES if cid >= 4}  # the void classes are no class to paint


@dataclass(frozen=True)
class ClassRepaint:
    """One class of ``repaint``: its name and semantic id, and what to paint its pixels as."""

    name: str
    semantic_id: int
    text: str  # as the config gives it: a built-in texture class, or a prompt
    prompt: Prompt


def parse_repaint(value: Any, key: str) -> tuple[ClassRepaint, ...]:
    """``repaint: {class: prompt}``: Cityscapes class names (the semantic layer's classes)."""
    if not isinstance(value, dict):
        raise ConfigError(key, f"expected a mapping of class -> prompt, got {type(value).__name__}")
    out = []
    for name, text in value.items():
        if name not in SEMANTIC_CLASSES:
            raise ConfigError(f"{key}.{name}", f"not a semantic class; valid: {', '.join(SEMANTIC_CLASSES)}")
        out.append(ClassRepaint(str(name), SEMANTIC_CLASSES[name], str(text), parse_prompt(text, f"{key}.{name}")))
    return tuple(out)


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
    repaint: tuple[ClassRepaint, ...] = param(
        {}, custom(parse_repaint, dict[str, str], "{class: prompt}"),
        "scenes with a semantic layer: class -> what its pixels are repainted as (a prompt; the built-in "
        "model: a texture class); only these classes are repainted, each as itself",
    )
    margin: int = param(0, MARGIN, "pixels around every instance whose old background stays (shadows)")
    steps: int = param(25, STEPS, "denoising steps")
    guidance_scale: float = param(7.5, GUIDANCE_SCALE, "checkpoints: classifier-free guidance")
    working_size: int = param(64, WORKING_SIZE, "built-in model: longer side it paints at, px")
    jump_length: int = param(5, within(1, 100), "built-in model: RePaint's jump length")
    resample: int = param(2, within(1, 20), "built-in model: RePaint's resampling per jump")
    device: str = param("auto", DEVICE, "auto (a GPU if any), cpu, cuda (workers spread over GPUs), cuda:N")
    filter: FilterSettings = nested(FilterSettings, "score each draw, redraw below a threshold (diffusion.quality)")

    def check(self, key: str) -> None:
        if self.model != BUILTIN:
            return
        for c in self.repaint:
            if c.text not in BUILTIN_CLASSES:
                raise ConfigError(
                    f"{key}.repaint.{c.name}",
                    f"the built-in model paints a texture class ({', '.join(BUILTIN_CLASSES)}), got {c.text[:60]!r}",
                )

    def prompts(self) -> list[tuple[str, Prompt]]:
        """(key below the params, prompt) of every prompt, for the load-time check of their fields."""
        found = [("prompt", self.prompt), ("negative_prompt", self.negative_prompt)]
        if self.model != BUILTIN:
            found += [(f"repaint.{c.name}", c.prompt) for c in self.repaint]
        return found


def requires(s: InpaintBackgroundSettings) -> frozenset[str]:
    """Repainting by class reads the semantic layer."""
    return frozenset({"semantic"}) if s.repaint else frozenset()


def invalidates(s: InpaintBackgroundSettings) -> frozenset[str]:
    """Without ``repaint``, every background pixel is repainted as whatever the model paints: the
    semantic and depth layers no longer say what the pixels show."""
    return frozenset() if s.repaint else frozenset({"semantic", "depth"})


def make_resource(s: InpaintBackgroundSettings) -> Any:
    return BuiltinModel.load(s.device) if s.model == BUILTIN else load_pipeline(s.model, "inpaint", device=s.device)


def apply(
    s: InpaintBackgroundSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None
) -> Applied:
    model = ctx.resource(s) if ctx is not None else make_resource(s)
    height, width = layers.rgb.shape[:2]
    free = paint_mask(layers.rgb, layers.instance_id, s.margin)
    if s.repaint:
        if layers.semantic_id is None:
            raise ValueError("inpaint_background: repaint needs a semantic layer, and the renderer produced none")
        painted = layers.rgb.copy()
        drawn: dict[str, str] = {}
        for c in s.repaint:  # in the config's order, each from the step's generator
            region = free & (layers.semantic_id == c.semantic_id)
            if not region.any():
                continue
            if s.model == BUILTIN:
                new = _builtin_inpaint(model, s, painted, ~region, c.text, rng)
                drawn[c.name] = c.text
            else:
                params = scene_params(spec)
                prompt, negative = c.prompt.draw(params, rng), s.negative_prompt.draw(params, rng)
                generator = torch_generator(rng, str(model.device))
                new = _pipeline_inpaint(model, s, painted, ~region, generator, prompt, negative)
                drawn[c.name] = prompt
            painted[region] = resize(new, width, height)[region]
        out = composite_covered(layers.rgb, painted, layers.instance_id, s.margin)
        return Applied(replace(layers, rgb=out), {"repaint": drawn, "steps": s.steps})
    if s.model == BUILTIN:
        texture = str(s.texture.sample(rng))
        painted = _builtin_inpaint(model, s, layers.rgb, ~free, texture, rng)
        params: dict[str, Any] = {"texture": texture, "steps": s.steps}
    else:
        prompt, negative = s.prompt.draw(scene_params(spec), rng), s.negative_prompt.draw(scene_params(spec), rng)
        generator = torch_generator(rng, str(model.device))
        painted = _pipeline_inpaint(model, s, layers.rgb, ~free, generator, prompt, negative)
        params = {"prompt": prompt, "steps": s.steps}
    out = composite_covered(layers.rgb, resize(painted, width, height), layers.instance_id, s.margin)
    return Applied(replace(layers, rgb=out), params)


def _builtin_inpaint(
    model: BuiltinModel, s: InpaintBackgroundSettings, rgb: np.ndarray, keep: np.ndarray, texture: str, rng
) -> np.ndarray:
    """The built-in model's RePaint of the pixels not in ``keep``, at the working size."""
    height, width = rgb.shape[:2]
    generator = torch_generator(rng, model.device)
    w, h = working_size(width, height, s.working_size)
    small = resize(rgb, w, h)
    kept = resize(keep.astype(np.float32), w, h) > 0.5
    return model.repaint(small, kept, texture, s.steps, s.jump_length, s.resample, generator)


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
    InpaintBackgroundSettings, with_filter(apply), needs=NEEDS, make_resource=make_resource, requires=requires,
    invalidates=invalidates,
)
