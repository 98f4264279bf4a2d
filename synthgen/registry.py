"""One explicit registry per extension point (scene builders, renderers, writers, executors)."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Generic, TypeVar

from synthgen.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps a ``kind:`` name to an implementation; filled by an explicit list in a stage's ``__init__``.

    Args:
        stage: name of the extension point, used in error messages ("scene", "writer", ...).
        load: optional function that registers the entries (the stage's explicit list), called on
            first use. Stages whose entries live in domain packages use it: a domain module may
            then import the stage's base types without an import cycle.
    """

    def __init__(self, stage: str, load: Callable[[Registry[T]], None] | None = None):
        self.stage = stage
        self._entries: dict[str, T] = {}
        self._load = load

    def _loaded(self) -> dict[str, T]:
        if self._load is not None:
            load, self._load = self._load, None
            load(self)
        return self._entries

    def register(self, name: str, entry: T) -> T:
        if name in self._entries:
            raise ValueError(f"{self.stage} kind {name!r} is registered twice")
        self._entries[name] = entry
        return entry

    def register_lazy(self, name: str, build: Callable[[], T]) -> None:
        """Register ``name`` with a function that imports and returns its entry on first ``get``:
        a run imports the one domain module it uses (the scene modules of every domain take
        ~0.1 s to import together, a tenth of a small run)."""
        self.register(name, _Lazy(build))  # type: ignore[arg-type]

    def register_module_attr(self, name: str, module: str, attr: str) -> None:
        """``register_lazy`` of ``module``'s attribute ``attr`` (imported on first ``get``)."""
        self.register_lazy(name, functools.partial(_module_attr, module, attr))

    def get(self, name: str, key: str = "kind") -> T:
        """Return the entry for ``name``; an unknown name raises ConfigError listing the valid ones."""
        try:
            entry = self._loaded()[name]
        except KeyError:
            valid = ", ".join(sorted(self._entries)) or "(none)"
            raise ConfigError(key, f"unknown {self.stage} kind {name!r}; valid kinds: {valid}") from None
        if isinstance(entry, _Lazy):
            entry = self._entries[name] = entry.build()
        return entry

    def names(self) -> list[str]:
        return sorted(self._loaded())

    def __contains__(self, name: str) -> bool:
        return name in self._loaded()


def _module_attr(module: str, attr: str):
    return getattr(importlib.import_module(module), attr)


class _Lazy:
    """A registry entry not built yet (``Registry.register_lazy``)."""

    __slots__ = ("build",)

    def __init__(self, build: Callable[[], object]):
        self.build = build

