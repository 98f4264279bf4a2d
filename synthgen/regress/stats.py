"""Dataset statistics of a fingerprint and how far two values of one statistic are apart.

Statistics (flat ``name -> float``, so a golden diff reads well in review):
    class_count[NAME]             instances of category NAME
    instances_per_image.mean/p50  instances per sample
    box_width.*, box_height.*     box sizes in pixels: mean, p10, p50, p90
    box_center_x.*, box_center_y.* box centres as a fraction of the image width/height: mean, p10, p50, p90

Sizes and counts are compared by relative change; centres, already fractions of the image, by
absolute change. Either way the result is checked against ``regress.stats_tolerance``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from synthgen.records import InstanceView

QUANTILES = (10, 50, 90)
_ABSOLUTE = ("box_center_x.", "box_center_y.")


def _distribution(name: str, values: Sequence[float]) -> dict[str, float]:
    if not len(values):
        return {}
    arr = np.asarray(values, dtype=np.float64)
    out = {f"{name}.mean": float(arr.mean())}
    for q in QUANTILES:
        out[f"{name}.p{q}"] = float(np.percentile(arr, q))
    return out


def dataset_statistics(samples: Sequence[Any]) -> dict[str, float]:
    """Statistics of fingerprinted samples (anything with ``width``, ``height``, ``instances``).

    Returns:
        ``name -> value`` rounded to 4 decimals, names sorted.
    """
    classes: Counter[str] = Counter()
    per_image, widths, heights, cx, cy = [], [], [], [], []
    for s in samples:
        per_image.append(len(s.instances))
        for inst in s.instances:
            view = InstanceView(inst)
            classes[view.category] += 1
            x, y, w, h = view.bbox
            widths.append(w)
            heights.append(h)
            cx.append((x + w / 2) / s.width)
            cy.append((y + h / 2) / s.height)
    stats: dict[str, float] = {f"class_count[{name}]": float(n) for name, n in classes.items()}
    if per_image:
        stats["instances_per_image.mean"] = float(np.mean(per_image))
        stats["instances_per_image.p50"] = float(np.median(per_image))
    for name, values in (("box_width", widths), ("box_height", heights), ("box_center_x", cx), ("box_center_y", cy)):
        stats.update(_distribution(name, values))
    return {k: round(v, 4) for k, v in sorted(stats.items())}


def is_absolute(name: str) -> bool:
    """Whether a statistic is compared by absolute (not relative) change."""
    return name.startswith(_ABSOLUTE)


def change(name: str, golden: float, new: float) -> float:
    """How far ``new`` is from ``golden``: relative change, or absolute for centre fractions.

    A statistic that grows from 0 changes by infinity (relative), so a new class always shows.
    """
    if is_absolute(name):
        return abs(new - golden)
    if golden == new:
        return 0.0
    return abs(new - golden) / abs(golden) if golden else float("inf")
