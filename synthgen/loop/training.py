"""What the models of ``synthgen assist`` share: the device, a training progress bar and checkpoint files.

A checkpoint is a ``torch.save``d dict that ``torch.load(weights_only=True)`` reads; its ``task``
(``detect``, the default where absent, or ``recognize``) says which model it holds.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from synthgen.errors import InputError

PLAIN_EVERY_S = 10.0
TASKS = ("detect", "recognize")


def resolve_device(name: str) -> str:
    """``auto`` -> cuda where available, else cpu; InputError for a device torch cannot use."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise InputError(f"--device: unknown device {name!r}; cpu, cuda, cuda:N or auto") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"--device: {name}: no CUDA device here; use cpu or auto")
    if device.type not in ("cpu", "cuda"):
        raise InputError(f"--device: {name}: cpu, cuda, cuda:N or auto")
    return name


class TrainingProgress:
    """Training steps on stderr: tqdm on a terminal, a plain line every 10 s (or 10 %) elsewhere."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.done = total, enabled, 0
        self.bar = None
        self.start = self.last = time.monotonic()
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="step", desc="train", file=sys.stderr)

    def update(self, loss: float) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{loss:.3f}")
            return
        now = time.monotonic()
        if self.enabled and (
            now - self.last >= PLAIN_EVERY_S or self.done % max(1, self.total // 10) == 0 or self.done == self.total
        ):
            print(
                f"train: {self.done}/{self.total} steps, loss {loss:.3f}, {self.done / (now - self.start):.2f} steps/s",
                file=sys.stderr,
                flush=True,
            )
            self.last = now

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def write_checkpoint(data: dict[str, Any], path: Path) -> None:
    """``torch.save`` ``data`` atomically (a temporary file renamed into place), making its folder."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(data, tmp)
    os.replace(tmp, path)


def read_checkpoint(path: Path, device: str) -> dict[str, Any]:
    """The dict of a checkpoint file; InputError (one line) for a file that is not one."""
    import torch

    try:
        data = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # a pickle error, a zip error, a truncated file: all the user's file
        raise InputError(f"--model: {path}: not a readable checkpoint ({type(exc).__name__})") from None
    if not isinstance(data, dict) or "state_dict" not in data:
        raise InputError(f"--model: {path}: a checkpoint is a dict with a state_dict (and arch, categories or charset)")
    task = data.get("task", "detect")
    if task not in TASKS:
        raise InputError(f"--model: {path}: task {task!r}; valid: {', '.join(TASKS)}")
    return data


def load_weights(model, data: dict[str, Any], path: Path, what: str, device: str):
    """``model`` with the checkpoint's weights, in eval mode on ``device``; InputError (one line, naming
    ``what`` the weights were meant for) where they do not fit it."""
    try:
        model.load_state_dict(data["state_dict"])
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise InputError(f"--model: {path}: the weights do not fit {what} ({first})") from None
    return model.to(device).eval()


def checkpoint_task(data: dict[str, Any]) -> str:
    """The task of a checkpoint's dict (``detect`` where it names none, as detector checkpoints did)."""
    return str(data.get("task", "detect"))
