"""Fingerprint of a run: the labels, a thumbnail and a pixel hash of its first ``num`` samples,
plus dataset statistics and provenance (config, environment, input files).

A sample's fingerprint is taken from the image as a dataset would hold it (encoded as the run
config's ``image:`` section asks, then decoded), so a JPEG quality change is seen too.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthgen.config.schema import RunConfig
from synthgen.regress.pixels import make_thumbnail, pixel_hash
from synthgen.regress.provenance import provenance
from synthgen.regress.stats import dataset_statistics

# meta keys that describe the software rather than the sample; the provenance section covers them
_META_SKIP = ("version", "index")


@dataclass(frozen=True)
class SampleFingerprint:
    """What a golden keeps of one sample.

    Attributes:
        index: sample index in the run.
        width, height: image size in pixels.
        categories: category names in id order.
        meta: the sample's JSON meta without software versions (seed, scene params, dropped counts).
        instances: label records as ``synthgen.records.instance_to_record`` writes them.
        pixel_hash: hash of the exact decoded pixels.
        thumbnail: (h, w, 3) uint8 RGB thumbnail.
    """

    index: int
    width: int
    height: int
    categories: tuple[str, ...]
    meta: dict[str, Any]
    instances: tuple[dict[str, Any], ...]
    pixel_hash: str
    thumbnail: np.ndarray


@dataclass(frozen=True)
class Fingerprint:
    """A run's fingerprint; ``synthgen.regress.golden`` reads and writes it as JSON.

    Attributes:
        samples: one SampleFingerprint per index, in index order.
        stats: dataset statistics (see ``synthgen.regress.stats``).
        provenance: config, environment and input-file hashes it was made with.
        thumbnail_px: longest side of the thumbnails.
    """

    samples: tuple[SampleFingerprint, ...]
    stats: dict[str, float]
    provenance: dict[str, Any]
    thumbnail_px: int


def sample_fingerprint(record: dict[str, Any], image: np.ndarray, thumbnail_px: int) -> SampleFingerprint:
    """Fingerprint of one sample from its record (``synthgen.records.to_record``) and its decoded image.

    Args:
        record: JSON-able sample record.
        image: (H, W, 3) uint8, the pixels as the dataset holds them.
        thumbnail_px: longest side of the thumbnail.
    """
    plain = json.loads(json.dumps(record))  # tuples -> lists, numpy scalars refused early
    meta = {k: v for k, v in plain.get("meta", {}).items() if k not in _META_SKIP}
    return SampleFingerprint(
        index=int(plain["index"]),
        width=int(plain["width"]),
        height=int(plain["height"]),
        categories=tuple(plain["categories"]),
        meta=meta,
        instances=tuple(plain["instances"]),
        pixel_hash=pixel_hash(image),
        thumbnail=make_thumbnail(image, thumbnail_px),
    )


def fingerprint_samples(
    pairs: Iterable[tuple[dict[str, Any], np.ndarray]], thumbnail_px: int, source: dict[str, Any] | None = None
) -> Fingerprint:
    """Fingerprint of (record, image) pairs, e.g. samples read from a dataset or perturbed in a test.

    Args:
        pairs: (sample record, (H, W, 3) uint8 image) in index order.
        thumbnail_px: longest side of the thumbnails.
        source: provenance to record (``provenance(config)``); empty when None.
    """
    samples = tuple(sample_fingerprint(rec, img, thumbnail_px) for rec, img in pairs)
    return Fingerprint(
        samples=samples,
        stats=dataset_statistics(samples),
        provenance=source or {},
        thumbnail_px=thumbnail_px,
    )


def _decode(data: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def _in_memory(config: RunConfig, num: int) -> Iterable[tuple[dict[str, Any], np.ndarray]]:
    """Samples 0..num-1 made in this process by the engine's sample loop (``source.stream``), with
    one worker context (one renderer or diffusion pipeline) for all of them."""
    import hashlib

    from synthgen.engine.context import scoped_context
    from synthgen.engine.pipeline import encode_image
    from synthgen.engine.source import GeneratedSource, stream
    from synthgen.records import to_record as sample_record

    source = GeneratedSource(config)
    with scoped_context(source) as ctx:
        for index, sample in enumerate(stream(source, range(num), ctx)):
            data = encode_image(sample.image, config.image)
            rel = f"images/{index:09d}{config.image.suffix}"
            yield sample_record(sample, rel, hashlib.sha256(data).hexdigest()), _decode(data)


def _through_engine(config: RunConfig, num: int, workers: int) -> list[tuple[dict[str, Any], np.ndarray]]:
    """Generate with the engine's process pool into a temporary folder and read the samples back."""
    from synthgen.engine import generate
    from synthgen.engine.run import iter_records

    shard_size = max(1, math.ceil(num / workers))
    small = dataclasses.replace(config, num_samples=num, shard_size=shard_size, outputs=())
    with tempfile.TemporaryDirectory(prefix="synthgen-regress-") as tmp:
        out = Path(tmp)
        generate(small, out, workers=workers, executor="process", progress=False)
        records = iter_records(out, math.ceil(num / shard_size))
        return [(rec, _decode((out / rec["file_name"]).read_bytes())) for rec in records]


def fingerprint_config(config: RunConfig, num: int | None = None, workers: int = 1) -> Fingerprint:
    """Generate samples 0..num-1 of a run and fingerprint them.

    Args:
        config: the loaded run config; its ``regress`` section gives the defaults.
        num: samples to generate (default ``config.regress.num``).
        workers: 1 generates in this process; more runs ``synthgen.engine.generate`` on a process
            pool and reads the dataset back. The fingerprint is the same either way.
    """
    num = config.regress.num if num is None else num
    if num <= 0:
        raise ValueError(f"num must be > 0, got {num}")
    pairs = _in_memory(config, num) if workers <= 1 else _through_engine(config, num, workers)
    return fingerprint_samples(pairs, config.regress.thumbnail_px, provenance(config))
