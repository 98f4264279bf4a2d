"""Compare a new fingerprint with a golden one: labels per sample and instance, pixels by SSIM,
dataset statistics by relative change. Every difference is one ``Difference`` with a one-line
message such as ``sample 3 instance 2 'room': bbox [10,20,30,8] -> [11,20,30,8] (moved +1,+0)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthgen.config.schema import RegressConfig
from synthgen.extensions import DOMAIN_LABELS
from synthgen.records import InstanceView, instance_codecs
from synthgen.regress import stats as statistics
from synthgen.regress.fingerprint import Fingerprint, SampleFingerprint
from synthgen.regress.pixels import color_shift, mean_color, ssim
from synthgen.regress.provenance import flatten, provenance_changes

LABELS, PIXELS, STATS, SAMPLES = "labels", "pixels", "stats", "samples"
KINDS = (SAMPLES, LABELS, PIXELS, STATS)
# Records round coordinates to 3 decimals; one unit of that rounding is noise, not a change.
FLOAT_EPS = 1e-3 + 1e-9


@dataclass(frozen=True)
class Difference:
    """One way a new run differs from the golden.

    Attributes:
        kind: ``samples`` (sample count), ``labels``, ``pixels`` or ``stats``.
        what: the field or measure: ``bbox``, ``area``, ``mask``, ``transcription``, ``category``,
            ``quad``, ``chars``, ``char_quads``, ``attributes``, ``instances`` (count), ``size``,
            ``meta``, ``ssim`` (structure), ``colour``, or the statistic's name.
        subject: what changed: ``sample 3 instance 2 'room'``, ``sample 3``, a statistic's name.
        detail: how, e.g. ``bbox [10,20,30,8] -> [11,20,30,8] (moved +1,+0)``.
        sample: sample index, or None for dataset-level differences.
        instance: instance position in the golden sample, or None.
        golden, new: the compared values (JSON-able).
    """

    kind: str
    what: str
    subject: str
    detail: str
    sample: int | None = None
    instance: int | None = None
    golden: Any = None
    new: Any = None

    @property
    def message(self) -> str:
        """One line for people: ``subject: detail``."""
        return f"{self.subject}: {self.detail}"


@dataclass(frozen=True)
class Comparison:
    """Result of ``compare_fingerprints``.

    Attributes:
        differences: every difference beyond tolerance, by kind then sample.
        ssim: sample index -> SSIM of its thumbnails (1.0 where the pixels are identical).
        identical_pixels: how many compared samples have bit-identical pixels.
        causes: provenance differences (config keys, package versions, input files), likely causes.
    """

    differences: tuple[Difference, ...]
    ssim: dict[int, float] = field(default_factory=dict)
    identical_pixels: int = 0
    causes: tuple[str, ...] = ()

    @property
    def regressed(self) -> bool:
        return bool(self.differences)

    def of_kind(self, kind: str) -> list[Difference]:
        return [d for d in self.differences if d.kind == kind]

    def worst_samples(self, limit: int) -> list[int]:
        """Indices of the samples that changed most (lowest SSIM, most label changes), worst first."""
        score: dict[int, float] = {}
        for d in self.differences:
            if d.sample is not None:
                score[d.sample] = score.get(d.sample, 0.0) + (0.0 if d.kind == PIXELS else 0.1)
        for index in score:
            score[index] += 1.0 - self.ssim.get(index, 1.0)
        return sorted(score, key=lambda i: (-score[i], i))[:limit]


def _fmt(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_fmt(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value) if isinstance(value, str) else str(value)


def _transcription(inst: InstanceView) -> str | None:
    text = inst.extensions.get("text")  # the text domain's label (a word's record), where it has one
    return text.transcription if text is not None else None


def instance_name(sample: int, position: int, inst: dict[str, Any]) -> str:
    """``sample 3 instance 2 'room'`` (text) or ``sample 3 instance 2 (car)`` of an instance record."""
    view = InstanceView(inst)
    text = _transcription(view)
    label = f"'{text}'" if text is not None else f"({view.category})"
    return f"sample {sample} instance {position} {label}"


def _iou_boxes(a: Sequence[float], b: Sequence[float]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def match_instances(golden: Sequence[dict], new: Sequence[dict]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pair the instances of one sample.

    Identical records pair first (so one dropped instance does not shift the rest); the others pair
    greedily by same category and transcription, then box overlap.

    Returns:
        (pairs of (golden position, new position), unmatched golden positions, unmatched new positions)
    """
    pairs: list[tuple[int, int]] = []
    free_new = list(range(len(new)))
    free_golden = []
    for gi, g in enumerate(golden):
        hit = next((ni for ni in free_new if new[ni] == g), None)
        if hit is None:
            free_golden.append(gi)
        else:
            pairs.append((gi, hit))
            free_new.remove(hit)
    scored = []
    golden_views, new_views = [InstanceView(g) for g in golden], [InstanceView(n) for n in new]
    for gi in free_golden:
        for ni in free_new:
            g, n = golden_views[gi], new_views[ni]
            same = g.category == n.category and _transcription(g) == _transcription(n)
            overlap = _iou_boxes(g.bbox, n.bbox)
            score = 2.0 * same + 0.5 * (g.category == n.category) + overlap
            if same or overlap > 0:
                scored.append((-score, gi, ni))
    used_g: set[int] = set()
    used_n: set[int] = set()
    for _, gi, ni in sorted(scored):
        if gi not in used_g and ni not in used_n:
            pairs.append((gi, ni))
            used_g.add(gi)
            used_n.add(ni)
    dropped = [gi for gi in free_golden if gi not in used_g]
    added = [ni for ni in free_new if ni not in used_n]
    return sorted(pairs), dropped, added


def _mask_iou(a: dict, b: dict) -> float:
    from pycocotools import mask as mask_utils

    if list(a["size"]) != list(b["size"]):
        return 0.0
    ra = {"size": a["size"], "counts": a["counts"].encode("ascii")}
    rb = {"size": b["size"], "counts": b["counts"].encode("ascii")}
    return float(mask_utils.iou([ra], [rb], [0])[0][0])


def _max_move(a: Any, b: Any) -> float | None:
    """Largest coordinate difference of two flat/nested number lists; None if their shapes differ."""
    x, y = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return None if x.shape != y.shape else (float(np.abs(x - y).max()) if x.size else 0.0)


def _bbox_note(g: Sequence[int], n: Sequence[int]) -> str:
    notes = []
    if (g[0], g[1]) != (n[0], n[1]):
        notes.append(f"moved {n[0] - g[0]:+g},{n[1] - g[1]:+g}")
    if (g[2], g[3]) != (n[2], n[3]):
        notes.append(f"resized {g[2]:g}x{g[3]:g} -> {n[2]:g}x{n[3]:g}")
    return f" ({', '.join(notes)})" if notes else ""


def _compare_category(key: str, g: dict, n: dict, add: Callable, tol: RegressConfig) -> None:
    if g[key] != n[key]:
        add(key, f"category {g[key]!r} -> {n[key]!r}", g[key], n[key])


def _compare_transcription(key: str, g: dict, n: dict, add: Callable, tol: RegressConfig) -> None:
    if g.get(key) != n.get(key):
        add("transcription", f"transcription {g.get(key)!r} -> {n.get(key)!r}", g.get(key), n.get(key))


def _compare_chars(key: str, g: dict, n: dict, add: Callable, tol: RegressConfig) -> None:
    # a changed transcription says it already
    if _transcription(InstanceView(g)) == _transcription(InstanceView(n)) and g.get(key) != n.get(key):
        add(key, f"chars {g.get(key)!r} -> {n.get(key)!r}", g.get(key), n.get(key))


def _compare_bbox(key: str, g: dict, n: dict, add: Callable, tol: RegressConfig) -> None:
    move = _max_move(g[key], n[key])
    if move is None or move > (tol.box_tolerance_px if tol.labels == "tolerant" else 0):
        note = _bbox_note(g[key], n[key])
        add(key, f"bbox {_fmt(g[key])} -> {_fmt(n[key])}{note}", g[key], n[key])


def _compare_area(key: str, g: dict, n: dict, add: Callable, tol: RegressConfig) -> None:
    if tol.labels != "tolerant" and g.get(key) != n.get(key):
        add(key, f"area {g.get(key)} -> {n.get(key)}", g.get(key), n.get(key))


def _compare_mask(key: str, g: dict, n: dict, add: Callable, tol: RegressConfig) -> None:
    gm, nm = g.get(key), n.get(key)
    if gm != nm:
        iou = _mask_iou(gm, nm) if gm and nm else 0.0
        if tol.labels != "tolerant" or iou < tol.min_mask_iou:
            add("mask", f"mask changed (IoU {iou:.3f})", None, round(iou, 4))


def _point_limit(tol: RegressConfig) -> float:
    return max(FLOAT_EPS, tol.box_tolerance_px) if tol.labels == "tolerant" else FLOAT_EPS


def _compare_points(key: str, g: dict, n: dict, add: Callable, tol: RegressConfig) -> None:
    """Points (a quad, char quads, a polygon): how far the farthest one moved."""
    label = key.replace("_", " ")
    if (key in g) != (key in n):
        add(key, f"{label} {'added' if key in n else 'removed'}")
        return
    move = _max_move(g[key], n[key])
    if move is None:
        add(key, f"{label}: {len(g[key])} -> {len(n[key])}", len(g[key]), len(n[key]))
    elif move > _point_limit(tol):
        add(key, f"{label} moved up to {move:.2f} px", None, round(move, 3))


def _compare_mapping(key: str, g: dict, n: dict, add: Callable, tol: RegressConfig) -> None:
    if g.get(key, {}) != n.get(key, {}):
        add(key, f"{key} {g.get(key, {})} -> {n.get(key, {})}")


def _compare_value(key: str, g: dict, n: dict, add: Callable, tol: RegressConfig) -> None:
    """Any other value: equal, or (a list of numbers) moved no farther than a rounding step."""
    if g.get(key) == n.get(key):
        return
    move = None
    if isinstance(g.get(key), list) and isinstance(n.get(key), list):
        try:
            move = _max_move(g[key], n[key])
        except (TypeError, ValueError):  # not numbers
            move = None
    if move is None:
        add(key, f"{key} {_fmt(g.get(key, '(absent)'))} -> {_fmt(n.get(key, '(absent)'))}")
    elif move > _point_limit(tol):
        add(key, f"{key} moved up to {move:.2f} px", None, round(move, 3))


# How a field is compared: by its codec (synthgen.records.CODECS), where the key does not say more.
# A field added to the model is compared by its codec's comparer, or as a value, with no edit here.
_BY_KEY = {
    "category": _compare_category,
    "text": _compare_transcription,
    "chars": _compare_chars,
    "bbox": _compare_bbox,
    "area": _compare_area,
    "segmentation": _compare_mask,
}
_BY_CODEC = {"points": _compare_points, "point_groups": _compare_points, "json": _compare_mapping}


def instance_differences(
    name: str, sample: int, position: int, g: dict, n: dict, tol: RegressConfig
) -> list[Difference]:
    """Field-by-field differences of two paired instance records: the model's fields in their
    order, then any key only a golden of another version holds."""
    out: list[Difference] = []

    def add(what: str, message: str, gv: Any = None, nv: Any = None) -> None:
        out.append(Difference(LABELS, what, name, message, sample, position, gv, nv))

    keys = set(g) | set(n)
    codecs = instance_codecs(domains=[d for d, label in DOMAIN_LABELS.items() if keys.intersection(label.keys)])
    for key in [*codecs, *sorted(keys - set(codecs))]:
        if key in g or key in n:
            compare = _BY_KEY.get(key) or _BY_CODEC.get(codecs.get(key, ""), _compare_value)
            compare(key, g, n, add, tol)
    return out


def label_differences(g: SampleFingerprint, n: SampleFingerprint, tol: RegressConfig) -> list[Difference]:
    """Differences of one sample's labels (size, categories, meta, instances)."""
    i = g.index
    out: list[Difference] = []
    if (g.width, g.height) != (n.width, n.height):
        msg = f"image size {g.width}x{g.height} -> {n.width}x{n.height}"
        out.append(Difference(LABELS, "size", f"sample {i}", msg, i, None, [g.width, g.height], [n.width, n.height]))
    if g.categories != n.categories:
        msg = f"categories {list(g.categories)} -> {list(n.categories)}"
        gc, nc = list(g.categories), list(n.categories)
        out.append(Difference(LABELS, "categories", f"sample {i}", msg, i, None, gc, nc))
    gm, nm = flatten(g.meta), flatten(n.meta)
    for key in sorted(set(gm) | set(nm)):
        if gm.get(key) != nm.get(key):
            msg = f"{key} {_fmt(gm.get(key, '(absent)'))} -> {_fmt(nm.get(key, '(absent)'))}"
            out.append(Difference(LABELS, "meta", f"sample {i}", msg, i, None, gm.get(key), nm.get(key)))
    pairs, dropped, added = match_instances(g.instances, n.instances)
    if dropped or added:
        parts = [f"dropped {', '.join(_label(g.instances[k], k) for k in dropped)}"] if dropped else []
        parts += [f"added {', '.join(_label(n.instances[k], k) for k in added)}"] if added else []
        msg = f"{len(g.instances)} instances -> {len(n.instances)} ({'; '.join(parts)})"
        out.append(Difference(LABELS, "instances", f"sample {i}", msg, i, None, len(g.instances), len(n.instances)))
    for gi, ni in pairs:
        name = instance_name(i, gi, g.instances[gi])
        out += instance_differences(name, i, gi, g.instances[gi], n.instances[ni], tol)
    return out


def _label(inst: dict, position: int) -> str:
    text = _transcription(InstanceView(inst))
    return f"instance {position}" + (f" '{text}'" if text is not None else "")


def stat_differences(golden: dict[str, float], new: dict[str, float], tolerance: float) -> list[Difference]:
    """Statistics that moved beyond tolerance, or exist on one side only."""
    out = []
    for name in sorted(set(golden) | set(new)):
        if name not in new or name not in golden:
            side = "absent in the new run" if name not in new else "new (absent in golden)"
            out.append(Difference(STATS, name, name, side, None, None, golden.get(name), new.get(name)))
            continue
        g, n = golden[name], new[name]
        delta = statistics.change(name, g, n)
        if delta > tolerance:
            how = (
                f"{delta:.3f} of the image, tolerance {tolerance:g}"
                if statistics.is_absolute(name)
                else f"{(n - g) / abs(g):+.1%}, tolerance {tolerance:.0%}" if g else "was 0"
            )
            out.append(Difference(STATS, name, name, f"{g:g} -> {n:g} ({how})", None, None, g, n))
    return out


def pixel_differences(
    g: SampleFingerprint, n: SampleFingerprint, tol: RegressConfig, scores: dict[int, float]
) -> list[Difference]:
    """Structure (grayscale SSIM) and colour (cell-mean shift) of one sample's thumbnails.

    Records the SSIM in ``scores[g.index]``.
    """
    i = g.index
    out = []
    scores[i] = value = ssim(g.thumbnail, n.thumbnail)
    colours = f"mean colour {mean_color(g.thumbnail)} -> {mean_color(n.thumbnail)}"
    if value < tol.min_ssim:
        msg = f"image changed: SSIM {value:.3f} < {tol.min_ssim:g} ({colours})"
        out.append(Difference(PIXELS, "ssim", f"sample {i}", msg, i, None, tol.min_ssim, round(value, 4)))
    shift, (x, y) = color_shift(g.thumbnail, n.thumbnail)
    if shift > tol.max_color_shift and value >= tol.min_ssim:  # a changed layout shifts colours too
        where = f"around {x:.0%} across, {y:.0%} down"
        msg = f"colour changed by up to {shift:.0f} levels > {tol.max_color_shift:g} {where} ({colours})"
        out.append(Difference(PIXELS, "colour", f"sample {i}", msg, i, None, tol.max_color_shift, round(shift, 1)))
    return out


def compare_fingerprints(golden: Fingerprint, new: Fingerprint, tol: RegressConfig) -> Comparison:
    """Compare ``new`` with ``golden`` under the tolerances of a run config's ``regress:`` section."""
    diffs: list[Difference] = []
    new_by_index = {s.index: s for s in new.samples}
    gold_by_index = {s.index: s for s in golden.samples}
    common = [i for i in sorted(gold_by_index) if i in new_by_index]
    if len(golden.samples) != len(new.samples) or len(common) != len(golden.samples):
        msg = (
            f"golden holds {len(golden.samples)} samples, this run made {len(new.samples)}; "
            f"{len(common)} compared (was regress.num or --num changed?)"
        )
        diffs.append(Difference(SAMPLES, "samples", "samples", msg, None, None, len(golden.samples), len(new.samples)))
    for i in common:
        diffs += label_differences(gold_by_index[i], new_by_index[i], tol)
    scores: dict[int, float] = {}
    identical = 0
    for i in common:
        g, n = gold_by_index[i], new_by_index[i]
        if g.pixel_hash == n.pixel_hash:
            scores[i] = 1.0
            identical += 1
            continue
        diffs += pixel_differences(g, n, tol, scores)
    stats_g = statistics.dataset_statistics([gold_by_index[i] for i in common])
    stats_n = statistics.dataset_statistics([new_by_index[i] for i in common])
    diffs += stat_differences(stats_g, stats_n, tol.stats_tolerance)
    order = {k: n for n, k in enumerate(KINDS)}
    diffs.sort(key=lambda d: (order[d.kind], -1 if d.sample is None else d.sample))
    return Comparison(
        differences=tuple(diffs),
        ssim=scores,
        identical_pixels=identical,
        causes=tuple(provenance_changes(golden.provenance, new.provenance)) if diffs else (),
    )
