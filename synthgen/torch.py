"""PyTorch glue: datasets, a sampler and collate functions for training on mixed or streamed data.

``import synthgen`` does not import torch; this module imports it when its classes are used
(install torch first; ``pip install 'synthgen-cv[torch]'``).

- ``DatasetOnDisk(path)``: a map-style dataset over a synthgen dataset folder (a ``synthgen mix``
  split, or ``generate``'s output), samples decoded on demand.
- ``SyntheticDataset(config)``: an ``IterableDataset`` that makes samples on the fly (no disk),
  each DataLoader worker making every ``num_workers``-th sample of one order (the index order, or a
  seeded shuffle buffer's), deterministic for a seed. It stands as a source in a mix as a
  ``format: generate`` source with the same run config and overrides: the same ``make_sample``
  calls, the same samples.
- ``LabelMap``: the run's category ids <-> contiguous training labels 1..C (0: background), as
  torchvision's detection models number classes (``num_classes = C + 1``).
- ``detection_item`` / ``detection_collate``: (image, target) as torchvision's detection references
  build them, in ``tv_tensors`` so that a ``transforms.v2`` pipeline moves boxes, masks and
  keypoints with the image; ``transforms=`` on both datasets applies one. These need torchvision
  (in the same extra); the rest needs torch alone.
- ``SyntheticShareSampler``: draws each epoch's indices with a scheduled share of synthetic
  samples (for example 0.8 falling linearly to 0.2 over the epochs), the rest real.
- ``recognition_collate``: text-recognition batches: crops resized to one height and padded,
  with their label strings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import islice
from typing import Any

import numpy as np

from synthgen.types import CategoryTable, Sample


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("synthgen.torch needs PyTorch: pip install 'synthgen-cv[torch]'") from None
    return torch


def _torchvision():
    """(tv_tensors, transforms.v2) of torchvision >= 0.23 (the first with ``tv_tensors.KeyPoints``)."""
    _torch()
    try:
        from torchvision import tv_tensors
        from torchvision.transforms import v2
    except ImportError:
        raise ImportError(
            "synthgen.torch's detection targets need torchvision: pip install 'synthgen-cv[torch]'"
        ) from None
    if not hasattr(tv_tensors, "KeyPoints"):
        import torchvision

        raise ImportError(
            f"synthgen.torch's detection targets need torchvision >= 0.23 (tv_tensors.KeyPoints), "
            f"found {torchvision.__version__}: pip install 'synthgen-cv[torch]'"
        )
    return tv_tensors, v2


def _base(name: str):
    torch = _torch()
    return getattr(torch.utils.data, name)


@dataclass(frozen=True)
class LabelMap:
    """A run's category table as contiguous training labels: label ``k`` (1..C) is the k-th
    category in id order, 0 is the background, as torchvision's detection models count classes.

    Args:
        categories: the run's category table (``Labels.categories``; one table for a whole mix).

    Attributes:
        num_classes: C + 1, the ``num_classes`` of a torchvision detection model.
        names: label -> category name, ``"__background__"`` at 0 (as torchvision's
            ``weights.meta["categories"]``).
        category_ids: label -> the run's category id (COCO ``category_id``), 0 at 0.
        num_keypoints: K, the most keypoints of any category (0: no ``keypoints`` in targets).
    """

    categories: CategoryTable

    @property
    def num_classes(self) -> int:
        return len(self.categories) + 1

    @property
    def names(self) -> tuple[str, ...]:
        return ("__background__", *(c.name for c in self._ordered))

    @property
    def category_ids(self) -> tuple[int, ...]:
        return (0, *(c.id for c in self._ordered))

    @property
    def num_keypoints(self) -> int:
        return max((len(c.keypoints) for c in self.categories.categories), default=0)

    def label(self, name: str) -> int:
        """The training label (1..C) of a category name."""
        try:
            return self._labels[name]
        except KeyError:
            raise KeyError(f"category {name!r} is not in the run's table {list(self.categories.names)}") from None

    def name(self, label: int) -> str:
        """The category name of a training label (0: ``__background__``)."""
        return self.names[label]

    def category_id(self, label: int) -> int:
        """The run's category id of a training label, e.g. to write predictions as COCO results."""
        return self.category_ids[label]

    @cached_property
    def _ordered(self) -> tuple:
        return tuple(sorted(self.categories.categories, key=lambda c: c.id))

    @cached_property
    def _labels(self) -> dict[str, int]:
        return {c.name: k + 1 for k, c in enumerate(self._ordered)}


def image_tensor(image: np.ndarray):
    """(H, W, 3) uint8 -> (3, H, W) float32 tensor in 0..1."""
    torch = _torch()
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float().div_(255)


def transformable_item(sample: Sample, label_map: LabelMap | None = None) -> tuple[Any, dict[str, Any]]:
    """A sample as the (image, target) pair a ``transforms.v2`` pipeline takes: what
    ``detection_item`` gives before its transforms (keypoints not yet joined to their visibility).

    Args:
        sample: a Sample; its visible instances (``area > 0``) are the targets.
        label_map: the labels; None: the sample's own category table (the run's).

    Returns:
        image: ``tv_tensors.Image`` (3, H, W) uint8.
        target: ``boxes`` ``BoundingBoxes`` (N, 4) float32 XYXY, ``labels`` (N,) int64 1..C,
        ``masks`` ``Mask`` (N, H, W) uint8, ``area`` (N,) float32 pixels, ``iscrowd`` (N,) int64
        (the ``iscrowd`` attribute of a real COCO annotation, else 0), ``image_id`` (the
        sample's index), ``meta``; where the table has keypoints (K > 0): ``keypoints``
        ``KeyPoints`` (N, K, 2) float32 in pixel indices (synthgen's coordinates - 0.5, see
        ``detection_item``) and ``keypoint_visibility`` (N, K) float32 (COCO's 0, 1, 2).
    """
    torch = _torch()
    tv_tensors, _ = _torchvision()
    label_map = LabelMap(sample.labels.categories) if label_map is None else label_map
    h, w = sample.image.shape[:2]
    visible = [i for i in sample.labels.instances if i.visible]
    boxes = np.array([[x, y, x + bw, y + bh] for x, y, bw, bh in (i.bbox for i in visible)], np.float32)
    masks = np.stack([i.visible_mask() for i in visible]) if visible else np.zeros((0, h, w), bool)
    target: dict[str, Any] = {
        "boxes": tv_tensors.BoundingBoxes(boxes.reshape(-1, 4), format="XYXY", canvas_size=(h, w)),
        "labels": torch.tensor([label_map.label(i.category) for i in visible], dtype=torch.int64),
        "masks": tv_tensors.Mask(torch.from_numpy(masks.astype(np.uint8))),
        "area": torch.tensor([i.area for i in visible], dtype=torch.float32),
        "iscrowd": torch.tensor([int(i.attributes.get("iscrowd", 0)) for i in visible], dtype=torch.int64),
        "image_id": int(sample.meta.get("index", -1)),
        "meta": sample.meta,
    }
    k = label_map.num_keypoints
    if k:
        points = np.zeros((len(visible), k, 3), np.float32)
        for n, inst in enumerate(visible):
            if inst.keypoints is not None:
                kp = np.asarray(inst.keypoints, np.float32).reshape(-1, 3)[:k]
                points[n, : len(kp)] = kp
        labelled = points[..., 2] > 0
        # synthgen's points are continuous (pixel (i, j) spans [j, j + 1)); torchvision's are pixel
        # indices (its flip maps x to W - 1 - x), so the same flip must give the same pixel
        points[..., :2] = np.where(labelled[..., None], points[..., :2] - 0.5, 0)
        target["keypoints"] = tv_tensors.KeyPoints(torch.from_numpy(points[..., :2].copy()), canvas_size=(h, w))
        target["keypoint_visibility"] = torch.from_numpy(points[..., 2].copy())
    image = tv_tensors.Image(torch.from_numpy(np.ascontiguousarray(sample.image.transpose(2, 0, 1))))
    return image, target


def instance_fields(inputs: Any) -> tuple:
    """The per-instance tensors of an (image, target) pair besides boxes and masks (labels, area,
    iscrowd, keypoints and their visibility): pass as ``v2.SanitizeBoundingBoxes(labels_getter=
    instance_fields)`` so that the instances it drops leave every field."""
    target = inputs[1] if isinstance(inputs, (tuple, list)) else inputs
    names = ("labels", "area", "iscrowd", "keypoints", "keypoint_visibility")
    return tuple(target[n] for n in names if n in target)


def finish_target(target: dict[str, Any]) -> dict[str, Any]:
    """A transformed target as torchvision's detection models take it: ``area`` counted again from
    the (moved) masks; ``keypoints`` (N, K, 3) x, y, visibility (KeypointRCNN's format), a point
    that left the image unlabelled (0, 0, 0) as COCO writes one."""
    torch = _torch()
    out = dict(target)
    if "masks" in out:
        out["area"] = out["masks"].flatten(1).sum(1, dtype=torch.float32).as_subclass(torch.Tensor)
    if "keypoints" in out:
        points = out["keypoints"]
        h, w = getattr(points, "canvas_size", out["boxes"].canvas_size)
        xy = points.as_subclass(torch.Tensor).float()
        inside = (xy[..., 0] >= -0.5) & (xy[..., 0] < w - 0.5) & (xy[..., 1] >= -0.5) & (xy[..., 1] < h - 0.5)
        visibility = out.pop("keypoint_visibility").float() * inside
        xy = xy * (visibility > 0)[..., None]
        out["keypoints"] = torch.cat([xy, visibility[..., None]], dim=-1)
    return out


def detection_item(
    sample: Sample, transforms: Callable | None = None, label_map: LabelMap | None = None
) -> tuple[Any, dict[str, Any]]:
    """(image, target) of a sample as torchvision's detection references build them.

    Args:
        sample: a Sample.
        transforms: a ``transforms.v2`` pipeline applied to (image, target) together: the uint8
            ``tv_tensors.Image``, ``BoundingBoxes``, ``Mask`` and ``KeyPoints`` move as one. End it
            with ``v2.ToDtype(torch.float32, scale=True)`` as torchvision's references do; None:
            only that. To drop instances a crop leaves empty, add
            ``v2.SanitizeBoundingBoxes(labels_getter=instance_fields)``.
        label_map: the labels; None: the sample's own category table (the run's).

    Returns:
        image: (3, H, W) ``tv_tensors.Image``.
        target: ``boxes`` (N, 4) XYXY ``BoundingBoxes``, ``labels`` (N,) int64 1..C (see
        ``LabelMap``), ``masks`` (N, H, W) uint8 ``Mask``, ``area`` (N,) float32 (mask pixels,
        after the transforms), ``iscrowd`` (N,) int64, ``image_id``, ``meta``, and where the
        table has keypoints ``keypoints`` (N, K, 3) float32 x, y, visibility: K is the table's
        longest keypoint list, shorter ones padded with (0, 0, 0); x, y are pixel indices
        (synthgen's coordinates - 0.5), as torchvision's keypoint transforms and KeypointRCNN use.
    """
    _, v2 = _torchvision()
    image, target = transformable_item(sample, label_map)
    if transforms is None:
        transforms = v2.ToDtype(_torch().float32, scale=True)
    meta = target.pop("meta")  # JSON, nothing to move: kept out of the transforms' tree walk
    image, target = transforms(image, target)
    return image, {**finish_target(target), "meta": meta}


def detection_target(sample: Sample, label_map: LabelMap | None = None) -> dict[str, Any]:
    """The torchvision detection target of a sample (``detection_item``'s, no transforms)."""
    return detection_item(sample, label_map=label_map)[1]


def detection_collate(batch: Sequence[Any]) -> tuple[list, list[dict[str, Any]]]:
    """A batch as torchvision's detection models take it: (images, targets) lists.

    Items may be Samples (made into ``detection_item``s: float32 images in 0..1, labels by the
    samples' own table) or (image, target) pairs from a dataset's ``transforms=``.
    """
    pairs = [detection_item(item) if isinstance(item, Sample) else item for item in batch]
    return [image for image, _ in pairs], [target for _, target in pairs]


def recognition_collate(batch: Sequence[Sample], height: int = 32, max_width: int = 512) -> tuple[Any, Any, list[str]]:
    """Text crops -> (images (B, 3, height, W) float in 0..1, right-padded with 0; widths (B,) int64;
    label strings). Each crop is resized to ``height`` keeping its aspect ratio (at most ``max_width``);
    its label is the transcription of its first text instance."""
    import cv2

    torch = _torch()
    crops, texts = [], []
    for s in batch:
        h, w = s.image.shape[:2]
        width = int(min(max_width, max(1, round(w * height / h))))
        crops.append(
            cv2.resize(s.image, (width, height), interpolation=cv2.INTER_AREA if h > height else cv2.INTER_LINEAR)
        )
        words = (i.extensions["text"] for i in s.labels.instances if "text" in i.extensions)  # the text domain's label
        text = next((w.transcription for w in words), "")
        texts.append(text)
    widest = max(c.shape[1] for c in crops)
    images = torch.zeros((len(batch), 3, height, widest))
    for n, crop in enumerate(crops):
        images[n, :, :, : crop.shape[1]] = image_tensor(crop)
    return images, torch.tensor([c.shape[1] for c in crops], dtype=torch.int64), texts


def _item_maker(
    transform: Callable[[Sample], Any] | None, transforms: Callable | None, label_map: LabelMap
) -> Callable[[Sample], Any]:
    """Sample -> a dataset's item, from its ``transform`` / ``transforms`` arguments."""
    if transform is not None and transforms is not None:
        raise ValueError("give transform (Sample -> item) or transforms (a v2 pipeline on (image, target)), not both")
    if transforms is not None:
        _torchvision()  # fail now, not in a DataLoader worker
        return _DetectionItem(transforms, label_map)
    return transform if transform is not None else _identity


def _identity(sample: Sample) -> Sample:
    return sample


@dataclass(frozen=True)
class _DetectionItem:
    """``detection_item`` with fixed transforms and labels (picklable, for DataLoader workers)."""

    transforms: Callable
    label_map: LabelMap

    def __call__(self, sample: Sample) -> tuple[Any, dict[str, Any]]:
        return detection_item(sample, self.transforms, self.label_map)


class _DatasetOnDisk:
    """A map-style dataset over a synthgen dataset folder (a mix split, or ``generate``'s output).

    Args:
        path: the dataset folder (``manifest.json``).
        transform: Sample -> item; None (and no ``transforms``) gives the Sample.
        transforms: a ``transforms.v2`` pipeline: items are ``detection_item(sample, transforms,
            label_map)`` pairs (image, target). Give ``transform`` or ``transforms``, not both.

    Attributes:
        synthetic: per index, whether the sample is synthetic (``meta.source``), for the sampler.
        label_map: the dataset's category table (from its manifest) as training labels.
    """

    def __init__(self, path: Any, transform: Callable[[Sample], Any] | None = None, transforms: Callable | None = None):
        from synthgen.engine.source import DatasetSource

        self.source = DatasetSource.read(path)
        self.samples = self.source.lazy
        self.label_map = LabelMap(self.source.categories)
        self.item = _item_maker(transform, transforms, self.label_map)
        self.synthetic = [not str(s.record["meta"].get("source", "synthetic")).startswith("real") for s in self.samples]

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, index: int) -> Any:
        from synthgen.engine.source import stream

        return self.item(next(stream(self.source, (index,))))


def synthetic_share(epoch: int, epochs: int, start: float, end: float) -> float:
    """The synthetic share of ``epoch`` (0-based) on a line from ``start`` (first) to ``end`` (last)."""
    if epochs <= 1:
        return start
    t = min(max(epoch, 0), epochs - 1) / (epochs - 1)
    return start + (end - start) * t


class SyntheticShareSampler:
    """Each epoch, ``num_samples`` indices of which round(share * num_samples) are synthetic, the
    share following ``synthetic_share`` over ``epochs``; drawn without replacement while a pool
    lasts (then again from it), shuffled, deterministic for (seed, epoch). Call ``set_epoch``.

    Args:
        synthetic: per dataset index, whether it is synthetic (``DatasetOnDisk.synthetic``).
        num_samples: indices per epoch.
        start, end: the synthetic share of the first and last epoch.
        epochs: the schedule's length.
        seed: the draw's seed.
    """

    def __init__(
        self,
        synthetic: Sequence[bool],
        num_samples: int,
        start: float = 0.8,
        end: float = 0.2,
        epochs: int = 10,
        seed: int = 0,
    ):
        if not 0 <= start <= 1 or not 0 <= end <= 1:
            raise ValueError(f"shares must be in 0..1, got start {start}, end {end}")
        self.synthetic_pool = [i for i, s in enumerate(synthetic) if s]
        self.real_pool = [i for i, s in enumerate(synthetic) if not s]
        self.num_samples, self.start, self.end, self.epochs, self.seed = num_samples, start, end, epochs, seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def counts(self) -> tuple[int, int]:
        """(synthetic, real) indices of the current epoch."""
        share = synthetic_share(self.epoch, self.epochs, self.start, self.end)
        n_syn = round(share * self.num_samples)
        if not self.real_pool:
            n_syn = self.num_samples
        if not self.synthetic_pool:
            n_syn = 0
        return n_syn, self.num_samples - n_syn

    def _draw(self, pool: list[int], n: int, rng: np.random.Generator) -> list[int]:
        out: list[int] = []
        while len(out) < n:
            out += [pool[i] for i in rng.permutation(len(pool))[: n - len(out)]]
        return out

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(self.epoch,)))
        n_syn, n_real = self.counts()
        indices = self._draw(self.synthetic_pool, n_syn, rng) + self._draw(self.real_pool, n_real, rng)
        return iter([indices[i] for i in rng.permutation(len(indices))])

    def __len__(self) -> int:
        return self.num_samples


def buffered_shuffle(items: Iterable[int], size: int, rng: np.random.Generator) -> Iterator[int]:
    """Items in a shuffled order with at most ``size`` of them held: the buffer fills with the first
    ``size``, then each next item takes the place of one drawn at random, which is given out; the
    rest leave in random order at the end (a stream of any length, in bounded memory).

    Args:
        items: what to shuffle (a synthetic dataset's indices).
        size: the buffer's length; <= 1 gives the items in their order.
        rng: the generator that draws (the only randomness).
    """
    if size <= 1:
        yield from items
        return
    buffer: list[int] = []
    for item in items:
        if len(buffer) < size:
            buffer.append(item)
            continue
        j = int(rng.integers(size))
        yield buffer[j]
        buffer[j] = item
    yield from (buffer[j] for j in rng.permutation(len(buffer)))


class _SyntheticDataset:
    """Samples of a run config (or of any ``synthgen.engine.source.Source``) made on the fly, for a
    DataLoader: no files.

    The dataset's order is the indices ``start .. stop - 1``, or with ``shuffle_buffer=N`` those
    indices through a seeded shuffle buffer of N (``buffered_shuffle``: a stream of any length in
    bounded memory; N >= the length shuffles fully). Only indices pass through the buffer: a sample
    is made when it is given out. Each DataLoader worker builds its worker context once, on its
    first sample, computes the whole order and makes every ``num_workers``-th sample of it (worker
    w: positions w, w + num_workers, ...), so each index is made once; a DataLoader
    (``batch_size=None``) gives them in exactly this order whatever ``num_workers`` is, since it
    takes one item from each worker in turn (``in_order=True``, the default). With
    ``batch_size=B`` each batch holds B samples of one worker, so which samples share a batch
    depends on the worker count (the epoch's samples do not). Sample ``i`` is
    ``synthgen.make_sample(config, i)``: samples are made by ``synthgen.engine.source.stream``, the
    loop that makes the shards of ``generate`` and ``mix``.

    The order is the same in every epoch unless ``set_epoch(e)`` is called before iterating: it
    draws from ``(seed, e)``. Workers receive the dataset when an epoch's iterator starts, so with
    ``persistent_workers=True`` a later ``set_epoch`` does not reach them.

    Args:
        config: a RunConfig, the path of a run config, or a Source (``GeneratedSource``, a
            ``DatasetSource``...).
        start, stop: the index range (stop None: the source's length, a config's ``num_samples``).
        transform: Sample -> item; None (and no ``transforms``) gives the Sample.
        transforms: a ``transforms.v2`` pipeline: items are ``detection_item`` pairs (image, target).
        shuffle_buffer: the shuffle buffer's length; 0 (default): index order.
        seed: the shuffle's seed; None: the source's (the config's ``seed``).

    Attributes:
        label_map: the run's category table as training labels.

    OpenCV is put on one thread in this process: DataLoader workers are forked, and a forked
    OpenCV thread pool hangs (see ``synthgen.engine.executors.opencv_single_threaded``).
    """

    def __init__(
        self,
        config: Any,
        start: int = 0,
        stop: int | None = None,
        transform: Callable[[Sample], Any] | None = None,
        transforms: Callable | None = None,
        shuffle_buffer: int = 0,
        seed: int | None = None,
    ):
        import cv2

        from synthgen import _config
        from synthgen.engine.source import GeneratedSource, Source

        if isinstance(shuffle_buffer, bool) or not isinstance(shuffle_buffer, int) or shuffle_buffer < 0:
            raise ValueError(f"shuffle_buffer must be an int >= 0, got {shuffle_buffer!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise ValueError(f"seed must be an int >= 0 or None, got {seed!r}")
        if isinstance(config, Source):
            self.source = config
            self.config = getattr(config, "config", None)
        else:
            self.config = _config(config)
            self.source = GeneratedSource(self.config)
        self.start = start
        self.stop = len(self.source) if stop is None else stop
        self.label_map = LabelMap(self.source.categories)
        self.item = _item_maker(transform, transforms, self.label_map)
        self.shuffle_buffer = shuffle_buffer
        self.seed = self.source.seed if seed is None else seed
        self.epoch = 0
        cv2.setNumThreads(1)

    def __len__(self) -> int:
        return self.stop - self.start

    def set_epoch(self, epoch: int) -> None:
        """Shuffle the next iterations with ``(seed, epoch)``."""
        self.epoch = epoch

    def order(self) -> Iterator[int]:
        """The indices of one epoch, in the dataset's order (all workers together)."""
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(self.epoch,)))
        return buffered_shuffle(range(self.start, self.stop), self.shuffle_buffer, rng)

    def indices(self) -> Iterator[int]:
        """The indices this process makes, in order (all of them outside a DataLoader worker)."""
        info = _torch().utils.data.get_worker_info()
        if info is None:
            return self.order()
        return islice(self.order(), info.id, None, info.num_workers)

    def __iter__(self) -> Iterator[Any]:
        from synthgen.engine.source import stream

        # the worker context is this process's kept one (``context.worker_context``): built on a
        # DataLoader worker's first sample, reused by its later epochs
        for sample in stream(self.source, self.indices()):
            yield self.item(sample)


# The datasets subclass torch's Dataset / IterableDataset, so the classes are made when first
# asked for (``synthgen.torch.SyntheticDataset``), not when this module is imported; pickle finds
# them by the same name.
_LAZY_CLASSES = {
    "DatasetOnDisk": (_DatasetOnDisk, "Dataset"),
    "SyntheticDataset": (_SyntheticDataset, "IterableDataset"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY_CLASSES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    mixin, base = _LAZY_CLASSES[name]
    cls = type(name, (mixin, _base(base)), {"__module__": __name__, "__qualname__": name, "__doc__": mixin.__doc__})
    globals()[name] = cls
    return cls
