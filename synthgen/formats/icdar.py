"""ICDAR 2015 text localisation ground truth (``icdar/gt_<image stem>.txt``), writer and reader.

One file per image, one line per word: ``x1,y1,x2,y2,x3,y3,x4,y4,transcription``, the quad
clockwise from the top-left corner of the upright word, in integer pixel (corner) coordinates.
The ``icdar_lines`` writer writes the same format for text lines (``icdar_lines/gt_<stem>.txt``,
one line per ``line`` instance of ``synthgen.text.lines``), as line-level benchmarks
(MSRA-TD500, and ICDAR-style line ground truth in general) use. ``###`` marks a "don't care"
instance: one whose ``legible`` attribute is False, or one with no quad (its box corners are
written instead) or no transcription. Everything after
the 8th comma is the transcription, so transcriptions may hold commas. A transcription that the
official evaluation script (``rrc_evaluation_funcs.get_tl_line_values``) would change, one
wrapped in double quotes, is written quoted with ``\\`` and ``\"`` escapes, which that script
reads back as the same text; a legible word that is literally ``###`` is written ``"###"`` (the
script then still treats it as don't care: ICDAR 2015 cannot tell the two apart; synthgen's reader
can). ``writers: {icdar: {naming: img_n}}`` names the files ``gt_img_<index>.txt``, as the
script's default ``GT_SAMPLE_NAME_2_ID`` expects, instead of ``gt_<image stem>.txt``. Files are written as
UTF-8 without a BOM with ``\\n`` line ends; the reader also accepts the BOM and ``\\r\\n`` of the
original ICDAR 2015 files.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from synthgen.config.params import Params, one_of, param
from synthgen.errors import DatasetError
from synthgen.formats.base import WriterKind, read_text
from synthgen.records import InstanceView, instance_views
from synthgen.types import Instance, Sample

FOLDER = "icdar"
LINES_FOLDER = "icdar_lines"
DONT_CARE = "###"
# what the official script unwraps: a transcription in double quotes
_QUOTED = re.compile(r'^\s*"(.*)"\s*$')


class IcdarOptions(Params):
    """``writers: {icdar: {...}}`` (and ``icdar_lines``)."""

    naming: str = param(
        "stem", one_of("stem", "img_n"),
        "``stem``: ``gt_<image stem>.txt``; ``img_n``: ``gt_img_<index>.txt``, the names the ICDAR 2015 "
        "evaluation script expects by default",
    )


def quote_transcription(text: str) -> str:
    """``text`` as the official script reads it back unchanged: as it is, or quoted and escaped."""
    if text != DONT_CARE and not _QUOTED.match(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote_transcription(field: str) -> tuple[str, bool]:
    """The official script's reading of a transcription field, and whether it was quoted."""
    m = _QUOTED.match(field)
    if m is None:
        return field, False
    return m.group(1).replace("\\\\", "\\").replace('\\"', '"'), True


class IcdarWord(NamedTuple):
    """One line of an ICDAR 2015 file.

    Attributes:
        quad: (4, 2) float32 corners, clockwise from top-left, as written (whole pixels).
        text: the transcription (``###`` when dont_care).
        dont_care: True for ``###`` lines.
    """

    quad: np.ndarray
    text: str
    dont_care: bool


def gt_path(file_name: str, folder: str = FOLDER, naming: str = "stem", index: int | None = None) -> str:
    """The ICDAR file (relative to the dataset root) of an image path such as ``images/000000007.png``
    (with ``naming: img_n`` and its sample index 7: ``gt_img_7.txt``)."""
    if naming == "img_n":
        return f"{folder}/gt_img_{index}.txt"
    return f"{folder}/gt_{Path(file_name).stem}.txt"


TEXT = "text"  # the label extension these formats write (``synthgen.extensions.DOMAIN_LABELS``)


def text_record(inst: Instance | InstanceView) -> Any:
    """The text label of an instance (``extensions["text"]``: transcription, quad, ...), or None."""
    return inst.extensions.get(TEXT)


def is_text_instance(inst: Instance | InstanceView) -> bool:
    return text_record(inst) is not None


def is_line(inst: Instance | InstanceView) -> bool:
    """An instance that stands for a line of word instances (``synthgen.text.lines``)."""
    return inst.attributes.get("level") == "line"


def is_legible(inst: Instance | InstanceView) -> bool:
    """A text instance that a recogniser can be trained on: legible, with a quad and a transcription."""
    text = text_record(inst)
    return (
        inst.attributes.get("legible") is not False
        and text is not None
        and text.quad is not None
        and bool(text.transcription)
    )


def _line(inst: InstanceView, index: int) -> str:
    text = text_record(inst)
    if text.quad is not None:
        corners = np.asarray(text.quad).reshape(-1)
    else:
        x, y, w, h = inst.bbox
        corners = [x, y, x + w, y, x + w, y + h, x, y + h]
    coords = ",".join(str(int(np.rint(v))) for v in corners)
    legible = is_legible(inst)
    words = text.transcription if legible else DONT_CARE
    if "\n" in words or "\r" in words:
        raise DatasetError(f"sample {index}: transcription {words!r} holds a line break, which ICDAR 2015 cannot store")
    return f"{coords},{quote_transcription(words) if legible else words}\n"


def icdar_text(record: dict[str, Any], lines: bool = False) -> str:
    """The ICDAR 2015 file content of one sample record: its words, or with ``lines`` its lines."""
    return "".join(
        _line(inst, record["index"])
        for inst in instance_views(record)
        if is_text_instance(inst) and is_line(inst) == lines
    )


def write_sample(sample: Sample, record: dict[str, Any], root: Path, options: IcdarOptions = IcdarOptions()) -> None:
    path = root / gt_path(record["file_name"], FOLDER, options.naming, record["index"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(icdar_text(record).encode("utf-8"))


def write_lines_sample(sample: Sample, record: dict[str, Any], root: Path, options: IcdarOptions = IcdarOptions()) -> None:
    path = root / gt_path(record["file_name"], LINES_FOLDER, options.naming, record["index"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(icdar_text(record, lines=True).encode("utf-8"))


MAX_COORDINATE = 1e6  # pixels; a coordinate read beyond it (or NaN, inf) is refused


def parse_icdar_line(line: str) -> IcdarWord:
    """One line of an ICDAR 2015 ground-truth file (not blank); ValueError saying what is wrong
    with it, without its content."""
    fields = line.split(",", 8)
    if len(fields) != 9:
        raise ValueError(f"expected 8 coordinates and a transcription, got {len(fields)} fields")
    try:
        coords = [float(v) for v in fields[:8]]
    except ValueError:
        raise ValueError("coordinates are not numbers") from None
    if not all(math.isfinite(v) and abs(v) <= MAX_COORDINATE for v in coords):
        raise ValueError(f"a coordinate is not a finite number within +-{MAX_COORDINATE:g}")
    text, quoted = unquote_transcription(fields[8])
    return IcdarWord(np.asarray(coords, np.float32).reshape(4, 2), text, text == DONT_CARE and not quoted)


def parse_icdar_file(path: Path) -> list[IcdarWord]:
    """The lines of one ICDAR 2015 ground-truth file."""
    content = read_text(path)
    words = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            words.append(parse_icdar_line(line))
        except ValueError as exc:
            raise DatasetError(f"{path}: line {number}: {exc}") from None
    return words


def read_icdar(folder: str | Path) -> dict[str, list[IcdarWord]]:
    """Read every ``gt_<stem>.txt`` of an ICDAR 2015 folder (or of a dataset's ``icdar/`` folder).

    Args:
        folder: the folder holding the gt files, or a dataset root with an ``icdar/`` folder.

    Returns:
        image stem -> its words in file order, stems sorted.
    """
    folder = Path(folder)
    if (folder / FOLDER).is_dir() and not any(folder.glob("gt_*.txt")):
        folder = folder / FOLDER
    if not folder.is_dir():
        raise DatasetError(f"{folder}: ICDAR folder not found")
    return {p.stem[len("gt_") :]: parse_icdar_file(p) for p in sorted(folder.glob("gt_*.txt"))}


# ICDAR 2015 holds a quad and a transcription per text instance (``###`` for illegible ones).
_WRITES = frozenset({"text", "quad"})
WRITER = WriterKind(
    write_sample=write_sample,
    writes=_WRITES,
    entries=(FOLDER,),
    options=IcdarOptions,
    needs=frozenset({"quads", "text"}),
)
LINES_WRITER = WriterKind(
    write_sample=write_lines_sample,
    writes=_WRITES,
    entries=(LINES_FOLDER,),
    options=IcdarOptions,
    needs=frozenset({"lines"}),
)
