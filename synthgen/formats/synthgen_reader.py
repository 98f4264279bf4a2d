"""Reader of synthgen's own datasets (``generate``'s output): the shard records as they are, with
the run's category table from the manifest, the image hashes the records hold and every field
of the sample model (camera, meta) that the other formats drop."""

from __future__ import annotations

import json
from pathlib import Path

from synthgen.errors import DatasetError
from synthgen.formats.base import BadRecords, ReaderKind, ReadOptions, ReadResult
from synthgen.formats.paths import OutsideDataset, inside_dataset
from synthgen.lazy import ImageFile, LazySample
from synthgen.records import table_from_record
from synthgen.types import CategoryTable


def iter_shard_records(root: Path):
    """(manifest, sample records in index order) of a synthgen dataset folder."""
    manifest_path = root / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(f"{root}: not a synthgen dataset (no manifest.json)") from None
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{manifest_path}: unreadable manifest ({type(exc).__name__})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("shards"), list):
        raise DatasetError(f"{manifest_path}: not a synthgen manifest")
    if manifest.get("status") != "complete":
        raise DatasetError(f"{root}: the dataset is incomplete; rerun generate to finish it")

    def records():
        for entry in sorted(manifest["shards"], key=lambda e: e["index"]):
            record_file = root / ".synthgen" / "shards" / f"shard_{entry['index']:06d}.json"
            try:
                shard = json.loads(record_file.read_bytes())
            except (OSError, ValueError):
                raise DatasetError(f"{record_file}: missing or unreadable shard record; rerun generate") from None
            yield from shard["samples"]

    return manifest, records()


def read_synthgen(path: Path, options: ReadOptions) -> ReadResult:
    root = Path(path)
    manifest, records = iter_shard_records(root)
    table = table_from_record(manifest["categories"]) if "categories" in manifest else None
    bad = BadRecords(options.on_bad)
    samples = []
    for rec in records:
        if table is None:
            table = CategoryTable.of_names(rec["categories"])
        try:
            image = inside_dataset(root, rec["file_name"], "file_name")
        except OutsideDataset as exc:
            bad(f"{root} sample {rec['index']}", str(exc))
            continue
        if not image.is_file():
            bad(f"{root} sample {rec['index']}", f"image file {image} not found")
            continue
        samples.append(
            LazySample(
                rec, table, ImageFile(str(image)), {"path": rec["file_name"], "id": rec["index"]}, rec.get("sha256")
            )
        )
    return ReadResult(table if table is not None else CategoryTable(()), samples, bad.skipped)


READER = ReaderKind("synthgen", read_synthgen, "a synthgen dataset folder (manifest.json)")
