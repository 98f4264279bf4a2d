"""What a model is judged on: the units of a dataset (instances for detection, crops for
recognition, samples for per-sample scores), each with the parameters it was drawn from."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from synthgen.types import Instance, Sample

MAX_VALUE_CHARS = 80  # a recorded string longer than this is not a parameter value (a transcription)


@dataclass(frozen=True)
class Unit:
    """One judged thing and its outcome.

    Attributes:
        index: the sample's index (``meta.index``; the COCO image id).
        instance: the instance's position in the sample's instances, or None for a whole sample.
        failed: whether the model got it wrong.
        fields: parameter name -> recorded value (``scene.background``, ``instance.category``, ...).
        detail: a number behind ``failed`` where there is one (edit distance, loss, score), or None.
    """

    index: int
    instance: int | None
    failed: bool
    fields: dict[str, Any]
    detail: float | None = None


def _scalar(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return isinstance(value, bool)
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    return isinstance(value, str) and len(value) <= MAX_VALUE_CHARS


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{prefix}.{key}", item, out)
    elif _scalar(value):
        out[prefix] = value


def sample_fields(sample: Sample) -> dict[str, Any]:
    """The parameters a sample records: its source and every scalar of ``meta.scene`` and
    ``meta.augment`` (nested dicts flattened with dots), as ``scene.<name>`` / ``augment.<name>``.
    A mixed sample's are its origin's (``meta.origin.meta``)."""
    meta = sample.meta
    out: dict[str, Any] = {"source": str(meta.get("source", "synthetic"))}
    origin = meta.get("origin")
    drawn = origin["meta"] if isinstance(origin, dict) and isinstance(origin.get("meta"), dict) else meta
    for section in ("scene", "augment"):
        if isinstance(drawn.get(section), dict):
            _flatten(section, drawn[section], out)
    return out


def instance_fields(inst: Instance) -> dict[str, Any]:
    """The parameters of one instance: category, occlusion, truncation, visible area and its
    scalar attributes, as ``instance.<name>``."""
    out: dict[str, Any] = {"instance.category": inst.category, "instance.area": inst.area}
    if inst.occlusion is not None:
        out["instance.occlusion"] = float(inst.occlusion)
    if inst.truncation is not None:
        out["instance.truncation"] = float(inst.truncation)
    for key, value in inst.attributes.items():
        if key not in ("legible", "iscrowd") and _scalar(value):
            out[f"instance.{key}"] = value
    return out


def sample_index(sample: Sample, position: int) -> int:
    """The sample's index (its COCO image id): ``meta.index``, else its position in the dataset."""
    index = sample.meta.get("index", position)
    return int(index) if isinstance(index, int) and not isinstance(index, bool) else position
