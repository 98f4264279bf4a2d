#!/usr/bin/env python
"""README's ``synthgen assist`` example: a small detector trained on ``shapes`` on the CPU, then run
over a real photograph from scikit-image's data (``coins``), drawn before / after.

The shapes are drawn to look like the target domain (``COINS_LIKE``: discs of the coins' size on
textured backgrounds, at the photograph's size), the detector's input is small (160 px) and the
training grey now and then; ``--plain`` trains on ``configs/shapes.yaml`` as it ships instead.

    nice -n 10 python scripts/assist_example.py --work out/assist_example --steps 250
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
# configs/shapes.yaml drawn like scikit-image's coins (384x303, 24 coins of 40-70 px on a grey tray)
COINS_LIKE = [
    "scene.params.width=384",
    "scene.params.height=304",
    "scene.params.kinds=disc",
    "scene.params.radius=uniform(14, 34)",
    "scene.params.shapes=randint(8, 24)",
    "scene.params.keep_inside=true",
    "scene.params.background.kind=choice([noise, paper, blobs])",
]


TABLE_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
# The 24 coins of skimage.data.coins() as (x, y, w, h) boxes: the regions over 300 px of
# scikit-image's own watershed segmentation of the photograph (its "Comparing edge-based and
# region-based segmentation" example: markers < 30 and > 150, sobel, watershed, fill holes),
# each box then checked by eye drawn over the photograph (every coin boxed once, tightly).
COIN_BOXES = [
    [305, 16, 60, 56], [132, 28, 47, 46], [192, 30, 48, 43], [255, 34, 42, 38], [22, 35, 45, 39], [81, 39, 39, 35],
    [245, 95, 51, 49], [25, 104, 42, 41], [186, 105, 40, 39], [317, 106, 39, 39], [84, 108, 38, 37],
    [134, 110, 39, 35], [315, 156, 65, 62], [189, 170, 48, 47], [251, 172, 46, 45], [80, 175, 44, 42],
    [26, 179, 37, 38], [135, 179, 39, 38], [18, 233, 57, 55], [144, 236, 57, 52], [276, 239, 50, 50],
    [220, 240, 49, 48], [93, 245, 43, 42], [336, 248, 46, 41],
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", default="out/assist_example")
    parser.add_argument("--num", type=int, default=200, help="shapes images to train on")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--size", type=int, default=192)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--arch", default="fcos_small")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the shared VM: 1)")
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--threshold", type=float, default=0.5, help="the figure's and the files' lowest score")
    parser.add_argument("--figure", default=str(ROOT / "docs" / "assist_coins.png"))
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override of configs/shapes.yaml (repeatable), e.g. scene.params.kinds=disc",
    )
    parser.add_argument("--workers", type=int, default=1, help="processes generating the shapes set")
    parser.add_argument("--plain", action="store_true", help="configs/shapes.yaml as it ships, not COINS_LIKE")
    parser.add_argument("--model", help="a checkpoint of an earlier run: no training, only the pre-labels and figure")
    args = parser.parse_args()

    import cv2
    import numpy as np
    from skimage import data

    import synthgen
    import torch

    from synthgen.loop.assist import AssistOptions, assist

    torch.set_num_threads(args.threads)

    work = Path(args.work)
    dataset = work / "shapes"
    config = synthgen.load_config(
        ROOT / "configs" / "shapes.yaml", [f"num_samples={args.num}", *([] if args.plain else COINS_LIKE), *args.set]
    )
    if args.model is None:
        synthgen.generate_dataset(config, dataset, workers=args.workers, progress=True, overwrite=True)
    photos = work / "photos"
    photos.mkdir(parents=True, exist_ok=True)
    coins = np.stack([data.coins()] * 3, axis=-1)
    cv2.imwrite(str(photos / "coins.png"), cv2.cvtColor(coins, cv2.COLOR_RGB2BGR))
    out = work / "prelabels"
    if out.exists():
        for f in out.iterdir():
            f.unlink()
    start, cpu = time.perf_counter(), time.process_time()
    outcome = assist(
        photos,
        args.model or dataset,
        out,
        AssistOptions(
            steps=args.steps,
            batch=args.batch,
            size=args.size,
            lr=args.lr,
            arch=args.arch,
            threshold=min(TABLE_THRESHOLDS[0], args.threshold),  # the table's lowest: the figure filters its own
            device="cpu",
        ),
    )
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(outcome.line())
    print(f"train + predict: {seconds:.0f} s wall, {cpu:.0f} s CPU ({args.threads} torch thread(s))")
    cvat = json.loads((out / "coco_cvat.json").read_text())
    names = {c["id"]: c["name"] for c in cvat["categories"]}
    coins_present = COIN_BOXES
    scored = sorted(json.loads((out / "coco_results.json").read_text()), key=lambda r: -r["score"])
    for threshold in sorted({*TABLE_THRESHOLDS, args.threshold}):
        found, false = match([r["bbox"] for r in scored if r["score"] >= threshold], coins_present)
        kept = sum(r["score"] >= threshold for r in scored)
        print(
            f"score >= {threshold}: {kept} boxes, {found}/{len(coins_present)} coins found (IoU >= 0.5), "
            f"{false} boxes on no coin"
        )
    cvat["annotations"] = [a for a in cvat["annotations"] if a["score"] >= args.threshold]
    for a in cvat["annotations"]:
        print(f"  {names[a['category_id']]:<9} score {a['score']:.2f} box {a['bbox']}")
    found, _ = match([a["bbox"] for a in cvat["annotations"]], coins_present)
    figure(coins, cvat, names, Path(args.figure), args, f"{found} of the {len(coins_present)} coins boxed (IoU >= 0.5)")


def match(boxes: list[list[float]], truth: list[list[float]], iou: float = 0.5) -> tuple[int, int]:
    """(coins matched, boxes matched to none): each box, best score first, takes the unmatched coin
    it overlaps most at IoU >= ``iou`` (COCO's greedy matching)."""
    from pycocotools import mask

    if not boxes:
        return 0, 0
    overlaps = mask.iou(boxes, truth, [0] * len(truth)) if truth else [[0.0]] * len(boxes)
    taken: set[int] = set()
    for row in overlaps:
        free = [(v, k) for k, v in enumerate(row) if k not in taken and v >= iou]
        if free:
            taken.add(max(free)[1])
    return len(taken), len(boxes) - len(taken)


def figure(image, cvat, names, path: Path, args, found: str) -> None:
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
        f"synthgen assist: {len(cvat['annotations'])} pre-labels (score >= {args.threshold}), {found}\n"
        "from a detector "
        f"trained {args.steps} steps of {args.batch} on {args.num} synthetic "
        f"{'shapes' if args.plain else 'disc'} images at {args.size} px, CPU",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    print(f"figure -> {path}")


if __name__ == "__main__":
    main()
