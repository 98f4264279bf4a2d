"""Sample sources, and the one loop that makes samples of any of them.

DESIGN.md's three roles are a sample source, a shard producer and a committer. A source is what
yields samples for indices: the run config's pipeline (``GeneratedSource``), a dataset read from
disk (``DatasetSource``), a mix's plan (``synthgen.mix.run.MixedSource``). Each is a pure function
of its definition, its seed and the index, so any process may make any of its samples.

Every way samples are made goes through ``stream``: the shard producer of ``generate`` and ``mix``
(on any executor), ``make_sample``, ``synthgen.torch.SyntheticDataset`` and ``regress``. A source
says what a worker process must hold for it (``make_context``, built once per process and kept
by ``context.worker_context`` for every later source of the same ``context_key``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from synthgen.engine.context import NoResources, WorkerContext, scoped_context, worker_context
from synthgen.types import CategoryTable, Sample

if TYPE_CHECKING:
    from synthgen.config.schema import RunConfig
    from synthgen.lazy import LazySample


@runtime_checkable
class Source(Protocol):
    """What yields samples for indices (a shard's index range, a DataLoader worker's share).

    Attributes:
        categories: the category table of its samples' labels.
        seed: the seed its samples are drawn from (recorded with them; a source's samples are a
            pure function of its definition, this seed and the index).
        fork_safe: whether a process that made samples of it may be forked (a GL renderer may not).
        context_key: which worker context its samples need: sources with equal keys share one
            (every shard job of a run carries its own copy of the source).
    """

    categories: CategoryTable
    seed: int
    fork_safe: bool

    def __len__(self) -> int: ...

    @property
    def context_key(self) -> str: ...

    def make_context(self) -> Any:
        """What one worker process holds for this source's samples (has ``close()``)."""
        ...

    def samples(self, indices: Iterable[int], ctx: Any) -> Iterator[Sample]:
        """The samples of ``indices``, in that order, made with the worker context ``ctx``."""
        ...


def stream(source: Source, indices: Iterable[int], ctx: Any = None) -> Iterator[Sample]:
    """The samples of ``indices`` from ``source``, made in this process: the one sample loop.

    Args:
        source: any Source.
        indices: which samples, in the order wanted (a range for a shard).
        ctx: the worker context; None: this process's kept one for the source
            (``context.worker_context``: built on the first call, reused by the next).
    """
    yield from source.samples(indices, worker_context(source) if ctx is None else ctx)


class GeneratedSource:
    """The samples of a run config: scene -> render -> generate -> augment -> annotate.

    Args:
        config: the loaded run config.
    """

    def __init__(self, config: RunConfig):
        self.config = config

    def __len__(self) -> int:
        return self.config.num_samples

    def __getstate__(self) -> dict:
        return {"config": self.config}  # the cached key is made again where it is used

    def __setstate__(self, state: dict) -> None:
        self.config = state["config"]

    @property
    def categories(self) -> CategoryTable:
        return self.config.categories

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def fork_safe(self) -> bool:
        from synthgen.render import RENDERERS

        return RENDERERS.get(self.config.render.kind).fork_safe

    @property
    def context_key(self) -> str:
        key = self.__dict__.get("_key")
        if key is None:
            resolved = json.dumps(self.config.resolved, sort_keys=True, default=str)
            key = self.__dict__["_key"] = "run:" + hashlib.sha256(resolved.encode()).hexdigest()
        return key

    def make_context(self) -> WorkerContext:
        return WorkerContext(self.config)

    def samples(self, indices: Iterable[int], ctx: WorkerContext) -> Iterator[Sample]:
        from synthgen.engine.pipeline import pipeline_sample

        if not ctx.accepts(self.config):
            raise ValueError("the worker context was built for another run config")
        for index in indices:
            yield pipeline_sample(self.config, index, ctx)

    def sample(self, index: int, ctx: WorkerContext | None = None) -> Sample:
        """One sample; ``ctx`` None uses a context for this call only (or this process's kept one)."""
        if ctx is not None:
            return next(self.samples((index,), ctx))
        with scoped_context(self) as own:
            return next(self.samples((index,), own))


class DatasetSource:
    """Samples read from a dataset (any reader's lazy samples), decoded when asked.

    Args:
        samples: the reader's samples, in the dataset's order (index ``i`` is ``samples[i]``).
        categories: the dataset's category table.
        seed: the seed its samples were made with (0 for a dataset made by other tools).
    """

    fork_safe = True
    context_key = "files"  # reading needs nothing per process

    def __init__(self, samples: Sequence[LazySample], categories: CategoryTable, seed: int = 0):
        self.lazy = samples
        self.categories = categories
        self.seed = seed

    @classmethod
    def read(cls, path: Any, format: str = "synthgen", options: Any = None, seed: int = 0) -> DatasetSource:
        """A dataset folder read by the reader of ``format`` (``synthgen.formats.READERS``); a bad
        dataset raises the reader's DatasetError (one line naming the file)."""
        from pathlib import Path

        from synthgen.formats import READERS
        from synthgen.formats.base import ReadOptions

        result = READERS.get(format).read(Path(path), options if options is not None else ReadOptions())
        return cls(result.samples, result.categories, seed)

    def __len__(self) -> int:
        return len(self.lazy)

    def make_context(self) -> NoResources:
        return NoResources()

    def samples(self, indices: Iterable[int], ctx: Any = None) -> Iterator[Sample]:
        for index in indices:
            if not 0 <= index < len(self.lazy):
                raise IndexError(f"index {index} is not in the dataset's 0..{len(self.lazy) - 1}")
            yield self.lazy[index].materialize()
