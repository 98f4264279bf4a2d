"""Damage done to a dataset folder by the resume tests (tests/engine, tests/mix): an entry
replaced by one of the other kind."""

from __future__ import annotations

import shutil
from pathlib import Path


def replace_by_folder(path: Path) -> None:
    """A file replaced by an empty folder of the same name."""
    path.unlink()
    path.mkdir()


def replace_by_file(path: Path) -> None:
    """A folder replaced by a small file of the same name."""
    shutil.rmtree(path)
    path.write_text("x")
