"""Load a run config: YAML + scene include + ``key=value`` overrides, merged onto the schema.

Every problem becomes one ``ConfigError("key.path: message")`` raised before any work starts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from synthgen.config.schema import (
    IMAGE_FORMATS,
    ImageConfig,
    RegressConfig,
    RunConfig,
    RunSchema,
    SceneConfig,
)
from synthgen.errors import ConfigError, InputError


def omegaconf_error(exc: OmegaConfBaseException, prefix: str = "") -> ConfigError:
    """One ConfigError line from an omegaconf exception, with the full key path."""
    key = getattr(exc, "full_key", None) or ""
    msg = str(exc).splitlines()[0].strip() if str(exc) else type(exc).__name__
    msg = re.sub(r"^Key '([^']+)' not in '\w+'\.", r"unknown key '\1'.", msg)
    msg = re.sub(r"\s*full_key:.*$", "", msg)
    full = ".".join(p for p in (prefix, key) if p)
    return ConfigError(full, msg)


def _load_yaml(path: Path, key: str) -> DictConfig:
    if not path.is_file():
        raise InputError(f"{key + ': ' if key else ''}config file not found: {path}")
    try:
        node = OmegaConf.load(path)
    except Exception as exc:  # yaml.YAMLError and friends: report file and first line
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(str(path), f"not valid YAML: {first}") from None
    if not isinstance(node, DictConfig):
        raise ConfigError(str(path), "a config file must hold a mapping at the top level")
    return node


def _expand_include(raw: DictConfig, base_dir: Path) -> None:
    scene = raw.get("scene")
    if not isinstance(scene, DictConfig) or scene.get("include") is None:
        return
    include = scene.get("include")
    if not isinstance(include, str):
        raise ConfigError("scene.include", f"expected a path to a scene file, got {include!r}")
    included = _load_yaml((base_dir / include).resolve(), "scene.include")
    rest = OmegaConf.masked_copy(scene, [k for k in scene.keys() if k != "include"])
    raw.scene = OmegaConf.merge(included, rest)
    raw.scene.include = include


def load_run_config(path: str | Path, overrides: Sequence[str] = ()) -> RunConfig:
    """Load and validate a run config.

    Args:
        path: YAML run config; ``scene.include`` in it is relative to the file's folder.
        overrides: ``key=value`` dotlist items applied last (``scene.params.font_size=32``).

    Returns:
        The frozen RunConfig.
    """
    path = Path(path)
    raw = _load_yaml(path, "")
    for item in overrides:
        if "=" not in item or not item.split("=", 1)[0].strip():
            raise ConfigError(item, "an override must look like key=value")
    try:
        dot = OmegaConf.from_dotlist(list(overrides))
    except OmegaConfBaseException as exc:
        raise omegaconf_error(exc) from None
    if OmegaConf.select(dot, "scene.include") is not None:
        raw = OmegaConf.merge(raw, {"scene": {"include": dot.scene.include}})
    _expand_include(raw, path.parent)
    try:
        merged = OmegaConf.merge(OmegaConf.structured(RunSchema), raw, dot)
    except OmegaConfBaseException as exc:
        raise omegaconf_error(exc) from None
    return _build(merged, str(path))


def _build(cfg: DictConfig, source: str) -> RunConfig:
    from synthgen.formats import WRITERS
    from synthgen.scene import SCENES

    if cfg.num_samples <= 0:
        raise ConfigError("num_samples", f"must be > 0, got {cfg.num_samples}")
    if cfg.shard_size <= 0:
        raise ConfigError("shard_size", f"must be > 0, got {cfg.shard_size}")
    if cfg.image.format not in IMAGE_FORMATS:
        raise ConfigError("image.format", f"{cfg.image.format!r} is not one of {', '.join(IMAGE_FORMATS)}")
    if not 1 <= cfg.image.jpeg_quality <= 100:
        raise ConfigError("image.jpeg_quality", f"must be in 1..100, got {cfg.image.jpeg_quality}")
    if not 0 <= cfg.image.png_compress_level <= 9:
        raise ConfigError("image.png_compress_level", f"must be in 0..9, got {cfg.image.png_compress_level}")
    if cfg.scene.kind == "???":
        raise ConfigError("scene.kind", f"missing; valid kinds: {', '.join(SCENES.names())}")
    for i, name in enumerate(cfg.outputs):
        WRITERS.get(name, key=f"outputs[{i}]")
    if len(set(cfg.outputs)) != len(cfg.outputs):
        raise ConfigError("outputs", f"lists a writer twice: {list(cfg.outputs)}")
    if cfg.regress.labels not in ("exact", "tolerant"):
        raise ConfigError("regress.labels", f"{cfg.regress.labels!r} is not one of exact, tolerant")
    if not 0 < cfg.regress.num:
        raise ConfigError("regress.num", f"must be > 0, got {cfg.regress.num}")

    kind = SCENES.get(cfg.scene.kind, key="scene.kind")
    params = cfg.scene.params if cfg.scene.params is not None else {}
    if not isinstance(params, DictConfig):
        raise ConfigError("scene.params", f"expected a mapping, got {params!r}")
    try:
        typed = OmegaConf.merge(OmegaConf.structured(kind.params_schema), params)
        schema_obj = OmegaConf.to_object(typed)
    except OmegaConfBaseException as exc:
        raise omegaconf_error(exc, "scene.params") from None
    settings = kind.from_config(schema_obj, "scene.params")

    resolved: dict[str, Any] = OmegaConf.to_container(cfg, resolve=True)  # type: ignore[assignment]
    resolved["scene"]["params"] = OmegaConf.to_container(typed, resolve=True)
    return RunConfig(
        name=cfg.name,
        seed=int(cfg.seed),
        num_samples=int(cfg.num_samples),
        shard_size=int(cfg.shard_size),
        image=ImageConfig(cfg.image.format, int(cfg.image.jpeg_quality), int(cfg.image.png_compress_level)),
        scene=SceneConfig(cfg.scene.kind, settings),
        outputs=tuple(cfg.outputs),
        regress=RegressConfig(**OmegaConf.to_container(cfg.regress)),  # type: ignore[arg-type]
        resolved=resolved,
        source=source,
    )


def resolved_yaml(config: RunConfig) -> str:
    """The resolved config as YAML, as ``synthgen validate`` prints it."""
    return OmegaConf.to_yaml(OmegaConf.create(config.resolved))
