"""Run config schema (omegaconf structured config) and the resolved, frozen RunConfig."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

IMAGE_FORMATS = ("png", "jpg")


@dataclass
class ImageSchema:
    format: str = "png"
    jpeg_quality: int = 95
    png_compress_level: int = 6


@dataclass
class StageSchema:
    """``kind:`` picks an implementation from the stage's registry; ``params`` follow its schema."""

    kind: str = "???"
    params: Any = field(default_factory=dict)
    include: Any = None


@dataclass
class RegressSchema:
    """Tolerances of ``synthgen regress`` (see synthgen/regress)."""

    num: int = 8
    labels: str = "exact"
    box_tolerance_px: float = 0.0
    min_ssim: float = 0.9
    stats_tolerance: float = 0.1


@dataclass
class RunSchema:
    name: str = "dataset"
    seed: int = 0
    num_samples: int = 100
    shard_size: int = 50
    image: ImageSchema = field(default_factory=ImageSchema)
    scene: StageSchema = field(default_factory=StageSchema)
    outputs: list[str] = field(default_factory=lambda: ["coco"])
    regress: RegressSchema = field(default_factory=RegressSchema)


@dataclass(frozen=True)
class ImageConfig:
    format: str
    jpeg_quality: int
    png_compress_level: int

    @property
    def suffix(self) -> str:
        return ".jpg" if self.format == "jpg" else ".png"


@dataclass(frozen=True)
class SceneConfig:
    kind: str
    settings: Any  # the scene kind's frozen settings dataclass


@dataclass(frozen=True)
class RegressConfig:
    num: int
    labels: str
    box_tolerance_px: float
    min_ssim: float
    stats_tolerance: float


@dataclass(frozen=True)
class RunConfig:
    """A loaded, validated run config. Stages see only the frozen pieces they need.

    Attributes:
        resolved: the merged config as plain JSON-able data (distributions kept as written),
            printed by ``synthgen validate`` and recorded in the manifest.
        source: the config file it was loaded from.
    """

    name: str
    seed: int
    num_samples: int
    shard_size: int
    image: ImageConfig
    scene: SceneConfig
    outputs: tuple[str, ...]
    regress: RegressConfig
    resolved: dict[str, Any]
    source: str
