"""Bad input data: one line naming the file and record, exit 2, nothing written; or, with
``on_bad: skip``, a skip listed in report.json. Nothing is lost silently."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from coco_sets import mix_yaml, write_coco

from synthgen.errors import DatasetError
from synthgen.formats import READERS
from synthgen.formats.base import ReadOptions

ROOT = Path(__file__).resolve().parents[2]
REAL = [["car"], ["car", "person"], ["bike"], ["car"], ["person"], ["car"]]
CONFIG = """\
name: bad
categories: [car, person, bike]
sources:
  real: {{path: real, format: coco, on_bad: {on_bad}}}
splits: {{val: 0, test: 0}}
"""


def _coco(folder: Path) -> dict:
    return json.loads((folder / "annotations/coco.json").read_text())


def _save(folder: Path, coco: dict) -> None:
    (folder / "annotations/coco.json").write_text(json.dumps(coco))


def missing_image(folder):
    (folder / "images/0002.png").unlink()
    return "images[2] (id 102)", "not found"


def box_outside(folder):
    coco = _coco(folder)
    coco["annotations"][0]["bbox"] = [30, 20, 10, 10]
    _save(folder, coco)
    return "annotations[0] (id 1)", "lies outside the 32x24 image"


def unknown_category(folder):
    coco = _coco(folder)
    coco["annotations"][1]["category_id"] = 99
    _save(folder, coco)
    return "annotations[1] (id 2)", "unknown category_id 99"


def duplicate_image_id(folder):
    coco = _coco(folder)
    coco["images"][3]["id"] = 100
    _save(folder, coco)
    return "images[3] (id 100)", "duplicate image id 100"


def duplicate_annotation_id(folder):
    coco = _coco(folder)
    coco["annotations"][3]["id"] = 2
    _save(folder, coco)
    return "annotations[3] (id 2)", "duplicate annotation id 2"


def size_differs(folder):
    coco = _coco(folder)
    coco["images"][4]["width"] = 40
    _save(folder, coco)
    return "images[4] (id 104)", "is 32x24 but the record says 40x24"


CASES = [missing_image, box_outside, unknown_category, duplicate_image_id, duplicate_annotation_id, size_differs]


def _mix(tmp_path, on_bad):
    cfg = mix_yaml(tmp_path, CONFIG.format(on_bad=on_bad))
    return subprocess.run(
        [sys.executable, "-m", "synthgen", "mix", str(cfg), "-o", str(tmp_path / "out"), "--no-progress"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


@pytest.mark.parametrize("corrupt", CASES, ids=lambda f: f.__name__)
def test_bad_record_is_one_line_naming_file_and_record(tmp_path, corrupt):
    write_coco(tmp_path / "real", REAL, tag=1)
    record, reason = corrupt(tmp_path / "real")
    proc = _mix(tmp_path, "error")
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert (
        lines[0].startswith("synthgen: error: ")
        and "coco.json" in lines[0]
        and record in lines[0]
        and reason in lines[0]
    ), lines[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("corrupt", CASES, ids=lambda f: f.__name__)
def test_skipped_record_is_listed_in_the_report(tmp_path, corrupt):
    write_coco(tmp_path / "real", REAL, tag=1)
    record, reason = corrupt(tmp_path / "real")
    proc = _mix(tmp_path, "skip")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "out/report.json").read_text())
    skipped = report["before"]["real"]["skipped"]
    assert any(record in s["where"] and reason in s["reason"] for s in skipped), skipped
    # every image and annotation is accounted for: written, or skipped with its image
    train = report["after"]["train"]["real"]
    kept_images = train["samples"]
    image_skips = [s for s in skipped if "images[" in s["where"]]
    dropped = 2 if corrupt is duplicate_image_id else 1  # both images of a shared id go
    assert kept_images == len(REAL) - (dropped if image_skips else 0)
    read = sum(report["before"]["real"]["instances_read"].values())
    written = sum(v for k, v in train.items() if k != "samples")
    assert read == written


def test_truncated_json_is_an_error_even_when_skipping(tmp_path):
    write_coco(tmp_path / "real", REAL, tag=1)
    path = tmp_path / "real/annotations/coco.json"
    path.write_bytes(path.read_bytes()[:-40])
    for on_bad in ("error", "skip"):
        proc = _mix(tmp_path, on_bad)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1, proc.stderr
        assert f"{path}: not valid JSON (truncated?)" in lines[0], lines[0]
    assert not (tmp_path / "out").exists()


def test_image_size_check_also_at_decoding(tmp_path):
    write_coco(tmp_path / "real", REAL, tag=1)
    coco = _coco(tmp_path / "real")
    coco["images"][0]["height"] = 30
    _save(tmp_path / "real", coco)
    result = READERS.get("coco").read(tmp_path / "real", ReadOptions(check_sizes=False))
    with pytest.raises(DatasetError, match=r"\(id 100\): image is 32x24 but its record says 32x30"):
        result.samples[0].materialize()


def test_icdar_and_recognition_readers_name_file_and_line(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "icdar").mkdir()
    cv2.imwrite(str(tmp_path / "images/a.png"), np.zeros((20, 30, 3), np.uint8))
    (tmp_path / "icdar/gt_a.txt").write_text("1,1,10,1,10,8,1,8,ok\n1,1,50,1,50,8,1,8,wide\n")
    (tmp_path / "icdar/gt_b.txt").write_text("1,1,10,1,10,8,1,8,lost\n")
    with pytest.raises(DatasetError, match=r"gt_a.txt line 2: quad .* outside the 30x20 image"):
        READERS.get("icdar").read(tmp_path, ReadOptions())
    result = READERS.get("icdar").read(tmp_path, ReadOptions(on_bad="skip"))
    assert next(s.reason for s in result.skipped).startswith("quad")
    assert any("gt_b.txt" in s.where and "no image b" in s.reason for s in result.skipped)
    assert [i["text"] for i in result.samples[0].record["instances"]] == ["ok"]
    rec = tmp_path / "rec"
    (rec / "images").mkdir(parents=True)
    cv2.imwrite(str(rec / "images/x.png"), np.zeros((8, 16, 3), np.uint8))
    (rec / "labels.tsv").write_text("images/x.png\thello\nimages/y.png\tgone\nimages/x.png\tagain\n")
    with pytest.raises(DatasetError, match=r"labels.tsv line 2: crop .*y.png missing"):
        READERS.get("recognition").read(rec, ReadOptions())
    result = READERS.get("recognition").read(rec, ReadOptions(on_bad="skip"))
    assert len(result.samples) == 1 and [s.reason.split(" ")[0] for s in result.skipped] == ["crop", "duplicate"]


@pytest.mark.parametrize(
    "segmentation,fragment",
    [
        ([[1, 2, "x", 4, 5, 6]], "unreadable polygon"),
        ([[1, 2, 3, 4]], "at least 3 x, y pairs"),
        ({"size": [10, 10], "counts": "abc"}, "RLE size [10, 10] is not the image's [24, 32]"),
    ],
)
def test_unreadable_segmentation_names_the_annotation(tmp_path, segmentation, fragment):
    write_coco(tmp_path / "real", REAL, tag=1)
    coco = _coco(tmp_path / "real")
    coco["annotations"][2]["segmentation"] = segmentation
    _save(tmp_path / "real", coco)
    with pytest.raises(DatasetError, match=rf"annotations\[2\] \(id 3\): .*{re.escape(fragment)}"):
        READERS.get("coco").read(tmp_path / "real", ReadOptions())
    result = READERS.get("coco").read(tmp_path / "real", ReadOptions(on_bad="skip"))
    assert len(result.skipped) == 1 and sum(len(s.record["instances"]) for s in result.samples) == 6


@pytest.mark.parametrize(
    "field,value,fragment",
    [
        ("area", "big", "area must be a number >= 0, got 'big'"),
        ("area", -3, "area must be a number >= 0, got -3"),
        ("iscrowd", 2, "iscrowd must be 0 or 1, got 2"),
        ("keypoints", [1, 2], "keypoints must be a list of x, y, v numbers"),
        ("num_keypoints", 1.5, "num_keypoints must be an integer >= 0, got 1.5"),
    ],
)
def test_values_kept_as_read_are_checked(tmp_path, field, value, fragment):
    """What the writers give back as read (bbox, area, segmentation, iscrowd, keypoints) is checked
    on reading, as the box and the segmentation are."""
    write_coco(tmp_path / "real", REAL, tag=1)
    coco = _coco(tmp_path / "real")
    coco["annotations"][2][field] = value
    _save(tmp_path / "real", coco)
    with pytest.raises(DatasetError, match=rf"annotations\[2\] \(id 3\): {re.escape(fragment)}"):
        READERS.get("coco").read(tmp_path / "real", ReadOptions())
    result = READERS.get("coco").read(tmp_path / "real", ReadOptions(on_bad="skip"))
    assert len(result.skipped) == 1 and sum(len(s.record["instances"]) for s in result.samples) == 6
