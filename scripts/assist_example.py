#!/usr/bin/env python
"""README's ``synthgen assist`` example: a small detector trained on ``shapes`` on the CPU, then run
over a real photograph from scikit-image's data (``coins``), drawn before / after.

    python scripts/assist_example.py --work out/assist_example --steps 600
    # -> docs/assist_coins.png, and the pre-annotations in out/assist_example/prelabels/

What it prints (images, boxes, the scores) is what README quotes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", default="out/assist_example")
    parser.add_argument("--num", type=int, default=300, help="shapes images to train on")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--size", type=int, default=320)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--figure", default=str(ROOT / "docs" / "assist_coins.png"))
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override of configs/shapes.yaml (repeatable), e.g. scene.params.kinds=disc",
    )
    parser.add_argument("--workers", type=int, default=1, help="processes generating the shapes set")
    args = parser.parse_args()

    import cv2
    import numpy as np
    from skimage import data

    import synthgen
    from synthgen.loop.assist import AssistOptions, assist

    work = Path(args.work)
    dataset = work / "shapes"
    config = synthgen.load_config(ROOT / "configs" / "shapes.yaml", [f"num_samples={args.num}", *args.set])
    synthgen.generate_dataset(config, dataset, workers=args.workers, progress=True, overwrite=True)
    photos = work / "photos"
    photos.mkdir(parents=True, exist_ok=True)
    coins = np.stack([data.coins()] * 3, axis=-1)
    cv2.imwrite(str(photos / "coins.png"), cv2.cvtColor(coins, cv2.COLOR_RGB2BGR))
    out = work / "prelabels"
    if out.exists():
        for f in out.iterdir():
            f.unlink()
    start = time.perf_counter()
    outcome = assist(
        photos,
        dataset,
        out,
        AssistOptions(
            steps=args.steps, batch=args.batch, size=args.size, lr=args.lr, threshold=args.threshold, device="cpu"
        ),
    )
    seconds = time.perf_counter() - start
    print(outcome.line())
    print(f"train + predict: {seconds:.0f} s on the CPU")
    cvat = json.loads((out / "coco_cvat.json").read_text())
    names = {c["id"]: c["name"] for c in cvat["categories"]}
    for a in cvat["annotations"]:
        print(f"  {names[a['category_id']]:<9} score {a['score']:.2f} box {a['bbox']}")
    figure(coins, cvat, names, Path(args.figure), args)


def figure(image, cvat, names, path: Path, args) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    for ax in axes:
        ax.imshow(image)
        ax.axis("off")
    axes[0].set_title("scikit-image data.coins(): a real photograph", fontsize=9)
    for a in cvat["annotations"]:
        x, y, w, h = a["bbox"]
        axes[1].add_patch(Rectangle((x, y), w, h, fill=False, color="#e74c3c", linewidth=1.5))
        axes[1].text(x, y - 2, f"{names[a['category_id']]} {a['score']:.2f}", color="#e74c3c", fontsize=6.5)
    axes[1].set_title(
        f"synthgen assist: {len(cvat['annotations'])} pre-labels (score >= {args.threshold}) from a detector\n"
        f"trained {args.steps} steps of {args.batch} on {args.num} synthetic 'shapes' images at {args.size} px, CPU",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    print(f"figure -> {path}")


if __name__ == "__main__":
    main()
