"""Readers of the text formats, inverses of the ``icdar`` and ``recognition`` writers.

- ``icdar``: ``gt_<stem>.txt`` files (a folder, or a dataset's ``icdar/``) and their images
  (``<stem>.png|.jpg`` in the dataset's ``images/`` or the ``images`` option). One instance per
  line: the quad, its transcription, ``legible: false`` for ``###`` lines (no transcription),
  and the quad's rasterised mask as segmentation, bbox and area.
- ``recognition``: a ``labels.tsv`` (or a folder holding one, or a dataset with ``recognition/``);
  ``recognition_lmdb``: a recognition LMDB folder (``data.mdb``). One sample per crop, with one
  instance whose quad is the whole crop and whose text is the transcription.

These formats hold no category: every instance gets ``ReadOptions.category``, else ``CATEGORY``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthgen.errors import DatasetError
from synthgen.formats.base import BadRecords, ReaderKind, ReadOptions, ReadResult, image_size, label_image, read_text
from synthgen.formats.fields import read_record_text, side_problem
from synthgen.formats.icdar import FOLDER as ICDAR_FOLDER
from synthgen.formats.icdar import parse_icdar_line
from synthgen.formats.lmdb_dataset import image_key, label_key
from synthgen.formats.paths import OutsideDataset, found_inside, inside_dataset
from synthgen.formats.recognition import FOLDER as RECOGNITION_FOLDER
from synthgen.formats.recognition import recognition_rows
from synthgen.lazy import ImageFile, LazySample, decode_rgb
from synthgen.records import instance_to_record
from synthgen.extensions import domain_label_class
from synthgen.types import CategoryTable, Instance


TEXT = "text"  # the label extension these formats hold (a word's record: transcription, quad)
CATEGORY = "text"  # the category of every instance these formats hold, unless ReadOptions names another


def polygon_instance(category: str, polygon: np.ndarray, height: int, width: int, **labels: Any) -> Instance:
    """An instance whose mask is the rasterised polygon ((N, 2) corner coordinates), with ``labels``
    (more ``Instance`` fields: its text record in ``extensions``, attributes)."""
    from pycocotools import mask as mask_utils

    rle = mask_utils.frPyObjects([np.asarray(polygon, np.float64).reshape(-1).tolist()], height, width)[0]
    area = int(mask_utils.area(rle))
    bbox = tuple(round(v) for v in mask_utils.toBbox(rle)) if area else (0, 0, 0, 0)
    seg = {"size": [height, width], "counts": rle["counts"].decode("ascii")}
    return Instance(category=category, bbox=bbox, area=area, rle=seg, **labels)


def read_icdar_dataset(path: Path, options: ReadOptions) -> ReadResult:
    path = Path(path)
    folder = path / ICDAR_FOLDER if (path / ICDAR_FOLDER).is_dir() else path
    if not folder.is_dir():
        raise DatasetError(f"{path}: ICDAR folder not found")
    images = Path(options.images) if options.images else (folder.parent / "images")
    category = options.category or CATEGORY
    table = CategoryTable.of_names([category])
    bad = BadRecords(options.on_bad)
    samples = []
    for gt in sorted(folder.glob("gt_*.txt")):
        try:
            found_inside(folder, gt, "label file")
        except OutsideDataset as exc:
            bad(str(gt), str(exc))
            continue
        stem = gt.stem[len("gt_") :]
        found = label_image(images, stem, str(gt), bad)
        if found is None:
            continue
        image, width, height = found
        problem = side_problem(width, height)  # pycocotools rasterises at this size
        if problem:
            bad(str(gt), f"image {image.name}: {problem}")
            continue
        text = read_record_text(gt, bad)
        if text is None:
            continue
        instances = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                word = parse_icdar_line(line)
            except ValueError as exc:
                bad(f"{gt} line {n}", str(exc))
                continue
            q = word.quad
            if (
                q[:, 0].min() < -0.5
                or q[:, 1].min() < -0.5
                or q[:, 0].max() > width + 0.5
                or q[:, 1].max() > height + 0.5
            ):
                bad(
                    f"{gt} line {n}",
                    f"quad {q.reshape(-1).tolist()} lies outside the {width}x{height} image {image.name}",
                )
                continue
            # a ``###`` word keeps its quad (where the illegible text is), with no transcription
            text = domain_label_class(TEXT)(None if word.dont_care else word.text, quad=q)
            attributes = {"legible": False} if word.dont_care else {}
            inst = polygon_instance(category, q, height, width, extensions={TEXT: text}, attributes=attributes)
            rec = instance_to_record(inst)
            instances.append(rec)
        record = {
            "index": len(samples),
            "file_name": image.name,
            "width": width,
            "height": height,
            "categories": list(table.names),
            "meta": {"index": len(samples), "stem": stem},
            "instances": instances,
        }
        samples.append(LazySample(record, table, ImageFile(str(image)), {"path": str(gt), "id": stem}))
    return ReadResult(table, samples, bad.skipped)


def crop_record(index: int, text: str, width: int, height: int, category: str, meta: dict) -> dict[str, Any]:
    """The sample record of a recognition crop: one instance, the whole crop, with its text."""
    quad = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
    inst = polygon_instance(category, quad, height, width, extensions={TEXT: domain_label_class(TEXT)(text, quad=quad)})
    return {
        "index": index,
        "file_name": meta.get("path", ""),
        "width": width,
        "height": height,
        "categories": [category],
        "meta": {"index": index, **meta},
        "instances": [instance_to_record(inst)],
    }


def read_recognition_dataset(path: Path, options: ReadOptions) -> ReadResult:
    path = Path(path)
    if path.is_dir() and not (path / "labels.tsv").is_file() and (path / RECOGNITION_FOLDER).is_dir():
        path = path / RECOGNITION_FOLDER
    tsv = path / "labels.tsv" if path.is_dir() else path
    if not tsv.is_file():
        raise DatasetError(f"{tsv}: labels.tsv not found")
    folder = Path(options.images) if options.images else tsv.parent
    category = options.category or CATEGORY
    table = CategoryTable.of_names([category])
    bad = BadRecords(options.on_bad)
    samples, seen = [], set()
    content = read_text(tsv)  # one file: unreadable, it is the whole source
    for n, row in recognition_rows(content):
        where = f"{tsv} line {n}"
        if isinstance(row, str):
            bad(where, row)
            continue
        rel, text = row
        if rel in seen:
            bad(where, f"duplicate crop path {rel}")
            continue
        seen.add(rel)
        try:
            crop = inside_dataset(folder, rel, "the crop path")
        except OutsideDataset as exc:
            bad(where, str(exc))
            continue
        size = image_size(crop) if crop.is_file() else None
        if size is None:
            bad(where, f"crop {crop} missing or not a readable image")
            continue
        if problem := side_problem(*size):
            bad(where, f"crop {crop}: {problem}")
            continue
        record = crop_record(len(samples), text, size[0], size[1], category, {"path": rel})
        samples.append(LazySample(record, table, ImageFile(str(crop)), {"path": str(crop), "id": rel}))
    return ReadResult(table, samples, bad.skipped)


_ENVS: dict[str, Any] = {}


def _env(folder: str):
    """This process's read-only environment of an LMDB folder (opened once)."""
    env = _ENVS.get(folder)
    if env is None:
        import lmdb

        env = _ENVS[folder] = lmdb.open(folder, readonly=True, lock=False, readahead=False, meminit=False)
    return env


@dataclass(frozen=True)
class LmdbImage:
    """Loads image ``n`` (1-based) of a recognition LMDB."""

    folder: str
    n: int

    def __call__(self) -> np.ndarray:
        return decode_rgb(self.content(), f"{self.folder} image-{self.n:09d}")

    def content(self) -> bytes:
        with _env(self.folder).begin() as txn:
            data = txn.get(image_key(self.n))
        if data is None:
            raise DatasetError(f"{self.folder}: image-{self.n:09d} missing")
        return bytes(data)


def read_lmdb_dataset(path: Path, options: ReadOptions) -> ReadResult:
    from PIL import Image, UnidentifiedImageError

    from synthgen.formats.lmdb_dataset import _lmdb

    lmdb = _lmdb()
    folder = Path(path)
    for candidate in (folder, folder / "lmdb", folder / RECOGNITION_FOLDER / "lmdb"):
        if (candidate / "data.mdb").is_file():
            folder = candidate
            break
    else:
        raise DatasetError(f"{path}: no LMDB here (data.mdb not found)")
    category = options.category or CATEGORY
    table = CategoryTable.of_names([category])
    bad = BadRecords(options.on_bad)
    samples = []
    try:
        env = _env(str(folder))
    except lmdb.Error as exc:
        raise DatasetError(f"{folder}: unreadable LMDB ({exc})") from None
    with env.begin() as txn:
        raw = txn.get(b"num-samples")
        try:
            count = int(bytes(raw).decode("ascii")) if raw is not None else None
        except (UnicodeDecodeError, ValueError):
            count = None
        if count is None:
            raise DatasetError(f"{folder}: LMDB has no readable num-samples key")
        entries = env.stat()["entries"]  # each sample is two keys: a larger count is a corrupt one
        if not 0 <= count <= entries // 2:
            raise DatasetError(f"{folder}: num-samples {count} does not fit the LMDB's {entries} keys")
        for n in range(1, count + 1):
            where = f"{folder} sample {n}"
            image, label = txn.get(image_key(n)), txn.get(label_key(n))
            if image is None or label is None:
                bad(where, "image or label missing")
                continue
            try:
                text = bytes(label).decode("utf-8")
            except UnicodeDecodeError:
                bad(where, "label is not UTF-8")
                continue
            try:
                with Image.open(io.BytesIO(bytes(image))) as im:
                    width, height = im.size
            except (OSError, UnidentifiedImageError):
                bad(where, "image is not readable")
                continue
            if problem := side_problem(width, height):
                bad(where, f"image {problem}")
                continue
            record = crop_record(len(samples), text, width, height, category, {"lmdb_id": n})
            samples.append(LazySample(record, table, LmdbImage(str(folder), n), {"path": str(folder), "id": n}))
    return ReadResult(table, samples, bad.skipped)


ICDAR_READER = ReaderKind(read_icdar_dataset, "a folder of gt_<stem>.txt files, or a dataset with icdar/")
RECOGNITION_READER = ReaderKind(
    read_recognition_dataset,
    "a labels.tsv, a folder holding one, or a dataset with recognition/",
    file_suffixes=(".tsv",),
)
LMDB_READER = ReaderKind(read_lmdb_dataset, "a recognition LMDB folder (data.mdb)")
