"""What a renderer provides."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from synthgen.types import Layers, SceneSpec


@dataclass
class NoParams:
    """The params schema of a renderer that takes none."""


@dataclass(frozen=True)
class RendererKind:
    """A renderer, named by a scene (``SceneKind.renderers``) or by the run config's ``render.kind``.

    Attributes:
        name: the kind's name.
        render: (spec, settings, resource) -> Layers; ``resource`` is what ``make_resource`` built
            for this worker (None when the kind has none).
        params_schema: omegaconf dataclass that ``render.params`` is merged onto.
        from_config: (schema object, key path) -> frozen settings; raises ConfigError.
        make_resource: optional (settings) -> heavy or stateful object (a GL context and
            renderer) built once per worker process by the worker context and reused for every
            sample; it may have a ``close()``.
        fork_safe: False where a process that has used the renderer cannot be forked (an OpenGL
            driver's threads do not survive a fork): the process executor then spawns its workers.
        check_environment: optional () -> None, run once in the main process before a run touches
            its output folder; raises InputError in one line saying what to install when the
            renderer cannot start on this machine (a missing library, no usable OpenGL platform).
    """

    name: str
    render: Callable[[SceneSpec, Any, Any], Layers]
    params_schema: type = NoParams
    from_config: Callable[[Any, str], Any] = lambda params, key: None
    make_resource: Callable[[Any], Any] | None = None
    fork_safe: bool = True
    check_environment: Callable[[], None] | None = None
