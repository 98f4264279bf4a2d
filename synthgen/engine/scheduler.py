"""The streaming scheduler that every executor runs its shard jobs through.

Jobs are taken from an iterable as room frees up, at most ``max_in_flight`` submitted and not yet
given back, and their results are given back in the jobs' order: a plan of any length is never
listed (a 100k-sample plan holds a few jobs at a time), the driver commits shards in index order,
and a run killed at any point leaves complete shards in a prefix of the plan (and whatever the
window had finished). What runs a job is a ``Backend``: the calling process, a process pool, Ray.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any, Generic, Protocol, TypeVar

J = TypeVar("J")
R = TypeVar("R")
H = TypeVar("H")


class Backend(Protocol[J, H, R]):
    """Where jobs run.

    ``submit`` starts a job and returns its handle (a future, a Ray object ref) without waiting;
    ``result`` waits for a handle's result (re-raising the job's error); ``cancel`` gives up on
    handles not yet collected (a run that failed or was interrupted).
    """

    def submit(self, job: J) -> H: ...

    def result(self, handle: H) -> R: ...

    def cancel(self, handles: list[H]) -> None: ...


class StreamingScheduler(Generic[J, H, R]):
    """Hands jobs to a backend lazily and gives their results back in order.

    Args:
        backend: what runs the jobs.
        max_in_flight: jobs submitted and not yet given back, at most (>= 1): enough to keep the
            backend's workers busy while the caller commits, few enough that memory stays bounded.

    Attributes:
        peak_in_flight: the most jobs that were in flight at once (for tests and benchmarks).
    """

    def __init__(self, backend: Backend[J, H, R], max_in_flight: int):
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {max_in_flight}")
        self.backend = backend
        self.max_in_flight = max_in_flight
        self.peak_in_flight = 0

    def run(self, jobs: Iterable[J]) -> Iterator[R]:
        """The results of ``jobs``, in the jobs' order. Closing the iterator early (or an error,
        or Ctrl-C) cancels what is still in flight."""
        pending = iter(jobs)
        window: deque[H] = deque()  # handles in submission order; the head is given back next
        exhausted = False

        def fill() -> None:
            nonlocal exhausted
            while not exhausted and len(window) < self.max_in_flight:
                job: Any = next(pending, _END)
                if job is _END:
                    exhausted = True
                    return
                window.append(self.backend.submit(job))
                self.peak_in_flight = max(self.peak_in_flight, len(window))

        try:
            fill()
            while window:
                result = self.backend.result(window[0])
                window.popleft()
                fill()  # the workers have their next jobs while the caller commits this result
                yield result
        except BaseException:  # an error, an interruption, or the caller closing the iterator
            self.backend.cancel(list(window))
            raise


_END = object()


class InlineBackend(Generic[J, R]):
    """Runs each job in the calling process when its result is asked for (the ``serial`` executor).

    Args:
        produce: job -> result.
    """

    def __init__(self, produce):
        self.produce = produce

    def submit(self, job: J) -> J:
        return job

    def result(self, handle: J) -> R:
        return self.produce(handle)

    def cancel(self, handles: list[J]) -> None:
        return None
