"""PyTorch glue: datasets, a sampler and collate functions for training on mixed or streamed data.

``import synthgen`` does not import torch; this module imports it when its classes are used
(install torch first; ``pip install 'synthgen-cv[torch]'``).

- ``DatasetOnDisk(path)``: a map-style dataset over a synthgen dataset folder (a ``synthgen mix``
  split, or ``generate``'s output), samples decoded on demand.
- ``SyntheticShareSampler``: draws each epoch's indices with a scheduled share of synthetic
  samples (for example 0.8 falling linearly to 0.2 over the epochs), the rest real.
- ``detection_collate``: a batch as torchvision's detection models take it (images, targets).
- ``recognition_collate``: text-recognition batches: crops resized to one height and padded,
  with their label strings.
- ``SyntheticDataset(config)``: an ``IterableDataset`` that makes samples on the fly (no disk),
  each DataLoader worker making every ``num_workers``-th index with its own worker context,
  deterministic for a seed. It stands as a source in a mix as a ``format: generate`` source
  with the same run config and overrides: the same ``make_sample`` calls, the same samples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from synthgen.types import Sample


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("synthgen.torch needs PyTorch: pip install 'synthgen-cv[torch]'") from None
    return torch


def _base(name: str):
    torch = _torch()
    return getattr(torch.utils.data, name)


def detection_target(sample: Sample) -> dict[str, Any]:
    """The torchvision detection target of a sample: ``boxes`` (N, 4) float32 x1, y1, x2, y2 of the
    visible instances, ``labels`` (N,) int64 category ids of the sample's table, ``masks`` (N, H, W)
    uint8, ``image_id`` and the sample's ``meta``."""
    torch = _torch()
    visible = [i for i in sample.labels.instances if i.visible]
    boxes = np.array([[x, y, x + w, y + h] for x, y, w, h in (i.bbox for i in visible)], np.float32).reshape(-1, 4)
    labels = np.array([sample.labels.categories.id_of(i.category) for i in visible], np.int64)
    h, w = sample.image.shape[:2]
    masks = np.stack([i.visible_mask() for i in visible]).astype(np.uint8) if visible else np.zeros((0, h, w), np.uint8)
    return {
        "boxes": torch.from_numpy(boxes),
        "labels": torch.from_numpy(labels),
        "masks": torch.from_numpy(masks),
        "image_id": int(sample.meta.get("index", -1)),
        "meta": sample.meta,
    }


def image_tensor(image: np.ndarray):
    """(H, W, 3) uint8 -> (3, H, W) float32 tensor in 0..1."""
    torch = _torch()
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float().div_(255)


def detection_collate(batch: Sequence[Sample]) -> tuple[list, list[dict[str, Any]]]:
    """Samples -> (images: list of (3, H, W) float tensors, targets: list of ``detection_target``)."""
    return [image_tensor(s.image) for s in batch], [detection_target(s) for s in batch]


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
        text = next((i.text.transcription for i in s.labels.instances if i.text is not None), "")
        texts.append(text)
    widest = max(c.shape[1] for c in crops)
    images = torch.zeros((len(batch), 3, height, widest))
    for n, crop in enumerate(crops):
        images[n, :, :, : crop.shape[1]] = image_tensor(crop)
    return images, torch.tensor([c.shape[1] for c in crops], dtype=torch.int64), texts


class _DatasetOnDisk:
    """A map-style dataset over a synthgen dataset folder (a mix split, or ``generate``'s output).

    Args:
        path: the dataset folder (``manifest.json``).
        transform: Sample -> item; None gives the Sample.

    Attributes:
        synthetic: per index, whether the sample is synthetic (``meta.source``), for the sampler.
    """

    def __init__(self, path: Any, transform: Callable[[Sample], Any] | None = None):
        from pathlib import Path

        from synthgen.formats.base import ReadOptions
        from synthgen.formats.synthgen_reader import read_synthgen

        self.samples = read_synthgen(Path(path), ReadOptions()).samples
        self.transform = transform
        self.synthetic = [not str(s.record["meta"].get("source", "synthetic")).startswith("real") for s in self.samples]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> Any:
        sample = self.samples[index].materialize()
        return sample if self.transform is None else self.transform(sample)


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


class _SyntheticDataset:
    """Samples of a run config made on the fly, for a DataLoader: no files.

    Each DataLoader worker takes indices ``start + worker, start + worker + num_workers, ...``
    (each index once over the workers) and builds its worker context once, on its first sample.
    Sample ``i`` is ``synthgen.make_sample(config, i)`` whatever the number of workers.

    Args:
        config: a RunConfig or the path of a run config.
        start, stop: the index range (stop None: the config's ``num_samples``).
        transform: Sample -> item; None gives the Sample.

    OpenCV is put on one thread in this process: DataLoader workers are forked, and a forked
    OpenCV thread pool hangs (see ``synthgen.engine.executors.opencv_single_threaded``).
    """

    def __init__(
        self, config: Any, start: int = 0, stop: int | None = None, transform: Callable[[Sample], Any] | None = None
    ):
        import cv2

        from synthgen import _config

        self.config = _config(config)
        self.start = start
        self.stop = self.config.num_samples if stop is None else stop
        self.transform = transform
        self._ctx = None
        cv2.setNumThreads(1)

    def __len__(self) -> int:
        return self.stop - self.start

    def indices(self) -> range:
        """The indices this process makes (all of them outside a DataLoader worker)."""
        info = _torch().utils.data.get_worker_info()
        if info is None:
            return range(self.start, self.stop)
        return range(self.start + info.id, self.stop, info.num_workers)

    def __iter__(self) -> Iterator[Any]:
        from synthgen.engine.context import WorkerContext
        from synthgen.engine.pipeline import make_sample

        if self._ctx is None:
            self._ctx = WorkerContext(self.config)  # once per worker process (each has its own copy of self)
        for index in self.indices():
            sample = make_sample(self.config, index, self._ctx)
            yield sample if self.transform is None else self.transform(sample)


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
