"""The run configs and scenes that ship inside the package (``synthgen list``), found by name.

``synthgen generate ocr_wild`` names ``synthgen/configs/ocr_wild.yaml``; ``include: ocr/wild``
names ``synthgen/scenes/ocr/wild.yaml``. A name is a value without a ``.yaml``/``.yml`` suffix
and, for a run config, without a folder; anything else is a path, as before. The repository's
top-level ``configs/`` and ``scenes/`` are links to these folders, so there is one copy of each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
CONFIGS_DIR = PACKAGE_DIR / "configs"
SCENES_DIR = PACKAGE_DIR / "scenes"
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Shipped:
    """One shipped file: its name (``ocr_wild``, ``ocr/wild``), path and the first line of its header comment."""

    name: str
    path: Path
    description: str


def _description(path: Path) -> str:
    """The first sentence of the file's header comment."""
    words: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#") or line.startswith("#  "):  # an indented comment line is an example command
            break
        words.extend(line.lstrip("#").split())
        text = " ".join(words)
        end = re.search(r"\.(\s|$)", text)
        if end:
            return text[: end.start() + 1]
    return " ".join(words)


def shipped_configs() -> list[Shipped]:
    """The shipped run configs, by name."""
    return [Shipped(p.stem, p, _description(p)) for p in sorted(CONFIGS_DIR.glob("*.yaml"))]


def shipped_scenes() -> list[Shipped]:
    """The shipped scenes, by name (``folder/stem``)."""
    paths = sorted(SCENES_DIR.rglob("*.yaml"))
    return [Shipped(p.relative_to(SCENES_DIR).with_suffix("").as_posix(), p, _description(p)) for p in paths]


def is_name(text: str, folders: bool) -> bool:
    """Whether ``text`` names a shipped file rather than giving a path."""
    if not text or text.endswith(YAML_SUFFIXES) or text.startswith((".", "/", "~")):
        return False
    return folders or "/" not in text


def config_path(text: str) -> Path:
    """The run config file that ``text`` names: a path as given, or a shipped config by name."""
    from synthgen.errors import InputError

    path = Path(text)
    if not is_name(text, folders=False) or path.is_file():
        return path
    candidate = CONFIGS_DIR / f"{text}.yaml"
    if candidate.is_file():
        return candidate
    names = ", ".join(c.name for c in shipped_configs())
    raise InputError(f"{text}: no such file, and no shipped config of that name (shipped: {names})")


def is_shipped_config(path: Path) -> bool:
    """Whether ``path`` is a shipped run or mix config, named by name or by a path (also through the
    repository's ``configs/`` link)."""
    return path.resolve().parent == CONFIGS_DIR


def scene_path(include: str, base_dir: Path) -> Path:
    """The scene file that ``include`` names: relative to the config's folder, or a shipped scene by name."""
    from synthgen.errors import ConfigError

    if not is_name(include, folders=True):
        return (base_dir / include).resolve()
    candidate = SCENES_DIR / f"{include}.yaml"
    if candidate.is_file():
        return candidate
    names = ", ".join(s.name for s in shipped_scenes())
    raise ConfigError("scene.include", f"no shipped scene {include!r} (shipped: {names}; a file path ends in .yaml)")


@lru_cache(maxsize=1)
def _scene_by_kind() -> dict[str, Path]:
    import yaml

    # libyaml's loader where PyYAML has it: parsing every shipped scene with the pure-Python one
    # took ~0.1 s of every run's start
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    found: dict[str, list[Path]] = {}
    for scene in shipped_scenes():
        kind = (yaml.load(scene.path.read_text(encoding="utf-8"), Loader=loader) or {}).get("kind")
        if isinstance(kind, str):
            found.setdefault(kind, []).append(scene.path)
    # A kind with several shipped scenes (driving: its scenario library) has no file of defaults:
    # taking the first (animal_crossing_dusk) put its deer and dog under every scenario included
    # by name, since named actor groups merge.
    return {kind: paths[0] for kind, paths in found.items() if len(paths) == 1}


def default_scene(kind: str) -> Path | None:
    """The shipped scene file of a scene kind, which holds that kind's defaults; None for a kind
    without one, or with several (a library of alternatives: the kind's schema holds its defaults)."""
    return _scene_by_kind().get(kind)
