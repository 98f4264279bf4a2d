"""People and vehicles: body variety, clothes, carried things, body styles, colours from their
published distributions; labels stay exact (keypoints are the skeleton's joints, the 3D box holds
every solid); the shipped config has pedestrians near enough to be 100-300 px tall."""

from __future__ import annotations

import math

import numpy as np
import pytest
from driving_helpers import TABLE, ground, render, rig, spec_of

from synthgen.config import load_run_config
from synthgen.driving.meshes import fitted, object_mesh
from synthgen.driving.people import POSES, person, skeleton
from synthgen.driving.scenario import scenario_folder
from synthgen.driving.vehicles import FLEET, VEHICLE_KINDS, vehicle
from synthgen.engine.pipeline import make_sample
from synthgen.formats.kitti import kitti_objects
from synthgen.types import Instance

# the material names driving/materials.py implements (the contract between actors and the renderer)
MATERIALS = {
    "matte", "paint", "glass", "rubber", "metal", "plastic", "skin", "cloth", "hair", "plate", "head_light",
    "tail_light", "window_lit",
}  # fmt: skip


def _inside_box(obj) -> bool:
    lo, hi = object_mesh(obj).bounds
    length, width, height = obj.dimensions
    eps = 1e-9
    return np.all(lo >= [-length / 2 - eps, -width / 2 - eps, -eps]) and np.all(
        hi <= [length / 2 + eps, width / 2 + eps, height + eps]
    )


@pytest.mark.parametrize("pose", POSES)
@pytest.mark.parametrize("age", ["adult", "child", "elderly"])
def test_people_of_every_age_and_pose_keep_their_joints_and_box(age, pose):
    for seed in range(4):
        walker = fitted(person(np.random.default_rng(seed), (6.0, 0.0, 0.0), 1.0, pose=pose, age=age))
        assert dict(walker.attributes)["age"] == age and dict(walker.attributes)["pose"] == pose
        assert _inside_box(walker)
        assert len(walker.joints) == 17 and len(walker.joint_radius) == 17
        # the feet on the ground, the head at the top
        assert min(s.center[2] for s in walker.solids if s.shape == "sphere") >= -1e-9
        joints = np.asarray(walker.joints)
        assert joints[:5, 2].min() > joints[5:, 2].max() - 0.05  # face above the body's joints
        assert {s.material for s in walker.solids} <= MATERIALS


def test_heights_by_age_follow_their_ranges():
    heights = {
        age: [
            fitted(person(np.random.default_rng(seed), (0, 0, 0), 0.0, pose="standing", age=age)).dimensions[2]
            for seed in range(60)
        ]
        for age in ("adult", "child", "elderly")
    }
    assert 0.95 <= min(heights["child"]) and max(heights["child"]) <= 1.5  # the build height, give or take the hair
    assert 1.45 <= min(heights["adult"]) and max(heights["adult"]) <= 2.05
    assert np.mean(heights["child"]) < np.mean(heights["elderly"]) < np.mean(heights["adult"]) + 0.05
    # bodies differ in girth and shape, not only in height: the 3D boxes of equal heights differ in width
    widths = [
        fitted(person(np.random.default_rng(s), (0, 0, 0), 0.0, pose="standing", age="adult")).dimensions[1]
        for s in range(20)
    ]
    assert max(widths) - min(widths) > 0.08


def test_skeleton_joints_are_the_keypoints():
    """The keypoints of a person are its skeleton's joints for the same draws (the solids are built
    around them and never move them)."""
    from synthgen.driving.categories import COCO_KEYPOINTS

    walker = person(np.random.default_rng(3), (0, 0, 0), 0.0, pose="standing", age="adult")
    joints = dict(zip(COCO_KEYPOINTS, np.asarray(walker.joints)))
    # a standing adult: left joints on +y, right on -y; ankles at the bottom, shoulders above the hips
    for name in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle", "eye", "ear"):
        assert joints[f"left_{name}"][1] > joints[f"right_{name}"][1]
    assert joints["left_shoulder"][2] > joints["left_hip"][2] > joints["left_knee"][2] > joints["left_ankle"][2]
    # the gait cycle moves the legs: two phases give other ankle positions
    a = skeleton(1.75, False, "walking", 0.0)
    b = skeleton(1.75, False, "walking", math.pi / 2)
    assert np.linalg.norm(a["left_ankle"] - b["left_ankle"]) > 0.1
    run = skeleton(1.75, False, "running", math.pi / 2)
    assert run["left_elbow"][2] > run["left_wrist"][2] - 0.2  # running: forearms bent up, near level


@pytest.mark.parametrize("pose", ["walking", "running", "crossing"])
def test_the_stance_foot_stays_on_the_ground_along_the_gait_cycle(pose):
    """A swung or bent leg reaches less far down than a straight one: the pelvis drops so that the
    lower ankle is where a standing person's is (the body does not float above its shadow)."""
    standing = skeleton(1.75, False, "standing", 0.0)
    ground_ankle = min(standing["left_ankle"][2], standing["right_ankle"][2])
    for phase in np.linspace(0, 2 * math.pi, 9):
        j = skeleton(1.75, False, pose, float(phase))
        assert min(j["left_ankle"][2], j["right_ankle"][2]) == pytest.approx(ground_ankle, abs=1e-3)
        assert j["left_hip"][2] <= standing["left_hip"][2] + 1e-3


def test_an_ellipsoid_is_a_sphere_with_three_semi_axes():
    from synthgen.driving.meshes import solid_vertices
    from synthgen.driving.objects import Solid

    vertices, _ = solid_vertices(Solid("sphere", (0.3, 0.2, 0.1), (0, 0, 0), (1.0, 2.0, 3.0), (0.0, 0.0, math.pi / 2)))
    local = vertices - np.array([1.0, 2.0, 3.0])
    # turned a quarter about z: its long axis along y
    assert np.ptp(local, axis=0) == pytest.approx([0.4, 0.6, 0.2], rel=0.03)  # 12 facets round
    assert np.sum((local / np.array([0.2, 0.3, 0.1])) ** 2, axis=1) == pytest.approx(np.ones(len(local)), abs=1e-6)


def test_a_head_is_narrower_than_it_is_tall_with_the_ears_on_its_sides():
    """Adult heads are ~0.088 x height wide and ~0.13 x height tall (vertex to chin); the ear
    keypoints lie on the skull's sides, the eyes ~6 cm apart."""
    from synthgen.driving.categories import COCO_KEYPOINTS
    from synthgen.driving.meshes import solid_vertices

    for seed in range(5):
        walker = person(np.random.default_rng(seed), (0, 0, 0), 0.0, pose="standing", age="adult")
        h = walker.dimensions[2]
        skull = np.concatenate([solid_vertices(s)[0] for s in walker.solids[:2]])  # skull and face
        width, height = np.ptp(skull[:, 1]), np.ptp(skull[:, 2])
        assert 0.075 * h < width < 0.1 * h and 0.115 * h < height < 0.14 * h
        joints = dict(zip(COCO_KEYPOINTS, np.asarray(walker.joints)))
        ears = joints["left_ear"][1] - joints["right_ear"][1]
        assert ears == pytest.approx(width, rel=0.05)
        assert 0.055 < joints["left_eye"][1] - joints["right_eye"][1] < 0.075


def test_a_crossing_pedestrian_turns_its_head_to_the_traffic():
    turned = skeleton(1.75, False, "crossing", 0.0, head_turn=math.radians(45))
    ahead = skeleton(1.75, False, "walking", 0.0)

    def nose_dir(j):
        return (j["nose"] - j["head"])[:2]

    angle = math.degrees(math.atan2(nose_dir(turned)[1], nose_dir(turned)[0]))
    assert angle == pytest.approx(45, abs=1)
    assert math.degrees(math.atan2(nose_dir(ahead)[1], nose_dir(ahead)[0])) == pytest.approx(0, abs=1e-6)


def test_an_umbrella_is_held_over_the_head_and_is_not_part_of_the_person():
    from synthgen.driving.people import umbrella

    rng = np.random.default_rng(1)
    walker = person(rng, (8.0, 0.5, 0.0), 2.0, umbrella=True, age="adult")
    shade = umbrella(rng, walker)
    assert dict(walker.attributes).get("umbrella") is True
    assert not shade.instance and shade.category == "dynamic"
    # the grip in the right hand, the canopy above the head
    wrist = np.asarray(walker.joints[10])
    lo, hi = object_mesh(shade).bounds
    assert lo[2] < wrist[2] < hi[2] and hi[2] > walker.dimensions[2] + 0.2
    # the person's labels are its body's: its box is as tall as the body, and the umbrella hides its head
    # from a camera looking down at it, never adds to its mask
    walker, shade = fitted(walker), fitted(shade)
    _, alone = render(spec_of(rig(640, 384), [ground(), walker]))
    _, under = render(spec_of(rig(640, 384), [ground(), walker, shade]))
    (a,), (b,) = alone.instances, under.instances
    assert b.bbox[3] <= a.bbox[3] and b.area <= a.area
    assert _inside_box(walker)


def test_the_face_and_the_clothes_are_drawn():
    walker = person(np.random.default_rng(0), (0, 0, 0), 0.0, age="adult")
    materials = [s.material for s in walker.solids]
    assert materials.count("cloth") >= 8 and materials.count("skin") >= 6
    # eyes: dark pupils next to the eye keypoints
    from synthgen.driving.categories import COCO_KEYPOINTS

    joints = dict(zip(COCO_KEYPOINTS, np.asarray(walker.joints)))
    for eye in ("left_eye", "right_eye"):
        near = [
            s
            for s in walker.solids
            if s.shape == "sphere" and np.linalg.norm(np.subtract(s.center, joints[eye])) < 0.02
        ]
        assert len(near) >= 2  # the white and the pupil


@pytest.mark.parametrize("kind", sorted(VEHICLE_KINDS))
def test_vehicles_have_wheels_windows_lights_and_plates(kind):
    for seed in range(5):
        car = fitted(vehicle(kind, np.random.default_rng(seed), (0, 0, 0), 0.4, lights_on=seed % 2 == 1))
        materials = [s.material for s in car.solids]
        assert materials.count("rubber") >= 2  # tyres
        assert "metal" in materials  # rims
        assert materials.count("head_light") >= 1 and materials.count("tail_light") >= 1
        assert "plate" in materials
        if kind != "motorbike":
            assert materials.count("glass") >= 3 and materials.count("rubber") >= 4
        assert set(materials) <= MATERIALS
        assert _inside_box(car)
    assert VEHICLE_KINDS["motorbike"][0] == "motorcycle"


def test_car_bodies_and_fleet_colours():
    bodies, colors = [], []
    for seed in range(400):
        car = vehicle("car", np.random.default_rng(seed), (0, 0, 0), 0.0)
        bodies.append(dict(car.attributes)["body"])
        colors.append(next(s.color for s in car.solids if s.material == "paint"))
    assert set(bodies) == {"sedan", "hatchback", "suv"}
    # white, black, grey and silver: 81 % of the fleet in the report the weights come from
    neutral = sum(1 for c in colors if max(c) - min(c) < 20)
    assert 0.7 < neutral / len(colors) < 0.92
    assert FLEET[1].sum() == pytest.approx(1.0)


def test_a_motorcyclist_is_one_kitti_cyclist_and_a_lone_motorbike_misc():
    from synthgen.driving.scene import make_actor

    rider, bike = make_actor("motorcyclist", np.random.default_rng(0), (10.0, 1.0, 0.0), 0.3, "walking", True)
    rider = fitted(rider)
    bike = fitted(bike)
    assert (rider.category, bike.category) == ("rider", "motorcycle")
    tag = (("actor", 0),)
    from dataclasses import replace

    rider, bike = (
        replace(rider, attributes=(*rider.attributes, *tag)),
        replace(bike, attributes=(*bike.attributes, *tag)),
    )
    lone = fitted(vehicle("motorbike", np.random.default_rng(1), (14.0, -3.0, 0.0), 0.0))
    _, labels = render(spec_of(rig(640, 384), [ground(), rider, bike, lone]))
    assert [i.category for i in labels.instances] == ["rider", "motorcycle", "motorcycle"]
    assert TABLE.id_of("motorcycle") == 32  # Cityscapes' id
    objects = kitti_objects(labels.instances)
    assert [o.type for o in objects] == ["Cyclist", "Misc"]
    # the Cyclist's box holds both parts' visible boxes
    x0 = min(i.bbox[0] for i in labels.instances[:2])
    assert objects[0].bbox[0] == pytest.approx(x0)


def test_umbrellas_come_with_rain_in_scenes():
    from synthgen.driving.scene import make_actor

    def actors(weather):
        return [
            make_actor("pedestrian", np.random.default_rng(s), (8, 0, 0), 0.0, "walking", False, weather=weather)
            for s in range(40)
        ]

    rainy, dry = actors("rain"), actors("clear")
    held = [objs for objs in rainy if dict(objs[0].attributes).get("umbrella", False)]
    assert 0.2 < len(held) / len(rainy) < 0.6
    assert all(len(objs) == 2 and objs[1].name == "umbrella" for objs in held)
    assert all(len(objs) == 1 for objs in dry)


def _only(name: str) -> list[str]:
    names = sorted(p.stem for p in scenario_folder().glob("*.yaml"))
    return [f"scene.params.scenarios.{n}={int(n == name)}" for n in names]


def test_the_shipped_config_has_pedestrians_100_to_300_px_tall():
    """Real dashcam footage has pedestrians 100-300 px tall at 640x384 (a few metres ahead): the
    shipped config draws them (pedestrian_close), measured on the labels of rendered frames."""
    shipped = load_run_config("driving")
    params = shipped.resolved["scene"]["params"]
    assert params["scenarios"]["pedestrian_close"] > 0 and (params["width"], params["height"]) == (640, 384)
    config = load_run_config("driving", _only("pedestrian_close"))
    heights = []
    for index in range(4):
        sample = make_sample(config, index)
        (ped,) = [i for i in sample.labels.instances if i.category == "person"]
        assert isinstance(ped, Instance) and ped.occlusion < 0.3
        heights.append(ped.bbox[3])
    assert all(100 <= h <= 300 for h in heights), heights
