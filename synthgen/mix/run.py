"""``synthgen mix``: read the sources, plan the mixture, write each split as a synthgen dataset
through the engine's shard producer and committer, on ``generate``'s executors (serial, a process
pool, Ray) with its progress lines, resumable like ``generate``; then the report. Each shard job
carries its planned samples (``MixedSource``), so any executor can run it.

Output::

    OUT/mix.json                 the config, its hash and the plan's hash (resume checks both)
    OUT/train|val|test/          each a synthgen dataset (manifest.json, images/, every writer's files)
    OUT/data.yaml                with the yolo writer: one Ultralytics data.yaml over the splits
    OUT/report.json              counts per class and source before and after, skips, duplicates
    OUT/class_balance.png        the class balance, before and after
    OUT/.synthgen/sources/       a generate source's samples while the mix runs (synthgen.mix.generated)
    OUT/.synthgen/dataset.json   the marker of a mix (``kind: mix``), written first; the run lock beside it

OUT is kept as ``generate`` keeps its output, by the same functions (``synthgen.engine.output``):
only a folder marked as a mix is resumed or replaced, ``--overwrite`` deletes the mix's own entries
and refuses a folder (or a split) holding anything else, a symbolic link among them is refused,
one mix at a time holds the run lock, and damaged state is one line naming the entry.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthgen import __version__
from synthgen.engine.context import NoResources
from synthgen.engine.executors import EXECUTORS, Executor
from synthgen.engine.output import (
    dataset_id,
    empty_dataset,
    has_content,
    read_marker,
    refuse_links,
    refuse_strangers,
    refuse_wrong_kinds,
    remove_leftovers,
    remove_tree,
    run_lock,
    write_marker,
)
from synthgen.engine.progress import finishing, progress_bar
from synthgen.engine.run import iter_records, read_manifest
from synthgen.engine.shards import ShardJob, ShardResult, commit_shard, remove_derived, shard_result
from synthgen.errors import DatasetError, InputError
from synthgen.formats import WRITERS
from synthgen.formats.base import write_atomic
from synthgen.formats.yolo import MIX_DATA_YAML, mix_data_yaml
from synthgen.mix.config import GENERATE, MixConfig
from synthgen.mix.generated import FOLDER as GENERATED_FOLDER
from synthgen.mix.generated import generated_categories
from synthgen.mix.plan import SPLITS, Plan, Planned, plan_mix
from synthgen.mix.report import mix_report, write_balance_plot
from synthgen.mix.sources import Generation, SourceData, check_mapping, find_duplicates, read_source
from synthgen.records import instance_views, table_to_record
from synthgen.types import CategoryTable, Sample

MIX_STATE = "mix.json"
STATE_DIR = ".synthgen"  # the marker, the run lock, and a generate source's samples while the mix runs
# what mix writes into OUT, and only that; and the sheet `synthgen preview OUT` writes there
OWN = (MIX_STATE, "report.json", "class_balance.png", MIX_DATA_YAML, *SPLITS, "preview.png")
MIX_ENTRIES = frozenset((*OWN, STATE_DIR))
MIX_FILES = tuple(name for name in OWN if name not in SPLITS)  # the rest are folders
MIX_KIND = "mix"


@dataclass(frozen=True)
class MixSummary:
    out: str
    counts: dict[str, int]
    written: int
    reused: int
    seconds: float
    skipped: int
    duplicates: int

    def line(self) -> str:
        splits = ", ".join(f"{k} {v}" for k, v in self.counts.items())
        return (
            f"mixed {splits} samples ({self.written} written, {self.reused} reused) in {self.seconds:.1f} s; "
            f"{self.skipped} skipped, {self.duplicates} duplicate images -> {self.out} (report.json, class_balance.png)"
        )


class MixedSource:
    """A mix plan's samples of one split (a ``synthgen.engine.source.Source``), for the indices
    ``first ..`` of ``planned``: the planned sample's pixels decoded, its labels mapped, and its
    provenance in ``meta``. Picklable (records and image paths): a shard job carries the one of its
    own samples to a worker process or a Ray task.

    Args:
        planned: the planned samples from index ``first`` on.
        split: the split they belong to.
        formats: source name -> its format (recorded in each sample's provenance).
        categories: the mix's target taxonomy.
        seed: the mix's seed (the plan was drawn from it; making a sample draws nothing).
        blend, feather_px: how copy-pasted instances are blended.
        first: the split index of ``planned[0]``.
    """

    fork_safe = True  # it reads files: nothing in a worker that a fork could break
    context_key = "files"  # and it needs nothing built per worker process

    def __init__(
        self,
        planned: list[Planned],
        split: str,
        formats: dict[str, str],
        categories: CategoryTable,
        seed: int,
        blend: str = "alpha",
        feather_px: float = 3.0,
        first: int = 0,
    ):
        self.planned = planned
        self.split = split
        self.formats = formats
        self.categories = categories
        self.seed = seed
        self.blend = blend
        self.feather_px = feather_px
        self.first = first

    def __len__(self) -> int:
        return len(self.planned)

    def make_context(self) -> NoResources:
        return NoResources()

    def samples(self, indices: Iterable[int], ctx: Any = None) -> Iterator[Sample]:
        for index in indices:
            yield self._sample(index)

    def _sample(self, index: int) -> Sample:
        last = self.first + len(self.planned) - 1
        if not self.first <= index <= last:
            raise IndexError(f"index {index} is not one of this source's {self.first}..{last}")
        p = self.planned[index - self.first]
        sample = p.lazy.materialize()
        meta = {
            "index": index,
            "split": self.split,
            "source": f"{'real' if p.real else 'synthetic'}:{p.source}",
            "origin": {
                "source": p.source,
                "format": self.formats[p.source],
                **p.lazy.origin,
                "meta": p.lazy.record.get("meta", {}),
            },
        }
        if p.pastes:
            from synthgen.mix.copy_paste import paste

            counts: Counter = Counter()
            meta["pasted"] = []
            for plan in p.pastes:
                sample, did = paste(sample, plan.donor.materialize(), plan.k, plan.place, self.blend, self.feather_px)
                counts.update(did)
                meta["pasted"].append(
                    {
                        "source": plan.donor_source,
                        **plan.donor.origin,
                        "instance": plan.k,
                        "box": [plan.place.x, plan.place.y, plan.place.width, plan.place.height],
                    }
                )
            meta["dropped"] = {k: v for k, v in sorted(counts.items()) if v}
        return Sample(sample.image, sample.labels, meta)


def plan_hash(plan: Plan) -> str:
    """Hash of where every output sample comes from (resume reuses shards only of the same plan)."""
    ident = {
        split: [
            [p.source, p.lazy.origin, [[q.donor.origin, q.k, list(vars(q.place).values())] for q in p.pastes]]
            for p in items
        ]
        for split, items in plan.splits.items()
    }
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()


def mix_id(config: MixConfig) -> str:
    """The id of a mix in its marker: the same config, the same id."""
    return dataset_id(f"{config.identity}/{MIX_KIND}")


def check_mix_output(out: Path, config: MixConfig, overwrite: bool) -> bool:
    """Before anything is read, made or written: refuse an OUT that is not a folder, that holds
    anything but a synthgen mix (its marker), a link among the mix's entries, damaged state (an
    entry of the wrong kind, an unreadable mix.json or split manifest: one line naming it), or,
    without ``overwrite``, a mix of another config; with ``overwrite``, a stranger's file in OUT or
    in a split (nothing is deleted then). Writes nothing.

    Returns:
        Whether OUT holds a mix (finished or not) to resume or replace.
    """
    if os.path.lexists(out) and not out.is_dir():
        raise DatasetError(f"{out}: exists and is not a folder")
    if not has_content(out):
        return False
    marker = read_marker(out, kind=MIX_KIND)
    if marker is None:
        if overwrite:
            raise DatasetError(f"{out}: holds files that are not a synthgen mix; refusing to delete them")
        raise DatasetError(f"{out}: holds files that are not a synthgen mix; choose another folder")
    refuse_links(out, MIX_ENTRIES)
    if overwrite:
        refuse_strangers(out, MIX_ENTRIES)
        for split in SPLITS:
            if (out / split).is_dir():
                refuse_strangers(out / split)
        refuse_wrong_kinds(out, own=frozenset({STATE_DIR}))  # the lock is taken before anything is emptied
        return True
    refuse_wrong_kinds(out, own=MIX_ENTRIES, files=MIX_FILES)
    previous = previous_state(out)
    if marker["id"] != mix_id(config) or (previous is not None and previous.get("config_hash") != config.identity):
        raise DatasetError(f"{out}: holds a mix of another config or other source data; use --overwrite to replace it")
    for split in SPLITS:
        if (out / split).is_dir():
            manifest = read_manifest(out / split)
            refuse_wrong_kinds(out / split, list((manifest or {}).get("files") or {}))
    return True


def previous_state(out: Path) -> dict | None:
    """``OUT/mix.json`` as the last run left it, None when there is none; one line naming it when it
    is not a mix's state (a resume cannot tell which plan the splits hold)."""
    path = out / MIX_STATE
    if not os.path.lexists(path):
        return None
    try:
        state = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as exc:
        why = "a folder" if path.is_dir() else f"unreadable: {type(exc).__name__}"
        raise DatasetError(f"{path}: is {why}, not a mix's state; use --overwrite to replace the mix") from None
    if not isinstance(state, dict) or not isinstance(state.get("config_hash"), str):
        raise DatasetError(
            f"{path}: is not a mix's state (a mapping with its config_hash); use --overwrite to replace the mix"
        )
    return state


def prepare_mix_output(out: Path, config: MixConfig, state: dict, overwrite: bool, existing: bool) -> None:
    """Under the run lock, once the plan is known: with ``overwrite``, empty OUT of a previous mix
    of another config or plan (its own entries only; a generate source's samples, under
    ``.synthgen``, are this mix's already); then mark OUT as this config's mix and delete what a
    killed run left. ``existing``: what ``check_mix_output`` found under this lock (OUT held a mix)."""
    if existing:
        try:
            previous = previous_state(out)  # None: killed before its first mix.json, nothing planned yet
        except DatasetError:
            if not overwrite:
                raise
            previous = {}  # damaged: replaced
        other = previous is not None and any(previous.get(k) != state[k] for k in ("config_hash", "plan_hash"))
        if other and not overwrite:
            raise DatasetError(
                f"{out}: holds a mix of another config or other source data; use --overwrite to replace it"
            )
        if other or (overwrite and not _resumable(out, config)):
            empty_dataset(out, MIX_ENTRIES, keep=("lock", "sources"))
    write_marker(out, mix_id(config), kind=MIX_KIND)
    remove_leftovers(out, MIX_ENTRIES)


def _resumable(out: Path, config: MixConfig) -> bool:
    """Whether this config's mix in ``out`` passes the checks of a resume (``--overwrite`` replaces
    one that does not, a damaged one, rather than resuming it)."""
    try:
        check_mix_output(out, config, overwrite=False)
    except DatasetError:
        return False
    return True


def split_id(mix: MixConfig, split: str) -> str:
    """The dataset id of a split (the marker and the manifest hold it)."""
    return dataset_id(f"{mix.identity}/{split}")


def write_split_manifest(mix: MixConfig, out: Path, split: str, results: dict, files: dict[str, str] | None) -> None:
    """A manifest like ``generate``'s, so that ``read_dataset`` and the ``synthgen`` reader read the split."""
    manifest = {
        "name": f"{mix.name}/{split}",
        "source": mix.source,
        "synthgen_version": __version__,
        "seed": mix.seed,
        "num_samples": sum(r.count for r in results.values()),
        "shard_size": mix.shard_size,
        "config_hash": mix.identity,
        "dataset_id": split_id(mix, split),
        "status": "complete" if files is not None else "incomplete",
        "shards": [
            {"index": r.shard, "first": r.first, "count": r.count, "sha256": r.sha256}
            for r in sorted(results.values(), key=lambda r: r.shard)
        ],
        "counts": {
            "samples": sum(r.count for r in results.values()),
            "instances": sum(r.instances for r in results.values()),
        },
        "categories": table_to_record(mix.categories),
        "files": files or {},
        "config": mix.dataset_config,
    }
    write_atomic(out / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8") + b"\n")


def split_jobs(
    mix: MixConfig, out: Path, split: str, planned: list[Planned], formats: dict[str, str]
) -> Iterator[ShardJob]:
    """A split's shard jobs, made as they are consumed, each carrying its own planned samples."""
    cp = mix.copy_paste
    blend = (cp.blend, cp.feather_px) if cp is not None else ()
    k = mix.shard_size
    for shard, first in enumerate(range(0, len(planned), k)):
        source = MixedSource(planned[first : first + k], split, formats, mix.categories, mix.seed, *blend, first=first)
        yield ShardJob(mix, str(out), shard, first, min(k, len(planned) - first), source)  # type: ignore[arg-type]


def write_split(
    mix: MixConfig,
    out: Path,
    split: str,
    planned: list[Planned],
    formats: dict[str, str],
    bar: Any,
    run_shards: Executor,
    workers: int,
    progress: bool,
) -> tuple[int, int, Counter]:
    """Write one split as a dataset, its complete shards skipped and the others made by
    ``run_shards`` (an executor of ``synthgen.engine.executors``); (written, reused) samples, and
    what its samples' pastes dropped or flagged, by reason (their ``meta["dropped"]``, summed)."""
    out.mkdir(parents=True, exist_ok=True)
    write_marker(out, split_id(mix, split))  # a synthgen dataset, as generate's output is
    remove_leftovers(out)
    jobs = split_jobs(mix, out, split, planned, formats)
    shards = -(-len(planned) // mix.shard_size)
    results: dict[int, ShardResult] = {}
    reused = 0

    def pending() -> Iterator[ShardJob]:
        nonlocal reused
        for job in jobs:
            done = shard_result(out, job.shard, job.first, job.count)
            if done is None:
                yield job
            else:
                results[job.shard] = done
                reused += job.count
                bar.update(job.count)

    written = 0
    for produced in run_shards(pending(), workers):
        result = commit_shard(out, produced)
        results[result.shard] = result
        written += result.count
        bar.update(result.count)
    write_split_manifest(mix, out, split, results, None)
    finalizers = [w for w in (WRITERS.get(name) for name in mix.outputs) if w.finalize is not None]
    finishing(f"{mix.name}/{split}", [w.name for w in finalizers], progress)
    files: dict[str, str] = {}
    for writer in finalizers:
        for rel in writer.finalize(iter_records(out, shards, derived=True), out, mix.categories):
            files[rel] = hashlib.sha256((out / rel).read_bytes()).hexdigest()
    write_split_manifest(mix, out, split, results, dict(sorted(files.items())))
    remove_derived(out)
    remove_leftovers(out)
    dropped: Counter = Counter()
    for r in results.values():
        dropped.update(r.dropped)
    return written, reused, dropped


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector while sources are read.

    Reading builds millions of small acyclic objects (the records of every annotation); each time
    allocations pass a threshold the collector walks the growing heap again, which took over half
    of bench_mix's read of 200k annotations. Records hold no reference cycles, so reference
    counting frees whatever they drop. What was read is then frozen out of the collector's
    generations (``gc.freeze``), so that turning it back on does not walk it all at once (that
    moved two seconds into the plan) and later collections skip it; ``mix`` unfreezes it when done.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def read_datasets(mix: MixConfig) -> dict[str, SourceData]:
    """The dataset sources read and mapped, and a generate source's categories checked: a bad
    dataset or an unmapped category fails here, before any sample is made or anything written."""
    data: dict[str, SourceData] = {}
    with collector_paused():
        for s in mix.sources:
            if s.format != GENERATE:
                data[s.name] = read_source(s, mix)
    for s in mix.sources:
        if s.format == GENERATE:
            check_mapping(s, generated_categories(s), mix)
    return data


def read_sources(
    mix: MixConfig, generation: Generation | None = None, datasets: dict[str, SourceData] | None = None
) -> tuple[list[SourceData], list[dict]]:
    """Every source read and mapped, and the duplicate images found across them.

    Datasets are read first (``read_datasets``, or ``datasets`` as it returned them), so that a bad
    dataset or an unmapped category fails before any sample is made (``generation``: where and how).
    """
    data = read_datasets(mix) if datasets is None else dict(datasets)
    for s in mix.sources:  # made with the collector on: its pool and its Ray driver are long-lived
        if s.format == GENERATE:
            data[s.name] = read_source(s, mix, generation)
    sources = [data[s.name] for s in mix.sources]
    duplicates = find_duplicates(sources, drop=mix.duplicates == "drop")
    return sources, duplicates


def mix(
    config: MixConfig,
    out: str | Path,
    overwrite: bool = False,
    progress: bool = True,
    workers: int = 1,
    executor: str = "process",
) -> MixSummary:
    """Mix (or finish mixing) a config's sources into ``out``.

    Args:
        config: a loaded mix config (``load_mix_config``).
        out: the output folder; created if missing.
        overwrite: replace a previous mix of another config or other data in ``out``.
        progress: progress on stderr: a bar on a terminal, plain lines elsewhere (CI logs), as
            ``generate``'s.
        workers: worker processes of the ``process`` executor (at most this many tasks at once on Ray).
        executor: ``serial``, ``process`` or ``ray`` (``synthgen.engine.executors``): the shards of
            the splits, and a generate source's samples, run where ``generate``'s do. The output is
            the same bytes whichever runs it.
    """
    run_shards = EXECUTORS.get(executor, key="--executor")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError(f"--workers: must be a whole number > 0, got {workers!r}")
    out = Path(out)
    start = time.perf_counter()
    check_mix_output(out, config, overwrite)  # before the folder, its lock or a generate source's samples
    caller_froze = gc.get_freeze_count() > 0  # the caller's own gc.freeze() is left as it is
    try:
        datasets = read_datasets(config)  # a bad dataset: one line, and nothing written
        with ray_session(config, executor):  # a cluster that cannot be joined: one line, before OUT is made
            out.mkdir(parents=True, exist_ok=True)
            with run_lock(out):
                existing = check_mix_output(out, config, overwrite)  # again, under the lock
                if not existing:
                    write_marker(out, mix_id(config), kind=MIX_KIND)  # the first file of a mix
                return _mix(config, out, overwrite, progress, run_shards, workers, executor, datasets, start, existing)
    finally:
        if not caller_froze:
            gc.unfreeze()  # what read_sources froze goes back to the collector


def _mix(
    config: MixConfig,
    out: Path,
    overwrite: bool,
    progress: bool,
    run_shards: Executor,
    workers: int,
    executor: str,
    datasets: dict[str, SourceData],
    start: float,
    existing: bool,
) -> MixSummary:
    sources, duplicates = read_sources(config, Generation(out, workers, executor, progress), datasets)
    plan = plan_mix(config, sources)
    state = {
        "name": config.name,
        "config_hash": config.identity,
        "plan_hash": plan_hash(plan),
        "synthgen_version": __version__,
    }
    prepare_mix_output(out, config, state, overwrite, existing)
    write_atomic(
        out / MIX_STATE,
        json.dumps({**state, "status": "incomplete", "config": config.dataset_config}, indent=2).encode() + b"\n",
    )
    formats = {s.name: s.format for s in config.sources}
    written = reused = 0
    dropped: dict[str, Counter] = {}
    total = sum(len(v) for v in plan.splits.values())
    with progress_bar(config.name, total, 0, progress) as bar:
        for split in SPLITS:
            w, r, dropped[split] = write_split(
                config, out / split, split, plan.splits[split], formats, bar, run_shards, workers, progress
            )
            written, reused = written + w, reused + r
    write_mix_files(config, out)
    report = mix_report(config, sources, duplicates, plan, dropped)
    write_atomic(out / "report.json", json.dumps(report, indent=2, ensure_ascii=False).encode("utf-8") + b"\n")
    write_balance_plot(report, out / "class_balance.png")
    write_atomic(
        out / MIX_STATE,
        json.dumps({**state, "status": "complete", "config": config.dataset_config}, indent=2).encode() + b"\n",
    )
    remove_generated(out)
    return MixSummary(
        out=str(out),
        counts={split: len(plan.splits[split]) for split in SPLITS},
        written=written,
        reused=reused,
        seconds=time.perf_counter() - start,
        skipped=sum(len(s.skipped) for s in sources),
        duplicates=len(duplicates),
    )


def write_mix_files(config: MixConfig, out: Path) -> None:
    """The files over all splits that the mix's writers need (the yolo writer's ``OUT/data.yaml``)."""
    if "yolo" in config.outputs:
        mix_data_yaml(out, SPLITS, config.categories)


@contextmanager
def ray_session(config: MixConfig, executor: str) -> Iterator[None]:
    """With the ``ray`` executor, one connection to the cluster for the whole mix: the executor
    starts (and stops) a local cluster per call unless one is up, and a mix calls it once per split
    and per generate source."""
    if executor != "ray":
        yield
        return
    from synthgen.engine.ray_executor import ray_session as cluster_session

    with cluster_session(config.ray):  # joined within ray.connect_timeout_s, before OUT is touched
        yield


def remove_generated(out: Path) -> None:
    """Delete a complete mix's generate-source samples (its splits hold copies of those it used); the
    marker stays in ``.synthgen``."""
    remove_tree(out / GENERATED_FOLDER, out)


def per_class_and_source(items: list[Planned]) -> dict[str, dict[str, int]]:
    """source -> category -> instances (and ``samples``) over planned samples."""
    out: dict[str, Counter] = {}
    for p in items:
        c = out.setdefault(p.source, Counter())
        c["samples"] += 1
        c.update(inst.category for inst in instance_views(p.lazy.record))
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}
