#!/usr/bin/env python
"""What each text variation costs per recognition crop: configs/ocr_recognition.yaml as shipped,
then with one variation turned on at a time, timed side by side in one process.

Each configuration runs in its own process (its own glyph caches, as in a real run), warmed up
with 30 crops; then each is timed on ``--num`` new crops in turn, round-robin, ``--repeats`` times,
and the figure is the median pass (``make_sample``: sampling, drawing, augmenting and labelling in
memory; no files), so it is the variation's own cost, not the disk's.

    python scripts/bench_variation_cost.py               # 300 crops, 3 passes
    python scripts/bench_variation_cost.py --num 1000 --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "ocr_recognition.yaml"
S = "scene.params."
# name -> overrides of configs/ocr_recognition.yaml that turn the variation on
VARIATIONS = {
    "shipped config": [],
    "stroke weight (style.weight: uniform(-0.015, 0.04))": [f"{S}style.weight=uniform(-0.015, 0.04)"],
    "jitter (style.jitter_probability: 1)": [f"{S}style.jitter_probability=1"],
    "slant (style.slant: uniform(-15, 15))": [f"{S}style.slant=uniform(-15, 15)"],
    "size by cap / digit height (size_by)": [f"{S}size_by=choice([line, cap, digit])"],
    "polarity (choice([dark, light], [0.8, 0.2]))": [f"{S}polarity=choice([dark, light], [0.8, 0.2])"],
    "busy backgrounds outlined (busy_background: outline)": [f"{S}busy_background=outline"],
    "font and size recorded (fonts.record)": [f"{S}fonts.record=true"],
    "per-family font weights (fonts.per_family)": [f"{S}fonts.per_family=true"],
    "string mixes (text.source: mixed)": [f"{S}text.source=mixed"],
    "wordfreq corpus by frequency (corpus.wordfreq: en, sampling: frequency)": [
        f"{S}corpus.wordfreq=en",
        f"{S}corpus.sampling=frequency",
    ],
    "stroke-based handwriting (handwriting.probability: 1)": [f"{S}handwriting.probability=1"],
    "elastic augment, p 1": ["augment.warp.kind=elastic", "augment.warp.p=1"],
    "affine augment, border constant, p 1": ["augment.tilt.kind=affine", "augment.tilt.p=1"],
    "affine augment, border replicate, p 1": [
        "augment.tilt.kind=affine",
        "augment.tilt.p=1",
        "augment.tilt.params.border=replicate",
    ],
    "speckle augment, p 1": ["augment.toner.kind=speckle", "augment.toner.p=1"],
    "fade augment, p 1": ["augment.thermal.kind=fade", "augment.thermal.p=1"],
    "binarize augment, p 1": ["augment.fax.kind=binarize", "augment.fax.p=1"],
    "downsample augment, p 1": ["augment.scan.kind=downsample", "augment.scan.p=1"],
    "ink_texture augment, p 1": ["augment.pen.kind=ink_texture", "augment.pen.p=1"],
}


def _worker(overrides: list[str], conn) -> None:
    """One configuration in its own process (its own glyph caches), timing a pass when asked."""
    import synthgen
    from synthgen.engine import make_sample
    from synthgen.engine.context import WorkerContext

    config = synthgen.load_config(CONFIG, overrides)
    ctx = WorkerContext(config)
    for i in range(30):  # imports and the first glyphs
        make_sample(config, 100_000 + i, ctx)
    conn.send("ready")
    while (job := conn.recv()) is not None:
        first, num = job
        t0 = time.perf_counter()
        for i in range(first, first + num):
            make_sample(config, i, ctx)
        conn.send((time.perf_counter() - t0) / num * 1000)
    ctx.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    import multiprocessing as mp

    import importlib.util

    variations = dict(VARIATIONS)
    if importlib.util.find_spec("wordfreq") is None:  # an optional extra
        print("wordfreq not installed (pip install 'synthgen-cv[wordfreq]'): its row is left out\n")
        variations = {k: v for k, v in variations.items() if not any("wordfreq" in o for o in v)}
    context = mp.get_context("spawn")
    workers = {}
    for name, overrides in variations.items():
        here, there = context.Pipe()
        proc = context.Process(target=_worker, args=(overrides, there), daemon=True)
        proc.start()
        workers[name] = (proc, here)
    for _, conn in workers.values():
        conn.recv()  # every worker warm before any timing
    times: dict[str, list[float]] = {name: [] for name in workers}
    for r in range(args.repeats):  # round-robin, one at a time: the machine's drift hits all alike
        for name, (_, conn) in workers.items():
            conn.send((r * args.num, args.num))  # new indices each pass: new texts, sizes, weights
            times[name].append(conn.recv())
    for proc, conn in workers.values():
        conn.send(None)
        proc.join()
    base = statistics.median(times["shipped config"])
    print(f"{args.num} crops x {args.repeats} passes, one process per configuration; median ms per crop\n")
    print("| variation on | ms per crop | extra over the shipped config |")
    print("|---|---|---|")
    for name, values in times.items():
        ms = statistics.median(values)
        extra = "" if name == "shipped config" else f"{ms - base:+.2f} ms ({ms / base:.2f}x)"
        print(f"| {name} | {ms:.2f} | {extra} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
