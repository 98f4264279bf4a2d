"""Load-time checks of a run config that no schema type expresses: interpolations, numbers that
cannot be used (NaN, infinite), run sizes and the dataset name. Each raises one ConfigError
naming the key path, before any output folder is touched.
"""

from __future__ import annotations

import math
import re
import unicodedata
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from synthgen.errors import ConfigError

MAX_SAMPLES = 10**9  # num_samples (and --num) at most this
MAX_SHARD_SIZE = 100_000  # samples per shard: a shard's records are held in memory
MAX_SHARDS = 1_000_000  # num_samples / shard_size: the run's plan is a list of shards
SEED_RANGE = (0, 2**63 - 1)  # what numpy's SeedSequence takes and the manifest records as a JSON integer
MAX_REGRESS_SAMPLES = 10_000  # samples in a golden fingerprint
MAX_CONFIG_BYTES = 16 * 2**20  # a config or scene file
MAX_NAME_CHARS = 128  # the dataset name is a folder name (out/<name>)
# ${oc.env:HOME}, ${oc.decode:...}, any ${resolver:...}: a value computed outside the config file
_RESOLVER = re.compile(r"\$\{\s*[A-Za-z_][\w.-]*\s*:")


def short_repr(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, so that an error stays one short line."""
    try:
        text = repr(value)
    except ValueError:  # an int past Python's digit limit
        return "(a number too long to print)"
    size = len(value) if isinstance(value, str) else len(text)
    return text if len(text) <= limit else text[:limit] + f"... ({size:,} characters)"


def _walk(node: Any, path: str):
    """``(key path, value)`` of every leaf of plain nested dicts and lists."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")
    else:
        yield path, node


def config_file_problem(path: Path) -> str | None:
    """Why a config file cannot be read as one (too large), or None."""
    size = path.stat().st_size
    if size > MAX_CONFIG_BYTES:
        return f"larger than {MAX_CONFIG_BYTES // 2**20} MiB ({size / 2**20:.0f} MiB); is it a config file?"
    return None


def yaml_error_line(exc: BaseException) -> str:
    """The first line of a YAML loading error, without advice meant for programmers."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "integer string conversion" in text:
        return "a number with more than 4300 digits"
    return text


def refuse_resolvers(node: DictConfig | ListConfig, prefix: str = "") -> None:
    """Raise ConfigError for a ``${resolver:...}`` anywhere in ``node`` (before anything resolves it).

    Interpolations of other keys (``${name}``) are fine; resolvers such as ``${oc.env:HOME}`` are
    refused, so that no environment value enters a dataset's manifest unseen.
    """
    for path, value in _walk(OmegaConf.to_container(node, resolve=False), prefix):
        if isinstance(value, str) and _RESOLVER.search(value):
            raise ConfigError(
                path,
                "resolvers such as ${oc.env:...} are not allowed in configs (a value must be written in the config or on the command line)",
            )


def resolve_interpolations(cfg: DictConfig) -> None:
    """Resolve ``${key}`` interpolations in place; an unresolvable one is a ConfigError naming its key."""
    for path, value in _walk(OmegaConf.to_container(cfg, resolve=False), ""):
        if isinstance(value, str) and "${" in value:
            try:
                OmegaConf.select(cfg, path, throw_on_resolution_failure=True)
            except (OmegaConfBaseException, ValueError, RecursionError) as exc:
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise ConfigError(path, f"cannot resolve {short_repr(value)}: {first}") from None
    try:
        OmegaConf.resolve(cfg)
    except (OmegaConfBaseException, ValueError, RecursionError) as exc:
        key = getattr(exc, "full_key", "") or ""
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(key or "config", f"cannot resolve an interpolation: {first}") from None


def refuse_non_finite(cfg: DictConfig) -> None:
    """Raise ConfigError for a NaN or infinite number anywhere in the (resolved) config."""
    for path, value in _walk(OmegaConf.to_container(cfg, resolve=False), ""):
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(path, f"must be a finite number, got {value}")


def check_run(cfg: DictConfig) -> None:
    """Ranges of the run-level keys: seed, num_samples, shard_size, outputs, name."""
    low, high = SEED_RANGE
    if not low <= cfg.seed <= high:
        raise ConfigError("seed", f"must be in 0..2**63-1, got {short_repr(cfg.seed)}")
    if cfg.num_samples > MAX_SAMPLES:
        raise ConfigError(
            "num_samples", f"must be <= {MAX_SAMPLES:,} (the largest run synthgen plans), got {cfg.num_samples:,}"
        )
    if cfg.shard_size > MAX_SHARD_SIZE:
        raise ConfigError("shard_size", f"must be <= {MAX_SHARD_SIZE:,}, got {cfg.shard_size:,}")
    if cfg.num_samples > 0 and cfg.shard_size > 0:
        shards = -(-cfg.num_samples // cfg.shard_size)
        if shards > MAX_SHARDS:
            raise ConfigError(
                "num_samples",
                f"{cfg.num_samples:,} samples in shards of {cfg.shard_size} make {shards:,} shards, more than "
                f"{MAX_SHARDS:,}; raise shard_size",
            )
    if cfg.regress.num > MAX_REGRESS_SAMPLES:
        raise ConfigError("regress.num", f"must be <= {MAX_REGRESS_SAMPLES:,}, got {cfg.regress.num:,}")
    if len(cfg.outputs) == 0:
        raise ConfigError("outputs", "must name at least one writer (e.g. [coco])")
    check_name(cfg.name)


def check_name(name: str, key: str = "name") -> None:
    """The dataset name is used as a folder name: one plain path component, printable, short."""
    if not name or not name.strip():
        raise ConfigError(key, "must not be empty")
    if len(name) > MAX_NAME_CHARS:
        raise ConfigError(key, f"must be at most {MAX_NAME_CHARS} characters, got {len(name):,}")
    bad = [ch for ch in name if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp")]
    if bad:
        raise ConfigError(key, f"must not hold control or invisible characters, got {short_repr(name)}")
    if "/" in name or "\\" in name:
        raise ConfigError(key, f"is a folder name and must not hold '/' or '\\', got {short_repr(name)}")
    if name.startswith(".") or name != name.strip():
        raise ConfigError(key, f"must not start with '.' or a space, got {short_repr(name)}")
