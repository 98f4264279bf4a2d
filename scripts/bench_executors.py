#!/usr/bin/env python
"""Executors side by side on this machine: 1 vs 2 worker processes, and Ray vs the process pool.

Every run generates the same dataset (same config, seed and count) in this process through
``synthgen.generate``, round-robin over the variants so that the machine's drift falls on all of
them alike; each figure is the median of --repeats runs, start-up of the pool included. Ray's local
cluster is started once, before the runs (as a user's running cluster would be), with
``RAY_AUTH_MODE=disabled``.

    python scripts/bench_executors.py --num 200 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--configs", nargs="+", default=["text_words", "ocr_wild"])
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import synthgen

    variants = [("process", 1), ("process", 2)]
    if not args.no_ray:
        import ray

        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        ray.init(num_cpus=2, _temp_dir=tempfile.mkdtemp(prefix="ray", dir="/tmp"), include_dashboard=False,
                 log_to_driver=False)
        variants.append(("ray", 2))
    times: dict[tuple, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="synthgen-bench-exec-") as tmp:
        for _ in range(args.repeats):
            for name in args.configs:
                config = synthgen.load_config(ROOT / "configs" / f"{name}.yaml", [f"num_samples={args.num}"])
                for executor, workers in variants:
                    out = Path(tmp) / f"{name}-{executor}-{workers}"
                    shutil.rmtree(out, ignore_errors=True)
                    start = time.perf_counter()
                    synthgen.generate(config, out, workers=workers, executor=executor)
                    times.setdefault((name, executor, workers), []).append(time.perf_counter() - start)
    print(f"{args.num} samples per run, median of {args.repeats}, 2-core machine")
    print("| config | executor | workers | samples/s | vs process, 1 worker | vs process, same workers |")
    print("|---|---|---|---|---|---|")
    for name in args.configs:
        base1 = args.num / statistics.median(times[(name, "process", 1)])
        base2 = args.num / statistics.median(times[(name, "process", 2)])
        for executor, workers in variants:
            rate = args.num / statistics.median(times[(name, executor, workers)])
            same = rate / (base2 if workers == 2 else base1)
            print(f"| {name} | {executor} | {workers} | {rate:.1f} | {rate / base1:.2f}x | {same:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
