"""Text-recognition crops: ``recognition/images/<index>_<k>.png``, ``labels.tsv`` and ``lmdb/``.

Every legible text instance with a quad and a transcription (see ``icdar.is_legible``), lines of
words excepted, gives one crop, rectified from its quad by a perspective transform to an upright
rectangle as wide and as tall as the quad's longer opposite sides. ``<index>`` is the sample's
9-digit index and ``<k>`` the instance's position in the sample, so a crop leads back to its
COCO annotation.

Crops are written with each sample (so a resumed run keeps them). Where a crop is the whole
image (crop scenes such as ``ocr_recognition``) and the image is a PNG, the crop is a hard link
to ``images/<index>.png``: the same pixels, with no second encoding or file. ``labels.tsv``
(``images/<index>_<k>.png<TAB>transcription``, one line per crop in index order, paths relative
to ``recognition/``) and the LMDB (see ``lmdb_dataset``) are rebuilt from the crops at the end.
Transcriptions holding a tab or a line break cannot be stored in the TSV and are refused.

Where the scene records fonts (``fonts.record``), ``meta.jsonl`` sits beside ``labels.tsv``: one
JSON object per crop, in the same order, ``{"image": <crop path>, "font": <file name>,
"font_size": <px>}``, so results can be broken down by font. A sidecar rather than more TSV
columns: readers of ``path<TAB>text`` files such as deep-text-recognition-benchmark's
``create_lmdb_dataset.py`` unpack exactly two fields and fail on a third (PaddleOCR's
``SimpleDataSet`` would ignore it). Without recorded fonts no ``meta.jsonl`` is written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from synthgen.errors import DatasetError
from synthgen.formats.base import WriterKind, atomic_output, read_text, temp_path
from synthgen.formats.icdar import is_legible, is_line, text_record
from synthgen.formats.lmdb_dataset import map_size, read_lmdb, value_pages, write_lmdb
from synthgen.image_codec import encode_png
from synthgen.records import InstanceView, instance_views
from synthgen.types import CategoryTable, Sample

FOLDER = "recognition"
LABELS = f"{FOLDER}/labels.tsv"
LMDB = f"{FOLDER}/lmdb"
META = f"{FOLDER}/meta.jsonl"
META_KEYS = ("font", "font_size")  # instance attributes meta.jsonl carries
# Word crops are small: level 1 encodes ~4x faster than level 6 for ~30% more bytes (lossless either way).
PNG_COMPRESS_LEVEL = 1
FORBIDDEN = ("\t", "\n", "\r")

__all__ = ["WRITER", "crop_quad", "read_lmdb", "read_recognition_meta", "read_recognition_tsv"]


def crop_path(index: int, k: int) -> str:
    """The crop of instance ``k`` of sample ``index``, relative to ``recognition/``."""
    return f"images/{index:09d}_{k}.png"


def crop_quad(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Rectify the region inside a quad to an upright rectangle.

    Args:
        image: (H, W, C) or (H, W) uint8.
        quad: (4, 2) corners clockwise from the top-left of the upright text, in corner
            coordinates (pixel x spans [x, x + 1]), as text quads are stored.

    Returns:
        (h, w[, C]) uint8 with w the longer of the top and bottom sides, h the longer of the
        left and right sides (rounded, at least 1). An upright quad on whole pixels gives exactly
        ``image[top:bottom, left:right]``.
    """
    import cv2

    q = np.asarray(quad, np.float64).reshape(4, 2)
    width = max(round(max(np.linalg.norm(q[1] - q[0]), np.linalg.norm(q[2] - q[3]))), 1)
    height = max(round(max(np.linalg.norm(q[3] - q[0]), np.linalg.norm(q[2] - q[1]))), 1)
    # OpenCV samples at pixel centres: shift corner coordinates by half a pixel on both sides.
    src = (q - 0.5).astype(np.float32)
    dst = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32) - 0.5
    matrix = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _check_text(text: str, where: str) -> None:
    if any(c in text for c in FORBIDDEN):
        raise DatasetError(f"{where}: transcription {text!r} holds a tab or line break, which labels.tsv cannot store")


def _crops_of(record: dict[str, Any]) -> Iterator[tuple[int, InstanceView]]:
    for k, inst in enumerate(instance_views(record)):
        if is_legible(inst) and not is_line(inst):  # word crops; lines are their words again
            yield k, inst


def _is_whole_image(quad: np.ndarray, width: int, height: int) -> bool:
    return [float(v) for v in np.asarray(quad).reshape(-1)] == [0.0, 0.0, width, 0.0, width, height, 0.0, height]


def write_sample(sample: Sample, record: dict[str, Any], root: Path) -> None:
    # The record's quad (3 decimals) rather than the float32 one, so crops match the labels
    # that every other writer stores.
    folder = root / FOLDER
    image_file = root / record["file_name"]
    for k, inst in _crops_of(record):
        text = text_record(inst)
        _check_text(text.transcription, f"sample {record['index']} instance {k}")
        path = folder / crop_path(record["index"], k)
        if not path.parent.is_dir():  # one stat per crop; mkdir(exist_ok=True) raises and catches
            path.parent.mkdir(parents=True)
        if image_file.suffix == ".png" and _is_whole_image(text.quad, record["width"], record["height"]):
            # A crop scene (ocr_recognition): the crop is the whole image, already a PNG of these
            # pixels. A hard link costs no encoding and no new inode; where links fail, a copy of
            # the same bytes, so the dataset does not depend on the filesystem.
            try:
                os.link(image_file, path)
            except OSError:
                path.write_bytes(image_file.read_bytes())
            continue
        pixels = crop_quad(sample.image, np.asarray(text.quad, np.float64).reshape(4, 2))
        path.write_bytes(encode_png(pixels, PNG_COMPRESS_LEVEL))


def finalize(records: Iterable[dict], root: Path, categories: CategoryTable) -> list[str]:
    """Write ``labels.tsv`` (and ``meta.jsonl`` where fonts are recorded) and rebuild ``lmdb/``
    from the crops on disk, in index order.

    One pass over the records streams ``labels.tsv``; the LMDB is then filled from that file
    (images first, labels after, as its key order wants), so memory does not grow with the
    number of crops.
    """
    folder = root / FOLDER
    count = pages = 0
    meta_tmp = temp_path(root / META)
    recorded = False
    try:
        with atomic_output(root / LABELS) as tsv, open(meta_tmp, "wb") as meta:
            for rec in records:
                for k, inst in _crops_of(rec):
                    rel = crop_path(rec["index"], k)
                    try:
                        size = (folder / rel).stat().st_size
                    except FileNotFoundError:
                        missing = f"{folder / rel}: crop is missing; rerun generate with --overwrite"
                        raise DatasetError(missing) from None
                    text = text_record(inst).transcription.encode("utf-8")
                    tsv.write(b"%s\t%s\n" % (rel.encode("utf-8"), text))
                    attributes = inst.attributes
                    row = {"image": rel, **{n: attributes[n] for n in META_KEYS if n in attributes}}
                    recorded = recorded or len(row) > 1
                    meta.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
                    count += 1
                    pages += value_pages(size) + value_pages(len(text))
        if recorded:
            os.replace(meta_tmp, root / META)
        else:
            (root / META).unlink(missing_ok=True)  # a rerun without recorded fonts leaves none behind
    finally:
        meta_tmp.unlink(missing_ok=True)
    images = ((folder / rel.decode("utf-8")).read_bytes() for rel, _ in _tsv_rows(root / LABELS))
    labels = (text for _, text in _tsv_rows(root / LABELS))
    write_lmdb(root / LMDB, count, images, labels, map_size(pages))
    return [LABELS, *([META] if recorded else []), f"{LMDB}/data.mdb"]


def _tsv_rows(path: Path) -> Iterator[tuple[bytes, bytes]]:
    """(crop path, transcription) of each line of a ``labels.tsv`` this writer wrote, as bytes."""
    with open(path, "rb") as f:
        for line in f:
            rel, _, text = line.removesuffix(b"\n").partition(b"\t")
            yield rel, text


def read_recognition_tsv(path: str | Path) -> list[tuple[str, str]]:
    """(crop path, transcription) pairs of a ``labels.tsv`` (or of a dataset's ``recognition/``).

    Paths are as written: relative to the folder holding the TSV.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "labels.tsv" if (path / "labels.tsv").is_file() else path / LABELS
    pairs = []
    for number, row in recognition_rows(read_text(path)):
        if isinstance(row, str):
            raise DatasetError(f"{path}: line {number}: {row}")
        pairs.append(row)
    return pairs


def recognition_rows(content: str) -> Iterator[tuple[int, tuple[str, str] | str]]:
    """(line number, (crop path, transcription)) of each line of a ``labels.tsv``'s text, or (line
    number, what is wrong with it) for a line that is not two tab-separated fields."""
    for number, line in enumerate(content.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line:
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not fields[0]:
            yield number, f"expected 'path<TAB>transcription', got {len(fields)} tab-separated fields"
        else:
            yield number, (fields[0], fields[1])


def read_recognition_meta(path: str | Path) -> dict[str, dict[str, Any]]:
    """Crop path -> its recorded attributes (``font``, ``font_size``) from a ``meta.jsonl`` (or a
    dataset's ``recognition/``); empty when the run recorded none."""
    path = Path(path)
    if path.is_dir():
        path = path / "meta.jsonl" if (path / "labels.tsv").is_file() else path / META
    if not path.is_file():
        return {}
    out = {}
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        try:
            row = json.loads(line)
            out[row.pop("image")] = row
        except (ValueError, KeyError, TypeError, AttributeError):
            raise DatasetError(f"{path}: line {number}: expected a JSON object with an 'image' key") from None
    return out


WRITER = WriterKind(
    write_sample=write_sample,
    finalize=finalize,
    # the transcription of a crop of the text quad's pixels (the crop is the quad: its coordinates
    # are not kept); attributes: only the font and font_size, in meta.jsonl
    writes=frozenset({"text"}),
    entries=(FOLDER,),
    needs=frozenset({"quads", "text"}),
)
