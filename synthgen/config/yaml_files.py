"""Config files and ``key=value`` overrides read into omegaconf layers: the YAML checked (no resolvers,
readable, a mapping), a scene's ``include:`` and its kind's shipped defaults expanded, and the kind of
config (run or mix) told apart. Every problem is one ConfigError naming the file or key."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from synthgen.config.checks import config_file_problem, refuse_resolvers, short_repr, yaml_error_line
from synthgen.config.omegaconf_errors import merge_checked, omegaconf_error
from synthgen.config.shipped import default_scene, scene_path
from synthgen.errors import ConfigError, InputError


def load_yaml(path: Path, key: str) -> DictConfig:
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


def expand_include(raw: DictConfig, base_dir: Path, kind_override: Any = None) -> None:
    """Replace ``scene:`` by its kind's shipped scene (the kind's defaults), then the included
    file, then the keys written beside ``include``."""
    scene = raw.get("scene")
    if not isinstance(scene, DictConfig):
        return
    layers: list[DictConfig] = []
    include = scene._get_node("include")._value() if scene.get("include") is not None else None  # as written
    if include is not None:
        if not isinstance(include, str) or "${" in include:
            raise ConfigError("scene.include", f"expected a shipped scene name or a path to a scene file, got {include!r}")
        included = load_yaml(scene_path(include, base_dir), "scene.include")
        refuse_resolvers(included, "scene")
        if "include" in included:
            raise ConfigError(
                "scene.include", f"{Path(include).name} includes another file; nested includes are not supported"
            )
        layers.append(included)
    rest = OmegaConf.masked_copy(scene, [k for k in scene.keys() if k != "include"])
    layers.append(rest)
    kind = kind_override
    for layer in reversed(layers):
        if kind is None and layer._get_node("kind") is not None:
            kind = layer._get_node("kind")._value()
    defaults = default_scene(kind) if isinstance(kind, str) else None
    if defaults is not None:  # one source of truth: a bare `kind:` gets the shipped scene's values
        base = load_yaml(defaults, "scene.kind")
        layers.insert(0, base)
    if len(layers) == 1 and include is None:
        return
    # a list where the kind's defaults or the included file hold a mapping (or the reverse) is the
    # user's to fix: one line naming the key, not omegaconf's TypeError
    raw.scene = merge_checked(layers[0], *layers[1:], prefix="scene")
    if include is not None:
        raw.scene.include = include


class ConfigWarning(UserWarning):
    """A config that loads but probably does not say what its author meant (the CLI prints one line)."""


def warn_list_traps(overrides: Sequence[str], dot: DictConfig) -> None:
    """Warn when an unquoted ``key=[...]`` for a list of patterns became a list of literal texts:
    the shell passes ``text.patterns=[0-9]`` and YAML reads the list ``['0-9']``, not the pattern ``[0-9]``."""
    for item in overrides:
        key, raw = (part.strip() for part in item.split("=", 1))
        if not key.endswith("patterns") or not raw.startswith("[") or '"' in raw or "'" in raw:
            continue  # a quoted item says its author knew YAML's brackets
        try:
            value = OmegaConf.select(dot, key)
        except OmegaConfBaseException:
            continue
        items = list(value) if isinstance(value, ListConfig) else None
        if items and all(isinstance(v, str) and not any(c in v for c in "[{") for v in items):
            warnings.warn(
                ConfigWarning(
                    f"{key}={raw} reads as the list {[str(v) for v in items]} of literal texts (YAML brackets); "
                    f"for the pattern {raw} write {key}='[\"{raw}\"]'"
                ),
                stacklevel=3,
            )


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


# The command that each kind of config file is for; a mix config is told by its sources:, a run
# config by its scene:, whatever else it holds.
COMMAND_OF = {"mix": "synthgen mix", "run": "synthgen generate"}


def config_kind(raw: DictConfig) -> str | None:
    """``mix`` for a mix config, ``run`` for a run config, None for a file that is neither yet."""
    if "sources" in raw:
        return "mix"
    return "run" if "scene" in raw else None


def config_layers(
    path: Path, overrides: Sequence[str], expect: str = "run", shown: str | None = None
) -> tuple[DictConfig, DictConfig]:
    """A config file and its ``key=value`` overrides as two omegaconf layers, each checked (no
    resolvers, overrides well formed and readable); ConfigError naming the file or key.

    Args:
        path: the YAML file.
        overrides: ``key=value`` items.
        expect: ``run`` or ``mix``: the kind of config the caller loads; the other kind is refused
            with the command it is for, before its keys are checked against the wrong schema.
        shown: the config as the user named it (``mix_words``), for that error; default ``path``.
    """
    raw = load_yaml(path, "")
    found = config_kind(raw)
    if found is not None and found != expect:
        raise ConfigError(shown or str(path), f"this is a {found} config: use `{COMMAND_OF[found]}`")
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
    return raw, dot
