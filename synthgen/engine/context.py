"""The worker context: what is heavy or stateful in one worker process, built once.

An executor builds one context per worker process (a process pool's initialiser, the first task
of a Ray worker, or the calling process for the serial executor) and passes it to every sample
that process makes. It holds the renderer's resource (a GL context and renderer), the resources
of generate and augment steps (a diffusers pipeline), and sets the thread policies. Font and glyph
caches are per process by construction (``synthgen.text.glyphs``), so they live exactly as long.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import signal
import sys
import threading
import time
from typing import Any

from synthgen.config.schema import RunConfig

_builds = itertools.count(1)


class WorkerContext:
    """Resources of one worker process for one run config.

    Args:
        config: the run config; the context builds what its render kind and steps declare.

    Attributes:
        pid: the process it was built in.
        build: how many contexts this process has built before and including this one (a test
            checks that a worker builds one, not one per shard or sample).
    """

    def __init__(self, config: RunConfig):
        from synthgen.render import RENDERERS

        set_thread_policies()
        self.pid = os.getpid()
        self.build = next(_builds)
        self.config = config
        kind = RENDERERS.get(config.render.kind)
        self.render_kind = kind
        self.render_resource = kind.make_resource(config.render.settings) if kind.make_resource else None
        self._resources: dict[int, Any] = {}
        for step in (*config.generate, *config.augment):
            if step.kind.make_resource is not None:
                self._resources[id(step.settings)] = step.kind.make_resource(step.settings)

    def resource(self, settings: Any) -> Any:
        """The resource built for this worker for the step whose settings are ``settings`` (the
        object ``apply`` receives)."""
        return self._resources[id(settings)]

    def close(self) -> None:
        """Release what the resources hold (GL contexts, pipelines)."""
        for res in (self.render_resource, *self._resources.values()):
            close = getattr(res, "close", None)
            if close is not None:
                close()
        self.render_resource = None
        self._resources.clear()


def set_thread_policies() -> None:
    """One thread per worker process for OpenCV (and torch, when loaded).

    Work is parallel by process (shards); OpenCV's own pool only spins idle threads on our small
    images and takes cores from the other workers, and one torch thread keeps float reductions in
    a fixed order. A forked worker is on one OpenCV thread already
    (``executors.opencv_single_threaded``): setting it again there would wait for pool threads
    that the fork did not copy, so it is set only where it differs.
    """
    import cv2

    if cv2.getNumThreads() != 1:
        cv2.setNumThreads(1)
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def new_context(config: Any) -> Any:
    """A worker context for a job's config: the run config's ``WorkerContext``, or what a config of
    another kind builds for itself (``config.worker_context()``: a mix's workers read files and
    hold no renderer). It has ``config`` and ``close()``."""
    build = getattr(config, "worker_context", None)
    return build() if build is not None else WorkerContext(config)


def fork_safe(config: Any) -> bool:
    """Whether worker processes for a job's config may be forked: its renderer survives a fork (a
    config of another kind says so itself, ``config.fork_safe``)."""
    safe = getattr(config, "fork_safe", None)
    if safe is not None:
        return bool(safe)
    from synthgen.render import RENDERERS

    return RENDERERS.get(config.render.kind).fork_safe


_current: Any = None


def worker_context(config: Any) -> Any:
    """This process's context for ``config``: built on first use, rebuilt only for another config.

    Process-pool initialisers and Ray tasks call it; it is the one per-process object the engine
    keeps, since a worker process outlives a single shard.
    """
    global _current
    if _current is None or (_current.config is not config and _current.config.resolved != config.resolved):
        if _current is not None:
            _current.close()
        _current = new_context(config)
    return _current


def init_worker(config: Any, parent_pid: int | None = None) -> None:
    """Process-pool initialiser: tie the worker's life to its parent's, leave signals to the
    parent, and build the worker's context before its first shard.

    Args:
        config: the jobs' config (a run config, or a mix config).
        parent_pid: the pid of the process that started the pool; when given, the worker exits as
            soon as that process is gone (killed by SIGKILL included).
    """
    if parent_pid is not None:
        exit_with_parent(parent_pid)
    # The parent turns Ctrl-C and SIGTERM into one message and stops its workers itself: a worker
    # that also caught them would print a traceback of its own; SIGTERM sent to a worker kills it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    worker_context(config)


PR_SET_PDEATHSIG = 1  # linux/prctl.h
PARENT_POLL_S = 0.5  # how often a worker without prctl looks for its parent


def exit_with_parent(parent_pid: int) -> None:
    """End this process when ``parent_pid`` (its parent) dies.

    On Linux the kernel sends SIGKILL on the parent's death (``prctl(PR_SET_PDEATHSIG)``); elsewhere
    a daemon thread polls ``os.getppid()``. Either way a parent that died before this call is
    noticed at once. A worker holds nothing that needs cleaning up: its shard's staging folder is
    deleted by the next run.
    """
    if not _set_parent_death_signal(signal.SIGKILL):
        threading.Thread(target=_watch_parent, args=(parent_pid,), name="synthgen-parent-watch", daemon=True).start()
    if os.getppid() != parent_pid:
        os._exit(1)


def _set_parent_death_signal(signum: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_S)
    os._exit(1)
