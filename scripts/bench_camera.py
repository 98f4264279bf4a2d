#!/usr/bin/env python
"""Benchmark the driving camera model (``scene.params.sensor``): its cost per frame, feature by feature.

The same N scenes of ``configs/driving.yaml`` are sampled and rendered once (the pinhole render is
timed too, as the yardstick); then the sensor model (``driving.sensor.develop``) runs on those
renders with every default, and with each feature turned off in turn: the difference is that
feature's cost (noise reduction: night frames only; by day the grain is under its threshold).
The rain step's scene light (its drops' colour) is timed on the same renders. The lens distortion
is timed as a render through the lens (the wider canvas and the resampling of every layer)
against the plain render. Each figure is the best of ``--repeats``
rounds (the machine is shared), CPU time per frame of this process (all threads).

``--baseline REV`` also times the sensor model of git revision REV (its ``driving/sensor.py``) on
the same renders, the two alternating round by round, prints both and their ratio, and checks
that the two give the same bytes on every frame (largest difference in grey levels otherwise).

    python scripts/bench_camera.py [--num 16] [--repeats 3] [--baseline main]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BARREL = "[-0.28,0.07,0.0008,-0.0006,0]"  # a wide dashcam lens


def cpu_ms_per_frame(run, frames: int, repeats: int) -> float:
    """The best over ``repeats`` of the CPU milliseconds per frame that ``run()`` takes for ``frames``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        run()
        best = min(best, (time.process_time() - start) * 1000 / frames)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", help="a git revision whose sensor model is timed side by side")
    args = parser.parse_args()

    from synthgen import load_config
    from synthgen.config.distributions import Constant
    from synthgen.driving import scene as driving
    from synthgen.driving.render import RENDERER, Mesh3DSettings, OffscreenResource
    from synthgen.driving.sensor import develop
    from synthgen.engine.seeds import stage_rng

    settings = load_config(str(ROOT / "synthgen/configs/driving.yaml"), ["outputs=[coco]"]).scene.settings
    resource, render_settings = OffscreenResource(), Mesh3DSettings()
    specs = [driving.sample(settings, stage_rng(0, i, "scene")) for i in range(args.num)]
    renders = [RENDERER.render(spec, render_settings, resource) for spec in specs]
    n, repeats = args.num, args.repeats

    def frames(sensor):
        """The specs drawn with these sensor settings (their Shot items) and the renders."""
        s = dataclasses.replace(settings, sensor=sensor)
        return [driving.sample(s, stage_rng(0, i, "scene")) for i in range(n)]

    render_ms = cpu_ms_per_frame(lambda: [RENDERER.render(sp, render_settings, resource) for sp in specs], n, repeats)
    print(f"render, pinhole ({settings.rig.width}x{settings.rig.height}): {render_ms:.1f} ms/frame")
    full = cpu_ms_per_frame(lambda: [develop(settings.sensor, sp, r) for sp, r in zip(specs, renders)], n, repeats)
    print(f"sensor model, every default: {full:.1f} ms/frame")
    if args.baseline:
        compare_with(args.baseline, settings.sensor, specs, renders, repeats)
    # the features that can be left out; the rest (white balance, exposure, vignetting, noise, sRGB)
    # is one pass over the picture
    off = {
        "motion blur": {"ego_speed_kmh": Constant(0.0)},
        "noise reduction": {"noise_reduction": 0.0},
        "JPEG": {"jpeg_quality": Constant(0)},
    }
    rest = full
    for feature, changes in off.items():
        sensor = dataclasses.replace(settings.sensor, **changes)
        drawn = frames(sensor)
        ms = cpu_ms_per_frame(lambda: [develop(sensor, sp, r) for sp, r in zip(drawn, renders)], n, repeats)
        print(f"  {feature}: {full - ms:+.1f} ms/frame (without it {ms:.1f})")
        rest -= full - ms
    print(f"  white balance, exposure, vignetting, noise and sRGB together: {rest:.1f} ms/frame")
    # the rain step's drops take the scene light around them: a blur of the picture at 1/8 size
    from synthgen.augment.precipitation import scene_light

    light_ms = cpu_ms_per_frame(lambda: [scene_light(r.rgb) for r in renders], n, repeats)
    print(f"rain's scene light (augment.rain, rain frames only): {light_ms:.1f} ms/frame")
    lensed = load_config(
        str(ROOT / "synthgen/configs/driving.yaml"), ["outputs=[coco]", f"scene.params.sensor.distortion={BARREL}"]
    ).scene.settings
    lens_specs = [driving.sample(lensed, stage_rng(0, i, "scene")) for i in range(n)]
    lens_ms = cpu_ms_per_frame(
        lambda: [RENDERER.render(sp, render_settings, resource) for sp in lens_specs], n, repeats
    )
    wide = lensed.lens.wide
    print(
        f"render through the lens {BARREL} (canvas {wide.width}x{wide.height}): {lens_ms:.1f} ms/frame, "
        f"{lens_ms / render_ms:.2f}x the pinhole render"
    )
    resource.close()


def compare_with(revision: str, sensor, specs, renders, repeats: int) -> None:
    """Time ``develop`` of ``revision``'s sensor.py against this tree's, alternating, and compare bytes."""
    import importlib.util
    import subprocess
    import tempfile

    import numpy as np

    from synthgen.driving import sensor as ours

    source = subprocess.run(
        ["git", "show", f"{revision}:synthgen/driving/sensor.py"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "baseline_sensor.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location("baseline_sensor", path)
        theirs = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = theirs  # its dataclasses look their module up
        spec.loader.exec_module(theirs)
    theirs.Shot = ours.Shot  # the specs carry this tree's Shot items
    worst = max(
        int(np.abs(ours.develop(sensor, sp, r).rgb.astype(int) - theirs.develop(sensor, sp, r).rgb).max())
        for sp, r in zip(specs, renders)
    )
    n, times = len(specs), {"baseline": [], "this tree": []}

    def develop_all(develop) -> None:
        for sp, r in zip(specs, renders):
            develop(sensor, sp, r)

    for _ in range(repeats):
        for name, module in (("baseline", theirs), ("this tree", ours)):
            times[name].append(cpu_ms_per_frame(partial(develop_all, module.develop), n, 1))
    base, now = min(times["baseline"]), min(times["this tree"])
    ratios = [b / a for a, b in zip(times["baseline"], times["this tree"])]
    print(
        f"  sensor model of {revision}: {base:.1f} ms/frame, this tree {now:.1f} ms/frame: {now / base:.2f}x "
        f"(rounds {', '.join(f'{r:.2f}' for r in ratios)}, median {statistics.median(ratios):.2f}x); "
        f"largest difference {worst} grey levels over {n} frames"
    )


if __name__ == "__main__":
    main()
