"""COCO keypoints next to categories without them: pycocotools' keypoint evaluation over every
category reads ``num_keypoints`` (and, for a keypoint category, ``keypoints``) from each ground
truth, so every annotation carries them."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from synthgen.formats import WRITERS
from synthgen.records import to_record
from synthgen.types import Category, CategoryTable, Instance, Labels, Sample

H, W = 64, 96
TABLE = CategoryTable(
    (
        Category(1, "pedestrian", keypoints=("head", "left_foot", "right_foot"), skeleton=((1, 2), (1, 3))),
        Category(2, "car"),
    )
)


def instance(category: str, x: int, y: int, w: int, h: int, keypoints=None) -> Instance:
    from pycocotools import mask as mask_utils

    mask = np.zeros((H, W), np.uint8)
    mask[y : y + h, x : x + w] = 1
    rle = mask_utils.encode(np.asfortranarray(mask))
    rle = {"size": [H, W], "counts": rle["counts"].decode("ascii")}
    kp = None if keypoints is None else np.asarray(keypoints, np.float32)
    return Instance(category, (x, y, w, h), w * h, rle, keypoints=kp)


def samples() -> list[Sample]:
    image = np.zeros((H, W, 3), np.uint8)
    first = (
        instance("pedestrian", 10, 5, 12, 40, [[16, 8, 2], [12, 43, 2], [20, 43, 1]]),
        instance("car", 40, 20, 40, 25),
        instance("pedestrian", 84, 10, 8, 30),  # an unlabelled person: no keypoints
    )
    second = (
        instance("car", 5, 5, 30, 20),
        instance("pedestrian", 50, 10, 14, 44, [[57, 12, 2], [0, 0, 0], [60, 52, 2]]),
    )
    return [
        Sample(image, Labels(instances, TABLE), {"index": i, "seed": 0, "source": "synthetic"})
        for i, instances in enumerate((first, second))
    ]


def quiet(fn, *args):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


def test_keypoint_evaluation_over_all_categories(tmp_path):
    records = [to_record(s, f"images/{i:09d}.png", "0" * 64) for i, s in enumerate(samples())]
    WRITERS.get("coco").finalize(records, tmp_path, TABLE)
    path = tmp_path / "annotations/coco.json"
    anns = json.loads(path.read_text())["annotations"]
    assert [a["num_keypoints"] for a in anns] == [3, 0, 0, 0, 2]
    assert anns[2]["keypoints"] == [0] * 9 and "keypoints" not in anns[1]  # COCO's unlabelled person

    gt = quiet(COCO, str(path))
    detections = [{**a, "score": 1.0} for a in gt.loadAnns(gt.getAnnIds()) if a["num_keypoints"] > 0]
    dt = quiet(gt.loadRes, detections)
    evaluation = COCOeval(gt, dt, "keypoints")  # params.catIds: every category, the car's included
    evaluation.params.kpt_oks_sigmas = np.full(3, 0.05)
    quiet(evaluation.evaluate)
    quiet(evaluation.accumulate)
    quiet(evaluation.summarize)
    assert evaluation.stats[0] == pytest.approx(1.0)
    precision = evaluation.eval["precision"][0, :, :, 0, -1]  # IoU 0.5, all areas, 20 detections
    assert (precision[:, 0] == 1.0).all() and (precision[:, 1] == -1).all()  # pedestrian AP 1; no car keypoints
