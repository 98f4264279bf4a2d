"""Writers (and later readers) of dataset formats. Filled by the explicit import list below."""

from __future__ import annotations

from synthgen.formats import coco, dense, icdar, kitti, recognition, yolo
from synthgen.formats.base import WriterKind
from synthgen.registry import Registry

WRITERS: Registry[WriterKind] = Registry("writer")

WRITERS.register("coco", coco.WRITER)
WRITERS.register("icdar", icdar.WRITER)
WRITERS.register("icdar_lines", icdar.LINES_WRITER)
WRITERS.register("recognition", recognition.WRITER)
WRITERS.register("yolo", yolo.WRITER)
WRITERS.register("kitti", kitti.WRITER)
WRITERS.register("dense", dense.WRITER)
