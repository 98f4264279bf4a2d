"""No lost data, no escape from OUT: overwrite deletes only a synthgen dataset's own files, links
inside OUT are refused, one run at a time, workers die with their parent, SIGTERM stops a run
as Ctrl-C does, killed runs' temp files are cleaned, plans are streamed."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dataset_damage import replace_by_file, replace_by_folder

from synthgen.config import load_run_config
from synthgen.engine import generate
from synthgen.engine.executors import IN_FLIGHT_PER_WORKER, process
from synthgen.engine.output import LOCK, MARKER, default_out, own_entries, remove_tree, run_lock
from synthgen.engine.run import plan
from synthgen.errors import DatasetError
from synthgen.formats import WRITERS

pytestmark = pytest.mark.slow  # runs the engine end to end in other processes: kill, resume, signals, Ray

ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(ROOT / "configs/text_words.yaml")
SMALL = ["scene.params.width=160", "scene.params.height=120", "scene.params.words=randint(2, 5)"]


def small_config(num: int = 12, shard: int = 3, extra: list[str] | None = None):
    return load_run_config(CONFIG, [f"num_samples={num}", f"shard_size={shard}", *SMALL, *(extra or [])])


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "preview.png"
    }


def cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synthgen", *args], capture_output=True, text=True, **kwargs)


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- 1. --overwrite deletes only a synthgen dataset, and only its own entries ---------------------


def test_overwrite_keeps_a_web_project_that_has_a_manifest(tmp_path):
    site = tmp_path / "site"
    (site / "images").mkdir(parents=True)
    (site / "manifest.json").write_text('{"name": "my web app", "icons": []}')
    (site / "index.html").write_text("<html></html>")
    (site / "images" / "logo.png").write_bytes(b"\x89PNG logo")
    before = files_of(site)
    with pytest.raises(DatasetError, match="not a synthgen dataset; refusing"):
        generate(small_config(num=2), site, overwrite=True, progress=False)
    with pytest.raises(DatasetError, match="holds no synthgen dataset"):
        generate(small_config(num=2), site, progress=False)
    assert files_of(site) == before and sorted(os.listdir(site)) == ["images", "index.html", "manifest.json"]
    proc = cli("generate", CONFIG, "-o", str(site), "--num", "2", "--overwrite", *SMALL)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and str(site) in proc.stderr
    assert files_of(site) == before


def test_overwrite_refuses_a_dataset_folder_holding_a_strangers_file(tmp_path):
    out = tmp_path / "d"
    generate(small_config(num=3), out, progress=False)
    (out / "notes.txt").write_text("mine")
    before = files_of(out)
    proc = cli("generate", CONFIG, "-o", str(out), "--num", "3", "--overwrite", "scene.params.font_size=30", *SMALL)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("synthgen: error: ") and len(proc.stderr.strip().splitlines()) == 1
    assert "'notes.txt'" in proc.stderr and "nothing was deleted" in proc.stderr
    assert files_of(out) == before


def test_overwrite_replaces_a_dataset_and_its_leftovers(tmp_path):
    out = tmp_path / "d"
    generate(small_config(num=3, extra=["outputs=[coco,recognition,icdar]"]), out, progress=False)
    (out / ".manifest.json.tmp4242").write_text("half a manifest of a killed run")
    (out / "preview.png").write_bytes(b"png")
    other = small_config(num=2, extra=["scene.params.font_size=30"])
    generate(other, out, overwrite=True, progress=False)
    fresh = tmp_path / "fresh"
    generate(other, fresh, progress=False)
    assert tree_hashes(out) == tree_hashes(fresh)  # nothing of the old dataset is left


def test_own_entries_come_from_the_writers():
    own = own_entries()
    for name in WRITERS.names():
        writer = WRITERS.get(name)
        assert writer.entries, f"writer {name} declares no entries"
        assert set(writer.entries) <= own
    assert {"images", ".synthgen", "manifest.json", "preview.png", "annotations", "recognition"} <= own


def test_dataset_marker_is_repeated_by_the_manifest(tmp_path):
    out = tmp_path / "d"
    generate(small_config(num=2), out, progress=False)
    marker = json.loads((out / MARKER).read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert marker["format"] == "synthgen-dataset" and marker["id"] == manifest["dataset_id"]
    # A manifest dropped into a dataset that is not its own is refused, not overwritten.
    manifest["dataset_id"] = "0" * 32
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DatasetError, match="is not the manifest of the dataset"):
        generate(small_config(num=2), out, overwrite=True, progress=False)


def test_a_run_killed_after_its_marker_is_resumed(tmp_path):
    # A folder holding only the marker (a run killed before its first shard) is this dataset.
    out = tmp_path / "d"
    generate(small_config(num=2), out, progress=False)
    marker = (out / MARKER).read_bytes()
    reference = tree_hashes(out)
    for child in os.listdir(out):
        remove_tree(out / child, out)
    (out / MARKER).parent.mkdir()
    (out / MARKER).write_bytes(marker)
    generate(small_config(num=2), out, progress=False)
    assert tree_hashes(out) == reference


# --- 2. no writing or deleting through links -----------------------------------------------------


@pytest.mark.parametrize("entry", [".synthgen", "images", "annotations"])
def test_links_inside_out_are_refused(tmp_path, entry):
    out = tmp_path / "d"
    generate(small_config(num=3), out, progress=False)
    victim = tmp_path / "victim"
    (victim / "tmp").mkdir(parents=True)
    (victim / "tmp" / "precious.txt").write_text("keep")
    os.rename(out / entry, victim / "moved")
    os.symlink(victim, out / entry)
    before = files_of(victim)
    for overwrite in (False, True):
        with pytest.raises(DatasetError, match=f"{entry}: is a symbolic link"):
            generate(small_config(num=3), out, overwrite=overwrite, progress=False)
    proc = cli("generate", CONFIG, "-o", str(out), "--num", "3", *SMALL)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert str(out / entry) in proc.stderr
    assert files_of(victim) == before


def test_a_link_deeper_inside_is_refused(tmp_path):
    out = tmp_path / "d"
    generate(small_config(num=3, extra=["outputs=[coco,recognition]"]), out, progress=False)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "data.mdb").write_bytes(b"someone else's")
    remove_tree(out / "recognition" / "lmdb", out)
    os.symlink(victim, out / "recognition" / "lmdb")
    with pytest.raises(DatasetError, match="lmdb: is a symbolic link"):
        generate(small_config(num=3, extra=["outputs=[coco,recognition]"]), out, progress=False)
    assert (victim / "data.mdb").read_bytes() == b"someone else's"


def test_the_link_check_skips_staging_that_another_run_moves_away(tmp_path, monkeypatch):
    """The check before the lock walks a folder another run is writing: a staging folder it
    renames away between the listing and the look inside is skipped; a link is still refused."""
    from synthgen.engine import output

    out = tmp_path / "d"
    generate(small_config(num=3), out, progress=False)
    staging = out / ".synthgen" / "tmp" / "shard_000001.4242"
    staging.mkdir(parents=True)
    real_scandir = os.scandir
    moved = []

    def racing_scandir(path):
        if isinstance(path, (str, os.PathLike)) and Path(path) == staging and not moved:
            staging.rmdir()  # the other run finished this shard just now
            moved.append(path)
        return real_scandir(path)

    monkeypatch.setattr(output.os, "scandir", racing_scandir)
    output.refuse_links(out)  # no FileNotFoundError
    assert moved
    staging.mkdir()
    os.symlink(tmp_path, staging / "escape")
    with pytest.raises(DatasetError, match="escape: is a symbolic link"):
        output.refuse_links(out)


def test_remove_tree_never_crosses_a_link(tmp_path):
    out = tmp_path / "d"
    victim = tmp_path / "victim"
    (victim / "tmp").mkdir(parents=True)
    out.mkdir()
    os.symlink(victim, out / ".synthgen")
    with pytest.raises(DatasetError, match="is a symbolic link"):
        remove_tree(out / ".synthgen" / "tmp", out)
    with pytest.raises(DatasetError, match="is a symbolic link"):
        remove_tree(out / ".synthgen", out)
    assert (victim / "tmp").is_dir()


# --- 3. the default output folder stays inside out/ ----------------------------------------------


def test_default_out_is_confined(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert default_out("words") == Path("out/words")
    for name in ("../escape", "a/../../escape", "/etc", "", ".", "a/.."):
        with pytest.raises(DatasetError, match="outside"):
            default_out(name)
    (tmp_path / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "out" / "linked")
    with pytest.raises(DatasetError, match="outside"):
        default_out("linked")
    # The engine checks it whatever the config loader let through.
    config = dataclasses.replace(small_config(num=2), name="../escape")
    with pytest.raises(DatasetError, match="outside"):
        generate(config, progress=False)
    assert sorted(os.listdir(tmp_path)) == ["elsewhere", "out"]
    generate(dataclasses.replace(config, name="inside"), progress=False)
    assert (tmp_path / "out" / "inside" / "manifest.json").is_file()


# --- 4. one run at a time -------------------------------------------------------------------------


def test_a_second_run_into_a_locked_folder_is_refused(tmp_path):
    out = tmp_path / "d"
    generate(small_config(num=2), out, progress=False)
    assert not (out / LOCK).exists()  # a finished run leaves no lock
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import sys, time; from pathlib import Path; from synthgen.engine.output import run_lock\n"
            f"with run_lock(Path({str(out)!r})):\n    print('locked', flush=True); time.sleep(60)\n"
        )],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = files_of(out)
        with pytest.raises(DatasetError, match=rf"another synthgen run is writing here \(pid {holder.pid}, started"):
            generate(small_config(num=2), out, progress=False)
        proc = cli("generate", CONFIG, "-o", str(out), "--num", "2", "--overwrite", *SMALL)
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
        assert f"pid {holder.pid}" in proc.stderr
        assert files_of(out) == before
    finally:
        holder.kill()  # dies holding the lock: the kernel frees it
        holder.wait()
    assert (out / LOCK).exists()
    again = generate(small_config(num=2), out, progress=False)
    assert again.reused == 2 and not (out / LOCK).exists()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the workers through /proc")
def test_a_second_cli_run_leaves_the_first_alone(tmp_path):
    out = tmp_path / "d"
    first = start_run(out, num=600)  # ~6 s: long enough for the second run to start while it writes
    try:
        wait_for_shards(out, first)
        second = cli("generate", CONFIG, "-o", str(out), "--workers", "2", "--no-progress",
                     "num_samples=600", "shard_size=2", *SMALL)
        assert second.returncode == 2 and len(second.stderr.strip().splitlines()) == 1
        assert f"another synthgen run is writing here (pid {first.pid}, started" in second.stderr
        # The first run finishes: the second deleted none of its staging.
        _, stderr = first.communicate(timeout=120)
        assert first.returncode == 0, stderr
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


def test_run_lock_is_exclusive_within_a_process_too(tmp_path):
    (tmp_path / ".synthgen").mkdir()
    with run_lock(tmp_path), pytest.raises(DatasetError, match=f"pid {os.getpid()}"), run_lock(tmp_path):
        pass
    with run_lock(tmp_path):  # released
        pass


# --- 5. workers die with their parent; SIGTERM stops a run like Ctrl-C ----------------------------


def children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry.name))
    return kids


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _as_in_a_terminal() -> None:
    # A run started from a terminal gets Ctrl-C; one started in the background by a shell without
    # job control (`cmd &` in a script, as a CI job may run the tests) inherits SIGINT ignored, and
    # Python, like any program, keeps it ignored. The run under test is the terminal's.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_run(out: Path, num: int = 600) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "synthgen", "generate", CONFIG, "-o", str(out), "--workers", "2", "--no-progress",
           f"num_samples={num}", "shard_size=2", *SMALL]
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=_as_in_a_terminal,
    )  # fmt: skip


def wait_for_shards(out: Path, proc: subprocess.Popen, count: int = 3) -> None:
    shards = out / ".synthgen" / "shards"
    deadline = time.time() + 60
    while time.time() < deadline and len(list(shards.glob("shard_*.json"))) < count:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)


def open_files(pid: int) -> set[str]:
    """What a live process's descriptors point at; one closed between the listing and its readlink is skipped."""
    out = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            out.add(os.readlink(fd))
        except FileNotFoundError:
            continue
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the workers through /proc")
def test_workers_exit_when_the_main_process_is_killed(tmp_path):
    out = tmp_path / "d"
    proc = start_run(out)
    workers: list[int] = []
    try:
        wait_for_shards(out, proc)
        workers = children(proc.pid)
        assert len(workers) >= 2, workers
        lock = str(out / LOCK)
        assert lock in open_files(proc.pid)
        for w in workers:  # the workers do not hold the run's lock: it dies with the main process
            assert lock not in open_files(w)
        os.kill(proc.pid, signal.SIGKILL)  # the main process only, not its group
        proc.wait()
        deadline = time.time() + 20  # a loaded machine schedules the kill late
        while time.time() < deadline and any(alive(w) for w in workers):
            time.sleep(0.05)
        assert not any(alive(w) for w in workers), "workers outlived their parent"
        assert generate(small_config(num=600, shard=2), out, workers=2, progress=False).samples == 600  # lock free
    finally:
        for w in workers:
            if alive(w):
                os.kill(w, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def reference_200(tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("reference") / "d"
    generate(small_config(num=200, shard=2), out, workers=1, progress=False)
    return tree_hashes(out)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the workers through /proc")
@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")],
    ids=["SIGTERM", "SIGINT"],
)
def test_a_signal_stops_the_run_in_one_line_and_the_rerun_completes_identically(tmp_path, reference_200, signum, code, message):
    out = tmp_path / "d"
    proc = start_run(out, num=200)
    wait_for_shards(out, proc)
    workers = children(proc.pid)
    proc.send_signal(signum)  # to the main process alone (a terminal's Ctrl-C reaches the workers too)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == code, stderr
    assert stderr.strip() == f"synthgen: {message}; rerun the same command to resume"
    deadline = time.time() + 5
    while time.time() < deadline and any(alive(w) for w in workers):
        time.sleep(0.05)
    assert not any(alive(w) for w in workers)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "incomplete" and "shards" not in manifest  # the running manifest stays small
    assert not (out / "annotations" / "coco.json").exists() and not (out / LOCK).exists()
    done = len(list((out / ".synthgen" / "shards").glob("shard_*.json")))
    assert 3 <= done < 100
    rerun = cli("generate", CONFIG, "-o", str(out), "--workers", "2", "--no-progress",
                "num_samples=200", "shard_size=2", *SMALL)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{done * 2} reused" in rerun.stdout
    assert tree_hashes(out) == reference_200


def test_without_prctl_a_worker_still_exits_with_its_parent(tmp_path):
    # The fallback for platforms without PR_SET_PDEATHSIG: a thread that watches os.getppid().
    pid_file = tmp_path / "grandchild.pid"
    code = (
        "import os, time\n"
        "from synthgen.engine import context\n"
        "if os.fork() == 0:\n"
        "    context._set_parent_death_signal = lambda signum: False\n"
        "    context.exit_with_parent(os.getppid())\n"
        f"    open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "    time.sleep(60)\n"
        "    os._exit(0)\n"
        f"while not os.path.exists({str(pid_file)!r}): time.sleep(0.01)\n"
        "time.sleep(0.1)\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=30)
    grandchild = int(pid_file.read_text())
    deadline = time.time() + 5
    while time.time() < deadline and alive(grandchild):
        time.sleep(0.05)
    dead = not alive(grandchild)
    if not dead:
        os.kill(grandchild, signal.SIGKILL)
    assert dead, "the watcher thread did not end the orphaned worker"


def test_a_worker_whose_parent_is_already_gone_exits_at_once(tmp_path):
    code = "import os\nfrom synthgen.engine import context\ncontext.exit_with_parent(os.getppid() + 100000)\nprint('alive')\n"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1 and "alive" not in proc.stdout


# --- 6. temp files and folders of killed runs are cleaned, and only those -------------------------


def test_leftovers_of_every_writer_are_cleaned_and_nothing_else(tmp_path):
    extra = ["outputs=[coco,recognition,icdar]"]
    out = tmp_path / "d"
    generate(small_config(num=4, extra=extra), out, progress=False)
    reference = tree_hashes(out)
    planted = [
        "recognition/.lmdb.tmp99999/data.mdb",
        "recognition/.lmdb.old99999/data.mdb",
        "recognition/.labels.tsv.tmp99999",
        "annotations/.coco.json.tmp99999",
        ".manifest.json.tmp99999",
        ".synthgen/.dataset.json.tmp99999",
        ".synthgen/shards/.shard_000000.json.tmp99999",
        ".synthgen/tmp/shard_000001.99999/images/000000003.png",
    ]
    for rel in planted:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(b"left by a killed run")
    # Names that synthgen never makes, beside the dataset: not synthgen's to delete.
    kept = [".notes.txt.tmp99999", "notes.tmp1"]
    for rel in kept:
        (out / rel).write_bytes(b"the user's")
    again = generate(small_config(num=4, extra=extra), out, progress=False)
    assert again.reused == 4
    assert all(not (out / rel).exists() for rel in planted)
    assert not (out / "recognition" / ".lmdb.tmp99999").exists()
    assert all((out / rel).read_bytes() == b"the user's" for rel in kept)
    assert {k: v for k, v in tree_hashes(out).items() if k not in kept} == reference


# --- 7. plans are streamed -----------------------------------------------------------------------


def test_the_plan_is_a_stream(tmp_path):
    config = dataclasses.replace(small_config(num=2), num_samples=10**12)
    jobs = plan(config, tmp_path)
    assert not isinstance(jobs, list | tuple)
    first = list(itertools.islice(jobs, 3))
    assert [(j.shard, j.first, j.count) for j in first] == [(0, 0, 3), (1, 3, 3), (2, 6, 3)]


def test_the_process_executor_takes_jobs_as_workers_free_up(tmp_path):
    config = small_config(num=3000, shard=1)
    pulled = 0

    def jobs():
        nonlocal pulled
        for job in plan(config, tmp_path):
            pulled += 1
            yield job

    produced = process(jobs(), 2)
    first = next(produced)
    assert first.count == 1
    assert pulled <= IN_FLIGHT_PER_WORKER * 2 + 2, pulled  # not the 3000 jobs of the plan
    produced.close()  # stops the pool's workers


def test_a_run_killed_while_marking_its_folder_is_not_a_stranger(tmp_path):
    out = tmp_path / "d"
    (out / ".synthgen").mkdir(parents=True)
    (out / ".synthgen" / "lock").write_text("pid 99999, started 2026-01-01T00:00:00Z\n")
    (out / ".synthgen" / ".dataset.json.tmp99999").write_text('{"format": "synth')
    generate(small_config(num=2), out, progress=False)
    assert sorted(os.listdir(out / ".synthgen")) == ["dataset.json", "shards"]


# --- resuming over damaged state: made again when synthgen's own record is damaged, one line when
# something of another kind stands where synthgen writes -------------------------------------------


def _shard(out: Path, k: int) -> Path:
    return out / ".synthgen" / "shards" / f"shard_{k:06d}.json"


MADE_AGAIN = {  # damage that a resume repairs: the shard is made again, the same bytes
    "record-a-list": lambda out: _shard(out, 1).write_text("[1, 2]"),
    "record-samples-a-string": lambda out: _shard(out, 1).write_text(
        json.dumps({**json.loads(_shard(out, 1).read_text()), "samples": "x"})),
    "record-samples-of-numbers": lambda out: _shard(out, 2).write_text(
        json.dumps({**json.loads(_shard(out, 2).read_text()), "samples": [1, 2, 3]})),
    "record-truncated": lambda out: _shard(out, 0).write_bytes(_shard(out, 0).read_bytes()[:40]),
    "record-nested-deep": lambda out: _shard(out, 3).write_text("[" * 100000 + "]" * 100000),
    "image-deleted": lambda out: (out / "images" / "000000004.png").unlink(),
}
REFUSED = {  # something of another kind where synthgen writes: (damage, the entry the line names)
    "record-a-folder": (lambda out: replace_by_folder(_shard(out, 1)), ".synthgen/shards/shard_000001.json"),
    "manifest-a-list": (lambda out: (out / "manifest.json").write_text("[1]"), "manifest.json"),
    "manifest-files-a-list": (lambda out: (out / "manifest.json").write_text(
        json.dumps({**json.loads((out / "manifest.json").read_text()), "files": [1]})), "manifest.json"),
    "manifest-file-outside": (lambda out: (out / "manifest.json").write_text(
        json.dumps({**json.loads((out / "manifest.json").read_text()), "files": {"../x.json": "0"}})), "manifest.json"),
    "lock-a-folder": (lambda out: (out / ".synthgen" / "lock").mkdir(), ".synthgen/lock"),
    "images-a-file": (lambda out: replace_by_file(out / "images"), "images"),
    "annotations-a-file": (lambda out: replace_by_file(out / "annotations"), "annotations"),
    "coco-a-folder": (lambda out: replace_by_folder(out / "annotations" / "coco.json"), "annotations/coco.json"),
    "shards-a-file": (lambda out: replace_by_file(out / ".synthgen" / "shards"), ".synthgen/shards"),
    "an-image-a-folder": (lambda out: replace_by_folder(out / "images" / "000000004.png"), "images/000000004.png"),
}
# found as the shards are walked, after the run has refreshed its running manifest (nothing else)
FOUND_LATE = {"an-image-a-folder"}


@pytest.fixture(scope="module")
def finished_12(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("finished") / "ds"
    generate(small_config(), out, progress=False)
    return out


@pytest.mark.parametrize("case", MADE_AGAIN, ids=list(MADE_AGAIN))
def test_a_resume_over_a_damaged_record_or_image_makes_the_shard_again(finished_12, tmp_path, case):
    import shutil

    out = tmp_path / "ds"
    shutil.copytree(finished_12, out)
    MADE_AGAIN[case](out)
    summary = generate(small_config(), out, progress=False)
    assert summary.generated == 3 and tree_hashes(out) == tree_hashes(finished_12)


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_a_resume_over_an_entry_of_the_wrong_kind_is_one_line_and_writes_nothing(finished_12, tmp_path, case):
    import shutil

    out = tmp_path / "ds"
    shutil.copytree(finished_12, out)
    damage, entry = REFUSED[case]
    damage(out)
    before = files_of(out)
    proc = cli("generate", CONFIG, "-o", str(out), "--no-progress", "num_samples=12", "shard_size=3", *SMALL)
    err = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(err) == 1 and str(out / entry) in err[0], proc.stderr[-2000:]
    after = files_of(out)
    if case in FOUND_LATE:
        before.pop("manifest.json"), after.pop("manifest.json")
    assert after == before
