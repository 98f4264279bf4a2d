"""The worker context: what is heavy or stateful in one worker process, built once.

An executor builds one context per worker process (a process pool's initialiser, the first task
of a Ray worker, or the calling process for the serial executor) and passes it to every sample
that process makes. What a context holds is the source's business (``Source.make_context``): a
run config's (``WorkerContext``) holds the renderer's resource (a GL context and renderer) and the
resources of its generate and augment steps (a diffusers pipeline), keyed by the step's name, and
sets the thread policies; a mix's holds nothing. Font and glyph caches are per process by
construction (``synthgen.text.glyphs``), so they live exactly as long.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from synthgen.config.schema import RunConfig

_builds = itertools.count(1)


@dataclass(frozen=True)
class StepResource:
    """What the worker context built for one configured step.

    Attributes:
        settings: the step's settings it was built from (a step of another config's settings is
            refused rather than handed this resource).
        resource: what the step kind's ``make_resource`` returned.
    """

    settings: Any
    resource: Any


class WorkerContext:
    """Resources of one worker process for one run config.

    Args:
        config: the run config; the context builds what its render kind and steps declare.

    Attributes:
        pid: the process it was built in.
        build: how many contexts this process has built before and including this one (a test
            checks that a worker builds one, not one per shard or sample).
        steps: ``<stage>.<step name>`` (``generate.refine``) -> the step's resource, for the steps
            whose kind declares ``make_resource``: a stable key, the same in every copy of the
            config (a worker's unpickled one included), whatever object holds the settings.
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
        self.steps: dict[str, StepResource] = {}
        for stage, steps in (("generate", config.generate), ("augment", config.augment)):
            for step in steps:
                if step.kind.make_resource is not None:
                    self.steps[step_key(stage, step.name)] = StepResource(
                        step.settings, step.kind.make_resource(step.settings)
                    )

    def accepts(self, config: RunConfig) -> bool:
        """Whether samples of ``config`` may use this context: the config it was built for, or a
        copy of it (a worker's unpickled one)."""
        return config is self.config or config.resolved == self.config.resolved

    def step(self, stage: str, name: str) -> StepContext:
        """The view of this context that the step ``name`` of ``stage`` receives as ``ctx``."""
        return StepContext(self, step_key(stage, name))

    def close(self) -> None:
        """Release what the resources hold (GL contexts, pipelines)."""
        for res in (self.render_resource, *(s.resource for s in self.steps.values())):
            close = getattr(res, "close", None)
            if close is not None:
                close()
        self.render_resource = None
        self.steps.clear()


def step_key(stage: str, name: str) -> str:
    """The key of a configured step's resource: ``generate.refine``."""
    return f"{stage}.{name}"


@dataclass(frozen=True)
class StepContext:
    """The worker context as one step's ``apply`` sees it (``ctx``): its own resource, by its name.

    Attributes:
        worker: the worker context.
        key: the step's ``<stage>.<name>``.
    """

    worker: WorkerContext
    key: str

    def resource(self, settings: Any) -> Any:
        """The resource built for this step in this worker.

        Args:
            settings: the settings ``apply`` received; they must equal those the resource was built
                from (else ValueError: a context of another config is never used silently).
        """
        built = self.worker.steps.get(self.key)
        if built is None:
            raise KeyError(f"{self.key}: the worker context built no resource for this step")
        if settings is not built.settings and settings != built.settings:
            raise ValueError(f"{self.key}: the worker context was built for other settings of this step")
        return built.resource


class NoResources:
    """The context of a source whose samples need nothing per process (a mix's: they read files)."""

    def close(self) -> None:
        return None


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


def new_context(source: Any) -> Any:
    """A new worker context for a source's samples (``source.make_context()``); it has ``close()``."""
    return source.make_context()


def fork_safe(source: Any) -> bool:
    """Whether worker processes for a source's samples may be forked (its renderer survives a fork)."""
    return bool(source.fork_safe)


_current: tuple[str, Any] | None = None  # (the source's context_key, its context)


def worker_context(source: Any) -> Any:
    """This process's context for ``source``: built on first use, kept for later sources of the
    same ``context_key`` (every shard of a run), rebuilt only for another key.

    Process-pool initialisers, Ray tasks and DataLoader workers call it; it is the one per-process
    object the engine keeps, since a worker process outlives a single shard.
    """
    global _current
    key = source.context_key
    if _current is None or _current[0] != key:
        if _current is not None:
            _current[1].close()
            _current = None
        _current = (key, new_context(source))
    return _current[1]


@contextmanager
def scoped_context(source: Any) -> Iterator[Any]:
    """A context for ``source`` for the duration: this process's kept one if it is for the same
    key (not closed), else a new one, closed at the end (a renderer is not left open after a run)."""
    if _current is not None and _current[0] == source.context_key:
        yield _current[1]
        return
    ctx = new_context(source)
    try:
        yield ctx
    finally:
        ctx.close()


def init_worker(source: Any, parent_pid: int | None = None) -> None:
    """Process-pool initialiser: tie the worker's life to its parent's, leave signals to the
    parent, and build the worker's context before its first shard.

    Args:
        source: the jobs' sample source (``synthgen.engine.source.Source``).
        parent_pid: the pid of the process that started the pool; when given, the worker exits as
            soon as that process is gone (killed by SIGKILL included).
    """
    if parent_pid is not None:
        exit_with_parent(parent_pid)
    # The parent turns Ctrl-C and SIGTERM into one message and stops its workers itself: a worker
    # that also caught them would print a traceback of its own; SIGTERM sent to a worker kills it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    worker_context(source)


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
