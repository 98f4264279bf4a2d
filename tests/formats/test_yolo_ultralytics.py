"""Ultralytics reads every YOLO variant synthgen writes: its own dataset checks and loader
(``check_det_dataset`` + ``build_yolo_dataset``) find every image and every instance of detect,
segment, obb and pose datasets, and of a mix's ``data.yaml`` over its splits; ``yolo/`` holds real
files (hard links to ``images/``), never a link, and is the same bytes for 1 and 2 workers and
after a resume.

Ultralytics runs in a process of its own: importing it changes the importing process (it patches
``PIL.Image.open`` to install a HEIF plugin when Pillow cannot identify a file, ``torch.save``,
OpenCV's threads and numpy's print options), which later tests in this process would see; and
torch's import of triton while training crashed (SIGSEGV) in a test process that had started the
driving renderer (EGL) before."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from synthgen.config import load_run_config
from synthgen.dataset import read_dataset
from synthgen.engine import generate
from synthgen.errors import ConfigError, DatasetError
from synthgen.formats.yolo import read_yolo
from synthgen.mix import load_mix_config, mix

pytestmark = pytest.mark.slow  # generates datasets and scores or trains on them (KITTI devkit, Ultralytics, torchvision)

ROOT = Path(__file__).resolve().parents[2]
SMALL = {
    "shapes": ["scene.params.width=96", "scene.params.height=80"],
    "text_words": ["scene.params.width=160", "scene.params.height=120", "scene.params.words=randint(2, 5)"],
}
VARIANTS = [("shapes", "detect"), ("shapes", "segment"), ("shapes", "obb"), ("shapes", "pose"), ("text_words", "obb")]
needs_ultralytics = pytest.mark.skipif(
    importlib.util.find_spec("ultralytics") is None, reason="ultralytics is not installed (the test extra has it)"
)

READ_WITH_ULTRALYTICS = """
import json, sys
from ultralytics.cfg import get_cfg
from ultralytics.data.build import build_yolo_dataset
from ultralytics.data.utils import check_det_dataset


def labels_found(data_yaml):
    data = check_det_dataset(data_yaml, autodownload=False)
    cfg = get_cfg(overrides={"task": data["task"], "imgsz": 64})
    splits = {}
    for split in ("train", "val", "test"):
        if data.get(split):
            splits[split] = [
                {
                    "image": label["im_file"],
                    "shape": list(label["shape"]),
                    "cls": label["cls"].reshape(-1).astype(int).tolist(),
                    "segments": [len(s) for s in label["segments"]],
                    "keypoints": None if label.get("keypoints") is None else label["keypoints"].tolist(),
                }
                for label in build_yolo_dataset(cfg, data[split], 2, data, mode="val").labels
            ]
    names = [data["names"][k] for k in range(len(data["names"]))]
    keys = ("task", "kpt_shape", "flip_idx")
    return {"data": {"names": names, **{k: data.get(k) for k in keys}}, "splits": splits}


answer, found = sys.argv[1], {}
for data_yaml in sys.argv[2:]:
    try:
        found[data_yaml] = labels_found(data_yaml)
    except Exception as exc:  # reported by the test of that dataset
        found[data_yaml] = {"error": f"{type(exc).__name__}: {exc}"}
with open(answer, "w") as f:
    json.dump(found, f)
"""


def small(config: str, num: int, *extra: str):
    return load_run_config(ROOT / "configs" / f"{config}.yaml", [*SMALL[config], f"num_samples={num}", *extra])


def ultralytics_env(tmp: Path) -> dict[str, str]:
    """The environment of an Ultralytics process: its settings in ``tmp``, no network."""
    return {**os.environ, "YOLO_CONFIG_DIR": str(tmp / "ultralytics-settings"), "YOLO_OFFLINE": "1"}


def read_with_ultralytics(tmp: Path, *data_yamls: Path) -> dict[Path, dict]:
    """data.yaml -> {"data": what ``check_det_dataset`` resolved, "splits": split -> the labels
    Ultralytics' loader finds, one dict an image} or {"error": why it could not}, from one
    Ultralytics process."""
    answer = tmp / "ultralytics.json"
    cmd = [sys.executable, "-c", READ_WITH_ULTRALYTICS, str(answer), *map(str, data_yamls)]
    run = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, env=ultralytics_env(tmp), timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(answer.read_text())
    return {path: found[str(path)] for path in data_yamls}


def read_of(found: dict[Path, dict], data_yaml: Path) -> tuple[dict, dict[str, list[dict]]]:
    """(the resolved data dict, split -> labels) that Ultralytics found for ``data_yaml``."""
    assert "error" not in found[data_yaml], f"Ultralytics could not read {data_yaml}: {found[data_yaml]['error']}"
    return found[data_yaml]["data"], found[data_yaml]["splits"]


def visible_instances(out: Path) -> list[list]:
    """Each image's instances that synthgen writes as YOLO lines (those with a visible pixel), from
    the dataset's own records."""
    return [[i for i in s.labels.instances if i.area > 0] for s in read_dataset(out)]


def expected_keypoints(instances, count: int, width: int, height: int) -> np.ndarray:
    """(N, K, 3) keypoints as a pose line holds them: normalised, 0 0 0 where not labelled or outside."""
    out = np.zeros((len(instances), count, 3))
    for n, inst in enumerate(instances):
        if inst.keypoints is None:
            continue
        kp = np.asarray(inst.keypoints, np.float64)
        inside = (kp[:, 2] > 0) & (kp[:, 0] >= 0) & (kp[:, 0] <= width) & (kp[:, 1] >= 0) & (kp[:, 1] <= height)
        out[n, : len(kp)][inside] = kp[inside] / (width, height, 1)
    return out


def check_keypoints(label: dict, instances: list, count: int) -> int:
    """Assert that an image's keypoints as Ultralytics read them are the instances' (COCO visibility
    as is); the number labelled."""
    h, w = label["shape"]
    want = expected_keypoints(instances, count, w, h)
    got = np.asarray(label["keypoints"], np.float64).reshape(len(instances), count, 3)
    np.testing.assert_array_equal(got[..., 2], want[..., 2])
    np.testing.assert_allclose(got[..., :2], want[..., :2], atol=1e-6)
    return int((want[..., 2] > 0).sum())


def tree_hashes(root: Path) -> dict[str, str]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def mix_body(tmp: Path, synth: dict) -> dict:
    """A small mix of a real shapes dataset and synthetic shapes made on the fly."""
    return {
        "name": "m",
        "seed": 3,
        "shard_size": 2,
        "categories": list(small("shapes", 1).categories.names),
        "sources": {"real": {"path": str(tmp / "real"), "format": "synthgen"}, "synth": synth},
        "splits": {"val": 0.25, "test": 0.25},
        "outputs": ["coco", "yolo"],
    }


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Every variant and two mixes written, and what one Ultralytics process found in them."""
    tmp = tmp_path_factory.mktemp("yolo")
    outs = {}
    for config, mode in VARIANTS:
        out = outs[config, mode] = tmp / f"{config}-{mode}"
        config_of = small(config, 3, "shard_size=2", "outputs=[coco,yolo]", f"writers.yolo.mode={mode}")
        generate(config_of, out, progress=False)
    generate(small("shapes", 8, "seed=1", "outputs=[coco]"), tmp / "real", progress=False)
    synth = {"path": str(ROOT / "configs/shapes.yaml"), "format": "generate", "real": False}
    synth["overrides"] = [*SMALL["shapes"], "num_samples=4", "seed=2"]
    body = mix_body(tmp, synth)
    (tmp / "mix.yaml").write_text(yaml.safe_dump(body))
    mix(load_mix_config(tmp / "mix.yaml"), tmp / "mix", progress=False)
    # synthetic sources only: no val split
    synthetic_only = body | {"sources": {"synth": synth}, "splits": {"val": 0, "test": 0}}
    (tmp / "synthetic.yaml").write_text(yaml.safe_dump(synthetic_only))
    mix(load_mix_config(tmp / "synthetic.yaml"), tmp / "synthetic", progress=False)
    yamls = [out / "yolo/data.yaml" for out in outs.values()] + [tmp / "mix/data.yaml", tmp / "synthetic/data.yaml"]
    return tmp, outs, read_with_ultralytics(tmp, *yamls)


@needs_ultralytics
@pytest.mark.parametrize("config, mode", VARIANTS)
def test_ultralytics_finds_every_label_of_each_variant(written, config, mode):
    _, outs, found = written
    out = outs[config, mode]
    wanted = visible_instances(out)
    assert sum(map(len, wanted)) > 0
    data, splits = read_of(found, out / "yolo/data.yaml")
    assert data["task"] == mode and set(splits) == {"train", "val"}  # train and val: the same images
    names = sorted(p.name for p in (out / "images").iterdir())
    for labels in splits.values():
        assert [Path(label["image"]).name for label in labels] == names
        assert [len(label["cls"]) for label in labels] == [len(w) for w in wanted]
        for label, instances in zip(labels, wanted):
            assert [data["names"][c] for c in label["cls"]] == [i.category for i in instances]
            if mode in ("segment", "obb"):  # polygons and rotated boxes arrive as their points
                assert len(label["segments"]) == len(instances)
                assert mode == "segment" or set(label["segments"]) <= {4}
            if mode == "pose":
                count = max(len(c.keypoints) for c in small(config, 1).categories.categories)
                assert data["kpt_shape"] == [count, 3]
                check_keypoints(label, instances, count)


@needs_ultralytics
def test_mix_data_yaml_spans_the_splits(written):
    tmp, _, found = written
    out = tmp / "mix"
    doc = yaml.safe_load((out / "data.yaml").read_text())
    assert {k: doc[k] for k in ("train", "val", "test")} == {s: f"{s}/yolo/images" for s in ("train", "val", "test")}
    _, splits = read_of(found, out / "data.yaml")
    for split in ("train", "val", "test"):
        wanted = visible_instances(out / split)
        assert len(splits[split]) == len(wanted) > 0
        assert [len(label["cls"]) for label in splits[split]] == [len(w) for w in wanted]
    assert mix(load_mix_config(tmp / "mix.yaml"), out, progress=False).reused == 12  # data.yaml is the mix's own
    # synthetic sources only: no val split, so val is the train images (trainers need one)
    doc = yaml.safe_load((tmp / "synthetic/data.yaml").read_text())
    assert (doc["train"], doc["val"], "test" in doc) == ("train/yolo/images", "train/yolo/images", False)
    assert len(read_of(found, tmp / "synthetic/data.yaml")[1]["val"]) == 4


@needs_ultralytics
@pytest.mark.slow  # a renderer starts
def test_ultralytics_reads_driving_poses_with_coco_flip_index(tmp_path):
    pytest.importorskip("pyrender")
    from synthgen.driving.categories import COCO_KEYPOINTS

    out = tmp_path / "drive"
    config = load_run_config(
        ROOT / "configs/driving.yaml",
        ["scene.params.width=192", "scene.params.height=112", "num_samples=3", "outputs=[coco,yolo]"]
        + ["writers.yolo.mode=pose"],
    )
    generate(config, out, progress=False)
    wanted = visible_instances(out)
    data, splits = read_of(read_with_ultralytics(tmp_path, out / "yolo/data.yaml"), out / "yolo/data.yaml")
    package = Path(importlib.util.find_spec("ultralytics").origin).parent
    coco_pose = yaml.safe_load((package / "cfg/datasets/coco-pose.yaml").read_text())
    assert data["kpt_shape"] == coco_pose["kpt_shape"] == [17, 3]
    assert data["flip_idx"] == coco_pose["flip_idx"]  # left_/right_ pairs, as Ultralytics' own COCO pose set
    assert list(COCO_KEYPOINTS) == coco_pose["kpt_names"][0]
    labelled = 0
    for label, instances in zip(splits["train"], wanted, strict=True):
        assert len(label["cls"]) == len(instances)
        labelled += check_keypoints(label, instances, 17)
    assert labelled > 0  # someone's keypoints were written, not only the zeros of cars


def test_yolo_images_are_hard_links_and_runs_are_byte_identical(tmp_path):
    def run(out: Path, num: int, workers: int = 1):
        generate(small("shapes", num, "shard_size=2", "outputs=[coco,yolo]"), out, workers=workers, progress=False)

    run(tmp_path / "w1", 6)
    run(tmp_path / "w2", 6, workers=2)
    run(tmp_path / "resumed", 2)
    run(tmp_path / "resumed", 6, workers=2)
    # a run killed while committing shard 1: its images/ file moved in, its yolo/ files not yet
    run(tmp_path / "killed", 6)
    (tmp_path / "killed/.synthgen/shards/shard_000001.json").unlink()
    for rel in ("yolo/images/000000002.png", "yolo/labels/000000002.txt", "yolo/images/000000003.png"):
        (tmp_path / "killed" / rel).unlink()
    run(tmp_path / "killed", 6)

    reference = tree_hashes(tmp_path / "w1")
    assert len([k for k in reference if k.startswith("yolo/images/")]) == 6
    for name in ("w1", "w2", "resumed", "killed"):
        out = tmp_path / name
        assert [p for p in out.rglob("*") if p.is_symlink()] == []
        assert tree_hashes(out) == reference
        images = sorted((out / "images").iterdir())
        assert [p.name for p in sorted((out / "yolo/images").iterdir())] == [p.name for p in images]
        for image in images:  # one file on disk, through the commit's rename and the resume
            assert os.path.samefile(image, out / "yolo/images" / image.name) and image.stat().st_nlink == 2


def test_yolo_images_are_copies_where_hard_links_fail(tmp_path, monkeypatch):
    def no_links(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")  # as FAT or some network shares answer

    monkeypatch.setattr(os, "link", no_links)
    generate(small("shapes", 2, "outputs=[yolo]"), tmp_path / "ds", progress=False)
    assert [p for p in (tmp_path / "ds").rglob("*") if p.is_symlink()] == []
    for image in (tmp_path / "ds/images").iterdir():
        copy = tmp_path / "ds/yolo/images" / image.name
        assert not copy.is_symlink() and copy.read_bytes() == image.read_bytes() and image.stat().st_nlink == 1


def test_overwrite_and_the_earlier_link_layout(tmp_path):
    out = tmp_path / "ds"
    generate(small("shapes", 3, "outputs=[coco,yolo]", "writers.yolo.mode=segment"), out, progress=False)
    generate(small("shapes", 2, "seed=9", "outputs=[coco,yolo]"), out, overwrite=True, progress=False)
    assert sorted(p.name for p in (out / "yolo/images").iterdir()) == ["000000000.png", "000000001.png"]
    assert len(list((out / "yolo/labels").iterdir())) == 2
    assert yaml.safe_load((out / "yolo/data.yaml").read_text())["task"] == "detect"
    # a dataset of the earlier layout (yolo/images a link to ../images) still reads
    wanted = [[i.category for i in inst] for inst in visible_instances(out)]
    shutil.rmtree(out / "yolo/images")
    (out / "yolo/images").symlink_to(Path("..") / "images", target_is_directory=True)
    assert [[i.category for i in s.labels.instances] for s in read_yolo(out)] == wanted


def test_pose_needs_keypoints_and_flip_index_pairs_left_and_right():
    from synthgen.formats.yolo import flip_index

    with pytest.raises(ConfigError, match=r"^writers\.yolo: mode pose needs a category with keypoints"):
        small("text_words", 2, "outputs=[yolo]", "writers.yolo.mode=pose")
    assert flip_index(("nose", "left_eye", "right_eye", "left_hand"), 5) == [0, 2, 1, 3, 4]


TRAIN_ONE_EPOCH = """
import json, sys
from ultralytics import YOLO

data, project = sys.argv[1:]
model = YOLO("yolov8n.yaml")  # built from its yaml: nothing downloaded
model.train(data=data, project=project, name="detect", epochs=1, imgsz=64, batch=4, workers=0, device="cpu",
            amp=False, plots=False)
validator = model.trainer.validator
print(json.dumps({"images": validator.seen, "instances": int(validator.metrics.nt_per_class.sum())}))
"""


@needs_ultralytics
@pytest.mark.slow  # one epoch of yolov8n on the CPU: ~5 s, and ~10 s to start the process
def test_ultralytics_trains_an_epoch_on_a_generated_dataset(tmp_path):
    out = tmp_path / "ds"
    generate(small("shapes", 4, "outputs=[yolo]"), out, progress=False)
    cmd = [sys.executable, "-c", TRAIN_ONE_EPOCH, str(out / "yolo/data.yaml"), str(tmp_path / "runs")]
    run = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=ultralytics_env(tmp_path), timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen == {"images": 4, "instances": sum(map(len, visible_instances(out)))}


def test_the_reader_reads_pose_labels_back(tmp_path):
    out = tmp_path / "ds"
    generate(small("shapes", 3, "outputs=[coco,yolo]", "writers.yolo.mode=pose"), out, progress=False)
    written = list(read_dataset(out))
    read = list(read_yolo(out))
    table = read[0].labels.categories
    assert [c.keypoints for c in table.categories] == [c.keypoints for c in written[0].labels.categories.categories]
    for back, sample in zip(read, written):
        visible = [i for i in sample.labels.instances if i.area > 0]
        assert [i.category for i in back.labels.instances] == [i.category for i in visible]
        h, w = sample.image.shape[:2]
        for got, inst in zip(back.labels.instances, visible):
            if inst.keypoints is None:  # a ring: its line's slots are all 0 0 0, and it keeps none
                assert got.keypoints is None
                continue
            want = expected_keypoints([inst], len(inst.keypoints), w, h)[0] * (w, h, 1)
            np.testing.assert_allclose(got.keypoints, want, atol=1e-3)
    label = out / "yolo/labels/000000000.txt"
    fields = label.read_text().splitlines()[0].split()
    label.write_text(" ".join(fields[:7] + ["3"] + fields[8:]) + "\n")  # the first keypoint's visibility
    with pytest.raises(DatasetError, match=r"000000000.txt line 1: keypoint visibilities \[3.0, .* not all 0, 1 or 2$"):
        list(read_yolo(out))
    label.write_text(" ".join(fields[:-3]) + "\n")
    with pytest.raises(DatasetError, match=r"000000000.txt line 1: 31 numbers, but a pose line holds 34$"):
        list(read_yolo(out))
