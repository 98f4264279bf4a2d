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


def _scene_with_actors(pitch_deg: float = 0.0):
    rng = np.random.default_rng(3)
    actors = [
        fitted(vehicle("car", rng, (12.0, 1.0, 0.0), 0.3)),
        fitted(vehicle("bus", rng, (30.0, -4.0, 0.0), math.pi)),
        fitted(person(rng, (8.0, -2.0, 0.0), math.pi / 2)),
        fitted(person(rng, (10.0, 3.0, 0.0), -math.pi / 2, child=True)),
        crate((15.0, -1.6, 0.0), (0.6, 0.5, 0.4), heading=0.7),  # clear of the car (its mirrors)
    ]
    return spec_of(rig(pitch_deg=pitch_deg), [ground(), *actors])


@pytest.mark.parametrize("pitch", [0.0, 8.0])
def test_projected_3d_box_contains_the_visible_mask(pitch):
    spec = _scene_with_actors(pitch)
    _, labels = render(spec)
    cam = spec.camera
    assert len(labels.instances) == 5
    for inst in labels.instances:
        assert inst.visible
        # the Box3D's corners, projected, hold every visible pixel
        uv = cam.project_rectified(inst.box3d.corners())
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


@pytest.mark.parametrize("pitch", [0.0, 8.0])
def test_alone_pass_read_in_its_boxes_equals_the_full_render(pitch):
    from driving_helpers import SETTINGS, _resource

    from synthgen.driving.labels import amodal_bbox
    from synthgen.driving.meshes import object_mesh
    from synthgen.driving.pyrender_passes import seg_ids_in
    from synthgen.driving.render import build_scene, group_rect, import_pyrender

    pyrender = import_pyrender()
    spec = _scene_with_actors(pitch)
    objects = [o for o in spec.items if isinstance(o, SceneObject)]
    renderer = _resource.get(spec.width, spec.height)
    scene, seg = build_scene(pyrender, spec, SETTINGS.znear, SETTINGS.zfar, [object_mesh(o) for o in objects])
    renderer.render(scene)
    full_seg, full_depth = renderer.render(scene, flags=pyrender.RenderFlags.SEG, seg_node_map=seg)
    actors = [(node, c) for node, c in seg.items() if c[1] or c[2]]
    boxes = [amodal_bbox(o, spec.camera, SETTINGS.znear) for o in objects if o.instance]
    assert len(actors) == len(boxes) == 5
    for (node, color), box in zip(actors, boxes):
        alone, _ = renderer.render(scene, flags=pyrender.RenderFlags.SEG, seg_node_map={node: color})
        ids = (alone[:, :, 1].astype(np.int64) << 8) | alone[:, :, 2]
        x0, y0, x1, y1 = group_rect([box], spec.width, spec.height)
        got = seg_ids_in(renderer, pyrender, scene, {node: color}, (x0, y0, x1, y1))
        np.testing.assert_array_equal(got, ids[y0:y1, x0:x1])
        assert (ids[y0:y1, x0:x1] > 0).sum() == (ids > 0).sum() > 0  # the box's rect holds the whole object
    # and the scissor is off again: a full render gives the same layers as before
    again = renderer.render(scene, flags=pyrender.RenderFlags.SEG, seg_node_map=seg)
    np.testing.assert_array_equal(again[0], full_seg)
    np.testing.assert_array_equal(again[1], full_depth)


@pytest.mark.parametrize("pitch", [0.0, 8.0])
def test_passes_read_what_pyrenders_public_render_reads(pitch):
    """render_passes reads the RGB colour alone and draws the SEG pass single-sampled: the same
    RGB and SEG bytes as pyrender's public renders, depth within float32 rounding of the buffers',
    and pyrender's own render still works after it (its methods are back)."""
    from driving_helpers import SETTINGS, _resource

    from synthgen.driving.meshes import object_mesh
    from synthgen.driving.pyrender_passes import render_passes
    from synthgen.driving.render import build_scene, import_pyrender

    pyrender = import_pyrender()
    spec = _scene_with_actors(pitch)
    objects = [o for o in spec.items if isinstance(o, SceneObject)]
    renderer = _resource.get(spec.width, spec.height)
    scene, seg = build_scene(pyrender, spec, SETTINGS.znear, SETTINGS.zfar, [object_mesh(o) for o in objects])
    rgb, colors, depth = render_passes(renderer, pyrender, scene, seg)
    public_rgb, _ = renderer.render(scene)
    public_colors, public_depth = renderer.render(scene, flags=pyrender.RenderFlags.SEG, seg_node_map=seg)
    np.testing.assert_array_equal(rgb, public_rgb[:, :, :3])
    np.testing.assert_array_equal(colors, public_colors)
    assert rgb.flags.c_contiguous and colors.flags.c_contiguous and depth.dtype == np.float32
    np.testing.assert_array_equal(depth == 0, public_depth == 0)
    drawn = depth > 0
    assert drawn.mean() > 0.3
    np.testing.assert_allclose(depth[drawn], public_depth[drawn], rtol=2e-4)
    shadowed = ("_read_main_framebuffer", "_configure_forward_pass_viewport")
    assert not any(k in vars(renderer._renderer) for k in shadowed)


@pytest.mark.parametrize("points", [2, 7])
def test_lights_bound_once_a_pass_light_as_pyrender_lights_each_primitive(points, monkeypatch):
    """render_passes binds a pass's lights once per shader program and looks uniform locations up
    once: the same RGB bytes as pyrender's public render, which binds them for every primitive. With
    7 street lamps (more point lights than pyrender's shader takes, 4) pyrender lights each node by
    its 4 nearest lamps, so every primitive is bound again, and the bytes still match."""
    from dataclasses import replace

    from driving_helpers import SETTINGS, _resource
    from pyrender import shader_program

    from synthgen.driving.lights import Light
    from synthgen.driving.pyrender_passes import render_passes
    from synthgen.driving.render import build_scene, import_pyrender

    pyrender = import_pyrender()
    base = _scene_with_actors()
    lamps = tuple(
        Light("point", (1.0, 0.9, 0.7), 60.0 + 10 * i, position=(6.0 + 4 * i, (-1) ** i * 5.0, 6.0), range=25.0)
        for i in range(points)
    )
    heads = (
        Light("spot", (1.0, 1.0, 0.9), 300.0, position=(1.0, 0.8, 0.7), direction=(1, 0, -0.05), range=60.0),
        Light("spot", (1.0, 1.0, 0.9), 300.0, position=(1.0, -0.8, 0.7), direction=(1, 0, -0.05), range=60.0),
    )
    spec = replace(base, items=(*base.items, *lamps, *heads))
    renderer = _resource.get(spec.width, spec.height)
    scene, seg = build_scene(pyrender, spec, SETTINGS.znear, SETTINGS.zfar)
    locate = shader_program.glGetUniformLocation
    calls = []
    bind = type(renderer._renderer)._bind_lighting
    monkeypatch.setattr(type(renderer._renderer), "_bind_lighting", lambda *a: (calls.append(1), bind(*a)))
    rgb, _, _ = render_passes(renderer, pyrender, scene, seg)
    assert shader_program.glGetUniformLocation is locate  # put back after the passes
    primitives = sum(len(n.mesh.primitives) for n in scene.mesh_nodes)
    assert len(calls) == (1 if points <= 4 else primitives)  # one program lights this scene
    public_rgb, _ = renderer.render(scene)
    np.testing.assert_array_equal(rgb, public_rgb[:, :, :3])
    for node in list(scene.point_light_nodes | scene.spot_light_nodes):
        scene.remove_node(node)
    sun_only, _ = renderer.render(scene)
    assert np.abs(rgb.astype(int) - sun_only[:, :, :3]).max() > 30  # the lamps and headlights did light it


def test_box3d_of_a_pitched_camera_is_in_the_gravity_aligned_frame():
    # the rectified frame of a pitched camera is the level camera's: the same boxes, to the bit
    crate_ = crate((10.0, -2.0, 0.0), (4.0, 2.0, 1.5), heading=0.4)
    level = render(spec_of(rig(), [ground(), crate_]))[1].instances[0].box3d
    pitched_cam = rig(pitch_deg=8.0).camera()
    pitched = render(spec_of(rig(pitch_deg=8.0), [ground(), crate_]))[1].instances[0].box3d
    np.testing.assert_allclose(pitched.center, level.center, atol=1e-12)
    assert pitched.yaw == pytest.approx(level.yaw, abs=1e-12)
    np.testing.assert_array_equal(rig().camera().rectification(), np.eye(3))
    # R0_rect takes the camera's view of world up to rectified -y, and keeps the camera's x axis
    rect = pitched_cam.rectification()
    up_in_camera = pitched_cam.extrinsics[:3, :3] @ [0.0, 0.0, 1.0]
    np.testing.assert_allclose(rect @ up_in_camera, [0.0, -1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(rect @ [1.0, 0.0, 0.0], [1.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(rect @ rect.T, np.eye(3), atol=1e-12)


def _kitti_corners(o) -> np.ndarray:
    """(8, 3) corners of a KITTI label line as the KITTI devkit builds them (rectified frame)."""
    h, w, length = o.dimensions
    x = np.array([1, 1, -1, -1, 1, 1, -1, -1]) * length / 2
    y = np.array([0, 0, 0, 0, -h, -h, -h, -h])
    z = np.array([1, -1, -1, 1, 1, -1, -1, 1]) * w / 2
    c, s = math.cos(o.rotation_y), math.sin(o.rotation_y)
    roty = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    return (roty @ np.stack([x, y, z])).T + np.asarray(o.location)


def _outside_hull(uv: np.ndarray, mask: np.ndarray, tol: float) -> int:
    """How many pixel centres of ``mask`` lie farther than ``tol`` pixels outside the convex hull of ``uv``."""
    import cv2

    hull = cv2.convexHull(uv.astype(np.float32)).reshape(-1, 2).astype(np.float64)
    rows, cols = np.nonzero(mask)
    pts = np.stack([cols + 0.5, rows + 0.5], axis=1)
    area = np.sum(hull[:, 0] * np.roll(hull[:, 1], -1) - np.roll(hull[:, 0], -1) * hull[:, 1])
    orient = np.sign(area)
    outside = np.zeros(len(pts), bool)
    for a, b in zip(hull, np.roll(hull, -1, axis=0)):
        edge = b - a
        cross = edge[0] * (pts[:, 1] - a[1]) - edge[1] * (pts[:, 0] - a[0])
        outside |= orient * cross / np.linalg.norm(edge) < -tol
    return int(outside.sum())


@pytest.mark.parametrize("pitch", [0.0, 8.0])
def test_kitti_label_and_calib_project_boxes_that_hold_the_masks(tmp_path, pitch):
    from synthgen.formats.kitti import read_kitti, write_sample

    spec = _scene_with_actors(pitch)
    layers, labels = render(spec)
    sample = Sample(layers.rgb, labels, {"index": 0})
    record = to_record(sample, "images/000000000.png", "0")
    (tmp_path / "images").mkdir()
    (tmp_path / "images/000000000.png").write_bytes(b"")  # the writer links image_2/000000.png to it
    write_sample(sample, record, tmp_path)
    (frame,) = read_kitti(tmp_path / "kitti")
    p2, r0 = frame.calib["P2"], frame.calib["R0_rect"]
    visible = [i for i in labels.instances if i.visible]
    assert len(frame.objects) == len(visible) == 5
    naive_misses = 0
    for obj, inst in zip(frame.objects, visible):
        corners = _kitti_corners(obj)
        uvw = np.c_[corners, np.ones(8)] @ p2.T  # the devkit's projection: P2 @ X_rect
        assert (uvw[:, 2] > 0).all()
        # the label holds 2 decimals (1 cm, 0.01 rad): about half a pixel here
        assert _outside_hull(uvw[:, :2] / uvw[:, 2:], inst.visible_mask(), tol=1.0) == 0, (obj.type, pitch)
        # a world point reaches the same pixel through KITTI's chain P2 @ R0_rect @ Tr_velo_to_cam
        world = spec.camera.extrinsics
        centre_cam = r0.T @ (np.asarray(obj.location) - [0.0, obj.dimensions[0] / 2, 0.0])
        centre_world = np.linalg.inv(world) @ np.r_[centre_cam, 1.0]
        chain = p2 @ np.r_[r0 @ frame.calib["Tr_velo_to_cam"] @ centre_world, 1.0]
        direct = p2 @ np.r_[np.asarray(obj.location) - [0.0, obj.dimensions[0] / 2, 0.0], 1.0]
        np.testing.assert_allclose(chain[:2] / chain[2], direct[:2] / direct[2], atol=1e-3)
        # the camera's own K without R0_rect misses the mask once the camera is pitched
        k0 = np.c_[spec.camera.intrinsics, np.zeros(3)]
        naive = np.c_[corners, np.ones(8)] @ k0.T
        naive_misses += _outside_hull(naive[:, :2] / naive[:, 2:], inst.visible_mask(), tol=1.0) > 0
    if pitch == 0:
        np.testing.assert_allclose(r0, np.eye(3))
        np.testing.assert_allclose(p2[:, :3], spec.camera.intrinsics, rtol=1e-9)
        assert naive_misses == 0
    else:
        assert naive_misses == len(visible)
        import cv2

        k, rot, _, *_ = cv2.decomposeProjectionMatrix(p2)
        np.testing.assert_allclose(k / k[2, 2], spec.camera.intrinsics, atol=1e-6)
        np.testing.assert_allclose(rot, r0.T, atol=1e-6)


def _cyclist(position, heading: float, actor: int = 0):
    """A rider and a bicycle as the driving scene makes them (``make_actor``), tagged with one actor."""
    from dataclasses import replace

    from synthgen.driving.scene import make_actor

    parts = make_actor("cyclist", np.random.default_rng(actor + 11), position, heading, "walking", False)
    return [replace(fitted(o), attributes=(*o.attributes, ("actor", actor))) for o in parts]


@pytest.mark.parametrize("pitch,heading", [(0.0, 0.0), (0.0, math.pi / 2), (8.0, -2.4)])
def test_kitti_cyclist_is_rider_and_bicycle_in_one_box(tmp_path, pitch, heading):
    from synthgen.formats.kitti import read_kitti, write_sample

    car = fitted(vehicle("car", np.random.default_rng(5), (16.0, -3.0, 0.0), 0.2))
    spec = spec_of(rig(pitch_deg=pitch), [ground(), *_cyclist((8.0, 0.5, 0.0), heading), car])
    layers, labels = render(spec)
    sample = Sample(layers.rgb, labels, {"index": 7})
    record = to_record(sample, "images/000000007.png", "0")
    (tmp_path / "images").mkdir()
    (tmp_path / "images/000000007.png").write_bytes(b"png")
    write_sample(sample, record, tmp_path)
    # COCO keeps the parts; KITTI writes one Cyclist
    rider, bicycle, _ = labels.instances
    assert (rider.category, bicycle.category) == ("rider", "bicycle") and rider.visible and bicycle.visible
    (frame,) = read_kitti(tmp_path / "kitti")
    assert frame.stem == "000007" and [o.type for o in frame.objects] == ["Cyclist", "Car"]
    assert (tmp_path / "kitti/image_2/000007.png").read_bytes() == b"png"
    cyclist = frame.objects[0]
    mask = rider.visible_mask() | bicycle.visible_mask()
    rows, cols = np.nonzero(mask)
    assert cyclist.bbox == (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1)
    # its 3D box, as the devkit builds and projects it, holds the pixels of both parts
    uvw = np.c_[_kitti_corners(cyclist), np.ones(8)] @ frame.calib["P2"].T
    assert _outside_hull(uvw[:, :2] / uvw[:, 2:], mask, tol=1.0) == 0
    # ... and neither part's 3D box alone does (the rider's is what main wrote as Cyclist)
    for part in (rider, bicycle):
        alone = spec.camera.project_rectified(part.box3d.corners())
        assert _outside_hull(alone, mask, tol=1.0) > 0
    # along the bicycle, no bigger than the two boxes need
    assert cyclist.rotation_y == pytest.approx(bicycle.box3d.yaw, abs=0.006)
    h, w, length = cyclist.dimensions
    assert length == pytest.approx(max(rider.box3d.dimensions[0], bicycle.box3d.dimensions[0]), abs=0.1)
    # from the bicycle's wheels on the road to the rider's head (the rider's box starts at the pedals)
    bottom = max(b.center[1] + b.dimensions[2] / 2 for b in (rider.box3d, bicycle.box3d))
    top = min(b.center[1] - b.dimensions[2] / 2 for b in (rider.box3d, bicycle.box3d))
    assert h == pytest.approx(bottom - top, abs=0.006) and cyclist.location[1] == pytest.approx(bottom, abs=0.006)
    # nothing stands in front of it: fully visible, whatever the rider hides of the bicycle
    assert cyclist.occluded == 0 and cyclist.truncated == 0.0


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


def test_object_mesh_is_its_solids_one_after_another():
    """object_mesh moves the solids of one shape in one batched product: the same vertices, faces
    and colours, in the same order, as moving each solid on its own."""
    from synthgen.driving.animals import animal
    from synthgen.driving.meshes import object_mesh, solid_vertices

    rng = np.random.default_rng(5)
    objects = [
        person(rng, (8.0, -2.0, 0.0), 0.4),
        vehicle("bus", rng, (30.0, -4.0, 0.0), 1.0),
        animal("deer", rng, (20.0, 2.0, 0.0), 2.0),
        crate((15.0, -1.6, 0.0), (0.6, 0.5, 0.4), heading=0.7),  # clear of the car (its mirrors)
    ]
    for obj in objects:
        mesh = object_mesh(obj)
        vertices, faces, colors, offset = [], [], [], 0
        for solid in obj.solids:
            v, f = solid_vertices(solid)
            vertices.append(v)
            faces.append(f + offset)
            colors += [[*solid.color, 255]] * len(f)
            offset += len(v)
        np.testing.assert_array_equal(mesh.vertices, np.concatenate(vertices))
        np.testing.assert_array_equal(mesh.faces, np.concatenate(faces))
        np.testing.assert_array_equal(mesh.face_colors, np.array(colors, np.uint8))
    assert {s.shape for o in objects for s in o.solids} >= {"box", "cylinder", "sphere", "segment"}


def test_a_segment_mesh_runs_from_a_to_b_at_its_radius():
    """Geometry of the batched mesh checked without ``solid_vertices``: every vertex of a segment
    solid lies on its cylinder (radius r around the line a -> b; the two cap centres on the line)
    and spans exactly a to b; a box's vertices are its turned corners."""
    from synthgen.driving.meshes import object_mesh

    a, b, r = np.array([0.2, -0.4, 1.0]), np.array([1.1, 0.5, 0.3]), 0.07
    box = Solid("box", (2.0, 1.0, 0.5), (9, 9, 9), center=(3.0, 1.0, 0.25), rotation=(0.0, 0.0, 0.5))
    segment = Solid("segment", (r,), (1, 2, 3), a=tuple(a), b=tuple(b))
    obj = SceneObject("debris", "debris", (segment, box), (0.0, 0.0, 0.0), 0.0, (1.0, 1.0, 1.0))
    mesh = object_mesh(obj)
    axis = (b - a) / np.linalg.norm(b - a)
    n_segment = len(mesh.vertices) - 8  # a box has 8 corners, listed after the segment's
    seg = mesh.vertices[:n_segment] - a
    along = seg @ axis
    radial = np.linalg.norm(seg - along[:, None] * axis, axis=1)
    on_axis = radial < 1e-12
    assert on_axis.sum() == 2  # the cap centres
    np.testing.assert_allclose(radial[~on_axis], r, atol=1e-12)
    np.testing.assert_allclose([along.min(), along.max()], [0.0, np.linalg.norm(b - a)], atol=1e-12)
    c, s = np.cos(0.5), np.sin(0.5)
    corners = np.array([[x, y, z] for x in (-1.0, 1.0) for y in (-0.5, 0.5) for z in (-0.25, 0.25)])
    expected = corners @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]).T + [3.0, 1.0, 0.25]
    got = mesh.vertices[n_segment:]
    assert sorted(map(tuple, np.round(got, 9))) == sorted(map(tuple, np.round(expected, 9)))

