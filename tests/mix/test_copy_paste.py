"""Copy-paste with known geometry: the pasted labels are exactly the changed pixels, covered real
instances lose those pixels (and go when nothing is left), quads and keypoints move with the paste."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from synthgen.mix.copy_paste import Placement, paste, sample_placement
from synthgen.text.label import TextRecord
from synthgen.types import CategoryTable, Instance, Labels, Sample

TABLE = CategoryTable.of_names(["car", "bike"])


def rect(h, w, y0, y1, x0, x1) -> np.ndarray:
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m


def inst(category, mask, **kw) -> Instance:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    ys, xs = np.nonzero(mask)
    box = (int(xs.min()), int(ys.min()), int(np.ptp(xs) + 1), int(np.ptp(ys) + 1))
    return Instance(category, box, int(mask.sum()), {"size": list(mask.shape), "counts": rle["counts"].decode()}, **kw)


def decoded(i: Instance) -> np.ndarray:
    return i.visible_mask()


@pytest.fixture
def scene():
    rng = np.random.default_rng(0)
    target_img = rng.integers(0, 256, (30, 40, 3), np.uint8)
    car = rect(30, 40, 5, 15, 5, 20)
    kp = np.array([[6.5, 6.5, 2], [18.5, 14.5, 2]], np.float32)  # one under the paste below, one not
    target = Sample(target_img, Labels((inst("car", car, keypoints=kp, occlusion=0.0),), TABLE), {"index": 0})
    donor_img = np.zeros((20, 20, 3), np.uint8)
    donor_img[2:8, 3:9] = (255, 0, 0)
    quad = np.array([[3, 2], [9, 2], [9, 8], [3, 8]], np.float32)
    bike = inst("bike", rect(20, 20, 2, 8, 3, 9), extensions={"text": TextRecord("go", quad)})
    donor = Sample(donor_img, Labels((bike,), TABLE), {"index": 0})
    return target, donor


def test_alpha_paste_labels_are_the_changed_pixels(scene):
    target, donor = scene
    out, counts = paste(target, donor, 0, Placement(x=2, y=3, width=6, height=6))
    assert counts == {}
    pasted = out.labels.instances[-1]
    expected = rect(30, 40, 3, 9, 2, 8)
    np.testing.assert_array_equal(decoded(pasted), expected)
    assert pasted.bbox == (2, 3, 6, 6) and pasted.area == 36 and pasted.category == "bike"
    assert (out.image[expected] == (255, 0, 0)).all()
    np.testing.assert_array_equal(out.image[~expected], target.image[~expected])  # nothing else moved
    car = out.labels.instances[0]
    left = rect(30, 40, 5, 15, 5, 20) & ~expected
    np.testing.assert_array_equal(decoded(car), left)
    assert car.area == 150 - 12 and car.bbox == (5, 5, 15, 10)
    assert car.keypoints[0, 2] == 1 and car.keypoints[1, 2] == 2  # (6.5, 6.5) is under the paste
    assert car.occlusion == pytest.approx(12 / 150)
    np.testing.assert_array_equal(pasted.extensions["text"].quad, [[2, 3], [8, 3], [8, 9], [2, 9]])


def test_scaled_paste_moves_the_quad_exactly(scene):
    target, donor = scene
    out, _ = paste(target, donor, 0, Placement(x=20, y=10, width=12, height=18))
    pasted = out.labels.instances[-1]
    np.testing.assert_array_equal(decoded(pasted), rect(30, 40, 10, 28, 20, 32))
    np.testing.assert_allclose(pasted.extensions["text"].quad, [[20, 10], [32, 10], [32, 28], [20, 28]])
    assert pasted.amodal_bbox == (20.0, 10.0, 12.0, 18.0)


def test_a_covered_instance_is_dropped_and_a_box_shrinks(scene):
    target, donor = scene
    big = Sample(
        target.image,
        Labels((inst("car", rect(30, 40, 4, 8, 4, 8)), inst("car", rect(30, 40, 0, 30, 0, 12))), TABLE),
        {},
    )
    out, counts = paste(big, donor, 0, Placement(x=4, y=4, width=4, height=4))
    assert counts == {"covered_by_paste": 1}
    (tall, _pasted) = out.labels.instances
    assert tall.bbox == (0, 0, 12, 30) and tall.area == 360 - 16
    # a second paste over the first: the first pasted instance loses those pixels too
    out2, _ = paste(out, donor, 0, Placement(x=6, y=4, width=6, height=6))
    first = out2.labels.instances[1]
    np.testing.assert_array_equal(decoded(first), rect(30, 40, 4, 8, 4, 6))


@pytest.mark.parametrize("blend", ["feather", "poisson"])
def test_blends_change_only_the_labelled_pixels(scene, blend):
    target, donor = scene
    donor_img = np.random.default_rng(1).integers(0, 256, (20, 20, 3), np.uint8)
    donor = Sample(donor_img, donor.labels, donor.meta)
    out, _ = paste(target, donor, 0, Placement(x=10, y=8, width=18, height=18), blend=blend, feather_px=3)
    label = decoded(out.labels.instances[-1])
    np.testing.assert_array_equal(out.image[~label], target.image[~label])
    assert (out.image[label] != target.image[label]).any(axis=-1).mean() > 0.9
    if blend == "feather":  # the interior, 3 px or more from the edge, is the donor's
        np.testing.assert_array_equal(label, rect(30, 40, 8, 26, 10, 28))
        import cv2

        expected = cv2.resize(donor_img[2:8, 3:9], (18, 18), interpolation=cv2.INTER_LINEAR)
        np.testing.assert_array_equal(out.image[11:23, 13:25], expected[3:15, 3:15])
    else:  # seamlessClone keeps the mask's outer ring: the label is the interior
        np.testing.assert_array_equal(label, rect(30, 40, 9, 25, 11, 27))


def test_horizon_placement_follows_the_ground_plane():
    rng = np.random.default_rng(3)
    for _ in range(200):
        p = sample_placement(rng, (0, 0, 20, 10), (200, 100), (1.0, 1.0), horizon=0.4)
        if p is None:
            continue
        bottom = p.y + p.height
        assert bottom > 40
        assert p.width == max(1, round(20 * (bottom - 40) / 60)) or abs(p.width - 20 * (bottom - 40) / 60) <= 1


# --- the labels a paste moves or covers, each by its own kind's rule (synthgen.extensions) ----------


def test_a_word_half_covered_by_a_paste_becomes_illegible_as_a_word_cut_by_a_warp(scene):
    """One text rule for pastes and warps: a word that lost pixels keeps its quad and transcription
    but is no longer legible (ICDAR ###, no recognition crop), with the reason."""
    target, donor = scene
    word_mask = rect(30, 40, 20, 26, 10, 30)
    quad = np.array([[10, 20], [30, 20], [30, 26], [10, 26]], np.float32)
    word = inst("car", word_mask, extensions={"text": TextRecord("hello", quad)}, attributes={"line": 0})
    far = inst("car", rect(30, 40, 0, 3, 30, 40), extensions={"text": TextRecord("far", quad + [20, -20])})
    target = Sample(target.image, Labels((word, far), TABLE), {"index": 0})
    out, counts = paste(target, donor, 0, Placement(x=24, y=18, width=6, height=6))
    assert counts == {"illegible_covered": 1}  # counted as a warp counts the words it cuts
    covered, untouched, pasted = out.labels.instances
    assert covered.attributes == {"line": 0, "legible": False, "illegible_reason": "covered"}
    assert covered.extensions["text"].transcription == "hello" and np.array_equal(covered.extensions["text"].quad, quad)
    assert covered.area == 120 - 6 * 6 + 2 * 6  # rows 20..25 of x 24..29 covered: 6 x 6, rows 18..19 outside
    assert untouched == far  # no pixel of it covered: exactly as it was
    assert pasted.attributes == {"pasted": True}  # a pasted word keeps its legibility

    # the same rule through a warp: the word pushed half out of the image
    from synthgen.augment.warp import fit_geometry
    from synthgen.extensions import extensions_of, with_label_points
    from synthgen.types import InstanceGeometry

    geo = {1: InstanceGeometry("car", {"text": TextRecord("hello", quad)}, attributes={"line": 0})}
    labels = {1: extensions_of(geo[1])}
    moved = with_label_points(labels, quad.astype(np.float64) + [20, 0])  # x 30..50 in a 40 px wide image
    ids = np.zeros((30, 40), np.int32)
    ids[20:26, 30:40] = 1
    fitted, counts = fit_geometry(geo, moved, ids, 40, 30)
    assert fitted[1].attributes == {"line": 0, "legible": False, "truncated": True, "illegible_reason": "truncated"}
    assert counts == {"illegible_truncated": 1}
    np.testing.assert_array_equal(fitted[1].extensions["text"].quad, [[30, 20], [40, 20], [40, 26], [30, 26]])


def test_a_word_covered_again_is_counted_illegible_once():
    quad = np.array([[0, 0], [4, 0], [4, 2], [0, 2]], np.float32)
    text = TextRecord("ab", quad)
    hidden = np.ones((4, 8), bool)
    first = text.covered(hidden, hidden, {})
    assert first.counts == {"illegible_covered": 1}
    again = text.covered(hidden, hidden, first.attributes)
    assert again.counts == {} and again.attributes == first.attributes


def test_a_pasted_object_keeps_its_3d_box_placed_in_the_targets_camera():
    """A driving object pasted at twice its size is the same object at half the distance, seen at
    the same angle; its box projects where its pixels went."""
    from synthgen.types import Box3D, Camera

    k = np.array([[100.0, 0, 20], [0, 100.0, 15], [0, 0, 1]])
    level = np.eye(4)
    level[:3, :3] = [[0, -1, 0], [0, 0, -1], [1, 0, 0]]  # world x forward, z up -> camera z forward, y down
    camera = Camera(k, level, 40, 30)
    np.testing.assert_array_equal(camera.rectification(), np.eye(3))
    box = Box3D(np.array([0.0, 0.0, 10.0]), np.array([4.0, 1.8, 1.5]), 0.25)
    donor_img = np.full((30, 40, 3), 200, np.uint8)
    car = inst("car", rect(30, 40, 12, 18, 16, 24), box3d=box)  # centre (0, 0, 10) projects to (20, 15)
    donor = Sample(donor_img, Labels((car,), TABLE, camera), {"index": 0})
    target = Sample(np.zeros((30, 40, 3), np.uint8), Labels((), TABLE, camera), {"index": 1})
    # box (16, 12, 8, 6) scaled x2 to (8, 18, 16, 12): pixel (20, 15) -> (8 + 4 * 2, 18 + 3 * 2) = (16, 24)
    out, _ = paste(target, donor, 0, Placement(x=8, y=18, width=16, height=12))
    moved = out.labels.instances[-1].box3d
    assert moved is not None
    np.testing.assert_allclose(moved.center, [-0.2, 0.45, 5.0], atol=1e-9)  # (16 - 20) * 5 / 100, (24 - 15) * 5 / 100
    np.testing.assert_allclose(moved.dimensions, box.dimensions)
    np.testing.assert_allclose(camera.project_rectified(moved.center[None]), [[16.0, 24.0]], atol=1e-9)
    # the same observation angle: yaw - atan2(x, z) is kept
    assert moved.yaw - np.arctan2(-0.2, 5.0) == pytest.approx(0.25)

    # without a camera in the target there is nothing for a 3D box to be relative to: left out
    flat = Sample(target.image, Labels((), TABLE), {"index": 1})
    out, _ = paste(flat, donor, 0, Placement(x=8, y=18, width=16, height=12))
    assert out.labels.instances[-1].box3d is None
