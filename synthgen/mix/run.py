"""``synthgen mix``: read the sources, plan the mixture, write each split as a synthgen dataset
through the engine's shard producer and committer (resumable like ``generate``), then the report.

Output::

    OUT/mix.json                 the config, its hash and the plan's hash (resume checks both)
    OUT/train|val|test/          each a synthgen dataset (manifest.json, images/, every writer's files)
    OUT/data.yaml                with the yolo writer: one Ultralytics data.yaml over the splits
    OUT/report.json              counts per class and source before and after, skips, duplicates
    OUT/class_balance.png        the class balance, before and after
"""

from __future__ import annotations

import gc
import hashlib
import json
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthgen import __version__
from synthgen.engine.output import dataset_id, remove_leftovers, write_marker
from synthgen.engine.run import iter_records
from synthgen.engine.shards import ShardJob, commit_shard, produce_shard, remove_derived, shard_result
from synthgen.errors import DatasetError
from synthgen.formats import WRITERS
from synthgen.formats.base import write_atomic
from synthgen.formats.yolo import MIX_DATA_YAML, mix_data_yaml
from synthgen.mix.config import MixConfig
from synthgen.mix.plan import SPLITS, Plan, Planned, plan_mix
from synthgen.mix.report import mix_report, write_balance_plot
from synthgen.mix.sources import SourceData, find_duplicates, read_source
from synthgen.records import table_to_record
from synthgen.types import Sample

MIX_STATE = "mix.json"
# what mix writes into OUT, and only that; and the sheet `synthgen preview OUT` writes there
OWN = (MIX_STATE, "report.json", "class_balance.png", MIX_DATA_YAML, *SPLITS, "preview.png")


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
    """index -> Sample of one split: the planned sample's pixels decoded, its labels mapped, and its
    provenance in ``meta``."""

    def __init__(
        self, planned: list[Planned], split: str, formats: dict[str, str], blend: str = "alpha", feather_px: float = 3.0
    ):
        self.planned = planned
        self.split = split
        self.formats = formats
        self.blend = blend
        self.feather_px = feather_px

    def __len__(self) -> int:
        return len(self.planned)

    def __getitem__(self, index: int) -> Sample:
        p = self.planned[index]
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

            covered = 0
            meta["pasted"] = []
            for plan in p.pastes:
                sample, dropped = paste(
                    sample, plan.donor.materialize(), plan.k, plan.place, self.blend, self.feather_px
                )
                covered += dropped
                meta["pasted"].append(
                    {
                        "source": plan.donor_source,
                        **plan.donor.origin,
                        "instance": plan.k,
                        "box": [plan.place.x, plan.place.y, plan.place.width, plan.place.height],
                    }
                )
            meta["dropped"] = {"covered_by_paste": covered} if covered else {}
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


def prepare_mix_output(out: Path, state: dict, overwrite: bool) -> None:
    """Refuse an OUT holding anything but this mix's (partial) output; with ``overwrite``, remove a
    previous mix's files (only those)."""
    if out.exists() and not out.is_dir():
        raise DatasetError(f"{out}: exists and is not a folder")
    if not out.exists() or not any(out.iterdir()):
        return
    foreign = sorted(p.name for p in out.iterdir() if p.name not in OWN)
    if not (out / MIX_STATE).is_file() or foreign:
        raise DatasetError(
            f"{out}: holds files that are not a synthgen mix ({', '.join(foreign[:3]) or 'no mix.json'}); choose another folder"
        )
    try:
        previous = json.loads((out / MIX_STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = {}
    same = previous.get("config_hash") == state["config_hash"] and previous.get("plan_hash") == state["plan_hash"]
    if same:
        return
    if not overwrite:
        raise DatasetError(f"{out}: holds a mix of another config or other source data; use --overwrite to replace it")
    for name in OWN:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


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
        "config": mix.resolved,
    }
    write_atomic(out / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8") + b"\n")


def write_split(
    mix: MixConfig, out: Path, split: str, planned: list[Planned], formats: dict[str, str], bar: Any
) -> tuple[int, int]:
    """Write one split as a dataset, skipping its complete shards; (written, reused) samples."""
    out.mkdir(parents=True, exist_ok=True)
    write_marker(out, split_id(mix, split))  # a synthgen dataset, as generate's output is
    remove_leftovers(out)
    cp = mix.copy_paste
    source = MixedSource(planned, split, formats, *((cp.blend, cp.feather_px) if cp is not None else ()))
    k = mix.shard_size
    jobs = [
        ShardJob(mix, str(out), shard, first, min(k, len(planned) - first))
        for shard, first in enumerate(range(0, len(planned), k))
    ]  # type: ignore[arg-type]
    results = {}
    written = reused = 0
    for job in jobs:
        done = shard_result(out, job.shard, job.first, job.count)
        if done is None:
            done = commit_shard(out, produce_shard(job, None, source=source))
            written += job.count
        else:
            reused += job.count
        results[job.shard] = done
        bar.update(job.count)
    write_split_manifest(mix, out, split, results, None)
    files: dict[str, str] = {}
    for writer in (WRITERS.get(name) for name in mix.outputs):
        if writer.finalize is not None:
            for rel in writer.finalize(iter_records(out, len(jobs), derived=True), out, mix.categories):
                files[rel] = hashlib.sha256((out / rel).read_bytes()).hexdigest()
    write_split_manifest(mix, out, split, results, dict(sorted(files.items())))
    remove_derived(out)
    remove_leftovers(out)
    return written, reused


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


def read_sources(mix: MixConfig) -> tuple[list[SourceData], list[dict]]:
    """Every source read and mapped, and the duplicate images found across them."""
    with collector_paused():
        sources = [read_source(s, mix) for s in mix.sources]
    duplicates = find_duplicates(sources, drop=mix.duplicates == "drop")
    return sources, duplicates


def mix(config: MixConfig, out: str | Path, overwrite: bool = False, progress: bool = True) -> MixSummary:
    """Mix (or finish mixing) a config's sources into ``out``.

    Args:
        config: a loaded mix config (``load_mix_config``).
        out: the output folder; created if missing.
        overwrite: replace a previous mix of another config or other data in ``out``.
        progress: a progress bar on stderr (when it is a terminal).
    """
    caller_froze = gc.get_freeze_count() > 0  # the caller's own gc.freeze() is left as it is
    try:
        return _mix(config, Path(out), overwrite, progress)
    finally:
        if not caller_froze:
            gc.unfreeze()  # what read_sources froze goes back to the collector


def _mix(config: MixConfig, out: Path, overwrite: bool, progress: bool) -> MixSummary:
    start = time.perf_counter()
    sources, duplicates = read_sources(config)
    plan = plan_mix(config, sources)
    state = {
        "name": config.name,
        "config_hash": config.identity,
        "plan_hash": plan_hash(plan),
        "synthgen_version": __version__,
    }
    prepare_mix_output(out, state, overwrite)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(
        out / MIX_STATE,
        json.dumps({**state, "status": "incomplete", "config": config.resolved}, indent=2).encode() + b"\n",
    )
    formats = {s.name: s.format for s in config.sources}
    from tqdm import tqdm

    written = reused = 0
    total = sum(len(v) for v in plan.splits.values())
    with tqdm(total=total, unit="sample", desc=config.name, disable=None if progress else True, file=sys.stderr) as bar:
        for split in SPLITS:
            w, r = write_split(config, out / split, split, plan.splits[split], formats, bar)
            written, reused = written + w, reused + r
    write_mix_files(config, out)
    report = mix_report(config, sources, duplicates, plan)
    write_atomic(out / "report.json", json.dumps(report, indent=2, ensure_ascii=False).encode("utf-8") + b"\n")
    write_balance_plot(report, out / "class_balance.png")
    write_atomic(
        out / MIX_STATE,
        json.dumps({**state, "status": "complete", "config": config.resolved}, indent=2).encode() + b"\n",
    )
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


def per_class_and_source(items: list[Planned]) -> dict[str, dict[str, int]]:
    """source -> category -> instances (and ``samples``) over planned samples."""
    out: dict[str, Counter] = {}
    for p in items:
        c = out.setdefault(p.source, Counter())
        c["samples"] += 1
        c.update(inst["category"] for inst in p.lazy.record["instances"])
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}
