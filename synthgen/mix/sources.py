"""Reading a mix's sources: each through its reader, its categories mapped onto the target
taxonomy, duplicate images found by content hash."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from synthgen.errors import DatasetError
from synthgen.formats.base import ReadOptions, Skip
from synthgen.lazy import LazySample
from synthgen.mix.config import GENERATE, OTHER, MixConfig, SourceConfig
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
    data = SourceData(source, [], list(result.skipped))
    mapping = check_mapping(source, result.categories, mix)
    target_names = list(mix.categories.names)
    for lazy in result.samples:
        instances = []
        for inst in lazy.record["instances"]:
            data.read_counts[inst["category"]] += 1
            new = mapping.get(inst["category"])
            if new is None:
                data.dropped[inst["category"]] += 1
                continue
            instances.append(inst if new == inst["category"] else {**inst, "category": new})
        record = {**lazy.record, "instances": instances, "categories": target_names}
        data.samples.append(replace(lazy, record=record, categories=mix.categories))
    return data


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
