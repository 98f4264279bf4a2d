"""Mutated real datasets into ``synthgen mix``: every reader, a fixed number of seeded iterations.

The loop runs in ONE child process (``reader_fuzz.py``) under a 4 GB address-space limit, each
mix in-process through ``synthgen.cli.main``: a segfault or a runaway allocation (a NaN polygon
once made pycocotools allocate 22.8 GB) ends that process, not pytest, and the iteration it
died in is named. Each mutated dataset is mixed with ``on_bad: error`` and with ``on_bad: skip``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # mixes generated and real datasets end to end, several per test

ROOT = Path(__file__).resolve().parents[2]
ITERATIONS = 200  # 40 per format (COCO, YOLO, KITTI, ICDAR, recognition); ~15 s on 2 cores
SEED = 21


def _one_line(run: dict) -> bool:
    lines = run["stderr"].strip().splitlines()
    return len(lines) == 1 and lines[0].startswith("synthgen: error: ")


def _problems(result: dict) -> list[str]:
    """What is wrong with one iteration's two mixes, or []."""
    error, skip = result["error"], result["skip"]
    stem = Path(result["file"]).stem
    found = []
    for mode, run in (("error", error), ("skip", skip)):
        if run["rc"] not in (0, 2):
            found.append(f"on_bad {mode}: exit {run['rc']}: {run['stderr'][-1500:]}")
        elif run["rc"] == 2 and not (_one_line(run) and not run["out_exists"]):
            found.append(f"on_bad {mode}: exit 2 but not one line with nothing written: {run['stderr'][-600:]!r}")
        elif run["rc"] == 0 and run["stderr"].strip():
            found.append(f"on_bad {mode}: exit 0 with stderr {run['stderr'][-600:]!r}")
    if found:
        return found
    if error["rc"] == 2 and stem not in error["stderr"] and Path(result["file"]).parent.name not in error["stderr"]:
        found.append(f"the error line names neither the file nor its folder: {error['stderr']!r}")
    if error["rc"] == 2 and skip["rc"] == 0 and not any(stem in s["where"] + s["reason"] for s in skip["skips"]):
        found.append(f"refused with on_bad error, but skip lists no record of the file: {skip['skips']}")
    if error["rc"] == 0 and skip["rc"] == 0 and skip["skips"]:
        found.append(f"nothing refused with on_bad error, yet skip skipped {skip['skips']}")
    if error["rc"] == 0 and skip["rc"] == 2:
        found.append(f"read with on_bad error, refused with skip: {skip['stderr']!r}")
    if error["rc"] == 2 and skip["rc"] == 2 and error["stderr"] != skip["stderr"].replace("out_skip", "out_error"):
        found.append(f"a whole-file problem reads differently per mode: {error['stderr']!r} / {skip['stderr']!r}")
    return found


@pytest.mark.slow
def test_mutated_datasets_give_one_line_or_a_listed_skip(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests/mix/reader_fuzz.py"), str(tmp_path), str(ITERATIONS), str(SEED), "4"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    out = proc.stdout.splitlines()
    started = [line for line in out if line.startswith("start ")]
    assert proc.returncode == 0, f"the fuzz process ended with {proc.returncode} in {started[-1:]}: {proc.stderr[-2000:]}"
    results = [json.loads(line) for line in out if line.startswith("{")]
    assert len(results) == ITERATIONS
    failures = [(r["i"], r["format"], r["file"], r["mutation"], _problems(r)) for r in results if _problems(r)]
    assert not failures, "\n".join(map(str, failures[:10]))
    # the mutations reached every reader's checks: each format had records refused and skipped
    outcomes = Counter((r["format"], r["error"]["rc"], r["skip"]["rc"]) for r in results)
    for fmt in ("coco", "yolo", "kitti", "icdar", "recognition"):
        assert outcomes[(fmt, 2, 0)] >= 5, outcomes
