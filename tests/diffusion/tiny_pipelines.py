"""Tiny random-weight Stable Diffusion, inpainting and ControlNet checkpoints, built from config
(as diffusers' own tests do: channels (8, 16), no hub) and saved as local diffusers folders, so
the generate steps load them the way they load a user's checkpoint."""

from __future__ import annotations

import inspect
import json
from pathlib import Path


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's (and CLIP's) map of the 256 bytes to printable characters (transformers has it, at a
    path that moved between 4.x and 5.x)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("\u00a1"), ord("\u00ac") + 1),
                 *range(ord("\u00ae"), ord("\u00ff") + 1)]
    chars, extra = {}, 0
    for b in range(256):
        if b in printable:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return chars


def _tokenizer(folder: Path):
    """A byte-level CLIP tokenizer whose vocabulary is every byte (no merges): enough for prompts."""
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for c in _bytes_to_unicode().values():
        vocab.setdefault(c, len(vocab))
        vocab.setdefault(c + "</w>", len(vocab))
    if "vocab_file" in inspect.signature(CLIPTokenizer.__init__).parameters:  # transformers 4.x: from files
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
        (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
        tokenizer = CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=77)
        return tokenizer, len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77), len(vocab)


def _tiny_vae():
    """A tiny random-weight VAE (8 and 16 channels, 4 latent channels), as diffusers' tests build."""
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=(8, 16),
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=32,
    )


def build_tiny_checkpoints(root: Path) -> dict[str, Path]:
    """Folders ``inpaint`` (StableDiffusionInpaintPipeline), ``base`` (StableDiffusionPipeline) and
    ``controlnet`` (ControlNetModel) under ``root``."""
    import torch
    from diffusers import (
        ControlNetModel,
        DDIMScheduler,
        StableDiffusionInpaintPipeline,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    paths = {}
    for kind in ("inpaint", "base"):
        torch.manual_seed(0)
        unet = UNet2DConditionModel(
            block_out_channels=(8, 16),
            layers_per_block=1,
            sample_size=16,
            in_channels=9 if kind == "inpaint" else 4,
            out_channels=4,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
            cross_attention_dim=16,
            norm_num_groups=8,
            attention_head_dim=2,
        )
        vae = _tiny_vae()
        tokenizer, vocab_size = _tokenizer(root)
        text = CLIPTextModel(
            CLIPTextConfig(
                bos_token_id=0,
                eos_token_id=1,
                pad_token_id=1,
                hidden_size=16,
                intermediate_size=32,
                num_attention_heads=2,
                num_hidden_layers=2,
                vocab_size=vocab_size,
                projection_dim=16,
            )
        )
        scheduler = DDIMScheduler(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012, clip_sample=False, steps_offset=1)
        cls = StableDiffusionInpaintPipeline if kind == "inpaint" else StableDiffusionPipeline
        pipe = cls(vae=vae, text_encoder=text, tokenizer=tokenizer, unet=unet, scheduler=scheduler, safety_checker=None,
                   feature_extractor=None, requires_safety_checker=False)
        pipe.save_pretrained(root / kind)
        paths[kind] = root / kind
    torch.manual_seed(0)
    ControlNetModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        in_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        cross_attention_dim=16,
        conditioning_embedding_out_channels=(4, 8),
        norm_num_groups=8,
        attention_head_dim=2,
    ).save_pretrained(root / "controlnet")
    paths["controlnet"] = root / "controlnet"
    assert json.loads((root / "inpaint" / "model_index.json").read_text())["_class_name"] == "StableDiffusionInpaintPipeline"
    return paths


def build_tiny_sdxl_checkpoints(root: Path) -> dict[str, Path]:
    """Tiny random-weight SDXL folders under ``root``, shaped like diffusers' SDXL tests
    (``get_dummy_components``): ``xl_base`` (StableDiffusionXLPipeline), ``xl_img2img``
    (StableDiffusionXLImg2ImgPipeline, the base's weights), ``xl_inpaint``
    (StableDiffusionXLInpaintPipeline, a 9-channel UNet), ``xl_refiner`` (an SDXL refiner:
    StableDiffusionXLImg2ImgPipeline with no first text encoder and an aesthetic-score UNet) and
    ``xl_controlnet`` (a ControlNetModel for SDXL).

    Two CLIP text encoders of width 16 give a cross-attention width of 32; the added time
    embedding takes 6 time ids (original size, crop, target size; the refiner: 5, the last an
    aesthetic score) of ``addition_time_embed_dim`` 8 each plus the second encoder's pooled
    projection (16)."""
    import torch
    from diffusers import (
        ControlNetModel,
        EulerDiscreteScheduler,
        StableDiffusionXLImg2ImgPipeline,
        StableDiffusionXLInpaintPipeline,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    time_dim, width, projection = 8, 16, 16
    xl_net = {
        "block_out_channels": (8, 16),
        "layers_per_block": 1,
        "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D"),
        "attention_head_dim": 2,
        "use_linear_projection": True,
        "addition_embed_type": "text_time",
        "addition_time_embed_dim": time_dim,
        "transformer_layers_per_block": 1,
        "norm_num_groups": 8,
    }

    def unet(in_channels: int, time_ids: int, cross_attention: int) -> UNet2DConditionModel:
        torch.manual_seed(0)
        return UNet2DConditionModel(
            **xl_net,
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
            sample_size=16,
            in_channels=in_channels,
            out_channels=4,
            cross_attention_dim=cross_attention,
            projection_class_embeddings_input_dim=time_ids * time_dim + projection,
        )

    def text_config() -> CLIPTextConfig:
        return CLIPTextConfig(
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
            hidden_size=width,
            intermediate_size=32,
            num_attention_heads=2,
            num_hidden_layers=2,
            vocab_size=vocab_size,
            projection_dim=projection,
        )

    tokenizer, vocab_size = _tokenizer(root)
    torch.manual_seed(0)
    vae = _tiny_vae()
    text = CLIPTextModel(text_config())
    text_2 = CLIPTextModelWithProjection(text_config())
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, steps_offset=1, beta_schedule="scaled_linear", timestep_spacing="leading"
    )
    parts = {"vae": vae, "text_encoder_2": text_2, "tokenizer_2": tokenizer, "scheduler": scheduler}
    both = {**parts, "text_encoder": text, "tokenizer": tokenizer}
    paths = {}
    base = unet(4, 6, 2 * width)
    for name, cls, net in (
        ("xl_base", StableDiffusionXLPipeline, base),
        ("xl_img2img", StableDiffusionXLImg2ImgPipeline, base),
        ("xl_inpaint", StableDiffusionXLInpaintPipeline, unet(9, 6, 2 * width)),
    ):
        cls(**both, unet=net, add_watermarker=False).save_pretrained(root / name)
        paths[name] = root / name
    refiner = StableDiffusionXLImg2ImgPipeline(
        **parts, text_encoder=None, tokenizer=None, unet=unet(4, 5, width), requires_aesthetics_score=True,
        add_watermarker=False,
    )
    refiner.save_pretrained(root / "xl_refiner")
    paths["xl_refiner"] = root / "xl_refiner"
    torch.manual_seed(0)
    ControlNetModel(
        **xl_net,
        in_channels=4,
        conditioning_embedding_out_channels=(4, 8),
        cross_attention_dim=2 * width,
        projection_class_embeddings_input_dim=6 * time_dim + projection,
    ).save_pretrained(root / "xl_controlnet")
    paths["xl_controlnet"] = root / "xl_controlnet"
    return paths


def build_tiny_clip(root: Path) -> Path:
    """A tiny random-weight CLIP (transformers ``CLIPModel``, 32 px images) with its processor (the
    byte-level tokenizer above and a CLIPImageProcessor), saved under ``root / "clip"``."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor

    tokenizer, vocab_size = _tokenizer(root)
    torch.manual_seed(0)
    text = {"hidden_size": 16, "intermediate_size": 32, "num_attention_heads": 2, "num_hidden_layers": 2,
            "vocab_size": vocab_size, "bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1}
    vision = {"hidden_size": 16, "intermediate_size": 32, "num_attention_heads": 2, "num_hidden_layers": 2,
              "image_size": 32, "patch_size": 8}
    model = CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=16))
    folder = root / "clip"
    model.save_pretrained(folder)
    images = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    CLIPProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(folder)
    return folder
