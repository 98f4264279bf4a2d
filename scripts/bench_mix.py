#!/usr/bin/env python
"""Benchmark the mixer and streaming.

Part ``mix``: a real COCO set of N annotations (written here: small unique PNGs, polygons, three
classes) mixed with a synthgen dataset of about N synthetic annotations (made here with
``synthgen generate``; kept in --work and reused). Timed: reading both sources, label mapping,
duplicate detection (every image file hashed), the plan (stratified splits, ratio, fill_to) and
streaming every planned sample's record, pixels left lazy -- what ``synthgen mix`` does before it
writes. Peak RSS is measured per run in its own process, for the real set with small images and
with images 25x larger (same annotations): memory follows the annotations, not the images.

Part ``write``: a whole ``synthgen mix`` (read, plan, every split's shards written, COCO and YOLO
files), of a real COCO set (320x240 images) and every sample of a ``generate`` source, with 1 and with
``--workers`` workers (process executor), in alternating rounds with ``generate`` at the same
worker counts as the baseline (a shared machine gives neither its cores); seconds and the ratios.

Part ``stream``: samples/s of ``synthgen generate --workers 2`` against a DataLoader with 2
workers over ``synthgen.torch.SyntheticDataset`` (same config, same samples, no files).

    python scripts/bench_mix.py                         # both parts, 100k + 100k annotations
    python scripts/bench_mix.py --part stream --num 300
    python scripts/bench_mix.py --part write --annotations 20000 --num 200 --workers 2
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CLASSES = ["car", "person", "bike"]
PER_IMAGE = 10
SYNTH_OVERRIDES = [
    "scene.params.width=160",
    "scene.params.height=120",
    "scene.params.words=randint(9, 11)",
    "scene.params.font_size=randint(9, 12)",
    "scene.params.rotation=0",
    "shard_size=500",
    "image.png_compress_level=1",
]
STREAM_OVERRIDES = ["scene.params.width=256", "scene.params.height=256", "scene.params.words=randint(4, 6)"]


def write_real_coco(folder: Path, annotations: int, size: tuple[int, int]) -> None:
    """COCO set of ``annotations`` polygon annotations, PER_IMAGE per image; images are a smooth
    gradient with a unique stamp (small PNGs even when large)."""
    import cv2
    import numpy as np

    if (folder / "annotations/coco.json").is_file():
        return
    (folder / "images").mkdir(parents=True, exist_ok=True)
    w, h = size
    base = np.zeros((h, w, 3), np.uint8)
    base[:] = np.linspace(0, 255, w, dtype=np.uint8)[None, :, None]
    images, anns = [], []
    for k in range(annotations // PER_IMAGE):
        img = base.copy()
        img[0, :32] = np.frombuffer(k.to_bytes(96, "little"), np.uint8).reshape(32, 3)  # unique content
        name = f"images/{k:07d}.png"
        cv2.imwrite(str(folder / name), img, [cv2.IMWRITE_PNG_COMPRESSION, 1])
        images.append({"id": k + 1, "file_name": name, "width": w, "height": h})
        for j in range(PER_IMAGE):
            x, y = (j * 7) % (w - 12), (j * 5) % (h - 10)
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": k + 1,
                    "category_id": 1 + (k + j) % 3,
                    "iscrowd": 0,
                    "bbox": [x, y, 10, 8],
                    "area": 80,
                    "segmentation": [[x, y, x + 10, y, x + 10, y + 8, x, y + 8]],
                }
            )
    cats = [{"id": i + 1, "name": n} for i, n in enumerate(CLASSES)]
    (folder / "annotations").mkdir(exist_ok=True)
    (folder / "annotations/coco.json").write_text(
        json.dumps({"images": images, "annotations": anns, "categories": cats})
    )


def make_synthetic(folder: Path, annotations: int, workers: int) -> None:
    from synthgen.config import load_run_config
    from synthgen.engine import generate

    config = load_run_config(
        ROOT / "configs/text_words.yaml", [f"num_samples={annotations // PER_IMAGE}", *SYNTH_OVERRIDES]
    )
    generate(config, folder, workers=workers, progress=True)


def mix_config(real: Path, synth: Path, folder: Path) -> Path:
    path = folder / "bench_mix.yaml"
    path.write_text(f"""\
name: bench_mix
categories: [car, person, bike, text]
sources:
  real: {{path: {real}, format: coco}}
  synthetic: {{path: {synth}, format: synthgen, real: false}}
strategy: {{ratio: {{real: 1, synthetic: 1}}, fill_to: {{text: 1}}}}
splits: {{val: 0.1, test: 0.1}}
""")
    return path


def timed_mix(config_path: str) -> None:
    """In a child process: plan and stream a mix; print seconds, peak RSS and counts as JSON."""
    from synthgen.mix import load_mix_config
    from synthgen.mix.plan import plan_mix
    from synthgen.mix.run import read_sources

    start = time.perf_counter()
    config = load_mix_config(config_path)
    sources, _duplicates = read_sources(config)
    plan = plan_mix(config, sources)
    streamed = instances = 0
    for items in plan.splits.values():
        for p in items:  # the stream the writers consume, pixels still lazy
            instances += len(p.lazy.record["instances"])
            streamed += 1
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rss_mb": rss,
                "samples": streamed,
                "instances": instances,
                "read_annotations": sum(sum(s.read_counts.values()) for s in sources),
            }
        )
    )


def timed_floor(real: str, synth: str) -> None:
    """In a child process: only parse the annotation files both sources hold (the least any tool
    reading them does); print seconds and peak RSS as JSON."""
    start = time.perf_counter()
    files = [Path(real) / "annotations/coco.json", *sorted((Path(synth) / ".synthgen/shards").glob("*.json"))]
    kept = [json.loads(f.read_bytes()) for f in files]
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": rss, "files": len(kept)}))


def run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def part_mix(args, work: Path) -> None:
    synth = work / "synthetic"
    if (
        not (synth / "manifest.json").is_file()
        or json.loads((synth / "manifest.json").read_text()).get("status") != "complete"
    ):
        make_synthetic(synth, args.annotations, args.workers)
    rows = []
    for label, n, size in [
        ("small images", args.annotations // 2, (64, 48)),
        ("small images", args.annotations, (64, 48)),
        ("25x larger images", args.annotations, (320, 240)),
    ]:
        real = work / f"real_{n}_{size[0]}"
        write_real_coco(real, n, size)
        cfg = mix_config(real, synth, real)
        runs, floors = [], []
        for _ in range(args.repeats):  # interleaved, so both see the same machine load
            runs.append(run_child("_mix", str(cfg)))
            floors.append(run_child("_floor", str(real), str(synth)))
        best = min(runs, key=lambda r: r["seconds"])
        floor = min(floors, key=lambda r: r["seconds"])
        image_mb = sum(p.stat().st_size for p in (real / "images").iterdir()) / 2**20
        rows.append((label, n, best, floor, image_mb))
    print(f"\nmix: read + map + hash + plan + stream records (best of {args.repeats} runs)")
    print("floor: json.loads of the same annotation files, nothing else, in the same round")
    print(
        f"{'real set':<20}{'real anns':>10}{'all anns':>10}{'samples':>9}{'mix s':>8}{'floor s':>9}"
        f"{'ratio':>7}{'mix RSS MB':>11}{'floor RSS MB':>13}{'real images MB':>15}"
    )
    for label, n, best, floor, mb in rows:
        print(
            f"{label:<20}{n:>10}{best['read_annotations']:>10}{best['samples']:>9}{best['seconds']:>8.2f}"
            f"{floor['seconds']:>9.2f}{best['seconds'] / floor['seconds']:>7.2f}{best['rss_mb']:>11.0f}"
            f"{floor['rss_mb']:>13.0f}{mb:>15.1f}"
        )


def write_mix_config(real: Path, num: int, folder: Path) -> Path:
    path = folder / "bench_write.yaml"
    path.write_text(f"""\
name: bench_write
categories: [car, person, bike, text]
sources:
  real: {{path: {real}, format: coco}}
  made: {{path: {ROOT / "configs/text_words.yaml"}, format: generate, real: false,
          overrides: [num_samples={num}, {", ".join(json.dumps(o) for o in STREAM_OVERRIDES)}]}}
splits: {{val: 0.1, test: 0.1}}
outputs: [coco, yolo]
""")
    return path


def timed_write(config_path: str, workers: str) -> None:
    """In a child process: a whole mix into a temporary folder; print seconds and counts as JSON."""
    from synthgen.mix import load_mix_config, mix

    config = load_mix_config(config_path)
    with tempfile.TemporaryDirectory(dir=Path(config_path).parent) as tmp:
        start = time.perf_counter()
        summary = mix(config, Path(tmp) / "out", progress=False, workers=int(workers))
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "samples": sum(summary.counts.values())}))


def timed_generate(num: str, workers: str) -> None:
    """In a child process: ``generate`` of the stream config into a temporary folder (the baseline:
    what the same workers give generate on this machine at this moment)."""
    from synthgen.config import load_run_config
    from synthgen.engine import generate

    config = load_run_config(ROOT / "configs/text_words.yaml", [f"num_samples={num}", *STREAM_OVERRIDES])
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        generate(config, Path(tmp) / "ds", workers=int(workers), progress=False)
        print(json.dumps({"seconds": time.perf_counter() - start}))


def part_write(args, work: Path) -> None:
    real = work / f"write_real_{args.annotations}"
    write_real_coco(real, args.annotations, (320, 240))
    cfg = write_mix_config(real, args.num, real)
    runs: dict[tuple[str, int], list[float]] = {}
    samples = 0
    for _ in range(args.repeats):  # alternating, so all see the same machine load
        for workers in (1, args.workers):
            result = run_child("_write", str(cfg), str(workers))
            runs.setdefault(("mix", workers), []).append(result["seconds"])
            samples = result["samples"]
            result = run_child("_generate", str(3 * args.num), str(workers))
            runs.setdefault(("generate", workers), []).append(result["seconds"])
    print(f"\nwrite: synthgen mix of {samples} samples ({args.annotations} real annotations, 320x240; "
          f"{args.num} generated); baseline: generate of {3 * args.num} text_words 256x256 (best of {args.repeats})")
    for what in ("mix", "generate"):
        for workers in (1, args.workers):
            times = runs[(what, workers)]
            print(f"{what:<9} {workers} worker(s) {min(times):8.2f} s   (runs: {', '.join(f'{t:.2f}' for t in times)})")
        print(f"{what:<9} speed-up    {min(runs[(what, 1)]) / min(runs[(what, args.workers)]):8.2f}x")


def timed_stream(num: str, kind: str) -> None:
    from synthgen.config import load_run_config

    config = load_run_config(ROOT / "configs/text_words.yaml", [f"num_samples={num}", *STREAM_OVERRIDES])
    start = time.perf_counter()
    if kind == "generate":
        from synthgen.engine import generate

        with tempfile.TemporaryDirectory() as tmp:
            generate(config, Path(tmp) / "ds", workers=2, progress=False)
            seconds = time.perf_counter() - start
    else:
        import torch

        from synthgen.torch import SyntheticDataset

        loader = torch.utils.data.DataLoader(
            SyntheticDataset(config, transform=lambda s: s.meta["index"]), batch_size=None, num_workers=2
        )
        seen = sorted(loader)
        assert seen == list(range(int(num)))
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "samples_per_s": int(num) / seconds}))


def part_stream(args) -> None:
    results: dict[str, list[float]] = {"generate": [], "dataloader": []}
    for _ in range(args.repeats):  # interleaved, so both see the same machine load
        for kind in results:
            results[kind].append(run_child("_stream", str(args.num), kind)["samples_per_s"])
    gen, dl = max(results["generate"]), max(results["dataloader"])
    print(f"\nstream: {args.num} samples of text_words 256x256, 2 workers (best of {args.repeats})")
    print(f"generate --workers 2        {gen:8.1f} samples/s")
    print(f"DataLoader, 2 workers       {dl:8.1f} samples/s   ({100 * dl / gen:.0f} % of generate)")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_mix":
        return timed_mix(sys.argv[2])
    if len(sys.argv) > 1 and sys.argv[1] == "_floor":
        return timed_floor(sys.argv[2], sys.argv[3])
    if len(sys.argv) > 1 and sys.argv[1] == "_stream":
        return timed_stream(sys.argv[2], sys.argv[3])
    if len(sys.argv) > 1 and sys.argv[1] == "_write":
        return timed_write(sys.argv[2], sys.argv[3])
    if len(sys.argv) > 1 and sys.argv[1] == "_generate":
        return timed_generate(sys.argv[2], sys.argv[3])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["mix", "write", "stream", "all"], default="all")
    parser.add_argument(
        "--annotations", type=int, default=100_000, help="annotations of each of the real and synthetic sets"
    )
    parser.add_argument(
        "--num", type=int, default=300, help="samples of the stream comparison and of --part write's generate source"
    )
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--workers", type=int, default=2, help="workers that generate the synthetic set, and --part write's"
    )
    parser.add_argument("--work", default="out/bench_mix", help="folder for the data sets (kept and reused)")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if args.part in ("mix", "all"):
        part_mix(args, work)
    if args.part in ("write", "all"):
        part_write(args, work)
    if args.part in ("stream", "all"):
        part_stream(args)


if __name__ == "__main__":
    main()
