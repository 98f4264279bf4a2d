"""The ``ray`` executor: shard producers as Ray tasks, committed by the driver.

``ray.init()`` starts a local cluster when the config's ``ray.address`` is None, or joins the
cluster it names (``auto``, ``ray://host:port``; ``--ray-address`` on the command line). A task
builds its worker's context once (Ray reuses worker processes) and returns its shard's files
through the object store, or, with ``ray.shared_output: true`` (OUT is a path every node sees),
writes them under ``OUT/.synthgen/tmp`` itself. A task whose worker dies is retried by Ray; a shard
is a pure function of its job and the driver commits each shard once, so a retry changes nothing.
Ray is an optional dependency (``pip install 'synthgen-cv[ray]'``), imported only here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from synthgen.engine.shards import ProducedShard, ShardJob, produce_shard
from synthgen.errors import InputError

TASK_RETRIES = 3  # a shard whose worker died (killed, out of memory) is made again up to this often


def _produce(job: ShardJob, into_out: bool) -> ProducedShard:
    from synthgen.engine.context import worker_context

    return produce_shard(job, worker_context(job.config), into_out=into_out)


def ray_module():
    try:
        import ray
    except ImportError:
        raise InputError("--executor ray needs Ray: pip install 'synthgen-cv[ray]'") from None
    return ray


def start_ray(address: str | None, num_cpus: int | None) -> bool:
    """Connect to (or start) a cluster unless this process already is; True when we started it."""
    ray = ray_module()
    if ray.is_initialized():
        return False
    # Recent Ray asks for a token unless told otherwise; a local cluster started here needs none.
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    kwargs: dict = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if address is None:
        kwargs["num_cpus"] = num_cpus
    try:
        ray.init(address=address, **kwargs)
    except ConnectionError as exc:
        raise InputError(f"ray.address: cannot join the Ray cluster at {address!r} ({exc})") from None
    return True


def run_on_ray(jobs: Sequence[ShardJob], workers: int) -> Iterator[ProducedShard]:
    """Run each job as a Ray task (at most ``workers`` at once) and yield the produced shards as
    they complete."""
    if not jobs:
        return
    ray = ray_module()
    settings = jobs[0].config.ray
    started = start_ray(settings.address, settings.num_cpus)
    try:
        task = ray.remote(num_cpus=1, max_retries=TASK_RETRIES, retry_exceptions=False)(_produce)
        into_out = settings.shared_output
        pending: list = []
        queue = list(jobs)
        limit = max(1, workers)
        while queue or pending:
            while queue and len(pending) < limit:
                pending.append(task.remote(queue.pop(0), into_out))
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        if started:
            ray.shutdown()
