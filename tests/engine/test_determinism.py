"""Same config + seed = byte-identical dataset, whatever the workers, and after a kill + resume."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synthgen.config import load_run_config
from synthgen.engine import generate
from synthgen.engine.seeds import stage_rng
from synthgen.errors import DatasetError

pytestmark = pytest.mark.slow  # runs the engine end to end in other processes: kill, resume, signals, Ray

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["scene.params.width=160", "scene.params.height=120", "scene.params.words=randint(2, 5)"]


def small_config(num: int = 12, shard: int = 3, extra: list[str] | None = None):
    return load_run_config(ROOT / "configs/text_words.yaml", [f"num_samples={num}", f"shard_size={shard}", *SMALL, *(extra or [])])


def tree_hashes(root: Path) -> dict[str, str]:
    """sha256 of every dataset file, the manifest's 'source' aside (it names the config path only)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "preview.png"
    }


def test_stage_generators_are_independent_and_stable():
    a = stage_rng(0, 5, "scene").integers(1 << 30, size=4)
    assert (a == stage_rng(0, 5, "scene").integers(1 << 30, size=4)).all()
    assert (a != stage_rng(0, 6, "scene").integers(1 << 30, size=4)).any()
    assert (a != stage_rng(1, 5, "scene").integers(1 << 30, size=4)).any()
    assert (a != stage_rng(0, 5, "augment").integers(1 << 30, size=4)).any()


def test_workers_1_and_2_give_identical_datasets(tmp_path):
    config = small_config()
    one = generate(config, tmp_path / "w1", workers=1, progress=False)
    two = generate(config, tmp_path / "w2", workers=2, progress=False)
    assert one.instances == two.instances > 0
    h1, h2 = tree_hashes(tmp_path / "w1"), tree_hashes(tmp_path / "w2")
    assert h1 == h2
    assert "annotations/coco.json" in h1 and len([k for k in h1 if k.startswith("images/")]) == 12


def test_workers_start_after_the_caller_used_opencv_threads(tmp_path):
    # A library user's process that ran OpenCV's thread pool before generate(workers=2): forked
    # workers inherit the pool without its threads, and used to wait for them forever.
    code = (
        "import sys, cv2, numpy as np\n"
        "from synthgen.config import load_run_config\n"
        "from synthgen.engine import generate\n"
        "cv2.GaussianBlur(np.zeros((1500, 1500, 3), np.uint8), (31, 31), 5)\n"
        "threads = cv2.getNumThreads()\n"
        f"c = load_run_config('configs/text_words.yaml', ['num_samples=4', 'shard_size=1', *{SMALL!r}])\n"
        f"generate(c, {str(tmp_path / 'out')!r}, workers=2, progress=False)\n"
        "print(cv2.getNumThreads() == threads)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True"  # the caller's OpenCV threads are given back
    assert len(list((tmp_path / "out" / "images").glob("*.png"))) == 4


def test_serial_executor_matches_process(tmp_path):
    config = small_config(num=6)
    generate(config, tmp_path / "a", workers=2, executor="process", progress=False)
    generate(config, tmp_path / "b", executor="serial", progress=False)
    assert tree_hashes(tmp_path / "a") == tree_hashes(tmp_path / "b")


def test_different_seed_changes_images(tmp_path):
    generate(small_config(num=3), tmp_path / "s0", progress=False)
    generate(small_config(num=3, extra=["seed=1"]), tmp_path / "s1", progress=False)
    h0, h1 = tree_hashes(tmp_path / "s0"), tree_hashes(tmp_path / "s1")
    assert all(h0[k] != h1[k] for k in h0 if k.startswith("images/"))


def test_rerun_skips_complete_shards_and_changes_nothing(tmp_path):
    config = small_config(num=6)
    first = generate(config, tmp_path / "d", progress=False)
    before = tree_hashes(tmp_path / "d")
    again = generate(config, tmp_path / "d", progress=False)
    assert first.generated == 6 and again.generated == 0 and again.reused == 6
    assert tree_hashes(tmp_path / "d") == before


def test_growing_num_samples_extends_dataset(tmp_path):
    generate(small_config(num=5, shard=3), tmp_path / "d", progress=False)
    grown = generate(small_config(num=9, shard=3), tmp_path / "d", progress=False)
    assert grown.reused == 3  # shard 0 kept; the partial shard 1 (3..4) is redone as 3..5
    generate(small_config(num=9, shard=3), tmp_path / "fresh", progress=False)
    assert tree_hashes(tmp_path / "d") == tree_hashes(tmp_path / "fresh")


@pytest.mark.slow
def test_killed_run_resumes_to_identical_dataset(tmp_path):
    cfg_args = ["num_samples=240", "shard_size=2", *SMALL]
    reference = tmp_path / "reference"
    generate(small_config(num=240, shard=2), reference, workers=1, progress=False)

    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "synthgen", "generate", str(ROOT / "configs/text_words.yaml"), "-o", str(out),
           "--workers", "2", "--no-progress", *cfg_args]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shards = out / ".synthgen" / "shards"
    deadline = time.time() + 60
    while time.time() < deadline and len(list(shards.glob("shard_*.json"))) < 3:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: the CLI and its workers
    proc.wait()
    done = len(list(shards.glob("shard_*.json")))
    assert 3 <= done < 120, f"kill landed at {done} of 120 shards"
    assert not (out / "annotations" / "coco.json").exists()

    rerun = subprocess.run(cmd, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{done * 2} reused" in rerun.stdout
    assert tree_hashes(out) == tree_hashes(reference)
    leftovers = [p for p in out.rglob("*") if ".tmp" in p.name or p.parent.name == "tmp"]
    assert leftovers == [] and not any((out / ".synthgen" / "tmp").glob("*"))


def test_refuses_folder_of_another_config(tmp_path):
    out = tmp_path / "d"
    generate(small_config(num=3), out, progress=False)
    before = tree_hashes(out)
    other = small_config(num=3, extra=["scene.params.font_size=30"])
    with pytest.raises(DatasetError, match=r"holds a dataset of a different config.*--overwrite"):
        generate(other, out, progress=False)
    assert tree_hashes(out) == before
    generate(other, out, overwrite=True, progress=False)
    assert tree_hashes(out) != before


def test_refuses_foreign_folder_even_with_overwrite(tmp_path):
    out = tmp_path / "home"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(DatasetError, match="holds no synthgen dataset"):
        generate(small_config(num=2), out, progress=False)
    with pytest.raises(DatasetError, match="not a synthgen dataset; refusing"):
        generate(small_config(num=2), out, overwrite=True, progress=False)
    assert (out / "thesis.tex").read_text() == "precious"


def test_refuses_shrinking(tmp_path):
    generate(small_config(num=6), tmp_path / "d", progress=False)
    with pytest.raises(DatasetError, match="holds 6 samples, more than the 4 asked"):
        generate(small_config(num=4), tmp_path / "d", progress=False)


def test_cli_refusal_is_one_line_exit_2(tmp_path):
    out = tmp_path / "d"
    generate(small_config(num=2), out, progress=False)
    proc = subprocess.run(
        [sys.executable, "-m", "synthgen", "generate", str(ROOT / "configs/text_words.yaml"), "-o", str(out),
         "--num", "2", "scene.params.font_size=40", *SMALL[:2]],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and str(out) in proc.stderr


def test_manifest_lists_shards_with_hashes(tmp_path):
    import json

    out = tmp_path / "d"
    generate(small_config(num=7, shard=3), out, progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert [(s["first"], s["count"]) for s in manifest["shards"]] == [(0, 3), (3, 3), (6, 1)]
    for s in manifest["shards"]:
        body = (out / ".synthgen" / "shards" / f"shard_{s['index']:06d}.json").read_bytes()
        assert hashlib.sha256(body).hexdigest() == s["sha256"]
    coco = (out / "annotations" / "coco.json").read_bytes()
    assert manifest["files"]["annotations/coco.json"] == hashlib.sha256(coco).hexdigest()
    assert manifest["counts"]["samples"] == 7 and manifest["config"]["scene"]["kind"] == "text_words"
