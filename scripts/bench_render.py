#!/usr/bin/env python
"""Benchmark the mesh3d renderer: bare pyrender against synthgen on the same driving scenes.

* bare pyrender: for each scene, a pyrender Scene built from the objects' prebuilt triangle arrays,
  one lit RGB pass and one SEG pass (which also gives depth): what a hand-written pyrender script
  does, with no labels and nothing written. Scene sampling and mesh building are left out of it.
* synthgen: ``synthgen generate`` of the same config and indices: scene sampling, meshes, the RGB
  and SEG passes, the extra SEG passes that count each actor's pixels drawn alone (occlusion),
  labels (COCO masks, boxes, keypoints, 3D boxes), PNG encoding and the writers (COCO, KITTI,
  dense depth and semantic layers), with 1 and 2 worker processes.

Each figure is frames per second over the same N scenes, start-up included (a synthgen worker
imports trimesh and pyrender and builds its GL context: a few seconds); "steady" leaves it out:
(N - 1) frames over the time of the N-frame run minus that of a 1-frame run. The runs alternate
and each is repeated, and the best of the repeats is kept (the machine is shared).

    python scripts/bench_render.py [--num 40] [--repeats 2] [--width 640 --height 384]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def bare_pyrender(specs, znear: float, zfar: float) -> float:
    """Seconds to draw the specs with bare pyrender calls (RGB + SEG/depth), meshes prebuilt."""
    from synthgen.driving.meshes import flat_arrays, object_mesh
    from synthgen.driving.objects import SceneObject
    from synthgen.driving.render import CV_TO_GL, import_pyrender, light_pose, split_items

    pyrender = import_pyrender()
    import numpy as np

    prepared = []
    for spec in specs:
        objects, lights, env = split_items(spec)
        prepared.append(
            (spec, [(o, flat_arrays(object_mesh(o))) for o in objects if isinstance(o, SceneObject)], lights, env)
        )
    renderer = pyrender.OffscreenRenderer(specs[0].width, specs[0].height)
    start = time.perf_counter()
    for spec, meshes, lights, env in prepared:
        scene = pyrender.Scene(bg_color=[*(c / 255 for c in env.sky), 1.0], ambient_light=list(env.ambient))
        seg = {}
        for i, (obj, (pos, nrm, col)) in enumerate(meshes, start=1):
            prim = pyrender.Primitive(
                positions=pos,
                normals=nrm,
                color_0=col,
                material=pyrender.MetallicRoughnessMaterial(metallicFactor=0.0, roughnessFactor=0.8),
            )
            seg[scene.add(pyrender.Mesh([prim]), pose=obj.pose())] = (i % 256, i // 256, 0)
        k = spec.camera.intrinsics
        scene.add(
            pyrender.IntrinsicsCamera(k[0, 0], k[1, 1], k[0, 2], k[1, 2], znear=znear, zfar=zfar),
            pose=np.linalg.inv(spec.camera.extrinsics) @ CV_TO_GL,
        )
        for light in lights:
            if light.kind == "directional":
                node = pyrender.DirectionalLight(color=np.asarray(light.color), intensity=light.intensity)
            elif light.kind == "point":
                node = pyrender.PointLight(color=np.asarray(light.color), intensity=light.intensity, range=light.range)
            else:
                node = pyrender.SpotLight(
                    color=np.asarray(light.color),
                    intensity=light.intensity,
                    range=light.range,
                    innerConeAngle=light.cone[0],
                    outerConeAngle=light.cone[1],
                )
            scene.add(node, pose=light_pose(light.position, light.direction))
        renderer.render(scene)
        renderer.render(scene, flags=pyrender.RenderFlags.SEG, seg_node_map=seg)
    elapsed = time.perf_counter() - start
    renderer.delete()
    return elapsed


def synthgen_run(config, workers: int) -> float:
    from synthgen.engine import generate

    out = Path(tempfile.mkdtemp(prefix="bench_render_"))
    try:
        start = time.perf_counter()
        generate(config, out / "d", workers=workers, progress=False)
        return time.perf_counter() - start
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=384)
    parser.add_argument("--outputs", default="coco,kitti,dense", help="synthgen's writers, comma-separated")
    args = parser.parse_args()
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    os.environ.setdefault("LP_NUM_THREADS", "1")  # as the mesh3d renderer sets it: parallel by process

    import synthgen.scene  # noqa: F401  (fills the registries)
    from synthgen.config import load_run_config
    from synthgen.engine.seeds import stage_rng
    from synthgen.scene import SCENES

    config = load_run_config(
        ROOT / "configs" / "driving.yaml",
        [
            f"num_samples={args.num}",
            f"shard_size={max(1, args.num // 8)}",
            f"scene.params.width={args.width}",
            f"scene.params.height={args.height}",
            f"outputs=[{args.outputs}]",
        ],
    )
    kind = SCENES.get("driving")
    specs = [kind.sample(config.scene.settings, stage_rng(config.seed, i, "scene")) for i in range(args.num)]
    settings = config.render.settings
    best = {
        "bare pyrender (1 process)": float("inf"),
        "synthgen, 1 worker": float("inf"),
        "synthgen, 2 workers": float("inf"),
    }
    one_frame = float("inf")
    single = load_run_config(
        ROOT / "configs" / "driving.yaml",
        [
            "num_samples=1",
            "shard_size=1",
            f"scene.params.width={args.width}",
            f"scene.params.height={args.height}",
            f"outputs=[{args.outputs}]",
        ],
    )
    for _ in range(args.repeats):
        one_frame = min(one_frame, synthgen_run(single, 1))
        best["bare pyrender (1 process)"] = min(
            best["bare pyrender (1 process)"], bare_pyrender(specs, settings.znear, settings.zfar)
        )
        best["synthgen, 1 worker"] = min(best["synthgen, 1 worker"], synthgen_run(config, 1))
        best["synthgen, 2 workers"] = min(best["synthgen, 2 workers"], synthgen_run(config, 2))
    fps = {k: args.num / v for k, v in best.items()}
    print(
        f"{args.num} scenes of {args.width}x{args.height}, outputs {args.outputs}, best of {args.repeats}, {os.cpu_count()} CPUs, LP_NUM_THREADS={os.environ['LP_NUM_THREADS']}"
    )
    for k, v in fps.items():
        print(f"  {k:28s} {v:6.2f} frames/s")
    steady = (args.num - 1) / (best["synthgen, 1 worker"] - one_frame)
    print(f"  {'synthgen, 1 worker, steady':28s} {steady:6.2f} frames/s (a 1-frame run took {one_frame:.1f} s)")
    print(f"  synthgen 1 worker / bare pyrender: {fps['synthgen, 1 worker'] / fps['bare pyrender (1 process)']:.2f}x")
    print(f"  synthgen 1 worker steady / bare:   {steady / fps['bare pyrender (1 process)']:.2f}x")
    print(f"  synthgen 2 workers / 1 worker:     {fps['synthgen, 2 workers'] / fps['synthgen, 1 worker']:.2f}x")


if __name__ == "__main__":
    main()
