"""synthgen mix on generate's executors: the same bytes with 1 or 2 workers, serially, on Ray and
after an interrupted run resumed with 2 workers; progress lines in a log; --workers checked like
generate's; a generate source's samples made once each."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from coco_sets import mix_yaml, write_coco

from synthgen.mix import load_mix_config, mix

pytestmark = pytest.mark.slow  # mixes generated and real datasets end to end, several per test

ROOT = Path(__file__).resolve().parents[2]
REAL = [["car"]] * 12 + [["person", "car"]] * 5 + [["bike"]] * 3
SYNTH = [["car", "car"]] * 30 + [["bike"]] * 10
MADE = 6  # samples of the generate source
BODY = f"""\
name: x
seed: 5
shard_size: 4
categories: [car, person, bike, text]
sources:
  real: {{path: real, format: coco}}
  synth: {{path: synth, format: coco, real: false}}
  made: {{path: {ROOT / "configs/text_words.yaml"}, format: generate, real: false, count: 4,
          overrides: [num_samples={MADE}, shard_size=2, scene.params.width=96, scene.params.height=64,
                      "scene.params.font_size=randint(10, 14)"]}}
splits: {{val: 0.2, test: 0.2}}
strategy: {{ratio: {{real: 1, synthetic: 2}}}}
copy_paste: {{source: synth, p: 0.5, per_image: [1, 1], scale: [0.5, 1.0], categories: [bike], min_area: 4}}
outputs: [coco, yolo]
"""


@pytest.fixture
def sets(tmp_path):
    write_coco(tmp_path / "real", REAL, tag=1)
    write_coco(tmp_path / "synth", SYNTH, tag=2)
    mix_yaml(tmp_path, BODY)
    return tmp_path


def tree(root: Path) -> dict[str, str]:
    """Path -> sha256 of every file under root (the lock and state folders included)."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def run_mix(sets: Path, out: str, **kw):
    return mix(load_mix_config(sets / "mix.yaml"), sets / out, progress=False, **kw)


def test_one_or_two_workers_serial_or_interrupted_give_the_same_bytes(sets):
    one = run_mix(sets, "one", workers=1)
    run_mix(sets, "two", workers=2)
    run_mix(sets, "serial", workers=2, executor="serial")
    expected = tree(sets / "one")
    assert one.counts["train"] > 10 and any(k.startswith("train/yolo/") for k in expected)
    # the generate source's samples go when the mix is done; its marker stays
    assert os.listdir(sets / "one/.synthgen") == ["dataset.json"]
    assert tree(sets / "two") == expected and tree(sets / "serial") == expected
    # killed mid-run: the last train shard, a val shard and the report never written
    shards = sorted((sets / "two/train/.synthgen/shards").glob("*.json"))
    shards[-1].unlink()
    next((sets / "two/val/.synthgen/shards").glob("*.json")).unlink()
    (sets / "two/report.json").unlink()
    again = run_mix(sets, "two", workers=2)
    assert 0 < again.written < again.reused
    assert tree(sets / "two") == expected


def test_a_generate_source_makes_each_sample_once(sets, monkeypatch):
    from synthgen.engine import pipeline

    made: list[int] = []
    real_make = pipeline.pipeline_sample

    def counting(config, index, ctx):
        made.append(index)
        return real_make(config, index, ctx)

    monkeypatch.setattr(pipeline, "pipeline_sample", counting)
    summary = run_mix(sets, "out", workers=1)  # one worker: the pipeline runs in this process
    assert sorted(made) == list(range(MADE))  # each once: the plan's labels and the pixels of the same make
    from synthgen.dataset import read_dataset

    used = [s for s in read_dataset(sets / "out/train") if s.meta["source"] == "synthetic:made"]
    assert len(used) == 4 and summary.counts["train"] > len(used)


def test_cli_progress_lines_in_a_log_and_bad_workers(sets):
    args = [sys.executable, "-m", "synthgen", "mix", str(sets / "mix.yaml"), "-o", str(sets / "cli")]
    done = subprocess.run([*args, "--workers", "2"], capture_output=True, text=True, cwd=ROOT)  # stderr: a pipe
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert any(line.startswith("text_words: 6/6 samples (100%)") for line in lines), done.stderr  # generate source
    progress = [line for line in lines if line.startswith("x: ")]
    assert progress and progress[-1].startswith("x: ") and "samples (100%)" in progress[-1], done.stderr
    assert "x/train: writing coco, yolo ..." in lines
    assert all("\r" not in line for line in lines)
    bad_out = [*args[:-1], str(sets / "bad")]
    cases = [("0", "must be > 0, got 0"), ("-2", "must be > 0, got -2"), ("two", "expected a whole number")]
    for bad, message in cases:
        proc = subprocess.run([*bad_out, "--workers", bad], capture_output=True, text=True, cwd=ROOT)
        assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
        assert proc.stderr.startswith("synthgen: error: mix: argument --workers: ") and message in proc.stderr
        assert not (sets / "bad").exists()
    proc = subprocess.run([*bad_out, "--executor", "slurm"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert "--executor: unknown executor kind 'slurm'" in proc.stderr
    assert not (sets / "bad").exists()


@pytest.mark.slow
def test_ray_gives_the_same_mix(sets):
    ray = pytest.importorskip("ray")
    import tempfile

    run_mix(sets, "process", workers=2)
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # Ray's socket paths must fit in 107 bytes
    ray.init(num_cpus=2, _temp_dir=temp, include_dashboard=False, log_to_driver=False)
    try:
        run_mix(sets, "ray", workers=2, executor="ray")
    finally:
        ray.shutdown()
    assert tree(sets / "ray") == tree(sets / "process")
