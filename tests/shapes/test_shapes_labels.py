"""Shapes labels against geometry known by hand: occlusion of overlapping discs, truncation at the
border, wholly hidden shapes, keypoint visibility, exact rasterisation and painter's order."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from synthgen.annotate import annotate  # the stage packages first: they register the shapes kinds
from synthgen.formats.coco import coco_dataset
from synthgen.records import to_record
from synthgen.shapes.geometry import ShapeItem, category, corner_points
from synthgen.shapes.raster import contains, fill_polygon, footprint, shape_mask
from synthgen.shapes.render import Shapes2DSettings, render_layers
from synthgen.types import CategoryTable, Sample, SceneSpec

BACKGROUND = {"kind": "solid", "color": [200, 200, 200]}
TABLE = CategoryTable(tuple(category(k, i + 1) for i, k in enumerate(("square", "disc", "star", "ring"))))


def square(k: int, center: tuple[float, float], half_side: float) -> ShapeItem:
    """An axis-aligned square: circumradius half_side * sqrt(2), first corner at 45 degrees (top right)."""
    return ShapeItem(k, "square", center, half_side * math.sqrt(2), 45.0, 0.0, (200, 40, 40))


def disc(k: int, center: tuple[float, float], radius: float) -> ShapeItem:
    return ShapeItem(k, "disc", center, radius, 0.0, 0.0, (40, 40, 200))


def labels_of(width: int, height: int, *items: ShapeItem, supersample: int = 4):
    spec = SceneSpec("test", width, height, BACKGROUND, items, TABLE.names)
    layers = render_layers(spec, Shapes2DSettings(supersample))
    return layers, annotate(layers, spec, TABLE)


def lens_area(r1: float, r2: float, d: float) -> float:
    """Area of the intersection of two circles of radii r1, r2 whose centres are d apart."""
    a1 = r1 * r1 * math.acos((d * d + r1 * r1 - r2 * r2) / (2 * d * r1))
    a2 = r2 * r2 * math.acos((d * d + r2 * r2 - r1 * r1) / (2 * d * r2))
    return a1 + a2 - 0.5 * math.sqrt((-d + r1 + r2) * (d + r1 - r2) * (d - r1 + r2) * (d + r1 + r2))


@pytest.mark.parametrize("r_back,r_front,d", [(50.0, 45.0, 60.0), (40.0, 70.3, 55.5), (62.7, 41.0, 30.2)])
def test_back_disc_occlusion_is_the_circle_overlap(r_back, r_front, d):
    back, front = disc(1, (120.3, 110.6), r_back), disc(2, (120.3 + d * 0.8, 110.6 + d * 0.6), r_front)
    _, labels = labels_of(320, 260, back, front)
    b, f = labels.instances
    expected = lens_area(r_back, r_front, d) / (math.pi * r_back**2)
    assert b.occlusion == pytest.approx(expected, rel=0.01)
    assert f.occlusion == 0.0 and b.truncation == 0.0 and f.truncation == 0.0
    assert b.area + f.area == pytest.approx(
        math.pi * (r_back**2 + r_front**2) - lens_area(r_back, r_front, d), rel=0.005
    )
    assert b.amodal_bbox == pytest.approx((120.3 - r_back, 110.6 - r_back, 2 * r_back, 2 * r_back))


@pytest.mark.parametrize("center", [(200.0, 60.0), (200.0, 61.37), (0.0, 55.5)])
def test_square_half_out_of_the_frame(center):
    item = square(1, center, 40.0)
    _, labels = labels_of(200, 120, item)
    (inst,) = labels.instances
    assert inst.truncation == pytest.approx(0.5, rel=0.01)
    assert inst.occlusion == 0.0
    assert inst.amodal_bbox == pytest.approx((center[0] - 40, center[1] - 40, 80, 80))
    # the visible box is the part inside the image
    x0 = 160 if center[0] == 200 else 0
    assert inst.bbox[0] == x0 and inst.bbox[2] == 40 and inst.bbox[3] == 80


def test_shape_hidden_behind_a_larger_one():
    _, labels = labels_of(200, 120, square(1, (100.0, 60.0), 20.0), disc(2, (101.0, 59.0), 50.0))
    hidden, _ = labels.instances
    assert hidden.area == 0 and hidden.occlusion == 1.0 and hidden.bbox == (0, 0, 0, 0)
    assert hidden.truncation == 0.0 and not hidden.visible_mask().any()
    assert hidden.amodal_bbox == pytest.approx((80, 40, 40, 40))
    sample = Sample(np.zeros((120, 200, 3), np.uint8), labels, {"index": 0})
    coco = coco_dataset([to_record(sample, "images/0.png", "0")], TABLE)
    assert [a["category_id"] for a in coco["annotations"]] == [TABLE.id_of("disc")]


def test_keypoint_visibility_and_coco_num_keypoints():
    # square x 130..210 (corners 1, 2 at x = 210, outside the 200 px wide image), corner 3 at
    # (130, 100) under a disc in front, corner 4 at (130, 20) in the open
    sq = square(1, (170.0, 60.0), 40.0)
    layers, labels = labels_of(200, 120, sq, disc(2, (130.0, 100.0), 15.0))
    kp = labels.instances[0].keypoints
    assert kp[:, 2].tolist() == [0, 0, 1, 2]
    assert kp[0].tolist() == [0, 0, 0] and kp[1].tolist() == [0, 0, 0]
    assert kp[2] == pytest.approx([130, 100, 1]) and kp[3] == pytest.approx([130, 20, 2])
    assert labels.instances[0].truncation == pytest.approx(0.125, abs=1e-9)  # 10 of 80 columns outside
    # the disc's centre keypoint is visible
    assert labels.instances[1].keypoints.tolist() == [[130, 100, 2]]
    sample = Sample(layers.rgb, labels, {"index": 0})
    coco = coco_dataset([to_record(sample, "images/0.png", "0")], TABLE)
    ann = coco["annotations"][0]
    assert ann["num_keypoints"] == 2 and len(ann["keypoints"]) == 3 * 4


def test_star_keypoints_tips_then_inner_corners_and_ring_has_none():
    star = ShapeItem(1, "star", (100.0, 100.0), 60.0, 90.0, 0.5, (10, 10, 10))
    ring = ShapeItem(2, "ring", (250.0, 100.0), 50.0, 0.0, 0.6, (10, 10, 10))
    _, labels = labels_of(320, 200, star, ring)
    kp = labels.instances[0].keypoints
    assert kp.shape == (10, 3) and (kp[:, 2] == 2).all()
    assert kp[0, :2] == pytest.approx([100, 40])  # first tip straight up (90 degrees)
    assert np.hypot(kp[1::2, 0] - 100, kp[1::2, 1] - 100) == pytest.approx([30] * 5)
    assert labels.instances[1].keypoints is None
    # the ring's area is the annulus, its amodal box the outer circle
    assert labels.instances[1].area == pytest.approx(math.pi * (50**2 - 30**2), rel=0.005)
    assert labels.instances[1].amodal_bbox == pytest.approx((200, 50, 100, 100))


def test_fill_is_the_set_of_pixel_centres_inside():
    # an axis-aligned square holds exactly the pixels whose centres it holds, at any offset
    for off in (0.0, 0.3, 0.5, 0.77):
        mask = shape_mask(square(1, (50.0 + off, 50.0 + off), 20.0), (0, 0, 100, 100))
        first = math.ceil(30.0 + off - 0.5)
        expected = np.zeros((100, 100), bool)
        expected[first : first + 40, first : first + 40] = True
        assert np.array_equal(mask, expected)
    # a triangle and a star against OpenCV's point-in-polygon test at every pixel centre
    for item in (
        ShapeItem(1, "triangle", (60.2, 57.9), 45.3, 17.0, 0.0, (0, 0, 0)),
        ShapeItem(1, "star", (61.1, 58.4), 50.0, 33.3, 0.45, (0, 0, 0)),
    ):
        contour = corner_points(item).astype(np.float32).reshape(-1, 1, 2)
        xs, ys = np.meshgrid(np.arange(120) + 0.5, np.arange(120) + 0.5)
        inside = np.array(
            [cv2.pointPolygonTest(contour, (float(x), float(y)), False) > 0 for x, y in zip(xs.ravel(), ys.ravel())]
        )
        assert np.array_equal(shape_mask(item, (0, 0, 120, 120)).ravel(), inside)
    # the disc against the distance test
    mask = shape_mask(disc(1, (40.25, 40.75), 30.0), (0, 0, 80, 80))
    xs, ys = np.meshgrid(np.arange(80) + 0.5, np.arange(80) + 0.5)
    assert np.array_equal(mask, (xs - 40.25) ** 2 + (ys - 40.75) ** 2 < 900)


def test_sub_pixel_samples_lie_on_the_same_lattice():
    # at scale 3 the middle sample of every pixel is the pixel's centre: the RGB's coverage and the
    # label pixels come from one geometry on one lattice
    for item in (
        ShapeItem(1, "star", (30.3, 28.9), 27.0, 12.0, 0.45, (0, 0, 0)),
        ShapeItem(1, "ring", (31.7, 30.2), 25.5, 0.0, 0.5, (0, 0, 0)),
        ShapeItem(1, "hexagon", (-3.1, 20.4), 26.0, 7.0, 0.0, (0, 0, 0)),
    ):
        window = (-4, -2, 64, 60)
        assert np.array_equal(shape_mask(item, window, 3)[1::3, 1::3], shape_mask(item, window))
    tri = np.array([[32.2, 21.1], [179.9, 84.4], [66.6, 153.3]])
    area = 0.5 * abs(
        (tri[1, 0] - tri[0, 0]) * (tri[2, 1] - tri[0, 1]) - (tri[2, 0] - tri[0, 0]) * (tri[1, 1] - tri[0, 1])
    )
    assert fill_polygon(tri, np.arange(200) + 0.5, np.arange(200) + 0.5).sum() == pytest.approx(area, rel=0.003)


def test_instance_layer_is_painters_order_of_the_same_masks():
    rng = np.random.default_rng(7)
    kinds = ("triangle", "square", "pentagon", "hexagon", "disc", "star", "ring")
    items = tuple(
        ShapeItem(
            k + 1,
            kinds[k % 7],
            (float(rng.uniform(0, 160)), float(rng.uniform(0, 120))),
            float(rng.uniform(10, 50)),
            float(rng.uniform(0, 360)),
            0.5,
            (0, 0, 0),
        )
        for k in range(14)
    )
    spec = SceneSpec("test", 160, 120, BACKGROUND, items, kinds)
    layers = render_layers(spec, Shapes2DSettings(1))
    expected = np.zeros((120, 160), np.int32)
    for item in items:
        x0, y0, w, h = footprint(item)
        canvas = np.zeros((120 + 2 * 200, 160 + 2 * 200), bool)  # padded: the whole shape fits
        canvas[200 + y0 : 200 + y0 + h, 200 + x0 : 200 + x0 + w] = shape_mask(item, (x0, y0, w, h))
        whole = shape_mask(item, (-200, -200, 560, 520))
        assert np.array_equal(canvas, whole)  # the same pixels whatever window they are drawn in
        inside = whole[200:320, 200:360]
        assert layers.geometry[item.instance_id].area_alone == int(inside.sum())
        assert layers.geometry[item.instance_id].area_alone_total == int(whole.sum())
        expected[inside] = item.instance_id
    assert np.array_equal(layers.instance_id, expected)


def test_rgb_takes_the_shape_colour_inside_and_the_background_outside():
    layers, _ = labels_of(120, 100, square(1, (60.0, 50.0), 30.0))
    assert (layers.rgb[layers.instance_id == 1] == [200, 40, 40]).all(axis=1).mean() > 0.9
    far = np.ones((100, 120), bool)
    far[15:86, 25:96] = False  # two pixels around the square's edge may be anti-aliased
    assert (layers.rgb[far] == [200, 200, 200]).all()


def test_a_shape_too_thin_for_any_pixel_is_neither_drawn_nor_labelled():
    # the ring 9.63..9.82 px from (20, 20) holds no pixel centre (those lie 9.618 or 9.823 px away)
    ring = ShapeItem(1, "ring", (20.0, 20.0), 9.82, 0.0, 9.63 / 9.82, (0, 0, 0))
    assert not shape_mask(ring, footprint(ring), 1).any() and shape_mask(ring, footprint(ring), 4).any()
    layers, labels = labels_of(40, 40, ring)
    assert labels.instances == () and not layers.geometry
    assert (layers.rgb == 200).all()  # its sub-pixel coverage is not painted either


def test_sharp_tips_over_a_shape_behind_are_visible_and_covered_ones_hidden():
    # A thin star's tips hold no pixel centre of their own near them; only what is in front of a
    # point may hide it. The star lies over a large square (behind it) and under a small disc
    # that covers its first tip.
    back = square(1, (160.0, 100.0), 90.0)
    star = ShapeItem(2, "star", (160.0, 100.0), 70.0, 90.0, 0.2, (10, 10, 10))
    front = disc(3, (160.0, 30.0), 8.0)  # over the first tip, at (160, 30)
    _, labels = labels_of(320, 200, back, star, front)
    kp = labels.instances[1].keypoints
    assert kp[0, 2] == 1  # covered by the disc in front
    assert (kp[1:, 2] == 2).all()  # every other tip and inner corner: nothing in front of it


def test_contains_agrees_with_the_pixel_centre_rule():
    for item in (
        ShapeItem(1, "star", (40.3, 37.9), 30.0, 12.0, 0.4, (0, 0, 0)),
        ShapeItem(1, "ring", (41.0, 40.2), 30.0, 0.0, 0.5, (0, 0, 0)),
        ShapeItem(1, "pentagon", (39.5, 40.5), 33.0, 7.0, 0.0, (0, 0, 0)),
    ):
        window = (0, 0, 80, 80)
        ys, xs = np.mgrid[0:80, 0:80] + 0.5
        inside = contains(item, np.stack([xs.ravel(), ys.ravel()], axis=1)).reshape(80, 80)
        assert (inside == shape_mask(item, window)).all()
