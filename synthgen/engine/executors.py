"""Executors run shard jobs: ``serial`` (in this process) and ``process`` (a local pool).

Every executor yields results as shards complete; output is identical whichever ran it,
because each shard is a pure function of its job.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from synthgen.engine.shards import ShardJob, ShardResult, run_shard
from synthgen.registry import Registry

Executor = Callable[[Sequence[ShardJob], int], Iterator[ShardResult]]


def serial(jobs: Sequence[ShardJob], workers: int) -> Iterator[ShardResult]:
    for job in jobs:
        yield run_shard(job)


def process(jobs: Sequence[ShardJob], workers: int) -> Iterator[ShardResult]:
    """Shards on a pool of ``workers`` processes (fork where the platform has it)."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    if workers <= 1 or len(jobs) <= 1:
        yield from serial(jobs, workers)
        return
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with opencv_single_threaded(), ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx) as pool:
        futures = [pool.submit(run_shard, job) for job in jobs]
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
    the fork, children start on one thread (which ``run_shard`` wants anyway).
    """
    import cv2

    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


EXECUTORS: Registry[Executor] = Registry("executor")
EXECUTORS.register("serial", serial)
EXECUTORS.register("process", process)
