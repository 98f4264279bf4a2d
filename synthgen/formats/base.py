"""What a writer provides, and the file helpers writers share."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthgen.errors import DatasetError
from synthgen.types import CategoryTable, Sample


@dataclass(frozen=True)
class WriterKind:
    """A dataset writer.

    Attributes:
        name: the name used in a run config's ``outputs:`` list.
        write_sample: optional (sample, record, root) -> None; writes a sample's own files under
            ``root`` (a shard's staging folder laid out like the dataset), e.g. one label file per image.
        finalize: optional (records in index order, dataset root, the run's category table) ->
            list of files written; writes dataset-level files such as ``annotations/coco.json``.

        omits: sample-model fields (``synthgen.records.INSTANCE_KEYS`` and ``camera``) the format
            leaves out, each with the reason; it writes every other one (a test holds each writer
            to this).
        options: the dataclass of the writer's options (``writers: {NAME: {...}}`` in a run
            config), or None; ``write_sample`` and ``finalize`` then take ``options=`` (its
            default instance when not given). Its ``CHOICES`` maps a field to its allowed values.

    Records are ``synthgen.records.to_record``'s: a writer reads the fields it writes from there
    and keeps no list of its own.
    """

    name: str
    write_sample: Callable[[Sample, dict, Path], None] | None = None
    finalize: Callable[[Iterable[dict], Path, CategoryTable], list[str]] | None = None
    omits: dict[str, str] = field(default_factory=dict)
    options: type | None = None

    def with_options(self, options: Any) -> WriterKind:
        """This writer with its functions bound to ``options`` (an instance of ``self.options``)."""
        if options is None or self.options is None:
            return self
        bind = lambda fn: functools.partial(fn, options=options) if fn is not None else None  # noqa: E731
        return dataclasses.replace(self, write_sample=bind(self.write_sample), finalize=bind(self.finalize))


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
