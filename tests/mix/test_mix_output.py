"""``synthgen mix`` keeps its output folder as ``generate`` does (issue #21), with the same functions
(``synthgen.engine.output``): a mix is marked (``.synthgen/dataset.json``, kind mix), ``--overwrite``
deletes the mix's own entries only, links are refused, one mix at a time holds the run lock,
damaged state is one line naming the entry (or, for a shard's own record, the shard made again),
a killed mix resumes to the same bytes and a full disk is one line."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from coco_sets import mix_yaml, write_coco
from dataset_damage import replace_by_file, replace_by_folder

from synthgen.engine.output import LOCK, MARKER, run_lock
from synthgen.errors import DatasetError
from synthgen.mix import load_mix_config, mix

pytestmark = pytest.mark.slow  # mixes generated and real datasets end to end, several per test

ROOT = Path(__file__).resolve().parents[2]
REAL = [["car"]] * 12 + [["person", "car"]] * 5 + [["bike"]] * 3
SYNTH = [["car", "car"]] * 20 + [["bike"]] * 4
BODY = """\
name: safe
seed: {seed}
shard_size: 3
categories: [car, person, bike]
sources:
  real: {{path: real, format: coco}}
  synth: {{path: synth, format: coco, real: false}}
splits: {{val: 0.2, test: 0.2}}
"""


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def tree_hashes(root: Path) -> dict[str, str]:
    return {k: hashlib.sha256(v).hexdigest() for k, v in files_of(root).items()}


def make_sets(folder: Path, seed: int = 5) -> Path:
    write_coco(folder / "real", REAL, tag=1)
    write_coco(folder / "synth", SYNTH, tag=2)
    return mix_yaml(folder, BODY.format(seed=seed))


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synthgen", *args], capture_output=True, text=True, cwd=ROOT)


def mix_cli(cfg: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return cli("mix", str(cfg), "-o", str(out), "--no-progress", *extra)


def one_line(proc: subprocess.CompletedProcess) -> str:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr[-3000:]
    return lines[0]


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> tuple[Path, Path]:
    """(config, a finished mix of it) to copy."""
    folder = tmp_path_factory.mktemp("mixed")
    cfg = make_sets(folder)
    mix(load_mix_config(cfg), folder / "done", progress=False)
    return cfg, folder / "done"


@pytest.fixture
def mixed(finished, tmp_path) -> tuple[Path, Path]:
    cfg, done = finished
    out = tmp_path / "out"
    shutil.copytree(done, out, symlinks=True)
    return cfg, out


def test_a_mix_is_marked_as_one(finished):
    _, done = finished
    marker = json.loads((done / MARKER).read_text())
    assert marker["format"] == "synthgen-dataset" and marker["kind"] == "mix"
    assert sorted(os.listdir(done / ".synthgen")) == ["dataset.json"]  # the lock goes with the run
    for split in ("train", "val", "test"):  # each split a dataset of its own
        assert "kind" not in json.loads((done / split / MARKER).read_text())


# --- --overwrite deletes the mix's own entries, and nothing of anyone else's ----------------------


@pytest.mark.parametrize("where", ["train/model.pt", "model.pt", "val/notes.txt"])
def test_overwrite_keeps_a_strangers_file_and_deletes_nothing(mixed, tmp_path, where):
    cfg, out = mixed
    (out / where).write_bytes(b"weights of a model trained on the mix")
    before = files_of(out)
    other = make_sets(tmp_path / "other", seed=6)
    line = one_line(mix_cli(other, out, "--overwrite"))
    stranger = Path(where)
    assert f"{out / stranger.parent if str(stranger.parent) != '.' else out}: holds {stranger.name!r}" in line, line
    assert "nothing was deleted" in line
    assert files_of(out) == before


def test_overwrite_of_a_folder_with_a_planted_mix_json_deletes_nothing(tmp_path):
    cfg = make_sets(tmp_path)
    out = tmp_path / "out"
    (out / "train").mkdir(parents=True)
    (out / "mix.json").write_text(json.dumps({"config_hash": "x", "plan_hash": "y"}))
    (out / "train" / "model.pt").write_bytes(b"weights")
    before = files_of(out)
    line = one_line(mix_cli(cfg, out, "--overwrite"))
    assert f"{out}: holds files that are not a synthgen mix; refusing to delete them" in line
    assert files_of(out) == before


def test_overwrite_replaces_a_mix_of_another_config(mixed, tmp_path):
    cfg, out = mixed
    other = make_sets(tmp_path / "other", seed=6)
    proc = mix_cli(other, out, "--overwrite")
    assert proc.returncode == 0, proc.stderr
    fresh = tmp_path / "fresh"
    assert mix_cli(other, fresh).returncode == 0
    assert tree_hashes(out) == tree_hashes(fresh)


def test_mix_and_generate_do_not_take_each_others_folders(mixed, tmp_path):
    cfg, out = mixed
    before = files_of(out)
    line = one_line(cli("generate", str(ROOT / "configs/text_words.yaml"), "-o", str(out), "--num", "2", "--overwrite"))
    assert f"{out}: holds a synthgen mix, not a dataset" in line
    assert files_of(out) == before
    line = one_line(mix_cli(cfg, out / "train", "--overwrite"))  # a split is a dataset, not a mix
    assert f"{out / 'train'}: holds a synthgen dataset, not a mix" in line
    assert files_of(out) == before


# --- links: never written or deleted through -------------------------------------------------------


@pytest.mark.parametrize("overwrite", [False, True], ids=["resume", "overwrite"])
@pytest.mark.parametrize("entry", ["train", "val/images", "report.json", ".synthgen"])
def test_a_symbolic_link_among_the_mix_entries_is_refused_and_its_target_untouched(mixed, tmp_path, entry, overwrite):
    cfg, out = mixed
    target = tmp_path / "elsewhere"
    (out / entry).rename(target)
    (out / entry).symlink_to(target, target_is_directory=target.is_dir())
    if entry != "report.json":
        (out / "report.json").unlink()  # a resume has something to write
    before_target = files_of(target) if target.is_dir() else {"": target.read_bytes()}
    before = files_of(out)
    line = one_line(mix_cli(cfg, out, *(["--overwrite"] if overwrite else [])))
    assert f"{out / entry}: is a symbolic link" in line, line
    assert (files_of(target) if target.is_dir() else {"": target.read_bytes()}) == before_target
    assert files_of(out) == before


def test_a_fresh_mix_into_a_folder_holding_only_a_link_is_refused(tmp_path):
    cfg = make_sets(tmp_path)
    (tmp_path / "target").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "train").symlink_to(tmp_path / "target", target_is_directory=True)
    line = one_line(mix_cli(cfg, tmp_path / "out"))
    assert "not a synthgen mix" in line and not any((tmp_path / "target").iterdir())


# --- one mix at a time -------------------------------------------------------------------------------


@pytest.mark.parametrize("overwrite", [False, True], ids=["resume", "overwrite"])
def test_a_second_mix_into_a_folder_in_use_is_refused_naming_the_holder(mixed, tmp_path, overwrite):
    cfg, out = mixed
    (out / "report.json").unlink()
    other = make_sets(tmp_path / "other", seed=6) if overwrite else cfg
    before = files_of(out)
    with run_lock(out):  # held by this process, as a running mix holds it
        line = one_line(mix_cli(other, out, *(["--overwrite"] if overwrite else [])))
        assert f"{out}: another synthgen run is writing here (pid {os.getpid()}, started " in line, line
        assert {k: v for k, v in files_of(out).items() if k != ".synthgen/lock"} == before
    assert files_of(out) == before


def start_mix(cfg: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "synthgen", "mix", str(cfg), "-o", str(out), "--no-progress", *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def wait_for(path_glob: tuple[Path, str], proc: subprocess.Popen, count: int) -> None:
    folder, pattern = path_glob
    deadline = time.time() + 120
    while time.time() < deadline and len(list(folder.glob(pattern))) < count:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.01)
    assert proc.poll() is None, "the mix ended before it could be interrupted"


BIG = """\
name: big
seed: 3
shard_size: 1
categories: [car, person, bike]
sources:
  real: {path: real, format: coco}
splits: {val: 0.1, test: 0.1}
"""


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A mix of 1,500 one-sample shards (long enough to be caught running), and its files."""
    folder = tmp_path_factory.mktemp("big")
    write_coco(folder / "real", [["car"], ["person", "car"], ["bike"]] * 500, tag=3)
    cfg = mix_yaml(folder, BIG)
    mix(load_mix_config(cfg), folder / "reference", progress=False, workers=1, executor="serial")
    return cfg, tree_hashes(folder / "reference")


@pytest.mark.slow
def test_two_mixes_at_once_the_second_refused_with_the_first_ones_pid(big, tmp_path):
    cfg, reference = big
    out = tmp_path / "out"
    first = start_mix(cfg, out, "--workers", "1", "--executor", "serial")
    try:
        wait_for((out / "train/.synthgen/shards", "shard_*.json"), first, 3)
        for extra in ([], ["--overwrite"]):
            line = one_line(mix_cli(cfg, out, *extra))
            assert f"another synthgen run is writing here (pid {first.pid}, started " in line, line
        _, err = first.communicate(timeout=300)
        assert first.returncode == 0, err
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert tree_hashes(out) == reference


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_mix_killed_midway_resumes_to_the_same_bytes(big, tmp_path):
    cfg, reference = big
    out = tmp_path / "out"
    proc = start_mix(cfg, out, "--workers", "2")
    try:
        wait_for((out / "train/.synthgen/shards", "shard_*.json"), proc, 5)
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # the main process only; its workers die with it
        proc.communicate()
    assert not (out / "report.json").exists()
    done = len(list((out / "train/.synthgen/shards").glob("shard_*.json")))
    rerun = mix_cli(cfg, out, "--workers", "2")  # the dead run's lock is free
    assert rerun.returncode == 0, rerun.stderr
    assert f" {done} reused)" in rerun.stdout, (done, rerun.stdout)
    assert tree_hashes(out) == reference


def test_a_full_disk_midway_is_one_line_and_the_rerun_completes_identically(finished, tmp_path, monkeypatch, capsys):
    from synthgen.cli import main
    from synthgen.mix import run as mix_run

    cfg, done = finished
    out = tmp_path / "out"
    commit = mix_run.commit_shard
    calls = 0

    def commit_until_full(folder, produced):
        nonlocal calls
        calls += 1
        if calls == 4:
            raise OSError(errno.ENOSPC, "No space left on device", str(Path(folder) / "images/000000009.png"))
        return commit(folder, produced)

    monkeypatch.setattr(mix_run, "commit_shard", commit_until_full)
    assert main(["mix", str(cfg), "-o", str(out), "--no-progress", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("synthgen: error: ") and "no space left" in err.lower(), err
    assert not (out / LOCK).exists() and not (out / "report.json").exists()
    monkeypatch.setattr(mix_run, "commit_shard", commit)
    assert main(["mix", str(cfg), "-o", str(out), "--no-progress"]) == 0
    assert tree_hashes(out) == tree_hashes(done)


# --- resuming over damaged state ------------------------------------------------------------------------


def _shard(out: Path, split: str, k: int) -> Path:
    return out / split / ".synthgen" / "shards" / f"shard_{k:06d}.json"


def _edit_record(path: Path, **changes) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


MADE_AGAIN = {  # a split's own record damaged: that shard is made again, the same bytes
    "record-a-list": lambda out: _shard(out, "train", 1).write_text("[1, 2]"),
    "record-samples-a-string": lambda out: _edit_record(_shard(out, "train", 1), samples="x"),
    "record-samples-of-numbers": lambda out: _edit_record(_shard(out, "val", 0), samples=[1, 2, 3]),
    "record-truncated": lambda out: _shard(out, "test", 0).write_bytes(_shard(out, "test", 0).read_bytes()[:40]),
    "record-nested-deep": lambda out: _shard(out, "train", 2).write_text("[" * 100000 + "]" * 100000),
    "image-deleted": lambda out: (out / "train/images/000000004.png").unlink(),
}
REFUSED = {  # something of another kind where the mix writes: (damage, the entry the line names)
    "mix-json-a-list": (lambda out: (out / "mix.json").write_text("[1, 2]"), "mix.json"),
    "mix-json-garbage": (lambda out: (out / "mix.json").write_bytes(b"\x00garbage{"), "mix.json"),
    "mix-json-a-folder": (lambda out: replace_by_folder(out / "mix.json"), "mix.json"),
    "report-a-folder": (lambda out: replace_by_folder(out / "report.json"), "report.json"),
    "lock-a-folder": (lambda out: (out / ".synthgen" / "lock").mkdir(), ".synthgen/lock"),
    "split-a-file": (lambda out: replace_by_file(out / "val"), "val"),
    "record-a-folder": (
        lambda out: replace_by_folder(_shard(out, "train", 1)),
        "train/.synthgen/shards/shard_000001.json",
    ),
    "split-manifest-a-list": (lambda out: (out / "train/manifest.json").write_text("[1]"), "train/manifest.json"),
    "split-lock-a-folder": (lambda out: (out / "train/.synthgen/lock").mkdir(), "train/.synthgen/lock"),
    "images-a-file": (lambda out: replace_by_file(out / "train/images"), "train/images"),
    "coco-a-folder": (lambda out: replace_by_folder(out / "test/annotations/coco.json"), "test/annotations/coco.json"),
    "shards-a-file": (lambda out: replace_by_file(out / "val/.synthgen/shards"), "val/.synthgen/shards"),
}


@pytest.mark.parametrize("case", MADE_AGAIN, ids=list(MADE_AGAIN))
def test_a_resume_over_a_damaged_record_or_image_makes_the_shard_again(finished, mixed, case):
    cfg, out = mixed
    MADE_AGAIN[case](out)
    summary = mix(load_mix_config(cfg), out, progress=False)
    assert summary.written == 3 and tree_hashes(out) == tree_hashes(finished[1])


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_a_resume_over_an_entry_of_the_wrong_kind_is_one_line_and_writes_nothing(mixed, case):
    cfg, out = mixed
    damage, entry = REFUSED[case]
    damage(out)
    before = files_of(out)
    line = one_line(mix_cli(cfg, out))
    assert line.startswith(f"synthgen: error: {out / entry}: "), line
    assert files_of(out) == before


def test_overwrite_replaces_a_mix_with_a_damaged_state(finished, mixed):
    cfg, out = mixed
    (out / "mix.json").write_text("[1, 2]")
    _shard(out, "train", 1).write_text("[1, 2]")
    proc = mix_cli(cfg, out, "--overwrite")
    assert proc.returncode == 0, proc.stderr
    assert tree_hashes(out) == tree_hashes(finished[1])


@pytest.mark.parametrize("case", ["split-manifest-a-list", "images-a-file", "coco-a-folder", "split-lock-a-folder"])
def test_overwrite_of_the_same_mix_with_a_damaged_split_replaces_it(finished, mixed, case):
    cfg, out = mixed
    REFUSED[case][0](out)
    summary = mix(load_mix_config(cfg), out, progress=False, overwrite=True)
    assert summary.reused == 0 and tree_hashes(out) == tree_hashes(finished[1])


def test_the_api_raises_one_dataset_error(mixed):
    cfg, out = mixed
    (out / "mix.json").write_text("[1, 2]")
    with pytest.raises(DatasetError, match=r"mix\.json: is not a mix's state"):
        mix(load_mix_config(cfg), out, progress=False)
