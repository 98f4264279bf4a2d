"""Staging folders of shard producers that cannot write into OUT (Ray tasks without
``ray.shared_output``): ``synthgen-shardNNNNNN-p<pid>-*`` in the node's temporary folder.

A producer holds an exclusive ``flock`` on its folder while it exists; the kernel drops it when
the process dies, even by SIGKILL (a Ray worker killed mid-shard, out of memory or by hand). So a
folder nobody holds is one a dead producer left, and ``remove_abandoned``, run by every producer
before it makes its own and by the driver at the end of a Ray session, deletes it: a killed task's
files live until the next task on that node, not forever.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = "synthgen-shard"


# _flock's outcomes other than an fd
_HELD = -1  # another process holds the folder's lock
_GONE = -2  # the folder is not there (any more)
_NO_LOCKS = -3  # no flock here (no fcntl, a file system without locks)


def _flock(path: str) -> int:
    """An fd holding an exclusive flock on the folder ``path``, or ``_HELD``, ``_GONE`` or ``_NO_LOCKS``."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock
        return _NO_LOCKS
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return _GONE
    except OSError:
        return _NO_LOCKS
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return _HELD
    except OSError:
        os.close(fd)
        return _NO_LOCKS
    return fd


@contextmanager
def local_staging(shard: int) -> Iterator[Path]:
    """A new empty staging folder for ``shard`` in this node's temporary folder, locked by this
    process and deleted on leaving; the folders of dead producers there are deleted first."""
    remove_abandoned()
    while True:
        path = tempfile.mkdtemp(prefix=f"{PREFIX}{shard:06d}-p{os.getpid()}-")
        fd = _lock_new(path)
        if fd != _TAKEN:
            break
    try:
        yield Path(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)
        if fd is not None:
            os.close(fd)


def _lock_new(path: str) -> int | None:
    """An fd holding the flock of the new folder ``path``; None where flock is not to be had (the
    folder is then used unlocked, and never swept); _TAKEN when a sweeper took the folder between
    its making and the lock (it deletes it)."""
    fd = _flock(path)
    if fd == _NO_LOCKS:
        return None
    if fd < 0:
        return _TAKEN
    try:  # locked, but perhaps a folder the sweeper already deleted from the path
        if os.fstat(fd).st_ino == os.stat(path, follow_symlinks=False).st_ino:
            return fd
    except FileNotFoundError:
        pass
    os.close(fd)
    return _TAKEN


_TAKEN = _HELD  # _lock_new: a sweeper took the folder first


def _has_flock() -> bool:
    try:
        import fcntl  # noqa: F401
    except ImportError:
        return False
    return True


def remove_abandoned(root: str | Path | None = None) -> list[str]:
    """Delete the staging folders under ``root`` (default: this process's temporary folder) that are
    this user's and that no live process holds; the paths deleted."""
    if not _has_flock():
        return []
    root = Path(tempfile.gettempdir() if root is None else root)
    removed = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return []
    for entry in entries:
        if not entry.name.startswith(PREFIX):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
        except OSError:
            continue
        fd = _flock(entry.path)
        if fd < 0:  # a live producer's (or gone already)
            continue
        try:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.path)
        finally:
            os.close(fd)
    return removed
