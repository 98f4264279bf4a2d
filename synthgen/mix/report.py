"""The mix report: counts per class and source before and after, what was skipped and why,
duplicates, and a PNG of the class balance (drawn with OpenCV, no plotting library needed)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from synthgen.formats.base import write_atomic
from synthgen.extensions import flag_prefixes
from synthgen.records import instance_views


def mix_report(
    config: Any, sources: list, duplicates: list[dict], plan: Any, pasted: dict[str, Counter] | None = None
) -> dict[str, Any]:
    """The JSON-able report of a mix.

    Args:
        config: the mix config.
        sources: the sources read (``SourceData``).
        duplicates: the duplicates found.
        plan: the mix plan.
        pasted: split -> what its pastes did, by reason (``copy_paste.paste``'s counts, summed over
            the split's samples): ``covered_by_paste`` objects dropped, ``illegible_covered`` words
            made illegible. The report's ``dropped`` puts them beside the counts the written samples
            carry from their source (``illegible_truncated``: words a generate source's warp cut).
    """
    from synthgen.mix.run import per_class_and_source

    before = {}
    for data in sources:
        mapped: Counter = Counter()
        for lazy in data.samples:
            mapped.update(inst.category for inst in instance_views(lazy.record))
        before[data.config.name] = {
            "real": data.config.real,
            "format": data.config.format,
            "samples": len(data.samples),
            "instances_read": dict(sorted(data.read_counts.items())),
            "dropped_by_label_map": dict(sorted(data.dropped.items())),
            "instances_mapped": dict(sorted(mapped.items())),
            "skipped": [{"where": s.where, "reason": s.reason} for s in data.skipped],
        }
    return {
        "name": config.name,
        "seed": config.seed,
        "categories": list(config.categories.names),
        "before": before,
        "after": {split: per_class_and_source(items) for split, items in plan.splits.items()},
        "pasted": dict(
            sorted(
                Counter(
                    instance_views(q.donor.record)[q.k].category for p in plan.splits["train"] for q in p.pastes
                ).items()
            )
        ),
        "dropped": {split: flagged(items, (pasted or {}).get(split)) for split, items in plan.splits.items()},
        "duplicates": duplicates,
        "notes": plan.notes,
    }


def flagged(items: list, pasted: Counter | None) -> dict[str, int]:
    """What a split's samples lost, by reason, sorted: the pastes' counts and the labels its samples
    came flagged with (their source record's ``meta.dropped`` counts of a domain label's flag,
    ``extensions.flag_prefixes``: ``illegible_*``, words a generate source's warps cut)."""
    counts = Counter(pasted or {})
    for p in items:
        meta = p.lazy.record.get("meta")
        dropped = meta.get("dropped") if isinstance(meta, dict) else None
        if isinstance(dropped, dict):  # a read record's meta: JSON, checked before use
            counts.update(
                {k: v for k, v in dropped.items() if k.startswith(flag_prefixes()) and type(v) is int and v > 0}
            )
    return {k: v for k, v in sorted(counts.items()) if v}


REAL_COLOR = (180, 110, 40)  # BGR: blue
SYNTHETIC_COLOR = (60, 160, 250)  # orange


def write_balance_plot(report: dict[str, Any], path: Path) -> None:
    """A bar chart: per class, instances available from real and synthetic sources (before) and in
    the training split (after), stacked real | synthetic."""
    import cv2

    classes = report["categories"]
    real_sources = {name for name, s in report["before"].items() if s["real"]}

    def stack(per_source: dict[str, dict[str, int]], cls: str) -> tuple[int, int]:
        real = sum(c.get(cls, 0) for name, c in per_source.items() if name in real_sources)
        synth = sum(c.get(cls, 0) for name, c in per_source.items() if name not in real_sources)
        return real, synth

    before = {name: s["instances_mapped"] for name, s in report["before"].items()}
    rows = []
    for cls in classes:
        rows.append((f"{cls} before", *stack(before, cls)))
        rows.append((f"{cls} train", *stack(report["after"]["train"], cls)))
    label_w, bar_w, row_h, top = 220, 520, 28, 50
    height = top + row_h * len(rows) + 20
    img = np.full((height, label_w + bar_w + 120, 3), 255, np.uint8)
    peak = max([r + s for _, r, s in rows] + [1])
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(img, f"class balance: {report['name']}", (10, 22), font, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    for x, color, text in ((label_w, REAL_COLOR, "real"), (label_w + 90, SYNTHETIC_COLOR, "synthetic")):
        cv2.rectangle(img, (x, 32), (x + 14, 44), color, -1)
        cv2.putText(img, text, (x + 18, 43), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    for i, (label, real, synth) in enumerate(rows):
        y = top + i * row_h
        cv2.putText(img, label, (10, y + 18), font, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        x0 = label_w
        x1 = x0 + round(bar_w * real / peak)
        x2 = x1 + round(bar_w * synth / peak)
        if x1 > x0:
            cv2.rectangle(img, (x0, y + 4), (x1, y + row_h - 4), REAL_COLOR, -1)
        if x2 > x1:
            cv2.rectangle(img, (x1, y + 4), (x2, y + row_h - 4), SYNTHETIC_COLOR, -1)
        cv2.putText(img, f"{real}+{synth}", (x2 + 6, y + 18), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    _ok, buf = cv2.imencode(".png", img)
    write_atomic(path, buf.tobytes())
