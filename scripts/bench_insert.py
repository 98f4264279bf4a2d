"""Cost per frame of ``driving_insert`` against rendering a whole driving frame, side by side.

    python scripts/bench_insert.py [--num 24] [--repeats 3]

Both run one worker's sample loop in this process (``make_sample`` with one WorkerContext; nothing
written): ``configs/driving_insert.yaml`` (read a 640x384 frame, measure its look, place a
scenario's actors, render them, composite, annotate the frame's own labels) and
``configs/driving.yaml`` at the same size (sample a whole street, render it, annotate), the same
scenario mix. The runs alternate and repeat; the best wall and the best CPU time of each are kept. Printed: wall and
CPU milliseconds per frame of each and their ratio, and where an inserted frame's time goes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run(config, num: int) -> tuple[float, float]:
    """(wall ms, CPU ms) per sample of ``num`` samples of ``config`` in one worker context."""
    from synthgen.engine.context import WorkerContext
    from synthgen.engine.pipeline import make_sample

    ctx = WorkerContext(config)
    try:
        make_sample(config, num, ctx)  # warm: the GL context, imports, caches
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(num):
            make_sample(config, i, ctx)
        return (time.perf_counter() - wall) * 1000 / num, (time.process_time() - cpu) * 1000 / num
    finally:
        ctx.close()


def breakdown(config, num: int) -> dict[str, float]:
    """CPU milliseconds per inserted frame in its parts (scene sampling, the actors' render, the rest of
    the composite, the real labels)."""
    import numpy as np

    from synthgen.annotate import annotate
    from synthgen.driving import render as mesh3d
    from synthgen.driving.insert import composite
    from synthgen.engine.seeds import stage_rng
    from synthgen.scene import SCENES

    kind = SCENES.get(config.scene.kind)
    resource = mesh3d.make_resource(config.render.settings)
    parts = {"scene (read, measure, place)": 0.0, "render actors (mesh3d)": 0.0, "composite": 0.0, "labels": 0.0}
    original = mesh3d.render_layers
    spent = [0.0]

    def timed(*args):
        t = time.process_time()
        out = original(*args)
        spent[0] += time.process_time() - t
        return out

    mesh3d.render_layers = timed
    try:
        for i in range(num):
            t0 = time.process_time()
            spec = kind.sample(config.scene.settings, stage_rng(config.seed, i, "scene"))
            t1 = time.process_time()
            before = spent[0]
            layers = composite.render_layers(spec, config.render.settings, resource)
            t2 = time.process_time()
            annotate(layers, spec, config.categories, config.annotate)
            t3 = time.process_time()
            parts["scene (read, measure, place)"] += t1 - t0
            parts["render actors (mesh3d)"] += spent[0] - before
            parts["composite"] += (t2 - t1) - (spent[0] - before)
            parts["labels"] += t3 - t2
    finally:
        mesh3d.render_layers = original
        resource.close()
    return {k: float(np.round(v * 1000 / num, 2)) for k, v in parts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("LP_NUM_THREADS", "1")
    from synthgen.config import load_run_config

    insert = load_run_config(ROOT / "configs" / "driving_insert.yaml")
    full = load_run_config(
        ROOT / "configs" / "driving.yaml",
        ["scene.params.width=640", "scene.params.height=384", "generate={}", "augment={}"],
    )
    best = {"insert": (1e9, 1e9), "full": (1e9, 1e9)}
    for r in range(args.repeats):
        for name, config in (("full", full), ("insert", insert)) if r % 2 else (("insert", insert), ("full", full)):
            wall, cpu = run(config, args.num)
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
            print(f"repeat {r + 1} {name:6s}: {wall:7.1f} ms wall, {cpu:7.1f} ms CPU a frame", flush=True)
    (iw, ic), (fw, fc) = best["insert"], best["full"]
    print(f"\n{args.num} frames, 640x384, best of {args.repeats}:")
    print(f"  driving_insert  {iw:7.1f} ms wall  {ic:7.1f} ms CPU a frame")
    print(f"  driving (full)  {fw:7.1f} ms wall  {fc:7.1f} ms CPU a frame")
    print(f"  insert / full   {iw / fw:7.2f}x wall   {ic / fc:7.2f}x CPU")
    print("\nwhere an inserted frame's time goes (CPU ms a frame):")
    for part, ms in breakdown(insert, args.num).items():
        print(f"  {part:32s} {ms:7.2f}")


if __name__ == "__main__":
    main()
