"""masks -> boxes, RLE, polygons, area on shapes drawn at known coordinates."""

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from synthgen.annotate.masks import mask_to_polygons, masks_to_instances


def test_rectangles_at_known_coordinates():
    ids = np.zeros((60, 80), np.int32)
    ids[10:20, 5:35] = 1  # x 5..34, y 10..19
    ids[40:59, 60:80] = 2  # touches the right and bottom borders
    ids[0, 0] = 3  # a single pixel
    out = masks_to_instances(ids)
    assert out[1][0] == (5, 10, 30, 10) and out[1][1] == 300
    assert out[2][0] == (60, 40, 20, 19) and out[2][1] == 380
    assert out[3][0] == (0, 0, 1, 1) and out[3][1] == 1
    for k, (bbox, area, rle) in out.items():
        coco_rle = {"size": rle["size"], "counts": rle["counts"].encode()}
        assert (mask_utils.decode(coco_rle).astype(bool) == (ids == k)).all()
        assert mask_utils.area(coco_rle) == area
        assert list(mask_utils.toBbox(coco_rle)) == list(bbox)


def test_background_is_no_instance_and_split_instances_get_one_box():
    assert masks_to_instances(np.zeros((4, 4), np.int32)) == {}
    ids = np.zeros((5, 5), np.int32)
    ids[1, 1] = ids[3, 4] = 7  # one instance in two pieces: x 1..4, y 1..3
    ((bbox, area, _),) = masks_to_instances(ids).values()
    assert bbox == (1, 1, 4, 3) and area == 2


def test_polygon_of_a_rectangle_is_its_corners():
    mask = np.zeros((20, 20), bool)
    mask[2:8, 3:13] = True
    (poly,) = mask_to_polygons(mask, offset=(100, 50))
    pts = np.array(poly).reshape(-1, 2)
    assert pts[:, 0].min() == 103 and pts[:, 0].max() == 112
    assert pts[:, 1].min() == 52 and pts[:, 1].max() == 57


def test_polygons_one_per_component():
    mask = np.zeros((20, 20), bool)
    mask[1:4, 1:4] = True
    mask[10:15, 10:15] = True
    assert len(mask_to_polygons(mask)) == 2


@pytest.mark.parametrize("seed", range(9))
def test_rle_boxes_and_areas_match_pycocotools_on_random_layers(seed):
    # Random id layers (speckle, a full-frame instance, a lone corner pixel, empty columns; from
    # seed 6 on at most two ids, the one-by-one path of word crops): every RLE decodes to exactly
    # its instance's mask, and equals pycocotools' own encoding.
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(1, 48, 2))
    layer = rng.integers(0, 6 if seed < 6 else 3, (h, w)).astype(np.int32)
    if seed == 7:
        layer[layer == 1] = 0  # id 2 alone: an absent id below it
    if seed == 1:
        layer[:] = 4
    if seed == 2:
        layer[:] = 0
        layer[-1, -1] = 3
    if seed == 3:
        layer[:, : w // 2] = 0
    got = masks_to_instances(layer)
    assert sorted(got) == sorted(int(k) for k in np.unique(layer) if k)
    for k, (bbox, area, rle) in got.items():
        mask = layer == k
        coco = {"size": rle["size"], "counts": rle["counts"].encode("ascii")}
        assert (mask_utils.decode(coco).astype(bool) == mask).all()
        assert rle["counts"] == mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))["counts"].decode("ascii")
        ys, xs = np.nonzero(mask)
        assert bbox == (xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
        assert area == mask.sum()
