#!/usr/bin/env python
"""Soak test of the finalise step: does its memory stay flat as the dataset grows?

Generates recognition crops (``configs/ocr_recognition.yaml``, small crops, ``outputs: [coco,
recognition]``, 2 workers) at each size, then runs the finalise step alone -- the dataset-level
writers (COCO, labels.tsv, LMDB) over the finished dataset, as ``generate`` runs them -- in a fresh
process, and reports that process's peak RSS (``ru_maxrss``) and its RSS before the writers ran.
Each finalise is measured twice: as ``generate`` runs it (records parsed once for all writers
when the shard records fit in ``RECORDS_IN_MEMORY_BYTES``) and streamed (each writer reading the
shard records one at a time, as every run past that size does).

    python scripts/soak.py                              # 10k and 100k crops
    python scripts/soak.py --sizes 10000 50000 --keep /data/soak
    python scripts/soak.py --compare-with /path/to/older/checkout   # the same finalise, older code

``--compare-with`` runs the finalise child with that checkout first on ``PYTHONPATH`` (any
synthgen whose writers take ``finalize(records, root, categories)``), on the same datasets.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "ocr_recognition.yaml"
OVERRIDES = [
    "outputs=[coco,recognition]",
    "scene.params.height=24",  # small crops: the dataset-level files, not the pixels, are measured
    "scene.params.max_width=160",
]

FINALIZE_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from synthgen.config import load_run_config
from synthgen.engine import run
from synthgen.formats import WRITERS

config_path, out, overrides, streamed = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4] == "1"
config = load_run_config(config_path, overrides)
shards = -(-config.num_samples // config.shard_size)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
finalizers = [w for w in (WRITERS.get(n) for n in config.outputs) if w.finalize is not None]
records = None
limit = 0 if streamed else getattr(run, "RECORDS_IN_MEMORY_BYTES", 0)
if len(finalizers) > 1 and run.records_size(out, shards) <= limit:
    records = list(run.iter_records(out, shards))
for writer in finalizers:
    writer.finalize(records if records is not None else run.iter_records(out, shards), out, config.categories)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rss_before_kb": before, "peak_kb": peak, "seconds": seconds}))
"""


def generate(out: Path, num: int, workers: int) -> float:
    cmd = [sys.executable, "-m", "synthgen", "generate", str(CONFIG), "-o", str(out), "--num", str(num),
           "--workers", str(workers), "--no-progress", *OVERRIDES]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def finalize(out: Path, num: int, code: Path, streamed: bool) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(code), os.environ.get("PYTHONPATH", "")]))
    overrides = json.dumps([f"num_samples={num}", *OVERRIDES])
    proc = subprocess.run(
        [sys.executable, "-c", FINALIZE_CHILD, str(CONFIG), str(out), overrides, "1" if streamed else "0"],
        check=True, cwd=code, env=env, capture_output=True, text=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="crops per dataset")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", help="folder for the datasets (kept, and resumed by a rerun); default: a temporary folder")
    parser.add_argument("--compare-with", help="another synthgen checkout whose finalise is measured too")
    args = parser.parse_args()

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="synthgen-soak-"))
    codes = {"this checkout": ROOT}
    if args.compare_with:
        codes[f"compare: {args.compare_with}"] = Path(args.compare_with).resolve()
    rows = []
    modes = {"as generate runs it": False, "streamed": True}
    try:
        for num in args.sizes:
            out = base / f"crops_{num}"
            gen_s = generate(out, num, args.workers)  # a kept, complete dataset is only re-finalised
            print(f"{num} crops: generate {gen_s:.0f} s", flush=True)
            for label, code in codes.items():
                for mode, streamed in modes.items():
                    res = finalize(out, num, code, streamed)
                    rows.append((label, mode, num, res))
                    print(
                        f"  {label}, {mode}: finalise {res['seconds']:.1f} s, "
                        f"RSS before {res['rss_before_kb'] / 1024:.0f} MB, peak {res['peak_kb'] / 1024:.0f} MB",
                        flush=True,
                    )
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)

    print("\n| code | finalise | crops | seconds | RSS before (MB) | peak RSS (MB) |")
    print("|---|---|---|---|---|---|")
    for label, mode, num, res in rows:
        print(
            f"| {label} | {mode} | {num} | {res['seconds']:.1f} | {res['rss_before_kb'] / 1024:.0f} "
            f"| {res['peak_kb'] / 1024:.0f} |"
        )
    for label in codes:
        for mode in modes:
            peaks = [(num, res["peak_kb"]) for lab, mo, num, res in rows if (lab, mo) == (label, mode)]
            if len(peaks) >= 2:
                (n0, p0), (n1, p1) = peaks[0], peaks[-1]
                print(f"{label}, {mode}: peak RSS {n1} / {n0} crops = {p1 / p0:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
