#!/usr/bin/env python
"""README's ``synthgen assist`` examples, on the CPU: a small detector trained on ``shapes`` run over
a real photograph from scikit-image's data (``coins``), drawn before / after; and (``--task
recognize``) the CRNN trained on synthetic word crops, read on held-out crops and on words cut
from a real photographed page (``skimage.data.page()``).

The shapes are drawn to look like the target domain (``COINS_LIKE``: discs of the coins' size on
textured backgrounds, at the photograph's size) and the detector's input is small (192 px);
``--plain`` trains on ``configs/shapes.yaml`` as it ships instead.

    nice -n 10 python scripts/assist_example.py --work out/assist_example
    # -> docs/assist_coins.png, and the pre-annotations in out/assist_example/prelabels/
    nice -n 10 python scripts/assist_example.py --task recognize --steps 1000 --work out/assist_words
    # -> docs/assist_words.png, exact matches and CER on 300 held-out crops and 12 page words

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


# Word crops of skimage.data.page() (a photographed book page) as (x0, y0, x1, y1): boxes set by
# hand around each word's line band, each checked by eye in a drawing of the crops.
PAGE_WORDS = {
    "Region-based": (4, 10, 147, 37),
    "segmentation": (148, 10, 294, 37),
    "markers": (166, 49, 222, 66),
    "coins": (281, 50, 318, 66),
    "background": (4, 66, 78, 85),
    "These": (88, 66, 128, 84),
    "pixels": (218, 68, 263, 86),
    "label": (345, 66, 379, 84),
    "object": (182, 83, 230, 101),
    "histogram": (5, 114, 71, 133),
    "grey": (87, 118, 124, 136),
    "values:": (124, 119, 173, 138),
}
# configs/ocr_recognition.yaml as README's recognition example: one corpus word per crop
WORDS = ["scene.params.text.source=word", "scene.params.text.words=1", "scene.params.max_width=160"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", default="out/assist_example")
    parser.add_argument("--num", type=int, default=200, help="shapes images to train on")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--size", type=int, default=192)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--arch", default="fcos_small")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the shared VM: 1)")
    parser.add_argument("--lr", type=float, help="default: the task's (detect 0.01, recognize 0.003)")
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
    parser.add_argument(
        "--task", choices=("detect", "recognize"), default="detect", help="recognize: the word recogniser's figures"
    )
    parser.add_argument("--words", type=int, default=4000, help="recognize: synthetic word crops to train on")
    parser.add_argument("--words-figure", default=str(ROOT / "docs" / "assist_words.png"), help="recognize: figure")
    args = parser.parse_args()
    if args.task == "recognize":
        recognize_example(args)
        return

    import cv2
    import numpy as np
    import torch
    from skimage import data

    import synthgen
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


def recognize_example(args) -> None:
    """Train the CRNN on ``--words`` synthetic word crops, then read 300 held-out crops of another
    seed and the 12 words of ``PAGE_WORDS`` cut from a real photograph; print exact matches and CER."""
    import cv2
    import torch
    from skimage import data

    import synthgen
    from synthgen.loop.assist import AssistOptions, assist
    from synthgen.loop.results import edit_distance

    torch.set_num_threads(args.threads)
    work = Path(args.work)
    train, held = work / "words", work / "words_held_out"
    if args.model is None:
        for folder, num, seed in ((train, args.words, 0), (held, 300, 99)):
            config = synthgen.load_config(
                ROOT / "configs" / "ocr_recognition.yaml", [f"num_samples={num}", f"seed={seed}", *WORDS, *args.set]
            )
            synthgen.generate_dataset(config, folder, workers=args.workers, progress=True, overwrite=True)
    page = work / "page_words"
    page.mkdir(parents=True, exist_ok=True)
    for n, (word, (x0, y0, x1, y1)) in enumerate(PAGE_WORDS.items()):
        cv2.imwrite(str(page / f"{n:02d}.png"), data.page()[y0:y1, x0:x1])
    options = {"task": "recognize", "steps": args.steps, "lr": args.lr, "threshold": 0.0, "device": "cpu"}
    start, cpu = time.perf_counter(), time.process_time()
    out = work / "read_held_out"
    _empty(out)
    outcome = assist(held / "recognition", args.model or train, out, AssistOptions(**options))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(outcome.line())
    print(f"train + read: {seconds:.0f} s wall, {cpu:.0f} s CPU ({args.threads} torch thread(s))")
    truth = dict(line.split("\t", 1) for line in (held / "recognition" / "labels.tsv").read_text().splitlines())
    read = _tsv(out / "predictions.tsv")
    print("held-out synthetic crops (seed 99): " + _scores({k: (truth[k], read[k]) for k in truth}, edit_distance))
    out_page = work / "read_page"
    _empty(out_page)
    assist(page, args.model or out / "model.pt", out_page, AssistOptions(task="recognize", threshold=0.0, device="cpu"))
    read = _tsv(out_page / "predictions.tsv")
    pairs = {f"{n:02d}.png": (word, read[f"{n:02d}.png"]) for n, word in enumerate(PAGE_WORDS)}
    print("words cut from skimage.data.page(): " + _scores(pairs, edit_distance))
    for name, (word, text) in pairs.items():
        print(f"  {name} {word!r:>15} -> {text!r}")
    words_figure(page, pairs, Path(args.words_figure), args)


def words_figure(page: Path, pairs: dict[str, tuple[str, str]], path: Path, args) -> None:
    """The page's word crops, each with what the recogniser read (green: exact, red: not)."""
    import cv2
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(4, 3, figsize=(9, 3.6))
    for ax, (name, (word, text)) in zip(axes.flat, pairs.items()):
        ax.imshow(cv2.imread(str(page / name), cv2.IMREAD_GRAYSCALE), cmap="gray", vmin=0, vmax=255)
        ax.set_title(f"read: {text!r}", fontsize=8, color="#1e8449" if text == word else "#c0392b")
        ax.axis("off")
    exact = sum(w == t for w, t in pairs.values())
    fig.suptitle(
        f"synthgen assist --task recognize on words cut from skimage.data.page(): {exact}/{len(pairs)} exact\n"
        f"CRNN trained {args.steps} steps of 32 on {args.words} synthetic word crops, CPU",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    print(f"figure -> {path}")


def _empty(folder: Path) -> None:
    if folder.exists():
        for f in folder.iterdir():
            f.unlink()


def _tsv(path: Path) -> dict[str, str]:
    return dict(line.split("\t", 1) for line in path.read_text().splitlines())


def _scores(pairs: dict[str, tuple[str, str]], edit_distance) -> str:
    exact = sum(t == p for t, p in pairs.values())
    errors = sum(edit_distance(p, t) for t, p in pairs.values())
    chars = sum(len(t) for t, _ in pairs.values())
    return f"{exact}/{len(pairs)} exact ({exact / len(pairs):.1%}), CER {errors / chars:.1%}"


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
