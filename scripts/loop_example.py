#!/usr/bin/env python
"""README's ``synthgen target`` worked example: round 0 -> report -> targeted round 1 with a small
shape classifier that trains on the CPU in seconds.

1. Round 0: ``configs/shapes.yaml`` (seed 0) makes the training images; a small CNN learns to name
   each visible shape from its crop (the instance's visible box, squared, 32 x 32).
2. The model's answers on a validation set drawn from the same config (seed 100) go to
   ``synthgen target`` as per-instance JSONL (``{"index", "instance", "correct"}``): report and
   ``round1.yaml``.
3. Round 1: as many images again from ``round1.yaml``, added to round 0's; the control adds as many
   from the ORIGINAL config instead (the same seed as round 1), so that the comparison is targeted
   data against the same amount of untargeted data.
4. Every model is scored on held-out images drawn from the ORIGINAL config (seed 200): overall, and
   on the weak slice (the worst value of the report's top parameter). Each arm is trained with
   ``--repeats`` seeds; the script prints mean and standard deviation, whatever they show.

    python scripts/loop_example.py --work out/loop_example
    # -> docs/loop_target_report.png, docs/loop_example.json and the numbers README quotes
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CROP = 32


def crops_of(dataset: Path):
    """(crops (N, 3, 32, 32) float32, category names (N,), (index, instance) (N, 2)) of the visible instances."""
    import cv2

    import synthgen

    images, names, where = [], [], []
    for sample in synthgen.read_dataset(dataset):
        h, w = sample.image.shape[:2]
        for k, inst in enumerate(sample.labels.instances):
            if not inst.visible:
                continue
            x, y, bw, bh = inst.bbox
            side = int(max(bw, bh) * 1.1) + 2
            cx, cy = x + bw / 2, y + bh / 2
            x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
            pad = np.pad(sample.image, ((side, side), (side, side), (0, 0)), mode="edge")
            crop = pad[y0 + side : y0 + 2 * side, x0 + side : x0 + 2 * side]
            images.append(cv2.resize(crop, (CROP, CROP), interpolation=cv2.INTER_AREA))
            names.append(inst.category)
            where.append((int(sample.meta["index"]), k))
    x = np.stack(images).astype(np.float32).transpose(0, 3, 1, 2) / 255.0
    return x, np.array(names), np.array(where)


def classifier(num_classes: int):
    from torch import nn

    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True), nn.MaxPool2d(2)]

    return nn.Sequential(
        *block(3, 32), *block(32, 64), *block(64, 96), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(96, num_classes)
    )


def train(x: np.ndarray, y: np.ndarray, seed: int, epochs: int):
    import torch

    torch.manual_seed(seed)
    model = classifier(int(y.max()) + 1 if len(y) else 1)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    g = torch.Generator().manual_seed(seed)
    steps = epochs * ((len(x) + 63) // 64)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), 64):
            batch = order[i : i + 64]
            xb = xt[batch]
            flip = torch.rand(len(batch), generator=g) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(-1), xb)
            loss = torch.nn.functional.cross_entropy(model(xb), yt[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    return model


def predict(model, x: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return torch.cat([model(torch.from_numpy(x[i : i + 512])).argmax(1) for i in range(0, len(x), 512)]).numpy()


def generate(config, out: Path, num: int, seed: int, overrides=()) -> Path:
    import synthgen

    cfg = synthgen.load_config(config, [f"num_samples={num}", f"seed={seed}", *overrides])
    synthgen.generate_dataset(cfg, out, workers=1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", default="out/loop_example")
    parser.add_argument("--train", type=int, default=100, help="images in round 0 (and added in round 1)")
    parser.add_argument("--val", type=int, default=150, help="validation images that synthgen target reads")
    parser.add_argument("--test", type=int, default=300, help="held-out images from the original config")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=3, help="training seeds per arm")
    parser.add_argument("--docs", default=str(ROOT / "docs"))
    args = parser.parse_args()

    from synthgen.loop.target import target

    work = Path(args.work)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    original = ROOT / "configs" / "shapes.yaml"
    start = time.perf_counter()
    round0 = generate(original, work / "round0", args.train, 0)
    val = generate(original, work / "val", args.val, 100)
    test = generate(original, work / "test", args.test, 200)
    x0, n0, _ = crops_of(round0)
    classes = sorted(set(n0))
    index = {c: i for i, c in enumerate(classes)}
    y0 = np.array([index[c] for c in n0])

    # round 0 and its answers on the validation set
    model0 = train(x0, y0, 0, args.epochs)
    xv, nv, wv = crops_of(val)
    pv = predict(model0, xv)
    results = work / "val_results.jsonl"
    with open(results, "w") as f:
        for (i, k), name, p in zip(wv.tolist(), nv, pv):
            f.write(json.dumps({"index": i, "instance": k, "correct": bool(classes[p] == name)}) + "\n")
    report_dir = work / "report"
    outcome = target(val, results, work / "round1.yaml", report=report_dir)
    for c in outcome.changes:
        print(f"{c.key}: {c.before} -> {c.after}\n  {c.why}")
    report = json.loads((report_dir / "report.json").read_text())
    top = next(p for p in report["parameters"] if p["significant"])
    worst = max((s for s in top["slices"] if s["count"] >= 10), key=lambda s: s["rate"])
    print(f"weak slice: {top['name']} = {worst['label']} (validation error {worst['rate']:.3f}, n={worst['count']})")

    # round 1 (targeted) and the control (as many images again from the original config)
    round1 = generate(work / "round1.yaml", work / "round1", args.train, 1)
    control = generate(original, work / "control", args.train, 1)
    xt, nt, wt = crops_of(test)
    yt = np.array([index[c] for c in nt])
    slice_mask = weak_slice_mask(test, wt, top, worst)
    arms = {}
    for arm, extra in (("round 0", None), ("round 1 (targeted)", round1), ("control (untargeted)", control)):
        if extra is None:
            x, y = x0, y0
        else:
            xe, ne, _ = crops_of(extra)
            x, y = np.concatenate([x0, xe]), np.concatenate([y0, [index[c] for c in ne]])
        overall, weak = [], []
        for seed in range(args.repeats):
            p = predict(train(x, y, seed, args.epochs), xt)
            wrong = p != yt
            overall.append(float(wrong.mean()))
            weak.append(float(wrong[slice_mask].mean()))
        arms[arm] = {"train_crops": int(len(x)), "overall": overall, "weak": weak}
        print(
            f"{arm:<22} {len(x):>5} crops: test error {np.mean(overall):.3f} +- {np.std(overall):.3f}; "
            f"weak slice {np.mean(weak):.3f} +- {np.std(weak):.3f}"
        )
    seconds = time.perf_counter() - start
    summary = {
        "weak_slice": {"parameter": top["name"], "value": worst["label"], "test_units": int(slice_mask.sum())},
        "test_units": int(len(yt)),
        "changes": [{"key": c.key, "before": c.before, "after": c.after} for c in outcome.changes],
        "arms": arms,
        "args": vars(args),
        "seconds": round(seconds, 1),
    }
    docs = Path(args.docs)
    (docs / "loop_example.json").write_text(json.dumps(summary, indent=2) + "\n")
    shutil.copy(report_dir / "error_by_parameter.png", docs / "loop_target_report.png")
    print(f"{seconds:.0f} s; -> {docs / 'loop_example.json'}, {docs / 'loop_target_report.png'}")


def weak_slice_mask(test: Path, where: np.ndarray, param: dict, worst: dict) -> np.ndarray:
    """Which test crops fall in the weak slice (the same field and value or bin as the report's)."""
    import synthgen
    from synthgen.loop.units import instance_fields, sample_fields

    fields = {}
    for sample in synthgen.read_dataset(test):
        for k, inst in enumerate(sample.labels.instances):
            fields[(int(sample.meta["index"]), k)] = {**sample_fields(sample), **instance_fields(inst)}
    name = param["name"]
    mask = []
    for i, k in where.tolist():
        value = fields[(i, k)].get(name)
        if "edges" in worst:
            low, high = worst["edges"]
            closed = worst["label"].endswith("]")  # the last bin holds its upper edge
            mask.append(value is not None and low <= value and (value <= high if closed else value < high))
        else:
            mask.append(str(value) == worst["label"])
    return np.array(mask)


if __name__ == "__main__":
    main()
