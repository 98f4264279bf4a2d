"""Which sample goes where: the splits of the real samples, the training mixture (ratio, counts,
weights, ``fill_to``, caps). Records only, no pixels; a pure function of the sources and the seed."""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from synthgen.errors import DatasetError
from synthgen.lazy import LazySample
from synthgen.mix.config import MixConfig
from synthgen.mix.copy_paste import Placement, sample_placement
from synthgen.mix.sources import SourceData
from synthgen.records import instance_views

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class PastePlan:
    """One instance to paste: instance ``k`` of a donor sample, at a placement."""

    donor_source: str
    donor: LazySample
    k: int
    place: Placement


@dataclass(frozen=True)
class Planned:
    """One output sample: its source, its lazy sample (records mapped to the target taxonomy) and
    the instances pasted into it."""

    source: str
    real: bool
    lazy: LazySample
    pastes: tuple[PastePlan, ...] = ()


@dataclass
class Plan:
    """The mixed dataset: split -> its samples in output order, and what the strategies could not do."""

    splits: dict[str, list[Planned]]
    notes: list[str] = field(default_factory=list)


def rng_for(seed: int, purpose: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(purpose.encode()),)))


def class_counts(samples: list[Planned] | list[LazySample]) -> Counter:
    """Instances per category over samples."""
    counts: Counter = Counter()
    for s in samples:
        lazy = s.lazy if isinstance(s, Planned) else s
        counts.update(inst.category for inst in instance_views(lazy.record))
    return counts


def _permuted(items: list, seed: int, purpose: str) -> list:
    order = rng_for(seed, purpose).permutation(len(items))
    return [items[i] for i in order]


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights``, exactly (Hamilton's method)."""
    shares = [total * w / sum(weights) for w in weights]
    counts = [int(np.floor(s)) for s in shares]
    for i in sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))[: total - sum(counts)]:
        counts[i] += 1
    return counts


def split_real(samples: list[Planned], val: float, test: float, seed: int) -> dict[str, list[Planned]]:
    """Stratified validation and test splits of real samples.

    A sample's stratum is its rarest class (fewest instances over the real samples), so a rare class
    reaches validation and test in proportion; samples with no instance form their own stratum.
    """
    counts = class_counts(samples)
    strata: dict[str, list[Planned]] = {}
    for s in samples:
        cats = {inst.category for inst in instance_views(s.lazy.record)}
        key = min(cats, key=lambda c: (counts[c], c)) if cats else ""
        strata.setdefault(key, []).append(s)
    out: dict[str, list[Planned]] = {name: [] for name in SPLITS}
    for key in sorted(strata):
        members = _permuted(strata[key], seed, f"split:{key}")
        n_val, n_test = round(val * len(members)), round(test * len(members))
        out["val"] += members[:n_val]
        out["test"] += members[n_val : n_val + n_test]
        out["train"] += members[n_val + n_test :]
    return out


def _over_cap(lazy: LazySample, counts: Counter, caps: dict[str, int]) -> bool:
    add = Counter(inst.category for inst in instance_views(lazy.record))
    return any(counts[c] + n > caps[c] for c, n in add.items() if c in caps)


def plan_mix(mix: MixConfig, sources: list[SourceData]) -> Plan:
    """The plan of a mix (see the module docstring of synthgen.mix.config for the strategies)."""
    notes: list[str] = []
    real: list[Planned] = []
    synthetic: dict[str, list[Planned]] = {}
    for data in sources:
        cfg = data.config
        members = [Planned(cfg.name, cfg.real, s) for s in data.samples]
        if cfg.real:
            if cfg.count is not None:
                if cfg.count > len(members):
                    raise DatasetError(
                        f"sources.{cfg.name}.count: asks {cfg.count} samples, the source holds {len(members)}"
                    )
                members = _permuted(members, mix.seed, f"count:{cfg.name}")[: cfg.count]
            real += members
        else:
            synthetic[cfg.name] = _permuted(members, mix.seed, f"synthetic:{cfg.name}")
    splits = split_real(real, *mix.splits, mix.seed)
    train = splits["train"]
    counts = class_counts(train)
    remaining = {name: list(members) for name, members in synthetic.items()}

    def take(name: str, n: int, why: str, strict: bool = True) -> None:
        got = 0
        pool = remaining[name]
        kept = []
        for s in pool:
            if got < n and not _over_cap(s.lazy, counts, mix.caps):
                train.append(s)
                counts.update(inst.category for inst in instance_views(s.lazy.record))
                got += 1
            else:
                kept.append(s)
        remaining[name] = kept
        if got < n and not strict:
            notes.append(f"caps: {n - got} samples of {name} left out, they would take a class past its cap")
        elif got < n:
            raise DatasetError(
                f"sources.{name}: {why} asks {n} samples, the source holds {got} usable ones"
                + (" (within strategy.caps)" if mix.caps else "")
            )

    by_name = {d.config.name: d.config for d in sources}
    fixed = [n for n in synthetic if by_name[n].count is not None]
    for name in fixed:
        take(name, by_name[name].count, "count")
    weighted = [n for n in synthetic if by_name[n].count is None]
    n_real = sum(1 for s in train if s.real)
    if mix.ratio is not None:
        total = round(n_real * mix.ratio[1] / mix.ratio[0])
        wanted = total - sum(by_name[n].count for n in fixed)
        if wanted < 0:
            raise DatasetError(f"strategy.ratio: asks {total} synthetic samples, the sources' counts give more")
        if wanted and not weighted:
            raise DatasetError(
                f"strategy.ratio: asks {wanted} more synthetic samples and no synthetic source has a weight"
            )
        for name, n in zip(
            weighted, _largest_remainder(wanted, [by_name[n].weight or 1.0 for n in weighted]) if weighted else []
        ):
            take(name, n, "strategy.ratio")
    else:
        for name in weighted:
            take(name, len(remaining[name]), "weight", strict=False)

    for cls in mix.categories.names:  # fill_to in the taxonomy's order
        need = mix.fill_to.get(cls, 0)
        if counts[cls] >= need:
            continue
        pool = [s for name in synthetic for s in remaining[name]]
        pool = _permuted(pool, mix.seed, f"fill_to:{cls}")
        used = set()
        for s in pool:
            if counts[cls] >= need:
                break
            if not any(inst.category == cls for inst in instance_views(s.lazy.record)) or _over_cap(
                s.lazy, counts, mix.caps
            ):
                continue
            train.append(s)
            used.add(id(s))
            counts.update(inst.category for inst in instance_views(s.lazy.record))
        for name, members in remaining.items():
            remaining[name] = [s for s in members if id(s) not in used]
        if counts[cls] < need:
            notes.append(
                f"fill_to {cls}: {counts[cls]} of {need} training instances; the synthetic sources hold no more (within caps)"
            )
    for cls, cap in mix.caps.items():
        if counts[cls] > cap:
            notes.append(
                f"caps {cls}: the real training samples alone hold {counts[cls]} instances, above the cap {cap}"
            )
    splits["train"] = _permuted(train, mix.seed, "train")
    if mix.copy_paste is not None:
        splits["train"] = plan_pastes(mix, splits["train"], sources, notes)
    return Plan(splits, notes)


def plan_pastes(mix: MixConfig, train: list[Planned], sources: list[SourceData], notes: list[str]) -> list[Planned]:
    """Decide every paste from the records (donor instance, scale, position), one generator per
    output index, so that writing a sample needs nothing but its plan."""
    cp = mix.copy_paste
    assert cp is not None
    donors = next(d for d in sources if d.config.name == cp.source)
    records = [lazy.full_record() for lazy in donors.samples]  # boxes and areas (a COCO donor's, rasterised now)
    pool = [
        (lazy, k, inst.bbox)
        for lazy, record in zip(donors.samples, records)
        for k, inst in enumerate(instance_views(record))
        if inst.category in cp.categories and inst.area >= cp.min_area
    ]
    if not pool:
        notes.append(
            f"copy_paste: {cp.source} holds no instance of {', '.join(cp.categories)} with >= {cp.min_area} pixels"
        )
        return train
    out = []
    for index, p in enumerate(train):
        rng = rng_for(mix.seed, f"paste:{index}")
        if not p.real or p.source not in cp.into or rng.random() >= cp.p:
            out.append(p)
            continue
        pastes = []
        size = (p.lazy.record["width"], p.lazy.record["height"])
        for _ in range(int(rng.integers(cp.per_image[0], cp.per_image[1] + 1))):
            lazy, k, bbox = pool[int(rng.integers(len(pool)))]
            place = sample_placement(rng, tuple(bbox), size, cp.scale, cp.horizon)
            if place is not None:
                pastes.append(PastePlan(cp.source, lazy, k, place))
        out.append(Planned(p.source, p.real, p.lazy, tuple(pastes)))
    return out
