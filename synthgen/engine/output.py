"""The output folder of a run: what synthgen owns in it, the run lock, and the checks that keep a
run inside what it created.

A synthgen dataset is recognised by its marker, ``OUT/.synthgen/dataset.json`` (a format tag and
the dataset id, which ``manifest.json`` repeats), written before anything else of the dataset;
a folder that merely holds a ``manifest.json`` is not one. ``--overwrite`` deletes only the
entries synthgen creates (``own_entries``: the engine's and those every writer declares) and
refuses a folder holding anything else. A symbolic link among those entries is refused, so a run
never writes or deletes through one. One run at a time holds ``OUT/.synthgen/lock`` (an OS lock
the kernel drops when its holder dies).

``synthgen mix`` keeps its output by the same rules, with the same functions: its marker says
``"kind": "mix"`` and its own entries are the mix's (``synthgen.mix.run.OWN``), each split a
dataset of its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from synthgen.engine.shards import IMAGES, STATE_DIR, staging_root
from synthgen.errors import DatasetError
from synthgen.formats.base import TEMP_NAME, write_atomic

MANIFEST = "manifest.json"
PREVIEW = "preview.png"  # written by ``synthgen preview`` (synthgen.preview)
MARKER = f"{STATE_DIR}/dataset.json"
LOCK = f"{STATE_DIR}/lock"
DATASET_FORMAT = "synthgen-dataset"
DATASET_KIND = "dataset"  # what ``generate`` writes; a marker without a kind is one (``mix`` writes "mix")
DEFAULT_ROOT = "out"


def own_entries() -> frozenset[str]:
    """The names directly under OUT that synthgen creates: the engine's, and every writer's."""
    from synthgen.formats import writer_entries

    names = {IMAGES, STATE_DIR, MANIFEST, PREVIEW}
    for entries in writer_entries().values():
        names.update(entries)
    return frozenset(names)


def is_own_entry(name: str, own: frozenset[str]) -> bool:
    """An entry of OUT that synthgen created: one of ``own``, or the temporary file of one."""
    match = TEMP_NAME.fullmatch(name)
    return name in own or (match is not None and match["name"] in own)


def dataset_id(config_hash: str) -> str:
    """The id of the dataset of a config (``run.config_identity``): the same config gives the same
    id, so that two runs of it give the same bytes."""
    return hashlib.sha256(f"{DATASET_FORMAT}\0{config_hash}".encode()).hexdigest()[:32]


def default_out(name: str, root: str | Path = DEFAULT_ROOT) -> Path:
    """``root/name``, the default dataset folder of a run config named ``name``.

    Raises:
        DatasetError: when ``root/name`` would not be a folder inside ``root`` (``..``, an absolute
            path, an empty name, or a link out of ``root``), whatever the config checks let through.
    """
    base = Path(root).resolve()
    path = (base / name).resolve()
    if base not in path.parents:
        raise DatasetError(f"name: {name!r} puts the default output folder {path} outside {base}; pass -o OUT")
    return Path(root) / name


def read_marker(out: Path, kind: str = DATASET_KIND) -> dict | None:
    """The marker of the dataset in ``out``, None when there is none; DatasetError for a marker
    that is not synthgen's, or of another kind of output than ``kind`` (a mix where a dataset goes)."""
    path = out / MARKER
    refuse_link(out, path.parent)
    if not os.path.lexists(path):
        return None
    refuse_link(out, path)
    try:
        marker = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: unreadable dataset marker ({exc}); delete the folder yourself if it is not needed") from None
    if not isinstance(marker, dict) or marker.get("format") != DATASET_FORMAT or not isinstance(marker.get("id"), str):
        raise DatasetError(f"{path}: not a synthgen dataset marker; delete the folder yourself if it is not needed")
    found = marker.get("kind", DATASET_KIND)
    if found != kind:
        raise DatasetError(f"{out}: holds a synthgen {found}, not a {kind}; choose another folder")
    return marker


def write_marker(out: Path, ident: str, kind: str = DATASET_KIND) -> None:
    marker = {"format": DATASET_FORMAT, "version": 1, "id": ident} | ({"kind": kind} if kind != DATASET_KIND else {})
    write_atomic(out / MARKER, json.dumps(marker).encode() + b"\n")


def has_content(out: Path) -> bool:
    """Whether ``out`` holds anything beyond a ``.synthgen/`` holding at most the run lock and a
    half-written marker (what a run makes first, and what one killed before its marker leaves)."""
    if not out.is_dir():
        return False
    names = os.listdir(out)
    if names != [STATE_DIR] or (out / STATE_DIR).is_symlink():
        return bool(names)
    return any(name != "lock" and not TEMP_NAME.fullmatch(name) for name in os.listdir(out / STATE_DIR))


def refuse_link(out: Path, path: Path) -> None:
    if path.is_symlink():
        raise DatasetError(f"{path}: is a symbolic link; synthgen does not write through links inside {out}")


def refuse_links(out: Path, own: frozenset[str] | None = None) -> None:
    """Refuse a symbolic link anywhere among synthgen's entries of ``out`` (``own``, default
    ``own_entries()``), not following any.

    It runs before the run lock is taken too, while another run may be moving its staging
    folders: an entry that is gone by the time it is looked into is skipped (the check is made
    again under the lock).
    """
    own = own_entries() if own is None else own
    stack = [entry for entry in os.scandir(out) if is_own_entry(entry.name, own)]
    while stack:
        entry = stack.pop()
        if entry.is_symlink():
            refuse_link(out, Path(entry.path))
        if entry.is_dir(follow_symlinks=False):
            try:
                stack.extend(os.scandir(entry.path))
            except (FileNotFoundError, NotADirectoryError):
                continue


# Under STATE_DIR: what must be a file and what a folder where it exists.
STATE_FILES = ("dataset.json", "lock")
STATE_FOLDERS = ("shards", "derived")


def refuse_wrong_kinds(
    out: Path,
    listed_files: list[str] = (),
    own: frozenset[str] | None = None,
    files: tuple[str, ...] = (MANIFEST, PREVIEW),
) -> None:
    """Refuse, in one line naming it, an entry of ``out`` that is not of the kind synthgen makes
    there (a folder where it writes a file, a file where it keeps a folder): a dataset damaged
    since it was written, which a resume would otherwise crash on midway. Checked: the entries
    under OUT (``own``, default ``own_entries()``; files: ``files``, the manifest and preview;
    folders: the rest), the run state's lock, marker, records and their folders, and
    ``listed_files`` (a manifest's files, relative to ``out``)."""
    own = own_entries() if own is None else own
    for name in os.listdir(out):
        if not is_own_entry(name, own) or TEMP_NAME.fullmatch(name):
            continue
        _expect_kind(out / name, is_file=name in files)
    state = out / STATE_DIR
    if state.is_dir():
        for name in STATE_FILES:
            _expect_kind(state / name, is_file=True)
        for name in STATE_FOLDERS:
            _expect_kind(state / name, is_file=False)
        shards = state / "shards"
        if shards.is_dir():
            for entry in os.scandir(shards):
                if not TEMP_NAME.fullmatch(entry.name):
                    _expect_kind(Path(entry.path), is_file=True)
    for rel in listed_files:
        if not isinstance(rel, str) or Path(rel).is_absolute() or ".." in Path(rel).parts or not rel.strip():
            raise DatasetError(f"{out / MANIFEST}: lists {str(rel)[:80]!r}, not a path inside the dataset; "
                               "use --overwrite to replace the dataset")
        path = out / rel
        for parent in reversed(path.relative_to(out).parents[:-1]):
            _expect_kind(out / parent, is_file=False)
        _expect_kind(path, is_file=True)


def _expect_kind(path: Path, is_file: bool) -> None:
    if not os.path.lexists(path) or path.is_symlink():  # links are refused by refuse_links
        return
    if is_file and not path.is_file():
        raise DatasetError(f"{path}: is {'a folder' if path.is_dir() else 'not a regular file'} where synthgen "
                           "keeps a file; move it away, or use --overwrite to replace the dataset")
    if not is_file and not path.is_dir():
        raise DatasetError(f"{path}: is a file where synthgen keeps a folder; move it away, or use --overwrite "
                           "to replace the dataset")


def remove_tree(path: Path, out: Path) -> None:
    """Delete ``path`` (a file or a folder inside ``out``), never across a symbolic link: neither
    ``path`` nor a folder between ``out`` and it may be one."""
    rel = path.relative_to(out)
    for depth in range(1, len(rel.parts) + 1):
        refuse_link(out, out.joinpath(*rel.parts[:depth]))
    if path.is_dir():
        shutil.rmtree(path)  # does not follow links inside (a symlink-attack-safe rmtree on Linux)
    elif os.path.lexists(path):
        path.unlink()


def refuse_strangers(out: Path, own: frozenset[str] | None = None) -> None:
    """Refuse, for ``--overwrite``, a folder holding an entry synthgen did not create (not one of
    ``own``, default ``own_entries()``): nothing is deleted then."""
    own = own_entries() if own is None else own
    foreign = [name for name in sorted(os.listdir(out)) if not is_own_entry(name, own)]
    if foreign:
        raise DatasetError(
            f"{out}: holds {foreign[0]!r}, which synthgen did not create; --overwrite deletes a "
            "synthgen dataset's own files only, so nothing was deleted"
        )


def empty_dataset(out: Path, own: frozenset[str] | None = None, keep: tuple[str, ...] = ("lock",)) -> None:
    """Delete a synthgen dataset's entries (``own``, default ``own_entries()``) for ``--overwrite``,
    the run state's ``keep`` (the run lock) excepted; refuse (and delete nothing) when ``out`` holds
    an entry synthgen did not create."""
    refuse_strangers(out, own)
    for name in sorted(os.listdir(out)):
        if name == STATE_DIR:
            for child in sorted(os.listdir(out / STATE_DIR)):
                if child not in keep:
                    remove_tree(out / STATE_DIR / child, out)
        else:
            remove_tree(out / name, out)


def remove_leftovers(out: Path, own: frozenset[str] | None = None) -> None:
    """Delete what a killed run can leave: shard staging folders and the temporary files and
    folders of every writer (``formats.base.TEMP_NAME``), in synthgen's folders only.

    Dataset-level files lie at most one folder deep (``annotations/coco.json``,
    ``recognition/lmdb``) or in ``.synthgen/``; their temporary siblings are looked for there.
    """
    remove_tree(staging_root(out), out)
    own = own_entries() if own is None else own
    folders = [out, out / STATE_DIR / "shards"]
    folders += [out / name for name in sorted(own) if (out / name).is_dir() and not (out / name).is_symlink()]
    for folder in folders:
        if not folder.is_dir():
            continue
        for entry in os.scandir(folder):
            match = TEMP_NAME.fullmatch(entry.name)
            if match is None or (folder == out and match["name"] not in own):
                continue
            remove_tree(Path(entry.path), out)


# The descriptors of the locks this process holds, closed in forked children (the pool's
# workers): a lock then dies with this process alone.
_held_locks: set[int] = set()


def _forget_locks_in_child() -> None:
    for fd in _held_locks:
        os.close(fd)
    _held_locks.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_locks_in_child)


@contextmanager
def run_lock(out: Path) -> Iterator[None]:
    """Hold ``OUT/.synthgen/lock`` for a run: an exclusive ``flock`` (dropped by the kernel when
    this process dies, so a killed run's lock is free) on a file naming its holder.

    Raises:
        DatasetError: another live process holds it (the message names its pid).
    """
    try:
        import fcntl
    except ImportError:  # no flock (Windows): runs into one folder are not guarded
        yield
        return
    path = out / LOCK
    refuse_link(out, path.parent)
    path.parent.mkdir(exist_ok=True)
    _expect_kind(path, is_file=True)  # even with --overwrite: the lock is taken before anything is emptied
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "pid unknown"
            os.close(fd)
            raise DatasetError(f"{out}: another synthgen run is writing here ({holder}); wait for it to end") from None
        # The run that held it may have deleted the file between our open and our lock: retry on
        # the file now at the path.
        try:
            same = os.fstat(fd).st_ino == os.stat(path, follow_symlinks=False).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()}, started {started}\n".encode(), 0)
    _held_locks.add(fd)
    try:
        yield
    finally:
        # Deleted before it is unlocked, so the dataset holds no file of a finished run; a run
        # waiting on this file finds it gone and takes a new one.
        _held_locks.discard(fd)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        os.close(fd)
