"""The mixer: blend synthetic samples with real annotated datasets (``synthgen mix CONFIG``).

Sources are read by the readers of ``synthgen.formats`` (or made on the fly from a run config),
mapped onto one target taxonomy, split (validation and test from real data only, stratified by
class), mixed for training (ratio, counts or weights, ``fill_to``, caps) and written with any
writers, with provenance on every record and a report.

This package shares its name with the API function ``synthgen.mix`` (``synthgen.mix_datasets``),
which is the attribute ``synthgen.mix``; code reaches the package by its module path (``from
synthgen.mix import load_mix_config, mix``). ``import synthgen`` imports it, so it imports nothing
itself: its names load their modules when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synthgen.mix.config import MixConfig, is_mix_config, load_mix_config
    from synthgen.mix.run import MixSummary, mix

__all__ = ["MixConfig", "MixSummary", "is_mix_config", "load_mix_config", "mix"]

_HOMES = {
    "MixConfig": "synthgen.mix.config",
    "is_mix_config": "synthgen.mix.config",
    "load_mix_config": "synthgen.mix.config",
    "MixSummary": "synthgen.mix.run",
    "mix": "synthgen.mix.run",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
