"""Provenance of a fingerprint: the resolved config, the software versions and the input files
(fonts, images, ...) that made it. Not compared for pass/fail; when a run regresses, the
differences are listed as likely causes ("config: scene.params.font_size 20 -> 21",
"environment: freetype2 2.13.2 -> 2.13.3", "input: DejaVuSans.ttf changed").
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from synthgen import __version__
from synthgen.config.schema import RunConfig

# distributions whose version can change pixels or labels
PACKAGES = (
    "numpy",
    "pillow",
    "opencv-python-headless",
    "opencv-python",
    "pycocotools",
    "fonttools",
    "omegaconf",
    "wordfreq",  # corpus.wordfreq: its word lists
    "uharfbuzz",  # text that needs shaping: HarfBuzz's layout
    "freetype-py",  # ... and FreeType's rendering of its glyphs
    "trimesh",  # mesh3d: the procedural meshes
    "pyrender2",  # ... and their rendering
    "torch",  # the diffusion stage
    "diffusers",
)
MAX_INPUT_FILES = 64  # hash at most this many input files (a photo folder may hold thousands)
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")  # font files: every one is hashed (``font_files``), never capped
# keys that do not change what a sample holds (regress: only tolerances)
_CONFIG_SKIP = ("num_samples", "shard_size", "outputs", "regress")


def environment() -> dict[str, str]:
    """Versions of synthgen, Python, the packages in PACKAGES and FreeType, and the CPU architecture."""
    env = {"synthgen": __version__, "python": platform.python_version(), "machine": platform.machine()}
    for name in PACKAGES:
        try:
            env[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    try:
        from PIL import features

        env["freetype2"] = str(features.version("freetype2"))
    except Exception:  # Pillow built without FreeType: nothing to record
        pass
    return env


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name))


def _file_strings(config: RunConfig) -> list[str]:
    """The strings in the scene settings and the resolved config that name existing files."""
    paths: list[str] = []
    for s in _strings((config.scene.settings, config.resolved.get("scene", {}))):
        if (os.sep in s or "/" in s) and s not in paths and os.path.isfile(s):
            paths.append(s)
    return paths


def font_files(config: RunConfig) -> dict[str, str]:
    """``font file name -> sha256`` of every font a config draws with (the shipped set, system
    fonts, the user's), all of them: recorded in the run's manifest and in a golden's provenance,
    so that a run on a machine with other fonts names them. Paths are keyed by file name (by the
    whole path where two fonts share a name)."""
    paths = sorted(p for p in _file_strings(config) if p.lower().endswith(FONT_SUFFIXES))
    names = [Path(p).name for p in paths]
    return {(n if names.count(n) == 1 else p): _sha256(p) for n, p in zip(names, paths)}


@functools.lru_cache(maxsize=4096)
def _file_hash(path: str, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _sha256(path: str) -> str:
    st = os.stat(path)
    return _file_hash(path, st.st_size, st.st_mtime_ns)


def input_files(config: RunConfig) -> dict[str, str]:
    """``file name -> sha256[:16]`` of the other files a config reads (word lists, photos; fonts
    are in ``font_files``), at most ``MAX_INPUT_FILES`` of them."""
    paths = [p for p in _file_strings(config) if not p.lower().endswith(FONT_SUFFIXES)]
    files: dict[str, str] = {}
    for path in sorted(paths)[:MAX_INPUT_FILES]:
        key = Path(path).name if Path(path).name not in files else path
        files[key] = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    if len(paths) > MAX_INPUT_FILES:
        files["(not hashed)"] = f"{len(paths) - MAX_INPUT_FILES} more files"
    return files


def provenance(config: RunConfig) -> dict[str, Any]:
    """What made a fingerprint: config source and resolved config, environment, input files."""
    return {
        "config_source": config.source,
        "config": config.resolved,
        "environment": environment(),
        "inputs": input_files(config),
        "fonts": font_files(config),
    }


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as one dict with dotted keys (``{"a": {"b": 1}}`` -> ``{"a.b": 1}``)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def _changes(kind: str, golden: dict[str, Any], new: dict[str, Any]) -> list[str]:
    lines = []
    for key in sorted(set(golden) | set(new)):
        if golden.get(key, "(absent)") != new.get(key, "(absent)"):
            lines.append(f"{kind}: {key} {golden.get(key, '(absent)')!r} -> {new.get(key, '(absent)')!r}")
    return lines


def provenance_changes(golden: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Human-readable differences between two provenance records, config first."""
    cfg_g = {k: v for k, v in flatten(golden.get("config", {})).items() if k.split(".")[0] not in _CONFIG_SKIP}
    cfg_n = {k: v for k, v in flatten(new.get("config", {})).items() if k.split(".")[0] not in _CONFIG_SKIP}
    lines = _changes("config", cfg_g, cfg_n)
    lines += _changes("environment", golden.get("environment", {}), new.get("environment", {}))
    for kind, section in (("input", "inputs"), ("font", "fonts")):
        ins_g, ins_n = golden.get(section, {}), new.get(section, {})
        for name in sorted(set(ins_g) | set(ins_n)):
            if name not in ins_n:
                lines.append(f"{kind}: {name} no longer used")
            elif name not in ins_g:
                lines.append(f"{kind}: {name} newly used")
            elif ins_g[name] != ins_n[name]:
                lines.append(f"{kind}: {name} changed (sha256 {ins_g[name][:16]} -> {ins_n[name][:16]})")
    return lines
