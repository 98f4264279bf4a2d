"""The step protocol that the generate and augment stages share.

A step kind turns one sample's Layers into new Layers: ``apply(settings, layers, spec, rng, ctx)
-> Applied(layers, params, dropped)``. A run config lists named steps per stage, each applied with
probability ``p`` and drawing from its own generator, keyed by the step's name, so adding,
removing or changing one step does not change what the others sample.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from synthgen.config.params import Params
from synthgen.types import Layers, SceneSpec

if TYPE_CHECKING:
    from synthgen.config.distributions import Distribution

# Label kinds a scene (SceneKind.labels) or an annotator (AnnotatorKind.labels) produces, each
# with the words a load-time error uses for it; a geometric step lists those it moves with the
# pixels (StepKind.moves), a writer those it cannot write without (WriterKind.needs).
LABEL_KINDS = {
    "masks": "masks",
    "boxes": "boxes",
    "quads": "text quads",
    "polygons": "text polygons",
    "text": "transcriptions",
    "lines": "text lines",
    "keypoints": "keypoints",
    "amodal": "amodal boxes",
    "box3d": "3D boxes",
    "camera": "a camera",
    "depth": "a depth layer",
    "semantic": "a semantic layer",
}


def label_words(kinds: frozenset[str] | set[str]) -> str:
    """Label kinds as an error names them: ``3D boxes and a camera``, in LABEL_KINDS order."""
    words = [LABEL_KINDS[k] for k in LABEL_KINDS if k in kinds]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@dataclass(frozen=True)
class Applied:
    """What one application of a step kind produced.

    Attributes:
        layers: the new layers (new arrays; the input layers are left untouched).
        params: the values sampled for this application, JSON-able, recorded in the sample's meta.
        dropped: instances removed by this application, by reason (``{"augment_out_of_image": 1}``).
    """

    layers: Layers
    params: dict[str, Any]
    dropped: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StepKind:
    """A generate or augment step kind.

    Attributes:
        params: the kind's ``synthgen.config.params.Params`` class: ``<stage>.<step>.params`` are
            checked into an instance of it (the step's settings), by ``params.from_config``.
        apply: (settings, layers, spec, rng, ctx) -> Applied; ``ctx`` is the worker context.
        needs: optional modules the kind imports when it runs (``("torch", "kornia")``); a config
            that uses it without them fails at load time.
        moves: for a step that moves pixels (geometric), the label kinds (``LABEL_KINDS``) it moves
            with them; a scene whose labels include another kind is refused at load. None for a
            step that keeps every pixel where it is.
        make_resource: optional (settings) -> heavy object (a diffusion pipeline) built once per
            worker by the worker context, keyed by the step's name; ``apply`` finds it as
            ``ctx.resource(settings)`` (``ctx`` is the step's view of the context).
        requires: optional (settings) -> the label kinds (``LABEL_KINDS``, e.g. ``depth``) the scene
            must produce for the step to run; checked at load.
        invalidates: optional (settings) -> the label kinds whose layers the step makes stale (a
            repaint of every background pixel: ``semantic``, ``depth``); a run whose writers write
            one of them for a scene that renders it is refused at load.
        name: the ``<stage>.<step>.kind`` that selects it, set by the stage's registry.
    """

    params: type[Params]
    apply: Callable[[Any, Layers, SceneSpec, np.random.Generator, Any], Applied]
    needs: tuple[str, ...] = ()
    moves: frozenset[str] | None = None
    make_resource: Callable[[Any], Any] | None = None
    requires: Callable[[Any], frozenset[str]] | None = None
    invalidates: Callable[[Any], frozenset[str]] | None = None
    name: str = ""

    @property
    def params_schema(self) -> type:
        """The omegaconf schema of the params (derived from ``params``)."""
        return self.params.schema()

    def from_config(self, given: Any, key: str) -> Any:
        """The step's settings from its config values (``Params.from_config``)."""
        return self.params.from_config(given, key)


@dataclass(frozen=True)
class Step:
    """One named, configured step of a run config's ``generate:`` or ``augment:`` section.

    Attributes:
        name: the step's key in the config (``blur`` in ``augment.blur``).
        kind: the step kind it runs.
        p: probability of applying it to a sample, 0..1.
        settings: the kind's frozen settings dataclass.
    """

    name: str
    kind: StepKind
    p: float
    settings: Any


@dataclass(frozen=True)
class StepsResult:
    """What a stage's steps produced for one sample.

    Attributes:
        layers: the final Layers; geometry holds only instances with pixels left.
        applied: step name -> the values sampled for it, for the steps that ran (JSON-able).
        dropped: instances removed, by reason.
    """

    layers: Layers
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)


def run_steps(
    steps: Sequence[Step],
    layers: Layers,
    spec: SceneSpec,
    rng: np.random.Generator,
    ctx: Any = None,
    *,
    stage: str,
) -> StepsResult:
    """Apply each step with its probability, in order, drawing everything from ``rng``.

    Args:
        steps: the configured steps of one stage.
        layers: the sample's layers. Not modified.
        spec: the scene the layers were rendered from.
        rng: the sample's generator for this stage; the same generator gives the same bytes.
        ctx: the worker context (heavy resources such as a diffusion pipeline), or None; each step
            receives its own view of it (``WorkerContext.step``), which finds its resource by name.
        stage: ``generate`` or ``augment``: with the step's name, the key of its resource.

    Returns:
        StepsResult with the new layers, the sampled values and the dropped counts.
    """
    applied: dict[str, dict[str, Any]] = {}
    dropped: dict[str, int] = {}
    root = int(rng.integers(0, 2**63))
    for step in steps:
        step_rng = step_generator(root, step.name)
        if step_rng.random() >= step.p:
            continue
        step_ctx = ctx.step(stage, step.name) if ctx is not None else None
        result = step.kind.apply(step.settings, layers, spec, step_rng, step_ctx)
        layers = result.layers
        applied[step.name] = result.params
        for reason, n in result.dropped.items():
            dropped[reason] = dropped.get(reason, 0) + n
    return StepsResult(layers=layers, applied=applied, dropped=dropped)


def step_generator(root: int, name: str) -> np.random.Generator:
    """The generator of the step called ``name``, from the stage's root draw."""
    return np.random.default_rng(np.random.SeedSequence(root, spawn_key=(zlib.crc32(name.encode()),)))


def draw(dist: Distribution, rng: np.random.Generator) -> float:
    """Sample a float (the ``number`` rule has checked the range, and clips a normal to it)."""
    return float(dist.sample(rng))


def with_rgb(layers: Layers, rgb: np.ndarray, sampled: dict[str, Any]) -> Applied:
    """Applied of a step that changes the colours alone: ``rgb`` ((H, W, 3) uint8) replaced, every
    other layer and the geometry shared."""
    return Applied(replace(layers, rgb=rgb), sampled)


def to_uint8(image: np.ndarray, scratch: bool = False) -> np.ndarray:
    """(H, W, 3) float grey levels 0..255 -> uint8, rounded to nearest (ties to even) and clipped.

    Args:
        scratch: ``image`` is a temporary the caller no longer needs: rounded and clipped in place.
    """
    if scratch:
        np.rint(image, out=image)
        np.clip(image, 0, 255, out=image)
        return image.astype(np.uint8)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)
