"""The streaming scheduler that every executor runs its shard jobs through.

Jobs are taken from an iterable as room frees up and their results are given back in the jobs'
order. Two bounds hold at every moment: at most ``max_in_flight`` jobs submitted and not yet given
back (what the driver may hold: a 100k-sample plan is never listed, and results waiting for an
earlier one are few), and at most ``max_running`` of them not finished (how many run at once on a
backend that would run all it is given, such as Ray). A job that finishes before an earlier one
makes room for the next one to start, so a slow shard does not leave the other workers idle. The
driver commits shards in index order, so a run killed at any point leaves complete shards in a
prefix of the plan (and whatever the window had finished). What runs a job is a ``Backend``: the
calling process, a process pool, Ray.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, Protocol, TypeVar

J = TypeVar("J")
R = TypeVar("R")
H = TypeVar("H")


class Backend(Protocol[J, H, R]):
    """Where jobs run.

    ``submit`` starts a job and returns its handle (a future, a Ray object ref) without waiting;
    ``wait_any`` blocks until at least one of the given handles has finished and returns those that
    have; ``result`` is a finished handle's result (re-raising the job's error); ``cancel`` gives
    up on the handles not yet given back (a run that failed, was interrupted or was closed early).
    """

    def submit(self, job: J) -> H: ...

    def wait_any(self, handles: set[H]) -> set[H]: ...

    def result(self, handle: H) -> R: ...

    def cancel(self, handles: list[H]) -> None: ...


class StreamingScheduler(Generic[J, H, R]):
    """Hands jobs to a backend lazily and gives their results back in order.

    Args:
        backend: what runs the jobs.
        max_in_flight: jobs submitted and not yet given back, at most (>= 1).
        max_running: jobs submitted and not finished, at most; None: ``max_in_flight``.

    Attributes:
        peak_in_flight, peak_running: the most jobs that were in flight / running at once.
    """

    def __init__(self, backend: Backend[J, H, R], max_in_flight: int, max_running: int | None = None):
        max_running = max_in_flight if max_running is None else max_running
        if max_in_flight < 1 or max_running < 1:
            raise ValueError(f"max_in_flight and max_running must be >= 1, got {max_in_flight}, {max_running}")
        self.backend = backend
        self.max_in_flight = max_in_flight
        self.max_running = min(max_running, max_in_flight)
        self.peak_in_flight = 0
        self.peak_running = 0

    def run(self, jobs: Iterable[J]) -> Iterator[R]:
        """The results of ``jobs``, in the jobs' order. Closing the iterator early (or an error,
        or Ctrl-C) cancels what is still in flight."""
        pending = iter(jobs)
        window: deque[H] = deque()  # handles in submission order; the head is given back next
        running: set[H] = set()  # handles not known to have finished
        exhausted = False
        try:
            while True:
                while not exhausted and len(window) < self.max_in_flight and len(running) < self.max_running:
                    job: Any = next(pending, _END)
                    if job is _END:
                        exhausted = True
                        break
                    handle = self.backend.submit(job)
                    window.append(handle)
                    running.add(handle)
                    self.peak_in_flight = max(self.peak_in_flight, len(window))
                    self.peak_running = max(self.peak_running, len(running))
                if not window:
                    return
                if window[0] in running:
                    running -= self.backend.wait_any(running)  # any one: it frees a slot for the next job
                    continue
                yield self.backend.result(window.popleft())
        except BaseException:  # an error, an interruption, or the caller closing the iterator
            self.backend.cancel(list(window))
            raise


_END = object()


class _Done:
    """The handle of a job run inline: its result, or the error it raised."""

    __slots__ = ("error", "value")

    def __init__(self, produce: Callable[[Any], Any], job: Any):
        self.value = self.error = None
        try:
            self.value = produce(job)
        except Exception as exc:  # noqa: BLE001 - raised again by result(), in the job's order
            self.error = exc


class InlineBackend:
    """Runs each job in the calling process as it is submitted (the ``serial`` executor).

    Args:
        produce: job -> result.
    """

    def __init__(self, produce: Callable[[Any], Any]):
        self.produce = produce

    def submit(self, job: Any) -> _Done:
        return _Done(self.produce, job)

    def wait_any(self, handles: set[_Done]) -> set[_Done]:
        return set(handles)

    def result(self, handle: _Done) -> Any:
        if handle.error is not None:
            raise handle.error
        return handle.value

    def cancel(self, handles: list[_Done]) -> None:
        return None
