"""A real dataset's files stay inside it (issue #21): an image path a dataset names (a COCO
``file_name``, a ``labels.tsv`` crop, a YOLO ``data.yaml`` folder, a shard record's ``file_name``)
or an image file a reader finds that leads out of the dataset (``..``, an absolute path, a symbolic
link) is a bad record: one line naming the file, the record and the field with ``on_bad: error``
(exit 2, nothing written), a skip listed in report.json with ``on_bad: skip``; the file outside is
never read into the output."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
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
REAL = [["car"], ["car", "person"], ["bike"]]
CONFIG = """\
name: escape
categories: [car, person, bike]
sources:
  real: {{path: real, format: {format}, on_bad: {on_bad}}}
splits: {{val: 0, test: 0}}
"""


def cli(*args: str) -> subprocess.CompletedProcess:
    """``python -m synthgen *args`` in the repository, forked from a helper that imported the
    command line once (``cli_process``)."""
    return CLI.run(list(args), ROOT, timeout=600)


def plant_secret(tmp_path: Path) -> Path:
    """An image outside every dataset, that no output may hold."""
    path = tmp_path / "secret" / "secret.png"
    path.parent.mkdir()
    cv2.imwrite(str(path), np.random.default_rng(99).integers(0, 256, (24, 32, 3), np.uint8))
    return path


def pixels_digest(path: Path) -> str:
    return hashlib.sha256(cv2.imread(str(path), cv2.IMREAD_UNCHANGED).tobytes()).hexdigest()


def output_digests(out: Path) -> set[str]:
    return {pixels_digest(p) for p in out.rglob("*.png") if "images" in p.parts}


def escape_up(real: Path, secret: Path) -> str:
    return os.path.relpath(secret, real)  # ../secret/secret.png


def escape_absolute(real: Path, secret: Path) -> str:
    return str(secret)


def escape_by_link(real: Path, secret: Path) -> str:
    (real / "images" / "link.png").symlink_to(secret)
    return "images/link.png"


def escape_by_linked_folder(real: Path, secret: Path) -> str:
    (real / "elsewhere").symlink_to(secret.parent, target_is_directory=True)
    return "elsewhere/secret.png"


ESCAPES = {  # the file_name of image 1 -> how the line says it leaves
    "dotdot": (escape_up, "climbs out with '..'"),
    "absolute": (escape_absolute, "is an absolute path outside"),
    "link": (escape_by_link, "reaches through a symbolic link outside"),
    "linked-folder": (escape_by_linked_folder, "reaches through a symbolic link outside"),
}


def coco_escaping(tmp_path: Path, case: str) -> tuple[Path, str]:
    real = write_coco(tmp_path / "real", REAL, tag=1)
    secret = plant_secret(tmp_path)
    make, how = ESCAPES[case]
    coco = json.loads((real / "annotations/coco.json").read_text())
    coco["images"][1]["file_name"] = make(real, secret)
    (real / "annotations/coco.json").write_text(json.dumps(coco))
    return secret, how


@pytest.mark.parametrize("case", ESCAPES, ids=list(ESCAPES))
def test_a_coco_file_name_out_of_the_dataset_is_one_line_and_nothing_is_written(tmp_path, case):
    secret, how = coco_escaping(tmp_path, case)
    cfg = mix_yaml(tmp_path, CONFIG.format(format="coco", on_bad="error"))
    proc = cli("mix", str(cfg), "-o", str(tmp_path / "out"), "--no-progress")
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "coco.json images[1] (id 101): file_name " in lines[0] and how in lines[0], lines[0]
    assert str(tmp_path / "real") in lines[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ESCAPES, ids=list(ESCAPES))
def test_a_coco_file_name_out_of_the_dataset_is_a_listed_skip_and_never_copied(tmp_path, case):
    secret, how = coco_escaping(tmp_path, case)
    cfg = mix_yaml(tmp_path, CONFIG.format(format="coco", on_bad="skip"))
    proc = cli("mix", str(cfg), "-o", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "out/report.json").read_text())
    skipped = report["before"]["real"]["skipped"]
    assert [s["where"].endswith("images[1] (id 101)") and how in s["reason"] for s in skipped] == [True], skipped
    assert report["after"]["train"]["real"]["samples"] == 2
    written = output_digests(tmp_path / "out")
    assert len(written) == 2 and pixels_digest(secret) not in written


def test_a_file_name_that_stays_inside_through_dotdot_or_a_link_within_is_read(tmp_path):
    real = write_coco(tmp_path / "real", REAL, tag=1)
    (real / "more").symlink_to(real / "images", target_is_directory=True)
    coco = json.loads((real / "annotations/coco.json").read_text())
    coco["images"][0]["file_name"] = "annotations/../images/0000.png"
    coco["images"][1]["file_name"] = "more/0001.png"
    coco["images"][2]["file_name"] = str(real / "images/0002.png")
    (real / "annotations/coco.json").write_text(json.dumps(coco))
    result = READERS.get("coco").read(real, ReadOptions())
    assert len(result.samples) == 3 and not result.skipped


def test_a_recognition_crop_out_of_the_dataset_is_refused(tmp_path):
    secret = plant_secret(tmp_path)
    rec = tmp_path / "real"
    (rec / "images").mkdir(parents=True)
    cv2.imwrite(str(rec / "images/a.png"), np.zeros((8, 16, 3), np.uint8))
    (rec / "images/b.png").symlink_to(secret)
    (rec / "labels.tsv").write_text(f"images/a.png\tok\n../secret/secret.png\tup\n{secret}\tabs\nimages/b.png\tlink\n")
    with pytest.raises(DatasetError) as err:
        READERS.get("recognition").read(rec, ReadOptions())
    assert str(err.value).startswith(f"{rec / 'labels.tsv'} line 2: the crop path climbs out with '..'")
    result = READERS.get("recognition").read(rec, ReadOptions(on_bad="skip"))
    assert [s.reason.split(" the dataset")[0] for s in result.skipped] == [
        "the crop path climbs out with '..' of",
        "the crop path is an absolute path outside",
        "the crop path reaches through a symbolic link outside",
    ]
    assert [s.where.rsplit(" ", 1)[1] for s in result.skipped] == ["2", "3", "4"]
    assert [lazy.record["instances"][0]["text"] for lazy in result.samples] == ["ok"]
    cfg = mix_yaml(tmp_path, CONFIG.format(format="recognition", on_bad="skip").replace("car, person, bike", "text"))
    proc = cli("mix", str(cfg), "-o", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert pixels_digest(secret) not in output_digests(tmp_path / "out")


def yolo_set(folder: Path) -> Path:
    (folder / "images").mkdir(parents=True)
    (folder / "labels").mkdir()
    cv2.imwrite(str(folder / "images/a.png"), np.full((24, 32, 3), 7, np.uint8))
    (folder / "labels/a.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (folder / "data.yaml").write_text("names: [car]\ntrain: images\n")
    return folder


@pytest.mark.parametrize(
    "doc,key",
    [("path: ..\ntrain: secret", "path"), ("train: ../secret", "train"), ("val: /etc", "val")],
    ids=["path-up", "train-up", "val-absolute"],
)
def test_a_yolo_data_yaml_naming_a_folder_out_of_the_dataset_is_refused(tmp_path, doc, key):
    plant_secret(tmp_path)
    folder = yolo_set(tmp_path / "real")
    (folder / "data.yaml").write_text(f"names: [car]\n{doc}\n")
    with pytest.raises(DatasetError) as err:
        READERS.get("yolo").read(folder, ReadOptions())
    assert str(err.value).startswith(f"{folder / 'data.yaml'}: {key} "), err.value
    assert "outside" in str(err.value) or "climbs out" in str(err.value)


def test_a_yolo_image_or_label_file_linked_out_of_the_dataset_is_a_bad_record(tmp_path):
    secret = plant_secret(tmp_path)
    folder = yolo_set(tmp_path / "real")
    (folder / "images/b.png").symlink_to(secret)
    cv2.imwrite(str(folder / "images/c.png"), np.full((24, 32, 3), 9, np.uint8))
    (tmp_path / "secret/c.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    (folder / "labels/c.txt").symlink_to(tmp_path / "secret/c.txt")
    result = READERS.get("yolo").read(folder, ReadOptions(on_bad="skip"))
    assert [Path(s.where).name for s in result.skipped] == ["b.png", "c.png"]
    assert "image b.png is a symbolic link outside" in result.skipped[0].reason
    assert "label file c.txt is a symbolic link outside" in result.skipped[1].reason
    assert [lazy.record["file_name"] for lazy in result.samples] == ["images/a.png"]


@pytest.mark.parametrize("fmt", ["icdar", "kitti"])
def test_an_icdar_or_kitti_image_linked_out_of_the_dataset_is_a_bad_record(tmp_path, fmt):
    secret = plant_secret(tmp_path)
    images = tmp_path / "real" / ("images" if fmt == "icdar" else "kitti/image_2")
    images.mkdir(parents=True)
    (images / "000000.png").symlink_to(secret)
    labels = tmp_path / "real" / ("icdar/gt_000000.txt" if fmt == "icdar" else "kitti/label_2/000000.txt")
    labels.parent.mkdir(parents=True)
    labels.write_text("1,1,10,1,10,8,1,8,word\n" if fmt == "icdar" else "Car 0 0 0 1 1 10 8 1.5 1.6 3.9 1 1 10 0\n")
    with pytest.raises(DatasetError) as err:
        READERS.get(fmt).read(tmp_path / "real", ReadOptions())
    assert str(err.value).startswith(f"{labels}: image 000000.png is a symbolic link outside"), err.value
    result = READERS.get(fmt).read(tmp_path / "real", ReadOptions(on_bad="skip"))
    assert not result.samples and len(result.skipped) == 1


def test_a_synthgen_record_file_name_out_of_the_dataset_is_a_bad_record(tmp_path):
    from synthgen.config import load_run_config
    from synthgen.engine import generate

    config = load_run_config(
        str(ROOT / "configs/text_words.yaml"),
        ["num_samples=2", "shard_size=2", "scene.params.width=64", "scene.params.height=48"],
    )
    out = tmp_path / "ds"
    generate(config, out, progress=False)
    secret = plant_secret(tmp_path)
    shard = out / ".synthgen/shards/shard_000000.json"
    record = json.loads(shard.read_text())
    record["samples"][1]["file_name"] = os.path.relpath(secret, out)
    shard.write_text(json.dumps(record))
    with pytest.raises(DatasetError, match=r"ds sample 1: file_name climbs out with '\.\.'"):
        READERS.get("synthgen").read(out, ReadOptions())
    result = READERS.get("synthgen").read(out, ReadOptions(on_bad="skip"))
    assert len(result.samples) == 1 and len(result.skipped) == 1


@pytest.mark.parametrize(
    "fmt,linked",
    [("icdar", "icdar/gt_000000.txt"), ("kitti", "kitti/label_2/000000.txt"), ("kitti", "kitti/calib/000000.txt")],
    ids=["icdar-gt", "kitti-label", "kitti-calib"],
)
def test_an_icdar_or_kitti_label_file_linked_out_of_the_dataset_is_a_bad_record(tmp_path, fmt, linked):
    outside = tmp_path / "secret" / "labels.txt"
    outside.parent.mkdir()
    outside.write_text("1,1,10,1,10,8,1,8,word\n" if fmt == "icdar" else "Car 0 0 0 1 1 10 8 1.5 1.6 3.9 1 1 10 0\n")
    real = tmp_path / "real"
    images = real / ("images" if fmt == "icdar" else "kitti/image_2")
    images.mkdir(parents=True)
    cv2.imwrite(str(images / "000000.png"), np.zeros((24, 32, 3), np.uint8))
    if fmt == "kitti":
        (real / "kitti/label_2").mkdir(parents=True)
        (real / "kitti/label_2/000000.txt").write_text(outside.read_text())
    (real / linked).parent.mkdir(parents=True, exist_ok=True)
    (real / linked).unlink(missing_ok=True)
    (real / linked).symlink_to(outside)
    kind = "calibration file" if "calib" in linked else "label file"
    with pytest.raises(DatasetError) as err:
        READERS.get(fmt).read(real, ReadOptions())
    expected = f"{real / linked}: {kind} {Path(linked).name} is a symbolic link outside"
    assert str(err.value).startswith(expected), err.value
    result = READERS.get(fmt).read(real, ReadOptions(on_bad="skip"))
    assert not result.samples and len(result.skipped) == 1
