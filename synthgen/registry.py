"""One explicit registry per extension point (scene builders, renderers, writers, executors)."""

from __future__ import annotations

from typing import Generic, TypeVar

from synthgen.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps a ``kind:`` name to an implementation; filled by explicit imports in a stage's ``__init__``.

    Args:
        stage: name of the extension point, used in error messages ("scene", "writer", ...).
    """

    def __init__(self, stage: str):
        self.stage = stage
        self._entries: dict[str, T] = {}

    def register(self, name: str, entry: T) -> T:
        if name in self._entries:
            raise ValueError(f"{self.stage} kind {name!r} is registered twice")
        self._entries[name] = entry
        return entry

    def get(self, name: str, key: str = "kind") -> T:
        """Return the entry for ``name``; an unknown name raises ConfigError listing the valid ones."""
        try:
            return self._entries[name]
        except KeyError:
            valid = ", ".join(sorted(self._entries)) or "(none)"
            raise ConfigError(key, f"unknown {self.stage} kind {name!r}; valid kinds: {valid}") from None

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries
