"""The KITTI object benchmark's 2D box evaluation, written again in numpy for the tests: an
independent client of the ``kitti`` writer (it reads ``label_2/`` itself and imports nothing from
synthgen).

It follows the protocol of the devkit's ``evaluate_object.cpp`` (A. Geiger, P. Lenz, R. Urtasun,
"Are we ready for autonomous driving? The KITTI vision benchmark suite", CVPR 2012) as
kitti-object-eval-python implements it (github.com/traveller59/kitti-object-eval-python,
``eval.py``: ``get_official_eval_result``, the ``bbox`` metric; MIT licence, copyright Yan Yan;
OpenPCDet ships the same file with ``get_mAP_R40``), which numba compiles and which needs a GPU
for its rotated IoU: the same steps here, written for numpy and plain loops, 2D boxes only.

- Difficulties (``clean_data``): easy, moderate, hard take boxes taller than 40, 25, 25 px, with
  occlusion levels up to 0, 1, 2 and truncation up to 0.15, 0.3, 0.5. A ground-truth box of the
  class outside the difficulty, or of the neighbour class (Van for Car, Person_sitting for
  Pedestrian), is ignored: a detection matched to it is neither a true nor a false positive. A
  detection lower than the difficulty's height is ignored likewise. ``DontCare`` regions absorb
  the unmatched detections that overlap them by more than the class's overlap (area of the
  intersection over the detection's area).
- Matching (``compute_statistics``): each ground-truth box, in file order, takes the unassigned
  detection that overlaps it by more than the class's minimum IoU (Car 0.7, Pedestrian and
  Cyclist 0.5): the highest scoring one when collecting scores, the most overlapping one when
  counting at a score threshold.
- Thresholds (``recall_thresholds``): from the true positives' scores, up to 41 scores at which
  recall passes 0, 1/40, ..., 1; precision at each threshold, then the running maximum from the
  right.
- AP: the devkit's 11 points (every 4th of the 41, ``ap11``) and the 40 recall points that
  replaced them on the benchmark in 2019 (all but the first, ``ap40``), in percent.

As in the devkit, a class needs more than 40 counted ground-truth boxes for the 41 thresholds to
exist: with fewer, even perfect detections score below 100.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

MIN_HEIGHT = (40, 25, 25)
MAX_OCCLUSION = (0, 1, 2)
MAX_TRUNCATION = (0.15, 0.3, 0.5)
MIN_OVERLAP = {"Car": 0.7, "Pedestrian": 0.5, "Cyclist": 0.5}
NEIGHBOUR = {"Car": "Van", "Pedestrian": "Person_sitting"}
SAMPLE_POINTS = 41
DIFFICULTIES = ("easy", "moderate", "hard")


@dataclass(frozen=True)
class Frame:
    """The objects of one label file: names (N,), truncated (N,), occluded (N,) int, bbox (N, 4)
    x1 y1 x2 y2, score (N,) (1 for ground truth)."""

    name: list[str]
    truncated: np.ndarray
    occluded: np.ndarray
    bbox: np.ndarray
    score: np.ndarray


def parse_frame(text: str) -> Frame:
    """A label file's objects; a 16th field is a detection's score."""
    rows = [line.split() for line in text.splitlines() if line.strip()]
    for row in rows:
        if len(row) not in (15, 16):
            raise ValueError(f"a KITTI line holds 15 or 16 fields, not {len(row)}: {' '.join(row)}")
    return Frame(
        name=[r[0] for r in rows],
        truncated=np.array([float(r[1]) for r in rows], np.float64),
        occluded=np.array([int(float(r[2])) for r in rows], np.int64),
        bbox=np.array([[float(v) for v in r[4:8]] for r in rows], np.float64).reshape(-1, 4),
        score=np.array([float(r[15]) if len(r) == 16 else 1.0 for r in rows], np.float64),
    )


def read_label_folder(folder: Path) -> dict[str, Frame]:
    """``<stem>.txt`` -> Frame of every label file in ``folder``."""
    return {p.stem: parse_frame(p.read_text()) for p in sorted(Path(folder).glob("*.txt"))}


def box_overlap(boxes: np.ndarray, query: np.ndarray, criterion: int = -1) -> np.ndarray:
    """(N, K) overlaps of x1 y1 x2 y2 boxes: IoU (criterion -1), the intersection over the area of
    ``boxes`` (0) or of ``query`` (1); 0 where they do not intersect."""
    if len(boxes) == 0 or len(query) == 0:
        return np.zeros((len(boxes), len(query)))
    iw = np.minimum(boxes[:, None, 2], query[None, :, 2]) - np.maximum(boxes[:, None, 0], query[None, :, 0])
    ih = np.minimum(boxes[:, None, 3], query[None, :, 3]) - np.maximum(boxes[:, None, 1], query[None, :, 1])
    inter = np.where((iw > 0) & (ih > 0), iw * ih, 0.0)
    area_b = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))[:, None]
    area_q = ((query[:, 2] - query[:, 0]) * (query[:, 3] - query[:, 1]))[None, :]
    if criterion == -1:
        union = area_b + area_q - inter
    elif criterion == 0:
        union = np.broadcast_to(area_b, inter.shape)
    else:
        union = np.broadcast_to(area_q, inter.shape)
    return np.where(inter > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def clean_data(gt: Frame, dt: Frame, cls: str, difficulty: int):
    """(counted ground truth, ignored_gt, ignored_dt, DontCare boxes) of one frame: ignored_* hold
    0 (counted), 1 (ignored: matches absorb detections) or -1 (another class)."""
    ignored_gt, ignored_dt, dontcare = [], [], []
    counted = 0
    for i, name in enumerate(gt.name):
        height = gt.bbox[i, 3] - gt.bbox[i, 1]
        if name.lower() == cls.lower():
            valid = 1
        elif NEIGHBOUR.get(cls, "").lower() == name.lower():
            valid = 0
        else:
            valid = -1
        hard = (
            gt.occluded[i] > MAX_OCCLUSION[difficulty]
            or gt.truncated[i] > MAX_TRUNCATION[difficulty]
            or height <= MIN_HEIGHT[difficulty]
        )
        if valid == 1 and not hard:
            ignored_gt.append(0)
            counted += 1
        elif valid == 0 or (hard and valid == 1):
            ignored_gt.append(1)
        else:
            ignored_gt.append(-1)
        if name == "DontCare":
            dontcare.append(gt.bbox[i])
    for i, name in enumerate(dt.name):
        height = abs(dt.bbox[i, 3] - dt.bbox[i, 1])
        if height < MIN_HEIGHT[difficulty]:
            ignored_dt.append(1)
        elif name.lower() == cls.lower():
            ignored_dt.append(0)
        else:
            ignored_dt.append(-1)
    return counted, ignored_gt, ignored_dt, np.array(dontcare, np.float64).reshape(-1, 4)


NO_DETECTION = -1e7


def compute_statistics(overlaps, gt, dt, ignored_gt, ignored_dt, dontcare, min_overlap, thresh=0.0, compute_fp=False):
    """(tp, fp, fn, the true positives' scores) of one frame; ``overlaps`` is (detections, ground truth)."""
    n_dt, n_gt = len(dt.name), len(gt.name)
    assigned = [False] * n_dt
    below = [compute_fp and dt.score[j] < thresh for j in range(n_dt)]
    tp = fp = fn = 0
    scores = []
    for i in range(n_gt):
        if ignored_gt[i] == -1:
            continue
        det, best, max_overlap, took_ignored = -1, NO_DETECTION, 0.0, False
        for j in range(n_dt):
            if ignored_dt[j] == -1 or assigned[j] or below[j]:
                continue
            overlap = overlaps[j, i]
            if not compute_fp and overlap > min_overlap and dt.score[j] > best:
                det, best = j, dt.score[j]
            elif (
                compute_fp
                and overlap > min_overlap
                and (overlap > max_overlap or took_ignored)
                and ignored_dt[j] == 0
            ):
                max_overlap, det, best, took_ignored = overlap, j, 1.0, False
            elif compute_fp and overlap > min_overlap and best == NO_DETECTION and ignored_dt[j] == 1:
                det, best, took_ignored = j, 1.0, True
        if best == NO_DETECTION and ignored_gt[i] == 0:
            fn += 1
        elif best != NO_DETECTION and (ignored_gt[i] == 1 or ignored_dt[det] == 1):
            assigned[det] = True
        elif best != NO_DETECTION:
            tp += 1
            scores.append(dt.score[det])
            assigned[det] = True
    if compute_fp:
        fp = sum(1 for j in range(n_dt) if not (assigned[j] or ignored_dt[j] != 0 or below[j]))
        absorbed = 0
        in_dontcare = box_overlap(dt.bbox, dontcare, 0)
        for k in range(len(dontcare)):
            for j in range(n_dt):
                if assigned[j] or ignored_dt[j] != 0 or below[j]:
                    continue
                if in_dontcare[j, k] > min_overlap:
                    assigned[j] = True
                    absorbed += 1
        fp -= absorbed
    return tp, fp, fn, scores


def recall_thresholds(scores: list[float], counted: int) -> list[float]:
    """The scores at which recall passes each of the 41 sample points 0, 1/40, ..., 1."""
    ordered = sorted(scores, reverse=True)
    recall, out = 0.0, []
    for i, score in enumerate(ordered):
        left = (i + 1) / counted
        right = (i + 2) / counted if i < len(ordered) - 1 else left
        if right - recall < recall - left and i < len(ordered) - 1:
            continue
        out.append(score)
        recall += 1 / (SAMPLE_POINTS - 1.0)
    return out


def precision_curve(gts: list[Frame], dts: list[Frame], cls: str, difficulty: int) -> np.ndarray:
    """(41,) precision at the recall thresholds of one class and difficulty, right-maximised."""
    min_overlap = MIN_OVERLAP[cls]
    frames = []
    counted = 0
    scores: list[float] = []
    for gt, dt in zip(gts, dts):
        n, ignored_gt, ignored_dt, dontcare = clean_data(gt, dt, cls, difficulty)
        counted += n
        overlaps = box_overlap(dt.bbox, gt.bbox)
        frames.append((overlaps, gt, dt, ignored_gt, ignored_dt, dontcare))
        scores += compute_statistics(overlaps, gt, dt, ignored_gt, ignored_dt, dontcare, min_overlap)[3]
    precision = np.zeros(SAMPLE_POINTS)
    if counted == 0:
        return precision
    thresholds = recall_thresholds(scores, counted)
    for t, thresh in enumerate(thresholds):
        tp = fp = 0
        for frame in frames:
            a, b, _, _ = compute_statistics(*frame, min_overlap, thresh=thresh, compute_fp=True)
            tp, fp = tp + a, fp + b
        precision[t] = tp / (tp + fp) if tp + fp else 0.0
    for t in range(len(thresholds)):
        precision[t] = precision[t:].max()
    return precision


def ap11(precision: np.ndarray) -> float:
    return float(precision[::4].sum() / 11 * 100)


def ap40(precision: np.ndarray) -> float:
    return float(precision[1:].sum() / 40 * 100)


def bbox_ap(gts: list[Frame], dts: list[Frame], classes=("Car", "Pedestrian", "Cyclist")) -> dict:
    """``{(class, difficulty name): (AP 11 points, AP 40 points)}`` of the 2D boxes, in percent."""
    if len(gts) != len(dts):
        raise ValueError(f"{len(gts)} ground-truth frames but {len(dts)} detection frames")
    out = {}
    for cls in classes:
        for d, name in enumerate(DIFFICULTIES):
            curve = precision_curve(gts, dts, cls, d)
            out[cls, name] = (ap11(curve), ap40(curve))
    return out


def counted_boxes(gts: list[Frame], cls: str, difficulty: int) -> int:
    """Ground-truth boxes of ``cls`` that a difficulty counts (not ignored)."""
    empty = Frame([], np.zeros(0), np.zeros(0, np.int64), np.zeros((0, 4)), np.zeros(0))
    return sum(clean_data(gt, empty, cls, difficulty)[0] for gt in gts)
