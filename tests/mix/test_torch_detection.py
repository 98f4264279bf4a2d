"""synthgen.torch detection targets as torchvision's detection models and transforms v2 take them:
contiguous labels with their map (the driving failure of issue #20: category id 26 with
num_classes=9), tv_tensors that a v2 flip and crop move with the image, keypoints (N, K, 3)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # generates datasets and scores or trains on them (KITTI devkit, Ultralytics, torchvision)

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")

from pycocotools import mask as mask_utils
from torchvision.transforms import v2

import synthgen
from synthgen.driving.categories import driving_categories
from synthgen.torch import LabelMap, SyntheticDataset, detection_collate, detection_item, instance_fields
from synthgen.types import CategoryTable, Instance, Labels, Sample

ROOT = Path(__file__).resolve().parents[2]
# 64 x 48 shapes, 3..5 per image, some cut by the border: keypoints of every kind, some unlabelled
SHAPES = [
    "num_samples=4",
    "scene.params.width=64",
    "scene.params.height=48",
    "scene.params.shapes=randint(3, 5)",
    "scene.params.radius=uniform(8, 20)",
]


@pytest.fixture(autouse=True)
def _two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def _instance(category: str, mask: np.ndarray, keypoints: np.ndarray | None = None) -> Instance:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    x, y, w, h = (int(v) for v in mask_utils.toBbox(rle))
    rle = {"size": list(rle["size"]), "counts": rle["counts"].decode("ascii")}
    return Instance(category, (x, y, w, h), int(mask.sum()), rle, keypoints=keypoints)


def _driving_like_sample() -> Sample:
    """A 96 x 64 frame with the driving table (Cityscapes ids 4, 5, 24..28, 33): a car (id 26) and
    a person (id 24) with the 17 COCO keypoints, a few of them unlabelled."""
    h, w = 64, 96
    car = np.zeros((h, w), bool)
    car[30:50, 10:50] = True
    person = np.zeros((h, w), bool)
    person[12:60, 60:76] = True
    rng = np.random.default_rng(3)
    points = np.column_stack([rng.uniform(61, 75, 17), rng.uniform(13, 59, 17), np.full(17, 2.0)]).astype(np.float32)
    points[[3, 4]] = 0  # ears not labelled (COCO writes 0, 0, 0)
    points[5, 2] = 1  # a hidden shoulder
    image = rng.integers(0, 256, (h, w, 3), np.uint8)
    table = CategoryTable(driving_categories())
    labels = Labels((_instance("car", car), _instance("person", person, points)), table)
    return Sample(image, labels, {"index": 11, "source": "synthetic"})


def test_driving_category_ids_become_contiguous_labels_a_10_class_model_trains_on():
    sample = _driving_like_sample()
    label_map = LabelMap(sample.labels.categories)
    assert label_map.num_classes == 10
    assert label_map.names == (
        "__background__",
        "obstacle",
        "animal",
        "person",
        "rider",
        "car",
        "truck",
        "bus",
        "motorcycle",
        "bicycle",
    )
    assert label_map.category_ids == (0, 4, 5, 24, 25, 26, 27, 28, 32, 33)
    assert label_map.label("car") == 5 and label_map.category_id(5) == 26 and label_map.name(3) == "person"
    assert label_map.num_keypoints == 17
    images, targets = detection_collate([sample])
    target = targets[0]
    assert target["labels"].tolist() == [5, 3]
    assert target["image_id"] == 11 and target["meta"] == sample.meta and target["iscrowd"].tolist() == [0, 0]
    assert target["area"].tolist() == [800.0, 768.0]
    assert target["boxes"].tolist() == [[10, 30, 50, 50], [60, 12, 76, 60]]
    kp = target["keypoints"]
    assert kp.shape == (2, 17, 3) and kp.dtype == torch.float32
    assert (kp[0] == 0).all()  # a car has no keypoints: padded, unlabelled
    expected = sample.labels.instances[1].keypoints.copy()
    expected[expected[:, 2] > 0, :2] -= 0.5  # pixel indices, torchvision's convention
    np.testing.assert_allclose(kp[1].numpy(), expected, atol=1e-5)
    assert images[0].dtype == torch.float32 and float(images[0].max()) <= 1

    # the model of the issue: a torchvision detector with one class per driving category plus background; its class loss indexed label 26 before
    from torchvision.models.detection import keypointrcnn_resnet50_fpn

    torch.manual_seed(0)
    model = keypointrcnn_resnet50_fpn(
        weights=None,
        weights_backbone=None,
        num_classes=label_map.num_classes,
        num_keypoints=17,
        min_size=64,
        max_size=96,
    )
    model.train()
    losses = model(images, targets)
    assert set(losses) >= {"loss_classifier", "loss_keypoint", "loss_box_reg"}
    assert all(torch.isfinite(v) for v in losses.values()), losses


def _shapes_config(extra=()):
    return synthgen.load_config(ROOT / "configs/shapes.yaml", [*SHAPES, *extra])


def test_targets_follow_the_sample_and_a_v2_flip_moves_boxes_masks_keypoints_like_a_flip_by_hand():
    config = _shapes_config()
    flip = v2.Compose([v2.RandomHorizontalFlip(p=1), v2.ToDtype(torch.float32, scale=True)])
    dataset = SyntheticDataset(config, transforms=flip)
    assert dataset.label_map.num_classes == 8 and dataset.label_map.num_keypoints == 10  # stars: 10
    sample = synthgen.make_sample(config, 0)
    image, target = next(iter(dataset))
    # spawned DataLoader workers get the dataset pickled: the same item from the copy
    again_image, again = next(iter(pickle.loads(pickle.dumps(dataset))))
    assert torch.equal(again_image, image) and torch.equal(again["keypoints"], target["keypoints"])
    plain_image, plain = detection_item(sample)
    h, w = 48, 64
    visible = [i for i in sample.labels.instances if i.visible]
    assert len(visible) >= 3

    # without transforms: the sample's own labels
    from torchvision import tv_tensors

    assert isinstance(plain_image, tv_tensors.Image) and isinstance(plain["boxes"], tv_tensors.BoundingBoxes)
    assert isinstance(plain["masks"], tv_tensors.Mask) and plain["boxes"].canvas_size == (h, w)
    np.testing.assert_allclose(plain_image.numpy(), sample.image.transpose(2, 0, 1) / 255, atol=1e-6)
    ids = {c.name: c.id for c in sample.labels.categories.categories}
    assert plain["labels"].tolist() == [ids[i.category] for i in visible]  # shapes' ids are 1..7 already
    assert plain["area"].tolist() == [i.area for i in visible]
    masks = np.stack([i.visible_mask() for i in visible])
    np.testing.assert_array_equal(plain["masks"].numpy(), masks)

    # flipped by v2 == flipped by hand
    np.testing.assert_allclose(image.numpy(), sample.image[:, ::-1].transpose(2, 0, 1) / 255, atol=1e-6)
    np.testing.assert_array_equal(target["masks"].numpy(), masks[:, :, ::-1])
    by_hand = [[w - (x + bw), y, w - x, y + bh] for x, y, bw, bh in (i.bbox for i in visible)]
    assert target["boxes"].tolist() == by_hand
    assert target["labels"].tolist() == plain["labels"].tolist()
    assert target["area"].tolist() == plain["area"].tolist()
    points = np.zeros((len(visible), 10, 3), np.float32)
    for n, inst in enumerate(visible):
        if inst.keypoints is not None:
            points[n, : len(inst.keypoints)] = inst.keypoints
    labelled = points[..., 2] > 0
    assert labelled.any() and (~labelled).any()
    flipped = points.copy()
    flipped[..., 0] = w - points[..., 0]  # continuous coordinates: x -> W - x
    flipped[..., :2] -= 0.5
    flipped[~labelled] = 0
    np.testing.assert_allclose(target["keypoints"].numpy(), flipped, atol=1e-4)


def test_a_crop_with_sanitize_drops_instances_from_every_field():
    config = _shapes_config()
    crop = v2.Compose(
        [
            v2.CenterCrop((24, 32)),
            v2.SanitizeBoundingBoxes(labels_getter=instance_fields),
            v2.ToDtype(torch.float32, scale=True),
        ]
    )
    for index in range(4):
        sample = synthgen.make_sample(config, index)
        image, target = detection_item(sample, crop)
        plain = detection_item(sample)[1]
        # v2 clamps the boxes to the 32 x 24 window at x 16..48, y 12..36; sanitize keeps w, h >= 1
        boxes = plain["boxes"].numpy() - np.array([16, 12, 16, 12], np.float32)
        boxes = np.clip(boxes, 0, [32, 24, 32, 24])
        keep = ((boxes[:, 2] - boxes[:, 0]) >= 1) & ((boxes[:, 3] - boxes[:, 1]) >= 1)
        assert image.shape == (3, 24, 32)
        assert target["boxes"].tolist() == boxes[keep].tolist()
        assert target["labels"].tolist() == plain["labels"][keep].tolist()
        assert target["masks"].shape == (int(keep.sum()), 24, 32)
        np.testing.assert_array_equal(target["masks"].numpy(), plain["masks"].numpy()[keep, 12:36, 16:48])
        assert target["area"].tolist() == target["masks"].numpy().sum((1, 2)).tolist()  # counted in the crop
        kp = target["keypoints"]
        assert kp.shape == (int(keep.sum()), 10, 3)
        inside = (kp[..., 2] > 0).numpy()
        assert (
            ((kp[..., 0] >= -0.5) & (kp[..., 0] < 31.5) & (kp[..., 1] >= -0.5) & (kp[..., 1] < 23.5))
            .numpy()[inside]
            .all()
        )
        moved = plain["keypoints"].numpy()[keep] - np.array([16, 12, 0], np.float32)
        both = inside & (plain["keypoints"][..., 2].numpy()[keep] > 0)
        np.testing.assert_allclose(kp.numpy()[both], moved[both], atol=1e-4)
    assert instance_fields((image, target))[0] is target["labels"]


def test_a_table_without_keypoints_gives_no_keypoints_and_transforms_or_transform_not_both():
    config = synthgen.load_config(
        ROOT / "configs/text_words.yaml", ["num_samples=2", "scene.params.width=96", "scene.params.height=64"]
    )
    target = detection_item(synthgen.make_sample(config, 0))[1]
    assert "keypoints" not in target and set(target) >= {"boxes", "labels", "masks", "area", "iscrowd", "image_id"}
    with pytest.raises(ValueError, match="not both"):
        SyntheticDataset(config, transform=lambda s: s, transforms=v2.ToDtype(torch.float32, scale=True))
