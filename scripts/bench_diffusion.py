#!/usr/bin/env python
"""Cost per sample of the diffusion stage on this machine, side by side with the same scene without it.

Runs ``ocr_wild`` (640x480 by default) four ways, each in its own process, median of --repeats:

1. no diffusion (the baseline);
2. ``generate.inpaint_background`` with the built-in model on every sample;
3. ``background.kind=diffusion`` with a fresh bank of --bank images (the bank is built in the run);
4. the same again with the bank already on disk (what every later run pays).

Then, with ``--batch-sizes``, the bank alone: --bank images built from nothing (the built-in model
at the bank's default 128 px and 25 steps) once per batch size, each in its own process with a
fresh cache; seconds per image from the build time the bank records (``bank.json``), median of
--repeats. ``--bank-only`` skips the four-way scene comparison.

    python scripts/bench_diffusion.py --num 20 --bank 16
    python scripts/bench_diffusion.py --bank-only --bank 8 --batch-sizes 1,8 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "ocr_wild.yaml"


def run(overrides: list[str], num: int, out: Path, env: dict) -> float:
    cmd = [sys.executable, "-m", "synthgen", "generate", str(CONFIG), "-o", str(out), "--num", str(num),
           "--overwrite", "--no-progress", *overrides]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, env=env, capture_output=True)
    return time.perf_counter() - start


BUILD_BANK = """
import json, sys
from synthgen.diffusion_models.bank import BankSchema, bank_from_config, ensure_bank
spec = bank_from_config(BankSchema(count=int(sys.argv[1]), batch_size=int(sys.argv[2])), "bank")
print(json.loads((ensure_bank(spec) / "bank.json").read_text())["seconds"])
"""


def bank_seconds(count: int, batch_size: int, env: dict) -> float:
    """Seconds to build a bank of ``count`` built-in images, in a fresh process and cache."""
    cmd = [sys.executable, "-c", BUILD_BANK, str(count), str(batch_size)]
    done = subprocess.run(cmd, check=True, cwd=ROOT, env=env, capture_output=True, text=True)
    return float(done.stdout.split()[-1])


def bench_batches(count: int, batch_sizes: list[int], repeats: int, work: Path) -> None:
    import os

    times: dict[int, list[float]] = {b: [] for b in batch_sizes}
    for r in range(repeats):
        for b in batch_sizes:  # interleaved, so a busy spell on a shared machine hits every size
            env = {**os.environ, "SYNTHGEN_CACHE": str(work / f"bank{r}-{b}"), "PYTHONPATH": str(ROOT)}
            times[b].append(bank_seconds(count, b, env))
    print(f"background bank of {count} built-in images, 128 px, 25 DDIM steps, 1 thread, CPU; median of {repeats}")
    print("| batch_size | s per image (median) | each repeat, s per image |")
    print("|---|---|---|")
    for b in batch_sizes:
        each = ", ".join(f"{t / count:.2f}" for t in times[b])
        print(f"| {b} | {statistics.median(times[b]) / count:.2f} | {each} |")


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, default=20)
    parser.add_argument("--bank", type=int, default=16, help="images in the background bank")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--batch-sizes", default="", help="comma-separated bank batch sizes to compare, e.g. 1,8")
    parser.add_argument("--bank-only", action="store_true", help="only the bank batch comparison")
    args = parser.parse_args(argv)
    if args.batch_sizes:
        with tempfile.TemporaryDirectory(prefix="synthgen-bench-bank-") as tmp:
            bench_batches(args.bank, [int(b) for b in args.batch_sizes.split(",")], args.repeats, Path(tmp))
    if args.bank_only:
        return 0
    width, height = args.size.split("x")
    scene = [f"scene.params.width={width}", f"scene.params.height={height}"]
    bank = ["scene.params.background.kind=diffusion", f"scene.params.background.bank.count={args.bank}"]
    variants = {
        "no diffusion": scene,
        "inpaint_background, built-in model, every sample": [*scene, "generate.bg.kind=inpaint_background"],
        f"diffusion background bank of {args.bank}, built in the run": [*scene, *bank],
        f"diffusion background bank of {args.bank}, already on disk": [*scene, *bank],
    }
    rows = []
    with tempfile.TemporaryDirectory(prefix="synthgen-bench-diffusion-") as tmp:
        work = Path(tmp)
        times: dict[str, list[float]] = {name: [] for name in variants}
        for r in range(args.repeats):
            cache = work / f"cache{r}"  # a fresh bank per repeat
            env = {**os.environ, "SYNTHGEN_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
            for name, overrides in variants.items():
                times[name].append(run(overrides, args.num, work / "out", env))
        base = statistics.median(times["no diffusion"]) / args.num
        for name in variants:
            per = statistics.median(times[name]) / args.num
            rows.append((name, per, per - base))
    print(f"ocr_wild {args.size}, {args.num} samples, 1 worker, CPU; median of {args.repeats}")
    print("| variant | s per sample | diffusion's cost per sample |")
    print("|---|---|---|")
    for name, per, extra in rows:
        print(f"| {name} | {per:.3f} | {extra:+.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
