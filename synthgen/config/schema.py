"""Run config schema (omegaconf structured config) and the resolved, frozen RunConfig."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from synthgen.annotate.base import AnnotatorKind
    from synthgen.steps import Step
    from synthgen.types import CategoryTable

IMAGE_FORMATS = ("png", "jpg")
PNG_FILTERS = ("adaptive", "none", "sub", "up", "paeth")


@dataclass
class ImageSchema:
    """Args:
    format: png or jpg.
    jpeg_quality: 1..100.
    png_compress_level: zlib level 0..9.
    png_filter: libpng's row filter: ``adaptive`` (libpng picks one per row: smallest files, the
        slowest) or one filter for every row (``none``, ``sub``, ``up``, ``paeth``: 3-5x faster
        to encode; flat synthetic renders barely grow). The decoded pixels are the same.
    """

    format: str = "png"
    jpeg_quality: int = 95
    png_compress_level: int = 6
    png_filter: str = "adaptive"


@dataclass
class StageSchema:
    """``kind:`` picks an implementation from the stage's registry; ``params`` follow its schema."""

    kind: str = "???"
    params: Any = field(default_factory=dict)
    include: Any = None


@dataclass
class StepSchema:
    """One named step of ``generate:`` or ``augment:``: ``kind`` from the stage's registry, applied
    with probability ``p`` (0..1); ``params`` follow the kind's schema."""

    kind: str = "???"
    p: float = 1.0
    params: Any = None  # None, not {}: a non-mapping must reach the check in build._build_steps


@dataclass
class RenderSchema:
    """``render:``: the renderer kind (``auto``: the scene's own) and its params."""

    kind: str = "auto"
    params: Any = None


@dataclass
class AnnotatorSchema:
    """One named annotator of ``annotate:`` (``kind`` from synthgen.annotate's registry)."""

    kind: str = "???"


@dataclass
class RaySchema:
    """``ray:``, for ``--executor ray``: where the cluster is and how shards come back."""

    address: Optional[str] = None  # None: start a local cluster; "auto", "host:port" or "ray://host:port" joins one
    num_cpus: Optional[int] = None  # CPUs of a local cluster, >= 1 (None: all)
    shared_output: bool = False  # True: OUT is a path every node sees; tasks write there directly
    connect_timeout_s: float = 30.0  # joining (or starting) the cluster, before OUT is touched


@dataclass
class RegressSchema:
    """Tolerances of ``synthgen regress`` (see synthgen/regress and docs/regress.md)."""

    num: int = 8  # samples in the fingerprint (indices 0..num-1 of the run's seed)
    labels: str = "exact"  # exact | tolerant (boxes and quads within box_tolerance_px, masks by IoU)
    box_tolerance_px: float = 0.0  # tolerant mode: largest allowed move of a box edge or quad corner
    min_ssim: float = 0.9  # per-sample SSIM of the grayscale thumbnails, 0..1
    stats_tolerance: float = 0.1  # largest relative change of a dataset statistic
    min_mask_iou: float = 0.9  # tolerant mode: smallest allowed IoU of an instance mask with its golden one
    thumbnail_px: int = 64  # longest side of the RGB thumbnails kept in a golden, 16..512
    max_color_shift: float = 10.0  # largest change of a region's mean colour, in 0..255 levels per channel


@dataclass
class RunSchema:
    name: str = "dataset"
    seed: int = 0
    num_samples: int = 100
    shard_size: int = 50
    image: ImageSchema = field(default_factory=ImageSchema)
    scene: StageSchema = field(default_factory=StageSchema)
    outputs: list[str] = field(default_factory=lambda: ["coco"])
    writers: dict[str, Any] = field(default_factory=dict)  # writer name -> its options (formats/*.py)
    regress: RegressSchema = field(default_factory=RegressSchema)
    render: RenderSchema = field(default_factory=RenderSchema)
    generate: dict[str, StepSchema] = field(default_factory=dict)  # applied in YAML order
    augment: dict[str, StepSchema] = field(default_factory=dict)  # applied in YAML order
    annotate: dict[str, AnnotatorSchema] = field(default_factory=dict)  # run in YAML order
    categories: Optional[dict[str, int]] = None  # name -> id; None: the scene's (and annotators') table
    ray: RaySchema = field(default_factory=RaySchema)


@dataclass(frozen=True)
class ImageConfig:
    format: str
    jpeg_quality: int
    png_compress_level: int
    png_filter: str = "adaptive"

    @property
    def suffix(self) -> str:
        return ".jpg" if self.format == "jpg" else ".png"


@dataclass(frozen=True)
class SceneConfig:
    kind: str
    settings: Any  # the scene kind's frozen settings dataclass


@dataclass(frozen=True)
class RenderConfig:
    kind: str  # the renderer kind (resolved: never "auto")
    settings: Any  # the renderer kind's frozen settings


# ``ray.address``: a GCS address (host or [IPv6 host], port) or a Ray Client one (ray://host:port)
_RAY_ADDRESS = re.compile(
    r"(?P<client>ray://)?(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):(?P<port>[0-9]{1,5})"
)
MAX_RAY_CONNECT_TIMEOUT_S = 3600.0


@dataclass(frozen=True)
class RayConfig:
    """The resolved ``ray:`` section, checked here so that the error names the key.

    Attributes:
        address: None (start a local cluster), ``auto`` (the cluster this machine belongs to),
            ``host:port`` (a head's GCS) or ``ray://host:port`` (a Ray Client server).
        num_cpus: CPUs of a local cluster, >= 1; None: all of this machine's.
        shared_output: OUT is a path every node sees; tasks write there directly.
        connect_timeout_s: seconds to join (or start) the cluster before giving up, 0 < t <= 3600.
    """

    address: str | None = None
    num_cpus: int | None = None
    shared_output: bool = False
    connect_timeout_s: float = 30.0

    def __post_init__(self):
        from synthgen.errors import ConfigError

        if self.address is not None and self.address != "auto":
            match = _RAY_ADDRESS.fullmatch(self.address)
            if match is None:
                raise ConfigError(
                    "ray.address",
                    f"expected auto, host:port or ray://host:port, got {self.address[:80]!r}",
                )
            if not 1 <= int(match["port"]) <= 65535:
                port = int(match["port"])
                raise ConfigError("ray.address", f"port must be in 1..65535, got {port} in {self.address[:80]!r}")
        if self.num_cpus is not None and (isinstance(self.num_cpus, bool) or not isinstance(self.num_cpus, int)):
            raise ConfigError("ray.num_cpus", f"expected a whole number, got {self.num_cpus!r}")
        if self.num_cpus is not None and self.num_cpus < 1:
            raise ConfigError(
                "ray.num_cpus", f"must be >= 1 (a cluster without CPUs never runs a shard), got {self.num_cpus}"
            )
        if not 0 < self.connect_timeout_s <= MAX_RAY_CONNECT_TIMEOUT_S:
            raise ConfigError(
                "ray.connect_timeout_s",
                f"must be > 0 and <= {MAX_RAY_CONNECT_TIMEOUT_S:.0f} (seconds), got {self.connect_timeout_s}",
            )

    @property
    def host_port(self) -> tuple[str, int] | None:
        """The host and port that ``address`` names (None for a local cluster or ``auto``)."""
        match = _RAY_ADDRESS.fullmatch(self.address or "")
        return None if match is None else (match["host"].strip("[]"), int(match["port"]))


@dataclass(frozen=True)
class RegressConfig:
    """The resolved ``regress:`` section; ranges are checked here so that the error names the key."""

    num: int
    labels: str
    box_tolerance_px: float
    min_ssim: float
    stats_tolerance: float
    min_mask_iou: float = 0.9
    thumbnail_px: int = 64
    max_color_shift: float = 10.0

    def __post_init__(self):
        from synthgen.errors import ConfigError

        if self.box_tolerance_px < 0:
            raise ConfigError("regress.box_tolerance_px", f"must be >= 0, got {self.box_tolerance_px}")
        if not 0 <= self.min_ssim <= 1:
            raise ConfigError("regress.min_ssim", f"must be in 0..1, got {self.min_ssim}")
        if self.stats_tolerance < 0:
            raise ConfigError("regress.stats_tolerance", f"must be >= 0, got {self.stats_tolerance}")
        if not 0 <= self.min_mask_iou <= 1:
            raise ConfigError("regress.min_mask_iou", f"must be in 0..1, got {self.min_mask_iou}")
        if not 0 <= self.max_color_shift <= 255:
            raise ConfigError("regress.max_color_shift", f"must be in 0..255, got {self.max_color_shift}")
        if not 16 <= self.thumbnail_px <= 512:
            raise ConfigError("regress.thumbnail_px", f"must be in 16..512, got {self.thumbnail_px}")


@dataclass(frozen=True)
class RunConfig:
    """A loaded, validated run config. Stages see only the frozen pieces they need.

    Attributes:
        resolved: the merged config as plain JSON-able data (distributions kept as written),
            printed by ``synthgen validate`` and recorded in the manifest.
        source: the config file it was loaded from.
        render: the renderer kind and its settings.
        categories: the run's category table (ids stable across shards, workers and writers).
        generate, augment: the configured steps of those stages, in order.
        annotate: the annotators, in order.
        ray: settings of the ``ray`` executor (they do not change the dataset).
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
    render: RenderConfig
    categories: CategoryTable
    generate: tuple[Step, ...] = ()  # in config order; empty: no generate stage
    augment: tuple[Step, ...] = ()  # in config order; empty: no augment stage
    annotate: tuple[AnnotatorKind, ...] = ()  # in config order
    ray: RayConfig = RayConfig()
    writer_options: dict[str, Any] = field(default_factory=dict)  # writer name -> its frozen options

    def writer(self, name: str) -> Any:
        """The writer ``name`` of ``outputs``, bound to the options of its ``writers:`` entry."""
        from synthgen.formats import WRITERS

        return WRITERS.get(name).with_options(self.writer_options.get(name))
