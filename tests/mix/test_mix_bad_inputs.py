"""Bad input data: one line naming the file and record, exit 2, nothing written; or, with
``on_bad: skip``, a skip listed in report.json. Nothing is lost silently."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
from cli_process import CLI
from coco_sets import mix_yaml, write_coco

from synthgen.errors import DatasetError
from synthgen.formats import READERS
from synthgen.formats.base import ReadOptions

pytestmark = pytest.mark.slow  # mixes generated and real datasets end to end, several per test

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
    return CLI.run(["mix", str(cfg), "-o", str(tmp_path / "out"), "--no-progress"], ROOT, timeout=600)


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


def _mix_limited(tmp_path, on_bad, config=CONFIG, memory_gb=4):
    """``_mix`` with the child's address space capped: on a reader that hands a NaN or a huge
    coordinate to pycocotools it fails (MemoryError, a segfault) instead of the machine's OOM killer."""
    import resource

    def cap():
        limit = memory_gb * 2**30
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    cfg = mix_yaml(tmp_path, config.format(on_bad=on_bad))
    return subprocess.run(
        [sys.executable, "-m", "synthgen", "mix", str(cfg), "-o", str(tmp_path / "out"), "--no-progress"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        preexec_fn=cap,
        timeout=120,
    )


def _set(path, value):
    def corrupt(folder):
        coco = _coco(folder)
        node = coco
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        _save(folder, coco)

    return corrupt


# (what is set, the record named, a fragment of the reason): the list of COCO values that
# gave tracebacks (several after files were written), a pycocotools OOM or a segfault
COCO_FIELDS = [
    (("images", 1, "id"), [1, 2], "images[1]", "id must be a whole number, got list"),
    (("images", 1, "id"), True, "images[1]", "id must be a whole number, got true/false"),
    (("images", 1, "id"), 1.5, "images[1]", "id must be a whole number, got 1.5"),
    (("images", 1, "id"), 2**80, "images[1]", "id must be a whole number of at most 64 bits"),
    (("images", 1, "width"), {"a": 1}, "images[1] (id 101)", "width must be a whole number in 1..65536, got {'a': 1}"),
    (("images", 1, "height"), 10**6, "images[1] (id 101)", "height must be a whole number in 1..65536, got 1000000"),
    (("annotations", 1, "image_id"), [101], "annotations[1] (id 2)", "image_id must be a whole number, got list"),
    (("annotations", 1, "category_id"), {"id": 10}, "annotations[1] (id 2)", "category_id must be a whole number"),
    (("annotations", 1, "id"), [2], "annotations[1] (id [2])", "id must be a whole number, got list"),
    (("annotations", 1, "bbox"), [2, 2, float("nan"), 5], "annotations[1] (id 2)", "bbox must be 4 finite numbers"),
    (("annotations", 1, "bbox"), {"x": 1}, "annotations[1] (id 2)", "bbox must be 4 finite numbers, got {'x': 1}"),
    (("annotations", 1, "segmentation"), [[2, 2, float("nan"), 2, 8, 7]], "annotations[1] (id 2)", "a polygon must hold finite numbers, got nan"),
    (("annotations", 1, "segmentation"), [[2, 2, 1e18, 2, 8, 7]], "annotations[1] (id 2)", "a polygon holds x 1e+18, far outside the 32x24 image"),
    (("annotations", 1, "segmentation"), [[2, 2, 8, 2, 8, -1e12]], "annotations[1] (id 2)", "far outside the 32x24 image"),
    (("annotations", 1, "segmentation"), "polygon", "annotations[1] (id 2)", "segmentation must be polygons or an RLE mapping, got text"),
    (("annotations", 1, "segmentation"), {"size": [24, 32], "counts": [10**9]}, "annotations[1] (id 2)", "RLE counts must be whole numbers >= 0"),
    (("annotations", 1, "segmentation"), {"size": [24, 32], "counts": [1, 2, 3]}, "annotations[1] (id 2)", "RLE runs cover 6 pixels, not the image's 768"),
    (("annotations", 1, "segmentation"), {"size": [24, 32], "counts": "0Pz1"}, "annotations[1] (id 2)", "not the image's 768"),
    (("annotations", 1, "keypoints"), [3, float("nan"), 2], "annotations[1] (id 2)", "keypoints hold a point far outside the 32x24 image or not finite"),
    (("annotations", 1, "keypoints"), {"x": 1}, "annotations[1] (id 2)", "keypoints must be a list of x, y, v numbers"),
    (("annotations", 1, "keypoints"), [3, 3, 7], "annotations[1] (id 2)", "keypoint visibility must be 0, 1 or 2, got 7"),
    (("annotations", 1, "area"), float("inf"), "annotations[1] (id 2)", "area must be a number >= 0, got inf"),
    (("annotations", 1, "attributes"), [1, 2], "annotations[1] (id 2)", "attributes must be a mapping, got list"),
    (("annotations", 1, "attributes"), {"a": [[[[[[[[[[1]]]]]]]]]]}, "annotations[1] (id 2)", "attributes is nested more than 8 levels deep"),
    (("annotations", 1, "amodal_bbox"), "wide", "annotations[1] (id 2)", "amodal_bbox must be a list of numbers, got text"),
    (("annotations", 1, "amodal_bbox"), [1, 1, float("inf"), 3], "annotations[1] (id 2)", "amodal_bbox must hold finite numbers, got inf"),
    (("annotations", 1, "text"), ["a"], "annotations[1] (id 2)", "text must be text, got list"),
    (("annotations", 1, "quad"), [1, 2, 3], "annotations[1] (id 2)", "quad must be 4 x, y pairs (8 numbers), got 3 numbers"),
    (("annotations", 1, "occlusion"), "half", "annotations[1] (id 2)", "occlusion must be a number in 0..1, got 'half'"),
    (("annotations", 1, "box3d"), {"center": [1, 2], "dimensions": [1, 1, 1], "yaw": 0}, "annotations[1] (id 2)", "box3d.center must be 3 numbers, got 2"),
]


@pytest.mark.parametrize("path,value,record,fragment", COCO_FIELDS, ids=lambda v: str(v)[:30])
def test_coco_fields_are_checked_before_use(tmp_path, path, value, record, fragment):
    write_coco(tmp_path / "real", REAL, tag=1)
    _set(path, value)(tmp_path / "real")
    with pytest.raises(DatasetError, match=rf"coco.json {re.escape(record)}: .*{re.escape(fragment)}"):
        READERS.get("coco").read(tmp_path / "real", ReadOptions())
    result = READERS.get("coco").read(tmp_path / "real", ReadOptions(on_bad="skip"))
    assert any(record in s.where and fragment in s.reason for s in result.skipped), result.skipped


@pytest.mark.parametrize(
    "value",
    [float("nan"), 1e18, -1e300],
    ids=["nan", "1e18", "-1e300"],
)
def test_polygon_that_pycocotools_cannot_take_never_reaches_it(tmp_path, value):
    """A NaN polygon made pycocotools allocate until the OOM killer ended the run (22.8 GB), a huge
    one crashed the interpreter (exit -11): now one line, exit 2, nothing written; or a listed skip."""
    write_coco(tmp_path / "real", REAL, tag=1)
    _set(("annotations", 2, "segmentation"), [[2, 2, value, 2, 8, 7, 2, 7]])(tmp_path / "real")
    proc = _mix_limited(tmp_path, "error")
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and "annotations[2] (id 3)" in lines[0], proc.stderr[-2000:]
    assert not (tmp_path / "out").exists()
    proc = _mix_limited(tmp_path, "skip")
    assert proc.returncode == 0, proc.stderr[-2000:]
    skipped = json.loads((tmp_path / "out/report.json").read_text())["before"]["real"]["skipped"]
    assert [s["where"].split("coco.json ")[1] for s in skipped] == ["annotations[2] (id 3)"]


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("[" * 100000 + "]" * 100000, "not readable JSON: nested too deep"),
        ('{"images": [{"id": ' + "9" * 5000 + "}]}", "not readable JSON: Exceeds the limit (4300 digits)"),
        ('{"images": {}, "annotations": [], "categories": []}', "'images' must be a list"),
        ("[1, 2]", "a COCO file holds a JSON object"),
    ],
    ids=["deep", "5000-digit", "dict-for-list", "list-at-top"],
)
def test_a_whole_file_problem_is_one_line(tmp_path, text, fragment):
    write_coco(tmp_path / "real", REAL, tag=1)
    (tmp_path / "real/annotations/coco.json").write_text(text)
    for on_bad in ("error", "skip"):
        with pytest.raises(DatasetError, match=re.escape(fragment)):
            READERS.get("coco").read(tmp_path / "real", ReadOptions(on_bad=on_bad))


def test_kitti_and_icdar_nan_and_inf_are_bad_lines(tmp_path):
    """NaN in a KITTI box or an ICDAR quad reached pycocotools (the OOM kill of the issue); inf as a
    KITTI occlusion level was an OverflowError traceback."""
    (tmp_path / "kitti/image_2").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "kitti/image_2/000000.png"), np.zeros((48, 64, 3), np.uint8))
    (tmp_path / "kitti/label_2").mkdir()
    good = "Car 0.00 0 -1.57 2.00 3.00 30.00 20.00 1.50 1.60 3.90 1.00 1.50 10.00 -1.50"
    (tmp_path / "kitti/label_2/000000.txt").write_text(
        f"{good}\n{good.replace('30.00', 'nan')}\n{good.replace(' 0 -1.57', ' inf -1.57')}\n{good.replace(' -1.50', ' 1e400')}\n"
    )
    with pytest.raises(DatasetError, match=r"000000.txt line 2: a field is not a finite number"):
        READERS.get("kitti").read(tmp_path / "kitti", ReadOptions())
    result = READERS.get("kitti").read(tmp_path / "kitti", ReadOptions(on_bad="skip"))
    assert [s.where.rsplit(" ", 1)[1] for s in result.skipped] == ["2", "3", "4"]
    assert len(result.samples[0].record["instances"]) == 1

    (tmp_path / "images").mkdir()
    (tmp_path / "icdar").mkdir()
    cv2.imwrite(str(tmp_path / "images/a.png"), np.zeros((20, 30, 3), np.uint8))
    (tmp_path / "icdar/gt_a.txt").write_text("1,1,10,1,10,8,1,8,ok\n1,1,nan,1,10,8,1,8,x\n1,1,10,1,10,8,1,1e999,y\nbad line\n")
    (tmp_path / "icdar/gt_b.txt").write_bytes(b"1,1,10,1,10,8,1,8,\xff\n")
    cv2.imwrite(str(tmp_path / "images/b.png"), np.zeros((20, 30, 3), np.uint8))
    with pytest.raises(DatasetError, match=r"gt_a.txt line 2: a coordinate is not a finite number"):
        READERS.get("icdar").read(tmp_path, ReadOptions())
    result = READERS.get("icdar").read(tmp_path, ReadOptions(on_bad="skip"))
    assert [(Path(s.where).name, s.reason.split(" (")[0]) for s in result.skipped] == [
        ("gt_a.txt line 2", "a coordinate is not a finite number within +-1e+06"),
        ("gt_a.txt line 3", "a coordinate is not a finite number within +-1e+06"),
        ("gt_a.txt line 4", "expected 8 coordinates and a transcription, got 1 fields"),
        ("gt_b.txt", "not UTF-8"),
    ]
    assert [i["text"] for i in result.samples[0].record["instances"]] == ["ok"]


def test_corrupt_image_is_found_before_anything_is_written(tmp_path):
    """A corrupt image was reported after the mix had written 19 files: every image is now decoded
    while the sources are read."""
    write_coco(tmp_path / "real", REAL, tag=1)
    png = tmp_path / "real/images/0004.png"
    png.write_bytes(png.read_bytes()[:-30])  # the header (and its size) intact, the pixels cut
    proc = _mix(tmp_path, "error")
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "0004.png is not a readable image" in lines[0] and "(id 104)" in lines[0], lines[0]
    assert not (tmp_path / "out").exists()
    proc = _mix(tmp_path, "skip")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "out/report.json").read_text())
    assert [s["reason"].rsplit("/", 1)[1] for s in report["before"]["real"]["skipped"]] == [
        "0004.png is not a readable image (corrupt or truncated)"
    ]
    assert report["after"]["train"]["real"]["samples"] == len(REAL) - 1


@pytest.mark.parametrize(
    "setting,fragment",
    [
        ("per_image: [1000000, 1000000]", "copy_paste.per_image: expected [min, max] with 1 <= min <= max <= 100"),
        ("scale: [0.5, 1e9]", "copy_paste.scale: expected [low, high] with 0 < low <= high <= 100.0"),
    ],
)
def test_copy_paste_counts_are_bounded_at_load(tmp_path, setting, fragment):
    """``per_image: [1e6, 1e6]`` hung the mix: it is refused at load, naming the key."""
    from synthgen.errors import ConfigError
    from synthgen.mix import load_mix_config

    write_coco(tmp_path / "real", REAL, tag=1)
    write_coco(tmp_path / "synth", REAL, tag=2)
    body = CONFIG.format(on_bad="error").replace(
        "splits:", f"  synth: {{path: synth, format: coco, real: false}}\ncopy_paste: {{source: synth, {setting}}}\nsplits:"
    )
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        load_mix_config(mix_yaml(tmp_path, body))


def test_synthgen_dataset_records_are_checked(tmp_path):
    """A synthgen dataset's shard records (a mix's split here) are checked as COCO's are: a field of
    the wrong type or a NaN is a bad record, not a traceback when the sample is written."""
    write_coco(tmp_path / "real", REAL, tag=1)
    assert _mix(tmp_path, "error").returncode == 0
    split = tmp_path / "out/train"
    assert len(READERS.get("synthgen").read(split, ReadOptions()).samples) == len(REAL)
    shard = split / ".synthgen/shards/shard_000000.json"
    records = json.loads(shard.read_text())
    records["samples"][1]["instances"][0]["bbox"] = [float("nan")] * 4
    records["samples"][2]["width"] = [32]
    records["samples"][3]["instances"][0]["segmentation"]["counts"] = "0"
    shard.write_text(json.dumps(records))
    with pytest.raises(DatasetError, match=r"train sample 1: instances\[0\]: bbox must hold finite numbers, got nan"):
        READERS.get("synthgen").read(split, ReadOptions())
    result = READERS.get("synthgen").read(split, ReadOptions(on_bad="skip"))
    assert [(s.where.rsplit(" ", 1)[1], s.reason.split(",")[0]) for s in result.skipped] == [
        ("1", "instances[0]: bbox must hold finite numbers"),
        ("2", "width must be a whole number in 1..65536"),
        ("3", "instances[0]: RLE runs cover 0 pixels"),
    ]
    assert len(result.samples) == len(REAL) - 3


def test_an_image_header_beyond_the_size_cap_is_a_bad_record(tmp_path):
    """The image sizes pycocotools rasterises at come from headers too (YOLO, KITTI, ICDAR,
    recognition): a header of 2**31 - 1 columns is refused before any mask is made."""
    folder = tmp_path / "yolo"
    (folder / "labels").mkdir(parents=True)
    (folder / "images").mkdir()
    (folder / "data.yaml").write_text("names: [car]\ntrain: images\n")
    for name in ("ok", "huge"):
        cv2.imwrite(str(folder / f"images/{name}.png"), np.zeros((24, 32, 3), np.uint8))
        (folder / f"labels/{name}.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    png = bytearray((folder / "images/huge.png").read_bytes())
    png[16:20] = (2**31 - 1).to_bytes(4, "big")  # IHDR width
    (folder / "images/huge.png").write_bytes(bytes(png))
    with pytest.raises(DatasetError, match=r"huge.png: image width must be a whole number in 1..65536, got 2147483647"):
        READERS.get("yolo").read(folder, ReadOptions())
    result = READERS.get("yolo").read(folder, ReadOptions(on_bad="skip"))
    assert len(result.samples) == 1 and [Path(s.where).name for s in result.skipped] == ["huge.png"]


def test_numbers_that_overflow_once_scaled_are_bad_records(tmp_path):
    """Found by the fuzz test: a YOLO number of 1e308 overflowed (a RuntimeWarning line) when scaled
    to pixels, and a KITTI P2 of 1e-320 gave an infinite camera, written into the mix as Infinity."""
    folder = tmp_path / "yolo"
    (folder / "labels").mkdir(parents=True)
    (folder / "images").mkdir()
    (folder / "data.yaml").write_text("names: [car]\ntask: segment\ntrain: images\n")
    cv2.imwrite(str(folder / "images/a.png"), np.zeros((24, 32, 3), np.uint8))
    (folder / "labels/a.txt").write_text("0 0.1 0.1 0.4 0.1 0.4 0.5\n0 0.1 1e308 0.4 0.1 0.4 0.5\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning is a line on stderr
        result = READERS.get("yolo").read(folder, ReadOptions(on_bad="skip"))
    assert [(Path(s.where).name, s.reason) for s in result.skipped] == [("a.txt line 2", "a number lies beyond +-1e+06")]

    kitti = tmp_path / "kitti"
    for sub in ("image_2", "label_2", "calib"):
        (kitti / sub).mkdir(parents=True)
    cv2.imwrite(str(kitti / "image_2/000000.png"), np.zeros((48, 64, 3), np.uint8))
    (kitti / "label_2/000000.txt").write_text("Car 0.00 0 -1.57 2.00 3.00 30.00 20.00 1.50 1.60 3.90 1.00 1.50 10.00 -1.50\n")
    (kitti / "calib/000000.txt").write_text("P2: 1e-320 0 32 4.5 0 50 24 0.2 0 0 1 0.003\n")
    with pytest.raises(DatasetError, match=r"000000.txt: unusable calibration \(P2 is near-singular"):
        READERS.get("kitti").read(kitti, ReadOptions())


def test_a_crowd_skipped_for_another_field_leaves_the_other_masks_in_place(tmp_path):
    """Found by the fuzz test: an RLE annotation skipped for a later field (its area) left its mask
    in the image's list, which then no longer matched the instances (IndexError)."""
    write_coco(tmp_path / "real", [["car", "person", "bike"]], tag=1)
    coco = _coco(tmp_path / "real")
    two_columns = {"size": [24, 32], "counts": [24 * 3, 24 * 2, 24 * 27]}
    one_column = {"size": [24, 32], "counts": [24 * 10, 24, 24 * 21]}
    coco["annotations"][0].update(segmentation=two_columns, iscrowd=1, area=[])
    coco["annotations"][2].update(segmentation=one_column, iscrowd=1)
    _save(tmp_path / "real", coco)
    result = READERS.get("coco").read(tmp_path / "real", ReadOptions(on_bad="skip"))
    assert [s.reason for s in result.skipped] == ["area must be a number >= 0, got []"]
    instances = result.samples[0].full_record()["instances"]
    assert [(i["category"], i["area"]) for i in instances] == [("person", 30), ("bike", 24)]
