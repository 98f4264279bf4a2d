"""Reading a synthgen dataset back as ``Sample`` objects (the inverse of ``generate``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from synthgen.errors import DatasetError
from synthgen.records import from_record, table_from_record
from synthgen.types import Sample


def read_dataset(path: str | Path) -> Iterator[Sample]:
    """Iterate the samples of a synthgen dataset folder, in index order.

    Args:
        path: the dataset folder (``generate``'s output: ``manifest.json``, ``images/``, ...).

    Yields:
        Samples with their decoded image ((H, W, 3) uint8), labels (the run's category table and
        camera included) and meta, exactly as the generator made them (coordinates to 3 decimals).
    """
    from synthgen.formats.synthgen_reader import iter_shard_records

    root = Path(path)
    manifest, records = iter_shard_records(root)
    table = table_from_record(manifest["categories"]) if "categories" in manifest else None
    for rec in records:
        yield from_record(rec, _decode(root / rec["file_name"]), table)


def _decode(path: Path) -> np.ndarray:
    import cv2

    data = np.fromfile(path, np.uint8) if path.is_file() else None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data is not None and data.size else None
    if image is None:
        raise DatasetError(f"{path}: missing or not a readable image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
