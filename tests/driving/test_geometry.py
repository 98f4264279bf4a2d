"""Labels of the mesh3d renderer against known geometry: ground-plane depth, 3D boxes that hold
their masks, occlusion of a hidden object, truncation at the image edge, keypoints where the joints
are drawn."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("pyrender")
pytest.importorskip("trimesh")

from driving_helpers import crate, ground, render, rig, spec_of, unproject

from synthgen.driving.meshes import fitted
from synthgen.driving.objects import SceneObject, Solid
from synthgen.driving.people import person
from synthgen.driving.vehicles import vehicle
from synthgen.formats.coco import coco_dataset
from synthgen.records import to_record
from synthgen.types import Sample


@pytest.mark.parametrize("pitch", [0.0, 6.0])
def test_ground_depth_is_the_ray_plane_distance(pitch):
    camera_rig = rig(pitch_deg=pitch, mount=1.6)
    layers, _ = render(spec_of(camera_rig, [ground()]))
    cam = camera_rig.camera()
    rows, cols = np.nonzero(np.isfinite(layers.depth))
    assert len(rows) > 0.3 * layers.depth.size
    k = cam.intrinsics
    rays = np.stack([(cols + 0.5 - k[0, 2]) / k[0, 0], (rows + 0.5 - k[1, 2]) / k[1, 1], np.ones(len(rows))], axis=1)
    world_dir = rays @ cam.extrinsics[:3, :3]  # R^T d
    expected = -1.6 / world_dir[:, 2]
    depth = layers.depth[rows, cols]
    near = expected < 60  # a 24-bit depth buffer loses precision far away
    assert np.abs(depth[near] - expected[near]).max() < 2e-3 * expected[near].max()
    np.testing.assert_allclose(depth[near], expected[near], rtol=1e-3)
    # unprojected ground pixels lie on the plane z = 0
    points = unproject(
        cam, cols[near].astype(np.float64), rows[near].astype(np.float64), depth[near].astype(np.float64)
    )
    assert np.abs(points[:, 2]).max() < 0.01
    # the sky above the horizon: no depth, semantic sky
    assert (layers.semantic_id[~np.isfinite(layers.depth)] == 23).all()
    assert (layers.semantic_id[np.isfinite(layers.depth)] == 7).all()
    assert (layers.instance_id == 0).all()


def _scene_with_actors():
    rng = np.random.default_rng(3)
    actors = [
        fitted(vehicle("car", rng, (12.0, 1.0, 0.0), 0.3)),
        fitted(vehicle("bus", rng, (30.0, -4.0, 0.0), math.pi)),
        fitted(person(rng, (8.0, -2.0, 0.0), math.pi / 2)),
        fitted(person(rng, (10.0, 3.0, 0.0), -math.pi / 2, child=True)),
        crate((15.0, -1.0, 0.0), (0.6, 0.5, 0.4), heading=0.7),
    ]
    return spec_of(rig(), [ground(), *actors])


def test_projected_3d_box_contains_the_visible_mask():
    spec = _scene_with_actors()
    _, labels = render(spec)
    cam = spec.camera
    assert len(labels.instances) == 5
    for inst in labels.instances:
        assert inst.visible
        # the Box3D's corners, projected, hold every visible pixel
        uv = cam.project(inst.box3d.corners())
        x0, y0 = uv.min(axis=0)
        x1, y1 = uv.max(axis=0)
        x, y, w, h = inst.bbox
        assert x0 - 1 <= x and y0 - 1 <= y and x + w <= x1 + 1 and y + h <= y1 + 1, (
            inst.category,
            inst.bbox,
            (x0, y0, x1, y1),
        )
        ax, ay, aw, ah = inst.amodal_bbox
        assert ax == pytest.approx(x0, abs=1e-6) and ay + ah == pytest.approx(y1, abs=1e-6)
        assert ax + aw == pytest.approx(x1, abs=1e-6) and ay == pytest.approx(y0, abs=1e-6)
        # nothing hides these ones: drawn alone they cover exactly what is visible
        assert inst.occlusion == 0.0, (inst.category, inst.occlusion, inst.area)
        assert inst.truncation == 0.0


def test_box3d_is_in_camera_coordinates_kitti_style():
    spec = spec_of(rig(), [ground(), crate((10.0, -2.0, 0.0), (4.0, 2.0, 1.5), heading=0.0)])
    _, labels = render(spec)
    (inst,) = labels.instances
    # world (10, -2, 0.75) -> camera x = 2 (right), y = 1.5 - 0.75 (down), z = 10
    np.testing.assert_allclose(inst.box3d.center, [2.0, 0.75, 10.0], atol=1e-9)
    np.testing.assert_allclose(inst.box3d.dimensions, [4.0, 2.0, 1.5])
    # heading along the road (away from the camera): KITTI rotation_y = -pi/2
    assert inst.box3d.yaw == pytest.approx(-math.pi / 2)


def test_fully_hidden_object_has_occlusion_1_and_is_not_exported():
    rng = np.random.default_rng(0)
    bus = fitted(vehicle("bus", rng, (12.0, 0.0, 0.0), math.pi / 2))  # across the road, 12 m wide
    hidden = fitted(person(rng, (16.0, 0.0, 0.0), 0.0))  # behind it
    spec = spec_of(rig(), [ground(), bus, hidden])
    layers, labels = render(spec)
    assert len(labels.instances) == 2
    person_inst = labels.instances[1]
    assert person_inst.category == "person"
    assert person_inst.area == 0 and not person_inst.visible
    assert person_inst.occlusion == 1.0
    assert person_inst.truncation == 0.0
    assert not (layers.instance_id == 2).any()
    record = to_record(Sample(layers.rgb, labels, {"index": 0}), "images/000000000.png", "0")
    coco = coco_dataset([record], labels.categories)
    assert [a["category_id"] for a in coco["annotations"]] == [28]  # the bus only


def test_object_half_out_of_the_frame_has_truncation_one_half():
    camera_rig = rig()
    cam = camera_rig.camera()
    # a 1 m cube at 10 m whose centre projects onto the left image edge (u = 0)
    z = 10.0
    x_cam = (0 - cam.intrinsics[0, 2]) / cam.intrinsics[0, 0] * z
    cube = SceneObject(
        "box",
        "obstacle",
        (Solid("box", (0.02, 1.0, 1.0), (200, 120, 60), (0.0, 0.0, 0.5)),),
        (z, -x_cam, 1.0),
        0.0,
        (0.02, 1.0, 1.0),
    )
    _, labels = render(spec_of(camera_rig, [ground(), cube]))
    (inst,) = labels.instances
    assert inst.truncation == pytest.approx(0.5, abs=0.03)
    assert inst.occlusion < 0.05
    ax, _, aw, _ = inst.amodal_bbox
    assert ax < 0 < ax + aw  # the amodal box leaves the image: it is not clipped


def test_keypoints_project_where_the_joints_are_rendered():
    rng = np.random.default_rng(5)
    walker = fitted(person(rng, (6.0, 0.5, 0.0), math.pi * 0.8))  # facing the camera, turned a little
    joints = walker.joints_world()
    # each joint drawn alone as a small sphere: where GL draws it is where the keypoint must be
    cam_rig = rig(640, 384)
    cam = cam_rig.camera()
    projected = cam.project(joints @ cam.extrinsics[:3, :3].T + cam.extrinsics[:3, 3])
    for p, q in zip(joints, projected):
        sphere = SceneObject(
            "j", "obstacle", (Solid("sphere", (0.03,), (255, 255, 255)),), tuple(p), 0.0, (0.06, 0.06, 0.06)
        )
        layers, _ = render(spec_of(cam_rig, [sphere]))
        rows, cols = np.nonzero(layers.instance_id == 1)
        assert len(rows) > 5
        centroid = np.array([cols.mean() + 0.5, rows.mean() + 0.5])
        assert np.abs(centroid - q).max() < 0.5, (centroid, q)
    # and the person's own keypoints: where a joint is marked seen, its pixel is that person's
    layers, labels = render(spec_of(cam_rig, [ground(), walker]))
    (inst,) = labels.instances
    kp = inst.keypoints
    assert kp.shape == (17, 3)
    np.testing.assert_allclose(kp[:, :2], projected, atol=1e-3)
    seen = kp[:, 2] == 2
    assert seen.sum() >= 10  # facing the camera: most joints are seen
    for x, y, _ in kp[seen]:
        assert layers.instance_id[int(y), int(x)] == 1


def test_keypoints_hidden_behind_a_car_are_marked_1_and_outside_0():
    rng = np.random.default_rng(2)
    car = fitted(vehicle("van", rng, (8.0, 0.0, 0.0), math.pi / 2))
    behind = fitted(person(rng, (11.0, 0.0, 0.0), math.pi, child=True))  # a child behind a van
    outside = fitted(person(rng, (3.0, -6.0, 0.0), math.pi))  # far to the right, out of the view
    _, labels = render(spec_of(rig(), [ground(), car, behind, outside]))
    child = labels.instances[1]
    # only its head might show above the van: the leg joints are hidden (1), not unlabelled
    assert (child.keypoints[11:, 2] == 1).all()
    assert all(i.category != "person" or i.area > 0 or i.occlusion == 1.0 for i in labels.instances)
    if len(labels.instances) > 2:
        out = labels.instances[2].keypoints
        assert ((out[:, 2] == 0) <= (out[:, 0] == 0)).all()


def test_occlusion_is_the_share_hidden_compared_with_the_object_drawn_alone():
    rng = np.random.default_rng(7)
    car = fitted(vehicle("car", rng, (10.0, -0.8, 0.0), 0.0))
    child = fitted(person(np.random.default_rng(8), (13.5, 0.2, 0.0), math.pi / 2, child=True))
    camera_rig = rig()
    _, both = render(spec_of(camera_rig, [ground(), car, child]))
    _, alone = render(spec_of(camera_rig, [ground(), child]))
    hidden_child, lone_child = both.instances[1], alone.instances[0]
    assert 0 < hidden_child.area < lone_child.area
    assert hidden_child.occlusion == pytest.approx(1 - hidden_child.area / lone_child.area, abs=1e-12)
    assert lone_child.occlusion == 0.0


def test_normals_of_the_ground_point_up_in_camera_coordinates():
    from driving_helpers import _resource

    from synthgen.driving.render import Mesh3DSettings, render_layers

    camera_rig = rig(pitch_deg=5.0)
    layers = render_layers(spec_of(camera_rig, [ground()]), Mesh3DSettings(0.3, 500.0, True), _resource)
    up = camera_rig.extrinsics()[:3, :3] @ np.array([0.0, 0.0, 1.0])  # world up, camera coordinates
    set_ = np.linalg.norm(layers.normals, axis=-1) > 0
    assert set_.sum() > 0.9 * np.isfinite(layers.depth).sum()
    assert (layers.normals[set_] @ up > 0.999).all()
    assert not set_[~np.isfinite(layers.depth)].any()
