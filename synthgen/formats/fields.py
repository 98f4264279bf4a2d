"""Checks of the fields a reader takes from a dataset file, before anything uses them.

A real dataset is data from outside: every value is checked for its type and range here before
it reaches numpy, OpenCV or pycocotools (pycocotools' polygon rasteriser walks every pixel step
of every edge: a NaN or a coordinate of 1e18 made it allocate until the kernel killed the process,
or overflow and crash). Each check returns what is wrong, as a short phrase that names the field
and never the value when the value could be long (``value_text``), or "" when nothing is.

Bounds, the same for every reader:

- an image side (a record's width and height, an image file's header) is a whole number in
  1..``MAX_SIDE`` (65,536), and an image holds at most ``MAX_PIXELS`` (2**28) pixels;
- a coordinate is a finite number within the image grown by ``COORD_MARGIN`` times its own size
  on each side (a polygon point of a 640x480 image lies in -640..1280 x -480..960): generous for
  annotations that reach past the border, and it bounds the rasteriser's work by the image's size;
- a measure nothing rasterises (an amodal box, a 3D box, a camera's numbers) is finite within
  +-``MAX_MEASURE`` (1e6 pixels or metres);
- an id is a whole number (not a bool, not a float) of at most 64 bits;
- a nested value (COCO ``attributes``) is at most ``MAX_DEPTH`` levels deep.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

MAX_SIDE = 65536
MAX_PIXELS = 1 << 28
COORD_MARGIN = 1.0
MAX_ID = (1 << 63) - 1
MAX_DEPTH = 8
MAX_MEASURE = 1e6  # a measure nothing rasterises (an amodal box, a 3D box): at most a million pixels or metres
SHOWN_CHARS = 40  # a value whose repr is longer is named by its type, not shown


def value_text(value: Any) -> str:
    """A value for a message: its repr when short, else what it is (``a list of 3000 items``)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**SHOWN_CHARS:
        return "a number of more than 40 digits"  # repr() of a 5,000-digit int raises ValueError
    text = repr(value)
    if len(text) <= SHOWN_CHARS:
        return text
    if isinstance(value, (list, dict)):
        return f"a {type_name(value)} of {len(value)} items"
    return f"a {type_name(value)} of {len(text)} characters"


def type_name(value: Any) -> str:
    """The JSON name of a value's type (``list``, ``mapping``, ``text``, ``number``, ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def is_number(value: Any) -> bool:
    """A finite int or float (not a bool) of at most ~1e300: what a coordinate or a measure may be."""
    if type(value) is int:
        return -(10**300) < value < 10**300  # a larger int cannot become a float
    return type(value) is float and math.isfinite(value)


def id_problem(value: Any, field: str) -> str:
    """What keeps ``value`` from being an id (a whole number of at most 64 bits), or ""."""
    if type(value) is not int:
        return f"{field} must be a whole number, got {value_text(value) if is_number(value) else type_name(value)}"
    if not -MAX_ID <= value <= MAX_ID:
        return f"{field} must be a whole number of at most 64 bits, got {value_text(value)}"
    return ""


def side_problem(width: Any, height: Any) -> str:
    """What is wrong with an image's width and height, or ""."""
    for name, v in (("width", width), ("height", height)):
        if type(v) is not int or not 1 <= v <= MAX_SIDE:
            return f"{name} must be a whole number in 1..{MAX_SIDE}, got {value_text(v)}"
    if width * height > MAX_PIXELS:
        return f"{width}x{height} is more than {MAX_PIXELS} pixels"
    return ""


def numbers_problem(
    values: Any, field: str, count: int | None = None, low: float = -math.inf, high: float = math.inf
) -> str:
    """What keeps ``values`` from being a list of (``count``) finite numbers in ``low..high``, or ""."""
    if not isinstance(values, list):
        return f"{field} must be a list of numbers, got {type_name(values)}"
    if count is not None and len(values) != count:
        return f"{field} must be {count} numbers, got {len(values)}"
    for v in values:
        if not is_number(v):
            return f"{field} must hold finite numbers, got {value_text(v)}"
        if not low <= v <= high:
            return f"{field} holds {value_text(v)}, outside {low:g}..{high:g}"
    return ""


def coordinate_bounds(width: int, height: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """((x low, x high), (y low, y high)): where a point of a width x height image may lie."""
    return (-COORD_MARGIN * width, (1 + COORD_MARGIN) * width), (-COORD_MARGIN * height, (1 + COORD_MARGIN) * height)


def points_problem(
    values: Any, field: str, width: int, height: int, min_points: int = 1, count: int | None = None
) -> str:
    """What keeps ``values`` from being a flat list [x1, y1, x2, y2, ...] of at least
    ``min_points`` (exactly ``count``, if given) points within the image's coordinate bounds, or ""."""
    if not isinstance(values, list):
        return f"{field} must be a list of x, y numbers, got {type_name(values)}"
    if count is not None and len(values) != 2 * count:
        return f"{field} must be {count} x, y pairs ({2 * count} numbers), got {len(values)} numbers"
    if len(values) % 2 or len(values) < 2 * min_points:
        return f"{field} must be a list of at least {min_points} x, y pairs, got {len(values)} numbers"
    (x0, x1), (y0, y1) = coordinate_bounds(width, height)
    for k, v in enumerate(values):
        if not is_number(v):
            return f"{field} must hold finite numbers, got {value_text(v)}"
        low, high = (x0, x1) if k % 2 == 0 else (y0, y1)
        if not low <= v <= high:
            return f"{field} holds {'x' if k % 2 == 0 else 'y'} {value_text(v)}, far outside the {width}x{height} image"
    return ""


def depth_problem(value: Any, field: str, limit: int = MAX_DEPTH) -> str:
    """What keeps a JSON value from being at most ``limit`` levels deep with finite numbers, or ""."""
    stack = [(value, 0)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, (list, dict)):
            if depth >= limit:
                return f"{field} is nested more than {limit} levels deep"
            items = v.values() if isinstance(v, dict) else v
            stack.extend((item, depth + 1) for item in items)
        elif isinstance(v, float) and not math.isfinite(v):
            return f"{field} holds {v!r}"
        elif type(v) is int and not -MAX_ID <= v <= MAX_ID:
            return f"{field} holds a number of more than 64 bits"
    return ""


def read_record_text(path: Path, bad: Any) -> str | None:
    """A per-image label file's text (UTF-8, BOM dropped); None, after reporting it to ``bad`` (an
    error, or a skip), when it is unreadable or not UTF-8: one file of a dataset of many is a record."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        bad(str(path), f"cannot read ({exc.strerror})")
    except UnicodeDecodeError as exc:
        bad(str(path), f"not UTF-8 (byte {exc.start})")
    return None

