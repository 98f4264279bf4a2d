#!/usr/bin/env python
"""Benchmark what COCO polygons cost a run: ``writers.coco.segmentation`` polygon vs rle, side by side.

Variants, each a whole ``synthgen generate`` (images, every label file, the manifest) in its own
child process, run --repeats times, interleaved so that drifts in the machine's load hit them alike:

* ``rle``: ``writers.coco.segmentation=rle``;
* ``polygon``: the default, polygons traced in the shard producers (the workers, in parallel);
* ``polygon-driver``: the same bytes, polygons traced in the driver's finalize step (what a run
  did before the producers traced them, and what a mix does with its readers' records).

Every run is printed, then the median of each. "CPU ms/scene" is the CPU time of the run's processes
(the driver and its workers, user + system) per scene: the cost, which a machine shared with other
jobs disturbs far less than scenes/s. "coco.json s" is the driver's finalize time of the COCO writer
alone (serial: what more workers do not shorten).

``--stages`` instead times, in this one process and scene by scene, the producer's work for a
scene (make the sample, encode its image, its record) against tracing its polygons (the COCO
writer's ``derive``), alternately, so that the machine's load weighs on both alike: the share of a
worker's time that polygons add, which whole runs on a busy machine measure only roughly.

    python scripts/bench_coco.py                        # ocr_wild, 200 scenes, 1 and 2 workers, 3 repeats
    python scripts/bench_coco.py --num 100 --workers 2 --repeats 5 --variants rle,polygon
    python scripts/bench_coco.py --stages --num 200
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("rle", "polygon", "polygon-driver")


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its children that have ended."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def one(config_name: str, variant: str, num: int, workers: int) -> dict:
    """One run in this process: seconds, CPU seconds (its worker processes' included), seconds in
    the COCO finalize, coco.json bytes."""
    sys.path.insert(0, str(ROOT))
    import synthgen
    from synthgen.formats import coco

    spent = {"finalize": 0.0}
    finalize = coco.WRITER.finalize

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return finalize(*args, **kwargs)
        finally:
            spent["finalize"] += time.perf_counter() - start

    # the registry holds this object; the process pool forks after this, so workers see it too
    object.__setattr__(coco.WRITER, "finalize", timed)
    if variant == "polygon-driver":
        object.__setattr__(coco.WRITER, "derive", None)
    segmentation = "rle" if variant == "rle" else "polygon"
    config = synthgen.load_config(config_name, [f"num_samples={num}", f"writers.coco.segmentation={segmentation}"])
    assert "coco" in config.outputs, f"{config_name}: no coco in outputs"
    with tempfile.TemporaryDirectory(prefix="synthgen-bench-coco-") as tmp:
        out = Path(tmp) / "ds"
        start, cpu = time.perf_counter(), cpu_seconds()
        synthgen.generate(config, out, workers=workers, progress=False)  # its pool ends (and is reaped) within
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
        size = (out / coco.PATH).stat().st_size
    return {"seconds": seconds, "cpu": cpu, "finalize": spent["finalize"], "coco_bytes": size}


def stages(config_name: str, num: int) -> None:
    """CPU ms a scene: the producer's work for it, and tracing its polygons (``--stages``)."""
    sys.path.insert(0, str(ROOT))
    import hashlib

    import synthgen
    from synthgen.engine.context import WorkerContext
    from synthgen.engine.pipeline import encode_image, make_sample
    from synthgen.records import to_record

    config = synthgen.load_config(config_name, [f"num_samples={num}", "writers.coco.segmentation=polygon"])
    derive = config.writer("coco").derive
    ctx = WorkerContext(config)
    produce = trace = 0.0
    instances = 0
    try:
        for index in range(num):
            start = time.process_time()
            sample = make_sample(config, index, ctx)
            data = encode_image(sample.image, config.image)
            record = to_record(sample, "images/x", hashlib.sha256(data).hexdigest())
            middle = time.process_time()
            derive(record)
            produce, trace = produce + middle - start, trace + time.process_time() - middle
            instances += sum(1 for inst in record["instances"] if inst["area"] > 0)
    finally:
        ctx.close()
    print(f"{config_name}, {num} scenes, {instances / num:.1f} visible instances a scene, CPU time in one process\n")
    print("| stage | ms/scene | ms/instance | share of the scene |")
    print("|---|---|---|---|")
    print(f"| make the sample, encode the image, the record | {produce / num * 1e3:.2f} | - | 1.00 |")
    print(
        f"| trace the COCO polygons (derive) | {trace / num * 1e3:.2f} | {trace / instances * 1e3:.3f} | "
        f"{trace / produce:.3f} |"
    )
    print(f"\ncommand: python scripts/bench_coco.py --stages --config {config_name} --num {num}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="ocr_wild", help="a shipped config name or a path (default ocr_wild)")
    parser.add_argument("--num", type=int, default=200, help="scenes per run (default 200)")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts (default 1,2)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per variant (default 3)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--stages", action="store_true", help="time a scene's production against its polygons")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stages:
        stages(args.config, args.num)
        return 0
    if args.one:
        variant, workers = args.one.split(":")
        print(json.dumps(one(args.config, variant, args.num, int(workers))))
        return 0
    variants = [v for v in args.variants.split(",") if v]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"--variants: {unknown[0]!r} is not one of {', '.join(VARIANTS)}")
    worker_counts = [int(w) for w in args.workers.split(",")]
    # bytecode, as a pip install compiles it, so no run pays for compiling synthgen
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "synthgen")], check=True)
    runs: dict[tuple[str, int], list[dict]] = {}
    print(f"{args.config}, {args.num} scenes a run\n")
    print("| repeat | workers | variant | scenes/s | CPU ms/scene | coco.json s | coco.json MB |")
    print("|---|---|---|---|---|---|---|")
    for repeat in range(1, args.repeats + 1):
        for workers in worker_counts:
            for variant in variants:
                cmd = [sys.executable, __file__, "--one", f"{variant}:{workers}", "--config", args.config]
                proc = subprocess.run([*cmd, "--num", str(args.num)], capture_output=True, text=True, check=True)
                run = json.loads(proc.stdout.strip().splitlines()[-1])
                runs.setdefault((variant, workers), []).append(run)
                rate = args.num / run["seconds"]
                print(
                    f"| {repeat} | {workers} | {variant} | {rate:.1f} | {run['cpu'] / args.num * 1e3:.1f} | "
                    f"{run['finalize']:.2f} | "
                    f"{run['coco_bytes'] / 1e6:.1f} |",
                    flush=True,
                )
    print(f"\nmedian of {args.repeats}\n")
    print("| workers | variant | scenes/s | vs rle | CPU ms/scene | vs rle | coco.json s |")
    print("|---|---|---|---|---|---|---|")
    for workers in worker_counts:
        rates = {v: args.num / statistics.median(r["seconds"] for r in runs[(v, workers)]) for v in variants}
        cpus = {v: statistics.median(r["cpu"] for r in runs[(v, workers)]) / args.num * 1e3 for v in variants}
        for variant in variants:
            rate_vs = f"{rates[variant] / rates['rle']:.2f}x" if "rle" in rates else "-"
            cpu_vs = f"{cpus[variant] / cpus['rle']:.2f}x" if "rle" in cpus else "-"
            finalize = statistics.median(r["finalize"] for r in runs[(variant, workers)])
            print(
                f"| {workers} | {variant} | {rates[variant]:.1f} | {rate_vs} | {cpus[variant]:.1f} | {cpu_vs} | "
                f"{finalize:.2f} |"
            )
    print(
        f"\ncommand: python scripts/bench_coco.py --config {args.config} --num {args.num} --workers {args.workers} "
        f"--repeats {args.repeats} --variants {','.join(variants)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
