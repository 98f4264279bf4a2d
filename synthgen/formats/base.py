"""What a writer provides, and the file helpers writers share."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthgen.errors import DatasetError
from synthgen.files import (  # noqa: F401  the engine, the mixer and regress import them from here
    TEMP_NAME,
    atomic_output,
    file_sha256,
    make_parents,
    replace_file,
    temp_path,
    write_atomic,
)
from synthgen.formats.paths import OutsideDataset, found_inside
from synthgen.types import CategoryTable, Sample


@dataclass(frozen=True)
class WriterKind:
    """A dataset writer.

    Attributes:
        name: the name used in a run config's ``outputs:`` list, set by the ``WRITERS`` registry
            (``synthgen.formats``) from the name it lists the writer under.
        write_sample: optional (sample, record, root) -> None; writes a sample's own files under
            ``root`` (a shard's staging folder laid out like the dataset), e.g. one label file per image.
        finalize: optional (records in index order, dataset root, the run's category table) ->
            list of files written; writes dataset-level files such as ``annotations/coco.json``.
            Records may be a one-pass iterator over a dataset of any size: a finalizer streams
            them to disk and keeps no per-record list.
        entries: the names directly under the dataset root that the writer creates (``annotations``
            for ``annotations/coco.json``); ``--overwrite`` deletes these and nothing else.
        writes: the sample-model fields it writes (``synthgen.records.model_keys``: the instance
            record's keys, and the labels' ``camera``, ``depth`` and ``semantic``), with its default
            options; it leaves every other one out. A test writes a sample that has every field and
            reads it back: each declared field comes back, and no other.
        options: the dataclass of the writer's options (``writers: {NAME: {...}}`` in a run
            config), or None; ``write_sample``, ``finalize`` and ``derive`` then take ``options=``
            (its default instance when not given). A ``synthgen.config.params.Params`` class: its
            fields' rules are checked at load, errors under ``writers.NAME.field``.
        derive: optional (sample record) -> JSON-able value or None: what ``finalize`` would
            otherwise compute per record in the driver, one process (COCO's polygons). The shard
            producers run it, in parallel, and keep a value other than None beside the shard
            record (``engine.shards.derived_path``, removed once the run's files are written);
            ``finalize`` gets it as ``record["derived"][name]`` (``synthgen.records.DERIVED``).
            ``finalize`` must still work, with the same bytes out, on a record without it (a
            dataset finalized again, a record edited since, a dataset written without this
            writer's option).
        check: optional (options, the run's category table) -> None, raising ValueError when the
            writer cannot write this run (YOLO pose without keypoints); the config loader reports
            the message under ``writers.NAME``, before any work.
        needs: the label kinds (``synthgen.steps.LABEL_KINDS``) without which it writes nothing
            of use (KITTI: 3D boxes and a camera); a run whose scene and annotators do not
            produce them is refused at load.

    Records are ``synthgen.records.to_record``'s, whose fields are derived from the sample model's
    dataclasses; a writer reads them through the typed view (``synthgen.records.labels_of_record``)
    or the sample it is given, and its one list of fields is ``writes``, what it chose to write.
    """

    name: str = ""
    write_sample: Callable[[Sample, dict, Path], None] | None = None
    finalize: Callable[[Iterable[dict], Path, CategoryTable], list[str]] | None = None
    writes: frozenset[str] = frozenset()
    entries: tuple[str, ...] = ()
    options: type | None = None
    derive: Callable[[dict], Any] | None = None
    check: Callable[[Any, CategoryTable], None] | None = None
    needs: frozenset[str] = frozenset()

    def __post_init__(self):
        from synthgen.records import model_keys

        if unknown := set(self.writes) - model_keys():
            who = f"writer {self.name!r}" if self.name else "a writer"
            raise ValueError(f"{who} declares fields the sample model lacks: {sorted(unknown)}")

    def with_options(self, options: Any) -> WriterKind:
        """This writer with its functions bound to ``options`` (an instance of ``self.options``)."""
        if options is None or self.options is None:
            return self
        bind = lambda fn: functools.partial(fn, options=options) if fn is not None else None  # noqa: E731
        return dataclasses.replace(
            self, write_sample=bind(self.write_sample), finalize=bind(self.finalize), derive=bind(self.derive)
        )


def write_staged(path: Path, data: bytes) -> None:
    """Write a per-sample file of a shard being produced (``write_sample``'s ``root`` is the shard's
    staging folder, whose files the engine moves into place once the shard is whole): a plain
    write is enough, as for the images; ``write_atomic``'s temporary name and rename cost about
    1 ms a file on a slow disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


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


ON_BAD = ("error", "skip")


@dataclass(frozen=True)
class Skip:
    """A record a reader (or the mixer) left out, and why.

    Attributes:
        where: the file and record (``coco.json annotation 17``).
        reason: what is wrong with it.
    """

    where: str
    reason: str


@dataclass(frozen=True)
class ReadOptions:
    """How to read a dataset.

    Attributes:
        on_bad: ``error`` (a bad record raises DatasetError naming the file and record) or ``skip``
            (it is left out and listed in ``ReadResult.skipped``).
        images: the folder image paths are relative to, where it is not the format's usual one.
        category: the category name given to the instances of a format that holds none (ICDAR,
            recognition crops); None: the format's own (the text formats': ``text``).
        check_sizes: read each image's header to check its size against the record (cheap; no decoding).
    """

    on_bad: str = "error"
    images: str | None = None
    category: str | None = None
    check_sizes: bool = True


@dataclass
class ReadResult:
    """What a reader gives: the source's category table, its samples (records in memory, pixels
    lazy, in the source's order) and what it skipped."""

    categories: CategoryTable
    samples: list  # list[synthgen.lazy.LazySample]
    skipped: list[Skip] = field(default_factory=list)


@dataclass(frozen=True)
class ReaderKind:
    """A dataset reader, the inverse of the writer of the same name.

    Attributes:
        read: (path, options) -> ReadResult.
        description: what ``path`` is (a dataset folder, a JSON file, ...).
        file_suffixes: the suffixes of a file that ``path`` may name instead of a folder (``.json``
            for COCO); none for a reader of folders. Anything else is refused before it is read.
        name: the ``format:`` name of a mix source, set by the ``READERS`` registry.
    """

    read: Callable[[Path, ReadOptions], ReadResult]
    description: str = ""
    file_suffixes: tuple[str, ...] = ()
    name: str = ""


class BadRecords:
    """Collects bad records while reading: raises at the first one (``on_bad: error``) or lists it."""

    def __init__(self, on_bad: str):
        if on_bad not in ON_BAD:
            raise ValueError(f"on_bad must be one of {ON_BAD}, got {on_bad!r}")
        self.on_bad = on_bad
        self.skipped: list[Skip] = []

    def __call__(self, where: str, reason: str) -> None:
        if self.on_bad == "error":
            raise DatasetError(f"{where}: {reason}")
        self.skipped.append(Skip(where, reason))


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# the image files a reader looks for beside a label file (``<stem><suffix>``), in this order
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


def find_image(folder: Path, stem: str) -> Path | None:
    """``folder/<stem><suffix>`` for the first of IMAGE_SUFFIXES that is a file, or None."""
    for suffix in IMAGE_SUFFIXES:
        candidate = folder / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def label_image(images: Path, stem: str, where: str, bad: BadRecords) -> tuple[Path, int, int] | None:
    """The image of the label file ``where`` (``images/<stem>.*``) and its (width, height); None,
    after reporting it to ``bad`` (an error, or a skip), when there is none or it is not readable."""
    image = find_image(images, stem)
    if image is None:
        bad(where, f"no image {stem}.png/.jpg in {images}")
        return None
    try:
        found_inside(images, image)
    except OutsideDataset as exc:
        bad(where, str(exc))
        return None
    size = image_size(image)
    if size is None:
        bad(where, f"{image} is not a readable image")
        return None
    return image, size[0], size[1]


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from an image file's header (nothing decoded), or None if it is not an image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return None
    if head[:8] == PNG_SIGNATURE and head[12:16] == b"IHDR":  # the PNG header, without Pillow's overhead
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")

    try:
        with Image.open(path) as im:
            return im.size
    except (OSError, UnidentifiedImageError):
        return None
