"""Shards: K consecutive samples generated into a staging folder and moved into place whole.

A shard is complete when its record file ``.synthgen/shards/shard_NNNNNN.json`` exists; that file
is renamed into place last, after every image and label file of the shard, so a killed run
leaves either a complete shard or one that a rerun regenerates (same bytes), never a hole.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from synthgen.config.schema import RunConfig
from synthgen.engine.pipeline import encode_image, make_sample
from synthgen.formats import WRITERS
from synthgen.formats.base import dump_json, sample_record, write_atomic

STATE_DIR = ".synthgen"


@dataclass(frozen=True)
class ShardJob:
    config: RunConfig
    out: str
    shard: int
    first: int
    count: int


@dataclass(frozen=True)
class ShardResult:
    shard: int
    first: int
    count: int
    sha256: str
    instances: int
    dropped: dict[str, int]


def record_path(out: Path, shard: int) -> Path:
    return out / STATE_DIR / "shards" / f"shard_{shard:06d}.json"


def staging_root(out: Path) -> Path:
    return out / STATE_DIR / "tmp"


def run_shard(job: ShardJob) -> ShardResult:
    """Generate one shard and move it into place. Runs in a worker process or inline."""
    import cv2

    # Work is parallel by process (shards); OpenCV's own pool only spins idle threads on our
    # small images and takes cores from the other workers (torch: see augment.tensors). A forked
    # worker is on one thread already (executors.opencv_single_threaded); calling this there
    # would wait for pool threads that the fork did not copy.
    if cv2.getNumThreads() != 1:
        cv2.setNumThreads(1)
    out = Path(job.out)
    staging = staging_root(out) / f"shard_{job.shard:06d}.{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    writers = [WRITERS.get(name) for name in job.config.outputs]
    records = []
    (staging / "images").mkdir()
    for index in range(job.first, job.first + job.count):
        sample = make_sample(job.config, index)
        data = encode_image(sample.image, job.config.image)
        rel = f"images/{index:09d}{job.config.image.suffix}"
        (staging / rel).write_bytes(data)
        record = sample_record(sample, rel, hashlib.sha256(data).hexdigest())
        for writer in writers:
            if writer.write_sample is not None:
                writer.write_sample(sample, record, staging)
        records.append(record)
    made: set[Path] = set()
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        dest = out / path.relative_to(staging)
        if dest.parent not in made:
            dest.parent.mkdir(parents=True, exist_ok=True)
            made.add(dest.parent)
        os.replace(path, dest)
    body = dump_json({"shard": job.shard, "first": job.first, "count": job.count, "samples": records})
    write_atomic(record_path(out, job.shard), body)
    shutil.rmtree(staging)
    return _result(job.shard, job.first, job.count, body, records)


def _result(shard: int, first: int, count: int, body: bytes, records: list[dict]) -> ShardResult:
    """A shard's result from its record file's bytes and its sample records."""
    dropped: Counter[str] = Counter()
    for r in records:
        dropped.update(r["meta"].get("dropped", {}))
    return ShardResult(
        shard=shard,
        first=first,
        count=count,
        sha256=hashlib.sha256(body).hexdigest(),
        instances=sum(len(r["instances"]) for r in records),
        dropped=dict(dropped),
    )


def load_shard_record(out: Path, shard: int) -> dict | None:
    """The record of a complete shard, or None if it is missing or unreadable."""
    path = record_path(out, shard)
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


def shard_result(out: Path, shard: int, first: int, count: int) -> ShardResult | None:
    """The result of a shard already on disk, if it is complete and matches the plan."""
    path = record_path(out, shard)
    try:
        body = path.read_bytes()
        rec = json.loads(body)
    except (OSError, ValueError):
        return None
    if rec.get("first") != first or rec.get("count") != count:
        return None
    return _result(shard, first, count, body, rec["samples"])
