"""A read sample whose pixels are decoded only when asked: what every reader yields.

Readers hold the records (labels, a few hundred bytes each) of a whole dataset, never its pixels;
``LazySample.materialize()`` decodes the image and returns the one ``Sample`` model. Image loaders
are small picklable objects, so a lazy sample can travel to a worker process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthgen.errors import DatasetError
from synthgen.records import from_record
from synthgen.types import CategoryTable, Sample


def decode_rgb(data: bytes | np.ndarray, where: str) -> np.ndarray:
    """(H, W, 3) uint8 RGB of encoded image bytes; DatasetError naming ``where`` if they are not an image."""
    import cv2

    buf = np.frombuffer(data, np.uint8) if isinstance(data, (bytes, bytearray, memoryview)) else data
    image = cv2.imdecode(buf, cv2.IMREAD_COLOR) if buf.size else None
    if image is None:
        raise DatasetError(f"{where}: not a readable image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


@dataclass(frozen=True)
class ImageFile:
    """Loads the image file ``path``."""

    path: str

    def __call__(self) -> np.ndarray:
        try:
            data = np.fromfile(self.path, np.uint8)
        except OSError:
            raise DatasetError(f"{self.path}: image file missing or unreadable") from None
        return decode_rgb(data, self.path)

    def content(self) -> bytes:
        """The file's bytes (for the content hash)."""
        try:
            return Path(self.path).read_bytes()
        except OSError:
            raise DatasetError(f"{self.path}: image file missing or unreadable") from None


@dataclass(frozen=True)
class LazySample:
    """A sample read from a dataset, its pixels not yet decoded.

    Attributes:
        record: the sample record (``synthgen.records.to_record``'s layout: ``width``, ``height``,
            ``instances``, ``meta``, ...); ``file_name`` is the image's path as the source names it.
        categories: the source's category table (ids as the source numbers them).
        load_image: () -> (H, W, 3) uint8, the image (an ``ImageFile`` or another picklable loader).
        origin: where it came from, JSON-able: ``{"path": image file or container, "id": original id}``.
        sha256: hex digest of the image's encoded bytes where the reader knows it without reading
            the file (a synthgen dataset's records hold it), else None.
        resolve: None when ``record`` is complete; else a picklable (record) -> record that
            completes it: a reader may leave work out of ``record`` that only writing needs (the
            COCO reader leaves polygons unrasterised: their instances hold ``category`` and the
            rest, but ``bbox``, ``area`` and the RLE ``segmentation`` only once resolved).
            Planning reads categories from ``record``; ``full_record()`` and ``materialize()``
            resolve it.
    """

    record: dict[str, Any]
    categories: CategoryTable
    load_image: Callable[[], np.ndarray]
    origin: dict[str, Any]
    sha256: str | None = None
    resolve: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    def full_record(self) -> dict[str, Any]:
        """The complete sample record (``record`` with what the reader left for later done)."""
        return self.resolve(self.record) if self.resolve is not None else self.record

    @property
    def where(self) -> str:
        """The file and record, for messages."""
        return f"{self.origin.get('path')} (id {self.origin.get('id')})"

    def materialize(self) -> Sample:
        """The Sample, image decoded; DatasetError if the image's size is not the record's."""
        image = self.load_image()
        h, w = image.shape[:2]
        if (w, h) != (self.record["width"], self.record["height"]):
            raise DatasetError(
                f"{self.where}: image is {w}x{h} but its record says {self.record['width']}x{self.record['height']}"
            )
        return from_record(self.full_record(), image, self.categories)
