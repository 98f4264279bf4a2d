"""The engine: seeds, shards, executors and the resumable ``generate`` loop."""

from synthgen.engine.pipeline import make_sample
from synthgen.engine.run import RunSummary, generate

__all__ = ["RunSummary", "generate", "make_sample"]
