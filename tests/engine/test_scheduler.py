"""The streaming scheduler that the serial, process and Ray executors share: jobs are taken lazily,
never more than N in flight, results come back in the plan's order, and what is in flight is
cancelled when the run stops early. Instrumented with fake backends (no Ray cluster needed)."""

from __future__ import annotations

import itertools
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

from synthgen.config import load_run_config
from synthgen.engine import ray_executor
from synthgen.engine.executors import EXECUTORS, process
from synthgen.engine.run import plan
from synthgen.engine.scheduler import StreamingScheduler

ROOT = Path(__file__).resolve().parents[2]
PLAN = 100_000  # a plan this long must never be listed


class CountingJobs:
    """A plan of ``n`` jobs (their numbers), counting how many were taken."""

    def __init__(self, n: int):
        self.n = n
        self.taken = 0

    def __iter__(self):
        for job in range(self.n):
            self.taken += 1
            yield job


class ThreadBackend:
    """Jobs on a thread pool, finishing in a random order; counts jobs running and in flight."""

    def __init__(self, threads: int, seed: int = 0):
        self.pool = ThreadPoolExecutor(threads)
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.in_flight = self.peak = self.running = self.peak_running = 0
        self.cancelled: list = []

    def _run(self, job: int, delay: float) -> int:
        with self.lock:
            self.running += 1
            self.peak_running = max(self.peak_running, self.running)
        time.sleep(delay)
        with self.lock:
            self.running -= 1
        return job * 10

    def submit(self, job: int):
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        return self.pool.submit(self._run, job, self.rng.choice([0.0, 0.0005, 0.002]))

    def wait_any(self, handles: set) -> set:
        from concurrent.futures import FIRST_COMPLETED, wait

        return wait(handles, return_when=FIRST_COMPLETED).done

    def result(self, handle) -> int:
        value = handle.result()
        with self.lock:
            self.in_flight -= 1
        return value

    def cancel(self, handles: list) -> None:
        self.cancelled.extend(handles)
        for h in handles:
            h.cancel()


@pytest.mark.parametrize("limit", [1, 3, 8])
def test_never_more_than_n_in_flight_and_results_in_plan_order(limit):
    backend = ThreadBackend(threads=4, seed=limit)
    jobs = CountingJobs(400)
    scheduler = StreamingScheduler(backend, limit)
    got = []
    for result in scheduler.run(jobs):
        got.append(result)
        assert jobs.taken - len(got) <= limit  # taken lazily: at most the window ahead of what came back
    assert got == [j * 10 for j in range(400)]  # in order, though jobs finished in a random one
    assert backend.peak <= limit and scheduler.peak_in_flight == min(limit, 400)
    assert backend.peak_running <= limit


def test_a_slow_job_holds_back_its_results_not_the_workers():
    class SlowFirst(ThreadBackend):
        def _run(self, job, delay):
            if job == 0:
                release.wait(10)  # job 0 runs until the others have filled the window
            return super()._run(job, 0.0)

    release = threading.Event()
    backend = SlowFirst(threads=8)
    jobs = CountingJobs(50)
    scheduler = StreamingScheduler(backend, max_in_flight=6, max_running=2)
    results = scheduler.run(jobs)
    threading.Timer(0.5, release.set).start()
    assert next(results) == 0
    # while job 0 ran, the other slot went on to jobs 1..5 (each one finishing freed it), and no
    # more than the window of 6 was taken: results wait, in order, for the slow one
    assert jobs.taken >= 6 and jobs.taken <= 6 + 1
    assert list(results) == [j * 10 for j in range(1, 50)]
    assert scheduler.peak_running == 2 and backend.peak_running <= 2 and scheduler.peak_in_flight == 6


def test_a_100k_plan_is_taken_a_window_at_a_time():
    backend = ThreadBackend(threads=2)
    jobs = CountingJobs(PLAN)
    results = StreamingScheduler(backend, 4).run(jobs)
    first = list(itertools.islice(results, 10))
    assert first == [j * 10 for j in range(10)]
    assert jobs.taken <= 10 + 4  # not the 100k jobs of the plan
    results.close()  # stopping early cancels what is in flight, and takes no more jobs
    assert 1 <= len(backend.cancelled) <= 4 and jobs.taken <= 14


def test_an_error_in_a_job_cancels_the_rest_and_is_raised():
    class Failing(ThreadBackend):
        def _run(self, job, delay):
            if job == 5:
                raise RuntimeError("job 5 failed")
            return super()._run(job, delay)

    backend = Failing(threads=2)
    jobs = CountingJobs(PLAN)
    results = StreamingScheduler(backend, 3).run(jobs)
    with pytest.raises(RuntimeError, match="job 5 failed"):
        list(results)
    assert 1 <= len(backend.cancelled) <= 3 and jobs.taken <= 5 + 3  # the window, then nothing more


class FakeRef:
    """A task's object ref (hashable by identity, as Ray's are)."""

    def __init__(self, job, into_out: bool):
        self.job, self.into_out = job, into_out


class FakeRay:
    """What RayBackend uses of the ``ray`` module, with tasks run on ``get``; counts refs alive."""

    def __init__(self):
        self.alive = self.peak = 0
        self.cancelled = 0

    def remote(self, **options):
        fake = self

        def wrap(fn):
            class Task:
                @staticmethod
                def remote(job, into_out):
                    fake.alive += 1
                    fake.peak = max(fake.peak, fake.alive)
                    return FakeRef(job, into_out)

            return Task

        return wrap

    def wait(self, refs, num_returns=1):
        return refs[:num_returns], refs[num_returns:]

    def get(self, ref):
        self.alive -= 1
        return SimpleNamespace(shard=ref.job.shard)

    def cancel(self, ref, force=False):
        self.cancelled += 1


def test_the_ray_executor_streams_the_plan_through_the_same_scheduler(tmp_path, monkeypatch):
    fake = FakeRay()
    monkeypatch.setattr(ray_executor, "ray_module", lambda: fake)
    monkeypatch.setattr(ray_executor, "ray_session", lambda settings: _nothing())
    config = load_run_config(ROOT / "configs/text_words.yaml", [f"num_samples={PLAN}", "shard_size=1"])
    taken = 0

    def jobs():
        nonlocal taken
        for job in plan(config, tmp_path):
            taken += 1
            yield job

    produced = EXECUTORS.get("ray")(jobs(), 3)
    shards = [p.shard for p in itertools.islice(produced, 20)]
    assert shards == list(range(20))  # in the plan's order
    assert taken <= 20 + 6 and fake.peak <= 6  # a window of 2 tasks a worker, not the 100k of the plan
    produced.close()
    assert 1 <= fake.cancelled <= 6


def _nothing():
    from contextlib import nullcontext

    return nullcontext()


def test_the_process_executor_gives_shards_in_the_plans_order(tmp_path):
    overrides = ["num_samples=8", "shard_size=1", "scene.params.width=96", "scene.params.height=64",
                 "scene.params.words=randint(1, 6)"]
    config = load_run_config(ROOT / "configs/text_words.yaml", overrides)
    produced = list(process(plan(config, tmp_path), 2))
    assert [p.shard for p in produced] == list(range(8))
