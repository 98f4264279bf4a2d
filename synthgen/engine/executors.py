"""Executors run shard producers: ``serial`` (in this process), ``process`` (a local pool) and
``ray`` (tasks on a Ray cluster, ``synthgen.engine.ray_executor``).

Every executor hands its jobs out through the one ``StreamingScheduler`` (a bounded window of jobs
in flight, taken from the plan as they finish) and yields the produced shards in the plan's order,
for the driver to commit; output is identical whichever ran it, because each shard is a pure
function of its job. Each worker process builds the context of the jobs' source
(``synthgen.engine.context``) once, before its first shard.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from synthgen.engine.context import fork_safe, init_worker, scoped_context, worker_context
from synthgen.engine.scheduler import InlineBackend, StreamingScheduler
from synthgen.engine.shards import ProducedShard, ShardJob, produce_shard
from synthgen.registry import Registry

Executor = Callable[[Iterable[ShardJob], int], Iterator[ProducedShard]]
IN_FLIGHT_PER_WORKER = 2  # shards submitted ahead per worker: workers never wait, the queue stays short


def serial(jobs: Iterable[ShardJob], workers: int) -> Iterator[ProducedShard]:
    """Every shard in this process, with one context for the run (closed at the end)."""
    jobs = iter(jobs)
    first = next(jobs, None)
    if first is None:
        return
    with scoped_context(first.source) as ctx:
        backend = InlineBackend(lambda job: produce_shard(job, ctx))
        yield from StreamingScheduler(backend, 1).run(itertools.chain([first], jobs))


def _produce_in_worker(job: ShardJob) -> ProducedShard:
    return produce_shard(job, worker_context(job.source))


class PoolBackend:
    """Shard jobs on a ``concurrent.futures`` process pool; ``cancel`` kills its workers, so that an
    interrupted run does not wait for their shards (the pool then fails the futures left; they are
    not cancelled first, which races with the pool's own thread failing them)."""

    def __init__(self, pool):
        self.pool = pool

    def submit(self, job: ShardJob):
        return self.pool.submit(_produce_in_worker, job)

    def wait_any(self, handles: set) -> set:
        from concurrent.futures import FIRST_COMPLETED, wait

        return wait(handles, return_when=FIRST_COMPLETED).done

    def result(self, handle) -> ProducedShard:
        return handle.result()

    def cancel(self, handles: list) -> None:
        _stop_workers(self.pool)


def process(jobs: Iterable[ShardJob], workers: int) -> Iterator[ProducedShard]:
    """Shards on a pool of ``workers`` processes (fork where the platform has it and the source's
    renderer survives it, else spawn); each process builds its context in the pool's initialiser
    and dies with this process.

    Jobs are taken from ``jobs`` as workers free up (``IN_FLIGHT_PER_WORKER`` each at most, through
    the ``StreamingScheduler``), so a plan of any length is never listed, and shards come back in
    the plan's order. On an interruption (Ctrl-C, SIGTERM turned into KeyboardInterrupt) the
    workers are stopped at once rather than left to finish their shards.
    """
    from concurrent.futures import ProcessPoolExecutor

    jobs = iter(jobs)
    head = list(itertools.islice(jobs, max(workers, 1)))
    if workers <= 1 or len(head) <= 1:
        yield from serial(itertools.chain(head, jobs), workers)
        return
    methods = multiprocessing.get_all_start_methods()
    fork = "fork" in methods and fork_safe(head[0].source)
    ctx = multiprocessing.get_context("fork" if fork else "spawn")
    pool = ProcessPoolExecutor(
        max_workers=len(head), mp_context=ctx, initializer=init_worker, initargs=(head[0].source, os.getpid())
    )
    scheduler = StreamingScheduler(PoolBackend(pool), IN_FLIGHT_PER_WORKER * len(head))
    with opencv_single_threaded(), pool:
        yield from scheduler.run(itertools.chain(head, jobs))


def _stop_workers(pool) -> None:
    """Kill a pool's worker processes (the pool keeps them in ``_processes``; Python 3.14 has
    ``terminate_workers()``), so that shutting it down does not wait for their shards."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        if proc.is_alive():
            proc.kill()


@contextmanager
def opencv_single_threaded() -> Iterator[None]:
    """OpenCV on one thread while worker processes are forked, as before afterwards.

    A forked child inherits OpenCV's thread pool without its threads: its first parallel call,
    or ``cv2.setNumThreads``, waits for them forever. With the pool stopped in the parent before
    the fork, children start on one thread (which the worker context wants anyway).
    """
    import cv2

    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


def ray(jobs: Iterable[ShardJob], workers: int) -> Iterator[ProducedShard]:
    """Shards as Ray tasks (``synthgen.engine.ray_executor``), through the same scheduler."""
    from synthgen.engine.ray_executor import run_on_ray

    yield from run_on_ray(jobs, workers)


EXECUTORS: Registry[Executor] = Registry(
    "executor", {name: f"{__name__}:{name}" for name in ("serial", "process", "ray")}
)
