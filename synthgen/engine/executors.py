"""Executors run shard producers: ``serial`` (in this process), ``process`` (a local pool) and
``ray`` (tasks on a Ray cluster, ``synthgen.engine.ray_executor``).

Every executor yields produced shards as they complete, for the driver to commit; output is
identical whichever ran it, because each shard is a pure function of its job. Each worker process
builds its context (``synthgen.engine.context``) once, before its first shard.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from synthgen.engine.context import WorkerContext, init_worker, worker_context
from synthgen.engine.shards import ProducedShard, ShardJob, produce_shard
from synthgen.registry import Registry

Executor = Callable[[Sequence[ShardJob], int], Iterator[ProducedShard]]


def serial(jobs: Sequence[ShardJob], workers: int) -> Iterator[ProducedShard]:
    """Every shard in this process, with one context for the run."""
    if not jobs:
        return
    ctx = WorkerContext(jobs[0].config)
    try:
        for job in jobs:
            yield produce_shard(job, ctx)
    finally:
        ctx.close()


def _produce_in_worker(job: ShardJob) -> ProducedShard:
    return produce_shard(job, worker_context(job.config))


def process(jobs: Sequence[ShardJob], workers: int) -> Iterator[ProducedShard]:
    """Shards on a pool of ``workers`` processes (fork where the platform has it and the renderer
    survives it, else spawn); each process builds its context in the pool's initialiser."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    if workers <= 1 or len(jobs) <= 1:
        yield from serial(jobs, workers)
        return
    from synthgen.render import RENDERERS

    methods = multiprocessing.get_all_start_methods()
    fork = "fork" in methods and RENDERERS.get(jobs[0].config.render.kind).fork_safe
    ctx = multiprocessing.get_context("fork" if fork else "spawn")
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(jobs)), mp_context=ctx, initializer=init_worker, initargs=(jobs[0].config,)
    )
    with opencv_single_threaded(), pool:
        futures = [pool.submit(_produce_in_worker, job) for job in jobs]
        try:
            for future in as_completed(futures):
                yield future.result()
        except BaseException:
            for f in futures:
                f.cancel()
            raise


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


def ray(jobs: Sequence[ShardJob], workers: int) -> Iterator[ProducedShard]:
    from synthgen.engine.ray_executor import run_on_ray

    yield from run_on_ray(jobs, workers)


EXECUTORS: Registry[Executor] = Registry("executor")
EXECUTORS.register("serial", serial)
EXECUTORS.register("process", process)
EXECUTORS.register("ray", ray)
