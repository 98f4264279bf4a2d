"""Checks of the paths a command will write (dataset folder, preview PNG, golden, report folder),
made before any work so that a bad one is one line and exit code 2, and nothing is written."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from synthgen.errors import InputError

MAX_NAME_BYTES = 255  # one path component, as most file systems allow
# Input files (corpus words, background photos) are read from anywhere the user names, except
# system and private locations: a config must not turn /etc/shadow or a private key into the
# transcriptions or images of a dataset by mistake (or on purpose).
REFUSED_DIRS = ("/etc", "/proc", "/sys", "/dev", "/run", "/boot", "/var/run", "/var/log")
REFUSED_HOME_DIRS = (".ssh", ".gnupg", ".aws", ".kube", ".docker", ".config/gcloud")


def refused_location(path: Path) -> str | None:
    """The system or private folder that ``path`` lies in (also after resolving links), or None."""
    home = Path.home()
    refused = [Path(d) for d in REFUSED_DIRS] + [home / d for d in REFUSED_HOME_DIRS]
    for candidate in {path.absolute(), path.resolve()}:
        for folder in refused:
            if candidate == folder or folder in candidate.parents:
                return str(folder)
    return None


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path(".")


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _check_plain(text: str | os.PathLike, what: str) -> Path:
    text = os.fspath(text)
    if not text.strip():
        raise InputError(f"{what}: empty path")
    if "\0" in text:
        raise InputError(f"{what}: the path holds a NUL character")
    path = Path(text).expanduser()
    for part in path.parts:
        if len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
            raise InputError(f"{what}: a name in the path is longer than {MAX_NAME_BYTES} bytes")
    return path


def _check_writable_folder(folder: Path, shown: Path) -> None:
    """``folder`` exists and is a directory: raise InputError unless files can be made in it."""
    if _read_only(folder):
        raise InputError(f"{shown}: {folder} is on a read-only file system")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{shown}: no permission to write in {folder}")


def check_output_dir(path: str | os.PathLike, what: str = "-o") -> Path:
    """The folder a command will create or fill; InputError (one line naming it) when it cannot.

    Args:
        path: the folder (need not exist yet).
        what: the option that named it, for the message of an empty path.

    Returns:
        The path, ``~`` expanded.
    """
    out = _check_plain(path, what)
    existing = _nearest_existing(out)
    if existing == out and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    if existing != out and not existing.is_dir():
        raise InputError(f"{out}: {existing} is a file, not a folder")
    _check_writable_folder(existing, out)
    return out


def check_output_file(path: str | os.PathLike, what: str = "-o") -> Path:
    """A file a command will write (or replace); InputError (one line naming it) when it cannot.

    Returns:
        The path, ``~`` expanded.
    """
    dest = _check_plain(path, what)
    if dest.is_dir():
        raise InputError(f"{dest}: is a folder; give the path of a file")
    if os.path.lexists(dest) and not dest.is_file():
        raise InputError(f"{dest}: exists and is not a regular file")
    existing = _nearest_existing(dest.parent)
    if not existing.is_dir():
        raise InputError(f"{dest}: {existing} is a file, not a folder")
    _check_writable_folder(existing, dest)
    if dest.exists() and not os.access(dest, os.W_OK):
        raise InputError(f"{dest}: no permission to replace the file")
    return dest


# errno values that are the user's environment, not a bug: one line and exit code 2
ENVIRONMENT_ERRNOS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENAMETOOLONG: "file name too long",
}


def environment_error(exc: BaseException) -> str | None:
    """One line for an error a run hit because of its surroundings (disk full, read-only file
    system, permission), or None when ``exc`` is something else (a bug)."""
    if isinstance(exc, OSError) and exc.errno in ENVIRONMENT_ERRNOS:
        where = exc.filename if exc.filename is not None else "output"
        return f"{where}: {ENVIRONMENT_ERRNOS[exc.errno]}"
    if type(exc).__module__.split(".")[0] == "lmdb":  # lmdb.Error is no OSError
        text = str(exc)
        lowered = text.lower()
        # LMDB reports a full disk as EIO on commit ("mdb_txn_commit: Input/output error")
        if any(words in lowered for words in ("no space left", "input/output error", "i/o error", "mdb_map_full")):
            first = text.splitlines()[0][:200] if text else type(exc).__name__
            return f"lmdb: {first} (is the disk full?)"
        if "read-only" in lowered or "permission denied" in lowered:
            return f"lmdb: {text.splitlines()[0][:200]}"
    return None
