"""The KITTI devkit's 2D evaluation (``kitti_eval``, a numpy port of kitti-object-eval-python) reads
a generated driving dataset's ``kitti/`` as its tools do, ``%06d.txt`` for frames 0..N-1, and
scores the ground truth, taken as detections, AP 100 for Car, Pedestrian and Cyclist at every
difficulty; the same evaluator scores imperfect detections below 100."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from kitti_eval import DIFFICULTIES, Frame, bbox_ap, counted_boxes, parse_frame

pytestmark = pytest.mark.slow  # generates datasets and scores or trains on them (KITTI devkit, Ultralytics, torchvision)

# actors placed apart, near enough that most boxes are taller than the easy difficulty's 40 px:
# the devkit needs more than 40 counted boxes of a class for AP 100 (its 41 recall thresholds)
EVAL_CONFIG = """
name: kitti_eval
seed: 0
num_samples: 40
shard_size: 10
image: {format: png, png_compress_level: 1}
scene:
  kind: driving
  params:
    width: 640
    height: 384
    camera: {fov_deg: 75, mount_height: 1.5, pitch_deg: 0}
    scenario:
      name: kitti_eval
      time_of_day: day
      weather: clear
      backdrop_density: 0.2
      road: {lanes: 2, crosswalk: 0, intersection: 0}
      traffic: {parked: 0, ahead: 0, oncoming: 0}
      actors:
        car_left: {kind: car, distance: "uniform(10, 13)", lateral: -3.5, heading: 180}
        car_right: {kind: car, distance: "uniform(11, 14)", lateral: 3.2, heading: 0}
        cyclist_crossing:
          {kind: cyclist, distance: "uniform(7, 8.5)", lateral: "uniform(-0.5, 0.5)", heading: "choice([90, -90])"}
        cyclist_left: {kind: cyclist, distance: "uniform(7, 9)", lateral: -4.6, heading: "choice([0, 180])"}
        walker_near:
          kind: pedestrian
          distance: uniform(8.5, 9.5)
          lateral: choice([-1.9, 1.9])
          heading: choice([0, 90, 180, -90])
        walker_far: {kind: pedestrian, distance: "uniform(13, 15)", lateral: 6.5, heading: "choice([0, 90, 180, -90])"}
render:
  kind: mesh3d
outputs: [kitti]
"""
CLASSES = ("Car", "Pedestrian", "Cyclist")


def read_frames(folder: Path, count: int) -> list[Frame]:
    """Frames 0..count-1 by the devkit tools' names (kitti_common.get_label_annos: ``%06d.txt``)."""
    return [parse_frame((folder / f"{idx:06d}.txt").read_text()) for idx in range(count)]


@pytest.fixture(scope="module")
def eval_set(tmp_path_factory):
    pytest.importorskip("pyrender")
    from synthgen.config import load_run_config
    from synthgen.engine import generate

    root = tmp_path_factory.mktemp("kitti_eval")
    (root / "eval.yaml").write_text(EVAL_CONFIG)
    config = load_run_config(root / "eval.yaml", [])
    # two workers: the 40 renders of 640x384 are this module's work, spread over a 2-core machine's
    # cores; the bytes do not depend on the worker count (tests/engine/test_determinism.py)
    generate(config, root / "out", workers=2, progress=False)
    return root / "out", config.num_samples


@pytest.mark.slow
def test_ground_truth_as_detections_scores_ap_100(eval_set):
    out, num = eval_set
    kitti = out / "kitti"
    assert sorted(p.name for p in (kitti / "image_2").iterdir()) == [f"{i:06d}.png" for i in range(num)]
    gts = read_frames(kitti / "label_2", num)
    names = {n for f in gts for n in f.name}
    assert names <= {"Car", "Pedestrian", "Cyclist", "Misc"}, names  # no bicycle of its own
    for cls in CLASSES:
        for d in range(len(DIFFICULTIES)):
            assert counted_boxes(gts, cls, d) > 40, (cls, DIFFICULTIES[d])
    # the detections: the label lines with a score column, as a detector's result files hold
    dts = [
        parse_frame("".join(line + " 1.00\n" for line in (kitti / "label_2" / f"{i:06d}.txt").read_text().splitlines()))
        for i in range(num)
    ]
    assert all(len(d.name) == len(g.name) for d, g in zip(dts, gts))
    result = bbox_ap(gts, dts, CLASSES)
    assert result == {(cls, d): (100.0, 100.0) for cls in CLASSES for d in DIFFICULTIES}


@pytest.mark.slow
def test_imperfect_detections_score_below_100(eval_set):
    out, num = eval_set
    gts = read_frames(out / "kitti" / "label_2", num)
    rng = np.random.default_rng(0)
    # every third box moved sideways by 60 % of its width: IoU 0.25, below every class's minimum
    shifted = []
    for k, g in enumerate(gts):
        bbox = g.bbox.copy()
        moved = (np.arange(len(bbox)) + k) % 3 == 0
        bbox[moved, 0::2] += 0.6 * (bbox[moved, 2:3] - bbox[moved, 0:1])
        shifted.append(replace(g, bbox=bbox, score=rng.uniform(0.5, 1.0, len(bbox))))
    # a third of the boxes missed, drawn at random (a position in the frame's list can be one class's
    # in every frame: the scenario lists its actors in one order)
    missed = [replace(g, name=[n if rng.random() > 1 / 3 else "Tram" for n in g.name]) for g in gts]
    for dts in (shifted, missed):
        result = bbox_ap(gts, dts, CLASSES)
        for cls in CLASSES:
            ap11, ap40 = result[cls, "moderate"]
            assert 20 < ap40 < 90 and 20 < ap11 < 95, (cls, result[cls, "moderate"])


def _frame(names, boxes, scores=None, occluded=None, truncated=None) -> Frame:
    n = len(names)
    return Frame(
        list(names),
        np.zeros(n) if truncated is None else np.asarray(truncated, np.float64),
        np.zeros(n, np.int64) if occluded is None else np.asarray(occluded, np.int64),
        np.asarray(boxes, np.float64).reshape(-1, 4),
        np.ones(n) if scores is None else np.asarray(scores, np.float64),
    )


def test_devkit_rules_on_boxes_of_known_overlap():
    boxes = [[10.0 * i, 0.0, 10.0 * i + 8, 50.0] for i in range(50)]
    gt = [_frame(["Car"] * 50, boxes)]
    assert bbox_ap(gt, gt, ("Car",))["Car", "easy"] == (100.0, 100.0)
    # 40 boxes are too few for the 41 recall thresholds: the devkit's AP stays below 100
    few = [_frame(["Car"] * 40, boxes[:40])]
    assert bbox_ap(few, few, ("Car",))["Car", "easy"][1] < 100
    # a box 1 px wider has IoU 8/9 > 0.7: still a match; 3 px wider, 8/11 > 0.7; 4 px, 8/12 < 0.7
    for extra, matched in ((1, True), (3, True), (4, False)):
        dt = [_frame(["Car"] * 50, [[b[0], b[1], b[2] + extra, b[3]] for b in boxes])]
        assert (bbox_ap(gt, dt, ("Car",))["Car", "easy"] == (100.0, 100.0)) == matched, extra
    # an occluded (level 2) box counts at hard only; its detection is no false positive elsewhere
    hidden = [_frame(["Car"] * 50, boxes, occluded=[2] + [0] * 49)]
    result = bbox_ap(hidden, hidden, ("Car",))
    assert result["Car", "easy"] == result["Car", "hard"] == (100.0, 100.0)
    assert [counted_boxes(hidden, "Car", d) for d in range(3)] == [49, 49, 50]
    # a false positive lowers precision, unless a DontCare region holds it
    stray = [_frame(["Car"] * 51, [*boxes, [0, 100, 8, 150]], scores=[0.5] * 50 + [1.0])]
    assert bbox_ap(gt, stray, ("Car",))["Car", "easy"][1] < 100
    cared = [_frame(["Car"] * 50 + ["DontCare"], [*boxes, [0, 95, 20, 160]])]
    assert bbox_ap(cared, stray, ("Car",))["Car", "easy"] == (100.0, 100.0)
