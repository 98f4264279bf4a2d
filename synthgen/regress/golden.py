"""Golden files: a Fingerprint as JSON, read with checks and written atomically.

The JSON is indented with number lists kept on one line, so that a golden's diff in a pull
request shows which sample and which label changed.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from synthgen.errors import InputError
from synthgen.formats.base import write_atomic
from synthgen.regress.fingerprint import Fingerprint, SampleFingerprint
from synthgen.regress.pixels import thumbnail_from_text, thumbnail_to_text

FORMAT = "synthgen-regress-fingerprint"
FORMAT_VERSION = 1
MAX_GOLDEN_BYTES = 256 * 2**20

# A list of numbers as json.dumps(indent=...) lays it out; a literal newline never occurs inside a
# JSON string, so text such as a transcription "[1, 2]" is left alone.
_NUMBER_LIST = re.compile(r"\[\n\s*(-?[\d.eE+-]+(?:,\n\s*-?[\d.eE+-]+)*)\n\s*\]")


def to_json(fp: Fingerprint) -> dict[str, Any]:
    """The JSON-able form of a fingerprint."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "num": len(fp.samples),
        "thumbnail_px": fp.thumbnail_px,
        "provenance": fp.provenance,
        "stats": fp.stats,
        "samples": [
            {
                "index": s.index,
                "width": s.width,
                "height": s.height,
                "categories": list(s.categories),
                "meta": s.meta,
                "pixel_hash": s.pixel_hash,
                "instances": list(s.instances),
                "thumbnail": thumbnail_to_text(s.thumbnail),
            }
            for s in fp.samples
        ],
    }


def from_json(data: Any) -> Fingerprint:
    """A fingerprint from its JSON form; raises ValueError saying what is wrong."""
    try:
        return _from_json(data)
    except TypeError as exc:  # a value of the wrong type (the checks' own, and any they missed)
        raise ValueError(str(exc)[:200]) from None
    except (KeyError, AttributeError, IndexError, OverflowError, RecursionError) as exc:
        # a value of the wrong shape somewhere the checks below do not look (a list for a mapping)
        raise ValueError(f"unexpected structure ({type(exc).__name__}: {str(exc)[:100]})") from None


def _expect(data: dict, key: str, kind: type | tuple[type, ...], what: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"{key}: expected {what}, got {type(value).__name__}")
    return value


def _whole(value: Any, where: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{where}: expected a whole number in {low}..{high}")
    return value


def _sample(s: Any, i: int) -> SampleFingerprint:
    if not isinstance(s, dict):
        raise TypeError(f"samples[{i}]: expected a mapping, got {type(s).__name__}")
    where = f"samples[{i}]"
    for key in ("index", "width", "height", "categories", "meta", "instances", "pixel_hash", "thumbnail"):
        if key not in s:
            raise ValueError(f"{where}: no {key}")
    categories, meta, instances, pixel_hash = s["categories"], s["meta"], s["instances"], s["pixel_hash"]
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise ValueError(f"{where}.categories: expected a list of names")
    if not isinstance(meta, dict):
        raise ValueError(f"{where}.meta: expected a mapping")
    if not isinstance(pixel_hash, str) or not re.fullmatch(r"[0-9a-f]{8,64}", pixel_hash):
        raise ValueError(f"{where}.pixel_hash: expected a hexadecimal hash")
    if not isinstance(instances, list):
        raise ValueError(f"{where}.instances: expected a list")
    # the golden file's raw JSON, checked key by key before anything reads it typed
    for j, inst in enumerate(instances):
        if not isinstance(inst, dict) or not isinstance(inst.get("category"), str) or "bbox" not in inst:
            raise ValueError(f"{where}.instances[{j}]: needs a category name and a bbox")
        bbox = inst["bbox"]
        if (
            not isinstance(bbox, list)
            or len(bbox) != 4
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in bbox)
            or bbox[2] < 0
            or bbox[3] < 0
        ):
            raise ValueError(f"{where}.instances[{j}].bbox: expected 4 numbers x, y, w >= 0, h >= 0")
    try:
        thumbnail = thumbnail_from_text(s["thumbnail"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}.thumbnail: {type(exc).__name__}: {str(exc)[:100]}") from None
    return SampleFingerprint(
        index=_whole(s["index"], f"{where}.index", 0, 2**62),
        width=_whole(s["width"], f"{where}.width", 1, 2**16),
        height=_whole(s["height"], f"{where}.height", 1, 2**16),
        categories=tuple(categories),
        meta=dict(meta),
        instances=tuple(instances),
        pixel_hash=pixel_hash,
        thumbnail=thumbnail,
    )


def _from_json(data: Any) -> Fingerprint:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f'not a synthgen golden fingerprint (no "format": "{FORMAT}")')
    if data.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"format_version {data.get('format_version')!r} is not {FORMAT_VERSION}; rerun with --update")
    samples = [_sample(s, i) for i, s in enumerate(_expect(data, "samples", list, "a list of samples"))]
    if not samples:
        raise ValueError("holds no samples")
    indices = [s.index for s in samples]
    if len(set(indices)) != len(indices):
        raise ValueError("samples: a sample index occurs twice")
    if "num" in data and data["num"] != len(samples):
        raise ValueError(f"num: {data['num']!r} is not the number of samples ({len(samples)})")
    stats = data.get("stats")
    if not isinstance(stats, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in stats.values()
    ):
        raise ValueError("stats: expected a mapping of numbers")
    if not isinstance(data.get("provenance") or {}, dict):
        raise TypeError("provenance: expected a mapping")
    thumbnail_px = _whole(data.get("thumbnail_px", max(samples[0].thumbnail.shape[:2])), "thumbnail_px", 16, 512)
    return Fingerprint(
        samples=tuple(samples),
        stats={str(k): float(v) for k, v in stats.items()},
        provenance=dict(data.get("provenance") or {}),
        thumbnail_px=thumbnail_px,
    )


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses as inf
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def _no_constant(name: str) -> float:
    # json.loads takes NaN and Infinity by default; a NaN compares unequal to everything, so a check
    # against it could never fail (a NaN box or statistic 'matched' whatever was generated)
    raise ValueError(f"holds {name}, which a golden never does")


def dumps(fp: Fingerprint) -> str:
    """Golden file text: indented JSON, number lists on one line."""
    text = json.dumps(to_json(fp), indent=1, ensure_ascii=False, allow_nan=False)
    return _NUMBER_LIST.sub(lambda m: "[" + ",".join(p.strip() for p in m.group(1).split(",")) + "]", text) + "\n"


def load_golden(path: str | Path) -> Fingerprint:
    """Read a golden file; any problem is an InputError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: golden fingerprint not found; create it with --update")
    try:
        if path.stat().st_size > MAX_GOLDEN_BYTES:
            raise InputError(f"{path}: golden fingerprint larger than {MAX_GOLDEN_BYTES // 2**20} MiB")
        data = json.loads(path.read_text(encoding="utf-8"), parse_float=_finite_float, parse_constant=_no_constant)
    except RecursionError:
        raise InputError(f"{path}: unreadable golden fingerprint (JSON nested too deep)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: unreadable golden fingerprint ({first})") from None
    try:
        return from_json(data)
    except ValueError as exc:
        raise InputError(f"{path}: corrupt golden fingerprint: {exc}") from None


def save_golden(fp: Fingerprint, path: str | Path) -> Path:
    """Write a golden atomically (readers see the old file or the whole new one)."""
    path = Path(path)
    write_atomic(path, dumps(fp).encode("utf-8"))
    return path
