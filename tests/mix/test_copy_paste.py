"""Copy-paste with known geometry: the pasted labels are exactly the changed pixels, covered real
instances lose those pixels (and go when nothing is left), quads and keypoints move with the paste."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from synthgen.mix.copy_paste import Placement, paste, sample_placement
from synthgen.types import CategoryTable, Instance, Labels, Sample, TextRecord

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
    bike = inst("bike", rect(20, 20, 2, 8, 3, 9), text=TextRecord("go", quad))
    donor = Sample(donor_img, Labels((bike,), TABLE), {"index": 0})
    return target, donor


def test_alpha_paste_labels_are_the_changed_pixels(scene):
    target, donor = scene
    out, dropped = paste(target, donor, 0, Placement(x=2, y=3, width=6, height=6))
    assert dropped == 0
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
    np.testing.assert_array_equal(pasted.text.quad, [[2, 3], [8, 3], [8, 9], [2, 9]])


def test_scaled_paste_moves_the_quad_exactly(scene):
    target, donor = scene
    out, _ = paste(target, donor, 0, Placement(x=20, y=10, width=12, height=18))
    pasted = out.labels.instances[-1]
    np.testing.assert_array_equal(decoded(pasted), rect(30, 40, 10, 28, 20, 32))
    np.testing.assert_allclose(pasted.text.quad, [[20, 10], [32, 10], [32, 28], [20, 28]])
    assert pasted.amodal_bbox == (20.0, 10.0, 12.0, 18.0)


def test_a_covered_instance_is_dropped_and_a_box_shrinks(scene):
    target, donor = scene
    big = Sample(
        target.image,
        Labels((inst("car", rect(30, 40, 4, 8, 4, 8)), inst("car", rect(30, 40, 0, 30, 0, 12))), TABLE),
        {},
    )
    out, dropped = paste(big, donor, 0, Placement(x=4, y=4, width=4, height=4))
    assert dropped == 1
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
