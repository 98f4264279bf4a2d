"""The mixer: blend synthetic samples with real annotated datasets (``synthgen mix CONFIG``).

Sources are read by the readers of ``synthgen.formats`` (or made on the fly from a run config),
mapped onto one target taxonomy, split (validation and test from real data only, stratified by
class), mixed for training (ratio, counts or weights, ``fill_to``, caps) and written with any
writers, with provenance on every record and a report.

``synthgen.mix`` is also the API function (``synthgen.mix_datasets``): importing this package makes
the name refer to it, so the module is callable and forwards to that function.
"""

from __future__ import annotations

import sys
import types

from synthgen.mix.config import MixConfig, is_mix_config, load_mix_config
from synthgen.mix.run import MixSummary, mix

__all__ = ["MixConfig", "MixSummary", "is_mix_config", "load_mix_config", "mix"]


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        from synthgen import mix_datasets

        return mix_datasets(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
