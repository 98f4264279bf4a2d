"""Files written whole or not at all: a temporary sibling renamed into place, with one-line
errors naming the entry when a file or folder stands in the way; and a file's sha256. Shared by the
writers, the engine's shards and manifest, the mixer, regress and the diffusion bank's cache.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from synthgen.errors import DatasetError

# The names of the temporary files and folders that writers make beside their final path
# (``temp_path``): a killed run leaves them, and the next run deletes exactly these names.
TEMP_NAME = re.compile(r"\.(?P<name>.+)\.(?:tmp|old)(?P<pid>[0-9]+)")


def temp_path(path: Path, kind: str = "tmp") -> Path:
    """The temporary sibling of ``path`` for this process: ``.<name>.<kind><pid>`` (``kind`` is
    ``tmp`` for what is being written, ``old`` for what is being replaced)."""
    if kind not in ("tmp", "old"):
        raise ValueError(f"kind must be 'tmp' or 'old', got {kind!r}")
    return path.with_name(f".{path.name}.{kind}{os.getpid()}")


@contextmanager
def atomic_output(path: Path) -> Iterator[BinaryIO]:
    """A binary file to stream ``path``'s new content into; it replaces ``path`` whole when the
    block ends, and is removed if the block raises."""
    make_parents(path)
    tmp = temp_path(path)
    try:
        with open(tmp, "wb") as f:
            yield f
        replace_file(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def make_parents(path: Path) -> None:
    """``path``'s folder, made where missing; DatasetError naming the entry when a file stands where
    a folder belongs (a dataset damaged since it was written), not a traceback."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocking = next((p for p in reversed(path.parents) if p.exists() and not p.is_dir()), path.parent)
        raise DatasetError(f"{blocking}: is a file where synthgen keeps a folder; move it away and run again") from None


def replace_file(source: Path, dest: Path) -> None:
    """``os.replace(source, dest)``, with DatasetError naming ``dest`` when a folder stands there."""
    try:
        os.replace(source, dest)
    except (IsADirectoryError, NotADirectoryError, FileExistsError):
        what = "a folder" if dest.is_dir() else "in the way"
        raise DatasetError(f"{dest}: is {what} where synthgen writes a file; move it away and run again") from None


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old content or the whole new one, never a part."""
    with atomic_output(path) as f:
        f.write(data)


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in chunks (dataset-level files can be larger than memory)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
