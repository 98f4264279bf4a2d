"""The ray executor: byte-identical to the process executor, and a worker killed mid-shard changes nothing."""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time
from pathlib import Path

import pytest
from test_determinism import tree_hashes

from synthgen.config import load_run_config
from synthgen.engine import generate

ray = pytest.importorskip("ray")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cluster():
    """A local 2-CPU Ray cluster (recent Ray wants RAY_AUTH_MODE=disabled for it, and a short
    temporary folder: its socket paths must fit in 107 bytes)."""
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    ray.init(num_cpus=2, _temp_dir=temp, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def config(name: str, overrides: list[str]):
    return load_run_config(ROOT / "configs" / f"{name}.yaml", overrides)


@pytest.mark.slow
def test_ray_gives_the_same_dataset_as_the_process_executor(tmp_path, cluster):
    cfg = config("ocr_wild", ["num_samples=8", "shard_size=2", "scene.params.width=320", "scene.params.height=240"])
    generate(cfg, tmp_path / "ray", workers=2, executor="ray", progress=False)
    generate(cfg, tmp_path / "process", workers=2, executor="process", progress=False)
    assert tree_hashes(tmp_path / "ray") == tree_hashes(tmp_path / "process")


@pytest.mark.slow
def test_ray_with_shared_output_writes_in_place(tmp_path, cluster):
    cfg = config("text_words", ["num_samples=6", "shard_size=2", "scene.params.width=160", "scene.params.height=120"])
    shared = config(
        "text_words",
        ["num_samples=6", "shard_size=2", "scene.params.width=160", "scene.params.height=120", "ray.shared_output=true"],
    )
    generate(shared, tmp_path / "ray", workers=2, executor="ray", progress=False)
    generate(cfg, tmp_path / "serial", executor="serial", progress=False)
    assert tree_hashes(tmp_path / "ray") == tree_hashes(tmp_path / "serial")


def _producer_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"ray::_produce" in cmdline:
            pids.append(int(entry.name))
    return pids


@pytest.mark.slow
def test_a_worker_killed_mid_shard_is_retried_and_changes_nothing(tmp_path, cluster):
    # document pages take ~0.1 s each: a 4-page shard is still being made when the kill lands
    cfg = config("ocr_document", ["num_samples=8", "shard_size=4"])
    errors: list[BaseException] = []

    def run():
        try:
            generate(cfg, tmp_path / "ray", workers=2, executor="ray", progress=False)
        except BaseException as exc:  # noqa: BLE001 - reported by the assert below
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    killed = None
    deadline = time.time() + 60
    while killed is None and time.time() < deadline and thread.is_alive():
        pids = _producer_pids()
        if pids:
            killed = pids[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.02)
    thread.join(timeout=300)
    assert killed is not None, "no Ray producer was seen running"
    assert not errors, errors
    generate(cfg, tmp_path / "serial", executor="serial", progress=False)
    assert tree_hashes(tmp_path / "ray") == tree_hashes(tmp_path / "serial")
