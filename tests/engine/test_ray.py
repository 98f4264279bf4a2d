"""The ray executor: byte-identical to the process executor, and a worker killed mid-shard changes
nothing; bad ray: settings are refused at load, a cluster that cannot be joined is reported in one
line within ray.connect_timeout_s (SIGTERM while connecting stops at once), with OUT untouched; the
staging folders of dead producers are removed."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from test_determinism import tree_hashes

from synthgen.config import load_run_config
from synthgen.engine import generate
from synthgen.errors import ConfigError

pytestmark = pytest.mark.slow  # runs the engine end to end in other processes: kill, resume, signals, Ray

ray = pytest.importorskip("ray")
ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "synthgen", "generate", "text_words", "--num", "4", "--no-progress", "--executor", "ray"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("ray.num_cpus=0", "ray.num_cpus: must be >= 1"),
        ("ray.num_cpus=-2", "ray.num_cpus: must be >= 1"),
        ("ray.address=bogus", "ray.address: expected auto, host:port or ray://host:port, got 'bogus'"),
        ("ray.address=ray://head", "ray.address: expected auto, host:port or ray://host:port"),
        ("ray.address=head:0", "ray.address: port must be in 1..65535, got 0"),
        ("ray.address=head:70000", "ray.address: port must be in 1..65535, got 70000"),
        ("ray.address='http://head:8265'", "ray.address: expected auto, host:port or ray://host:port"),
        ("ray.connect_timeout_s=0", "ray.connect_timeout_s: must be > 0 and <= 3600 (seconds), got 0.0"),
    ],
)
def test_bad_ray_settings_are_refused_at_load(override, message):
    with pytest.raises(ConfigError) as caught:
        config("text_words", [override])
    assert str(caught.value).startswith(message), str(caught.value)


def test_good_ray_addresses_load():
    for address in ("auto", "127.0.0.1:6379", "head-node.example:6379", "ray://10.0.0.1:10001", "[::1]:6379"):
        assert config("text_words", [f"ray.address='{address}'"]).ray.address == address


def _cli(out: Path, *args: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    proc = subprocess.run([*CLI, "-o", str(out), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    return proc, time.monotonic() - start


def test_num_cpus_0_is_one_line_and_writes_nothing(tmp_path):
    proc, _ = _cli(tmp_path / "out", "ray.num_cpus=0")
    assert proc.returncode == 2 and proc.stderr.splitlines() == [
        "synthgen: error: ray.num_cpus: must be >= 1 (a cluster without CPUs never runs a shard), got 0"
    ], proc.stderr
    assert not (tmp_path / "out").exists()


def test_an_address_that_refuses_is_one_line_at_once_and_writes_nothing(tmp_path):
    # Ray itself retries 127.0.0.1:1 for about ten minutes (and ignores SIGTERM meanwhile)
    proc, seconds = _cli(tmp_path / "out", "--ray-address", "127.0.0.1:1")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        "synthgen: error: ray.address: no Ray cluster answers at '127.0.0.1:1' (connection refused)"
    ]
    assert seconds < 30 and not (tmp_path / "out").exists()


def test_mix_with_an_address_that_refuses_is_one_line_and_writes_nothing(tmp_path):
    real = config("text_words", ["num_samples=2", "scene.params.width=96", "scene.params.height=64"])
    generate(real, tmp_path / "real", executor="serial", progress=False)
    (tmp_path / "mix.yaml").write_text("name: x\ncategories: [text]\nsources:\n  real: {path: real, format: coco}\n")
    cmd = [sys.executable, "-m", "synthgen", "mix", str(tmp_path / "mix.yaml"), "-o", str(tmp_path / "out")]
    proc = subprocess.run(
        [*cmd, "--executor", "ray", "--ray-address", "127.0.0.1:1"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        "synthgen: error: ray.address: no Ray cluster answers at '127.0.0.1:1' (connection refused)"
    ]
    assert not (tmp_path / "out").exists()


def test_auto_without_a_cluster_is_one_line_and_writes_nothing(tmp_path):
    from ray._private.services import find_gcs_addresses

    if find_gcs_addresses() or os.environ.get("RAY_ADDRESS"):
        pytest.skip("a Ray cluster runs on this machine: 'auto' would join it")
    proc, seconds = _cli(tmp_path / "out", "--ray-address", "auto")
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith("synthgen: error: ray.address: cannot join the Ray cluster at 'auto' (")
    assert seconds < 30 and not (tmp_path / "out").exists()


@pytest.fixture
def silent_server():
    """A loopback port that takes TCP connections and never answers (a Ray client waits on it)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.getsockname()[1]}", accepted
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_an_address_that_never_answers_times_out_in_one_line(tmp_path, silent_server):
    address, _ = silent_server
    proc, seconds = _cli(tmp_path / "out", "--ray-address", address, "ray.connect_timeout_s=3")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        f"synthgen: error: ray.address: the Ray cluster at '{address}' did not answer within 3 s (ray.connect_timeout_s)"
    ]
    assert seconds < 20 and not (tmp_path / "out").exists()


def test_sigterm_while_connecting_stops_at_once_with_one_line(tmp_path, silent_server):
    address, accepted = silent_server
    out = tmp_path / "out"
    cmd = [*CLI, "-o", str(out), "--ray-address", address]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 8
        while not accepted and time.monotonic() < deadline:  # synthgen's probe; then Ray's connect begins
            time.sleep(0.05)
        time.sleep(1.5)
        proc.send_signal(signal.SIGTERM)
        start = time.monotonic()
        _, stderr = proc.communicate(timeout=10)
    finally:
        proc.kill()
        proc.wait()
    assert time.monotonic() - start < 10
    assert proc.returncode == 143, stderr
    assert stderr.splitlines() == ["synthgen: terminated; rerun the same command to resume"]
    assert not out.exists()


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
def test_ray_inserts_actors_into_frames_as_the_process_executor_does(tmp_path, cluster):
    """driving_insert on Ray: the frames are read in the Ray workers (lazily, by index), and the
    dataset (images, COCO, KITTI and YOLO labels) is the process executor's, byte for byte."""
    cfg = config("driving_insert", ["num_samples=8", "shard_size=2"])
    generate(cfg, tmp_path / "ray", workers=2, executor="ray", progress=False)
    generate(cfg, tmp_path / "process", workers=2, executor="process", progress=False)
    hashes = tree_hashes(tmp_path / "ray")
    assert sum(name.startswith("kitti/") for name in hashes) >= 8
    assert hashes == tree_hashes(tmp_path / "process")


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
    # the killed worker's staging folder was removed by a task after it (or by the driver at the end)
    assert not list(Path(tempfile.gettempdir()).glob(f"synthgen-shard*-p{killed}-*"))
    generate(cfg, tmp_path / "serial", executor="serial", progress=False)
    assert tree_hashes(tmp_path / "ray") == tree_hashes(tmp_path / "serial")


@pytest.mark.slow
def test_staging_folders_of_dead_producers_are_removed_and_live_ones_kept(tmp_path, cluster):
    root = Path(tempfile.gettempdir())  # where the cluster's tasks stage (they inherit this environment)
    dead = Path(tempfile.mkdtemp(prefix="synthgen-shard000007-p999999999-", dir=root))
    (dead / "images").mkdir()
    (dead / "images" / "000000028.png").write_bytes(b"left by a task killed mid-shard")
    live = Path(tempfile.mkdtemp(prefix="synthgen-shard000003-p1-", dir=root))
    fd = os.open(live, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held as a producer holds its own
    try:
        cfg = config("text_words", ["num_samples=4", "shard_size=2", "scene.params.width=96", "scene.params.height=64"])
        generate(cfg, tmp_path / "ray", workers=2, executor="ray", progress=False)
        assert not dead.exists()
        assert live.is_dir()
    finally:
        os.close(fd)
        subprocess.run(["rm", "-rf", str(live), str(dead)], check=True)
