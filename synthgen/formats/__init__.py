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

__all__ = ["READERS", "WRITERS", "ReaderKind", "WriterKind"]
