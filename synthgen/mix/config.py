"""The mix config (``configs/mix_*.yaml``): schema, load-time checks and the frozen MixConfig.

::

    name: mix_words
    seed: 0
    categories: [text, other]          # the target taxonomy, ids 1, 2, ... in this order
    sources:
      real:                            # a source: a dataset read by a reader, or a run config
        path: ../out/real_words        # relative to this file (to the current folder in a shipped config)
        format: coco                   # a reader (synthgen.formats.READERS) or ``generate``
        real: true                     # real data: the only data of validation and test
        label_map: {word: text}        # source category -> target category (null: drop it)
        unmapped: error                # a category neither mapped nor a target one: error | drop | other
        on_bad: error                  # a bad record: error (one line, exit 2) | skip (listed in the report)
        # category: word               # a format without categories (icdar, recognition): its
                                       # instances' category (default: the format's own, text)
      synthetic:
        path: text_words.yaml          # format generate: samples made on the fly from this run config
                                       # (a file, or a shipped config by name: text_words)
        format: generate
        real: false
        overrides: [num_samples=40]
        weight: 1                      # share of the synthetic samples (or count: an exact number)
    strategy:
      ratio: {real: 1, synthetic: 3}   # training samples, real : synthetic
      fill_to: {text: 50}              # top up each class to at least N training instances from synthetic data
      caps: {}                         # class -> most training instances that synthetic additions may reach
    splits: {val: 0.2, test: 0.1}      # fractions of the real samples, stratified by class
    duplicates: drop                   # same image bytes seen twice: drop | keep (reported either way)
    outputs: [coco]                    # any writers (synthgen.formats.WRITERS)
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from synthgen.config.checks import check_name, refuse_non_finite, resolve_interpolations
from synthgen.config.omegaconf_errors import merge_checked
from synthgen.config.yaml_files import config_layers
from synthgen.config.schema import IMAGE_FORMATS, PNG_FILTERS, ImageConfig, ImageSchema, RayConfig, RaySchema
from synthgen.errors import ConfigError
from synthgen.formats.base import ON_BAD, ReaderKind
from synthgen.types import CategoryTable

UNMAPPED = ("error", "drop", "other")
DUPLICATES = ("drop", "keep")
GENERATE = "generate"  # the format of a source made on the fly from a run config
OTHER = "other"
# copy_paste bounds: each paste decodes its donor and blends a full-size layer, so a million per
# image (per_image: [1e6, 1e6]) ran for hours; a scale past 100 fits no image
MAX_PASTES = 100
MAX_PASTE_SCALE = 100.0


@dataclass
class SourceSchema:
    path: str = "???"
    format: str = "???"
    real: bool = True
    count: int | None = None
    weight: float | None = None
    label_map: dict[str, str | None] = field(default_factory=dict)
    unmapped: str = "error"
    on_bad: str = "error"
    images: str | None = None
    category: str | None = None
    overrides: list[str] = field(default_factory=list)


@dataclass
class StrategySchema:
    ratio: dict[str, float] | None = None
    fill_to: Any = None
    caps: dict[str, int] = field(default_factory=dict)


@dataclass
class SplitsSchema:
    val: float = 0.1
    test: float = 0.1


@dataclass
class CopyPasteSchema:
    source: str = "???"  # the source (real: false) whose instances are pasted
    into: list[str] = field(default_factory=list)  # real sources receiving pastes; empty: every real source
    p: float = 0.5  # probability that a training image receives pastes
    per_image: list[int] = field(default_factory=lambda: [1, 3])  # min, max instances pasted (max <= 100)
    scale: list[float] = field(default_factory=lambda: [0.5, 1.5])  # scale range of the instance's own size (<= 100)
    horizon: float | None = None  # row of the horizon, 0..1 of the height: place on a ground plane
    blend: str = "alpha"  # alpha | feather | poisson
    feather_px: float = 3.0
    categories: list[str] = field(default_factory=list)  # target categories pasted; empty: all
    min_area: int = 16  # donor instances with fewer visible pixels are not pasted


@dataclass
class MixSchema:
    name: str = "mix"
    seed: int = 0
    shard_size: int = 50
    image: ImageSchema = field(default_factory=ImageSchema)
    categories: list[str] = field(default_factory=list)
    sources: dict[str, SourceSchema] = field(default_factory=dict)
    strategy: StrategySchema = field(default_factory=StrategySchema)
    splits: SplitsSchema = field(default_factory=SplitsSchema)
    duplicates: str = "drop"
    outputs: list[str] = field(default_factory=lambda: ["coco"])
    copy_paste: CopyPasteSchema | None = None
    ray: RaySchema = field(default_factory=RaySchema)  # for --executor ray, as generate's


@dataclass(frozen=True)
class CopyPasteConfig:
    """``copy_paste:``: instances of a synthetic source pasted into real training images
    (``synthgen.mix.copy_paste``)."""

    source: str
    into: tuple[str, ...]
    p: float
    per_image: tuple[int, int]
    scale: tuple[float, float]
    horizon: float | None
    blend: str
    feather_px: float
    categories: tuple[str, ...]
    min_area: int


@dataclass(frozen=True)
class SourceConfig:
    """One source of a mix (see the module docstring for each field)."""

    name: str
    path: str
    format: str
    real: bool
    count: int | None
    weight: float | None
    label_map: dict[str, str | None]
    unmapped: str
    on_bad: str
    images: str | None
    category: str | None
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class MixConfig:
    """A loaded, checked mix config.

    Attributes:
        categories: the target taxonomy.
        ratio: (real, synthetic) parts of the training samples, or None (every selected sample).
        fill_to: class -> at least this many training instances, topped up from synthetic sources.
        caps: class -> synthetic additions stop short of taking it past this many training instances.
        splits: (val, test) fractions of the real samples.
        resolved: the merged config as plain data (recorded in the outputs; its hash decides resume).
        outputs, image: the writers and the image encoding of the mixed dataset (what the engine's
            shard producer reads from a config).
        ray: settings of the ``ray`` executor (they do not change the mix: ``dataset_config``).
    """

    name: str
    seed: int
    shard_size: int
    image: ImageConfig
    categories: CategoryTable
    sources: tuple[SourceConfig, ...]
    ratio: tuple[float, float] | None
    fill_to: dict[str, int]
    caps: dict[str, int]
    splits: tuple[float, float]
    duplicates: str
    outputs: tuple[str, ...]
    resolved: dict[str, Any]
    source: str
    copy_paste: CopyPasteConfig | None = None
    ray: RayConfig = RayConfig()

    @property
    def dataset_config(self) -> dict[str, Any]:
        """``resolved`` less what only decides where the mix runs (``ray``): what its outputs record."""
        return {k: v for k, v in self.resolved.items() if k != "ray"}

    @property
    def identity(self) -> str:
        """Hash of everything that decides the mixed dataset."""
        from synthgen import __version__

        return hashlib.sha256(json.dumps([self.dataset_config, __version__], sort_keys=True).encode()).hexdigest()

    def writer(self, name: str) -> Any:
        """The writer ``name`` of ``outputs`` (a mix takes no ``writers:`` options: their defaults)."""
        from synthgen.formats import WRITERS

        return WRITERS.get(name)


def mix_config_path(path: str | Path) -> Path:
    """The file ``path`` names: a path as given, or a shipped config's name (``mix_words``)."""
    from synthgen.config.shipped import config_path

    return config_path(path) if isinstance(path, str) else Path(path)


def is_mix_config(path: str | Path) -> bool:
    """Whether a YAML file (or a shipped config's name) is a mix config (it has ``sources:``) rather
    than a run config; False for what cannot be read (the run-config loader then says why)."""
    import yaml

    from synthgen.errors import InputError

    try:
        data = yaml.safe_load(mix_config_path(path).read_text(encoding="utf-8"))
    except (InputError, OSError, yaml.YAMLError, ValueError, RecursionError):  # ValueError: a 5000-digit int
        return False
    return isinstance(data, dict) and "sources" in data


def load_mix_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> MixConfig:
    """Load and check a mix config: every source path, reader, label map and strategy, before any work.

    Args:
        path: the YAML file, or a shipped config's name; source paths in it are relative to its folder
            (to the current folder for a shipped config, see ``paths_base``).
        overrides: ``key=value`` items applied last (``sources.real.path=/data/coco``).
    """
    shown = str(path)
    path = mix_config_path(path)
    raw, dot = config_layers(path, overrides, "mix", shown)
    merged = merge_checked(OmegaConf.structured(MixSchema), raw, dot)
    resolve_interpolations(merged)
    refuse_non_finite(merged)
    return _build(merged, path)


def relative_to_config(base: Path, value: str) -> Path:
    """A source's path: absolute as given, or relative to the config's folder read as the user
    wrote it (a link to a folder of configs, ``links/../out``, means the ``out/`` beside the link,
    not the one beside the folder it points to)."""
    return Path(os.path.normpath(base.absolute() / Path(value).expanduser()))


def paths_base(config: Path) -> Path:
    """The folder that relative source paths of ``config`` start from: the config's own folder, or
    the current folder for a shipped config (its folder is inside the installed package, which holds
    none of the user's data: ``synthgen mix mix_words`` reads ``out/real_words`` where it runs)."""
    from synthgen.config.shipped import is_shipped_config

    return Path.cwd() if is_shipped_config(config) else config.parent


def source_path(base: Path, value: str, source_format: str) -> Path:
    """Where a source's ``path`` points: a ``generate`` source may name a shipped run config
    (``text_words``), as ``synthgen generate`` does; anything else is a path (``relative_to_config``)."""
    from synthgen.config.shipped import CONFIGS_DIR, is_name

    if source_format == GENERATE and is_name(value, folders=False) and (CONFIGS_DIR / f"{value}.yaml").is_file():
        return CONFIGS_DIR / f"{value}.yaml"
    return relative_to_config(base, value)


def _shipped_hint(value: str, source_format: str) -> str:
    from synthgen.config.shipped import is_name, shipped_configs

    if source_format != GENERATE or not is_name(value, folders=False):
        return ""
    return f", and no shipped config of that name (shipped: {', '.join(c.name for c in shipped_configs())})"


def refuse_system_location(path: Path, key: str) -> None:
    """A source is never read from a system or private folder (``synthgen.paths.refused_location``:
    /etc, /proc, /sys, /dev, /boot, ~/.ssh, ...): its content would become the mix's data, or be
    quoted by a parse error."""
    from synthgen.paths import refused_location

    folder = refused_location(path)
    if folder is not None:
        raise ConfigError(key, f"refusing to read a dataset under {folder}: {path}")


def check_dataset_path(path: Path, reader: ReaderKind, key: str) -> None:
    """``path`` is what ``reader`` reads: a folder, or a file with one of its ``file_suffixes``
    (COCO: ``.json``); refused before a byte of it is read otherwise."""
    if path.is_dir():
        return
    if not path.is_file():
        raise ConfigError(key, f"{path} is neither a folder nor a regular file")
    if path.suffix.lower() not in reader.file_suffixes:
        wanted = f"a folder or a {'/'.join(reader.file_suffixes)} file" if reader.file_suffixes else "a folder"
        raise ConfigError(key, f"{path} is a file; a {reader.name} source is {wanted} ({reader.description})")


def _choice(value: str, allowed: tuple[str, ...], key: str) -> str:
    if value not in allowed:
        raise ConfigError(key, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def _build(cfg: DictConfig, path: Path) -> MixConfig:
    from synthgen.formats import READERS, WRITERS

    check_name(cfg.name)
    if cfg.shard_size <= 0:
        raise ConfigError("shard_size", f"must be > 0, got {cfg.shard_size}")
    if cfg.image.format not in IMAGE_FORMATS:
        raise ConfigError("image.format", f"{cfg.image.format!r} is not one of {', '.join(IMAGE_FORMATS)}")
    if cfg.image.png_filter not in PNG_FILTERS:
        raise ConfigError("image.png_filter", f"{cfg.image.png_filter!r} is not one of {', '.join(PNG_FILTERS)}")
    names = list(cfg.categories)
    if not names:
        raise ConfigError("categories", "name the target taxonomy: a list of category names")
    if len(set(names)) != len(names):
        raise ConfigError("categories", f"names a category twice: {names}")
    table = CategoryTable.of_names([str(n) for n in names])
    for i, name in enumerate(cfg.outputs):
        WRITERS.get(name, key=f"outputs[{i}]")
    if not cfg.sources:
        raise ConfigError("sources", "name at least one source")
    base = paths_base(path)
    sources = []
    for name, s in cfg.sources.items():
        key = f"sources.{name}"
        for attr in ("path", "format"):
            if OmegaConf.is_missing(s, attr):
                raise ConfigError(f"{key}.{attr}", "missing")
        if s.format != GENERATE:
            READERS.get(s.format, key=f"{key}.format")
        src_path = source_path(base, s.path, s.format)
        refuse_system_location(src_path, f"{key}.path")
        if not src_path.exists():
            raise ConfigError(f"{key}.path", f"not found: {src_path}{_shipped_hint(s.path, s.format)}")
        if s.format != GENERATE:
            check_dataset_path(src_path, READERS.get(s.format), f"{key}.path")
        images = None
        if s.images is not None:
            images = str(relative_to_config(base, s.images))
            refuse_system_location(Path(images), f"{key}.images")
            if not Path(images).is_dir():
                raise ConfigError(f"{key}.images", f"folder not found: {images}")
        if s.count is not None and s.count <= 0:
            raise ConfigError(f"{key}.count", f"must be > 0, got {s.count}")
        if s.weight is not None and s.weight <= 0:
            raise ConfigError(f"{key}.weight", f"must be > 0, got {s.weight}")
        if s.count is not None and s.weight is not None:
            raise ConfigError(key, "give a count or a weight, not both")
        _choice(s.unmapped, UNMAPPED, f"{key}.unmapped")
        _choice(s.on_bad, ON_BAD, f"{key}.on_bad")
        if s.unmapped == OTHER and OTHER not in table:
            raise ConfigError(f"{key}.unmapped", f"'other' needs a category named other in categories {names}")
        for src_cat, target in s.label_map.items():
            if target is not None and target not in table:
                raise ConfigError(
                    f"{key}.label_map.{src_cat}", f"{target!r} is not a target category ({', '.join(names)})"
                )
        overrides = tuple(str(o) for o in s.overrides)
        if s.format == GENERATE:
            from synthgen.config import load_run_config

            try:
                load_run_config(src_path, overrides)
            except ConfigError as exc:
                raise ConfigError(f"{key}.path", f"{src_path.name}: {exc}") from None
        elif overrides:
            raise ConfigError(f"{key}.overrides", "only a generate source takes run-config overrides")
        sources.append(
            SourceConfig(
                name=str(name),
                path=str(src_path),
                format=s.format,
                real=bool(s.real),
                count=s.count,
                weight=s.weight,
                label_map=dict(s.label_map),
                unmapped=s.unmapped,
                on_bad=s.on_bad,
                images=images,
                category=s.category,
                overrides=overrides,
            )
        )
    if not any(s.real for s in sources) and (cfg.splits.val > 0 or cfg.splits.test > 0):
        raise ConfigError("splits", "validation and test come from real sources only, and none is real; set them to 0")
    ratio = None
    if cfg.strategy.ratio is not None:
        r = dict(cfg.strategy.ratio)
        if set(r) != {"real", "synthetic"}:
            raise ConfigError("strategy.ratio", f"expected {{real: a, synthetic: b}}, got {r}")
        if r["real"] <= 0 or r["synthetic"] < 0:
            raise ConfigError("strategy.ratio", f"real must be > 0 and synthetic >= 0, got {r}")
        if not any(not s.real for s in sources) and r["synthetic"] > 0:
            raise ConfigError("strategy.ratio", "asks for synthetic samples but no source is synthetic (real: false)")
        ratio = (float(r["real"]), float(r["synthetic"]))
    fill_to = _per_class(cfg.strategy.fill_to, table, "strategy.fill_to")
    caps = _per_class(cfg.strategy.caps, table, "strategy.caps")
    for name, n in fill_to.items():
        if name in caps and caps[name] < n:
            raise ConfigError(f"strategy.caps.{name}", f"{caps[name]} is below fill_to {n}")
    val, test = float(cfg.splits.val), float(cfg.splits.test)
    if val < 0 or test < 0 or val + test >= 1:
        raise ConfigError("splits", f"val and test must be >= 0 with val + test < 1, got val {val}, test {test}")
    _choice(cfg.duplicates, DUPLICATES, "duplicates")
    copy_paste = _copy_paste(cfg.copy_paste, sources, table) if cfg.copy_paste is not None else None
    resolved: dict[str, Any] = OmegaConf.to_container(cfg, resolve=True)  # type: ignore[assignment]
    for s in sources:  # the data, not where the config file happened to be, decides the mix
        resolved["sources"][s.name]["path"] = s.path
    return MixConfig(
        name=cfg.name,
        seed=int(cfg.seed),
        shard_size=int(cfg.shard_size),
        image=ImageConfig(
            cfg.image.format, int(cfg.image.jpeg_quality), int(cfg.image.png_compress_level), cfg.image.png_filter
        ),
        categories=table,
        sources=tuple(sources),
        ratio=ratio,
        fill_to=fill_to,
        caps=caps,
        splits=(val, test),
        duplicates=cfg.duplicates,
        outputs=tuple(cfg.outputs),
        resolved=resolved,
        source=str(path),
        copy_paste=copy_paste,
        ray=RayConfig(**OmegaConf.to_container(cfg.ray)),  # type: ignore[arg-type]
    )


def _copy_paste(cp: DictConfig, sources: list[SourceConfig], table: CategoryTable) -> CopyPasteConfig:
    from synthgen.mix.copy_paste import BLENDS

    by_name = {s.name: s for s in sources}
    if OmegaConf.is_missing(cp, "source") or cp.source not in by_name:
        raise ConfigError("copy_paste.source", f"name a source ({', '.join(by_name)})")
    if by_name[cp.source].real:
        raise ConfigError("copy_paste.source", f"{cp.source!r} is real; paste from a synthetic source (real: false)")
    into = tuple(cp.into) or tuple(s.name for s in sources if s.real)
    for i, name in enumerate(into):
        if name not in by_name or not by_name[name].real:
            raise ConfigError(f"copy_paste.into[{i}]", f"{name!r} is not a real source")
    if not 0 <= cp.p <= 1:
        raise ConfigError("copy_paste.p", f"must be a probability in 0..1, got {cp.p}")
    if len(cp.per_image) != 2 or not 1 <= cp.per_image[0] <= cp.per_image[1] <= MAX_PASTES:
        bounds = f"1 <= min <= max <= {MAX_PASTES}"
        raise ConfigError("copy_paste.per_image", f"expected [min, max] with {bounds}, got {list(cp.per_image)}")
    if len(cp.scale) != 2 or not 0 < cp.scale[0] <= cp.scale[1] <= MAX_PASTE_SCALE:
        raise ConfigError(
            "copy_paste.scale", f"expected [low, high] with 0 < low <= high <= {MAX_PASTE_SCALE}, got {list(cp.scale)}"
        )
    if cp.horizon is not None and not 0 <= cp.horizon < 1:
        raise ConfigError("copy_paste.horizon", f"must be in 0..1 (a fraction of the height), got {cp.horizon}")
    _choice(cp.blend, BLENDS, "copy_paste.blend")
    if cp.feather_px < 0:
        raise ConfigError("copy_paste.feather_px", f"must be >= 0, got {cp.feather_px}")
    for i, name in enumerate(cp.categories):
        if name not in table:
            raise ConfigError(
                f"copy_paste.categories[{i}]", f"{name!r} is not a target category ({', '.join(table.names)})"
            )
    return CopyPasteConfig(
        source=cp.source,
        into=into,
        p=float(cp.p),
        per_image=(int(cp.per_image[0]), int(cp.per_image[1])),
        scale=(float(cp.scale[0]), float(cp.scale[1])),
        horizon=None if cp.horizon is None else float(cp.horizon),
        blend=cp.blend,
        feather_px=float(cp.feather_px),
        categories=tuple(cp.categories) or table.names,
        min_area=int(cp.min_area),
    )


def _per_class(node: Any, table: CategoryTable, key: str) -> dict[str, int]:
    """``N`` (every class) or ``{class: N}`` as a dict of the target classes."""
    if node is None:
        return {}
    if isinstance(node, int) and not isinstance(node, bool):
        if node < 0:
            raise ConfigError(key, f"must be >= 0, got {node}")
        return {name: node for name in table.names}
    if not isinstance(node, DictConfig):
        raise ConfigError(key, f"expected a number or a mapping class -> number, got {node!r}")
    out = {}
    for name, n in node.items():
        if name not in table:
            raise ConfigError(f"{key}.{name}", f"is not a target category ({', '.join(table.names)})")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ConfigError(f"{key}.{name}", f"must be a whole number >= 0, got {n!r}")
        out[str(name)] = int(n)
    return out
