"""Load a run config: YAML + scene include + ``key=value`` overrides, merged onto the schema, then built.

Every problem becomes one ``ConfigError("key.path: message")`` raised before any work starts. The
steps live in their own modules: ``yaml_files`` (files and overrides into omegaconf layers),
``omegaconf_errors`` (omegaconf's errors as key-path lines), ``build`` (registries, kinds' settings,
cross-stage checks), ``printing`` (the resolved YAML).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from synthgen.config.build import build_run_config
from synthgen.config.checks import check_run, refuse_non_finite, resolve_interpolations
from synthgen.config.omegaconf_errors import merge_checked, shape_words
from synthgen.config.schema import RunConfig, RunSchema
from synthgen.config.shipped import config_path
from synthgen.config.yaml_files import ConfigWarning, config_layers, expand_include, warn_list_traps
from synthgen.errors import ConfigError

__all__ = ["ConfigWarning", "load_run_config"]


def load_run_config(path: str | Path, overrides: Sequence[str] = ()) -> RunConfig:
    """Load and validate a run config.

    Args:
        path: YAML run config, or the name of a shipped one (``ocr_wild``); ``scene.include`` in
            it is a shipped scene's name (``ocr/wild``) or a file relative to the config's folder.
        overrides: ``key=value`` dotlist items applied last (``scene.params.font_size=32``).

    Returns:
        The frozen RunConfig.
    """
    shown = str(path)
    path = config_path(path) if isinstance(path, str) else Path(path)
    raw, dot = config_layers(path, overrides, "run", shown)
    warn_list_traps(overrides, dot)
    kind_override = None
    if isinstance(dot.get("scene"), DictConfig):
        if raw.get("scene") is not None and not isinstance(raw.scene, DictConfig):
            raise ConfigError("scene", f"expected a mapping, got {shape_words(raw.scene)}")
        if dot.scene.get("include") is not None:
            raw = merge_checked(raw, OmegaConf.create({"scene": {"include": dot.scene.include}}))
        if dot.scene._get_node("kind") is not None:
            kind_override = dot.scene._get_node("kind")._value()
    expand_include(raw, path.parent, kind_override)
    merged = merge_checked(OmegaConf.structured(RunSchema), raw, dot)
    resolve_interpolations(merged)
    refuse_non_finite(merged)
    check_run(merged)
    return build_run_config(merged, str(path))
