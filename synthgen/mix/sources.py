"""Reading a mix's sources: each through its reader, its categories mapped onto the target
taxonomy, duplicate images found by content hash."""

from __future__ import annotations

import hashlib
import io
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from synthgen.errors import DatasetError
from synthgen.formats.base import BadRecords, ReadOptions, Skip
from synthgen.formats.fields import side_problem
from synthgen.lazy import LazySample
from synthgen.mix.config import GENERATE, OTHER, MixConfig, SourceConfig
from synthgen.records import instance_views, record_with
from synthgen.types import CategoryTable


@dataclass
class SourceData:
    """A source's samples, their records mapped onto the target taxonomy.

    Attributes:
        config: the source's config.
        samples: its samples in its own order (duplicates of earlier images left out where the mix drops them).
        skipped: records its reader left out (``on_bad: skip``), and duplicates.
        read_counts: instances per source category as read.
        dropped: instances per source category dropped by the label map.
    """

    config: SourceConfig
    samples: list[LazySample]
    skipped: list[Skip] = field(default_factory=list)
    read_counts: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class Generation:
    """Where and how a mix makes its ``generate`` sources (``synthgen.mix.generated``).

    Attributes:
        out: the mix's output folder (the samples go under ``OUT/.synthgen/sources``).
        workers, executor, progress: as ``synthgen generate``'s.
    """

    out: Path
    workers: int = 1
    executor: str = "process"
    progress: bool = False


def read_source(source: SourceConfig, mix: MixConfig, generation: Generation | None = None) -> SourceData:
    """Read one source and map its labels (an unmapped category fails here, naming the source).

    A ``generate`` source needs ``generation``: its samples are made now, once
    (``check_mapping`` finds its unmapped categories before that)."""
    if source.format == GENERATE:
        from synthgen.mix.generated import read_generated, source_folder

        if generation is None:
            raise ValueError(f"sources.{source.name}: a generate source is made into the mix's folder: pass generation")
        result = read_generated(
            source.path,
            source.overrides,
            source_folder(generation.out, source.name),
            generation.workers,
            generation.executor,
            generation.progress,
            mix.ray,
        )
    else:
        from synthgen.formats import READERS

        options = ReadOptions(on_bad=source.on_bad, images=source.images, category=source.category)
        result = READERS.get(source.format).read(Path(source.path), options)
        result.samples, unreadable = check_images(result.samples, source.on_bad)
        result.skipped.extend(unreadable)
    data = SourceData(source, [], list(result.skipped))
    mapping = check_mapping(source, result.categories, mix)
    target_names = list(mix.categories.names)
    for lazy in result.samples:
        instances = []
        for inst in instance_views(lazy.record):
            data.read_counts[inst.category] += 1
            new = mapping.get(inst.category)
            if new is None:
                data.dropped[inst.category] += 1
                continue
            instances.append(inst.record if new == inst.category else record_with(inst.record, category=new))
        record = {**lazy.record, "instances": instances, "categories": target_names}
        data.samples.append(replace(lazy, record=record, categories=mix.categories))
    return data


def check_images(samples: list[LazySample], on_bad: str) -> tuple[list[LazySample], list[Skip]]:
    """Every image of a dataset read whole and decoded once, as writing it will, before anything is
    written: a corrupt file is a bad record now (an error, or a skip), not a failure after a mix's
    first shards are on disk. The digest of the bytes read is kept (``LazySample.sha256``), so the
    duplicate check reads no file again; decoding is what this adds (~1 ms for a 320x240 PNG), in
    a few threads (Pillow's decoders and hashlib release the GIL).

    Returns:
        the samples whose image decodes to the record's size, with their digests, in order; and
        the skips of the others (``on_bad: skip``; with ``error`` the first raises DatasetError).
    """
    bad = BadRecords(on_bad)

    def check(lazy: LazySample) -> tuple[LazySample, str]:
        content = getattr(lazy.load_image, "content", None)
        if content is None:
            return lazy, ""
        width, height = lazy.record["width"], lazy.record["height"]
        problem = side_problem(width, height)  # before decoding: a header's size is what gets allocated
        if problem:
            return lazy, f"image {problem}"
        name = getattr(lazy.load_image, "path", "image")
        try:
            data = content()
        except DatasetError:
            return lazy, f"{name}: image file missing or unreadable"
        size = decoded_size(data)
        if size is None:
            return lazy, f"{name} is not a readable image (corrupt or truncated)"
        if size != (width, height):
            return lazy, f"{name} is {size[0]}x{size[1]} but its record says {width}x{height}"
        return replace(lazy, sha256=hashlib.sha256(data).hexdigest()), ""

    kept: list[LazySample] = []
    pool = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1))
    try:
        for lazy, problem in pool.map(check, samples):
            if problem:
                bad(lazy.where, problem)
            else:
                kept.append(lazy)
    finally:
        pool.shutdown(cancel_futures=True)
    return kept, bad.skipped


def decoded_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of encoded image bytes decoded whole, or None where they do not decode.

    Pillow, not OpenCV, whose libpng prints its errors to the process's stderr (a corrupt image
    would add lines to the one a bad record gets); Pillow is the stricter of the two (it checks
    every PNG chunk's CRC, refuses a truncated JPEG), so what passes here OpenCV decodes when the
    sample is written.
    """
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            im.verify()  # chunk structure and CRCs, without decoding
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            return im.size
    except Exception:  # noqa: BLE001 - Pillow's decoders raise many types (OSError, SyntaxError, ...) on broken data
        return None


def check_mapping(source: SourceConfig, categories: CategoryTable, mix: MixConfig) -> dict[str, str | None]:
    """Source category -> target category (None: dropped); a category neither mapped nor a target
    one fails here with ``unmapped: error``, naming the source."""
    target = mix.categories
    mapping: dict[str, str | None] = {}
    target_names = list(target.names)
    for name in categories.names:
        if name in source.label_map:
            mapping[name] = source.label_map[name]
        elif name in target_names:
            mapping[name] = name
        elif source.unmapped == "error":
            raise DatasetError(
                f"sources.{source.name}: category {name!r} of {source.path} is neither in label_map nor a target "
                f"category ({', '.join(target.names)}); map it, or set unmapped: drop or other"
            )
        else:
            mapping[name] = None if source.unmapped == "drop" else OTHER
    return mapping


def content_hash(lazy: LazySample) -> str | None:
    """sha256 of a sample's encoded image bytes (a generate source's: of the PNG it was written as;
    None for images made on the fly)."""
    if lazy.sha256:
        return lazy.sha256
    content = getattr(lazy.load_image, "content", None)
    return hashlib.sha256(content()).hexdigest() if content is not None else None


def find_duplicates(sources: list[SourceData], drop: bool) -> list[dict]:
    """Images seen before (same content hash), across and within sources, in source order.

    Returns:
        one entry per duplicate: its source and origin, and those of the first image with its
        content. With ``drop`` the duplicates leave their source's samples (and appear in its skips).
    """
    first: dict[str, tuple[str, dict]] = {}
    found = []
    for data in sources:
        kept = []
        for lazy in data.samples:
            digest = content_hash(lazy)
            if digest is None:
                kept.append(lazy)
                continue
            if digest in first:
                src, origin = first[digest]
                found.append(
                    {
                        "sha256": digest,
                        "source": data.config.name,
                        "origin": lazy.origin,
                        "same_as": {"source": src, "origin": origin},
                    }
                )
                if drop:
                    data.skipped.append(
                        Skip(lazy.where, f"duplicate image of {src} {origin.get('path')} (id {origin.get('id')})")
                    )
                    continue
            else:
                first[digest] = (data.config.name, lazy.origin)
            kept.append(lazy)
        data.samples = kept
    return found
