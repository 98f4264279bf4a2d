"""The ``yolo`` and ``kitti`` readers are their writers' inverses: samples of known geometry written
with the writer (detection, segmentation and oriented boxes with data.yaml; KITTI labels and
calibration) read back as the same samples; each bad input names its file and line, or is listed
as skipped; and both serve as sources of a mix."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from box_sets import EXTRINSICS, HEIGHT, WIDTH, K, known_samples, write_dataset
from pycocotools import mask as mask_utils

from synthgen.errors import DatasetError
from synthgen.formats import READERS
from synthgen.formats.base import ReadOptions
from synthgen.formats.kitti import kitti_stem, kitti_type
from synthgen.records import instance_to_record


def read(fmt: str, path: Path, **options):
    return READERS.get(fmt).read(Path(path), ReadOptions(**options))


def mask_of(rec) -> np.ndarray:
    seg = rec["segmentation"]
    return mask_utils.decode({"size": seg["size"], "counts": seg["counts"].encode("ascii")}).astype(bool)


def box_mask(bbox) -> np.ndarray:
    x, y, w, h = bbox
    mask = np.zeros((HEIGHT, WIDTH), bool)
    mask[y : y + h, x : x + w] = True
    return mask


@pytest.mark.parametrize("mode", ["detect", "segment", "obb"])
def test_yolo_round_trip(tmp_path, mode):
    samples = known_samples()
    records = write_dataset(tmp_path, samples, "yolo", mode=mode)
    doc = yaml.safe_load((tmp_path / "yolo/data.yaml").read_text())
    assert doc["task"] == mode and doc["names"] == {0: "car", 1: "person", 2: "sign"}
    for path in (tmp_path, tmp_path / "yolo"):  # the dataset root or its yolo/
        result = read("yolo", path)
        assert not result.skipped
        assert result.categories == samples[0].labels.categories
        assert len(result.samples) == len(samples)
    for lazy, sample, rec in zip(result.samples, samples, records):
        back = lazy.materialize()
        np.testing.assert_array_equal(back.image, sample.image)
        visible = [i for i in rec["instances"] if i["area"] > 0]  # a hidden instance is not written
        got = lazy.record["instances"]
        assert [i["category"] for i in got] == [i["category"] for i in visible] == ["car", "person", "sign"]
        for g, want in zip(got, visible):
            if mode == "detect":  # the box's pixels: the car's mask exactly, the others' extents
                assert g["bbox"] == want["bbox"]
                np.testing.assert_array_equal(mask_of(g), box_mask(want["bbox"]))
                assert g["area"] == want["bbox"][2] * want["bbox"][3]
            elif mode == "segment":  # the mask itself, to the pixel
                np.testing.assert_array_equal(mask_of(g), mask_of(want))
                assert g["bbox"] == want["bbox"] and g["area"] == want["area"]
            else:
                quad = np.asarray(g["quad"]).reshape(4, 2)
                if "quad" in want:  # a text instance's own quad
                    np.testing.assert_allclose(quad, np.reshape(want["quad"], (4, 2)), atol=1e-3)
                    np.testing.assert_array_equal(mask_of(g), mask_of(want))
                else:  # the rotated rectangle around the pixels: axis-aligned shapes give their box
                    assert mask_of(g)[mask_of(want)].all()
                    assert g["bbox"] == want["bbox"]
        assert [instance_to_record(i) for i in back.labels.instances] == got


def test_yolo_reader_reads_an_ultralytics_layout(tmp_path):
    """images/train and labels/train under a path: key, names as a list; a background image."""
    root = tmp_path / "set"
    (root / "images/train").mkdir(parents=True)
    (root / "labels/train").mkdir(parents=True)
    for stem in ("a", "b"):
        cv2.imwrite(str(root / f"images/train/{stem}.jpg"), np.zeros((20, 40, 3), np.uint8))
    (root / "labels/train/a.txt").write_text("1 0.5 0.5 0.5 0.5\n\n0 0.125 0.25 0.25 0.5\n")
    (tmp_path / "data.yaml").write_text("path: set\ntrain: images/train\nnames: [cat, dog]\n")
    result = read("yolo", tmp_path)
    a, b = result.samples
    assert [i["category"] for i in a.record["instances"]] == ["dog", "cat"]
    assert [i["bbox"] for i in a.record["instances"]] == [[10, 5, 20, 10], [0, 0, 10, 10]]
    assert [i["area"] for i in a.record["instances"]] == [200, 100]
    assert b.record["instances"] == [] and b.origin["id"].endswith("b.jpg")


def _yolo_set(tmp_path: Path, label: str, mode: str = "detect") -> Path:
    write_dataset(tmp_path, known_samples(2), "yolo", mode=mode)
    (tmp_path / "yolo/labels/000000001.txt").write_text(label)
    return tmp_path / "yolo/labels/000000001.txt"


@pytest.mark.parametrize(
    "label,mode,fragment",
    [
        ("0 0.5 0.5 0.2\n", "detect", "3 numbers, but a detect line holds 4"),
        ("0 0.5 0.5 0.2 0.2 0.1 0.1 0.3 0.3 0.4\n", "obb", "9 numbers, but an obb line holds 8"),
        ("0 0.1 0.1 0.5 0.1 0.5 0.5\n0 0.5 0.5 0.2 0.2 0.3\n", "segment", "5 numbers, but a segment line holds an even count of at least 6"),
        ("7 0.5 0.5 0.2 0.2\n", "detect", "class 7 is not in data.yaml's names (0..2)"),
        ("car 0.5 0.5 0.2 0.2\n", "detect", "expected a class id and numbers"),
        ("0 0.95 0.5 0.3 0.2\n", "detect", "lies outside the 64x48 image"),
        ("0 0.5 0.5 nan 0.2\n", "detect", "not a finite number"),
    ],
)
def test_yolo_bad_line_names_file_and_line_or_is_skipped(tmp_path, label, mode, fragment):
    good = "1 0.5 0.5 0.1 0.1\n" if mode == "detect" else "1 0.4 0.4 0.6 0.4 0.6 0.6 0.4 0.6\n"
    path = _yolo_set(tmp_path, good + label, mode)
    line = 1 + label.count("\n")  # the label's last line is the bad one
    with pytest.raises(DatasetError) as err:
        read("yolo", tmp_path)
    message = str(err.value)
    assert message.startswith(f"{path} line {line}: ") and fragment in message and "\n" not in message
    result = read("yolo", tmp_path, on_bad="skip")
    assert [(s.where, s.reason) for s in result.skipped] == [(f"{path} line {line}", message.split(": ", 1)[1])]
    assert len(result.samples) == 2 and len(result.samples[1].record["instances"]) == line - 1


def test_yolo_unreadable_image_shared_labels_and_bad_data_yaml(tmp_path):
    write_dataset(tmp_path, known_samples(2), "yolo")
    (tmp_path / "yolo/images/000000001.png").write_bytes(b"not a png")
    cv2.imwrite(str(tmp_path / "yolo/images/000000000.jpg"), np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(DatasetError, match=r"000000000.png: shares its label file .*000000000.txt with .*000000000.jpg"):
        read("yolo", tmp_path)
    result = read("yolo", tmp_path, on_bad="skip")
    assert [Path(s.where).name for s in result.skipped] == ["000000000.png", "000000001.png"]
    assert result.skipped[1].reason == "not a readable image" and len(result.samples) == 1
    (tmp_path / "yolo/data.yaml").write_text("names: {0: car, 2: sign}\n")
    with pytest.raises(DatasetError, match=r"data.yaml: names must map the class ids 0..n-1 to names$"):
        read("yolo", tmp_path)
    (tmp_path / "yolo/data.yaml").write_text("names: [car]\ntask: keypoints\n")
    with pytest.raises(DatasetError, match=r"data.yaml: task 'keypoints' is not one of detect, segment, obb, pose$"):
        read("yolo", tmp_path)
    (tmp_path / "yolo/data.yaml").write_text("names: [car]\ntask: pose\n")
    with pytest.raises(DatasetError, match=r"data.yaml: kpt_shape must be \[K, 2\] or \[K, 3\] for task pose \(K at most 1024\), got None$"):
        read("yolo", tmp_path)
    with pytest.raises(DatasetError, match="no data.yaml; not a YOLO dataset folder"):
        read("yolo", tmp_path / "images")


def test_kitti_round_trip(tmp_path):
    samples = known_samples()
    records = write_dataset(tmp_path, samples, "kitti")
    for path in (tmp_path, tmp_path / "kitti"):
        result = read("kitti", path)
        assert not result.skipped and len(result.samples) == len(samples)
    assert result.categories.names == ("Car", "Pedestrian")  # the KITTI types written, in the devkit's order
    for lazy, sample, rec in zip(result.samples, samples, records):
        back = lazy.materialize()
        np.testing.assert_array_equal(back.image, sample.image)
        camera = back.labels.camera
        np.testing.assert_allclose(camera.intrinsics, K, atol=1e-6)
        np.testing.assert_allclose(camera.extrinsics, EXTRINSICS, atol=1e-6)
        assert (camera.width, camera.height) == (WIDTH, HEIGHT)
        written = [i for i in rec["instances"] if i["area"] > 0 and "box3d" in i]  # the sign has no 3D box
        got = lazy.record["instances"]
        assert [i["category"] for i in got] == [kitti_type(i) for i in written] == ["Car", "Pedestrian"]
        for g, want in zip(got, written):
            assert g["bbox"] == want["bbox"]
            np.testing.assert_array_equal(mask_of(g), box_mask(want["bbox"]))
            assert g["truncation"] == pytest.approx(want.get("truncation", 0.0), abs=0.005)
            assert g["attributes"] == {"occluded": 0 if want["occlusion"] < 0.15 else 2}
            for key in ("center", "dimensions"):
                np.testing.assert_allclose(g["box3d"][key], want["box3d"][key], atol=0.006)
            assert g["box3d"]["yaw"] == pytest.approx(want["box3d"]["yaw"], abs=0.005)
        np.testing.assert_allclose(back.labels.instances[0].box3d.center, got[0]["box3d"]["center"])


def test_kitti_layout_has_6_digit_names_and_image_2_links(tmp_path):
    samples = known_samples(3)
    write_dataset(tmp_path, samples, "kitti")
    for folder, suffix in (("image_2", ".png"), ("label_2", ".txt"), ("calib", ".txt")):
        assert sorted(p.name for p in (tmp_path / "kitti" / folder).iterdir()) == [f"00000{i}{suffix}" for i in range(3)]
    for i in range(3):
        image, linked = tmp_path / f"images/00000000{i}.png", tmp_path / f"kitti/image_2/00000{i}.png"
        assert not linked.is_symlink() and linked.stat().st_ino == image.stat().st_ino  # a hard link, one copy on disk
    assert [kitti_stem(f"images/{n}.jpg") for n in ("000000007", "000999999", "001000000", "12345678901", "cat")] == [
        "000007",
        "999999",
        "1000000",
        "12345678901",
        "cat",
    ]
    # a dataset written before image_2/ (or without it): the images/ file the label's name stands for
    for path in sorted((tmp_path / "kitti/image_2").iterdir()):
        path.unlink()
    (tmp_path / "kitti/image_2").rmdir()
    result = read("kitti", tmp_path / "kitti")
    assert [Path(s.origin["path"]).name for s in result.samples] == [f"00000000{i}.png" for i in range(3)]
    assert [s.record["meta"]["stem"] for s in result.samples] == ["000000", "000001", "000002"]
    np.testing.assert_array_equal(result.samples[2].materialize().image, samples[2].image)


def test_kitti_image_2_is_a_copy_without_hard_links_and_never_through_a_symlink(tmp_path, monkeypatch):
    import os

    from synthgen.formats.kitti import stage_image

    image = tmp_path / "images/000000003.png"
    image.parent.mkdir()
    image.write_bytes(b"pixels")

    def no_links(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)  # a file system without hard links (exFAT, some FUSE mounts)
    stage_image(image, tmp_path / "kitti/image_2/000003.png")
    copy = tmp_path / "kitti/image_2/000003.png"
    assert copy.read_bytes() == b"pixels" and copy.stat().st_ino != image.stat().st_ino and not copy.is_symlink()
    monkeypatch.undo()
    # an image that is a symbolic link (to a file synthgen did not write) is refused, not linked or copied
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"not ours")
    image.unlink()
    image.symlink_to(outside)
    with pytest.raises(FileNotFoundError, match="no image file"):
        stage_image(image, tmp_path / "kitti/image_2/000003.png")
    assert outside.read_bytes() == b"not ours" and copy.read_bytes() == b"pixels"


def test_kitti_reader_moves_boxes_into_the_image_camera(tmp_path):
    """KITTI's P2 holds camera 2's offset from the reference camera: boxes move by K^-1 P2[:, 3]."""
    (tmp_path / "label_2").mkdir()
    (tmp_path / "calib").mkdir()
    (tmp_path / "image_2").mkdir()
    cv2.imwrite(str(tmp_path / "image_2/000007.png"), np.zeros((40, 100, 3), np.uint8))
    (tmp_path / "label_2/000007.txt").write_text(
        "Car 0.50 1 -1.58 10.00 12.00 30.00 20.00 1.50 1.60 4.00 2.00 1.50 20.00 -1.50\n"
        "DontCare -1 -1 -10 50.00 5.00 60.00 15.00 -1 -1 -1 -1000 -1000 -1000 -10\n"
    )
    p2 = "100 0 50 -20 0 100 20 0 0 0 1 0"  # t = K^-1 (-20, 0, 0) = (-0.2, 0, 0)
    (tmp_path / "calib/000007.txt").write_text(f"P2: {p2}\nR0_rect: 1 0 0 0 1 0 0 0 1\nTr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 0 0\n")
    (lazy,) = read("kitti", tmp_path).samples
    car, dont_care = lazy.record["instances"]
    assert car["category"] == "Car" and car["bbox"] == [10, 12, 20, 8] and car["area"] == 160
    assert car["truncation"] == 0.5 and car["attributes"] == {"occluded": 1}
    assert car["box3d"] == {"center": [1.8, 0.75, 20.0], "dimensions": [4.0, 1.6, 1.5], "yaw": -1.5}
    assert dont_care["category"] == "DontCare" and "box3d" not in dont_care and "truncation" not in dont_care
    extrinsics = np.reshape(lazy.record["camera"]["extrinsics"], (4, 4))
    np.testing.assert_allclose(extrinsics[:3, 3], [-0.2, 0, 0])
    np.testing.assert_allclose(extrinsics[:3, :3], [[0, -1, 0], [0, 0, -1], [1, 0, 0]])


@pytest.mark.parametrize(
    "corrupt,where,fragment",
    [
        (lambda d: (d / "label_2/000001.txt").write_text("Car 0 0 1\n"), "label_2/000001.txt line 1", "expected 15 fields, got 4"),
        (
            lambda d: (d / "label_2/000001.txt").write_text("Car 0 0 x 1 2 3 4 1 1 1 0 0 5 0\n"),
            "label_2/000001.txt line 1",
            "a field is not a number",
        ),
        (
            lambda d: (d / "label_2/000001.txt").write_text("Car 0 0 0 50 2 70 9 1 1 1 0 0 5 0\n"),
            "label_2/000001.txt line 1",
            "2D box [50.0, 2.0, 70.0, 9.0] lies outside the 64x48 image",
        ),
        (lambda d: (d / "label_2/000002.txt").write_text(""), "label_2/000002.txt", "no image 000002.png/.jpg"),
        (lambda d: (d / "calib/000001.txt").write_text("P2: 1 2 3\n"), "calib/000001.txt", "P2 holds 3 numbers"),
    ],
)
def test_kitti_bad_input_names_file_and_line_or_is_skipped(tmp_path, corrupt, where, fragment):
    write_dataset(tmp_path, known_samples(2), "kitti")
    corrupt(tmp_path / "kitti")
    with pytest.raises(DatasetError) as err:
        read("kitti", tmp_path)
    message = str(err.value)
    assert message.startswith(str(tmp_path / "kitti" / where)) and fragment in message and "\n" not in message
    result = read("kitti", tmp_path, on_bad="skip")
    assert len(result.skipped) == 1 and result.skipped[0].where == str(tmp_path / "kitti" / where)
    assert fragment in result.skipped[0].reason


def test_mix_of_a_yolo_source_and_a_kitti_source(tmp_path):
    from synthgen.dataset import read_dataset
    from synthgen.mix import load_mix_config, mix

    write_dataset(tmp_path / "yolo_set", known_samples(6, tag=1), "yolo", mode="segment")
    write_dataset(tmp_path / "kitti_set", known_samples(4, tag=2), "kitti")
    (tmp_path / "mix.yaml").write_text(
        """\
name: boxes
seed: 3
categories: [car, person]
sources:
  real: {path: yolo_set, format: yolo, label_map: {sign: null}}
  driving: {path: kitti_set/kitti, format: kitti, real: false, label_map: {Car: car, Pedestrian: person}}
strategy: {ratio: {real: 1, synthetic: 1}}
splits: {val: 0.2, test: 0.2}
outputs: [coco, yolo]
"""
    )
    summary = mix(load_mix_config(tmp_path / "mix.yaml"), tmp_path / "out", progress=False)
    assert summary.counts == {"train": 8, "val": 1, "test": 1} and summary.skipped == 0
    train = list(read_dataset(tmp_path / "out/train"))
    sources = sorted(s.meta["source"] for s in train)
    assert sources == ["real:real"] * 4 + ["synthetic:driving"] * 4
    originals = {("yolo", s.meta["index"]): s for s in known_samples(6, tag=1)}
    originals.update({("kitti", s.meta["index"]): s for s in known_samples(4, tag=2)})
    for s in train:
        origin = s.meta["origin"]
        index = int(Path(str(origin["id"])).stem)
        orig = originals[(origin["format"], index)]
        np.testing.assert_array_equal(s.image, orig.image)
        assert [i.category for i in s.labels.instances] == ["car", "person"]
        if origin["format"] == "yolo":  # segmentation masks, exact
            for got, want in zip(s.labels.instances, orig.labels.instances):
                np.testing.assert_array_equal(got.visible_mask(), want.visible_mask())
        else:  # KITTI boxes, with their 3D boxes and the camera
            assert [i.bbox for i in s.labels.instances] == [i.bbox for i in orig.labels.instances[:2]]
            assert s.labels.instances[0].box3d is not None and s.labels.camera is not None
    report = json.loads((tmp_path / "out/report.json").read_text())
    assert json.dumps(report).count("sign") >= 1  # the dropped category is accounted for
