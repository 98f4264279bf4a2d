"""Golden files: a Fingerprint as JSON, read with checks and written atomically.

The JSON is indented with number lists kept on one line, so that a golden's diff in a pull
request shows which sample and which label changed.
"""

from __future__ import annotations

import json
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


def _from_json(data: Any) -> Fingerprint:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f'not a synthgen golden fingerprint (no "format": "{FORMAT}")')
    if data.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"format_version {data.get('format_version')!r} is not {FORMAT_VERSION}; rerun with --update")
    samples = []
    for i, s in enumerate(_expect(data, "samples", list, "a list of samples")):
        if not isinstance(s, dict):
            raise TypeError(f"samples[{i}]: expected a mapping, got {type(s).__name__}")
        try:
            samples.append(
                SampleFingerprint(
                    index=int(s["index"]),
                    width=int(s["width"]),
                    height=int(s["height"]),
                    categories=tuple(s["categories"]),
                    meta=dict(s["meta"]),
                    instances=tuple(s["instances"]),
                    pixel_hash=str(s["pixel_hash"]),
                    thumbnail=thumbnail_from_text(s["thumbnail"]),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise ValueError(f"samples[{i}]: {type(exc).__name__}: {str(exc)[:100]}") from None
        for j, inst in enumerate(samples[-1].instances):
            if not isinstance(inst, dict) or "category" not in inst or "bbox" not in inst:
                raise ValueError(f"samples[{i}].instances[{j}]: needs category and bbox")
            bbox = inst["bbox"]
            if not isinstance(bbox, list) or len(bbox) != 4 or not all(isinstance(v, (int, float)) for v in bbox):
                raise ValueError(f"samples[{i}].instances[{j}].bbox: expected 4 numbers")
    if not samples:
        raise ValueError("holds no samples")
    stats = data.get("stats")
    if not isinstance(stats, dict) or not all(isinstance(v, (int, float)) for v in stats.values()):
        raise ValueError("stats: expected a mapping of numbers")
    if not isinstance(data.get("provenance") or {}, dict):
        raise TypeError("provenance: expected a mapping")
    if "thumbnail_px" in data and (not isinstance(data["thumbnail_px"], int) or isinstance(data["thumbnail_px"], bool)):
        raise ValueError("thumbnail_px: expected a whole number")
    return Fingerprint(
        samples=tuple(samples),
        stats={str(k): float(v) for k, v in stats.items()},
        provenance=dict(data.get("provenance") or {}),
        thumbnail_px=int(data.get("thumbnail_px", samples[0].thumbnail.shape[1])),
    )


def dumps(fp: Fingerprint) -> str:
    """Golden file text: indented JSON, number lists on one line."""
    text = json.dumps(to_json(fp), indent=1, ensure_ascii=False)
    return _NUMBER_LIST.sub(lambda m: "[" + ",".join(p.strip() for p in m.group(1).split(",")) + "]", text) + "\n"


def load_golden(path: str | Path) -> Fingerprint:
    """Read a golden file; any problem is an InputError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: golden fingerprint not found; create it with --update")
    try:
        if path.stat().st_size > MAX_GOLDEN_BYTES:
            raise InputError(f"{path}: golden fingerprint larger than {MAX_GOLDEN_BYTES // 2**20} MiB")
        data = json.loads(path.read_text(encoding="utf-8"))
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
