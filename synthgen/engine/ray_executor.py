"""The ``ray`` executor: shard producers as Ray tasks, committed by the driver.

``ray_session`` joins the cluster that the config's ``ray.address`` names (``auto``,
``host:port``, ``ray://host:port``; ``--ray-address`` on the command line), or starts a local one
when it is None, within ``ray.connect_timeout_s`` and before a run touches its output folder;
a local cluster it started is shut down when the session ends, interrupted or not. A task builds
its worker's context once (Ray reuses worker processes) and returns its shard's files through the
object store, or, with ``ray.shared_output: true`` (OUT is a path every node sees), writes them
under ``OUT/.synthgen/tmp`` itself. A task whose worker dies is retried by Ray; a shard is a pure
function of its job and the driver commits each shard once, so a retry changes nothing; the
staging folder the dead worker left in its node's temporary folder is removed by the next task
there (``local_staging``). Ray is an optional dependency (``pip install 'synthgen-cv[ray]'``),
imported only here.
"""

from __future__ import annotations

import itertools
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext

from synthgen.config.schema import RayConfig
from synthgen.engine.local_staging import remove_abandoned
from synthgen.engine.shards import ProducedShard, ShardJob, produce_shard
from synthgen.errors import InputError

TASK_RETRIES = 3  # a shard whose worker died (killed, out of memory) is made again up to this often
PROBE_TIMEOUT_S = 5.0  # a TCP connect to a host:port address, before Ray is asked to join it
SHUTDOWN_WAIT_S = 60.0  # an interrupted local start is waited for (then shut down) at most this long
POLL_S = 0.1  # the main thread wakes this often while Ray connects, so that SIGTERM/Ctrl-C act at once


def _produce(job: ShardJob, into_out: bool) -> ProducedShard:
    from synthgen.engine.context import worker_context

    return produce_shard(job, worker_context(job.source), into_out=into_out)


def ray_module():
    try:
        import ray
    except ImportError:
        raise InputError("--executor ray needs Ray: pip install 'synthgen-cv[ray]'") from None
    return ray


def _where(address: str | None) -> str:
    return "a local Ray cluster" if address is None else f"the Ray cluster at {address!r}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _probe(settings: RayConfig) -> None:
    """A ``host:port`` (or ``ray://host:port``) address takes a TCP connection, or InputError at once:
    Ray itself retries an address that refuses for about ten minutes."""
    target = settings.host_port
    if target is None:
        return
    try:
        with socket.create_connection(target, timeout=min(PROBE_TIMEOUT_S, settings.connect_timeout_s)):
            pass
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or _first_line(exc)).lower()
        raise InputError(f"ray.address: no Ray cluster answers at {settings.address!r} ({reason})") from None


class _NotMainThread(logging.Filter):
    """Drops Ray's warning that ``ray.init`` outside the main thread sets no SIGTERM handler: that is
    why it runs there (synthgen's own handler stays, and turns SIGTERM into its one line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "not the main thread" not in record.getMessage()


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """File descriptor 2 goes to the null device for the duration (what native code writes there)."""
    sys.stderr.flush()
    saved = os.dup(2)
    sink = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(sink, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(sink)


class _ClusterOwner:
    """The thread that calls ``ray.init`` and then lives until the session ends.

    ``ray.init`` blocks in Ray's C++ client, where neither a deadline nor SIGTERM/Ctrl-C reaches
    it, so it runs here while the main thread waits on it. The thread stays alive afterwards: Ray
    starts a local cluster's processes with PR_SET_PDEATHSIG, which the kernel fires when the
    *thread* that started them ends; they must die with this process (kill -9 included), not with
    a helper thread.
    """

    def __init__(self, ray, settings: RayConfig, kwargs: dict):
        self.ray = ray
        self.settings = settings
        self.kwargs = kwargs
        self.ready = threading.Event()
        self.release = threading.Event()
        self.abandoned = False  # the caller gave up waiting: leave the cluster if ray.init returns later
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name="synthgen-ray-cluster", daemon=True)

    def _run(self) -> None:
        try:
            self.ray.init(address=self.settings.address, **self.kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            self.error = exc
        with self._lock:
            self.ready.set()
            leave = self.error is None and self.abandoned
        if leave:
            self.ray.shutdown()
            return
        self.release.wait()

    def _give_up(self) -> bool:
        """Stop waiting; True if ``ray.init`` had not returned (the thread leaves again if it does)."""
        with self._lock:
            self.abandoned = not self.ready.is_set()
            return self.abandoned

    def connect(self) -> None:
        """Start the thread and wait for ``ray.init`` at most ``connect_timeout_s``.

        Raises:
            InputError: the deadline passed, or Ray refused (one line).
            KeyboardInterrupt: SIGINT or SIGTERM (synthgen's handler) while waiting; a local cluster
                being started is let finish and stopped first.
        """
        settings = self.settings
        deadline = time.monotonic() + settings.connect_timeout_s
        quiet = _NotMainThread()
        worker_log = logging.getLogger("ray._private.worker")
        worker_log.addFilter(quiet)
        try:
            # Joining, Ray's C++ client writes a warning line to stderr for each try of an address
            # that does not answer (every 5 s); the outcome is reported in one line instead.
            with _native_stderr_silenced() if settings.address is not None else nullcontext():
                self.thread.start()
                while not self.ready.wait(POLL_S) and time.monotonic() < deadline:
                    # Ray's core worker installs its own SIGTERM handler (a stack dump) part way
                    # through ray.init: ours is put back within POLL_S, not only at the end.
                    _python_signal_handlers_back()
        except KeyboardInterrupt:
            if settings.address is None:  # a local start is short: let it finish, then stop what it started
                self.ready.wait(SHUTDOWN_WAIT_S)
            self._give_up()
            self.close()
            raise
        finally:
            worker_log.removeFilter(quiet)
        if self._give_up():  # the thread, a daemon, stays in Ray's connect loop until the process ends
            raise InputError(
                f"{_key(settings)}: {_where(settings.address)} did not answer within {settings.connect_timeout_s:g} s "
                "(ray.connect_timeout_s)"
            )
        if self.error is not None:
            self.release.set()
            verb = "cannot start" if settings.address is None else "cannot join"
            raise InputError(f"{_key(settings)}: {verb} {_where(settings.address)} ({_first_line(self.error)})")

    def close(self) -> None:
        """Leave the cluster (stopping a local one this started) and let the thread end."""
        if self.ready.is_set() and self.error is None and self.ray.is_initialized():
            self.ray.shutdown()
        self.release.set()


def _python_signal_handlers_back() -> None:
    """Put this process's Python handlers of SIGTERM and SIGINT back in place of the ones Ray's core
    worker installs (a crash reporter that prints a stack dump): SIGTERM then stops a run with
    synthgen's one line (cli.Terminated), as with any other executor."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        handler = signal.getsignal(signum)
        if handler is not None:
            signal.signal(signum, handler)


def _key(settings: RayConfig) -> str:
    return "ray" if settings.address is None else "ray.address"


def connect_ray(settings: RayConfig) -> _ClusterOwner | None:
    """Join (or start) the cluster of ``settings`` within ``settings.connect_timeout_s``, unless this
    process already is in one (None then); the connection, for ``close()`` at the end.

    Raises:
        InputError: the address refuses or answers nothing in time, Ray refuses it, the cluster
            has no CPU, or ``ray://`` without Ray Client installed. One line, nothing written.
    """
    ray = ray_module()
    if ray.is_initialized():
        return None
    # Recent Ray asks for a token unless told otherwise; a local cluster started here needs none.
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    if settings.address is not None and settings.address.startswith("ray://"):
        try:
            import grpc  # noqa: F401 - Ray Client needs it; its extra brings it
        except ImportError:
            raise InputError(
                f"ray.address: {settings.address!r} is a Ray Client address, which needs pip install 'ray[client]'"
            ) from None
    _probe(settings)
    kwargs: dict = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if settings.address is None:
        kwargs["num_cpus"] = settings.num_cpus
    owner = _ClusterOwner(ray, settings, kwargs)
    try:
        owner.connect()
    finally:
        _python_signal_handlers_back()
    try:
        cpus = ray.cluster_resources().get("CPU", 0)
    except Exception as exc:  # noqa: BLE001 - the connection went away as soon as it was made
        owner.close()
        raise InputError(f"{_key(settings)}: lost {_where(settings.address)} ({_first_line(exc)})") from None
    if cpus < 1:
        owner.close()
        raise InputError(f"{_key(settings)}: {_where(settings.address)} has no CPU; a shard task would wait forever")
    return owner


@contextmanager
def ray_session(settings: RayConfig) -> Iterator[None]:
    """In the cluster of ``settings`` for the duration (``connect_ray``); a cluster this joined or
    started is left (a local one stopped) at the end, on an error or an interruption too, and the
    staging folders that killed tasks left in this machine's temporary folder are removed."""
    owner = connect_ray(settings)
    try:
        yield
    finally:
        if owner is not None:
            owner.close()
        remove_abandoned()


class RayBackend:
    """Shard jobs as Ray tasks: ``submit`` returns the task's object ref, ``result`` waits for it,
    ``cancel`` cancels the tasks not collected (their workers are killed; a retry changes nothing)."""

    def __init__(self, ray, into_out: bool):
        self.ray = ray
        self.into_out = into_out
        self.task = ray.remote(num_cpus=1, max_retries=TASK_RETRIES, retry_exceptions=False)(_produce)

    def submit(self, job: ShardJob):
        return self.task.remote(job, self.into_out)

    def wait_any(self, handles: set) -> set:
        done, _ = self.ray.wait(list(handles), num_returns=1)
        return set(done)

    def result(self, handle) -> ProducedShard:
        return self.ray.get(handle)

    def cancel(self, handles: list) -> None:
        for ref in handles:
            try:
                self.ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001 - finished or lost already; the session ends next
                pass


def run_on_ray(jobs: Iterable[ShardJob], workers: int) -> Iterator[ProducedShard]:
    """Run each job as a Ray task, at most ``workers`` at once and ``IN_FLIGHT_PER_WORKER`` per
    worker not yet given back (taken from ``jobs`` as they finish: the plan is never listed), and
    yield the produced shards in the plan's order."""
    from synthgen.engine.executors import IN_FLIGHT_PER_WORKER
    from synthgen.engine.scheduler import StreamingScheduler

    jobs = iter(jobs)
    first = next(jobs, None)
    if first is None:
        return
    ray = ray_module()
    settings = first.config.ray
    with ray_session(settings):
        workers = max(1, workers)
        scheduler = StreamingScheduler(
            RayBackend(ray, settings.shared_output), IN_FLIGHT_PER_WORKER * workers, max_running=workers
        )
        yield from scheduler.run(itertools.chain([first], jobs))
