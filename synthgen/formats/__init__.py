"""Writers and readers of dataset formats.

``WRITERS`` and ``READERS`` list each format once, ``name -> module`` (its ``WRITER`` / ``READER``,
or ``module:ATTRIBUTE``); a format's module is imported when it is first used, so a run imports the
writers of its ``outputs:`` and no other. A format adds one line to each table: its writer, and
its reader (the writer's inverse).
"""

from __future__ import annotations

from synthgen.formats.base import ReaderKind, WriterKind
from synthgen.registry import Registry

WRITERS: Registry[WriterKind] = Registry(
    "writer",
    {
        "coco": "synthgen.formats.coco",
        "icdar": "synthgen.formats.icdar",
        "icdar_lines": "synthgen.formats.icdar:LINES_WRITER",
        "recognition": "synthgen.formats.recognition",
        "yolo": "synthgen.formats.yolo",
        "kitti": "synthgen.formats.kitti",
        "dense": "synthgen.formats.dense",
    },
    attribute="WRITER",
)

READERS: Registry[ReaderKind] = Registry(
    "reader",
    {
        "coco": "synthgen.formats.coco_reader",
        "icdar": "synthgen.formats.text_readers:ICDAR_READER",
        "recognition": "synthgen.formats.text_readers:RECOGNITION_READER",
        "recognition_lmdb": "synthgen.formats.text_readers:LMDB_READER",
        "yolo": "synthgen.formats.yolo_reader",
        "kitti": "synthgen.formats.kitti_reader",
        "synthgen": "synthgen.formats.synthgen_reader",
    },
    attribute="READER",
)

# The names directly under OUT that each writer creates: its ``WriterKind.entries`` (a test holds
# them equal), here so that the engine knows every writer's entries without importing every writer.
_WRITER_ENTRIES: dict[str, tuple[str, ...]] = {
    "coco": ("annotations",),
    "icdar": ("icdar",),
    "icdar_lines": ("icdar_lines",),
    "recognition": ("recognition",),
    "yolo": ("yolo",),
    "kitti": ("kitti",),
    "dense": ("labels",),
}


def writer_entries() -> dict[str, tuple[str, ...]]:
    """Writer name -> the names directly under OUT that it creates (its ``WriterKind.entries``),
    known without importing the writers."""
    return dict(_WRITER_ENTRIES)


__all__ = ["READERS", "WRITERS", "ReaderKind", "WriterKind", "writer_entries"]
