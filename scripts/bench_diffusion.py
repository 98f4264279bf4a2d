#!/usr/bin/env python
"""Cost per sample of the diffusion stage on this machine, side by side with the same scene without it.

Runs ``ocr_wild`` (640x480 by default) four ways, each in its own process, median of --repeats:

1. no diffusion (the baseline);
2. ``generate.inpaint_background`` with the built-in model on every sample;
3. ``background.kind=diffusion`` with a fresh bank of --bank images (the bank is built in the run);
4. the same again with the bank already on disk (what every later run pays).

    python scripts/bench_diffusion.py --num 20 --bank 16
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


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, default=20)
    parser.add_argument("--bank", type=int, default=16, help="images in the background bank")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--size", default="640x480")
    args = parser.parse_args(argv)
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
