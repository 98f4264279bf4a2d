"""Text-recognition LMDB in the layout of clovaai/deep-text-recognition-benchmark.

Keys: ``image-%09d`` (1-based, encoded image bytes), ``label-%09d`` (UTF-8 transcription) and
``num-samples`` (the count as ASCII digits), in one environment folder holding ``data.mdb``.
Loaders of that benchmark (and of PARSeq, ABINet, MMOCR's LMDB dataset) read it as it is.

The build is deterministic: one write transaction, keys appended in sorted order, a map size
computed from the data, and no lock file, so the same crops always give the same ``data.mdb``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from synthgen.errors import DatasetError

PAGE = 4096


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


def _map_size(sizes: Sequence[int], labels: Sequence[bytes]) -> int:
    # Each value may take its own overflow pages plus a share of a leaf page; twice that bound
    # plus slack for branch pages leaves ample room.
    pages = sum(-(-n // PAGE) + 1 for n in sizes) + sum(-(-len(b) // PAGE) + 1 for b in labels)
    return (2 * pages + 256) * PAGE


def write_lmdb(
    dest: Path, labels: Sequence[str], image_bytes: Callable[[int], bytes], image_sizes: Sequence[int]
) -> None:
    """Build the LMDB folder ``dest`` (replacing it whole) from labels and their images.

    Args:
        dest: the environment folder to create (``.../lmdb``).
        labels: transcriptions, sample n + 1 = labels[n].
        image_bytes: n -> encoded image of labels[n] (read on demand, so memory stays flat).
        image_sizes: byte size of each image, to size the map.
    """
    lmdb = _lmdb()
    encoded = [t.encode("utf-8") for t in labels]
    tmp = dest.with_name(f".{dest.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    env = lmdb.open(str(tmp), map_size=_map_size(image_sizes, encoded), lock=False, sync=False, meminit=True)
    try:
        with env.begin(write=True) as txn:
            # Sorted key order (image-* < label-* < num-samples) lets every put append.
            for n in range(len(labels)):
                txn.put(image_key(n + 1), image_bytes(n), append=True)
            for n, label in enumerate(encoded):
                txn.put(label_key(n + 1), label, append=True)
            txn.put(b"num-samples", str(len(labels)).encode("ascii"), append=True)
        env.sync(True)
    finally:
        env.close()
    old = dest.with_name(f".{dest.name}.old{os.getpid()}")
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
