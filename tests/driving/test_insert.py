"""driving_insert: actors of a scenario rendered into "real" frames (frames synthgen rendered, with
their KITTI calibration and labels, and a scikit-image photograph for a plain folder).

Checked against geometry known independently of the code under test: the inserted 3D boxes stand
on the frames' true road plane (the one they were rendered on) within 1 cm; their footprints meet
no labelled box; a labelled car in front hides exactly the actor pixels whose centres fall inside
its projected 3D box, and a car behind loses exactly the pixels the actor covers; the labels of
the objects no actor covers come out byte for byte as they went in; 1 and 2 workers give the same
bytes; bad frames folders are one line naming the file, before anything is written.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("pyrender")

from synthgen.config import load_run_config
from synthgen.driving.insert.scene import builtin_frames, sample_index
from synthgen.engine import generate
from synthgen.engine.pipeline import make_sample
from synthgen.engine.seeds import stage_rng
from synthgen.errors import ConfigError
from synthgen.formats.kitti import format_object, parse_label
from synthgen.formats.kitti_reader import instance_records
from synthgen.types import Box3D

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "driving_insert.yaml"
MOUNT = 1.5  # the builtin frames' camera height over their road (synthgen rendered them)
FOCAL = 640 / 2 / math.tan(math.radians(75) / 2)


def tree_hashes(root: Path) -> dict[str, str]:
    files = [p for p in sorted(root.rglob("*")) if p.is_file()]
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def inserted(sample):
    return [i for i in sample.labels.instances if i.attributes.get("inserted")]


def real(sample):
    return [i for i in sample.labels.instances if i.attributes.get("real")]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """12 samples of the shipped config: the 6 builtin frames twice, written as COCO, KITTI and YOLO."""
    out = tmp_path_factory.mktemp("insert") / "out"
    generate(load_run_config(CONFIG), out, workers=1, progress=False)
    return out


def single_actor_config(tmp_path: Path, frames: Path, extra: str = "") -> Path:
    """A run config inserting one standing pedestrian 15 m straight ahead into ``frames``."""
    path = tmp_path / "one.yaml"
    path.write_text(
        f"""name: one
seed: 3
num_samples: 1
scene:
  kind: driving_insert
  params:
    frames: {frames}
    shadow: 0.0
    scenario:
      name: one
      actors:
        walker: {{kind: pedestrian, distance: 15, lateral: 0, heading: 90, pose: standing}}
{extra}render: {{kind: mesh3d_insert}}
annotate:
  real: {{kind: insert_real}}
outputs: [coco, kitti]
"""
    )
    return path


def kitti_folder_with(tmp_path: Path, name: str, lines: list[str]) -> Path:
    """A KITTI folder holding builtin frame 000000's image and calibration, with these label lines."""
    folder = tmp_path / name
    for sub in ("image_2", "calib", "label_2"):
        (folder / sub).mkdir(parents=True)
    src = Path(builtin_frames())
    shutil.copy(src / "image_2" / "000000.jpg", folder / "image_2")
    shutil.copy(src / "calib" / "000000.txt", folder / "calib")
    (folder / "label_2" / "000000.txt").write_text("".join(line + "\n" for line in lines))
    return folder


def car_line(distance: float, height: float = 1.3) -> tuple[str, Box3D]:
    """A KITTI line of a car straight ahead (length along the view) and its 3D box (frame coordinates)."""
    box = Box3D(np.array([0.0, MOUNT - height / 2, distance]), np.array([4.0, 1.8, height]), -math.pi / 2)
    uv = project(box.corners())
    x1, y1 = uv.min(axis=0)
    x2, y2 = uv.max(axis=0)
    line = (
        f"Car 0.00 0 0.00 {x1:.2f} {y1:.2f} {x2:.2f} {y2:.2f} {height:.2f} 1.80 4.00 "
        f"0.00 {MOUNT:.2f} {distance:.2f} {-math.pi / 2:.2f}"
    )
    parsed = parse_label(line, "test")[0]
    # the box as the line holds it (2 decimals), which is what the renderer reads
    h, w, length = parsed.dimensions
    x, y, z = parsed.location
    return line, Box3D(np.array([x, y - h / 2, z]), np.array([length, w, h]), parsed.rotation_y)


def project(points: np.ndarray) -> np.ndarray:
    return np.c_[points[:, 0] / points[:, 2] * FOCAL + 320, points[:, 1] / points[:, 2] * FOCAL + 192]


def inside_projected_box(box: Box3D, width: int = 640, height: int = 384) -> np.ndarray:
    """(H, W) bool: the pixels whose centres fall inside the convex hull of the projected 3D box."""
    hull = cv2.convexHull(project(box.corners()).astype(np.float64).astype(np.float32))
    u, v = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    pts = np.stack([u.ravel(), v.ravel()], axis=1)
    inside = np.array([cv2.pointPolygonTest(hull, (float(x), float(y)), False) > 0 for x, y in pts])
    return inside.reshape(height, width)


def test_the_engine_seeds_the_scene_generator_with_the_sample_index():
    # driving_insert cycles frames by sample index, which it reads off the generator's seed sequence
    assert sample_index(stage_rng(5, 17, "scene")) == 17
    assert sample_index(np.random.default_rng(0)) is None


@pytest.mark.slow  # renders inserted driving frames
def test_inserted_boxes_stand_on_the_ground_within_1cm(dataset):
    for ground in ("auto", "calib", "boxes"):
        config = load_run_config(CONFIG, [f"scene.params.ground={ground}"])
        found = 0
        for index in range(4):
            sample = make_sample(config, index)
            assert sample.meta["scene"]["ground"]["source"] == ("calib" if ground == "auto" else ground)
            lowest: dict[int, float] = {}  # per actor (a cyclist is a rider on a bicycle): its lowest box bottom
            for inst in inserted(sample):
                bottom = inst.box3d.center[1] + inst.box3d.dimensions[2] / 2  # y is down: the true road is y = 1.5
                actor = inst.attributes["actor"]
                lowest[actor] = max(lowest.get(actor, -math.inf), bottom)
            for actor, bottom in lowest.items():
                assert abs(bottom - MOUNT) < 0.01, (ground, index, actor, bottom)
                found += 1
        assert found >= 4


@pytest.mark.slow  # renders inserted driving frames
def test_inserted_footprints_meet_no_labelled_box(dataset):
    config = load_run_config(CONFIG)
    for index in range(8):
        sample = make_sample(config, index)
        boxes = [i.box3d for i in real(sample) if i.box3d is not None]
        for inst in inserted(sample):
            mine = inst.box3d.corners()[:4][:, [0, 2]].astype(np.float32)
            for box in boxes:
                theirs = box.corners()[:4][:, [0, 2]].astype(np.float32)
                area, _ = cv2.intersectConvexConvex(mine, theirs)
                assert area <= 1e-6, (index, inst.attributes, box)


@pytest.mark.slow  # renders inserted driving frames
def test_a_real_car_in_front_hides_the_actor_pixel_by_pixel(tmp_path):
    alone_cfg = load_run_config(single_actor_config(tmp_path, kitti_folder_with(tmp_path, "empty", [])))
    alone = make_sample(alone_cfg, 0)
    (walker,) = inserted(alone)
    assert walker.occlusion == 0.0
    line, box = car_line(9.0)
    cfg = load_run_config(single_actor_config(tmp_path, kitti_folder_with(tmp_path, "front", [line])))
    sample = make_sample(cfg, 0)
    (hidden,) = inserted(sample)
    x1, y1, x2, y2 = np.rint(parse_label(line, "t")[0].bbox).astype(int)
    rect = np.zeros((384, 640), bool)
    rect[y1:y2, x1:x2] = True
    expected = walker.visible_mask() & ~(inside_projected_box(box) & rect)
    assert 0 < expected.sum() < walker.area  # the car hides part of the walker, not all of it
    np.testing.assert_array_equal(hidden.visible_mask(), expected)
    assert hidden.occlusion == pytest.approx(1 - expected.sum() / walker.area, abs=1e-9)
    # the car is in front: its labels are untouched
    (car,) = real(sample)
    assert car.original is not None and "covered_by_insert" not in car.attributes


@pytest.mark.slow  # renders inserted driving frames
def test_the_actor_hides_a_real_car_behind_it_pixel_by_pixel(tmp_path):
    line, _ = car_line(25.0, height=1.5)
    cfg = load_run_config(single_actor_config(tmp_path, kitti_folder_with(tmp_path, "behind", [line])))
    sample = make_sample(cfg, 0)
    (walker,) = inserted(sample)
    (car,) = real(sample)
    x1, y1, x2, y2 = np.rint(parse_label(line, "t")[0].bbox).astype(int)
    rect = np.zeros((384, 640), bool)
    rect[y1:y2, x1:x2] = True
    assert walker.occlusion == 0.0  # nothing real is in front of it
    expected = rect & ~walker.visible_mask()
    assert 0 < (rect & walker.visible_mask()).sum()
    np.testing.assert_array_equal(car.visible_mask(), expected)
    ys, xs = np.nonzero(expected)
    assert car.bbox == (xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
    assert car.area == expected.sum()
    assert car.attributes["covered_by_insert"] == rect.sum() - expected.sum()
    assert car.occlusion == pytest.approx(1 - expected.sum() / rect.sum())
    assert car.original is None
    level = 0 if car.occlusion < 0.15 else 1 if car.occlusion < 0.5 else 2
    assert car.attributes["occluded"] == level


@pytest.mark.slow  # renders inserted driving frames
def test_untouched_real_labels_come_out_byte_for_byte(dataset):
    frames = Path(builtin_frames())
    coco = json.loads((dataset / "annotations" / "coco.json").read_text())
    by_image: dict[int, list[dict]] = {}
    for a in coco["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    untouched = 0
    for image in coco["images"]:
        index = image["id"]
        stem = f"{index % 6:06d}"
        text = (frames / "label_2" / f"{stem}.txt").read_text()
        lines = text.splitlines()
        out_lines = (dataset / "kitti" / "label_2" / f"{index:06d}.txt").read_text().splitlines()
        objects = parse_label(text, stem)
        reader = instance_records(list(objects), np.zeros(3), 640, 384)
        for a in by_image.get(index, []):
            attrs = a.get("attributes", {})
            if not attrs.get("real") or "covered_by_insert" in attrs:
                continue
            n = attrs["label_line"] - 1
            assert lines[n] in out_lines  # the KITTI line, byte for byte
            rec = reader[n]
            x1, y1, x2, y2 = objects[n].bbox
            assert a["bbox"] == [x1, y1, x2 - x1, y2 - y1]  # COCO: the box as read
            assert a["area"] == rec["area"]
            assert a["box3d"]["center"] == pytest.approx(rec["box3d"]["center"])
            untouched += 1
        assert format_object(objects[0])  # the file parses as KITTI
    assert untouched >= 20


@pytest.mark.slow  # renders inserted driving frames
def test_frames_cycle_with_other_draws(dataset):
    config = load_run_config(CONFIG)
    first, again = make_sample(config, 0), make_sample(config, 6)
    assert first.meta["scene"]["frame"]["file"] == again.meta["scene"]["frame"]["file"] == "image_2/000000.jpg"
    assert (first.meta["scene"]["frame"]["cycle"], again.meta["scene"]["frame"]["cycle"]) == (0, 1)
    assert first.meta["scene"]["actors"] != again.meta["scene"]["actors"]


@pytest.mark.slow  # worker processes, a mix end to end, a synthgen process
def test_one_and_two_workers_give_the_same_bytes(dataset, tmp_path):
    config = load_run_config(CONFIG)
    generate(config, tmp_path / "w2", workers=2, progress=False)
    assert tree_hashes(dataset) == tree_hashes(tmp_path / "w2")


def test_a_plain_folder_of_photographs_with_a_camera(tmp_path):
    skdata = pytest.importorskip("skimage.data")
    photos = tmp_path / "photos"
    photos.mkdir()
    photo = skdata.chelsea()  # 451x300, a PNG here: no JPEG pass
    cv2.imwrite(str(photos / "chelsea.png"), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    extra = "    camera: {fov_deg: 60, mount_height: 1.4, pitch_deg: 4}\n    ground: camera\n"
    cfg = load_run_config(single_actor_config(tmp_path, photos, extra).as_posix(), ["scene.params.shadow=0"])
    sample = make_sample(cfg, 0)
    (walker,) = inserted(sample)
    assert walker.area > 50
    assert walker.box3d.center[1] + walker.box3d.dimensions[2] / 2 == pytest.approx(1.4, abs=0.01)
    assert sample.meta["scene"]["frame"]["file"] == "chelsea.png"
    # away from the actor the photograph is untouched
    x, y, w, h = walker.bbox
    far = np.ones(photo.shape[:2], bool)
    far[max(y - 12, 0) : y + h + 12, max(x - 12, 0) : x + w + 12] = False
    np.testing.assert_array_equal(sample.image[far], photo[far])


def _bad_kitti(tmp_path: Path, case: str) -> tuple[Path, str]:
    folder = kitti_folder_with(tmp_path, case, [])
    if case == "calib":
        (folder / "calib" / "000000.txt").write_text("P2: 1 2 three\n")
        return folder, "calib/000000.txt"
    if case == "no_p2":
        (folder / "calib" / "000000.txt").write_text("P0: 1 0 0 0 0 1 0 0 0 0 1 0\n")
        return folder, "calib/000000.txt: no 3x4 P2"
    if case == "image":
        (folder / "image_2" / "000001.png").write_bytes(b"not an image at all")
        return folder, "image_2/000001.png: not a readable image"
    if case == "missing_calib":
        shutil.copy(folder / "image_2" / "000000.jpg", folder / "image_2" / "000002.jpg")
        return folder, "calib/000002.txt: missing"
    if case == "label":
        (folder / "label_2" / "000000.txt").write_text("Car 0 0 1\n")
        return folder, "label_2/000000.txt line 1: expected 15 fields"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["calib", "no_p2", "image", "missing_calib", "label"])
def test_a_bad_frames_folder_names_the_file(case, tmp_path):
    folder, expected = _bad_kitti(tmp_path, case)
    with pytest.raises(ConfigError) as err:
        load_run_config(CONFIG, [f"scene.params.frames={folder}"])
    assert str(err.value).startswith("scene.params.frames: "), str(err.value)
    assert expected in str(err.value)


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("scene.params.frames=/no/such/folder", "scene.params.frames"),
        ("scene.params.ground=sky", "scene.params.ground"),
        ("scene.params.shadow=2", "scene.params.shadow"),
        ("scene.params.tries=0", "scene.params.tries"),
    ],
)
def test_a_bad_insert_config_names_its_key(override, key):
    with pytest.raises(ConfigError) as err:
        load_run_config(CONFIG, [override])
    assert str(err.value).startswith(f"{key}: "), str(err.value)


def test_a_plain_folder_without_a_camera_is_refused(tmp_path):
    (tmp_path / "photos").mkdir()
    shutil.copy(Path(builtin_frames()) / "image_2" / "000000.jpg", tmp_path / "photos")
    with pytest.raises(ConfigError) as err:
        load_run_config(CONFIG, [f"scene.params.frames={tmp_path / 'photos'}"])
    assert str(err.value).startswith("scene.params.camera: ")


@pytest.mark.slow  # worker processes, a mix end to end, a synthgen process
def test_the_command_line_says_one_line_and_writes_nothing(tmp_path):
    folder, expected = _bad_kitti(tmp_path, "calib")
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "synthgen", "generate", "driving_insert", "-o", str(out),
         f"scene.params.frames={folder}"],  # fmt: skip
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1 and expected in run.stderr
    assert not out.exists()


@pytest.mark.slow  # worker processes, a mix end to end, a synthgen process
def test_synthgen_mix_takes_it_as_a_source(tmp_path):
    import synthgen

    config = tmp_path / "mix.yaml"
    config.write_text(
        """name: mix_insert
seed: 0
categories: [person, car]
splits: {val: 0, test: 0}
sources:
  inserted:
    path: driving_insert
    format: generate
    real: false
    overrides: [num_samples=3]
    label_map: {person: person, car: car}
    unmapped: drop
"""
    )
    synthgen.mix_datasets(config, tmp_path / "mixed")
    coco = json.loads((tmp_path / "mixed" / "train" / "annotations" / "coco.json").read_text())
    assert len(coco["images"]) == 3
    real_cars = [a for a in coco["annotations"] if a.get("attributes", {}).get("real")]
    assert real_cars  # the frames' own cars come through the mix with the inserted actors


@pytest.mark.slow  # renders inserted driving frames
def test_a_kitti_calibration_with_a_camera_offset_and_a_velodyne_above_gives_the_same_frame(tmp_path):
    """KITTI's own calibration: P2 = K [I | t] (the colour camera 6 cm right of the reference one,
    where its labels are), and a Velodyne frame 8 cm above the camera (no road plane in it: the
    ground comes from the boxes). The labels moved by -t describe the same scene, so the same
    actors land on the same pixels."""
    src = Path(builtin_frames())
    same = kitti_folder_with(tmp_path, "same", (src / "label_2" / "000000.txt").read_text().splitlines())
    moved = kitti_folder_with(tmp_path, "moved", [])
    k = np.array([[FOCAL, 0, 320], [0, FOCAL, 192], [0, 0, 1]])
    t = np.array([0.06, 0.0, 0.0])
    p2 = np.c_[k, k @ t]
    velo = np.c_[np.array([[0, -1, 0], [0, 0, -1], [1, 0, 0]]), [0.0, -0.08, -0.27]]
    rows = {"P0": np.c_[k, np.zeros(3)], "P1": np.c_[k, np.zeros(3)], "P2": p2, "P3": p2, "R0_rect": np.eye(3),
            "Tr_velo_to_cam": velo, "Tr_imu_to_velo": np.eye(4)[:3]}  # fmt: skip
    (moved / "calib" / "000000.txt").write_text(
        "".join(f"{name}: " + " ".join(f"{v:.12e}" for v in m.reshape(-1)) + "\n" for name, m in rows.items())
    )
    lines = []
    for line in (src / "label_2" / "000000.txt").read_text().splitlines():
        f = line.split()
        f[11] = f"{float(f[11]) - t[0]:.2f}"  # location x in the reference camera
        lines.append(" ".join(f))
    (moved / "label_2" / "000000.txt").write_text("".join(line + "\n" for line in lines))
    a = make_sample(load_run_config(CONFIG, [f"scene.params.frames={same}", "scene.params.ground=boxes"]), 0)
    b = make_sample(load_run_config(CONFIG, [f"scene.params.frames={moved}"]), 0)  # auto: the calib has no road
    assert b.meta["scene"]["ground"] == a.meta["scene"]["ground"]
    assert inserted(a)
    np.testing.assert_array_equal(a.image, b.image)
    for x, y in zip(a.labels.instances, b.labels.instances):
        assert (x.bbox, x.area, x.rle) == (y.bbox, y.area, y.rle)
        np.testing.assert_allclose(x.box3d.center, y.box3d.center, atol=1e-9)


@pytest.mark.slow  # renders inserted driving frames
def test_a_child_steps_out_from_behind_a_real_parked_car():
    overrides = [f"scene.params.scenarios.{n}=0" for n in (
        "jaywalker_night_rain", "animal_crossing_dusk", "debris_highway", "cyclist_fog", "wrong_lane_vehicle")]  # fmt: skip
    config = load_run_config(CONFIG, [*overrides, "scene.params.anchors={parked_car: real_parked}"])
    stepped = 0
    for index in range(6):
        sample = make_sample(config, index)
        actors = sample.meta["scene"]["actors"]
        if actors[0]["kind"] != "real":
            continue  # a frame without a car parked to the right: the scenario's own car is inserted
        car = next(i for i in real(sample) if i.attributes["label_line"] == actors[0]["label_line"])
        assert car.attributes["type"] in ("Car", "Van", "Truck") and car.box3d.center[0] > 1.5
        assert not [i for i in inserted(sample) if i.category == "car"]  # the car is the frame's, not inserted
        for child in inserted(sample):
            dz = child.box3d.center[2] - car.box3d.center[2]
            dx = child.box3d.center[0] - car.box3d.center[0]
            assert 2.6 - 0.3 <= dz <= 3.4 + 0.3 and -1.5 - 0.3 <= dx <= -0.6 + 0.3, (index, dz, dx)
            stepped += 1
    assert stepped >= 2


def test_an_anchor_of_no_group_is_refused():
    with pytest.raises(ConfigError) as err:
        load_run_config(CONFIG, ["scene.params.anchors={parked_truck: real_parked}"])
    assert str(err.value).startswith("scene.params.anchors.parked_truck: no actor group")
    with pytest.raises(ConfigError) as err:
        load_run_config(CONFIG, ["scene.params.anchors={parked_car: real_bus}"])
    assert str(err.value).startswith("scene.params.anchors.parked_car: 'real_bus' is not one of real_parked")
