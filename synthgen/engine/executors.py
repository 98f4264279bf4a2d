"""Executors run shard producers: ``serial`` (in this process), ``process`` (a local pool) and
``ray`` (tasks on a Ray cluster, ``synthgen.engine.ray_executor``).

Every executor yields produced shards as they complete, for the driver to commit; output is
identical whichever ran it, because each shard is a pure function of its job. Each worker process
builds its context (``synthgen.engine.context``) once, before its first shard.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from synthgen.engine.context import fork_safe, init_worker, new_context, worker_context
from synthgen.engine.shards import ProducedShard, ShardJob, produce_shard
from synthgen.registry import Registry

Executor = Callable[[Iterable[ShardJob], int], Iterator[ProducedShard]]
IN_FLIGHT_PER_WORKER = 2  # shards submitted ahead per worker: workers never wait, the queue stays short


def serial(jobs: Iterable[ShardJob], workers: int) -> Iterator[ProducedShard]:
    """Every shard in this process, with one context for the run."""
    jobs = iter(jobs)
    first = next(jobs, None)
    if first is None:
        return
    ctx = new_context(first.config)
    try:
        for job in itertools.chain([first], jobs):
            yield produce_shard(job, ctx)
    finally:
        ctx.close()


def _produce_in_worker(job: ShardJob) -> ProducedShard:
    return produce_shard(job, worker_context(job.config))


def process(jobs: Iterable[ShardJob], workers: int) -> Iterator[ProducedShard]:
    """Shards on a pool of ``workers`` processes (fork where the platform has it and the renderer
    survives it, else spawn); each process builds its context in the pool's initialiser and dies
    with this process.

    Jobs are taken from ``jobs`` as workers free up (a few ahead), so a plan of any length is
    never listed. On an interruption (Ctrl-C, SIGTERM turned into KeyboardInterrupt) the workers
    are stopped at once rather than left to finish their shards.
    """
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    jobs = iter(jobs)
    head = list(itertools.islice(jobs, max(workers, 1)))
    if workers <= 1 or len(head) <= 1:
        yield from serial(itertools.chain(head, jobs), workers)
        return
    methods = multiprocessing.get_all_start_methods()
    fork = "fork" in methods and fork_safe(head[0].config)
    ctx = multiprocessing.get_context("fork" if fork else "spawn")
    pool = ProcessPoolExecutor(
        max_workers=len(head), mp_context=ctx, initializer=init_worker, initargs=(head[0].config, os.getpid())
    )
    jobs = itertools.chain(head, jobs)
    limit = IN_FLIGHT_PER_WORKER * len(head)
    with opencv_single_threaded(), pool:
        in_flight: set = set()
        try:
            while True:
                for job in itertools.islice(jobs, limit - len(in_flight)):
                    in_flight.add(pool.submit(_produce_in_worker, job))
                if not in_flight:
                    break
                done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        except BaseException:
            for future in in_flight:
                future.cancel()
            _stop_workers(pool)
            raise


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
    from synthgen.engine.ray_executor import run_on_ray

    # The Ray executor takes a list (its queue of tasks); Ray workers live in Ray's own processes.
    yield from run_on_ray(list(jobs), workers)


EXECUTORS: Registry[Executor] = Registry(
    "executor", {name: f"{__name__}:{name}" for name in ("serial", "process", "ray")}
)
