"""A ``generate`` source: samples of a run config made on the fly (no dataset on disk).

The records are made once when the mix is planned; a sample's pixels are made again when it is
written (``synthgen.lazy.GeneratedImage``), from the same (config, index), so they are the
same pixels. One worker context per run config and process.
"""

from __future__ import annotations

from pathlib import Path

from synthgen.formats.base import ReadResult
from synthgen.lazy import GeneratedImage, LazySample
from synthgen.records import to_record
from synthgen.types import Sample

_CONTEXTS: dict[tuple[str, tuple[str, ...]], tuple] = {}


def _context(config_path: str, overrides: tuple[str, ...]):
    key = (config_path, overrides)
    if key not in _CONTEXTS:
        from synthgen.config import load_run_config
        from synthgen.engine.context import WorkerContext

        config = load_run_config(config_path, list(overrides))
        _CONTEXTS[key] = (config, WorkerContext(config))
    return _CONTEXTS[key]


def generated_sample(config_path: str, overrides: tuple[str, ...], index: int) -> Sample:
    """Sample ``index`` of the run config at ``config_path`` (with ``overrides``)."""
    from synthgen.engine.pipeline import make_sample

    config, ctx = _context(config_path, overrides)
    return make_sample(config, index, ctx)


def read_generated(config_path: str | Path, overrides: tuple[str, ...]) -> ReadResult:
    """The records of every sample of a run config, pixels left to be remade when written."""
    config, _ = _context(str(config_path), overrides)
    samples = []
    for index in range(config.num_samples):
        sample = generated_sample(str(config_path), overrides, index)
        record = to_record(sample, "", "")
        origin = {"path": str(config_path), "id": index}
        samples.append(
            LazySample(record, config.categories, GeneratedImage(str(config_path), overrides, index), origin)
        )
    return ReadResult(config.categories, samples, [])
