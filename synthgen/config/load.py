"""Load a run config: YAML + scene include + ``key=value`` overrides, merged onto the schema.

Every problem becomes one ``ConfigError("key.path: message")`` raised before any work starts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from synthgen.config.checks import (
    check_run,
    config_file_problem,
    refuse_non_finite,
    refuse_resolvers,
    resolve_interpolations,
    short_repr,
    yaml_error_line,
)
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


def _shape(node: Any) -> str:
    if isinstance(node, (DictConfig, dict)):
        return "a mapping"
    if isinstance(node, (ListConfig, list, tuple)):
        return "a list"
    return f"a single value ({node!r})"


def _first_misfit(base: DictConfig, layer: DictConfig, prefix: str) -> ConfigError:
    """The key of ``layer`` whose value does not fit ``base`` (omegaconf does not always say)."""
    for key in layer.keys():
        try:
            OmegaConf.merge(base, OmegaConf.masked_copy(layer, [key]))
            continue
        except (TypeError, OmegaConfBaseException) as exc:
            path = f"{prefix}.{key}" if prefix else str(key)
            value, target = layer[key], base.get(key) if isinstance(base, DictConfig) else None
            if isinstance(value, DictConfig) and isinstance(target, DictConfig):
                return _first_misfit(target, value, path)
            if isinstance(exc, OmegaConfBaseException) and getattr(exc, "full_key", ""):
                return omegaconf_error(exc)
            if target is None:
                return ConfigError(path, f"{_shape(value)} does not fit here")
            return ConfigError(path, f"expected {_shape(target)}, got {_shape(value)}")
    return ConfigError(prefix, "cannot be merged onto the schema")


def merge_checked(schema: DictConfig, *layers: DictConfig, prefix: str = "") -> DictConfig:
    """Merge layers onto a structured schema; every failure is one ConfigError naming its key."""
    merged = schema
    for layer in layers:
        try:
            merged = OmegaConf.merge(merged, layer)
        except OmegaConfBaseException as exc:
            if getattr(exc, "full_key", ""):
                raise omegaconf_error(exc, prefix) from None
            raise _first_misfit(merged, layer, prefix) from None
        except TypeError:
            raise _first_misfit(merged, layer, prefix) from None
    return merged


def _load_yaml(path: Path, key: str) -> DictConfig:
    if not path.is_file():
        raise InputError(f"{key + ': ' if key else ''}config file not found: {path}")
    try:
        problem = config_file_problem(path)
        if problem is not None:
            raise ConfigError(str(path), problem)
        node = OmegaConf.load(path)
    except ConfigError:
        raise
    except Exception as exc:  # yaml.YAMLError and friends: report file and first line
        raise ConfigError(str(path), f"not valid YAML: {yaml_error_line(exc)}") from None
    if not isinstance(node, DictConfig):
        raise ConfigError(str(path), "a config file must hold a mapping at the top level")
    if not node:
        raise ConfigError(str(path), "the config file is empty")
    return node


def _expand_include(raw: DictConfig, base_dir: Path) -> None:
    scene = raw.get("scene")
    if not isinstance(scene, DictConfig) or scene.get("include") is None:
        return
    include = scene._get_node("include")._value()  # as written: an interpolation is not resolved here
    if not isinstance(include, str) or "${" in include:
        raise ConfigError("scene.include", f"expected a path to a scene file, got {include!r}")
    included = _load_yaml((base_dir / include).resolve(), "scene.include")
    refuse_resolvers(included, "scene")
    if "include" in included:
        raise ConfigError(
            "scene.include", f"{Path(include).name} includes another file; nested includes are not supported"
        )
    rest = OmegaConf.masked_copy(scene, [k for k in scene.keys() if k != "include"])
    raw.scene = OmegaConf.merge(included, rest)
    raw.scene.include = include


def _unparsable_override(overrides: Sequence[str]) -> ConfigError:
    """The error for the first ``key=value`` whose value YAML cannot read (``a=[x``)."""
    for item in overrides:
        key, value = item.split("=", 1)
        try:
            yaml.safe_load(value)
        except (yaml.YAMLError, ValueError, RecursionError) as exc:  # ValueError: int digit limit
            problem = getattr(exc, "problem", None) or ("too deeply nested" if isinstance(exc, RecursionError) else "not valid YAML" if isinstance(exc, yaml.YAMLError) else "a number too long")
            return ConfigError(
                key.strip(),
                f"cannot read the value {short_repr(value)} ({problem}); quote text that holds [ ] {{ }} , or :",
            )
    return ConfigError("overrides", "cannot read them as YAML")


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
    refuse_resolvers(raw)
    for item in overrides:
        if "=" not in item or not item.split("=", 1)[0].strip():
            raise ConfigError(item, "an override must look like key=value")
    try:
        dot = OmegaConf.from_dotlist(list(overrides))
    except OmegaConfBaseException as exc:
        raise omegaconf_error(exc) from None
    except (yaml.YAMLError, ValueError, RecursionError):
        raise _unparsable_override(overrides) from None
    refuse_resolvers(dot)
    if isinstance(dot.get("scene"), DictConfig) and dot.scene.get("include") is not None:
        raw = OmegaConf.merge(raw, {"scene": {"include": dot.scene.include}})
    _expand_include(raw, path.parent)
    merged = merge_checked(OmegaConf.structured(RunSchema), raw, dot)
    resolve_interpolations(merged)
    refuse_non_finite(merged)
    check_run(merged)
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
    if OmegaConf.is_missing(cfg.scene, "kind"):
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
    typed = merge_checked(OmegaConf.structured(kind.params_schema), params, prefix="scene.params")
    try:
        schema_obj = OmegaConf.to_object(typed)
    except OmegaConfBaseException as exc:
        raise omegaconf_error(exc, "scene.params") from None
    settings = kind.from_config(schema_obj, "scene.params")
    augment_steps, augment_params = _build_augment(cfg)

    resolved: dict[str, Any] = OmegaConf.to_container(cfg, resolve=True)  # type: ignore[assignment]
    resolved["scene"]["params"] = OmegaConf.to_container(typed, resolve=True)
    for name, step_params in augment_params.items():
        resolved["augment"][name]["params"] = step_params
    if not resolved.get("augment"):
        # A run without augmentation resolves (and hashes, see engine.run.config_identity) as before.
        resolved.pop("augment", None)
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
        augment=augment_steps,
    )


def _build_augment(cfg: DictConfig) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The ``augment:`` steps in config order, and each step's params as resolved data."""
    if not cfg.augment:
        return (), {}
    import importlib.util

    from synthgen.augment import AUGMENTATIONS, AugmentStep

    steps = []
    resolved: dict[str, Any] = {}
    for name, step in cfg.augment.items():
        key = f"augment.{name}"
        if OmegaConf.is_missing(step, "kind"):
            raise ConfigError(f"{key}.kind", f"missing; valid kinds: {', '.join(AUGMENTATIONS.names())}")
        kind = AUGMENTATIONS.get(step.kind, key=f"{key}.kind")
        missing = [m for m in kind.needs if importlib.util.find_spec(m) is None]
        if missing:  # found at load time, not in the middle of a run
            raise ConfigError(
                f"{key}.kind", f"{kind.name} needs {' and '.join(missing)}: pip install 'synthgen[augment]'"
            )
        if not 0 <= step.p <= 1:
            raise ConfigError(f"{key}.p", f"must be a probability in 0..1, got {step.p}")
        params = step.params if step.params is not None else OmegaConf.create({})
        if not isinstance(params, DictConfig):
            raise ConfigError(f"{key}.params", f"expected a mapping, got {params!r}")
        typed = merge_checked(OmegaConf.structured(kind.params_schema), params, prefix=f"{key}.params")
        try:
            schema_obj = OmegaConf.to_object(typed)
        except OmegaConfBaseException as exc:
            raise omegaconf_error(exc, f"{key}.params") from None
        steps.append(AugmentStep(str(name), kind, float(step.p), kind.from_config(schema_obj, f"{key}.params")))
        resolved[str(name)] = OmegaConf.to_container(typed, resolve=True)
    return tuple(steps), resolved


def resolved_yaml(config: RunConfig) -> str:
    """The resolved config as YAML, as ``synthgen validate`` prints it."""
    return OmegaConf.to_yaml(OmegaConf.create(config.resolved))
