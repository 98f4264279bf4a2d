#!/usr/bin/env python
"""Train synthgen's built-in background model: a small class-conditional diffusion model.

A diffusers ``UNet2DModel`` (about 1 M parameters, 32x32 native, convolutional so it also samples
larger sizes) learns DDPM noise prediction on crops of real photographs and textures that ship
inside scikit-image's wheel (no download: ``skimage.data``'s brick, grass, gravel and a few photos)
and on synthgen's own procedural backgrounds (paper, blobs, value noise). Classes::

    0 brick  1 grass  2 gravel  3 photo  4 paper  5 blobs  6 noise

The weights land in ``synthgen/diffusion_models/assets/tiny_diffusion/`` (safetensors, a few MB) beside a
``training.json`` that records this command, the seed, the data and the loss curve, so anyone can
reproduce them:

    python scripts/train_tiny_diffusion.py --steps 3000 --seed 0 --minutes 60   # <= 1 h on 2 CPU cores
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "synthgen" / "diffusion_models" / "assets" / "tiny_diffusion"
CLASSES = ("brick", "grass", "gravel", "photo", "paper", "blobs", "noise")
PHOTOS = ("coffee", "chelsea", "astronaut", "rocket", "hubble_deep_field", "retina")
SIZE = 32
EMA_DECAY = 0.995


def photo_sources() -> dict[str, list[np.ndarray]]:
    """Float RGB images in 0..1, by class, from scikit-image's packaged data."""
    import skimage.data as data

    def rgb(img: np.ndarray) -> np.ndarray:
        img = np.asarray(img)
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        return img[..., :3].astype(np.float32) / 255.0

    return {
        "brick": [rgb(data.brick())],
        "grass": [rgb(data.grass())],
        "gravel": [rgb(data.gravel())],
        "photo": [rgb(getattr(data, name)()) for name in PHOTOS],
    }


def procedural(kind: str, rng: np.random.Generator) -> np.ndarray:
    """A synthgen background of ``kind`` (paper, blobs, noise) at 4x the native size, 0..1."""
    from synthgen.backgrounds import paper_background, render_background

    size = SIZE * 4
    if kind == "paper":
        spec = paper_background(rng)
    elif kind == "blobs":
        n = int(rng.integers(2, 6))
        spec = {
            "kind": "blobs",
            "colors": [[int(c) for c in rng.integers(0, 256, 3)] for _ in range(n)],
            "seed": int(rng.integers(2**31)),
            "count": int(rng.integers(3, 12)),
            "blur": float(rng.uniform(0.5, 4.0)),
        }
    else:
        c1 = rng.integers(0, 256, 3)
        c2 = np.clip(c1 + rng.integers(-90, 91, 3), 0, 255)
        spec = {"kind": "noise", "colors": [c1.tolist(), c2.tolist()], "seed": int(rng.integers(2**31)), "scale": float(rng.uniform(8, 64))}
    return render_background(spec, size, size).astype(np.float32) / 255.0


def crop(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random SIZE x SIZE crop at a random scale (1x-4x down), flipped at random."""
    import cv2

    h, w = image.shape[:2]
    scale = float(rng.uniform(1.0, min(4.0, h / SIZE, w / SIZE)))
    side = int(SIZE * scale)
    y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    patch = cv2.resize(image[y : y + side, x : x + side], (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:
        patch = patch[:, ::-1]
    return np.ascontiguousarray(patch)


def batch(sources: dict, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, len(CLASSES), size)
    images = []
    for label in labels:
        name = CLASSES[int(label)]
        if name in sources:
            pool = sources[name]
            image = pool[int(rng.integers(len(pool)))]
        else:
            image = procedural(name, rng)
        images.append(crop(image, rng))
    x = np.stack(images).transpose(0, 3, 1, 2) * 2.0 - 1.0  # (B, 3, S, S) in -1..1
    return x.astype(np.float32), labels.astype(np.int64)


def make_unet():
    from diffusers import UNet2DModel

    return UNet2DModel(
        sample_size=SIZE,
        in_channels=3,
        out_channels=3,
        layers_per_block=1,
        block_out_channels=(32, 64, 64),
        down_block_types=("DownBlock2D", "DownBlock2D", "AttnDownBlock2D"),
        up_block_types=("AttnUpBlock2D", "UpBlock2D", "UpBlock2D"),
        num_class_embeds=len(CLASSES),
        norm_num_groups=8,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--minutes", type=float, default=None, help="stop after this long (the weights so far are saved)")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: OpenMP spin-waits stall on a busy machine)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    import torch
    from diffusers import DDPMScheduler

    sys.path.insert(0, str(ROOT))
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    sources = photo_sources()
    unet = make_unet()
    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2")
    optimiser = torch.optim.AdamW(unet.parameters(), lr=args.lr, weight_decay=1e-4)
    warmup = 100
    lr_schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: min(1.0, (step + 1) / warmup))
    # An exponential moving average of the weights is what ships: far better samples after a short run.
    ema = [p.detach().clone() for p in unet.parameters()]
    params = sum(p.numel() for p in unet.parameters())
    print(f"UNet2DModel: {params / 1e6:.2f} M parameters, {args.steps} steps of {args.batch}", flush=True)
    losses = []
    start = time.time()
    for step in range(args.steps):
        x, labels = batch(sources, args.batch, rng)
        x0 = torch.from_numpy(x)
        noise = torch.randn_like(x0)
        t = torch.randint(0, scheduler.config.num_train_timesteps, (len(x0),))
        noisy = scheduler.add_noise(x0, noise, t)
        pred = unet(noisy, t, class_labels=torch.from_numpy(labels)).sample
        loss = torch.nn.functional.mse_loss(pred, noise)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        optimiser.step()
        lr_schedule.step()
        decay = min(EMA_DECAY, (1 + step) / (10 + step))
        with torch.no_grad():
            for e, p in zip(ema, unet.parameters()):
                e.mul_(decay).add_(p.detach(), alpha=1 - decay)
        losses.append(float(loss))
        if step % 100 == 0 or step == args.steps - 1:
            recent = float(np.mean(losses[-100:]))
            print(f"step {step:5d}  loss {recent:.4f}  {time.time() - start:.0f} s", flush=True)
        if args.minutes is not None and time.time() - start > args.minutes * 60:
            print(f"stopping after {step + 1} steps ({args.minutes} minutes)", flush=True)
            break
    with torch.no_grad():
        for e, p in zip(ema, unet.parameters()):
            p.copy_(e)
    args.out.mkdir(parents=True, exist_ok=True)
    unet.save_pretrained(args.out, safe_serialization=True)
    scheduler.save_pretrained(args.out)
    record = {
        "command": "python scripts/train_tiny_diffusion.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "seed": args.seed,
        "steps": len(losses),
        "ema_decay": EMA_DECAY,
        "batch": args.batch,
        "lr": args.lr,
        "classes": list(CLASSES),
        "native_size": SIZE,
        "parameters": params,
        "data": {
            "skimage.data": ["brick", "grass", "gravel", *PHOTOS],
            "synthgen.backgrounds": ["paper", "blobs", "noise"],
        },
        "loss_per_100_steps": [round(float(np.mean(losses[i : i + 100])), 5) for i in range(0, len(losses), 100)],
        "seconds": round(time.time() - start),
        "torch": torch.__version__,
    }
    (args.out / "training.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
