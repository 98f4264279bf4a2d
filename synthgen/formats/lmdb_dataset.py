"""Text-recognition LMDB in the layout of clovaai/deep-text-recognition-benchmark.

Keys: ``image-%09d`` (1-based, encoded image bytes), ``label-%09d`` (UTF-8 transcription) and
``num-samples`` (the count as ASCII digits), in one environment folder holding ``data.mdb``.
Loaders of that benchmark (and of PARSeq, ABINet, MMOCR's LMDB dataset) read it as it is.

The build is deterministic: keys appended in sorted order, transactions cut at fixed amounts of
data, a map size computed from the data, and no lock file, so the same crops always give the
same ``data.mdb``.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from synthgen.errors import DatasetError
from synthgen.formats.base import temp_path

PAGE = 4096
COMMIT_BYTES = 32 * 2**20  # values per write transaction: LMDB holds its dirty pages in memory


def _lmdb():
    try:
        import lmdb
    except ImportError:
        raise DatasetError("the recognition LMDB needs the lmdb package: pip install lmdb") from None
    return lmdb


def image_key(n: int) -> bytes:
    return b"image-%09d" % n


def label_key(n: int) -> bytes:
    return b"label-%09d" % n


def value_pages(size: int) -> int:
    """A bound on the pages a value of ``size`` bytes takes: its overflow pages plus a share of a
    leaf page."""
    return -(-size // PAGE) + 1


def map_size(pages: int) -> int:
    """The map size for values taking ``pages`` (sum of ``value_pages``): twice that bound plus
    slack for branch pages and the few pages each commit frees leaves ample room."""
    return (2 * pages + 256) * PAGE


def write_lmdb(dest: Path, count: int, images: Iterable[bytes], labels: Iterable[bytes], size: int) -> None:
    """Build the LMDB folder ``dest`` (replacing it whole), streaming its values.

    Args:
        dest: the environment folder to create (``.../lmdb``).
        count: the number of samples; ``images`` and ``labels`` yield exactly this many.
        images: encoded images, sample n + 1 = the n-th (read on demand, so memory stays flat).
        labels: UTF-8 transcriptions in the same order; consumed after ``images``.
        size: the map size (``map_size`` of the values' pages).

    LMDB keeps every page a write transaction dirties in memory (up to 2**17 pages), so the build
    commits every ``COMMIT_BYTES`` of values: a dataset whose values fit in one such transaction
    gets the bytes of a single-transaction build, a larger one a few freed pages per commit.
    """
    lmdb = _lmdb()
    tmp = temp_path(dest)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    env = lmdb.open(str(tmp), map_size=size, lock=False, sync=False, meminit=True)
    try:
        txn = env.begin(write=True)
        try:
            pending = 0
            # Sorted key order (image-* < label-* < num-samples) lets every put append.
            keyed = itertools.chain(
                zip(map(image_key, range(1, count + 1)), images, strict=True),
                zip(map(label_key, range(1, count + 1)), labels, strict=True),
            )
            for key, value in keyed:
                txn.put(key, value, append=True)
                pending += len(value)
                if pending >= COMMIT_BYTES:
                    txn.commit()
                    txn = env.begin(write=True)
                    pending = 0
            txn.put(b"num-samples", str(count).encode("ascii"), append=True)
        except BaseException:
            txn.abort()
            raise
        txn.commit()
        env.sync(True)
    finally:
        env.close()
    old = temp_path(dest, "old")
    if dest.exists():
        os.replace(dest, old)
    os.replace(tmp, dest)
    shutil.rmtree(old, ignore_errors=True)


def read_lmdb(folder: str | Path) -> list[tuple[bytes, str]]:
    """All (image bytes, label) pairs of a recognition LMDB, in key order (1-based ids)."""
    lmdb = _lmdb()
    folder = Path(folder)
    if not (folder / "data.mdb").is_file():
        raise DatasetError(f"{folder}: no LMDB here (data.mdb not found)")
    try:
        env = lmdb.open(str(folder), readonly=True, lock=False, readahead=False, meminit=False)
    except lmdb.Error as exc:
        raise DatasetError(f"{folder}: unreadable LMDB ({exc})") from None
    try:
        with env.begin() as txn:
            raw = txn.get(b"num-samples")
            if raw is None:
                raise DatasetError(f"{folder}: LMDB has no num-samples key")
            try:
                count = int(raw.decode("ascii"))
            except (UnicodeDecodeError, ValueError):
                raise DatasetError(f"{folder}: num-samples is not a number: {raw[:20]!r}") from None
            pairs = []
            for n in range(1, count + 1):
                image, label = txn.get(image_key(n)), txn.get(label_key(n))
                if image is None or label is None:
                    raise DatasetError(f"{folder}: sample {n} of {count} is missing its image or label")
                try:
                    pairs.append((bytes(image), label.decode("utf-8")))
                except UnicodeDecodeError:
                    raise DatasetError(f"{folder}: label-{n:09d} is not UTF-8") from None
    finally:
        env.close()
    return pairs
