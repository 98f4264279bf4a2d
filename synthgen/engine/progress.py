"""Progress of a run on stderr: tqdm's bar on a terminal, plain lines elsewhere (CI logs keep
every line, so a bar redrawn with carriage returns would fill them with noise)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

PLAIN_EVERY_S = 10.0  # seconds between plain lines (and one at least every 10 % of the run)


class PlainProgress:
    """A progress report of whole lines: ``name: 250/1000 samples (25%), 12.3 samples/s``."""

    def __init__(self, name: str, total: int, initial: int = 0, file: TextIO | None = None):
        self.name, self.total, self.done, self.file = name, total, initial, file or sys.stderr
        self.start = self.last = time.monotonic()
        self.first = initial
        self.last_fraction = initial / total if total else 1.0

    def update(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        fraction = self.done / self.total if self.total else 1.0
        if now - self.last >= PLAIN_EVERY_S or fraction - self.last_fraction >= 0.1 or self.done >= self.total:
            self.line(now)
            self.last, self.last_fraction = now, fraction

    def line(self, now: float) -> None:
        rate = (self.done - self.first) / max(now - self.start, 1e-9)
        percent = 100 * self.done / self.total if self.total else 100
        print(f"{self.name}: {self.done}/{self.total} samples ({percent:.0f}%), {rate:.1f} samples/s", file=self.file, flush=True)

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc) -> None:
        return None


class NoProgress:
    """No report (``--no-progress``); tqdm is not even imported (~30 ms of a run's start)."""

    def update(self, count: int) -> None:
        return None

    def __enter__(self) -> NoProgress:
        return self

    def __exit__(self, *exc) -> None:
        return None


def progress_bar(name: str, total: int, initial: int, enabled: bool):
    """tqdm on a terminal, PlainProgress elsewhere, or NoProgress when not ``enabled``."""
    if not enabled:
        return NoProgress()
    if not sys.stderr.isatty():
        return PlainProgress(name, total, initial)
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="sample", desc=name, file=sys.stderr)


def finishing(name: str, writers: list[str], enabled: bool) -> None:
    """The line before the dataset-level files are written (COCO JSON, data.yaml, LMDB), which can take a while."""
    if enabled and writers:
        print(f"{name}: writing {', '.join(writers)} ...", file=sys.stderr, flush=True)
