"""The driving camera model: lens distortion (image and labels), white balance, exposure, noise,
vignetting, motion blur and JPEG (``driving.lens``, ``driving.sensor``)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from driving_helpers import SETTINGS, TABLE, crate, ground, rig, spec_of

from synthgen.annotate import annotate
from synthgen.driving.labels import to_camera
from synthgen.driving.lens import distort_normalized, make_lens, undistort_normalized
from synthgen.driving.lights import Environment, Light
from synthgen.driving.objects import SceneObject, Solid
from synthgen.driving.render import RENDERER, OffscreenResource
from synthgen.driving.sensor import SensorSettings, Shot, develop, exposure, light_colour, vignette
from synthgen.errors import ConfigError
from synthgen.types import Layers

BARREL = (-0.28, 0.07, 0.0008, -0.0006, 0.0)  # a dashcam's wide lens
_resource = OffscreenResource()


def render_distorted(camera_rig, objects, dist=BARREL, time_of_day="day"):
    """(layers, labels, lens) of objects seen through a distorting lens, by the registered renderer."""
    lens = make_lens(camera_rig.camera(), dist, "sensor.distortion")
    spec = spec_of(camera_rig, objects, time_of_day)
    spec = dataclasses.replace(spec, items=(*spec.items, lens))
    layers = RENDERER.render(spec, SETTINGS, _resource)
    return layers, annotate(layers, spec, TABLE), lens


def marker(position, radius=0.06):
    return SceneObject(
        "m", "obstacle", (Solid("sphere", (radius,), (255, 255, 255)),), tuple(position), 0.0, (2 * radius,) * 3
    )


def test_distortion_round_trips_and_matches_opencv():
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(0)
    xy = rng.uniform(-0.8, 0.8, (200, 2))
    dist = np.array(BARREL)
    back = undistort_normalized(distort_normalized(xy, dist), dist)
    np.testing.assert_allclose(back, xy, atol=1e-10)
    camera = rig(640, 384).camera()
    lens = make_lens(camera, BARREL, "k")
    points = np.c_[xy * 5, np.full(len(xy), 5.0)]
    ours = lens.project(points)
    theirs, _ = cv2.projectPoints(points, np.zeros(3), np.zeros(3), camera.intrinsics, dist)
    inside = np.hypot(xy[:, 0], xy[:, 1]) <= lens.r_limit
    np.testing.assert_allclose(ours[inside], theirs[inside, 0], atol=1e-9)


@pytest.mark.slow  # renders driving frames through the lens
@pytest.mark.parametrize("dist", [BARREL, (0.12, 0.0, 0.0, 0.0, 0.0)])
def test_a_3d_point_lands_on_its_distorted_pixel(dist):
    camera_rig = rig(640, 384)
    camera = camera_rig.camera()
    # small spheres across the view, towards the corners where the lens bends most
    for point in ((6.0, 3.2, 0.3), (8.0, -4.6, 2.9), (5.0, 0.0, 1.5), (7.0, 4.0, 3.3)):
        layers, _, lens = render_distorted(camera_rig, [marker(point)], dist)
        rows, cols = np.nonzero(layers.instance_id == 1)
        assert len(rows) > 5, point
        centroid = np.array([cols.mean() + 0.5, rows.mean() + 0.5])
        expected = lens.project(to_camera(camera, np.array([point])))[0]
        assert np.abs(centroid - expected).max() < 0.6, (point, centroid, expected)


def test_labels_are_distorted_with_the_image():
    camera_rig = rig(640, 384)
    camera = camera_rig.camera()
    box = crate((7.0, -3.0, 0.0), (1.0, 1.0, 1.6))
    layers, labels, lens = render_distorted(camera_rig, [ground(), box])
    assert layers.rgb.shape == (384, 640, 3) and layers.instance_id.shape == (384, 640)
    assert layers.depth.shape == (384, 640) and layers.semantic_id.shape == (384, 640)
    (inst,) = labels.instances
    # the mask's box is the distorted box's visible extent: its corners and edges through the lens
    x, y, w, h = inst.bbox
    ax, ay, aw, ah = inst.amodal_bbox
    assert ax == pytest.approx(x, abs=1.0) and ay == pytest.approx(y, abs=1.0)
    assert ax + aw == pytest.approx(x + w, abs=1.0) and ay + ah == pytest.approx(y + h, abs=1.0)
    # the pinhole box is elsewhere: the lens moved it
    pinhole = camera.project(to_camera(camera, box.box_corners_world()))
    assert abs(pinhole[:, 0].min() - x) > 3
    # ids and depth moved together: the box's depth is its distance along the camera axis
    ys, xs = np.nonzero(layers.instance_id == 1)
    assert np.all((layers.depth[ys, xs] > 6.4) & (layers.depth[ys, xs] < 7.6))
    assert inst.occlusion == pytest.approx(0.0, abs=0.02) and inst.truncation == pytest.approx(0.0, abs=1e-9)
    # the 3D box does not depend on the lens
    np.testing.assert_allclose(inst.box3d.center, [3.0, 1.5 - 0.8, 7.0], atol=1e-9)


def test_keypoints_go_through_the_lens():
    from synthgen.driving.meshes import fitted
    from synthgen.driving.people import person

    walker = fitted(person(np.random.default_rng(5), (6.0, 1.5, 0.0), math.pi * 0.8))
    camera_rig = rig(640, 384)
    layers, labels, lens = render_distorted(camera_rig, [ground(), walker])
    (inst,) = labels.instances
    expected = lens.project(to_camera(camera_rig.camera(), walker.joints_world()))
    seen = inst.keypoints[:, 2] > 0
    assert seen.sum() >= 12
    np.testing.assert_allclose(inst.keypoints[seen, :2], expected[seen], atol=1e-3)
    for x, y, v in inst.keypoints:
        if v == 2:
            assert layers.instance_id[int(y), int(x)] == 1


@pytest.mark.slow  # renders driving frames through the lens
def test_occlusion_keeps_its_ratio_through_the_lens():
    camera_rig = rig(640, 384)
    front = crate((6.0, -2.0, 0.0), (0.4, 0.6, 2.0))
    back = crate((9.0, -2.3, 0.0), (0.4, 1.6, 1.2))
    _, both, _ = render_distorted(camera_rig, [ground(), front, back])
    _, alone, _ = render_distorted(camera_rig, [ground(), back])
    hidden, lone = both.instances[1], alone.instances[0]
    assert 0.1 < hidden.occlusion < 0.9
    assert hidden.occlusion == pytest.approx(1 - hidden.area / lone.area, abs=0.02)


@pytest.mark.slow  # renders driving frames through the lens
def test_an_object_in_the_wide_margin_only_is_not_labelled():
    camera_rig = rig(640, 384)
    lens = make_lens(camera_rig.camera(), BARREL, "k")
    # the wide pixel farthest from what the output sees (beside an edge's middle: the barrel pulls
    # the edges in): unproject it to 6 m
    cv2 = pytest.importorskip("cv2")
    away = cv2.distanceTransform((~lens.coverage).astype(np.uint8), cv2.DIST_L2, 5)
    row, col = np.unravel_index(np.argmax(away), away.shape)
    assert away[row, col] > 10
    k = lens.wide.intrinsics
    xy = np.array([(col + 0.5 - k[0, 2]) / k[0, 0], (row + 0.5 - k[1, 2]) / k[1, 1]])
    cam_point = np.array([xy[0] * 6, xy[1] * 6, 6.0])
    e = lens.camera.extrinsics
    world = (cam_point - e[:3, 3]) @ e[:3, :3]
    layers, labels, _ = render_distorted(camera_rig, [marker(world, 0.05)])
    assert labels.instances == () and not (layers.instance_id > 0).any()


def test_a_folding_lens_and_kitti_with_distortion_are_refused_at_load(tmp_path):
    from synthgen import load_config

    with pytest.raises(ConfigError, match=r"scene\.params\.sensor\.distortion: .*folds the image over itself"):
        load_config("driving", ["scene.params.sensor.distortion=[-0.9,0,0,0,0]"])
    with pytest.raises(ConfigError, match=r"sensor\.distortion: must be \[k1, k2, p1, p2, k3\]"):
        load_config("driving", ["scene.params.sensor.distortion=[-0.1,0]"])
    with pytest.raises(ConfigError, match=r"^outputs: kitti cannot carry scene\.params\.sensor\.distortion"):
        load_config("driving", ["scene.params.sensor.distortion=[-0.1,0,0,0,0]"])
    config = load_config("driving", ["scene.params.sensor.distortion=[-0.1,0,0,0,0]", "outputs=[coco]"])
    assert config.scene.settings.lens is not None


def flat_layers(value=0.3, size=(96, 160), depth=None):
    rgb = np.full((*size, 3), round(value * 255), np.uint8)
    return Layers(rgb=rgb, instance_id=np.zeros(size, np.int32), geometry={}, depth=depth)


def shot_spec(time_of_day="day", lights=(), size=(96, 160), shot=Shot(0.0, 0.0, 0, 7)):
    camera_rig = rig(size[1], size[0])
    spec = spec_of(camera_rig, [], time_of_day)
    items = tuple(i for i in spec.items if not isinstance(i, (Light, Environment)))
    env = Environment((0, 0, 0), (0.1, 0.1, 0.1), time_of_day)
    return dataclasses.replace(spec, items=(*items, env, *lights, shot))


def test_white_balance_takes_out_the_light_colour():
    warm = (Light("directional", (1.0, 0.6, 0.35), 2.0),)
    assert light_colour(shot_spec(lights=warm)) == pytest.approx([1 / 0.6, 1.0, 0.35 / 0.6])
    quiet = SensorSettings.from_config({"read_noise": 0, "full_well": 1e7, "vignetting": 0, "auto_exposure": 0}, "s")
    full = dataclasses.replace(quiet, white_balance=1.0)
    rgb = develop(full, shot_spec(lights=warm), flat_layers()).rgb.reshape(-1, 3).mean(axis=0)
    assert rgb[0] < rgb[1] < rgb[2]  # a grey under orange light comes out blue: the light's colour taken out
    none = dataclasses.replace(quiet, white_balance=0.0)
    assert np.abs(develop(none, shot_spec(lights=warm), flat_layers()).rgb.astype(int) - 77).max() <= 1


def test_noise_grows_at_night_and_is_the_seeds():
    s = SensorSettings.from_config({"vignetting": 0, "white_balance": 0, "auto_exposure": 0}, "s")
    day = develop(s, shot_spec("day"), flat_layers(0.2)).rgb.astype(float)
    night = develop(s, shot_spec("night"), flat_layers(0.2)).rgb.astype(float)
    assert 0.3 < day.std() < 3 and night.std() > 2.5 * day.std()
    assert exposure("night", s)[1] == s.max_gain and exposure("day", s) == (s.base_shutter_s, 1.0)
    again = develop(s, shot_spec("night"), flat_layers(0.2)).rgb
    other = develop(s, shot_spec("night", shot=Shot(0.0, 0.0, 0, 8)), flat_layers(0.2)).rgb
    assert np.array_equal(again, night.astype(np.uint8)) and not np.array_equal(other, again)


def test_noise_reduction_smooths_night_grain_keeps_edges_and_leaves_day_alone():
    """The ISP's denoising takes most of the night grain out of a flat grey, keeps a step of more
    contrast than the noise as sharp as without it, and leaves a day frame (gain 1) byte for byte."""
    base = {"vignetting": 0, "white_balance": 0, "auto_exposure": 0}
    raw = SensorSettings.from_config({**base, "noise_reduction": 0}, "s")
    isp = SensorSettings.from_config(base, "s")
    assert isp.noise_reduction == 1.0
    grainy = develop(raw, shot_spec("night"), flat_layers(0.3)).rgb.astype(float)  # a lit road's grey
    smooth = develop(isp, shot_spec("night"), flat_layers(0.3)).rgb.astype(float)
    assert grainy.std() > 6 and smooth.std() < 0.6 * grainy.std()
    assert abs(smooth.mean() - grainy.mean()) < 1.0  # the grain is smoothed, not the brightness changed
    step = flat_layers(0.1)
    step.rgb[:, 80:] = round(0.6 * 255)
    sharp = develop(raw, shot_spec("night"), step).rgb[:, :, 1].astype(float).mean(axis=0)
    kept = develop(isp, shot_spec("night"), step).rgb[:, :, 1].astype(float).mean(axis=0)
    assert kept[81] - kept[78] > 0.9 * (sharp[81] - sharp[78]) > 60  # the edge keeps its contrast
    assert np.array_equal(develop(raw, shot_spec("day"), step).rgb, develop(isp, shot_spec("day"), step).rgb)


def test_vignetting_darkens_the_corners_by_its_strength():
    camera = rig(160, 96).camera()
    falloff = vignette(camera, 0.3)
    assert falloff.min() == pytest.approx(0.7, abs=1e-6) and falloff.max() == pytest.approx(1.0, abs=2e-3)
    assert falloff[0, 0] == falloff.min() and np.array_equal(vignette(camera, 0.0), np.ones((96, 160), np.float32))


def test_motion_blur_follows_the_ground_flow_and_leaves_labels():
    s = SensorSettings.from_config(
        {"vignetting": 0, "white_balance": 0, "auto_exposure": 0, "read_noise": 0, "full_well": 1e7}, "s"
    )
    size = (96, 160)
    rgb = np.zeros((*size, 3), np.uint8)
    rgb[:, ::8] = 255  # vertical stripes: a sideways flow smears them, a vertical one does not
    depth = np.full(size, 3.0, np.float32)
    depth[:10] = np.inf  # the sky stays sharp
    layers = Layers(rgb=rgb, instance_id=np.ones(size, np.int32), geometry={}, depth=depth)
    still = develop(s, shot_spec("night"), layers)
    moving = develop(s, shot_spec("night", shot=Shot(15.0, 0.0, 0, 7)), layers)
    assert np.array_equal(moving.instance_id, layers.instance_id)
    row_bottom = moving.rgb[90, :, 1].astype(int)
    # at the bottom left the flow runs outwards: the stripes smear; at the centre column they stay
    assert np.abs(np.diff(row_bottom[:40])).max() < np.abs(np.diff(still.rgb[90, :40, 1].astype(int))).max() / 2
    assert np.array_equal(moving.rgb[:10], still.rgb[:10])


def test_jpeg_round_trip_at_the_drawn_quality():
    s = SensorSettings.from_config({"vignetting": 0, "white_balance": 0, "auto_exposure": 0}, "s")
    rgb = np.random.default_rng(0).integers(0, 255, (96, 160, 3), dtype=np.uint8)
    layers = Layers(rgb=rgb, instance_id=np.zeros((96, 160), np.int32), geometry={})
    raw = develop(s, shot_spec(shot=Shot(0.0, 0.0, 0, 7)), layers).rgb
    low = develop(s, shot_spec(shot=Shot(0.0, 0.0, 20, 7)), layers).rgb
    assert np.abs(low.astype(int) - raw).mean() > 5


@pytest.mark.slow  # renders driving frames through the lens
def test_a_driving_sample_records_its_draws_and_is_deterministic():
    from synthgen import load_config, make_sample

    config = load_config("driving", ["scene.params.width=160", "scene.params.height=96"])
    a, b = make_sample(config, 1), make_sample(config, 1)
    assert np.array_equal(a.image, b.image)
    sensor = a.meta["scene"]["sensor"]
    assert 0 <= sensor["ego_speed_kmh"] <= 50 and 75 <= sensor["jpeg_quality"] <= 95
    small = ["scene.params.width=160", "scene.params.height=96"]
    off = load_config("driving", [*small, "scene.params.sensor.enabled=false"])
    plain = make_sample(off, 1)
    assert "sensor" not in plain.meta["scene"]
    # the sensor draws come last: the scene is the same, the labels identical
    assert {k: v for k, v in a.meta["scene"].items() if k != "sensor"} == plain.meta["scene"]
    assert [i.bbox for i in a.labels.instances] == [i.bbox for i in plain.labels.instances]
    assert not np.array_equal(a.image, plain.image)


def test_preview_bends_the_3d_wireframes_with_the_lens():
    from synthgen.preview import box3d_segments
    from synthgen.records import camera_to_record

    camera_rig = rig(640, 384)
    lens = make_lens(camera_rig.camera(), BARREL, "k")
    layers, labels, _ = render_distorted(camera_rig, [ground(), crate((6.0, -2.5, 0.0), (1.0, 1.0, 1.6))])
    (inst,) = labels.instances
    record = {**camera_to_record(labels.camera), "distortion": list(BARREL)}
    segments = np.array(box3d_segments(inst.box3d, record))
    assert len(segments) == 12 * 24  # every edge in view, bent in 24 pieces
    corners = inst.box3d.corners() @ labels.camera.rectification()
    np.testing.assert_allclose(segments[0, 0], lens.project(corners[:1])[0], atol=1e-6)
    # the wireframe's extent is the distorted amodal box
    x0, y0 = segments.reshape(-1, 2).min(axis=0)
    x1, y1 = segments.reshape(-1, 2).max(axis=0)
    assert (x0, y0, x1 - x0, y1 - y0) == pytest.approx(inst.amodal_bbox, abs=0.2)


def reference_develop(s: SensorSettings, spec, layers: Layers) -> np.ndarray:
    """The camera model written straight from its definition (one remap of the whole picture per
    sample, no tables fused, nothing in place): what ``develop``'s fast path must equal byte for byte."""
    import cv2

    from synthgen.driving import sensor

    shot = next(i for i in spec.items if isinstance(i, Shot))
    env = next(i for i in spec.items if isinstance(i, Environment))
    linear = sensor._srgb_to_linear_table()[layers.rgb]
    linear = linear * sensor.white_balance_gains(spec, s.white_balance).astype(np.float32)
    shutter, gain = exposure(env.time_of_day, s)
    travel, depth, k = shot.ego_speed * shutter, layers.depth, spec.camera.intrinsics
    forward = np.asarray(spec.camera.extrinsics, np.float64)[:3, :3] @ np.array([1.0, 0.0, 0.0])
    z = np.where(np.isfinite(depth), depth, 0.0).astype(np.float32)
    height, width = depth.shape
    x = ((np.arange(width, dtype=np.float32) + 0.5 - k[0, 2]) / k[0, 0])[None, :] * z
    y = ((np.arange(height, dtype=np.float32) + 0.5 - k[1, 2]) / k[1, 1])[:, None] * z
    near = z > 0
    ends = []
    for d in (-travel / 2, travel / 2):
        zz = np.where(near, np.maximum(z - d * forward[2], 1e-3), 1.0)
        ends.append(((x - d * forward[0]) / zz * k[0, 0], (y - d * forward[1]) / zz * k[1, 1]))
    du = np.where(near, ends[1][0] - ends[0][0], 0.0).astype(np.float32)
    dv = np.where(near, ends[1][1] - ends[0][1], 0.0).astype(np.float32)
    smear = np.hypot(du, dv)
    cap = np.minimum(1.0, sensor.MAX_SMEAR_PX / np.maximum(smear, 1e-6)).astype(np.float32)
    du, dv = du * cap, dv * cap
    length = float(np.minimum(smear, sensor.MAX_SMEAR_PX).max())
    if travel > 0 and length >= sensor.MIN_FLOW_PX:
        cols, rows = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
        samples = int(min(max(math.ceil(length), 2), sensor.MAX_BLUR_SAMPLES))
        blurred = np.zeros_like(linear)
        for t in np.linspace(-0.5, 0.5, samples, dtype=np.float32):
            moved = (cols + t * du, rows + t * dv)
            blurred += cv2.remap(linear, *moved, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        linear = blurred / np.float32(samples)
    linear = linear * vignette(spec.camera, shot.vignetting)[:, :, None]
    brightness = (s.exposure_target / max(float((linear @ sensor.REC709).mean()), 1e-6)) ** s.auto_exposure
    signal = np.clip(linear * np.float32(brightness), 0.0, None)
    electrons = signal * np.float32(s.full_well / gain)
    sigma = np.sqrt(electrons + np.float32(s.read_noise**2)) * np.float32(gain / s.full_well)
    noise = np.random.default_rng(shot.noise_seed).standard_normal(signal.shape, dtype=np.float32)
    lit = signal + sigma * noise
    index = np.clip(lit * np.float32(sensor.SRGB_STEPS - 1) + np.float32(0.5), 0, sensor.SRGB_STEPS - 1)
    out = sensor._linear_to_srgb_table()[index.astype(np.int32)]
    out = sensor.denoise(out, sensor.srgb_noise_level(signal, sigma), s.noise_reduction)
    return sensor.jpeg_round_trip(out, shot.jpeg_quality) if shot.jpeg_quality > 0 else out


@pytest.mark.parametrize("time_of_day", ["day", "dusk", "night"])
def test_the_fast_camera_model_equals_the_reference_byte_for_byte(time_of_day):
    """``develop`` (fused tables, in-place steps, the blur resampling only the rectangle that moves)
    gives the bytes of the camera model written straight, on a rendered road with a crate and sky
    (the top rows and the sky still, so the rectangle is smaller than the frame) and on a frame
    with a surface at the lens (the smear's cap)."""
    camera_rig = rig(160, 96)
    spec = spec_of(camera_rig, [ground(), crate((6.0, -1.0, 0.0), (1.0, 1.0, 1.6))], time_of_day)
    layers = RENDERER.render(spec, SETTINGS, _resource)
    still = ~np.isfinite(layers.depth)
    assert still[0].all() and not still.all()
    s = SensorSettings.from_config({}, "s")
    for shot in (Shot(15.0, 0.2, 0, 7), Shot(4.0, 0.0, 85, 9), Shot(0.0, 0.3, 0, 3)):
        shot_spec = dataclasses.replace(spec, items=(*spec.items, shot))
        ours = develop(s, shot_spec, layers).rgb
        assert np.array_equal(ours, reference_develop(s, shot_spec, layers)), shot
    # a surface at the lens beside the sky: a capped smear
    depth = np.full((96, 160), 4.0, np.float32)
    depth[:20, 100:] = np.inf
    depth[60:, :30] = 0.05
    rgb = np.random.default_rng(1).integers(0, 255, (96, 160, 3), dtype=np.uint8)
    near = Layers(rgb=rgb, instance_id=np.zeros((96, 160), np.int32), geometry={}, depth=depth)
    shot_spec = dataclasses.replace(spec, items=(*spec.items, Shot(20.0, 0.25, 0, 11)))
    ours = develop(s, shot_spec, near).rgb
    assert np.array_equal(ours, reference_develop(s, shot_spec, near))
    unblurred = dataclasses.replace(spec, items=(*spec.items, Shot(0.0, 0.25, 0, 11)))
    assert not np.array_equal(ours, develop(s, unblurred, near).rgb)
