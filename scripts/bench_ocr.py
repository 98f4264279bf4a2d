#!/usr/bin/env python
"""Benchmark synthgen's OCR data against trdg and SynthTIGER, side by side on this machine.

Every tool runs as its own command line in a child process, 1 and 2 workers, with equivalent
settings where the tool has them: word crops about 32 pixels high, noise background, small
random skew and blur. Each figure is the whole command: start-up, generation and every label
file (synthgen: crop PNGs, labels.tsv and the LMDB; trdg: ``-na 2`` labels.txt).

    python scripts/bench_ocr.py                         # 2000 crops, 60 detection scenes
    python scripts/bench_ocr.py --scenes 100 --repeats 3 --peers-dir ~/.cache/bench_ocr
    python scripts/bench_ocr.py --crops 1000 --scenes 0 --pages 0 --repeats 3 --baseline /tmp/main-checkout

* ``--baseline DIR`` times the recognition crops of another synthgen checkout (say, the commit
  before a change) in the same round-robin, with the same interpreter and settings: a change's
  ratio to trdg, before and after, side by side in one run.

* trdg 1.8.0 is installed from PyPI into a throwaway virtualenv (``pip<24.1``, ``pillow<10``,
  see PEERS.md); ``--peers-dir`` keeps it between runs.
* SynthTIGER's wheel holds code only; its template, config and resources (fonts, corpus,
  colormaps, textures) live in its source repository. Pass ``--synthtiger-root`` pointing at a
  checkout of https://github.com/clovaai/synthtiger; without it SynthTIGER is skipped, and the
  table says so.
* SynthText (detection scenes) is not installable here (Python 2-era code and ~40 GB of
  background data); detection scenes/s are compared with ``--synthtext-seconds-per-image``, a
  reference figure, not a measurement.
* Document and receipt pages (``configs/ocr_document.yaml``, ``configs/ocr_receipt.yaml``) are
  timed for synthgen alone: no peer here makes whole labelled pages.

Peak memory: "largest" is the largest single process of the run (``getrusage(RUSAGE_CHILDREN)``
in a wrapper process that runs only that command); "tree" is the largest sum of RSS over the
process tree, sampled from /proc every 0.1 s (shared pages count once per process).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RECOGNITION_CONFIG = ROOT / "configs" / "ocr_recognition.yaml"
WILD_CONFIG = ROOT / "configs" / "ocr_wild.yaml"
FALLBACK_CONFIG = ROOT / "configs" / "text_words.yaml"
# A crop-like scene when configs/ocr_recognition.yaml is not there: one word on a noise
# background, skewed by up to 5 degrees (trdg's -k 5 -rk); text_words has no blur. Font size 42
# gives tight word crops of median height ~32 (trdg's 32 px includes its margins).
FALLBACK_RECOGNITION = [
    "outputs=[recognition]",
    "scene.params.width=512",
    "scene.params.height=80",
    "scene.params.words=1",
    "scene.params.font_size=42",
    "scene.params.rotation=uniform(-5, 5)",
    "scene.params.background.kind=noise",
    "image.png_compress_level=1",  # the scene images are a by-product here; the crops are the data
]
# ocr_recognition with trdg's settings below: noise background (-b 0), skew up to 5 degrees
# (-k 5 -rk), Gaussian blur of radius 0 or 1 (-bl 1 -rbl: half the crops blurred) by the augment
# stage (kornia), crops 32 px high (-f 32).
TRDG_LIKE = [
    "scene.params.background.kind=noise",
    "scene.params.style.rotation=uniform(-5, 5)",
    "augment.blur.kind=gaussian_blur",
    "augment.blur.p=0.5",
    "augment.blur.params.sigma=1.0",
]
FALLBACK_WILD = ["outputs=[coco,icdar]", "scene.params.width=512", "scene.params.height=512"]

TRDG_PIP = [["pip<24.1"], ["trdg==1.8.0", "pillow<10"]]
SYNTHTIGER_PIP = ["synthtiger==1.2.1", "numpy<2", "pillow<10", "scikit-image<0.25", "opencv-python<4.11"]
SYNTHTIGER_FILES = ("examples/synthtiger/template.py", "examples/synthtiger/config_horizontal.yaml", "resources")

# Runs one command and reports its wall time and peak memory as JSON on stdout. A separate
# process, so that RUSAGE_CHILDREN covers this command's process tree and nothing else.
WRAPPER = textwrap.dedent(
    """
    import json, os, resource, subprocess, sys, threading, time
    cmd, cwd, log = json.loads(sys.argv[1])
    page = os.sysconf("SC_PAGE_SIZE")

    def tree_rss(root):
        children = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open(f"/proc/{name}/stat") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(name))
        total, todo = 0, [root]
        while todo:
            pid = todo.pop()
            todo += children.get(pid, [])
            try:
                with open(f"/proc/{pid}/statm") as f:
                    total += int(f.read().split()[1]) * page
            except (OSError, IndexError, ValueError):
                pass
        return total

    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        peak = [0]
        def watch():
            while proc.poll() is None:
                peak[0] = max(peak[0], tree_rss(proc.pid))
                time.sleep(0.1)
        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        code = proc.wait()
        seconds = time.perf_counter() - start
        thread.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"returncode": code, "seconds": seconds, "max_rss_kb": usage.ru_maxrss, "tree_bytes": peak[0]}))
    """
)


@dataclass
class Row:
    tool: str
    task: str  # "crops" or "scenes"
    workers: int
    asked: int
    made: int
    seconds: float
    largest_mb: float
    tree_mb: float
    command: list[str]
    crop_height: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.made / self.seconds if self.seconds > 0 else 0.0


def measure(cmd: list[str], cwd: Path, log: Path) -> dict:
    """Run ``cmd`` once under the wrapper; raise with the log's tail if it fails."""
    result = subprocess.run(
        [sys.executable, "-c", WRAPPER, json.dumps([[str(c) for c in cmd], str(cwd), str(log)])],
        capture_output=True,
        text=True,
        check=True,
    )
    stats = json.loads(result.stdout.strip().splitlines()[-1])
    if stats["returncode"] != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited with {stats['returncode']}:\n{tail}")
    return stats


def median_crop_height(paths: list[Path]) -> float | None:
    from PIL import Image

    heights = []
    for p in paths[:200]:
        with Image.open(p) as im:
            heights.append(im.height)
    return float(statistics.median(heights)) if heights else None


@dataclass
class Job:
    """One figure of the table: a command timed ``repeats`` times (see ``run_jobs``)."""

    tool: str
    task: str
    workers: int
    asked: int
    cmd_for: Any  # out folder -> command
    count_for: Any  # out folder -> (samples made, crop files)
    cwd: Path
    runs: list = field(default_factory=list)


def run_jobs(jobs: list[Job], repeats: int, work: Path) -> list[Row]:
    """Run every job ``repeats`` times, round-robin (repeat 1 of every job, then repeat 2, ...), so
    that a slow spell of the machine falls on every tool alike; each figure is the median run."""
    for r in range(repeats):
        for job in jobs:
            slug = "-".join("".join(c if c.isalnum() else " " for c in job.task).split())
            out = work / f"{job.tool.split()[0].lower()}-{slug}-w{job.workers}-r{r}"
            shutil.rmtree(out, ignore_errors=True)
            cmd = job.cmd_for(out)
            stats = measure(cmd, job.cwd, work / f"{out.name}.log")
            made, crops = job.count_for(out)
            job.runs.append((stats, made, median_crop_height(crops), cmd))
            # Outputs stay until the whole benchmark is done (main deletes the temp folder): on an
            # ext4 without a journal, as on this VM, each file created within a minute or more of
            # deleting thousands costs ~0.7 ms of kernel time (ext4's recently_deleted scan), which
            # would fall on whichever tool runs after a deletion.
    rows = []
    for job in jobs:
        stats, made, crop_height, cmd = sorted(job.runs, key=lambda x: x[0]["seconds"])[len(job.runs) // 2]
        rows.append(
            Row(
                tool=job.tool,
                task=job.task,
                workers=job.workers,
                asked=job.asked,
                made=made,
                seconds=stats["seconds"],
                largest_mb=stats["max_rss_kb"] / 1024,
                tree_mb=stats["tree_bytes"] / 2**20,
                command=[str(c) for c in cmd],
                crop_height=crop_height,
            )
        )
    return rows


# ---- peers -------------------------------------------------------------------------------------


def make_venv(path: Path, installs: list[list[str]]) -> Path:
    """A virtualenv at ``path`` with ``installs`` done in order (skipped if it is already there)."""
    python = path / "bin" / "python"
    marker = path / ".bench_ocr_ready"
    if marker.exists():
        return python
    shutil.rmtree(path, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    for packages in installs:
        subprocess.run([str(python), "-m", "pip", "install", "-q", *packages], check=True)
    marker.write_text("ok\n")
    return python


def bench_trdg(args, work: Path, peers: Path) -> tuple[list[Job], str | None]:
    try:
        python = make_venv(peers / "trdg", TRDG_PIP)
    except subprocess.CalledProcessError as exc:
        return [], f"trdg skipped: installing it failed ({exc}); see PEERS.md for the install that works"
    trdg = python.parent / "trdg"
    rows = []
    for workers in args.workers:

        def cmd_for(out: Path, workers=workers):
            # -f 32: 32 px high; -b 0: gaussian noise; -k 5 -rk: skew in [-5, 5]; -bl 1 -rbl: blur
            # radius in [0, 1]; -na 2: numbered PNGs plus labels.txt; -w 1: one word per image.
            flags = f"-c {args.crops} -l en -w 1 -f 32 -b 0 -k 5 -rk -bl 1 -rbl -e png -na 2 -t {workers}"
            return [trdg, "--output_dir", out, *flags.split()]

        def count_for(out: Path):
            crops = sorted(out.glob("*.png"))
            labels = out / "labels.txt"
            labelled = len(labels.read_text(encoding="utf-8").splitlines()) if labels.exists() else 0
            return min(len(crops), labelled), crops

        rows.append(Job("trdg 1.8.0", "crops", workers, args.crops, cmd_for, count_for, work))
    return rows, None


def bench_synthtiger(args, work: Path, peers: Path) -> tuple[list[Job], str | None]:
    root = args.synthtiger_root
    missing = [f for f in SYNTHTIGER_FILES if root is None or not (root / f).exists()]
    if missing:
        where = f"in {root}" if root is not None else "(no --synthtiger-root given)"
        return [], (
            "SynthTIGER skipped: its wheel holds code only; it needs "
            + ", ".join(SYNTHTIGER_FILES)
            + f" from a checkout of https://github.com/clovaai/synthtiger, missing {where}: "
            + ", ".join(missing)
            + ". Pass --synthtiger-root CHECKOUT."
        )
    try:
        python = make_venv(peers / "synthtiger", [SYNTHTIGER_PIP])
    except subprocess.CalledProcessError as exc:
        return [], f"SynthTIGER skipped: installing it failed ({exc})"
    rows = []
    for workers in args.workers:

        def cmd_for(out: Path, workers=workers):
            template = "examples/synthtiger/template.py SynthTiger examples/synthtiger/config_horizontal.yaml"
            return [python.parent / "synthtiger", "-o", out, *f"-c {args.crops} -w {workers} -v {template}".split()]

        def count_for(out: Path):
            crops = sorted((out / "images").rglob("*.jpg")) if (out / "images").exists() else []
            gt = out / "gt.txt"
            labelled = len(gt.read_text(encoding="utf-8").splitlines()) if gt.exists() else 0
            return min(len(crops), labelled), crops

        rows.append(Job("SynthTIGER 1.2.1", "crops", workers, args.crops, cmd_for, count_for, root))
    return rows, None


# ---- synthgen ----------------------------------------------------------------------------------


def synthgen_cmd(args, config: Path, overrides: list[str], out: Path, num: int, workers: int) -> list:
    flags = f"--workers {workers} --no-progress --num {num}".split()
    return [args.python, "-m", "synthgen", "generate", config, "-o", out, *flags, *overrides]


def bench_synthgen(args, work: Path) -> tuple[list[Job], list[str]]:
    sys.path.insert(0, str(ROOT))
    from synthgen.formats.recognition import read_recognition_tsv

    # Bytecode, as a pip install compiles it (and as the peers' wheels have it): an editable
    # install under PYTHONDONTWRITEBYTECODE=1 would recompile synthgen on every start (~0.1 s).
    subprocess.run([str(args.python), "-m", "compileall", "-q", str(ROOT / "synthgen")], check=True)

    notes = []
    rec_config, rec_overrides = args.recognition_config, args.recognition_overrides
    if not rec_config.exists():
        notes.append(
            f"{rec_config.relative_to(ROOT) if rec_config.is_relative_to(ROOT) else rec_config} not found: "
            f"recognition uses {FALLBACK_CONFIG.relative_to(ROOT)} with crop-like overrides (no blur)"
        )
        rec_config, rec_overrides = FALLBACK_CONFIG, FALLBACK_RECOGNITION
    wild_config, wild_overrides = args.wild_config, args.wild_overrides
    if not wild_config.exists():
        notes.append(
            f"{wild_config.relative_to(ROOT) if wild_config.is_relative_to(ROOT) else wild_config} not found: "
            f"detection uses {FALLBACK_CONFIG.relative_to(ROOT)} at 512x512 with COCO and ICDAR"
        )
        wild_config, wild_overrides = FALLBACK_CONFIG, FALLBACK_WILD

    def crops_of(out: Path):
        pairs = read_recognition_tsv(out / "recognition" / "labels.tsv")
        return len(pairs), [out / "recognition" / p for p, _ in pairs]

    def scenes_of(out: Path):
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        return manifest["counts"]["samples"], []

    rows = []
    if args.baseline is not None:
        base = args.baseline.resolve()
        subprocess.run([str(args.python), "-m", "compileall", "-q", str(base / "synthgen")], check=True)
        base_config = base / rec_config.relative_to(ROOT) if rec_config.is_relative_to(ROOT) else rec_config
        for workers in args.workers:
            # run from the checkout's root: ``python -m synthgen`` imports the synthgen found there
            rows.append(
                Job(
                    f"synthgen @ {args.baseline_label or base.name}",
                    "crops",
                    workers,
                    args.crops,
                    lambda out, w=workers: synthgen_cmd(args, base_config, rec_overrides, out, args.crops, w),
                    crops_of,
                    base,
                )
            )
    # The same crops without the augment stage: what the blur (kornia, and torch's import) costs.
    plain = [o for o in rec_overrides if not o.startswith("augment.")]
    variants = [("crops", rec_overrides)] + ([("crops, no augment", plain)] if plain != rec_overrides else [])
    for task, overrides in variants:
        for workers in args.workers:
            rows.append(
                Job(
                    "synthgen",
                    task,
                    workers,
                    args.crops,
                    lambda out, w=workers, o=overrides: synthgen_cmd(args, rec_config, o, out, args.crops, w),
                    crops_of,
                    ROOT,
                )
            )
    for workers in args.workers if args.scenes > 0 else ():
        rows.append(
            Job(
                "synthgen",
                "scenes",
                workers,
                args.scenes,
                lambda out, w=workers: synthgen_cmd(args, wild_config, wild_overrides, out, args.scenes, w),
                scenes_of,
                ROOT,
            )
        )
    for name in ("ocr_document", "ocr_receipt"):
        config = ROOT / "configs" / f"{name}.yaml"
        if not config.exists() or args.pages <= 0:
            continue
        for workers in args.workers:
            rows.append(
                Job(
                    "synthgen",
                    name.removeprefix("ocr_") + " pages",
                    workers,
                    args.pages,
                    lambda out, w=workers, c=config: synthgen_cmd(args, c, [], out, args.pages, w),
                    scenes_of,
                    ROOT,
                )
            )
    return rows, notes


# ---- report ------------------------------------------------------------------------------------


def quote(cmd: list[str], work: Path) -> str:
    import shlex

    text = " ".join(shlex.quote(c) for c in cmd).replace(str(work), "$TMP").replace(str(ROOT) + "/", "")
    return f"`{text}`"


def table(rows: list[Row], work: Path, synthtext_spi: float) -> str:
    trdg = {r.workers: r.rate for r in rows if r.tool.startswith("trdg")}
    lines = [
        (
            "| tool | output | workers | made / asked | seconds | per second | vs reference, same workers "
            "| median crop h | peak RSS largest / tree (MB) | command |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r.task.startswith("crops"):
            ref = f"{r.rate / trdg[r.workers]:.1f}x trdg" if r.workers in trdg else "n/a (no trdg)"
        elif r.task == "scenes":
            ref = f"{r.rate * synthtext_spi:.0f}x SynthText*"
        else:
            ref = "-"  # pages: no peer makes them here
        height = f"{r.crop_height:.0f}" if r.crop_height is not None else "-"
        lines.append(
            f"| {r.tool} | {r.task} | {r.workers} | {r.made} / {r.asked} | {r.seconds:.1f} | {r.rate:.1f} | {ref} "
            f"| {height} | {r.largest_mb:.0f} / {r.tree_mb:.0f} | {quote(r.command, work)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--crops", type=int, default=2000, help="word crops per recognition run (default 2000)")
    parser.add_argument("--scenes", type=int, default=60, help="scenes per detection run (default 60; 0 skips)")
    parser.add_argument(
        "--pages", type=int, default=40, help="document and receipt pages per run, synthgen only (default 40; 0 skips)"
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts (default 1 2)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per figure; the median is reported")
    parser.add_argument("--recognition-config", type=Path, default=RECOGNITION_CONFIG)
    parser.add_argument(
        "--recognition-overrides",
        nargs="*",
        default=TRDG_LIKE,
        help="key=value overrides for --recognition-config (default: trdg's settings, see TRDG_LIKE)",
    )
    parser.add_argument("--wild-config", type=Path, default=WILD_CONFIG)
    parser.add_argument("--wild-overrides", nargs="*", default=[], help="key=value overrides for --wild-config")
    parser.add_argument("--python", default=sys.executable, help="interpreter with synthgen installed")
    parser.add_argument("--peers-dir", type=Path, help="keep the peers' virtualenvs here (default: a temp dir)")
    parser.add_argument("--synthtiger-root", type=Path, help="checkout of clovaai/synthtiger (templates, resources)")
    parser.add_argument(
        "--synthtext-seconds-per-image",
        type=float,
        default=3.0,
        help="reference SynthText speed for the detection ratio (default 3.0; not measured)",
    )
    parser.add_argument("--skip-peers", action="store_true", help="time synthgen only")
    parser.add_argument(
        "--baseline", type=Path, help="another synthgen checkout whose recognition crops are timed alongside"
    )
    parser.add_argument("--baseline-label", help="its name in the table (default: the folder's name)")
    args = parser.parse_args(argv)
    if args.crops < 1 or args.scenes < 0 or args.pages < 0 or args.repeats < 1 or min(args.workers) < 1:
        parser.error("--crops, --repeats and --workers must be >= 1, --scenes and --pages >= 0")
    if args.baseline is not None and not (args.baseline / "synthgen" / "__init__.py").is_file():
        parser.error(f"--baseline: no synthgen checkout at {args.baseline} (synthgen/__init__.py missing)")

    temp = Path(tempfile.mkdtemp(prefix="bench_ocr_"))
    work = temp / "runs"
    work.mkdir()
    peers = args.peers_dir or temp / "peers"
    peers.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    jobs: list[Job] = []
    rows: list[Row] = []
    try:
        if not args.skip_peers:
            for bench in (bench_trdg, bench_synthtiger):
                found, skipped = bench(args, work, peers)
                jobs += found
                if skipped:
                    notes.append(skipped)
                    print(skipped, file=sys.stderr)
        found, synthgen_notes = bench_synthgen(args, work)
        jobs += found
        notes += synthgen_notes
        rows = run_jobs(jobs, args.repeats, work)
    finally:
        shutil.rmtree(temp, ignore_errors=True)

    import os
    import platform

    print(
        f"\n{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}; one run per figure"
        if args.repeats == 1
        else f"\n{os.cpu_count()} CPUs; median of {args.repeats} runs per figure"
    )
    print()
    print(table(rows, temp, args.synthtext_seconds_per_image))
    print()
    print(f"* SynthText reference: {args.synthtext_seconds_per_image:g} s per image (not measured here).")
    for r in rows:
        if r.made < r.asked:
            print(f"- {r.tool} {r.task} w{r.workers}: made {r.made} of {r.asked} asked")
    for note in notes:
        print(f"- {note}")
    print(
        "- targets (issue 3): >= 5x trdg on recognition crops with all labels written; "
        ">= 20x SynthText on detection scenes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
