"""What a writer provides, and the JSON record of one sample that writers consume."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthgen.errors import DatasetError
from synthgen.types import Instance, Sample


@dataclass(frozen=True)
class WriterKind:
    """A dataset writer.

    Attributes:
        name: the name used in a run config's ``outputs:`` list.
        write_sample: optional (sample, record, root) -> None; writes a sample's own files under
            ``root`` (a shard's staging folder laid out like the dataset), e.g. one label file per image.
        finalize: optional (records in index order, dataset root) -> list of files written;
            writes dataset-level files such as ``annotations/coco.json``.
    """

    name: str
    write_sample: Callable[[Sample, dict, Path], None] | None = None
    finalize: Callable[[Iterable[dict], Path], list[str]] | None = None


def _floats(values: np.ndarray) -> list[float]:
    # Three decimals keep files small and stable across CPUs whose last float bits differ.
    return [round(float(v), 3) for v in np.asarray(values).reshape(-1)]


def instance_record(inst: Instance) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "category": inst.category,
        "bbox": [int(v) for v in inst.bbox],
        "area": int(inst.area),
        "segmentation": inst.rle,
    }
    if inst.text is not None:
        rec["text"] = inst.text
    if inst.quad is not None:
        rec["quad"] = _floats(inst.quad)
    if inst.chars is not None and inst.char_quads is not None:
        rec["chars"] = inst.chars
        rec["char_quads"] = [_floats(q) for q in inst.char_quads]
    if inst.polygon is not None:
        rec["polygon"] = _floats(inst.polygon)
    if inst.attributes:
        rec["attributes"] = inst.attributes
    return rec


def sample_record(sample: Sample, file_name: str, sha256: str) -> dict[str, Any]:
    """The JSON-able record of a sample: what every writer needs, image pixels excepted."""
    h, w = sample.image.shape[:2]
    return {
        "index": sample.meta["index"],
        "file_name": file_name,
        "width": int(w),
        "height": int(h),
        "sha256": sha256,
        "categories": list(sample.labels.categories),
        "meta": sample.meta,
        "instances": [instance_record(i) for i in sample.labels.instances],
    }


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old content or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def dump_json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def read_text(path: Path) -> str:
    """A UTF-8 text file (a BOM is dropped); DatasetError naming the file if unreadable."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 (byte {exc.start})") from None
