"""One registry per extension point (scenes, renderers, annotators, augment and generate steps,
backgrounds, writers, readers, executors), all filled the same way and all lazy.

A stage lists its kinds in one table, ``name -> "module"`` (or ``"module:attribute"``); the name is
written there and nowhere else. A kind's module is imported on its first ``get``, so a run imports
the modules of the kinds it uses and no other (a driving run imports no text writer), while
``names()`` lists every kind without importing any (``synthgen list``, the "valid kinds" of an error).
The object found there is named by the registry: a dataclass with a ``name`` field (``StepKind``,
``SceneKind``, ``WriterKind``...) is declared without one and gets the name it is registered under.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping
from typing import Generic, TypeVar

from synthgen.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps a ``kind:`` name to an implementation that lives in a module imported on first use.

    Args:
        stage: name of the extension point, used in error messages ("scene", "writer", ...).
        kinds: ``name -> "package.module"`` or ``"package.module:ATTRIBUTE"``: where each kind is.
        attribute: the attribute a target without ``:ATTRIBUTE`` names (``KIND``, ``WRITER``...).
    """

    def __init__(self, stage: str, kinds: Mapping[str, str] | None = None, attribute: str = "KIND"):
        self.stage = stage
        self.attribute = attribute
        self._targets: dict[str, str] = {}
        self._built: dict[str, T] = {}
        for name, target in (kinds or {}).items():
            self.register(name, target)

    def register(self, name: str, target: str) -> None:
        """Add the kind ``name``, found at ``target`` (``"module"`` or ``"module:attribute"``) on first use.

        A plugin registers its kinds this way too (``SCENES.register("mine", "my_package.scene:SCENE")``).
        """
        if name in self._targets:
            raise ValueError(f"{self.stage} kind {name!r} is registered twice")
        if not isinstance(target, str) or not target.split(":")[0]:
            raise TypeError(f"{self.stage} kind {name!r}: expected 'module' or 'module:attribute', got {target!r}")
        self._targets[name] = target

    def get(self, name: str, key: str = "kind") -> T:
        """Return the entry for ``name``; an unknown name raises ConfigError listing the valid ones."""
        entry = self._built.get(name)
        if entry is not None:
            return entry
        target = self._targets.get(name)
        if target is None:
            valid = ", ".join(self.names()) or "(none)"
            raise ConfigError(key, f"unknown {self.stage} kind {name!r}; valid kinds: {valid}")
        module, _, attribute = target.partition(":")
        entry = getattr(importlib.import_module(module), attribute or self.attribute)
        if dataclasses.is_dataclass(entry) and any(f.name == "name" for f in dataclasses.fields(entry)):
            if entry.name != name:  # declared without its name (or under another): named here, once
                entry = dataclasses.replace(entry, name=name)
        self._built[name] = entry
        return entry

    def target(self, name: str) -> str:
        """Where the kind ``name`` lives (``"module:attribute"``), without importing it."""
        module, _, attribute = self._targets[name].partition(":")
        return f"{module}:{attribute or self.attribute}"

    def names(self) -> list[str]:
        """Every registered name, sorted; imports nothing."""
        return sorted(self._targets)

    def __contains__(self, name: str) -> bool:
        return name in self._targets
