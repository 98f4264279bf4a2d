"""Driving runs end to end: every scenario generates and is tagged, scenarios mix by weight, the
dataset is identical for 1 and 2 workers and after a resume, pycocotools reads the COCO with
keypoints, KITTI files round-trip, dense layers are what was rendered, bad configs name their key."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("pyrender")

from synthgen.config import load_run_config
from synthgen.driving.camera import CameraRig
from synthgen.driving.scenario import scenario_folder
from synthgen.engine import generate
from synthgen.engine.context import WorkerContext
from synthgen.engine.pipeline import make_sample
from synthgen.engine.run import iter_records
from synthgen.errors import ConfigError
from synthgen.formats.kitti import (
    calib_lines,
    format_object,
    kitti_object,
    kitti_objects,
    kitti_stem,
    parse_calib,
    parse_label,
    read_kitti,
)

pytestmark = pytest.mark.slow  # renders driving frames end to end (EGL), some over many frames

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "driving.yaml"
SCENARIOS = sorted(p.stem for p in scenario_folder().glob("*.yaml"))
SMALL = ["scene.params.width=192", "scene.params.height=112"]


def only(name: str) -> list[str]:
    return [f"scene.params.scenarios.{n}={int(n == name)}" for n in SCENARIOS]


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_the_library_has_the_scenarios_of_the_issue():
    assert {
        "jaywalker_night_rain",
        "child_behind_parked_car",
        "animal_crossing_dusk",
        "debris_highway",
        "cyclist_fog",
        "wrong_lane_vehicle",
    } <= set(SCENARIOS)


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_scenario_generates_and_is_tagged(name):
    config = load_run_config(CONFIG, [*SMALL, *only(name)])
    ctx = WorkerContext(config)
    try:
        for index in range(2):
            sample = make_sample(config, index, ctx)
            assert sample.meta["scene"]["scenario"] == name
            assert sample.image.shape == (112, 192, 3)
            assert sample.labels.depth.shape == sample.labels.semantic.shape == (112, 192)
            assert sample.meta["scene"]["actors"], "a scenario places its actors"
            json.dumps(sample.meta)  # JSON-able
    finally:
        ctx.close()


def test_weather_follows_the_scenario():
    config = load_run_config(CONFIG, [*SMALL, *only("cyclist_fog")])
    sample = make_sample(config, 0, None)
    assert sample.meta["scene"]["weather"] == "fog"
    assert "visibility" in sample.meta["generate"]["fog"]
    assert sample.meta["augment"]["rain"] == {"skipped": "weather"}
    config = load_run_config(CONFIG, [*SMALL, *only("jaywalker_night_rain")])
    sample = make_sample(config, 0, None)
    assert sample.meta["scene"]["time_of_day"] == "night"
    assert "density" in sample.meta["augment"]["rain"]


def test_scenarios_mix_by_weight():
    config = load_run_config(
        CONFIG,
        [
            *SMALL,
            *(f"scene.params.scenarios.{n}=0" for n in SCENARIOS),
            "scene.params.scenarios.debris_highway=3",
            "scene.params.scenarios.wrong_lane_vehicle=1",
        ],
    )
    from synthgen.engine.seeds import stage_rng
    from synthgen.scene import SCENES

    kind = SCENES.get("driving")
    names = [kind.sample(config.scene.settings, stage_rng(0, i, "scene")).params["scenario"] for i in range(200)]
    share = names.count("debris_highway") / len(names)
    assert set(names) == {"debris_highway", "wrong_lane_vehicle"}
    assert 0.65 < share < 0.85


def _small_run(tmp_path, name, num=6, shard=2):
    return load_run_config(CONFIG, [*SMALL, f"num_samples={num}", f"shard_size={shard}", "outputs=[coco,kitti,dense]"])


def test_workers_1_and_2_and_resume_give_identical_datasets(tmp_path):
    config = _small_run(tmp_path, "w")
    generate(config, tmp_path / "w1", workers=1, progress=False)
    generate(config, tmp_path / "w2", workers=2, progress=False)
    h1 = tree_hashes(tmp_path / "w1")
    assert h1 == tree_hashes(tmp_path / "w2")
    assert any(k.startswith("kitti/label_2/") for k in h1) and any(k.startswith("labels/depth/") for k in h1)
    # a run stopped after 2 of its 3 shards, then resumed, gives the same bytes
    first = load_run_config(CONFIG, [*SMALL, "num_samples=4", "shard_size=2", "outputs=[coco,kitti,dense]"])
    generate(first, tmp_path / "r", workers=1, progress=False)
    resumed = generate(config, tmp_path / "r", workers=2, progress=False)
    assert resumed.reused == 4
    assert tree_hashes(tmp_path / "r") == h1
    # kitti/image_2 holds hard links to images/, made in the shards' staging folders and still
    # links once the shards are moved into place
    for out in ("w1", "w2", "r"):
        for i in range(6):
            image, linked = tmp_path / out / f"images/{i:09d}.png", tmp_path / out / f"kitti/image_2/{i:06d}.png"
            assert not linked.is_symlink() and linked.stat().st_ino == image.stat().st_ino, (out, i)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("driving") / "d"
    config = load_run_config(
        CONFIG, [*SMALL, "num_samples=8", "shard_size=4", "outputs=[coco,kitti,dense]", *only("jaywalker_night_rain")]
    )
    generate(config, out, workers=1, progress=False)
    return out


def test_pycocotools_reads_the_coco_with_keypoints(dataset):
    from pycocotools.coco import COCO

    coco = COCO(str(dataset / "annotations" / "coco.json"))
    cats = {c["id"]: c for c in coco.loadCats(coco.getCatIds())}
    assert cats[24]["name"] == "person" and len(cats[24]["keypoints"]) == 17 and cats[26]["name"] == "car"
    people = coco.loadAnns(coco.getAnnIds(catIds=[24]))
    assert people, "the jaywalker scenario has a pedestrian in view"
    for ann in people:
        assert len(ann["keypoints"]) == 51
        assert ann["num_keypoints"] == sum(1 for v in ann["keypoints"][2::3] if v > 0)
        mask = coco.annToMask(ann)
        assert mask.sum() == ann["area"] > 0
        for x, y, v in np.reshape(ann["keypoints"], (-1, 3)):
            if v == 2:
                assert mask[int(y), int(x)]
            if v == 0:
                assert x == y == 0


def test_kitti_files_round_trip(dataset):
    records = list(iter_records(dataset, 2))
    frames = {f.stem: f for f in read_kitti(dataset / "kitti")}
    assert len(frames) == len(records) == 8
    lines = 0
    for rec in records:
        frame = frames[kitti_stem(rec["file_name"])]
        expected = kitti_objects(rec["instances"])
        assert len(frame.objects) == len(expected)
        for got, want in zip(frame.objects, expected):
            lines += 1
            assert got.type == want.type and got.occluded == want.occluded
            np.testing.assert_allclose(
                [got.truncated, got.alpha, *got.bbox, *got.dimensions, *got.location, got.rotation_y],
                [want.truncated, want.alpha, *want.bbox, *want.dimensions, *want.location, want.rotation_y],
                atol=0.005 + 1e-9,
            )
            # KITTI's location is the bottom centre: y grows by half the height from the box centre
            assert got.location[1] == pytest.approx(want.location[1], abs=0.006)
        k = np.asarray(rec["camera"]["intrinsics"]).reshape(3, 3)
        np.testing.assert_allclose(frame.calib["P2"], np.hstack([k, np.zeros((3, 1))]), rtol=1e-9)
        np.testing.assert_allclose(frame.calib["R0_rect"], np.eye(3))
        assert set(frame.calib) == {"P0", "P1", "P2", "P3", "R0_rect", "Tr_velo_to_cam", "Tr_imu_to_velo"}
    assert lines > 0


def _part(kind, bbox, area, occlusion, truncation, center, dimensions, yaw, actor=3):
    category = {"rider": "rider", "bicycle": "bicycle"}.get(kind, "person")
    attributes = {"type": kind} if actor is None else {"type": kind, "actor": actor}
    box3d = {"center": center, "dimensions": dimensions, "yaw": yaw}
    return {"category": category, "attributes": attributes, "bbox": bbox, "area": area, "occlusion": occlusion,
            "truncation": truncation, "box3d": box3d}  # fmt: skip


def test_kitti_cyclist_from_the_records_of_rider_and_bicycle():
    yaw = 0.3
    rider = _part("rider", [100, 40, 30, 60], 800, 0.2, 0.0, [1.0, 0.2, 10.0], [0.5, 0.6, 1.4], yaw)
    bicycle = _part("bicycle", [90, 70, 60, 40], 300, 0.4, 0.5, [1.0, 0.5, 10.0], [1.7, 0.6, 1.0], yaw)
    walker = _part("pedestrian", [10, 10, 10, 30], 200, 0.0, 0.0, [-2.0, 0.1, 9.0], [0.5, 0.6, 1.7], 0.0, actor=0)
    cyclist, person = kitti_objects([rider, walker, bicycle])
    assert (cyclist.type, person.type) == ("Cyclist", "Pedestrian")
    assert cyclist.bbox == (90, 40, 150, 110)
    # drawn alone 800 / 0.8 + 300 / 0.6 = 1500 px, 1100 seen: occlusion 0.27, level 1; on the
    # unbounded canvas 1000 + 1000 px, 1500 in the image: truncation 0.25
    assert cyclist.occluded == 1 and cyclist.truncated == pytest.approx(0.25)
    # the same heading: the box from the wheels (y 1.0) to the head (y -0.5), the bicycle's length
    assert cyclist.rotation_y == yaw and cyclist.dimensions == pytest.approx((1.5, 0.6, 1.7))
    assert cyclist.location == pytest.approx((1.0, 1.0, 10.0))
    # a rider hidden behind something, its bicycle seen: still a Cyclist, the bicycle's 2D box; the
    # rider's pixels drawn alone from the amodal boxes: 500 px in the bicycle's 1000 px box, so 600 in
    # the rider's 1200: occlusion 1 - 300 / 1100, level 2 (the bicycle alone would say 0.4, level 1)
    hidden_rider = {**rider, "area": 0, "occlusion": 1.0, "bbox": [0, 0, 0, 0], "amodal_bbox": [98, 38, 30, 40]}
    (cyclist,) = kitti_objects([hidden_rider, {**bicycle, "amodal_bbox": [88, 70, 50, 20]}])
    assert cyclist.type == "Cyclist" and cyclist.bbox == (90, 70, 150, 110) and cyclist.occluded == 2
    # both hidden: no line; a bicycle with no rider of its actor stays Misc
    assert kitti_objects([hidden_rider, {**bicycle, "area": 0, "occlusion": 1.0}]) == []
    (lone,) = kitti_objects([{**bicycle, "attributes": {"type": "bicycle"}}])
    assert lone.type == "Misc" and lone.bbox == (90, 70, 150, 110)


def test_kitti_line_format_round_trips():
    inst = {"category": "car", "attributes": {"type": "van"}, "bbox": [10, 20, 30, 40], "area": 5, "occlusion": 0.3, "truncation": 0.25,
            "box3d": {"center": [1.0, 0.5, 12.0], "dimensions": [5.0, 2.0, 2.2], "yaw": -math.pi / 2}}  # fmt: skip
    obj = kitti_object(inst)
    assert obj.type == "Van" and obj.occluded == 1 and obj.bbox == (10, 20, 40, 60)
    assert obj.dimensions == (2.2, 2.0, 5.0) and obj.location == (1.0, 1.6, 12.0)
    assert obj.alpha == pytest.approx(-math.pi / 2 - math.atan2(1.0, 12.0))
    (back,) = parse_label(format_object(obj) + "\n", "x")
    assert back.type == "Van" and back.occluded == 1
    np.testing.assert_allclose(
        [back.alpha, *back.location, back.rotation_y], [round(obj.alpha, 2), 1.0, 1.6, 12.0, -1.57]
    )
    level = CameraRig(640, 384, 500.0, 1.5).extrinsics()  # a level camera: R0_rect = I, P2 = K [I | 0]
    cam = {"intrinsics": [500, 0, 320, 0, 500, 192, 0, 0, 1], "extrinsics": list(level.ravel())}
    calib = parse_calib(calib_lines(cam), "x")
    np.testing.assert_allclose(calib["P2"][:, :3], np.reshape(cam["intrinsics"], (3, 3)))


def test_dense_layers_are_the_rendered_ones(dataset):
    from pycocotools.coco import COCO

    coco = COCO(str(dataset / "annotations" / "coco.json"))
    for stem in ("000000000", "000000005"):
        depth = np.load(dataset / "labels" / "depth" / f"{stem}.npy")
        mm = cv2.imread(str(dataset / "labels" / "depth" / f"{stem}.png"), cv2.IMREAD_UNCHANGED)
        assert mm.dtype == np.uint16 and mm.shape == depth.shape
        finite = np.isfinite(depth) & (depth < 65)
        assert np.abs(mm[finite] / 1000.0 - depth[finite]).max() <= 0.0005 + 1e-6
        assert (mm[~np.isfinite(depth)] == 0).all()
        ids = cv2.imread(str(dataset / "labels" / "semantic" / f"{stem}.png"), cv2.IMREAD_UNCHANGED)
        color = cv2.imread(str(dataset / "labels" / "semantic" / f"{stem}_color.png"))[:, :, ::-1]
        assert (color[ids == 7] == (128, 64, 128)).all() and (color[ids == 23] == (70, 130, 180)).all()
        assert (ids[~np.isfinite(depth)] == 23).all()
        # every visible person's mask is semantic 'person' (24)
        for ann in coco.loadAnns(coco.getAnnIds(imgIds=[int(stem)], catIds=[24])):
            assert (ids[coco.annToMask(ann).astype(bool)] == 24).all()


def test_geometric_augment_is_refused_for_driving_scenes(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_run_config(CONFIG, ["augment.tilt.kind=affine"])
    assert str(err.value).startswith("augment.tilt") and "box3d" in str(err.value)


@pytest.mark.parametrize(
    "override,key",
    [
        ("scene.params.scenarios.nonexistent=1", "scene.params.scenarios.nonexistent"),
        ("scene.params.camera.fov_deg=200", "scene.params.camera.fov_deg"),
        ("scene.params.scenario.actors.x.kind=plane", "scene.params.scenario.actors.x.kind"),
        ("render.params.znear=0", "render.params.znear"),
    ],
)
def test_bad_driving_config_names_its_key(override, key):
    with pytest.raises(ConfigError) as err:
        load_run_config(CONFIG, [override])
    assert str(err.value).startswith(f"{key}: "), str(err.value)


def test_kitti_reader_names_the_bad_file_and_line(tmp_path):
    from synthgen.errors import DatasetError

    with pytest.raises(DatasetError, match="no label_2"):
        read_kitti(tmp_path)
    (tmp_path / "label_2").mkdir()
    (tmp_path / "label_2" / "000001.txt").write_text("Car 0.00 0 0.1 1 2 3 4 1.5 1.6 4.0 1 2 10 0.2\nCar 0 0 1\n")
    with pytest.raises(DatasetError) as err:
        read_kitti(tmp_path)
    assert "000001.txt:2: expected 15 fields, got 4" in str(err.value)


def test_preview_draws_the_3d_boxes_from_the_shard_cameras(dataset, tmp_path):
    import shutil

    from PIL import Image

    from synthgen.preview import _palette, box3d_segments, write_preview

    # a copy without the amodal boxes and keypoints, drawn in the same colour, in the sample records
    # (what the preview of a synthgen dataset reads) and in coco.json (what it reads of a COCO folder)
    root = tmp_path / "d"
    shutil.copytree(dataset, root)
    coco = json.loads((root / "annotations" / "coco.json").read_text())
    for ann in coco["annotations"]:
        ann.pop("amodal_bbox", None)
        ann.pop("keypoints", None)
    (root / "annotations" / "coco.json").write_text(json.dumps(coco))
    for shard_file in (root / ".synthgen" / "shards").glob("shard_*.json"):
        shard = json.loads(shard_file.read_text())
        for inst in (i for r in shard["samples"] for i in r["instances"]):
            inst.pop("amodal_bbox", None)
            inst.pop("keypoints", None)
        shard_file.write_text(json.dumps(shard))
    first = coco["images"][0]
    anns = [a for a in coco["annotations"] if a["image_id"] == first["id"]]
    assert anns and all("box3d" in a for a in anns)
    (rec,) = [r for r in iter_records(dataset, 2) if r["file_name"] == first["file_name"]]
    scale = min(384 / first["width"], 384 / first["height"], 4.0)

    def edge_hits(sheet: np.ndarray) -> tuple[int, int]:
        hits = misses = 0
        for k, ann in enumerate(anns):
            for (ua, va), (ub, vb) in box3d_segments(ann["box3d"], rec["camera"]):
                x, y = 4 + scale * (ua + ub) / 2, 4 + scale * (va + vb) / 2  # the tile sits 4 px into the sheet
                if 6 <= x < 4 + scale * first["width"] - 2 and 6 <= y < 4 + scale * first["height"] - 2:
                    patch = sheet[int(y) - 1 : int(y) + 2, int(x) - 1 : int(x) + 2].reshape(-1, 3)
                    if (patch == _palette(k)).all(axis=1).any():
                        hits += 1
                    else:
                        misses += 1  # another label drawn over it
        return hits, misses

    def sheet() -> np.ndarray:
        return np.asarray(Image.open(write_preview(root, tmp_path / "p.png", num=1, tile=384)).convert("RGB"))

    hits, misses = edge_hits(sheet())
    assert hits >= 4 and hits >= 3 * misses, (hits, misses)
    (root / "manifest.json").unlink()  # a COCO folder alone: no cameras, no wireframes
    assert edge_hits(sheet())[0] == 0


SCENARIO_FILES = {
    "the-file-a-list": ("- 1\n- 2\n", "the file must be a mapping, got a list"),
    "params-a-list": ("params: [1, 2]\n", "params must be a mapping, got a list"),
    "params-a-number": ("params: 5\n", "params must be a mapping, got a number"),
    "scenario-a-list": ("params:\n  scenario: [1, 2]\n", "params.scenario must be a mapping, got a list"),
    "scenario-a-string": ("params:\n  scenario: night\n", "params.scenario must be a mapping, got a string"),
    "road-a-list": ("params:\n  scenario:\n    road: [1, 2]\n", ".road: expected a mapping, got a list"),
    "actors-a-list": ("params:\n  scenario:\n    actors: [1, 2]\n", ".actors: expected a mapping, got a list"),
    "empty": ("", "has no params.scenario section"),
}


@pytest.mark.parametrize("case", SCENARIO_FILES, ids=list(SCENARIO_FILES))
def test_a_scenario_file_of_the_wrong_shape_is_one_line(case, tmp_path, capsys):
    from synthgen.cli import main

    text, words = SCENARIO_FILES[case]
    scenario = tmp_path / "mine.yaml"
    scenario.write_text(text, encoding="utf-8")
    config = tmp_path / "run.yaml"
    config.write_text(CONFIG.read_text(encoding="utf-8").replace("jaywalker_night_rain: 2", f"{scenario}: 2"))
    out = tmp_path / "out"
    assert main(["generate", str(config), "-o", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"scene.params.scenarios.{scenario}" in err[0] and words in err[0], err
    assert not out.exists()


# A machine where the renderer cannot start: (environment changes, modules made unimportable, words)
NO_RENDERER = {
    "bogus-platform": ({"PYOPENGL_PLATFORM": "bogus"}, (), "PYOPENGL_PLATFORM=bogus"),
    "glx-without-display": ({"PYOPENGL_PLATFORM": "glx", "DISPLAY": ""}, (), "PYOPENGL_PLATFORM=glx"),
    "osmesa-without-osmesa": ({"PYOPENGL_PLATFORM": "osmesa"}, (), "PYOPENGL_PLATFORM=osmesa"),
    "no-egl-driver": ({"__EGL_VENDOR_LIBRARY_FILENAMES": "/nonexistent/vendor.json"}, (), "libegl1 libegl-mesa0"),
    "no-pyrender": ({}, ("pyrender",), "pip install 'synthgen-cv[3d]'"),
    "no-trimesh": ({}, ("trimesh",), "pip install 'synthgen-cv[3d]'"),
}


@pytest.mark.parametrize("case", NO_RENDERER, ids=list(NO_RENDERER))
def test_a_machine_where_the_renderer_cannot_start_is_one_line_before_any_file(case, tmp_path):
    import os
    import subprocess
    import sys

    env_changes, hidden, words = NO_RENDERER[case]
    env = {**os.environ, **env_changes}
    env.pop("PYOPENGL_PLATFORM", None) if "PYOPENGL_PLATFORM" not in env_changes else None
    out = tmp_path / "out"
    code = (
        "import sys\n"
        f"for name in {list(hidden)!r}: sys.modules[name] = None\n"
        "from synthgen.cli import main\n"
        f"sys.exit(main(['generate', 'driving', '-o', {str(out)!r}, '--num', '4', '--workers', '2',"
        " '--no-progress', 'scene.params.width=64', 'scene.params.height=48']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    err = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(err) == 1 and words in err[0] and err[0].startswith("synthgen: error: render:"), (
        proc.returncode, proc.stderr[-2000:])
    assert not out.exists()


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_scenario_included_by_name_brings_only_its_own_actors(name, tmp_path):
    """The kind's defaults were the first shipped scenario (animal_crossing_dusk): including any other
    scenario by name merged its deer and dog group into every frame."""
    import yaml

    config = tmp_path / "one.yaml"
    config.write_text(
        f"name: one\nnum_samples: 4\nscene:\n  include: driving/{name}\n  params: {{width: 96, height: 64}}\n"
        "render: {kind: mesh3d}\noutputs: [coco]\n"
    )
    own = yaml.safe_load((scenario_folder() / f"{name}.yaml").read_text())["params"]["scenario"].get("actors", {})
    loaded = load_run_config(config)
    assert set(loaded.resolved["scene"]["params"]["scenario"]["actors"]) == set(own)
    for index in range(2):
        groups = {a["group"] for a in make_sample(loaded, index).meta["scene"]["actors"]}
        assert groups <= set(own), groups
