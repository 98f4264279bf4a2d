"""What a renderer provides."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from synthgen.config.params import Params
from synthgen.types import Layers, SceneSpec


class NoParams(Params):
    """The params of a renderer that takes none."""


@dataclass(frozen=True)
class RendererKind:
    """A renderer, named by a scene (``SceneKind.renderers``) or by the run config's ``render.kind``.

    Attributes:
        render: (spec, settings, resource) -> Layers; ``resource`` is what ``make_resource`` built
            for this worker (None when the kind has none).
        params: the kind's ``synthgen.config.params.Params`` class (``render.params``); its
            instance is the settings ``render`` gets.
        make_resource: optional (settings) -> heavy or stateful object (a GL context and
            renderer) built once per worker process by the worker context and reused for every
            sample; it may have a ``close()``.
        fork_safe: False where a process that has used the renderer cannot be forked (an OpenGL
            driver's threads do not survive a fork): the process executor then spawns its workers.
        check_environment: optional () -> None, run once in the main process before a run touches
            its output folder; raises InputError in one line saying what to install when the
            renderer cannot start on this machine (a missing library, no usable OpenGL platform).
        name: the ``render.kind`` that selects it, set by the ``RENDERERS`` registry.
    """

    render: Callable[[SceneSpec, Any, Any], Layers]
    params: type[Params] = NoParams
    make_resource: Callable[[Any], Any] | None = None
    fork_safe: bool = True
    check_environment: Callable[[], None] | None = None
    name: str = ""
