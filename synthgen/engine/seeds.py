"""Seeds: sample ``index`` of a run with seed ``seed`` owns one generator per stage.

Each stage's generator comes from ``SeedSequence(seed, spawn_key=(index, crc32(stage)))``, so a
sample does not depend on any other, and adding a stage does not reshuffle the others.
"""

from __future__ import annotations

import zlib

import numpy as np


def stage_rng(seed: int, index: int, stage: str) -> np.random.Generator:
    """The generator of ``stage`` ("scene", "augment", ...) for sample ``index``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index, zlib.crc32(stage.encode()))))
