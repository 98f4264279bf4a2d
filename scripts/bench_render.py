#!/usr/bin/env python
"""Benchmark the mesh3d renderer: bare pyrender against synthgen on the same driving scenes.

* bare pyrender: for each scene, a pyrender Scene built from the objects' prebuilt triangle arrays
  (one primitive per material, with the same textures, roughness and glow, made once), one lit RGB
  pass (with pyrender's directional shadow maps by day and at dusk, as synthgen's) and one SEG pass
  (which also gives depth): what a hand-written pyrender script does, with no labels, no 2D effects
  (sky, bloom, wet roads) and nothing written. Scene sampling and mesh building are left out of it.
* synthgen: ``synthgen generate`` of the same config and indices: scene sampling, meshes, the RGB
  and SEG passes, the extra SEG passes that count each actor's pixels drawn alone (occlusion),
  labels (COCO masks, boxes, keypoints, 3D boxes), PNG encoding and the writers (COCO, KITTI,
  dense depth and semantic layers), with 1 and 2 worker processes.

"CPU" is the CPU time per frame (all threads of the process, llvmpipe's included, and of the
spawned workers): on a machine other jobs share, it moves much less than the wall time, so the
CPU-time ratio is the steadier estimate of the cost of labels and writing.

Each figure is frames per second over the same N scenes, start-up included (one worker runs in
this process, which has imported pyrender already, and builds its GL context; two workers are
spawned processes that import trimesh and pyrender first: a few seconds); "steady" leaves it
out: (N - 1) frames over the time of the N-frame run minus that of a 1-frame run, and for two
workers (N - 2) frames over the N-frame run minus a 2-frame run (one frame each). The runs
alternate and each is repeated, and the best of the repeats is kept (the machine is shared); the
ratio of the two runs of each round, bare and synthgen back to back (in turn first), is printed too, by
wall and by CPU time, with its median and range (on a VM whose speed drifts by 20 % within minutes, the
steadiest figure).

    python scripts/bench_render.py [--num 40] [--repeats 2] [--width 640 --height 384] [--workers 1]
    python scripts/bench_render.py --features   # the renderer's cost of each realism feature per frame
    python scripts/bench_render.py --stages     # the CPU time per frame of each stage of a sample
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
sys.path.insert(0, str(ROOT))


def cpu_seconds() -> float:
    """CPU time of this process (all its threads: llvmpipe's too) and of its waited-for children."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def bare_pyrender(
    specs, znear: float, zfar: float, textured: bool = True, shadows: bool = True, shadow_map: int = 1024
) -> tuple[float, float]:
    """(wall, CPU) seconds to draw the specs with bare pyrender calls (RGB + SEG/depth), meshes prebuilt.

    With ``textured``, each object is one primitive per material with the same textures, roughness
    and glow as synthgen draws (materials and textures made once, as a hand-written script would);
    with ``shadows``, the RGB pass takes pyrender's directional shadow maps where synthgen's does
    (day and dusk), of ``shadow_map`` texels a side as synthgen's (pyrender's size constant set).
    """
    from synthgen.driving.materials import material, texture
    from synthgen.driving.meshes import flat_arrays, material_groups, object_mesh
    from synthgen.driving.objects import SceneObject
    from synthgen.driving.render import CV_TO_GL, import_pyrender, is_wet, light_pose, split_items

    pyrender = import_pyrender()
    import numpy as np

    pyrender.renderer.SHADOW_TEX_SZ = pyrender.light.SHADOW_TEX_SZ = shadow_map
    prepared = []
    for spec in specs:
        objects, lights, env = split_items(spec)
        arrays = []
        for o in objects:
            if not isinstance(o, SceneObject):
                continue
            mesh = object_mesh(o)
            groups = material_groups(mesh) if textured else [("matte", None)]
            parts = []
            for name, faces in groups:
                pos, nrm, col = flat_arrays(mesh, faces)
                m = material(name)
                uv = None
                if textured and m.texture is not None:
                    uv = (mesh.face_uv[faces].reshape(-1, 2) / np.asarray(m.tile, np.float32)).astype(np.float32)
                parts.append((name, pos, nrm, col, uv))
            arrays.append((o, parts))
        prepared.append((spec, arrays, lights, env, is_wet(spec)))
    textures, materials = {}, {}

    def pyrender_material(name: str, time_of_day: str, wet: bool):
        key = (name, time_of_day, wet) if textured else "flat"
        if key not in materials:
            if not textured:
                materials[key] = pyrender.MetallicRoughnessMaterial(metallicFactor=0.0, roughnessFactor=0.8)
                return materials[key]
            m = material(name)
            for t in (m.texture, m.emission):
                if t is not None and t not in textures:
                    textures[t] = pyrender.Texture(source=texture(t), source_channels="RGB")
            glow = m.glow_at(time_of_day) ** 0.5
            materials[key] = pyrender.MetallicRoughnessMaterial(
                metallicFactor=m.metallic,
                roughnessFactor=m.wet_roughness if wet and m.wet_roughness is not None else m.roughness,
                baseColorTexture=textures.get(m.texture),
                emissiveFactor=[glow] * 3 if glow > 0 else None,
                emissiveTexture=textures.get(m.emission) if glow > 0 else None,
            )
        return materials[key]

    renderer = pyrender.OffscreenRenderer(specs[0].width, specs[0].height)
    start, cpu = time.perf_counter(), cpu_seconds()
    for spec, arrays, lights, env, wet in prepared:
        scene = pyrender.Scene(bg_color=[*(c / 255 for c in env.sky), 1.0], ambient_light=list(env.ambient))
        seg = {}
        for i, (obj, parts) in enumerate(arrays, start=1):
            prims = [
                pyrender.Primitive(
                    positions=pos, normals=nrm, color_0=col, texcoord_0=uv,
                    material=pyrender_material(name, env.time_of_day, wet),
                )
                for name, pos, nrm, col, uv in parts
            ]  # fmt: skip
            seg[scene.add(pyrender.Mesh(prims), pose=obj.pose())] = (i % 256, i // 256, 0)
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
        shadow = shadows and env.time_of_day != "night" and any(light.kind == "directional" for light in lights)
        renderer.render(scene, flags=pyrender.RenderFlags.SHADOWS_DIRECTIONAL if shadow else pyrender.RenderFlags.NONE)
        renderer.render(scene, flags=pyrender.RenderFlags.SEG, seg_node_map=seg)
    elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    renderer.delete()
    return elapsed, cpu


FEATURES = ("textures", "shadows", "sky", "bloom", "wet")


def is_lamp(item) -> bool:
    """A night light source: street lamps, headlights and lit windows are point and spot lights."""
    from synthgen.driving.lights import Light

    return isinstance(item, Light) and item.kind in ("point", "spot")


def is_vegetation(item) -> bool:
    """Trees and hedges (the densest meshes of a street: tens of thousands of triangles)."""
    from synthgen.driving.objects import SceneObject

    return isinstance(item, SceneObject) and item.category == "vegetation"


# scene content taken out of the defaults: its cost is the defaults' time less the time without it
REMOVED = {"night lamps (point and spot lights)": is_lamp, "vegetation (trees, hedges)": is_vegetation}


def feature_costs(specs, settings, repeats: int) -> None:
    """Print the renderer's time per frame (``render_layers`` alone, in this process) with every
    realism feature off, each one alone on, all on, and all on less the night lamps or the
    vegetation: the cost of each feature, averaged over the scenes (bloom and lamps are drawn at dusk
    and night only, wet roads in rain: the counts say in how many)."""
    from dataclasses import replace

    from synthgen.driving.render import OffscreenResource, render_layers

    off = replace(settings, textures=False, shadows=False, sky=False, bloom=0.0, wet=False)
    variants = {"none (flat colours, no effects)": (off, specs)}
    for name in FEATURES:
        on = replace(off, **{name: settings.bloom if name == "bloom" and settings.bloom else True})
        variants[f"+ {name}"] = (on, specs)
    variants["all (the defaults)"] = (settings, specs)
    for name, removed in REMOVED.items():
        variants[f"all less {name}"] = (
            settings,
            [replace(s, items=[i for i in s.items if not removed(i)]) for s in specs],
        )
    resource = OffscreenResource()
    best = dict.fromkeys(variants, float("inf"))
    names = list(variants)
    try:
        for spec in specs[:2]:  # textures made and uploaded, shaders compiled: outside the timing
            for s, _ in variants.values():
                render_layers(spec, s, resource)
        for repeat in range(repeats):
            for name in names[repeat % len(names) :] + names[: repeat % len(names)]:  # a drift spread over all
                s, scenes = variants[name]
                start = time.process_time()
                for spec in scenes:
                    render_layers(spec, s, resource)
                best[name] = min(best[name], (time.process_time() - start) / len(scenes))
    finally:
        resource.close()
    times = sorted({str(spec.params.get("time_of_day")) for spec in specs})
    dark = sum(spec.params.get("time_of_day") in ("dusk", "night") for spec in specs)
    rain = sum(spec.params.get("weather") == "rain" for spec in specs)
    lamps = sum(any(is_lamp(i) for i in spec.items) for spec in specs)
    print(
        f"renderer CPU per frame, {len(specs)} scenes ({', '.join(times)}; {dark} at dusk or night, {rain} in rain, "
        f"{lamps} with lamps), best of {repeats}:"
    )
    base, full = best["none (flat colours, no effects)"], best["all (the defaults)"]
    print("| features | ms/frame | cost |")
    print("|---|---:|---:|")
    for name, t in best.items():
        if name.startswith("all less "):
            cost = f"{name[len('all less ') :]}: {(full - t) * 1000:+.1f} ms"
        else:
            cost = "" if t is base else f"{(t - base) * 1000:+.1f} ms"
        print(f"| {name} | {t * 1000:.1f} | {cost} |")


def stage_costs(config, num: int, repeats: int) -> None:
    """Print the CPU time per frame of each stage of a driving sample in this process (one worker's
    work, writers aside): where synthgen spends beyond the two passes that bare pyrender draws."""
    from collections import defaultdict

    import synthgen.driving.render as mesh3d
    from synthgen.annotate import annotate
    from synthgen.engine.context import WorkerContext
    from synthgen.engine.pipeline import encode_image
    from synthgen.engine.seeds import stage_rng
    from synthgen.scene import SCENES
    from synthgen.steps import run_steps

    spent: dict[str, float] = defaultdict(float)

    def timed(name, call, *args, **kwargs):
        start = time.process_time()
        try:
            return call(*args, **kwargs)
        finally:
            spent[name] += time.process_time() - start

    parts = {
        "render_passes": "  the RGB and SEG passes (what bare pyrender draws)",
        "seg_ids_in": "  occlusion passes (actors drawn alone)",
        "object_mesh": "  meshes",
        "build_scene": "  the pyrender scene (primitives, materials, lights)",
        "light_effects": "  2D light effects (sky, wet road, bloom)",
    }
    originals = {name: getattr(mesh3d, name) for name in parts}
    for name, label in parts.items():
        setattr(mesh3d, name, lambda *a, _call=originals[name], _label=label, **k: timed(_label, _call, *a, **k))
    kind = SCENES.get(config.scene.kind)
    ctx = WorkerContext(config)
    best: dict[str, float] = defaultdict(lambda: float("inf"))
    try:
        for repeat in range(repeats + 1):  # the first round warms up (textures, shaders)
            spent.clear()
            for i in range(num):
                spec = timed("scene sampling", kind.sample, config.scene.settings, stage_rng(config.seed, i, "scene"))
                layers = timed(
                    "render (all of it)", ctx.render_kind.render, spec, config.render.settings, ctx.render_resource
                )
                for stage, steps in (("generate", config.generate), ("augment", config.augment)):
                    if steps:
                        rng = stage_rng(config.seed, i, stage)
                        layers = timed(
                            "weather (fog, rain, snow)", run_steps, steps, layers, spec, rng, ctx, stage=stage
                        ).layers
                layers, _ = timed("camera model (sensor)", kind.measure, config.scene.settings, spec, layers)
                timed("labels", annotate, layers, spec, config.categories, config.annotate)
                timed("dataset image PNG", encode_image, layers.rgb, config.image)
            if repeat:
                for name, t in spent.items():
                    best[name] = min(best[name], t / num)
    finally:
        ctx.close()
        for name, call in originals.items():
            setattr(mesh3d, name, call)
    print(f"CPU per frame of each stage, {num} scenes, best of {repeats} (writers not included):")
    for name, t in best.items():
        print(f"  {name:52s} {t * 1000:6.1f} ms")


def synthgen_run(config, workers: int) -> tuple[float, float]:
    """(wall, CPU) seconds of ``synthgen generate`` (CPU: this process and its workers)."""
    from synthgen.engine import generate

    out = Path(tempfile.mkdtemp(prefix="bench_render_"))
    try:
        start, cpu = time.perf_counter(), cpu_seconds()
        generate(config, out / "d", workers=workers, progress=False)
        return time.perf_counter() - start, cpu_seconds() - cpu
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=384)
    parser.add_argument("--outputs", default="coco,kitti,dense", help="synthgen's writers, comma-separated")
    parser.add_argument(
        "--workers",
        type=int,
        choices=(1, 2),
        default=2,
        help="1: leave out the 2-worker runs (the ratio to bare alone)",
    )
    parser.add_argument(
        "--features", action="store_true", help="print the renderer's cost of each realism feature per frame instead"
    )
    parser.add_argument(
        "--stages", action="store_true", help="print the CPU time per frame of each stage of a sample instead"
    )
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
    if args.features:
        feature_costs(specs, settings, args.repeats)
        return
    if args.stages:
        stage_costs(config, args.num, args.repeats)
        return
    best = {"bare pyrender (1 process)": float("inf"), "synthgen, 1 worker": float("inf")}
    if args.workers == 2:
        best["synthgen, 2 workers"] = float("inf")
    one_frame = two_frames = one_frame_cpu = float("inf")

    def short_run(num: int):
        return load_run_config(
            ROOT / "configs" / "driving.yaml",
            [
                f"num_samples={num}",
                "shard_size=1",
                f"scene.params.width={args.width}",
                f"scene.params.height={args.height}",
                f"outputs=[{args.outputs}]",
            ],
        )

    single, double = short_run(1), short_run(2)
    cpu = dict.fromkeys(best, float("inf"))

    rounds: dict[str, list[float]] = {name: [] for name in best}
    cpu_rounds: dict[str, list[float]] = {name: [] for name in best}

    def keep(name: str, wall_and_cpu: tuple[float, float]) -> None:
        best[name] = min(best[name], wall_and_cpu[0])
        cpu[name] = min(cpu[name], wall_and_cpu[1])
        rounds[name].append(wall_and_cpu[0])
        cpu_rounds[name].append(wall_and_cpu[1])

    for repeat in range(args.repeats):
        wall, cpu_s = synthgen_run(single, 1)
        one_frame, one_frame_cpu = min(one_frame, wall), min(one_frame_cpu, cpu_s)
        if args.workers == 2:
            two_frames = min(two_frames, synthgen_run(double, 2)[0])
        pair = [
            ("bare pyrender (1 process)", lambda: bare_pyrender(
                specs, settings.znear, settings.zfar, settings.textures, settings.shadows, settings.shadow_map
            )),
            ("synthgen, 1 worker", lambda: synthgen_run(config, 1)),
        ]  # fmt: skip
        for name, run in pair if repeat % 2 == 0 else pair[::-1]:  # ABBA: a drift of the VM hits both sides
            keep(name, run())
        if args.workers == 2:
            keep("synthgen, 2 workers", synthgen_run(config, 2))
    fps = {k: args.num / v for k, v in best.items()}
    print(
        f"{args.num} scenes of {args.width}x{args.height}, outputs {args.outputs}, best of {args.repeats}, {os.cpu_count()} CPUs, LP_NUM_THREADS={os.environ['LP_NUM_THREADS']}"
    )
    for k, v in fps.items():
        print(f"  {k:28s} {v:6.2f} frames/s   CPU {cpu[k] / args.num * 1000:6.1f} ms/frame")
    steady = (args.num - 1) / (best["synthgen, 1 worker"] - one_frame)
    print(f"  {'synthgen, 1 worker, steady':28s} {steady:6.2f} frames/s (a 1-frame run took {one_frame:.1f} s)")
    print(f"  synthgen 1 worker / bare pyrender: {fps['synthgen, 1 worker'] / fps['bare pyrender (1 process)']:.2f}x")
    print(f"  synthgen 1 worker steady / bare:   {steady / fps['bare pyrender (1 process)']:.2f}x")
    print(f"  per round, synthgen 1 w / bare:    {spread(rounds)} (each pair ran back to back)")
    bare_cpu = cpu["bare pyrender (1 process)"]
    print(
        f"  by CPU time, bare / synthgen 1 w:  {bare_cpu / cpu['synthgen, 1 worker']:.2f}x (less sensitive to other jobs)"
    )
    print(f"  per round, by CPU time:            {spread(cpu_rounds)}")
    steady_cpu = (cpu["synthgen, 1 worker"] - one_frame_cpu) / (args.num - 1)
    print(
        f"  by CPU time, steady:               {bare_cpu / args.num / steady_cpu:.2f}x ({steady_cpu * 1000:.1f} ms/frame)"
    )
    if args.workers == 2:
        steady2 = (args.num - 2) / (best["synthgen, 2 workers"] - two_frames)
        print(f"  {'synthgen, 2 workers, steady':28s} {steady2:6.2f} frames/s (a 2-frame run took {two_frames:.1f} s)")
        print(f"  synthgen 2 workers / 1 worker:     {fps['synthgen, 2 workers'] / fps['synthgen, 1 worker']:.2f}x")
        print(f"  synthgen 2 workers / 1, steady:    {steady2 / steady:.2f}x")


def spread(rounds: dict[str, list[float]]) -> str:
    """The median, range and each round's ratio bare time / synthgen 1 worker's time."""
    paired = sorted(b / s for b, s in zip(rounds["bare pyrender (1 process)"], rounds["synthgen, 1 worker"]))
    return (
        f"median {statistics.median(paired):.2f}x, range {paired[0]:.2f}-{paired[-1]:.2f}x "
        f"(rounds {', '.join(f'{r:.2f}' for r in paired)})"
    )


if __name__ == "__main__":
    main()
