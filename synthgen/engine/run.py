"""``generate``: plan shards, skip complete ones, run the rest, then write dataset-level files."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from synthgen import __version__
from synthgen.config.schema import RayConfig, RunConfig
from synthgen.engine.executors import EXECUTORS
from synthgen.engine.output import (
    MANIFEST,
    MARKER,
    dataset_id,
    default_out,
    empty_dataset,
    has_content,
    read_marker,
    refuse_links,
    refuse_wrong_kinds,
    remove_leftovers,
    run_lock,
    write_marker,
)
from synthgen.engine.progress import finishing, progress_bar
from synthgen.engine.shards import (
    ShardJob,
    ShardResult,
    commit_shard,
    load_derived,
    load_shard_record,
    record_path,
    remove_derived,
    shard_result,
)
from synthgen.engine.source import GeneratedSource
from synthgen.errors import DatasetError
from synthgen.formats.base import file_sha256, write_atomic
from synthgen.extensions import DOMAIN_LABELS, flag_prefixes  # the counts of labels kept but flagged
from synthgen.records import DERIVED, table_to_record

RECORDS_IN_MEMORY_BYTES = 32 * 2**20  # shard records up to this size are parsed once for all writers
MANIFEST_REFRESH_S = 1.0  # seconds between rewrites of the manifest of a run in progress
FILTER = "filter_"  # the prefix of the counts of a diffusion step's quality filter (redraws), not dropped objects


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
        dropped = {k: v for k, v in self.dropped.items() if not k.startswith((*flag_prefixes(), FILTER))}
        filtered = {k[len(FILTER) :].replace("_", " "): v for k, v in self.dropped.items() if k.startswith(FILTER)}
        if dropped:
            reasons = ", ".join(f"{k} {v}" for k, v in sorted(dropped.items()))
            text += f"\ndropped objects, by reason: {reasons}"
        for label in DOMAIN_LABELS.values():  # labels kept but flagged (a word's ICDAR ###), by the domain's flag
            prefix = label.flag_prefix
            flagged = {k[len(prefix) :]: v for k, v in self.dropped.items() if prefix and k.startswith(prefix)}
            if flagged:
                reasons = ", ".join(f"{k} {v}" for k, v in sorted(flagged.items()))
                text += f"\nflagged {label.flag} ({label.flag_note}), by reason: {reasons}"
        if filtered:  # a diffusion step's quality filter (synthgen.diffusion.quality)
            text += "\nquality filter: " + ", ".join(f"{k} {v}" for k, v in sorted(filtered.items()))
        return text


def config_identity(config: RunConfig) -> str:
    """Hash of everything that decides a sample's content (the sample count and the settings of
    regress and of the Ray executor excluded)."""
    ident = {k: v for k, v in config.resolved.items() if k not in ("num_samples", "regress", "ray")}
    ident["synthgen_version"] = __version__
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()


def read_manifest(out: Path) -> dict | None:
    path = out / MANIFEST
    if not os.path.lexists(path):
        return None
    try:
        manifest = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as exc:
        first = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise DatasetError(f"{path}: unreadable manifest ({first}); use --overwrite to replace the dataset") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files", {}), dict):
        raise DatasetError(f"{path}: not a synthgen manifest (not a mapping of the expected shape); "
                           "use --overwrite to replace the dataset")
    return manifest


def check_output(config: RunConfig, out: Path, overwrite: bool) -> dict | None:
    """Check that ``out`` is missing or empty, or holds a synthgen dataset that this run may
    resume (or, with ``overwrite``, replace); refuse otherwise. Writes nothing.

    Returns:
        The dataset's marker (``output.read_marker``), None for a missing or empty folder.
    """
    if os.path.lexists(out) and not out.is_dir():
        raise DatasetError(f"{out}: exists and is not a folder")
    if not has_content(out):
        return None
    marker = read_marker(out)
    if marker is None:
        if overwrite:
            raise DatasetError(f"{out}: holds files that are not a synthgen dataset; refusing to delete them")
        raise DatasetError(f"{out}: folder is not empty and holds no synthgen dataset; choose another folder")
    refuse_links(out)
    try:
        manifest = read_manifest(out)
    except DatasetError:
        if not overwrite:
            raise
        manifest = None
    if not overwrite:
        refuse_wrong_kinds(out, list((manifest or {}).get("files") or {}))
    if manifest is not None and manifest.get("dataset_id") != marker["id"]:
        raise DatasetError(f"{out / MANIFEST}: is not the manifest of the dataset marked by {out / MARKER}; choose another folder")
    if overwrite:
        return marker
    if marker["id"] != dataset_id(config_identity(config)):
        what = f"({manifest.get('name')!r} from {manifest.get('source')})" if manifest is not None else "in progress"
        raise DatasetError(
            f"{out}: holds a dataset of a different config {what}; use --overwrite to replace it or choose another folder"
        )
    if manifest is not None and manifest.get("num_samples", 0) > config.num_samples:
        raise DatasetError(
            f"{out}: holds {manifest['num_samples']} samples, more than the {config.num_samples} asked; "
            "use --overwrite to replace it"
        )
    return marker


def prepare_output(config: RunConfig, out: Path, overwrite: bool) -> None:
    """Under the run lock: check ``out`` again, empty it for ``overwrite``, mark it as this
    config's dataset (the first file a dataset gets) and delete what a killed run left."""
    marker = check_output(config, out, overwrite)
    if marker is not None and overwrite:
        empty_dataset(out)
    write_marker(out, dataset_id(config_identity(config)))
    remove_leftovers(out)


def plan(config: RunConfig, out: Path) -> Iterator[ShardJob]:
    """The run's shard jobs, in order, made as they are consumed (a run of any size plans in
    constant memory); each carries the run's ``GeneratedSource``."""
    source = GeneratedSource(config)
    k = config.shard_size
    for shard, first in enumerate(range(0, config.num_samples, k)):
        yield ShardJob(config, str(out), shard, first, min(k, config.num_samples - first), source)


def num_shards(config: RunConfig) -> int:
    return -(-config.num_samples // config.shard_size)


@dataclass
class Tally:
    """What a run's complete shards add up to.

    Attributes:
        shards: shard -> (first, count, sha256 of its record), for the final manifest.
        samples, instances, reused: totals (``reused``: samples of shards complete before the run).
        dropped: objects dropped, by reason.
    """

    shards: dict[int, tuple[int, int, str]] = field(default_factory=dict)
    samples: int = 0
    instances: int = 0
    reused: int = 0
    dropped: Counter[str] = field(default_factory=Counter)

    def add(self, result: ShardResult, reused: bool = False) -> None:
        self.shards[result.shard] = (result.first, result.count, result.sha256)
        self.samples += result.count
        self.instances += result.instances
        self.reused += result.count if reused else 0
        self.dropped.update(result.dropped)


def _font_hashes(config: RunConfig) -> dict[str, str]:
    from synthgen.regress.provenance import font_files

    return font_files(config)


def write_manifest(config: RunConfig, out: Path, tally: Tally, files: dict[str, str] | None) -> None:
    """Write ``manifest.json``; a run in progress (``files`` None) lists no shards, only their
    number, so that its size does not grow with the run."""
    complete = files is not None
    manifest = {
        "name": config.name,
        "source": config.source,
        "synthgen_version": __version__,
        "dataset_id": dataset_id(config_identity(config)),
        "seed": config.seed,
        "num_samples": config.num_samples,
        "shard_size": config.shard_size,
        "config_hash": config_identity(config),
        "status": "complete" if complete else "incomplete",
        "shards_complete": len(tally.shards),
    }
    if complete:
        manifest["shards"] = [
            {"index": shard, "first": first, "count": count, "sha256": sha}
            for shard, (first, count, sha) in sorted(tally.shards.items())
        ]
    manifest |= {
        "counts": {"samples": tally.samples, "instances": tally.instances, "dropped": dict(sorted(tally.dropped.items()))},
        "categories": table_to_record(config.categories),
        "files": files or {},
        "fonts": _font_hashes(config),  # every font file drawn with -> sha256: other fonts, other pixels
        # executor settings (ray:) do not change the dataset, and the manifest is part of it
        "config": {k: v for k, v in config.resolved.items() if k != "ray"},
    }
    write_atomic(out / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8") + b"\n")


def iter_records(out: Path, num_shards: int, derived: bool = False):
    """Sample records of a complete run, in index order; with ``derived``, each with what the
    writers derived from it in the shard producers (``records.DERIVED``) where that is on disk."""
    for shard in range(num_shards):
        rec = load_shard_record(out, shard)
        if rec is None:
            raise DatasetError(f"{out}: shard {shard} is missing; rerun generate to complete the dataset")
        side = load_derived(out, shard, len(rec["samples"])) if derived else None
        for sample, entry in zip(rec["samples"], side or [None] * len(rec["samples"])):
            if entry:
                sample[DERIVED] = entry
            yield sample


def records_size(out: Path, num_shards: int) -> int:
    """Bytes of the shard record files of a run (a missing one counts 0; iter_records reports it)."""
    total = 0
    for shard in range(num_shards):
        try:
            total += record_path(out, shard).stat().st_size
        except FileNotFoundError:
            pass
    return total


def check_renderer(config: RunConfig) -> None:
    """The run's renderer can start on this machine (once, in this process), before any work: else
    InputError in one line saying what to install."""
    from synthgen.render import RENDERERS

    check = RENDERERS.get(config.render.kind).check_environment
    if check is not None:
        check()


def executor_session(settings: RayConfig, executor: str) -> AbstractContextManager[None]:
    """With the ``ray`` executor, the run's connection to its cluster (``ray_executor.ray_session``:
    joined within ``ray.connect_timeout_s``, a local cluster it started stopped at the end); with
    another executor, nothing."""
    if executor != "ray":
        return nullcontext()
    from synthgen.engine.ray_executor import ray_session

    return ray_session(settings)


def generate(
    config: RunConfig,
    out: str | Path | None = None,
    workers: int = 1,
    executor: str = "process",
    overwrite: bool = False,
    progress: bool = True,
) -> RunSummary:
    """Generate (or finish) a dataset.

    Args:
        config: the loaded run config.
        out: dataset folder; created if missing. None: ``out/<config name>``, which must stay
            inside ``out/``.
        workers: worker processes for the ``process`` executor.
        executor: a name from ``EXECUTORS`` (``serial``, ``process``, ``ray``).
        overwrite: replace a synthgen dataset (of any config) found in ``out``; a folder holding
            anything synthgen did not create is refused.
        progress: show a progress bar on stderr (when it is a terminal).

    Returns:
        A RunSummary.

    Raises:
        DatasetError: ``out`` cannot be used (foreign files, a link inside, another run in it,
            a dataset of another config without ``overwrite``); nothing is written then.
        InputError: with the ``ray`` executor, the cluster cannot be joined or started (nothing
            is written then either).
    """
    run_shards = EXECUTORS.get(executor, key="--executor")
    out = default_out(config.name) if out is None else Path(out)
    check_output(config, out, overwrite)  # before the folder, its lock or its marker is made
    check_renderer(config)
    # A Ray cluster is joined (or started) before the folder is made: an address that answers
    # nothing is reported in one line within ray.connect_timeout_s, with OUT as it was.
    with executor_session(config.ray, executor):
        start = time.perf_counter()
        out.mkdir(parents=True, exist_ok=True)
        with run_lock(out):
            prepare_output(config, out, overwrite)
            tally = _run_shards(config, out, run_shards, workers, progress)
            files: dict[str, str] = {}
            shards = num_shards(config)
            finalizers = [w for w in (config.writer(name) for name in config.outputs) if w.finalize is not None]
            finishing(config.name, [w.name for w in finalizers], progress)
            records = None
            if len(finalizers) > 1 and records_size(out, shards) <= RECORDS_IN_MEMORY_BYTES:
                records = list(iter_records(out, shards, derived=True))  # parsed once for every writer, not once each
            for writer in finalizers:
                source = records if records is not None else iter_records(out, shards, derived=True)
                for rel in writer.finalize(source, out, config.categories):
                    files[rel] = file_sha256(out / rel)
            write_manifest(config, out, tally, dict(sorted(files.items())))
            remove_derived(out)
            remove_leftovers(out)
        seconds = time.perf_counter() - start
    return RunSummary(
        out=str(out),
        samples=config.num_samples,
        generated=config.num_samples - tally.reused,
        reused=tally.reused,
        instances=tally.instances,
        seconds=seconds,
        dropped=dict(tally.dropped),
    )


def _run_shards(config: RunConfig, out: Path, run_shards, workers: int, progress: bool) -> Tally:
    """Make and commit every shard not complete yet; the tally of all of them."""
    tally = Tally()
    write_manifest(config, out, tally, None)
    bar = progress_bar(config.name, config.num_samples, 0, progress)

    def pending() -> Iterator[ShardJob]:
        # Complete shards are found as the plan is walked, so nothing per shard is listed up front.
        for job in plan(config, out):
            done = shard_result(out, job.shard, job.first, job.count)
            if done is None:
                yield job
            else:
                tally.add(done, reused=True)
                bar.update(done.count)

    written = time.monotonic()
    with bar:
        for produced in run_shards(pending(), workers):
            result = commit_shard(out, produced)
            tally.add(result)
            # The running manifest is for people watching the folder (resume reads shard records),
            # so it is refreshed at most once a second, not after each of thousands of shards.
            if time.monotonic() - written >= MANIFEST_REFRESH_S:
                write_manifest(config, out, tally, None)
                written = time.monotonic()
            bar.update(result.count)
    return tally
