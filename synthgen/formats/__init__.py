"""Writers and readers of dataset formats. Filled by the explicit lists in ``_register_writers`` and
``_register_readers`` on first use; a format adds one line to each (its writer, and its reader: the
writer's inverse), and its module is imported when its kind is first used (a driving run imports
no text writer)."""

from __future__ import annotations

from synthgen.formats.base import ReaderKind, WriterKind
from synthgen.registry import Registry

# name: (module, attribute, the names directly under OUT it creates). The last is the writer's
# ``WriterKind.entries`` (a test holds them equal), here so that the engine knows every writer's
# entries (``writer_entries``) without importing every writer.
_WRITERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "coco": ("coco", "WRITER", ("annotations",)),
    "icdar": ("icdar", "WRITER", ("icdar",)),
    "icdar_lines": ("icdar", "LINES_WRITER", ("icdar_lines",)),
    "recognition": ("recognition", "WRITER", ("recognition",)),
    "yolo": ("yolo", "WRITER", ("yolo",)),
    "kitti": ("kitti", "WRITER", ("kitti",)),
    "dense": ("dense", "WRITER", ("labels",)),
}


def _register_writers(writers: Registry[WriterKind]) -> None:
    for name, (module, attr, _) in _WRITERS.items():
        writers.register_module_attr(name, f"synthgen.formats.{module}", attr)


def writer_entries() -> dict[str, tuple[str, ...]]:
    """Writer name -> the names directly under OUT that it creates (its ``WriterKind.entries``),
    known without importing the writers."""
    return {name: entries for name, (_, _, entries) in _WRITERS.items()}


def _register_readers(readers: Registry[ReaderKind]) -> None:
    for name, module, attr in (
        ("coco", "coco_reader", "READER"),
        ("icdar", "text_readers", "ICDAR_READER"),
        ("recognition", "text_readers", "RECOGNITION_READER"),
        ("recognition_lmdb", "text_readers", "LMDB_READER"),
        ("yolo", "yolo_reader", "READER"),
        ("kitti", "kitti_reader", "READER"),
        ("synthgen", "synthgen_reader", "READER"),
    ):
        readers.register_module_attr(name, f"synthgen.formats.{module}", attr)


WRITERS: Registry[WriterKind] = Registry("writer", _register_writers)
READERS: Registry[ReaderKind] = Registry("reader", _register_readers)
