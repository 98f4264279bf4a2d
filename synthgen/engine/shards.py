"""Shards: K consecutive samples, made by a producer anywhere and committed into OUT by the driver.

Three roles (DESIGN.md, "The engine"):

- a sample source yields the ``Sample``s of an index range (``synthgen.engine.source``: the run
  config's pipeline, or a mix's plan); each job carries its own, made with ``source.stream``;
- a producer (``produce_shard``) makes one shard's files -- images, per-sample label files and
  the shard record -- in a staging folder: in ``OUT/.synthgen/tmp`` when it can write there (a
  local worker, or a Ray task with a shared output path), else in a local temporary folder whose
  files it returns as bytes (a Ray task on another node);
- the committer (``commit_shard``, in the driver) moves the files into place and writes the shard
  record last, so a killed run leaves either a complete shard or one that a rerun regenerates
  (same bytes), never a hole. A shard is complete when ``.synthgen/shards/shard_NNNNNN.json`` exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthgen.config.schema import RunConfig
from synthgen.engine.local_staging import local_staging
from synthgen.engine.pipeline import encode_image
from synthgen.engine.source import Source, stream
from synthgen.errors import DatasetError
from synthgen.formats.base import dump_json, make_parents, replace_file, write_atomic
from synthgen.records import to_record

STATE_DIR = ".synthgen"
IMAGES = "images"


@dataclass(frozen=True)
class ShardJob:
    """Samples ``first .. first + count - 1`` of ``source``, written into ``out`` as shard ``shard``.

    ``config`` says how the shard's files are written (``outputs``, ``writer(name)``, ``image``) and
    where Ray runs (``ray``): the run config, or a mix config. ``source`` is the picklable Source
    whose samples the shard holds (``GeneratedSource(config)``, a mix's planned samples),
    travelling with the job to whichever executor runs it.
    """

    config: RunConfig
    out: str
    shard: int
    first: int
    count: int
    source: Source


@dataclass(frozen=True)
class ProducedShard:
    """A shard made by a producer, not yet in OUT.

    Attributes:
        shard, first, count: which samples.
        record: the bytes of the shard record file (written last by the committer).
        staging: the folder under ``OUT/.synthgen/tmp`` holding its files, or None when ``files``
            carries them.
        files: path relative to OUT -> bytes, for a producer that could not write into OUT.
        instances: instances in its records.
        dropped: objects dropped while making it, by reason.
    """

    shard: int
    first: int
    count: int
    record: bytes
    staging: str | None = None
    files: dict[str, bytes] | None = None
    instances: int = 0
    dropped: dict[str, int] | None = None


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


def derived_path(out: Path, shard: int) -> Path:
    """A shard's writer-derived data (``WriterKind.derive``: COCO's traced polygons), one entry a
    sample (None where a writer derived nothing), kept beside the shard record rather than in it:
    finalize reads it, then it is removed (``remove_derived``), so it costs no space in a finished
    dataset and never changes the shard record's bytes."""
    return out / STATE_DIR / "derived" / f"shard_{shard:06d}.json"


def load_derived(out: Path, shard: int, count: int) -> list[dict | None] | None:
    """A shard's derived entries, or None if there are none usable (missing, unreadable, or not one
    a sample): finalize then does the work itself, with the same result."""
    try:
        entries = json.loads(derived_path(out, shard).read_bytes()).get("samples")
    except (OSError, ValueError, AttributeError):
        return None
    return entries if isinstance(entries, list) and len(entries) == count else None


def remove_derived(out: Path) -> None:
    """Delete the derived data of a finished run (its dataset-level files are written)."""
    folder = out / STATE_DIR / "derived"
    if folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder)


def staging_root(out: Path) -> Path:
    return out / STATE_DIR / "tmp"


def produce_shard(job: ShardJob, ctx: Any = None, into_out: bool = True) -> ProducedShard:
    """Make one shard's files. Runs in a worker process, a Ray task, or inline.

    Args:
        job: the shard.
        ctx: this worker's context for the job's source; None: this process's kept one.
        into_out: stage the files under ``OUT/.synthgen/tmp`` (OUT is reachable from here); else
            in a local temporary folder, returned as bytes.
    """
    if not into_out:
        with local_staging(job.shard) as staging:
            return _produce_in(job, ctx, staging, into_out=False)
    staging = staging_root(Path(job.out)) / f"shard_{job.shard:06d}.{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return _produce_in(job, ctx, staging, into_out=True)


def _produce_in(job: ShardJob, ctx: Any, staging: Path, into_out: bool) -> ProducedShard:
    """``produce_shard`` with its staging folder made: the files under ``staging``; with ``into_out``
    False, also returned as bytes (the caller deletes the folder)."""
    records, derived = _write_samples(job, ctx, staging)
    if any(d is not None for d in derived):
        side = staging / derived_path(Path(), job.shard)
        side.parent.mkdir(parents=True)
        side.write_bytes(dump_json({"shard": job.shard, "samples": derived}))
    body = dump_json({"shard": job.shard, "first": job.first, "count": job.count, "samples": records})
    summary = _result(job.shard, job.first, job.count, body, records)
    where: dict = {"staging": str(staging)}
    if not into_out:
        files = sorted(p for p in staging.rglob("*") if p.is_file())
        where = {"files": {str(p.relative_to(staging)): p.read_bytes() for p in files}}
    return ProducedShard(
        job.shard, job.first, job.count, body, instances=summary.instances, dropped=summary.dropped, **where
    )


def _write_samples(job: ShardJob, ctx: Any, staging: Path) -> tuple[list[dict], list[dict | None]]:
    """Write the shard's images and per-sample label files under ``staging``; the sample records
    and, for each, what the writers derived from it (``{writer: value}``, or None)."""
    writers = [job.config.writer(name) for name in job.config.outputs]
    records, all_derived = [], []
    (staging / IMAGES).mkdir()
    indices = range(job.first, job.first + job.count)
    for index, sample in zip(indices, stream(job.source, indices, ctx), strict=True):
        data = encode_image(sample.image, job.config.image)
        rel = f"{IMAGES}/{index:09d}{job.config.image.suffix}"
        (staging / rel).write_bytes(data)
        record = to_record(sample, rel, hashlib.sha256(data).hexdigest())
        derived = {}
        for writer in writers:
            if writer.write_sample is not None:
                writer.write_sample(sample, record, staging)
            if writer.derive is not None and (value := writer.derive(record)) is not None:
                derived[writer.name] = value  # here, in parallel, not in the driver's finalize
        records.append(record)
        all_derived.append(derived or None)
    return records, all_derived


def commit_shard(out: Path, produced: ProducedShard) -> ShardResult:
    """Move a produced shard into OUT, its record last; returns its result. Runs in the driver."""
    if produced.staging is not None:
        staging = Path(produced.staging)
    else:
        staging = staging_root(out) / f"shard_{produced.shard:06d}.commit{os.getpid()}"
        if staging.exists():
            shutil.rmtree(staging)
        for rel, data in (produced.files or {}).items():
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    made: set[Path] = set()
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        dest = out / path.relative_to(staging)
        if dest.parent not in made:
            make_parents(dest)
            made.add(dest.parent)
        replace_file(path, dest)
    write_atomic(record_path(out, produced.shard), produced.record)
    shutil.rmtree(staging, ignore_errors=True)
    return ShardResult(
        shard=produced.shard,
        first=produced.first,
        count=produced.count,
        sha256=hashlib.sha256(produced.record).hexdigest(),
        instances=produced.instances,
        dropped=dict(produced.dropped or {}),
    )


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
    """The record of a complete shard, or None if it is missing, unreadable or not of a shard
    record's shape (a damaged record is made again, like a missing one)."""
    try:
        rec = json.loads(record_path(out, shard).read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    return rec if _is_shard_record(rec) else None


def _is_shard_record(rec: Any) -> bool:
    return (
        isinstance(rec, dict)
        and isinstance(rec.get("samples"), list)
        and all(
            isinstance(r, dict)
            and isinstance(r.get("meta"), dict)
            and isinstance(r.get("instances"), list)
            and isinstance(r.get("file_name"), str)
            for r in rec["samples"]
        )
    )


def shard_result(out: Path, shard: int, first: int, count: int) -> ShardResult | None:
    """The result of a shard already on disk, if it is complete and matches the plan: its record
    whole and of the right shape, and each of its images a file (a shard whose record or image
    was damaged or deleted since is made again, the same bytes)."""
    path = record_path(out, shard)
    try:
        body = path.read_bytes()
        rec = json.loads(body)
    except (OSError, ValueError, RecursionError):
        return None
    if not _is_shard_record(rec) or rec.get("first") != first or rec.get("count") != count:
        return None
    if len(rec["samples"]) != count:
        return None
    for r in rec["samples"]:
        image = out / r["file_name"]
        if not image.is_file():
            if os.path.lexists(image):  # a folder where the image was: made again, it could not be moved there
                raise DatasetError(f"{image}: is not a file where synthgen keeps an image; move it away and run again")
            return None
    return _result(shard, first, count, body, rec["samples"])
