"""A torchvision detector for ``synthgen assist``: built by name, trained on a synthgen dataset
with ``synthgen.torch``, saved and loaded as a small checkpoint.

A checkpoint is a ``torch.save``d dict that ``torch.load(weights_only=True)`` reads:
``{"task": "detect" (may be left out), "arch": one of ARCHS, "categories": [[id, name], ...] in
training-label order (label k is entry k - 1), "size": the input's shorter side, "state_dict": the
model's}``. A model trained elsewhere (a torchvision detector of one of these architectures,
fine-tuned on real data) is used by saving that dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthgen.errors import InputError
from synthgen.loop.training import TrainingProgress, load_weights, read_checkpoint, write_checkpoint

ARCHS = (
    "fcos_small",
    "fasterrcnn_small",
    "fasterrcnn_mobilenet_v3_large_fpn",
    "fasterrcnn_mobilenet_v3_large_320_fpn",
    "fasterrcnn_resnet50_fpn",
    "fasterrcnn_resnet50_fpn_v2",
    "retinanet_resnet50_fpn",
    "fcos_resnet50_fpn",
    "maskrcnn_resnet50_fpn",
)
DEFAULT_ARCH = "fcos_small"
FCOS_CHANNELS = (16, 32, 64)  # fcos_small's three stride-2 stages (stride 8)
SMALL_CHANNELS = (24, 48, 96, 160)  # fasterrcnn_small's four stride-2 stages (stride 16; 2.9 M parameters in all)
CHECKPOINT_EVERY = 100  # steps between checkpoints while training (a killed run keeps the last)


@dataclass(frozen=True)
class Detector:
    """A detector and what its labels mean.

    Attributes:
        model: the torchvision model (eval mode after loading).
        arch: its builder's name (one of ARCHS).
        categories: (category id, name) of training label k at position k - 1.
        size: the input's shorter side the model resizes to.
    """

    model: Any
    arch: str
    categories: tuple[tuple[int, str], ...]
    size: int


def build_model(arch: str, num_classes: int, size: int):
    """An untrained torchvision detector (no downloaded weights: nothing leaves the machine)."""
    from torchvision.models import detection

    if arch not in ARCHS:
        raise InputError(f"unknown detector arch {arch!r}; valid: {', '.join(ARCHS)}")
    if arch == "fasterrcnn_small":
        return _small_fasterrcnn(num_classes, size)
    if arch == "fcos_small":
        return _small_fcos(num_classes, size)
    builder = getattr(detection, arch)
    return builder(weights=None, weights_backbone=None, num_classes=num_classes, min_size=size, max_size=2 * size)


def _conv_stages(channels) -> list:
    """A plain backbone's layers: per stage a stride-2 conv and a conv, each with batch norm and ReLU."""
    from torch import nn

    layers: list[nn.Module] = []
    cin = 3
    for cout in channels:
        layers += [
            nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        ]
        cin = cout
    return layers


def _small_fasterrcnn(num_classes: int, size: int):
    """Faster R-CNN on a four-stage conv backbone (stride 16, one feature map) with a 256-wide box
    head: what trains on a CPU in minutes from no weights, for simple synthetic scenes."""
    from torch import nn
    from torchvision.models.detection import FasterRCNN
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
    from torchvision.ops import MultiScaleRoIAlign

    layers = _conv_stages(SMALL_CHANNELS)
    cin = SMALL_CHANNELS[-1]
    backbone = nn.Sequential(*layers)
    backbone.out_channels = cin
    anchors = AnchorGenerator(sizes=((16, 32, 64, 128, 256),), aspect_ratios=((0.5, 1.0, 2.0),))
    pool = MultiScaleRoIAlign(featmap_names=["0"], output_size=7, sampling_ratio=2)
    head = TwoMLPHead(cin * 7 * 7, 256)
    return FasterRCNN(
        backbone,
        min_size=size,
        max_size=2 * size,
        rpn_anchor_generator=anchors,
        box_roi_pool=pool,
        box_head=head,
        box_predictor=FastRCNNPredictor(256, num_classes),
        # a few dozen objects an image at most: far fewer proposals and sampled boxes than COCO's defaults
        rpn_pre_nms_top_n_train=600,
        rpn_post_nms_top_n_train=300,
        rpn_pre_nms_top_n_test=300,
        rpn_post_nms_top_n_test=150,
        box_batch_size_per_image=128,
    )


def _small_fcos(num_classes: int, size: int):
    """FCOS (anchor-free, one stage) on a three-stage conv backbone with one stride-8 map and a
    two-conv, 64-wide head: a fraction of a two-stage detector's cost a step, so that a CPU sees
    thousands of images in minutes; stride 8 keeps objects of 16-100 px several cells wide."""
    from torch import nn
    from torchvision.models.detection import FCOS
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.models.detection.fcos import FCOSHead

    layers = _conv_stages(FCOS_CHANNELS)
    cin = FCOS_CHANNELS[-1]
    # two dilated convs at stride 8: a receptive field of ~100 input px, for the larger objects
    for dilation in (2, 4):
        layers += [
            nn.Conv2d(cin, cin, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm2d(cin),
            nn.ReLU(inplace=True),
        ]
    backbone = nn.Sequential(*layers)
    backbone.out_channels = cin
    # one level: FCOS's per-level size bounds then take every object; the anchor size is the
    # stride, which sets the centre-sampling radius (1.5 cells) and the box regression's scale
    anchors = AnchorGenerator(sizes=((8,),), aspect_ratios=((1.0,),))
    return FCOS(
        backbone,
        num_classes,
        min_size=size,
        max_size=2 * size,
        anchor_generator=anchors,
        head=FCOSHead(cin, 1, num_classes, num_convs=2),
        score_thresh=0.05,
        detections_per_img=100,
    )


@dataclass(frozen=True)
class Training:
    """How to train.

    Args:
        steps: optimiser steps (default 300).
        batch: images per step (default 4).
        size: the input's shorter side (default 320).
        lr: SGD learning rate, warmed up over the first 10 % of steps then cosine-decayed (default 0.01).
        seed: torch's seed and the data order's (default 0).
        arch: the torchvision builder, one of ARCHS (default ``fcos_small``).
    """

    steps: int = 300
    batch: int = 4
    size: int = 320
    lr: float = 0.01
    seed: int = 0
    arch: str = DEFAULT_ARCH

    def check(self) -> None:
        if not 1 <= self.steps <= 10_000_000:
            raise InputError(f"--steps: must be in 1..10000000, got {self.steps}")
        if not 1 <= self.batch <= 1024:
            raise InputError(f"--batch: must be in 1..1024, got {self.batch}")
        if not 32 <= self.size <= 4096:
            raise InputError(f"--size: must be in 32..4096, got {self.size}")
        if not 0 < self.lr <= 10:
            raise InputError(f"--lr: must be in (0, 10], got {self.lr}")
        if self.arch not in ARCHS:
            raise InputError(f"unknown detector arch {self.arch!r}; valid: {', '.join(ARCHS)}")


def train_detector(dataset: Path, training: Training, device: str, checkpoint: Path, progress: bool = True) -> Detector:
    """Train a detector on a synthgen dataset (or mix split), saving ``checkpoint`` as it goes.

    Args:
        dataset: the dataset folder (``manifest.json``); its visible instances are the targets.
        training: steps, batch, size, learning rate, seed, architecture.
        device: ``cpu`` or ``cuda[:N]``.
        checkpoint: where the checkpoint goes (every CHECKPOINT_EVERY steps and at the end).
        progress: a progress bar (or plain lines) on stderr.

    Returns:
        The trained Detector, in eval mode.
    """
    import math

    import torch
    from torch.utils.data import DataLoader
    from torchvision.transforms import v2

    from synthgen.torch import DatasetOnDisk, detection_collate

    training.check()
    augment = v2.Compose(
        [
            v2.RandomHorizontalFlip(),
            # photographs differ from flat synthetic colours in exposure, contrast and colour cast,
            # and are often grey (scans, old film, coins): the detector must not rely on hue
            v2.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4),
            v2.RandomGrayscale(p=0.5),
            v2.ToDtype(torch.float32, scale=True),
        ]
    )
    with_masks = training.arch == "maskrcnn_resnet50_fpn"
    data = _TrainingItems(DatasetOnDisk(dataset), augment, with_masks)
    if len(data) == 0:
        raise InputError(f"--model: {dataset}: the dataset has no samples to train on")
    label_map = data.label_map
    categories = tuple(zip(label_map.category_ids[1:], label_map.names[1:]))  # label k at k - 1; 0 is the background
    torch.manual_seed(training.seed)
    model = build_model(training.arch, label_map.num_classes, training.size).to(device)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=training.lr, momentum=0.9, weight_decay=1e-4)
    warmup = max(1, training.steps // 10)

    def lr_at(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, training.steps - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    order = torch.Generator().manual_seed(training.seed)
    loader = DataLoader(
        data, batch_size=training.batch, shuffle=True, generator=order, collate_fn=detection_collate, drop_last=False
    )
    detector = Detector(model, training.arch, categories, training.size)
    bar = TrainingProgress(training.steps, progress)
    step = 0
    try:
        while step < training.steps:
            for images, targets in loader:
                images = [im.to(device) for im in images]
                targets = [{k: v.to(device) for k, v in t.items()} for t in targets]
                losses = model(images, targets)
                loss = sum(losses.values())
                if not torch.isfinite(loss):
                    raise InputError(f"training diverged at step {step + 1} (loss {float(loss)}); try a smaller --lr")
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 10.0)
                optimizer.step()
                scheduler.step()
                step += 1
                bar.update(float(loss.detach()))
                if step % CHECKPOINT_EVERY == 0 and step < training.steps:
                    save_checkpoint(detector, checkpoint, {"steps": step})
                if step >= training.steps:
                    break
    finally:
        bar.close()
    save_checkpoint(detector, checkpoint, {"steps": step, "dataset": str(dataset)})
    model.eval()
    return detector


class _TrainingItems:
    """A DatasetOnDisk's samples as augmented (image, {boxes, labels[, masks]}) pairs: only what the
    detector trains on (decoding every instance's mask for a box detector was most of a step's data time)."""

    def __init__(self, data, augment, with_masks: bool):
        self.data, self.augment, self.with_masks = data, augment, with_masks
        self.label_map = data.label_map

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int):
        import numpy as np
        import torch
        from torchvision import tv_tensors

        from synthgen.torch import transformable_item

        sample = self.data[index]
        if self.with_masks:
            image, target = transformable_item(sample, self.label_map)
            return self.augment(image, {k: target[k] for k in ("boxes", "labels", "masks")})
        h, w = sample.image.shape[:2]
        visible = [i for i in sample.labels.instances if i.visible]
        boxes = np.array([[x, y, x + bw, y + bh] for x, y, bw, bh in (i.bbox for i in visible)], np.float32)
        target = {
            "boxes": tv_tensors.BoundingBoxes(
                torch.from_numpy(boxes.reshape(-1, 4)), format="XYXY", canvas_size=(h, w)
            ),
            "labels": torch.tensor([self.label_map.label(i.category) for i in visible], dtype=torch.int64),
        }
        image = tv_tensors.Image(torch.from_numpy(np.ascontiguousarray(sample.image.transpose(2, 0, 1))))
        return self.augment(image, target)


def save_checkpoint(detector: Detector, path: Path, extra: dict[str, Any] | None = None) -> None:
    """Write the detector's checkpoint atomically."""
    data = {
        "task": "detect",
        "arch": detector.arch,
        "categories": [list(c) for c in detector.categories],
        "size": detector.size,
        "state_dict": detector.model.state_dict(),
        **(extra or {}),
    }
    write_checkpoint(data, path)


def load_checkpoint(path: Path, device: str) -> Detector:
    """A Detector from a checkpoint file; InputError (one line) for a file that is not one."""
    return detector_from_checkpoint(read_checkpoint(path, device), path, device)


def detector_from_checkpoint(data: dict[str, Any], path: Path, device: str) -> Detector:
    """A Detector from a checkpoint's dict (``read_checkpoint``'s); InputError for one that is not a detector's."""
    if not {"arch", "categories", "state_dict"} <= set(data):
        raise InputError(f"--model: {path}: a detector checkpoint is a dict with arch, categories and state_dict")
    categories = data["categories"]
    if not (
        isinstance(categories, list)
        and categories
        and all(
            isinstance(c, (list, tuple)) and len(c) == 2 and isinstance(c[0], int) and isinstance(c[1], str)
            for c in categories
        )
    ):
        raise InputError(f"--model: {path}: categories must be a non-empty list of [id, name]")
    size = data.get("size", 800)
    if not isinstance(size, int) or not 32 <= size <= 4096:
        raise InputError(f"--model: {path}: size must be a whole number in 32..4096")
    model = build_model(str(data["arch"]), len(categories) + 1, size)
    model = load_weights(model, data, path, f"{data['arch']} with {len(categories)} classes", device)
    return Detector(model, str(data["arch"]), tuple((int(i), n) for i, n in categories), size)


def detect(detector: Detector, image, device: str) -> list[tuple[int, float, tuple[float, float, float, float]]]:
    """Detections of one (H, W, 3) uint8 image: (label 1..C, score, (x0, y0, x1, y1)) each."""
    import torch

    from synthgen.torch import image_tensor

    with torch.no_grad():
        out = detector.model([image_tensor(image).to(device)])[0]
    boxes = out["boxes"].cpu().tolist()
    return [
        (int(label), float(score), tuple(box))
        for label, score, box in zip(out["labels"].cpu().tolist(), out["scores"].cpu().tolist(), boxes)
    ]
