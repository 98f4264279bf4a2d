"""A model's results on a synthgen dataset, matched to its labels.

Three forms, told apart by the file's extension:

- ``.json``: COCO detection results, ``[{"image_id", "category_id", "bbox": [x, y, w, h], "score"}]``
  (what pycocotools' ``loadRes`` takes; ``image_id`` is the sample index, as in
  ``annotations/coco.json``). Matched with COCOeval's own matching (greedy by score, one IoU
  threshold, per category): a labelled instance that no detection matches is a failure.
- ``.jsonl``: one object a line for a sample (``"index"``, ``"image_id"`` or ``"file_name"``) or one
  of its instances (add ``"instance": k``), with ``"correct"`` or ``"error"`` (true / false, 1 / 0),
  or a ``"loss"`` or ``"score"`` (a failure: a loss above, or a score below, the given quantile of all).
- ``.tsv``: recognition predictions, ``crop path<TAB>predicted text`` with crop paths as the
  dataset's ``recognition/labels.tsv`` writes them; a failure is a character error rate above
  ``max_cer`` (0: anything but an exact match).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from synthgen.errors import InputError
from synthgen.loop.units import Unit, instance_fields, sample_fields, sample_index
from synthgen.types import Instance, Sample

FORMATS = {".json": "coco_results", ".jsonl": "per_sample", ".tsv": "recognition"}
MAX_RESULTS_BYTES = 2_000_000_000


@dataclass(frozen=True)
class Matching:
    """How results are judged.

    Args:
        iou: the IoU at which a detection matches a labelled instance (default 0.5).
        score_threshold: detections below it are left out (default 0.5).
        max_cer: a recognition is right when its character error rate is at most this (default 0: exact).
        quantile: a per-sample ``loss`` fails above this quantile of all losses (a ``score`` below
            1 - quantile); default 0.8, the worst fifth.
    """

    iou: float = 0.5
    score_threshold: float = 0.5
    max_cer: float = 0.0
    quantile: float = 0.8

    def check(self) -> None:
        if not 0.0 < self.iou <= 1.0:
            raise InputError(f"--iou: must be in (0, 1], got {self.iou}")
        if not 0.0 <= self.score_threshold <= 1.0:
            raise InputError(f"--score-threshold: must be in [0, 1], got {self.score_threshold}")
        if not 0.0 <= self.max_cer < 1.0:
            raise InputError(f"--max-cer: must be in [0, 1), got {self.max_cer}")
        if not 0.0 < self.quantile < 1.0:
            raise InputError(f"--quantile: must be in (0, 1), got {self.quantile}")


@dataclass(frozen=True)
class Matched:
    """The units of a dataset, judged.

    Attributes:
        form: ``coco_results``, ``per_sample`` or ``recognition``.
        unit: what a unit is (``instance``, ``crop``, ``sample``).
        units: the judged units.
        notes: facts about the matching for the report (false positives, units without a result).
    """

    form: str
    unit: str
    units: list[Unit]
    notes: dict[str, Any] = field(default_factory=dict)


def results_form(path: Path) -> str:
    """The form of a results file, from its extension; InputError for another."""
    form = FORMATS.get(path.suffix.lower())
    if form is None:
        raise InputError(
            f"--results: {path}: unknown results file type {path.suffix or '(none)'!r}; "
            ".json (COCO detection results), .jsonl (per-sample scores) or .tsv (recognition predictions)"
        )
    return form


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise InputError(f"--results: {path}: no such file")
    if path.stat().st_size > MAX_RESULTS_BYTES:
        raise InputError(f"--results: {path}: larger than {MAX_RESULTS_BYTES} bytes")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"--results: {path}: not UTF-8 text") from None


def match_results(samples: list[Sample], path: Path, matching: Matching) -> Matched:
    """Judge every unit of ``samples`` by the results in ``path`` (see the module docstring)."""
    matching.check()
    form = results_form(path)
    text = _read_text(path)
    if form == "coco_results":
        return _match_detections(samples, path, text, matching)
    if form == "recognition":
        return _match_recognition(samples, path, text, matching)
    return _match_per_sample(samples, path, text, matching)


def _by_index(samples: list[Sample]) -> dict[int, Sample]:
    return {sample_index(s, n): s for n, s in enumerate(samples)}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _match_detections(samples: list[Sample], path: Path, text: str, matching: Matching) -> Matched:
    try:
        results = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"--results: {path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(results, list):
        raise InputError(f"--results: {path}: COCO detection results are a JSON list of detections")
    by_index = _by_index(samples)
    table = samples[0].labels.categories
    ids = {c.name: c.id for c in table.categories}
    known_ids = set(ids.values())
    for n, det in enumerate(results):
        where = f"--results: {path}: detection {n}"
        if not isinstance(det, dict):
            raise InputError(f"{where}: not an object")
        image_id, cat, bbox, score = (det.get(k) for k in ("image_id", "category_id", "bbox", "score"))
        if not isinstance(image_id, int) or isinstance(image_id, bool):
            raise InputError(f"{where}: image_id must be a whole number")
        if image_id not in by_index:
            raise InputError(f"{where}: unknown image_id {image_id}; the dataset's ids are its sample indices")
        if cat not in known_ids:
            raise InputError(f"{where}: unknown category_id {cat!r}; the dataset's are {sorted(known_ids)}")
        if (
            not (isinstance(bbox, list) and len(bbox) == 4 and all(_number(v) for v in bbox))
            or bbox[2] < 0
            or bbox[3] < 0
        ):
            raise InputError(f"{where}: bbox must be [x, y, width, height], 4 finite numbers, sizes >= 0")
        if not _number(score):
            raise InputError(f"{where}: score must be a finite number")
    kept = [d for d in results if d["score"] >= matching.score_threshold]
    gt_ids, matched, false_positives = _cocoeval(samples, by_index, ids, kept, matching.iou)
    units = []
    for index, sample in sorted(by_index.items()):
        base = sample_fields(sample)
        for k, inst in enumerate(sample.labels.instances):
            if not inst.visible or _is_line(inst):
                continue
            hit = matched.get(gt_ids[(index, k)], False)
            units.append(Unit(index, k, not hit, {**base, **instance_fields(inst)}))
    if not units:
        raise InputError(f"{path}: the dataset has no visible labelled instance to match detections to")
    notes = {
        "detections": len(results),
        "detections_kept": len(kept),
        "false_positives": false_positives,
        "iou": matching.iou,
        "score_threshold": matching.score_threshold,
        "images_with_results": len({d["image_id"] for d in results}),
    }
    return Matched("coco_results", "instance", units, notes)


def _cocoeval(samples, by_index, ids, detections, iou):
    """COCOeval's matching at one IoU: ({(index, k): gt id}, {gt id: matched}, false positives)."""
    import contextlib
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    images, annotations, gt_ids = [], [], {}
    for index, sample in sorted(by_index.items()):
        h, w = sample.image.shape[:2]
        images.append({"id": index, "width": w, "height": h})
        for k, inst in enumerate(sample.labels.instances):
            if not inst.visible or _is_line(inst):
                continue
            gt_ids[(index, k)] = len(annotations) + 1
            x, y, bw, bh = inst.bbox
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": index,
                    "category_id": ids[inst.category],
                    "bbox": [x, y, bw, bh],
                    "area": float(bw * bh),
                    "iscrowd": 0,
                }
            )
    gt = COCO()
    gt.dataset = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": i, "name": n} for n, i in ids.items()],
    }
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        gt.createIndex()
        if not detections:
            return gt_ids, {}, 0
        dt = gt.loadRes([{k: d[k] for k in ("image_id", "category_id", "bbox", "score")} for d in detections])
        ev = COCOeval(gt, dt, "bbox")
        ev.params.iouThrs = np.array([iou])
        ev.params.areaRng = [ev.params.areaRng[0]]
        ev.params.areaRngLbl = ["all"]
        ev.params.maxDets = [max(100, len(detections))]
        ev.evaluate()
    matched: dict[int, bool] = {}
    false_positives = 0
    for entry in ev.evalImgs:
        if entry is None:
            continue
        for gid, m in zip(entry["gtIds"], entry["gtMatches"][0]):
            matched[int(gid)] = m > 0
        false_positives += int(((entry["dtMatches"][0] == 0) & ~entry["dtIgnore"][0].astype(bool)).sum())
    return gt_ids, matched, false_positives


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two strings (insertions, deletions, substitutions)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _is_line(inst: Instance) -> bool:
    """A text line, which stands for its word instances (the ICDAR and recognition writers' rule)."""
    return inst.attributes.get("level") == "line"


def _is_word_crop(inst: Instance) -> bool:
    """An instance the recognition writer crops: legible text with a quad, not a line."""
    text = inst.extensions.get("text")  # the text domain's label (a word's record)
    legible = inst.attributes.get("legible") is not False
    return text is not None and text.quad is not None and bool(text.transcription) and legible and not _is_line(inst)


def recognition_crops(samples: list[Sample]) -> dict[str, tuple[int, int]]:
    """Crop path (as ``recognition/labels.tsv`` writes it) -> (sample index, instance position)."""
    from synthgen.formats.recognition import crop_path

    crops = {}
    for n, sample in enumerate(samples):
        index = sample_index(sample, n)
        for k, inst in enumerate(sample.labels.instances):
            if _is_word_crop(inst):
                crops[crop_path(index, k)] = (index, k)
    return crops


def _match_recognition(samples: list[Sample], path: Path, text: str, matching: Matching) -> Matched:
    from synthgen.formats.recognition import recognition_rows

    crops = recognition_crops(samples)
    if not crops:
        raise InputError(f"--results: {path}: the dataset has no text crops to match recognition predictions to")
    by_index = _by_index(samples)
    predictions: dict[str, str] = {}
    for number, row in recognition_rows(text):
        if isinstance(row, str):
            raise InputError(f"--results: {path}: line {number}: {row}")
        crop, predicted = row
        crop = crop.removeprefix("recognition/")
        if crop not in crops:
            raise InputError(
                f"--results: {path}: line {number}: unknown crop {crop!r}; paths as in recognition/labels.tsv"
            )
        if crop in predictions:
            raise InputError(f"--results: {path}: line {number}: a second prediction for {crop!r}")
        predictions[crop] = predicted
    if not predictions:
        raise InputError(f"--results: {path}: no predictions")
    units = []
    for crop, predicted in predictions.items():
        index, k = crops[crop]
        sample = by_index[index]
        inst = sample.labels.instances[k]
        truth = inst.extensions["text"].transcription
        cer = edit_distance(predicted, truth) / max(len(truth), 1)
        fields = {**sample_fields(sample), **instance_fields(inst)}
        units.append(Unit(index, k, cer > matching.max_cer, fields, cer))
    units.sort(key=lambda u: (u.index, u.instance))
    notes = {
        "predictions": len(predictions),
        "crops": len(crops),
        "max_cer": matching.max_cer,
        "mean_cer": float(np.mean([u.detail for u in units])),
    }
    return Matched("recognition", "crop", units, notes)


RESULT_KEYS = ("correct", "error", "loss", "score")


def _match_per_sample(samples: list[Sample], path: Path, text: str, matching: Matching) -> Matched:
    by_index = _by_index(samples)
    by_name = {}
    for n, s in enumerate(samples):
        name = s.meta.get("file_name")
        if isinstance(name, str):
            by_name[name] = sample_index(s, n)
    rows: dict[tuple[int, int | None], tuple[str, float]] = {}
    kinds = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"--results: {path}: line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise InputError(f"{where}: not an object")
        index = row.get("index", row.get("image_id"))
        if index is None and isinstance(row.get("file_name"), str):
            index = by_name.get(row["file_name"], row["file_name"])
        if not isinstance(index, int) or isinstance(index, bool) or index not in by_index:
            raise InputError(f"{where}: unknown sample {index!r}; give index (or image_id) of a sample in the dataset")
        k = row.get("instance")
        if k is not None:
            count = len(by_index[index].labels.instances)
            if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k < count:
                raise InputError(f"{where}: instance {k!r} is not one of sample {index}'s {count} instances")
        present = [key for key in RESULT_KEYS if key in row]
        if len(present) != 1:
            raise InputError(f"{where}: give exactly one of {', '.join(RESULT_KEYS)}")
        kind, value = present[0], row[present[0]]
        if kind in ("correct", "error"):
            if value not in (True, False, 0, 1):
                raise InputError(f"{where}: {kind} must be true / false (or 1 / 0)")
        elif not _number(value):
            raise InputError(f"{where}: {kind} must be a finite number")
        kinds.add(kind)
        if len(kinds) > 1:
            raise InputError(f"{where}: mixes {' and '.join(sorted(kinds))}; one kind of result per file")
        if (index, k) in rows:
            raise InputError(
                f"{where}: a second result for sample {index}" + (f" instance {k}" if k is not None else "")
            )
        rows[(index, k)] = (kind, float(value))
    if not rows:
        raise InputError(f"--results: {path}: no results")
    kind = kinds.pop()
    values = np.array([v for _, v in rows.values()])
    notes: dict[str, Any] = {"results": len(rows), "result": kind}
    if kind == "loss":
        cut = float(np.quantile(values, matching.quantile))
        failed = {key: v > cut for key, (_, v) in rows.items()}
        notes.update(quantile=matching.quantile, failure=f"loss > {cut:.6g}")
    elif kind == "score":
        cut = float(np.quantile(values, 1 - matching.quantile))
        failed = {key: v < cut for key, (_, v) in rows.items()}
        notes.update(quantile=matching.quantile, failure=f"score < {cut:.6g}")
    else:
        failed = {key: (v == 0) if kind == "correct" else (v != 0) for key, (_, v) in rows.items()}
    units = []
    for (index, k), (_, value) in sorted(
        rows.items(), key=lambda item: (item[0][0], -1 if item[0][1] is None else item[0][1])
    ):
        sample = by_index[index]
        fields = sample_fields(sample)
        if k is not None:
            fields.update(instance_fields(sample.labels.instances[k]))
        units.append(Unit(index, k, bool(failed[(index, k)]), fields, value if kind in ("loss", "score") else None))
    unit = "instance" if any(u.instance is not None for u in units) else "sample"
    return Matched("per_sample", unit, units, notes)
