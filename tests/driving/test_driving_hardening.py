"""Driving runs under the engine's guarantees: killed with SIGKILL and rerun, a full disk midway,
and a second run into the folder: one line where it fails, the same bytes once it completes."""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("pyrender")

from synthgen.engine.output import LOCK, run_lock  # noqa: E402

pytestmark = pytest.mark.slow  # runs the engine end to end in other processes: kill, resume, signals, Ray

ARGS = ["generate", "driving", "--no-progress", "num_samples=24", "shard_size=2",
        "scene.params.width=96", "scene.params.height=64"]


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "manifest.json"  # the manifest names its source and time
    }


def run(out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synthgen", *ARGS, "-o", str(out), *extra],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("driving") / "ref"
    proc = run(out, "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    return tree_hashes(out)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_driving_run_killed_midway_resumes_to_the_same_bytes(reference, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "synthgen", *ARGS, "-o", str(out), "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    shards = out / ".synthgen" / "shards"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(shards.glob("shard_*.json"))) < 3:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # the main process only: its workers die with it
        proc.communicate()
    done = len(list(shards.glob("shard_*.json")))
    assert 3 <= done < 12, done
    rerun = run(out, "--workers", "2")  # the dead run's lock is free
    assert rerun.returncode == 0, rerun.stderr
    assert f"({24 - 2 * done} generated, {2 * done} reused)" in rerun.stdout, (done, rerun.stdout)
    assert tree_hashes(out) == reference


def test_a_full_disk_midway_is_one_line_and_the_rerun_completes_identically(reference, tmp_path, monkeypatch, capsys):
    import synthgen.engine.run as engine_run
    from synthgen.cli import main

    out = tmp_path / "out"
    commit = engine_run.commit_shard
    calls = 0

    def commit_until_full(folder, produced):
        nonlocal calls
        calls += 1
        if calls == 4:
            raise OSError(errno.ENOSPC, "No space left on device", str(Path(folder) / "images/000000006.png"))
        return commit(folder, produced)

    monkeypatch.setattr(engine_run, "commit_shard", commit_until_full)
    assert main([*ARGS, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no space left" in err.lower(), err
    assert not (out / LOCK).exists() and len(list((out / ".synthgen" / "shards").glob("shard_*.json"))) == 3
    monkeypatch.setattr(engine_run, "commit_shard", commit)
    assert main([*ARGS, "-o", str(out)]) == 0
    assert tree_hashes(out) == reference


def test_a_second_run_into_a_driving_folder_being_written_is_refused(tmp_path, capsys):
    from synthgen.cli import main

    out = tmp_path / "out"
    out.mkdir()
    with run_lock(out):  # as a running run holds it
        assert main([*ARGS, "-o", str(out)]) == 2
        assert main([*ARGS, "-o", str(out), "--overwrite"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all("another synthgen run is writing here (pid" in line for line in err), err
    assert sorted(p.name for p in out.iterdir()) == [".synthgen"]  # nothing else written
