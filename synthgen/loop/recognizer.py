"""A small CRNN text recogniser (CTC) for ``synthgen assist --task recognize``: trained on a synthgen
``ocr_recognition`` dataset (or a mix of crops) with ``synthgen.torch``, saved and loaded as a checkpoint.

The model: four conv blocks (the crop's height 32 -> 1, its width / 4) -> a bidirectional LSTM ->
per-column scores over ``blank + charset``, decoded greedily (best path, repeats merged, blanks
dropped). Its inputs are grey crops resized to ``height`` keeping their aspect ratio, as
``synthgen.torch.recognition_collate`` makes them.

A checkpoint: ``{"task": "recognize", "arch": "crnn", "charset": the characters of labels 1..C,
"height": 32, "max_width": the widest input in pixels, "input": "standardised" (``standardise``;
"raw", the default where absent, for checkpoints saved before it), "state_dict": the model's}``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from synthgen.errors import InputError
from synthgen.loop.training import TrainingProgress, load_weights, read_checkpoint, write_checkpoint

ARCH = "crnn"
HEIGHT = 32
STRIDE = 4  # input columns per output frame
MIN_WIDTH = 2 * STRIDE  # narrower crops are padded: the pools need a few columns
MAX_CHARSET = 10_000
CHECKPOINT_EVERY = 100


def build_crnn(num_classes: int, hidden: int = 96):
    """An untrained CRNN: (B, 1, 32, W) -> (W // 4, B, num_classes) log-probabilities."""
    from torch import nn

    class CRNN(nn.Module):
        def __init__(self):
            super().__init__()

            def block(cin: int, cout: int, pool) -> list:
                conv = nn.Conv2d(cin, cout, 3, padding=1)
                return [conv, nn.BatchNorm2d(cout), nn.ReLU(inplace=True), nn.MaxPool2d(pool)]

            self.features = nn.Sequential(
                *block(1, 32, 2), *block(32, 64, 2), *block(64, 96, (2, 1)), *block(96, hidden, (4, 1))
            )
            self.rnn = nn.LSTM(hidden, hidden, bidirectional=True, batch_first=True)
            self.head = nn.Linear(2 * hidden, num_classes)

        def forward(self, x):
            f = self.features(x).squeeze(2).transpose(1, 2)
            out, _ = self.rnn(f)
            return self.head(out).log_softmax(-1).transpose(0, 1)

    return CRNN()


def grey(images):
    """(B, 3, H, W) -> (B, 1, H, W): the channels' mean (text is read by its luminance)."""
    return images.mean(1, keepdim=True)


def standardise(images, widths):
    """(B, 1, H, W) grey crops -> the same, each crop's own columns (``widths``) brought to mean 0
    and deviation 1 and its text made dark (negative), the padding 0.

    Text is the minority of a crop's pixels, so a crop whose values skew positive (a few bright
    pixels on a darker ground) holds light text and is negated. The model then sees one contrast
    and one polarity: from raw 0..1 crops of any colour and either polarity it learned nothing in
    400 steps; standardised, it reads words within a few hundred.
    """
    import torch

    out = torch.zeros_like(images)
    for n, width in enumerate(widths.tolist()):
        crop = images[n, :, :, :width]
        crop = (crop - crop.mean()) / (crop.std(unbiased=False) + 1e-2)
        out[n, :, :, :width] = -crop if (crop**3).mean() > 0 else crop
    return out


def encode(texts: list[str], charset: str):
    """CTC targets of ``texts``: (concatenated labels 1..C, lengths); characters outside ``charset`` are dropped."""
    import torch

    index = {c: i + 1 for i, c in enumerate(charset)}
    targets = [index[c] for t in texts for c in t if c in index]
    lengths = [sum(1 for c in t if c in index) for t in texts]
    return torch.tensor(targets, dtype=torch.long), torch.tensor(lengths, dtype=torch.long)


def decode(log_probs, charset: str, lengths=None) -> list[tuple[str, float]]:
    """Greedy CTC decoding of (T, B, C) log-probabilities: (text, score) per item.

    The score is the mean probability of the kept characters' best frames (of every frame where
    nothing is read), in 0..1, as PaddleOCR's CTC decoder scores a crop.

    Args:
        log_probs: (T, B, C) log-probabilities, class 0 the blank.
        charset: the characters of classes 1..C-1.
        lengths: (B,) frames of each item (default: all T).
    """
    probs, best = log_probs.exp().max(-1)
    probs, best = probs.transpose(0, 1).tolist(), best.transpose(0, 1).tolist()
    out = []
    for n, (row, p) in enumerate(zip(best, probs)):
        frames = int(lengths[n]) if lengths is not None else len(row)
        chars, scores, last = [], [], 0
        for k, q in zip(row[:frames], p[:frames]):
            if k != last and k != 0:
                chars.append(charset[k - 1])
                scores.append(q)
            last = k
        kept = scores or p[:frames]
        out.append(("".join(chars), float(np.mean(kept)) if kept else 0.0))
    return out


def crop_batch(crops: list[np.ndarray], height: int = HEIGHT, max_width: int = 512, standardised: bool = True):
    """(H, W, 3) uint8 crops -> ((B, 1, height, W) standardised grey, right-padded with 0; (B,) frames).

    Each crop is resized to ``height`` keeping its aspect ratio (at most ``max_width`` wide), as
    ``synthgen.torch.recognition_collate`` does for training; ``standardised`` False gives the
    raw 0..1 grey that checkpoints from before ``standardise`` were trained on.
    """
    import cv2
    import torch

    from synthgen.torch import image_tensor

    resized = []
    for crop in crops:
        h, w = crop.shape[:2]
        width = int(min(max_width, max(1, round(w * height / h))))
        inter = cv2.INTER_AREA if h > height else cv2.INTER_LINEAR
        resized.append(cv2.resize(crop, (width, height), interpolation=inter))
    widest = max(MIN_WIDTH, max(r.shape[1] for r in resized))
    images = torch.zeros((len(crops), 3, height, widest))
    for n, r in enumerate(resized):
        images[n, :, :, : r.shape[1]] = image_tensor(r)
    widths = torch.tensor([r.shape[1] for r in resized])
    inputs = standardise(grey(images), widths) if standardised else grey(images)
    return inputs, frames_of(torch.clamp(widths, min=MIN_WIDTH))


def frames_of(widths):
    """Output frames of inputs ``widths`` pixels wide (the two width pools halve them, rounding down)."""
    return widths // STRIDE


@dataclass(frozen=True)
class Recognizer:
    """A recogniser and how it reads.

    Attributes:
        model: the CRNN (eval mode after loading).
        charset: the characters of labels 1..C (0 is CTC's blank).
        height: the crops' height in pixels.
        max_width: the widest input in pixels (wider crops are squeezed).
        standardised: inputs go through ``standardise`` (False: raw 0..1 grey, checkpoints saved
            before it, which have no ``input`` entry).
    """

    model: Any
    charset: str
    height: int = HEIGHT
    max_width: int = 512
    standardised: bool = True

    def checkpoint(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "task": "recognize",
            "arch": ARCH,
            "charset": self.charset,
            "height": self.height,
            "max_width": self.max_width,
            "input": "standardised" if self.standardised else "raw",
            "state_dict": self.model.state_dict(),
            **(extra or {}),
        }


@dataclass(frozen=True)
class RecognizerTraining:
    """How to train the recogniser.

    Args:
        steps: optimiser steps (default 1000: at 300 a recogniser reads ~12 % of held-out crops,
            at 1000 ~61 %).
        batch: crops per step (default 32).
        lr: Adam's learning rate, warmed up over the first 5 % of steps, then cosine-decayed to 0
            (default 0.003).
        seed: torch's seed and the data order's (default 0).
        max_width: crops are at most this wide after resizing to height 32 (default 512).
    """

    steps: int = 1000
    batch: int = 32
    lr: float = 0.003
    seed: int = 0
    max_width: int = 512

    def check(self) -> None:
        if not 1 <= self.steps <= 10_000_000:
            raise InputError(f"--steps: must be in 1..10000000, got {self.steps}")
        if not 1 <= self.batch <= 4096:
            raise InputError(f"--batch: must be in 1..4096, got {self.batch}")
        if not 0 < self.lr <= 10:
            raise InputError(f"--lr: must be in (0, 10], got {self.lr}")
        if not MIN_WIDTH <= self.max_width <= 8192:
            raise InputError(f"--size: the crops' widest width must be in {MIN_WIDTH}..8192, got {self.max_width}")


def dataset_charset(data) -> str:
    """The sorted characters of every transcription of a ``DatasetOnDisk`` (its records: no image decoded)."""
    from synthgen.records import instance_views

    chars: set[str] = set()
    for lazy in data.samples:
        for inst in instance_views(lazy.full_record()):
            text = inst.extensions.get("text")  # the text domain's label (a word's record)
            if text is not None:
                chars.update(text.transcription)
    return "".join(sorted(chars))


def train_recognizer(
    dataset: Path, training: RecognizerTraining, device: str, checkpoint: Path, progress: bool = True
) -> Recognizer:
    """Train a CRNN on a synthgen recognition dataset (or a mix of crops), saving ``checkpoint`` as it goes.

    Args:
        dataset: the dataset folder (``manifest.json``); each sample is a crop, its label the
            transcription of its first text instance (``recognition_collate``).
        training: steps, batch, learning rate, seed, widest input.
        device: ``cpu`` or ``cuda[:N]``.
        checkpoint: where the checkpoint goes (every CHECKPOINT_EVERY steps and at the end).
        progress: a progress bar (or plain lines) on stderr.

    Returns:
        The trained Recognizer, in eval mode.
    """
    import torch
    from torch.utils.data import DataLoader

    from synthgen.torch import DatasetOnDisk, recognition_collate

    training.check()
    data = DatasetOnDisk(dataset)
    if len(data) == 0:
        raise InputError(f"--model: {dataset}: the dataset has no samples to train on")
    charset = dataset_charset(data)
    if not charset:
        raise InputError(f"--model: {dataset}: no transcriptions to train a recogniser on")
    if len(charset) > MAX_CHARSET:
        raise InputError(f"--model: {dataset}: {len(charset)} distinct characters; at most {MAX_CHARSET}")
    torch.manual_seed(training.seed)
    model = build_crnn(len(charset) + 1).to(device)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=training.lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, partial(warmup_cosine, steps=training.steps))
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    order = torch.Generator().manual_seed(training.seed)
    collate = partial(recognition_collate, height=HEIGHT, max_width=training.max_width)
    loader = DataLoader(data, batch_size=training.batch, shuffle=True, generator=order, collate_fn=collate)
    recognizer = Recognizer(model, charset, HEIGHT, training.max_width)
    bar = TrainingProgress(training.steps, progress)
    step = 0
    try:
        while step < training.steps:
            for images, widths, texts in loader:
                inputs = standardise(grey(images), widths)
                widths = torch.clamp(widths, min=MIN_WIDTH)
                if inputs.shape[-1] < MIN_WIDTH:
                    inputs = torch.nn.functional.pad(inputs, (0, MIN_WIDTH - inputs.shape[-1]))
                log_probs = model(inputs.to(device))
                targets, lengths = encode(texts, charset)
                loss = ctc(log_probs.cpu(), targets, frames_of(widths), lengths)
                if not torch.isfinite(loss):
                    raise InputError(f"training diverged at step {step + 1} (loss {float(loss)}); try a smaller --lr")
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
                optimizer.step()
                scheduler.step()
                step += 1
                bar.update(float(loss.detach()))
                if step % CHECKPOINT_EVERY == 0 and step < training.steps:
                    write_checkpoint(recognizer.checkpoint({"steps": step}), checkpoint)
                if step >= training.steps:
                    break
    finally:
        bar.close()
    write_checkpoint(recognizer.checkpoint({"steps": step, "dataset": str(dataset)}), checkpoint)
    model.eval()
    return recognizer


def warmup_cosine(step: int, steps: int) -> float:
    """The learning rate's factor at ``step`` of ``steps``: linear warm-up over the first 5 %
    (Adam's first steps on a fresh CTC head otherwise jump into the all-blank plateau), then cosine to 0."""
    warmup = max(1, steps // 20)
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))


def load_recognizer(path: Path, device: str) -> Recognizer:
    """A Recognizer from a checkpoint file; InputError (one line) for a file that is not one."""
    return recognizer_from_checkpoint(read_checkpoint(path, device), path, device)


def recognizer_from_checkpoint(data: dict[str, Any], path: Path, device: str) -> Recognizer:
    """A Recognizer from a checkpoint's dict (``read_checkpoint``'s); InputError for one that is not a recogniser's."""
    charset, height, max_width = data.get("charset"), data.get("height", HEIGHT), data.get("max_width", 512)
    if data.get("arch", ARCH) != ARCH:
        raise InputError(f"--model: {path}: recogniser arch {data.get('arch')!r}; valid: {ARCH}")
    if not isinstance(charset, str) or not charset or len(set(charset)) != len(charset):
        raise InputError(f"--model: {path}: charset must be a non-empty string of distinct characters")
    if any(c in charset for c in "\t\n\r"):
        raise InputError(f"--model: {path}: charset holds a tab or line break, which predictions.tsv cannot store")
    if height != HEIGHT:
        raise InputError(f"--model: {path}: height must be {HEIGHT}, got {height!r}")
    if not isinstance(max_width, int) or not MIN_WIDTH <= max_width <= 8192:
        raise InputError(f"--model: {path}: max_width must be a whole number in {MIN_WIDTH}..8192")
    inputs = data.get("input", "raw")
    if inputs not in ("standardised", "raw"):
        raise InputError(f"--model: {path}: input {inputs!r}; valid: standardised, raw")
    model = load_weights(build_crnn(len(charset) + 1), data, path, f"a CRNN over {len(charset)} characters", device)
    return Recognizer(model, charset, height, max_width, inputs == "standardised")


def recognize(recognizer: Recognizer, crops: list[np.ndarray], device: str) -> list[tuple[str, float]]:
    """(text, score) of each (H, W, 3) uint8 crop, read one batch at a time."""
    import torch

    images, frames = crop_batch(crops, recognizer.height, recognizer.max_width, recognizer.standardised)
    with torch.no_grad():
        log_probs = recognizer.model(images.to(device)).cpu()
    return decode(log_probs, recognizer.charset, frames)
