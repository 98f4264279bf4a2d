#!/usr/bin/env python
"""Does the diffusion stage help a model on a task it is meant for? Text segmentation on photographs.

The task: find the text pixels (a per-pixel text/no-text mask, what a text detector's segmentation
head learns) in images whose backgrounds are photographs. Two training sets of ``text_words`` are
made from the same seed: **plain** (the scene's own solid, gradient and noise backgrounds) and
**diffused** (the same samples with ``generate.bg: inpaint_background`` repainting every background
pixel; every word byte-identical). The same small fully-convolutional net is trained on each with
the same seed and steps, and scored (text IoU, and pixel F1) on a test set of ``text_words`` drawn
over photographs (``background.kind: image``) that neither training set has. Median of --repeats
trainings (different seeds for the net, the same data).

With the built-in model on this CPU (the default) the repaint is its soft textures; the test's
photographs are scikit-image's (astronaut, coffee, chelsea, rocket, camera, ...), which the built-in
model was trained on crops of: a caveat in the built-in model's favour, reported with the result.
With a real inpainting checkpoint on a GPU:

    python scripts/bench_diffusion_value.py --model /models/sd15-inpainting --device cuda \\
        --prompt 'choice(["a photo of a street", "a photo of a kitchen", "a photo of a forest"])' \\
        --train 2000 --test 400 --size 256x192 --steps-train 3000 --photos /data/coco/val2017

(``--photos``: a folder of your own photographs for the test backgrounds; scikit-image's by default.)

    python scripts/bench_diffusion_value.py                     # CPU, the built-in model
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "text_words.yaml"


def photos_folder(folder: Path) -> Path:
    """scikit-image's colour photographs (and its greyscale camera, as RGB), written as PNGs."""
    import cv2
    from skimage import data

    folder.mkdir(parents=True, exist_ok=True)
    names = ("astronaut", "coffee", "chelsea", "rocket", "camera", "cat", "immunohistochemistry", "hubble_deep_field")
    for name in names:
        if not hasattr(data, name):
            continue
        image = getattr(data, name)()
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        cv2.imwrite(str(folder / f"{name}.png"), cv2.cvtColor(image[..., :3], cv2.COLOR_RGB2BGR))
    return folder


def make_set(overrides: list[str], num: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(N, H, W, 3) uint8 images and (N, H, W) bool text masks of a generated set, and its seconds."""
    from synthgen.config import load_run_config
    from synthgen.engine.context import WorkerContext
    from synthgen.engine.pipeline import make_sample

    config = load_run_config(CONFIG, [f"num_samples={num}", *overrides])
    start = time.perf_counter()
    ctx = WorkerContext(config)  # the model loaded once
    images, masks = [], []
    for index in range(num):
        sample = make_sample(config, index, ctx)
        mask = np.zeros(sample.image.shape[:2], bool)
        for inst in sample.labels.instances:
            mask |= inst.visible_mask()
        images.append(sample.image)
        masks.append(mask)
    ctx.close()
    return np.stack(images), np.stack(masks), time.perf_counter() - start


def train_and_score(train: tuple, test: tuple, steps: int, seed: int) -> dict[str, float]:
    """Train a 5-layer FCN (about 30 k parameters) on ``train`` and score it on ``test``."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    net = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=2, dilation=2), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=4, dilation=4), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=2, dilation=2), nn.ReLU(),
        nn.Conv2d(32, 1, 1),
    )
    x = torch.from_numpy(train[0]).permute(0, 3, 1, 2).float() / 255
    y = torch.from_numpy(train[1]).float()[:, None]
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(seed)
    pos = float(y.mean())
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=torch.tensor((1 - pos) / max(pos, 1e-6)))
    for _ in range(steps):
        batch = torch.randint(0, len(x), (8,), generator=gen)
        loss = loss_fn(net(x[batch]), y[batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        tx = torch.from_numpy(test[0]).permute(0, 3, 1, 2).float() / 255
        pred = torch.cat([net(tx[i : i + 16]) for i in range(0, len(tx), 16)])[:, 0].numpy() > 0
    truth = test[1]
    tp = float((pred & truth).sum())
    fp = float((pred & ~truth).sum())
    fn = float((~pred & truth).sum())
    return {"iou": tp / max(tp + fp + fn, 1), "f1": 2 * tp / max(2 * tp + fp + fn, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="builtin", help="builtin, or a local SD inpainting folder")
    parser.add_argument("--prompt", default="a photo", help="checkpoints: the repaint prompt (a template or choice)")
    parser.add_argument("--texture", default="choice([photo, brick, grass, gravel, paper])", help="built-in model")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--train", type=int, default=96)
    parser.add_argument("--test", type=int, default=48)
    parser.add_argument("--size", default="128x96")
    parser.add_argument("--steps-train", type=int, default=600)
    parser.add_argument("--diffusion-steps", type=int, default=25)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--photos", default="", help="a folder of photographs for the test backgrounds")
    parser.add_argument("--json", default="", help="also write the results here")
    args = parser.parse_args(argv)
    width, height = args.size.split("x")
    scene = [f"scene.params.width={width}", f"scene.params.height={height}", "scene.params.words=randint(2, 5)",
             "scene.params.font_size=randint(12, 28)"]
    bg = ["generate.bg.kind=inpaint_background", f"generate.bg.params.model={args.model}",
          f"generate.bg.params.steps={args.diffusion_steps}", f"generate.bg.params.device={args.device}"]
    bg.append(f"generate.bg.params.texture={args.texture}" if args.model == "builtin" else
              f"generate.bg.params.prompt={args.prompt}")
    with tempfile.TemporaryDirectory(prefix="synthgen-bench-value-") as tmp:
        work = Path(tmp)
        photos = Path(args.photos) if args.photos else photos_folder(work / "photos")
        test_scene = [*scene, "seed=12345", "scene.params.background.kind=image",
                      f"scene.params.background.image_dir={photos}"]
        plain = make_set(scene, args.train)
        diffused = make_set([*scene, *bg], args.train)
        test = make_set(test_scene, args.test)
        scores: dict[str, list[dict[str, float]]] = {"plain": [], "diffused": []}
        for r in range(args.repeats):
            for name, data in (("plain", plain), ("diffused", diffused)):
                scores[name].append(train_and_score(data[:2], test[:2], args.steps_train, seed=r))
    print(f"text segmentation on photographs: text_words {args.size}, {args.train} training and {args.test} test "
          f"images, model {args.model}, FCN trained {args.steps_train} steps; median of {args.repeats} trainings")
    print(f"making the sets: plain {plain[2]:.0f} s, diffused {diffused[2]:.0f} s, test {test[2]:.0f} s")
    print("| training set | text IoU (median) | pixel F1 (median) | each IoU |")
    print("|---|---|---|---|")
    result = {}
    for name, runs in scores.items():
        iou = statistics.median(r["iou"] for r in runs)
        f1 = statistics.median(r["f1"] for r in runs)
        result[name] = {"iou": iou, "f1": f1, "runs": runs}
        each = ", ".join(f"{r['iou']:.3f}" for r in runs)
        print(f"| {name} | {iou:.3f} | {f1:.3f} | {each} |")
    gain = result["diffused"]["iou"] - result["plain"]["iou"]
    print(f"diffused - plain: {gain:+.3f} IoU")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "result": result}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
