"""Stable Diffusion XL checkpoints: tiny random-weight SDXL folders built from config (as diffusers'
SDXL tests do) run through every kind they fit with the labels locked; a folder a kind cannot use
is one config line naming the key."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("diffusers")

from label_lock import ROOT, SMALL, WORDS, assert_labels_locked  # noqa: E402
from tiny_pipelines import build_tiny_checkpoints, build_tiny_sdxl_checkpoints  # noqa: E402

from synthgen.config import load_run_config  # noqa: E402
from synthgen.engine import make_sample  # noqa: E402
from synthgen.errors import ConfigError  # noqa: E402

pytestmark = pytest.mark.slow  # runs diffusion pipelines (tiny random-weight ones and the built-in model)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny_sdxl")
    return {**build_tiny_checkpoints(root / "sd"), **build_tiny_sdxl_checkpoints(root / "xl")}


STEPS = {
    "inpaint_background": ["generate.g.kind=inpaint_background", "generate.g.params.model={xl_inpaint}"],
    "refine": ["generate.g.kind=refine", "generate.g.params.model={xl_img2img}", "generate.g.params.strength=1.0"],
    "refine with the refiner": ["generate.g.kind=refine", "generate.g.params.model={xl_refiner}",
                                "generate.g.params.strength=1.0"],
    "refine from the base": ["generate.g.kind=refine", "generate.g.params.model={xl_base}",
                             "generate.g.params.strength=1.0"],
    "controlnet": ["generate.g.kind=controlnet", "generate.g.params.model={xl_base}",
                   "generate.g.params.controlnet={xl_controlnet}", "generate.g.params.condition=edges"],
}


def fill(overrides: list[str], tiny) -> list[str]:
    return [o.format(**{k: str(v) for k, v in tiny.items()}) for o in overrides]


@pytest.mark.parametrize("kind", list(STEPS))
def test_sdxl_kinds_keep_locked_pixels(tiny, kind):
    plain = make_sample(load_run_config(WORDS, SMALL), 1)
    config = load_run_config(WORDS, [*SMALL, "generate.g.params.steps=2", *fill(STEPS[kind], tiny)])
    generated = make_sample(config, 1)
    assert_labels_locked(plain, generated)
    assert (make_sample(config, 1).image == generated.image).all()  # one torch.Generator per sample


def test_sdxl_background_bank(tiny, tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setenv("SYNTHGEN_CACHE", str(tmp_path / "cache"))
    bank = ["scene.params.background.kind=diffusion", f"scene.params.background.bank.model={tiny['xl_base']}",
            "scene.params.background.bank.size=32", "scene.params.background.bank.count=3",
            "scene.params.background.bank.steps=2", "scene.params.background.bank.batch_size=2"]
    config = load_run_config(ROOT / "configs" / "ocr_wild.yaml", ["scene.params.width=64", "scene.params.height=48",
                                                                  *bank])
    sample = make_sample(config, 0)
    assert sample.meta["scene"]["background"] == "diffusion" and sample.image.shape == (48, 64, 3)
    (folder,) = (tmp_path / "cache" / "banks").iterdir()
    images = [np.asarray(Image.open(folder / f"{i:05d}.png")) for i in range(3)]
    assert all(image.shape == (32, 32, 3) and image.std() > 0 for image in images)
    assert not (images[0] == images[1]).all()  # each image from its own seed, in one batch


@pytest.mark.parametrize(
    ("overrides", "key", "message"),
    [
        (["generate.g.kind=inpaint_background", "generate.g.params.model={xl_base}"], "generate.g.params.model",
         "holds a StableDiffusionXLPipeline; this needs one of StableDiffusionInpaintPipeline"),
        (["generate.g.kind=refine", "generate.g.params.model={xl_inpaint}"], "generate.g.params.model",
         "holds a StableDiffusionXLInpaintPipeline; this needs one of"),
        (["generate.g.kind=controlnet", "generate.g.params.model={xl_refiner}",
          "generate.g.params.controlnet={xl_controlnet}", "generate.g.params.condition=edges"],
         "generate.g.params.model", "holds an SDXL refiner (aesthetic-score UNet), which can only refine"),
        (["generate.g.kind=controlnet", "generate.g.params.model={xl_base}",
          "generate.g.params.controlnet={controlnet}", "generate.g.params.condition=edges"],
         "generate.g.params.controlnet",
         "is a ControlNet for Stable Diffusion 1.x/2.x; the model"),
        (["generate.g.kind=controlnet", "generate.g.params.model={base}",
          "generate.g.params.controlnet={xl_controlnet}", "generate.g.params.condition=edges"],
         "generate.g.params.controlnet", "is a ControlNet for Stable Diffusion XL; the model"),
        (["scene.params.background.kind=diffusion", "scene.params.background.bank.model={xl_refiner}"],
         "scene.params.background.bank.model", "holds an SDXL refiner"),
        (["scene.params.background.kind=diffusion", "scene.params.background.bank.model={xl_inpaint}"],
         "scene.params.background.bank.model", "holds a StableDiffusionXLInpaintPipeline"),
    ],
)
def test_sdxl_folders_a_kind_cannot_use_fail_at_load(tiny, overrides, key, message):
    bank = overrides[0].startswith("scene.params.background")
    config, base = (ROOT / "configs" / "ocr_wild.yaml", []) if bank else (WORDS, SMALL)  # a scene with a bank
    with pytest.raises(ConfigError) as err:
        load_run_config(config, [*base, *fill(overrides, tiny)])
    assert str(err.value).startswith(key + ": ") and message in str(err.value) and "\n" not in str(err.value)
