"""Dense label layers: depth (``labels/depth/<stem>.png`` and ``<stem>.npy``) and semantic ids
(``labels/semantic/<stem>.png``, 8-bit Cityscapes ids, and ``<stem>_color.png`` in the run's
category colours / Cityscapes colours).

Depth: ``<stem>.npy`` is float32 metres of camera z, inf where empty (the sky): the whole range.
``<stem>.png`` is 16-bit unsigned, ``round(depth * depth_scale)`` with ``depth_scale`` units a
metre (``writers: {dense: {depth_scale: ...}}``; default 1000: millimetres), and 0 where the
value does not fit: empty (inf), NaN, negative, or rounding past 65535 units (beyond 65.535 m in
millimetres). Such far depth is written as 0, like the sky, so for a scene that reaches farther,
read the ``.npy`` or choose a coarser scale: 256 (KITTI's depth benchmark, 1/256 m steps) keeps up
to 255.99 m, 100 (centimetres) 655.35 m. Read it back as ``png / depth_scale`` metres where
``png > 0``; a scale set in the config is in the dataset's ``manifest.json`` (the resolved
config's ``writers.dense.depth_scale``; 1000 where absent).
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import numpy as np

from synthgen.cityscapes import palette
from synthgen.config.params import Params, param, within
from synthgen.formats.base import WriterKind, write_staged
from synthgen.image_codec import encode_png, png_params
from synthgen.types import Sample

DEPTH_DIR, SEMANTIC_DIR = "labels/depth", "labels/semantic"
# zlib level 3 with libpng's up filter on every row: ~4x faster to encode than level 6 with a filter
# chosen per row (the 16-bit depth ~2 ms, the colour ids ~1.5 ms at 640x384), files as small
PNG_LEVEL, PNG_FILTER = 3, "up"


class DenseOptions(Params):
    """``writers: {dense: {...}}``."""

    depth_scale: float = param(
        1000.0, within(1.0, 100000.0),
        "units a metre of the 16-bit depth PNG (1000.0: millimetres, up to 65.535 m; 256.0: KITTI's depth "
        "benchmark, up to 255.99 m); depth beyond 65535 units is 0 there (the ``.npy`` keeps it)",
    )


def depth_png16(depth: np.ndarray, scale: float = 1000.0) -> np.ndarray:
    """(H, W) float32 metres -> (H, W) uint16 ``round(depth * scale)``, 0 where empty or out of
    range (NaN, negative, or rounding past 65535)."""
    units = depth.astype(np.float64)
    units *= scale
    np.rint(units, out=units)
    # inf (empty) and NaN fail both tests: 0 like what lies out of range
    return np.where((units >= 0) & (units <= 65535), units, 0).astype(np.uint16)


def encode_png16(image: np.ndarray) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".png", image, png_params(PNG_LEVEL, PNG_FILTER))
    if not ok:  # pragma: no cover
        raise RuntimeError("cannot encode a 16-bit PNG")
    return buf.tobytes()


@cache
def _color_table() -> np.ndarray:
    lut = np.zeros((256, 3), np.uint8)
    for i, c in palette().items():
        lut[i] = c
    lut.flags.writeable = False
    return lut


def _ids8(semantic: np.ndarray) -> np.ndarray:
    return np.clip(semantic, 0, 255).astype(np.uint8)


def _colors_of_ids(ids: np.ndarray, bgr: bool = False) -> np.ndarray:
    """(H, W) uint8 ids -> (H, W, 3) uint8 colours, RGB (or BGR) order, by OpenCV's table lookup."""
    import cv2

    table = _color_table()[:, ::-1] if bgr else _color_table()
    return cv2.LUT(cv2.merge([ids, ids, ids]), np.ascontiguousarray(table).reshape(256, 1, 3))


def semantic_colors(semantic: np.ndarray) -> np.ndarray:
    """(H, W) ids -> (H, W, 3) uint8 Cityscapes colours."""
    return _colors_of_ids(_ids8(semantic))


def _npy(array: np.ndarray) -> bytes:
    """``np.save``'s bytes of an array (header, then the data)."""
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def write_sample(sample: Sample, record: dict, root: Path, options: DenseOptions = DenseOptions()) -> None:
    import cv2

    stem = Path(record["file_name"]).stem
    labels = sample.labels
    if labels.depth is not None:
        png = depth_png16(labels.depth, options.depth_scale)
        write_staged(root / DEPTH_DIR / f"{stem}.png", encode_png16(png))
        write_staged(root / DEPTH_DIR / f"{stem}.npy", _npy(np.asarray(labels.depth, np.float32)))
    if labels.semantic is not None:
        ids = _ids8(labels.semantic)
        write_staged(root / SEMANTIC_DIR / f"{stem}.png", encode_png(ids, PNG_LEVEL, PNG_FILTER))
        # the colours looked up in BGR order: what OpenCV encodes, with no conversion
        ok, buf = cv2.imencode(".png", _colors_of_ids(ids, bgr=True), png_params(PNG_LEVEL, PNG_FILTER))
        if not ok:  # pragma: no cover
            raise RuntimeError("cannot encode the semantic colours")
        write_staged(root / SEMANTIC_DIR / f"{stem}_color.png", buf.tobytes())


WRITER = WriterKind(
    write_sample=write_sample,
    entries=("labels",),
    options=DenseOptions,
    # depth: a text scene's semantic layer alone would be its category ids, which COCO's masks hold
    needs=frozenset({"depth"}),
    # the dense layers only; per-instance labels are COCO's and KITTI's
    writes=frozenset({"depth", "semantic"}),
)
