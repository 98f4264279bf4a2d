"""A COCO RLE mask as polygons that pycocotools rasterises back to exactly the mask's pixels.

COCO's writer (``segmentation: polygon``, the default) and YOLO's ``segment`` mode use it, once per
visible instance, in the run's worker processes. It costs ~0.25 ms for a word of ocr_wild (it was
~1.2 ms when it decoded the whole image with pycocotools and doubled the mask with ``np.kron``):
what it costs a run is ``scripts/bench_coco.py``'s to measure.
"""

from __future__ import annotations

import functools

import numpy as np


def rle_counts(counts: str) -> np.ndarray:
    """The run lengths of a COCO compressed RLE string (pycocotools' ``rleFrString``, vectorised).

    Each number is 5-bit groups, least significant first, in characters from ``0`` (48); a set
    0x20 bit says another group follows, a set 0x10 bit in the last group makes it negative; from
    the third number on, each is a difference to the number two before it.

    Returns:
        (M,) int64 run lengths, alternately background and foreground, starting with background,
        in column-major pixel order.
    """
    c = np.frombuffer(counts.encode("ascii"), np.uint8).astype(np.int64) - 48
    if not len(c):
        return np.zeros(0, np.int64)
    last = np.flatnonzero((c & 0x20) == 0)  # the last character of each number
    first = np.concatenate(([0], last[:-1] + 1))
    groups = last - first + 1
    shift = 5 * (np.arange(len(c)) - np.repeat(first, groups))
    x = np.add.reduceat((c & 0x1F) << shift, first)
    negative = (c[last] & 0x10) != 0
    x[negative] |= np.left_shift(-1, 5 * groups[negative])
    x[3::2] = np.cumsum(x[1::2])[1:]
    x[4::2] = np.cumsum(x[2::2])[1:]
    return x


def rle_crop(rle: dict) -> tuple[np.ndarray, int, int]:
    """The part of an RLE mask around its pixels, decoded without decoding the whole image.

    pycocotools' ``decode`` fills every pixel of the image one by one (~0.35 ms for 640x480); a
    word is a small part of a page, so only its box is built here, from the runs.

    Args:
        rle: ``{"size": [H, W], "counts": str}``.

    Returns:
        (crop, x0, y0): crop (h, w) uint8 0/1, C-contiguous, the mask's box grown by one pixel on
        each side where the image has room, whose top-left pixel is (x0, y0); an empty (0, 0) crop
        for an empty mask.
    """
    height, width = int(rle["size"][0]), int(rle["size"][1])
    ends = np.cumsum(rle_counts(rle["counts"]))
    starts, stops = ends[0:-1:2], ends[1::2]  # foreground runs [start, stop), column-major order
    keep = stops > starts
    starts, stops = starts[keep], stops[keep]
    if not len(starts):
        return np.zeros((0, 0), np.uint8), 0, 0
    col, row = np.divmod(starts, height)
    last_col, last_row = np.divmod(stops - 1, height)
    if (last_col != col).any():  # a run wraps from one column into the next: every row is in the box
        top, bottom = 0, height - 1
    else:
        top, bottom = int(row.min()), int(last_row.max())
    left, right = int(col[0]), int(last_col[-1])
    rows = bottom - top + 1
    # the box's pixels in column-major order; a run maps to a range of it
    edges = np.zeros((right - left + 1) * rows + 1, np.int32)
    edges[(col - left) * rows + (row - top)] += 1  # starts are distinct, and so are stops
    edges[(last_col - left) * rows + (last_row - top) + 1] -= 1
    box = np.cumsum(edges[:-1], dtype=np.int32).reshape(right - left + 1, rows).T
    x0, y0 = max(left - 1, 0), max(top - 1, 0)
    crop = np.zeros((min(bottom + 1, height - 1) - y0 + 1, min(right + 1, width - 1) - x0 + 1), np.uint8)
    crop[top - y0 : top - y0 + rows, left - x0 : left - x0 + right - left + 1] = box
    return crop, x0, y0


def _outlines(rle: dict) -> tuple[list[tuple[tuple[int, int], np.ndarray]], int, int]:
    """The mask's parts as rings of (x, y) int64 points in the doubled crop of ``rle_crop``, each
    hole joined to its part, with each part's top-left corner (min x, min y); and the crop's
    top-left pixel (x0, y0)."""
    import cv2

    crop, x0, y0 = rle_crop(rle)
    if not crop.size:
        return [], x0, y0
    doubled = crop.repeat(2, axis=0).repeat(2, axis=1)
    contours, hierarchy = cv2.findContours(doubled, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return [], x0, y0
    links = hierarchy[0].tolist()  # per contour: next, previous, first child (a hole), parent
    rings = []
    for k, contour in enumerate(contours):
        if links[k][3] != -1:
            continue
        ring = contour.reshape(-1, 2).astype(np.int64)
        hole = links[k][2]
        while hole != -1:
            ring = _join(ring, contours[hole].reshape(-1, 2).astype(np.int64))  # in, around the hole, out
            hole = links[hole][0]
        rings.append((cv2.boundingRect(contour)[:2], ring))
    return rings, x0, y0


def _to_image(ring: np.ndarray, x0: int, y0: int) -> np.ndarray:
    """A ring of doubled-crop points as (N, 2) int64 image coordinates times 4: a doubled pixel's
    centre is a quarter pixel from the original pixel's edges."""
    return 2 * ring + 1 + 4 * np.array([x0, y0], np.int64)


def mask_polygons(rle: dict) -> list[list[float]]:
    """An RLE mask as COCO polygons ``[[x1, y1, x2, y2, ...], ...]``, one per connected part.

    Each outline runs a quarter pixel inside the mask's pixel edges (the mask is doubled and
    traced through the doubled pixels' centres), and each hole (the counter of an ``o``) is
    joined to its outline by a zero-width cut, so pycocotools rasterises the polygons back to
    exactly the mask's pixels (tests/formats/test_clients.py). Coordinates are multiples of 0.25.

    Args:
        rle: ``{"size": [H, W], "counts": str}``, COCO compressed RLE.
    """
    rings, x0, y0 = _outlines(rle)
    return [(_to_image(ring, x0, y0) / 4).reshape(-1).tolist() for _, ring in rings]


def mask_polygon_quarters(rle: dict) -> np.ndarray:
    """``mask_polygon``'s points times 4, which makes them integers: (N, 2) int64; (0, 2) for an
    empty mask."""
    rings, x0, y0 = _outlines(rle)
    if not rings:
        return np.zeros((0, 2), np.int64)
    rings.sort(key=lambda corner_ring: corner_ring[0])  # left to right: short cuts (a stable sort)
    ring = rings[0][1]
    for _, other in rings[1:]:
        ring = _join(ring, other)
    return _to_image(ring, x0, y0)


def mask_polygon(rle: dict) -> list[float]:
    """An RLE mask as ONE polygon ``[x1, y1, x2, y2, ...]``: the parts of ``mask_polygons`` joined
    by zero-width cuts between their nearest corners. pycocotools still rasterises it to exactly
    the mask's pixels, and clients that read only a segmentation's first polygon (Label Studio's
    converter) get the whole instance, not its first letter; [] for an empty mask."""
    return (mask_polygon_quarters(rle) / 4).reshape(-1).tolist()


def quarters_json(quarters: np.ndarray) -> str:
    """JSON text of the numbers ``quarters / 4`` (any shape, flattened): ``x1,y1,x2,...``, the bytes
    ``json.dumps`` writes for those floats, ~15 times faster (a word's polygon has ~1000 numbers).

    Args:
        quarters: int64 values >= 0.
    """
    flat = np.asarray(quarters, np.int64).reshape(-1)
    if not len(flat):
        return ""
    top = int(flat.max())
    if top >= QUARTER_TABLE_LIMIT:  # beyond any real image: formatted one by one, nothing cached
        return ",".join(repr(k / 4) for k in flat.tolist())
    return ",".join(_quarter_texts(1 << top.bit_length())[flat].tolist())


# Coordinates below 16,384 px (65,536 quarters) come from a table of texts built once per power of
# two: at most 17 tables, ~131k strings (~9 MB) in all. Uncapped, one large coordinate (123456789
# quarters) built a table of 2^27 strings (10.6 GB) that lived as long as the process.
QUARTER_TABLE_LIMIT = 1 << 16


@functools.cache
def _quarter_texts(size: int) -> np.ndarray:
    """(size,) object array: ``repr(k / 4)`` for k < size (what ``json.dumps`` writes for the float);
    ``size`` is a power of two, at most ``QUARTER_TABLE_LIMIT``."""
    return np.array([repr(k / 4) for k in range(size)], object)


def _join(ring: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``ring`` with ``other`` spliced in by a zero-width cut: out along the cut, around ``other``,
    back. A cut traversed both ways adds no pixel, wherever it runs; it goes between near corners
    (the corner of ``ring`` nearest ``other``'s first, and ``other``'s corner nearest that), found
    in two linear passes rather than over every pair of corners. Points are integers, so the
    nearest corner (the first of equals) does not depend on rounding."""
    a = _nearest(ring, other[0])
    b = _nearest(other, ring[a])
    return np.concatenate([ring[: a + 1], other[b:], other[: b + 1], ring[a:]])


def _nearest(points: np.ndarray, point: np.ndarray) -> int:
    """The index of the first of ``points`` (N, 2) nearest ``point``."""
    d = points - point
    d *= d
    return int((d[:, 0] + d[:, 1]).argmin())
