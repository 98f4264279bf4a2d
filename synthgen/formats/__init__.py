"""Writers and readers of dataset formats. Filled by the explicit import lists below; a format
adds one line to each (its writer, and its reader: the writer's inverse)."""

from __future__ import annotations

from synthgen.formats import (
    coco,
    coco_reader,
    dense,
    icdar,
    kitti,
    kitti_reader,
    recognition,
    synthgen_reader,
    text_readers,
    yolo,
    yolo_reader,
)
from synthgen.formats.base import ReaderKind, WriterKind
from synthgen.registry import Registry

WRITERS: Registry[WriterKind] = Registry("writer")

WRITERS.register("coco", coco.WRITER)
WRITERS.register("icdar", icdar.WRITER)
WRITERS.register("icdar_lines", icdar.LINES_WRITER)
WRITERS.register("recognition", recognition.WRITER)
WRITERS.register("yolo", yolo.WRITER)
WRITERS.register("kitti", kitti.WRITER)
WRITERS.register("dense", dense.WRITER)

READERS: Registry[ReaderKind] = Registry("reader")

READERS.register("coco", coco_reader.READER)
READERS.register("icdar", text_readers.ICDAR_READER)
READERS.register("recognition", text_readers.RECOGNITION_READER)
READERS.register("recognition_lmdb", text_readers.LMDB_READER)
READERS.register("yolo", yolo_reader.READER)
READERS.register("kitti", kitti_reader.READER)
READERS.register("synthgen", synthgen_reader.READER)
