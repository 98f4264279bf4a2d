"""``generate``: plan shards, skip complete ones, run the rest, then write dataset-level files."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from synthgen import __version__
from synthgen.config.schema import RunConfig
from synthgen.engine.executors import EXECUTORS
from synthgen.engine.shards import (
    STATE_DIR,
    ShardJob,
    ShardResult,
    commit_shard,
    load_shard_record,
    record_path,
    shard_result,
    staging_root,
)
from synthgen.errors import DatasetError
from synthgen.formats.base import write_atomic
from synthgen.records import table_to_record

MANIFEST = "manifest.json"
RECORDS_IN_MEMORY_BYTES = 32 * 2**20  # shard records up to this size are parsed once for all writers
MANIFEST_REFRESH_S = 1.0  # seconds between rewrites of the manifest of a run in progress


@dataclass(frozen=True)
class RunSummary:
    out: str
    samples: int
    generated: int
    reused: int
    instances: int
    seconds: float
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def samples_per_second(self) -> float:
        return self.generated / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        text = (
            f"{self.samples} samples ({self.generated} generated, {self.reused} reused), "
            f"{self.instances} instances in {self.seconds:.1f} s, {self.samples_per_second:.1f} samples/s -> {self.out}"
        )
        if self.dropped:
            reasons = ", ".join(f"{k} {v}" for k, v in sorted(self.dropped.items()))
            text += f"\ndropped objects, by reason: {reasons}"
        return text


def config_identity(config: RunConfig) -> str:
    """Hash of everything that decides a sample's content (the sample count and the settings of
    regress and of the Ray executor excluded)."""
    ident = {k: v for k, v in config.resolved.items() if k not in ("num_samples", "regress", "ray")}
    ident["synthgen_version"] = __version__
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()


def _read_manifest(out: Path) -> dict | None:
    path = out / MANIFEST
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: unreadable manifest ({exc}); use --overwrite to replace the dataset") from None


def prepare_output(config: RunConfig, out: Path, overwrite: bool) -> None:
    """Check that ``out`` is empty, or holds this config's (partial) dataset; refuse otherwise.

    With ``overwrite``, a folder holding a synthgen dataset is emptied first. A folder that holds
    other files is never deleted.
    """
    if out.exists() and not out.is_dir():
        raise DatasetError(f"{out}: exists and is not a folder")
    if not out.exists() or not any(out.iterdir()):
        return
    manifest = _read_manifest(out) if not overwrite else None
    if overwrite:
        if not (out / MANIFEST).exists() and not (out / STATE_DIR).exists():
            raise DatasetError(f"{out}: holds files that are not a synthgen dataset; refusing to delete them")
        for child in out.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        return
    if manifest is None:
        raise DatasetError(f"{out}: folder is not empty and holds no synthgen dataset; choose another folder")
    if manifest.get("config_hash") != config_identity(config):
        raise DatasetError(
            f"{out}: holds a dataset of a different config ({manifest.get('name')!r} from "
            f"{manifest.get('source')}); use --overwrite to replace it or choose another folder"
        )
    if manifest.get("num_samples", 0) > config.num_samples:
        raise DatasetError(
            f"{out}: holds {manifest['num_samples']} samples, more than the {config.num_samples} asked; "
            "use --overwrite to replace it"
        )


def remove_leftovers(out: Path) -> None:
    """Delete what a killed run can leave: shard staging folders and half-written temp files."""
    shutil.rmtree(staging_root(out), ignore_errors=True)
    for folder in [out, *(p for p in out.iterdir() if p.is_dir() and p.name != "images")]:
        for tmp in folder.rglob(".*.tmp*"):
            if tmp.is_file():
                tmp.unlink()


def plan(config: RunConfig, out: Path) -> list[ShardJob]:
    k = config.shard_size
    return [
        ShardJob(config, str(out), shard, first, min(k, config.num_samples - first))
        for shard, first in enumerate(range(0, config.num_samples, k))
    ]


def total_dropped(results: dict[int, ShardResult]) -> dict[str, int]:
    """Objects dropped over all shards, by reason."""
    total: Counter[str] = Counter()
    for r in results.values():
        total.update(r.dropped)
    return dict(total)


def write_manifest(config: RunConfig, out: Path, results: dict[int, ShardResult], files: dict[str, str] | None) -> None:
    complete = files is not None
    dropped = total_dropped(results)
    manifest = {
        "name": config.name,
        "source": config.source,
        "synthgen_version": __version__,
        "seed": config.seed,
        "num_samples": config.num_samples,
        "shard_size": config.shard_size,
        "config_hash": config_identity(config),
        "status": "complete" if complete else "incomplete",
        "shards": [
            {"index": r.shard, "first": r.first, "count": r.count, "sha256": r.sha256}
            for r in sorted(results.values(), key=lambda r: r.shard)
        ],
        "counts": {
            "samples": sum(r.count for r in results.values()),
            "instances": sum(r.instances for r in results.values()),
            "dropped": dict(sorted(dropped.items())),
        },
        "categories": table_to_record(config.categories),
        "files": files or {},
        # executor settings (ray:) do not change the dataset, and the manifest is part of it
        "config": {k: v for k, v in config.resolved.items() if k != "ray"},
    }
    write_atomic(out / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8") + b"\n")


def iter_records(out: Path, num_shards: int):
    """Sample records of a complete run, in index order."""
    for shard in range(num_shards):
        rec = load_shard_record(out, shard)
        if rec is None:
            raise DatasetError(f"{out}: shard {shard} is missing; rerun generate to complete the dataset")
        yield from rec["samples"]


def records_size(out: Path, num_shards: int) -> int:
    """Bytes of the shard record files of a run (a missing one counts 0; iter_records reports it)."""
    total = 0
    for shard in range(num_shards):
        try:
            total += record_path(out, shard).stat().st_size
        except FileNotFoundError:
            pass
    return total


def generate(
    config: RunConfig,
    out: str | Path,
    workers: int = 1,
    executor: str = "process",
    overwrite: bool = False,
    progress: bool = True,
) -> RunSummary:
    """Generate (or finish) a dataset.

    Args:
        config: the loaded run config.
        out: dataset folder; created if missing.
        workers: worker processes for the ``process`` executor.
        executor: a name from ``EXECUTORS`` (``serial``, ``process``, ``ray``).
        overwrite: replace a dataset of another config found in ``out``.
        progress: show a progress bar on stderr (when it is a terminal).

    Returns:
        A RunSummary.
    """
    run_shards = EXECUTORS.get(executor, key="--executor")
    out = Path(out)
    prepare_output(config, out, overwrite)
    start = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out)

    jobs = plan(config, out)
    results: dict[int, ShardResult] = {}
    pending = []
    for job in jobs:
        done = shard_result(out, job.shard, job.first, job.count)
        if done is not None:
            results[job.shard] = done
        else:
            pending.append(job)
    reused = sum(r.count for r in results.values())
    write_manifest(config, out, results, None)

    from synthgen.engine.progress import finishing, progress_bar

    bar = progress_bar(config.name, config.num_samples, reused, progress)
    written = time.monotonic()
    with bar:
        for produced in run_shards(pending, workers):
            result = commit_shard(out, produced)
            results[result.shard] = result
            # The running manifest is for people watching the folder (resume reads shard records),
            # so it is refreshed at most once a second, not after each of thousands of shards.
            if time.monotonic() - written >= MANIFEST_REFRESH_S:
                write_manifest(config, out, results, None)
                written = time.monotonic()
            bar.update(result.count)

    files: dict[str, str] = {}
    finalizers = [w for w in (config.writer(name) for name in config.outputs) if w.finalize is not None]
    finishing(config.name, [w.name for w in finalizers], progress)
    records = None
    if len(finalizers) > 1 and records_size(out, len(jobs)) <= RECORDS_IN_MEMORY_BYTES:
        records = list(iter_records(out, len(jobs)))  # parsed once for every writer, not once each
    for writer in finalizers:
        for rel in writer.finalize(records if records is not None else iter_records(out, len(jobs)), out, config.categories):
            files[rel] = hashlib.sha256((out / rel).read_bytes()).hexdigest()
    write_manifest(config, out, results, dict(sorted(files.items())))
    remove_leftovers(out)
    seconds = time.perf_counter() - start
    return RunSummary(
        out=str(out),
        samples=config.num_samples,
        generated=config.num_samples - reused,
        reused=reused,
        instances=sum(r.instances for r in results.values()),
        seconds=seconds,
        dropped=total_dropped(results),
    )
