"""One explicit registry per extension point (scene builders, renderers, writers, executors)."""

from __future__ import annotations

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

    def get(self, name: str, key: str = "kind") -> T:
        """Return the entry for ``name``; an unknown name raises ConfigError listing the valid ones."""
        try:
            return self._loaded()[name]
        except KeyError:
            valid = ", ".join(sorted(self._entries)) or "(none)"
            raise ConfigError(key, f"unknown {self.stage} kind {name!r}; valid kinds: {valid}") from None

    def names(self) -> list[str]:
        return sorted(self._loaded())

    def __contains__(self, name: str) -> bool:
        return name in self._loaded()
