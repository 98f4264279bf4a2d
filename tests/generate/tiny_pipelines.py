"""Tiny random-weight Stable Diffusion, inpainting and ControlNet checkpoints, built from config
(as diffusers' own tests do: channels (8, 16), no hub) and saved as local diffusers folders, so
the generate steps load them the way they load a user's checkpoint."""

from __future__ import annotations

import json
from pathlib import Path


def _tokenizer(folder: Path):
    """A byte-level CLIP tokenizer whose vocabulary is every byte (no merges): enough for prompts."""
    from transformers import CLIPTokenizer
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for c in bytes_to_unicode().values():
        vocab.setdefault(c, len(vocab))
        vocab.setdefault(c + "</w>", len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77), len(vocab)


def build_tiny_checkpoints(root: Path) -> dict[str, Path]:
    """Folders ``inpaint`` (StableDiffusionInpaintPipeline), ``base`` (StableDiffusionPipeline) and
    ``controlnet`` (ControlNetModel) under ``root``."""
    import torch
    from diffusers import (
        AutoencoderKL,
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
        vae = AutoencoderKL(
            block_out_channels=(8, 16),
            down_block_types=("DownEncoderBlock2D",) * 2,
            up_block_types=("UpDecoderBlock2D",) * 2,
            latent_channels=4,
            norm_num_groups=8,
            sample_size=32,
        )
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
