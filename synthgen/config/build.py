"""Build the frozen RunConfig from the merged config: each stage's kind from its registry, each kind's
params checked into its settings, the category table, and the checks across stages (writers against
the labels a run makes, prompts against the scene's parameters, steps against the scene's labels)."""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

from omegaconf import DictConfig, OmegaConf

from synthgen.config.params import from_config, merge_params
from synthgen.config.schema import (
    IMAGE_FORMATS,
    PNG_FILTERS,
    ImageConfig,
    RayConfig,
    RegressConfig,
    RenderConfig,
    RunConfig,
    SceneConfig,
)
from synthgen.config.yaml_files import ConfigWarning
from synthgen.errors import ConfigError
from synthgen.types import Category, CategoryTable


def build_run_config(cfg: DictConfig, source: str) -> RunConfig:
    from synthgen import registries as reg

    if cfg.num_samples <= 0:
        raise ConfigError("num_samples", f"must be > 0, got {cfg.num_samples}")
    if cfg.shard_size <= 0:
        raise ConfigError("shard_size", f"must be > 0, got {cfg.shard_size}")
    if cfg.image.format not in IMAGE_FORMATS:
        raise ConfigError("image.format", f"{cfg.image.format!r} is not one of {', '.join(IMAGE_FORMATS)}")
    if not 1 <= cfg.image.jpeg_quality <= 100:
        raise ConfigError("image.jpeg_quality", f"must be in 1..100, got {cfg.image.jpeg_quality}")
    if not 0 <= cfg.image.png_compress_level <= 9:
        raise ConfigError("image.png_compress_level", f"must be in 0..9, got {cfg.image.png_compress_level}")
    if cfg.image.png_filter not in PNG_FILTERS:
        raise ConfigError("image.png_filter", f"{cfg.image.png_filter!r} is not one of {', '.join(PNG_FILTERS)}")
    if OmegaConf.is_missing(cfg.scene, "kind"):
        raise ConfigError("scene.kind", f"missing; valid kinds: {', '.join(reg.SCENES.names())}")
    for i, name in enumerate(cfg.outputs):
        reg.WRITERS.get(name, key=f"outputs[{i}]")
    if len(set(cfg.outputs)) != len(cfg.outputs):
        raise ConfigError("outputs", f"lists a writer twice: {list(cfg.outputs)}")
    writer_options, writer_params = _writer_options(cfg)
    if cfg.regress.labels not in ("exact", "tolerant"):
        raise ConfigError("regress.labels", f"{cfg.regress.labels!r} is not one of exact, tolerant")
    if not 0 < cfg.regress.num:
        raise ConfigError("regress.num", f"must be > 0, got {cfg.regress.num}")

    kind = reg.SCENES.get(cfg.scene.kind, key="scene.kind")
    settings, scene_params = _typed_settings(kind, cfg.scene.params, "scene.params")
    render, render_params = _build_render(cfg, kind)
    generate, generate_params = _build_steps(cfg, "generate", reg.GENERATORS, kind)
    _check_prompt_fields(generate, kind, settings, cfg.seed)
    augment, augment_params = _build_steps(cfg, "augment", reg.AUGMENTATIONS, kind)
    annotators = tuple(
        _missing_kind(name) if OmegaConf.is_missing(a, "kind") else reg.ANNOTATORS.get(a.kind, key=f"annotate.{name}.kind")
        for name, a in cfg.annotate.items()
    )
    _check_writers_have_labels(cfg.outputs, kind, annotators)
    _check_steps_keep_written_layers(generate, cfg.outputs, kind)
    if kind.check_outputs is not None:  # what the scene's own settings rule out (driving: kitti with lens distortion)
        kind.check_outputs(settings, tuple(cfg.outputs))
    categories = _category_table(cfg, kind.categories(settings), annotators)
    _check_writers(cfg.outputs, writer_options, categories)

    resolved: dict[str, Any] = OmegaConf.to_container(cfg, resolve=True)  # type: ignore[assignment]
    resolved["scene"]["params"] = scene_params
    resolved["render"] = {"kind": render.kind, "params": render_params}
    for section, params in (("generate", generate_params), ("augment", augment_params)):
        for name, step_params in params.items():
            resolved[section][name]["params"] = step_params
    for key in ("generate", "augment", "annotate"):
        if not resolved.get(key):
            # A run without the stage resolves (and hashes, see engine.run.config_identity) as before it existed.
            resolved.pop(key, None)
    if resolved.get("categories") is None:
        resolved.pop("categories", None)
    resolved["writers"] = writer_params
    if not writer_params:  # as before writer options existed (config identity unchanged)
        resolved.pop("writers")
    return RunConfig(
        name=cfg.name,
        seed=int(cfg.seed),
        num_samples=int(cfg.num_samples),
        shard_size=int(cfg.shard_size),
        image=ImageConfig(
            cfg.image.format, int(cfg.image.jpeg_quality), int(cfg.image.png_compress_level), cfg.image.png_filter
        ),
        scene=SceneConfig(cfg.scene.kind, settings),
        outputs=tuple(cfg.outputs),
        regress=RegressConfig(**OmegaConf.to_container(cfg.regress)),  # type: ignore[arg-type]
        resolved=resolved,
        source=source,
        render=render,
        categories=categories,
        generate=generate,
        augment=augment,
        annotate=annotators,
        ray=RayConfig(**OmegaConf.to_container(cfg.ray)),  # type: ignore[arg-type]
        writer_options=writer_options,
    )


def _writer_options(cfg: DictConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """``writers:``: each writer's frozen options, and the options as resolved data.

    Options of a writer that is not in ``outputs`` are checked like the others, then left out with
    a warning: a shipped config that tunes a writer (``ocr_recognition``'s COCO masks) still runs
    with ``outputs=[recognition]``, and a typo in a writer's name is still an error.
    """
    from synthgen.formats import WRITERS

    options: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for name, given in cfg.writers.items():
        key = f"writers.{name}"
        writer = WRITERS.get(str(name), key=key)
        unused = name not in cfg.outputs
        if writer.options is None:
            raise ConfigError(key, f"the {name} writer takes no options")
        if not isinstance(given, DictConfig):
            raise ConfigError(key, f"expected a mapping of options, got {given!r}")
        settings, resolved = kind_settings(writer.options, given, key)
        if unused:
            unused_note = f"{key}: options for a writer that is not in outputs ({', '.join(cfg.outputs)}), ignored"
            warnings.warn(ConfigWarning(unused_note), stacklevel=2)
            continue
        options[str(name)] = settings
        params[str(name)] = resolved
    return options, params


def _check_writers(outputs: Any, options: dict[str, Any], categories: Any) -> None:
    """Each writer's own check of its options against the run's categories (``WriterKind.check``)."""
    from synthgen.formats import WRITERS

    for name in outputs:
        writer = WRITERS.get(name)
        if writer.check is None:
            continue
        given = options.get(name, writer.options() if writer.options is not None else None)
        try:
            writer.check(given, categories)
        except ValueError as exc:
            raise ConfigError(f"writers.{name}", str(exc)) from None


def _check_writers_have_labels(outputs: Any, scene: Any, annotators: tuple[Any, ...]) -> None:
    """Refuse a writer whose ``needs`` the scene's and the annotators' label kinds do not cover
    (KITTI of a text scene would write empty label files and exit 0)."""
    from synthgen.annotate import ANNOTATORS
    from synthgen.formats import WRITERS
    from synthgen.steps import label_words

    def adds(annotator: Any) -> frozenset[str]:
        return annotator.labels if annotator.needs <= scene.labels else frozenset()

    produced = scene.labels.union(*(adds(a) for a in annotators))
    for name in outputs:
        lacking = WRITERS.get(name).needs - produced
        if not lacking:
            continue
        message = f"{name} needs {label_words(lacking)}, which scene {scene.name!r} does not produce"
        makers = [n for n in ANNOTATORS.names() if lacking <= adds(ANNOTATORS.get(n)) | scene.labels]
        if makers:
            message += f"; the {makers[0]} annotator makes them: annotate.{makers[0]}.kind={makers[0]}"
        raise ConfigError("outputs", message)


def _check_steps_keep_written_layers(steps: tuple[Any, ...], outputs: Any, scene: Any) -> None:
    """Refuse a generate step that would make stale a layer a writer writes (``StepKind.invalidates``
    against ``WriterKind.writes``): a background repainted as anything while ``dense`` still writes
    the rendered semantic layer."""
    from synthgen.formats import WRITERS
    from synthgen.steps import label_words

    for step in steps:
        if step.kind.invalidates is None:
            continue
        stale = step.kind.invalidates(step.settings) & scene.labels
        for name in outputs:
            written = stale & WRITERS.get(name).writes
            if not written:
                continue
            remedy = ""
            if hasattr(step.settings, "repaint"):
                remedy = "repaint each class as itself (repaint: {class: prompt}) or "
            raise ConfigError(
                f"generate.{step.name}",
                f"{step.kind.name} repaints pixels of scene {scene.name!r} but not {label_words(written)}, which "
                f"the {name} writer writes: they would no longer match the picture; {remedy}drop {name} from outputs",
            )


def _check_prompt_fields(steps: tuple[Any, ...], scene: Any, settings: Any, seed: int) -> None:
    """A prompt template's ``{fields}`` must be parameters the scene records: the scene is sampled
    once (sample 0) to see them, only where a template names one."""
    import dataclasses

    if not steps:
        return
    from synthgen.diffusion.prompts import Prompt, check_fields

    def prompts(settings: Any) -> list[tuple[str, Any]]:
        if hasattr(settings, "prompts"):  # a kind with prompts below its fields (repaint: {class: prompt})
            return settings.prompts()
        if not dataclasses.is_dataclass(settings):
            return []
        return [(f.name, getattr(settings, f.name)) for f in dataclasses.fields(settings)]

    asked = [
        (step, name, prompt)
        for step in steps
        for name, prompt in prompts(step.settings)
        if isinstance(prompt, Prompt) and prompt.fields
    ]
    if not asked:
        return
    from synthgen.engine.seeds import stage_rng

    recorded = scene.sample(settings, stage_rng(seed, 0, "scene")).params
    for step, name, prompt in asked:
        check_fields(prompt, recorded, scene.name, f"generate.{step.name}.params.{name}")


def _missing_kind(name: str):
    from synthgen.annotate import ANNOTATORS

    raise ConfigError(f"annotate.{name}.kind", f"missing; valid kinds: {', '.join(ANNOTATORS.names())}")


def _typed_settings(kind: Any, params: Any, key: str) -> tuple[Any, dict[str, Any]]:
    """A kind's frozen settings from its ``params`` mapping, and the params as resolved data.

    A kind declares its params once (``kind.params``, a ``synthgen.config.params.Params`` class); a
    scene kind not yet converted (driving) holds a schema and a ``from_config`` of its own instead.
    """
    declared = getattr(kind, "params", None)
    if declared is not None:
        return kind_settings(declared, params, key)
    schema_obj, resolved = merge_params(kind.params_schema, params, key)
    return kind.from_config(schema_obj, key), resolved


def kind_settings(params_class: Any, given: Any, key: str) -> tuple[Any, dict[str, Any]]:
    """A kind's settings (``params_class``, a ``synthgen.config.params.Params``) from the config's
    mapping ``given`` (None: every default), and the params as resolved data (recorded in the
    manifest); ConfigError at ``key.field`` for any problem."""
    schema_obj, resolved = merge_params(params_class.schema(), given, key)
    return from_config(params_class, schema_obj, key), resolved


def _build_render(cfg: DictConfig, scene: Any) -> tuple[RenderConfig, dict[str, Any]]:
    """The renderer: ``render.kind`` (``auto``: the scene's first) must be one the scene supports."""
    from synthgen.render import RENDERERS

    name = scene.renderers[0] if cfg.render.kind == "auto" else cfg.render.kind
    kind = RENDERERS.get(name, key="render.kind")
    if name not in scene.renderers:
        raise ConfigError(
            "render.kind", f"scene {scene.name!r} is drawn by {', '.join(scene.renderers)}, not {name!r}"
        )
    settings, params = _typed_settings(kind, cfg.render.params, "render.params")
    return RenderConfig(name, settings), params


def _build_steps(cfg: DictConfig, section: str, registry: Any, scene: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The steps of ``generate:`` or ``augment:`` in config order, and each step's params as resolved data."""
    import importlib.util

    from synthgen.steps import Step

    steps = []
    resolved: dict[str, Any] = {}
    for name, step in cfg[section].items():
        key = f"{section}.{name}"
        if OmegaConf.is_missing(step, "kind"):
            raise ConfigError(f"{key}.kind", f"missing; valid kinds: {', '.join(registry.names()) or '(none yet)'}")
        kind = registry.get(step.kind, key=f"{key}.kind")
        missing = [m for m in kind.needs if importlib.util.find_spec(m) is None]
        if missing:  # found at load time, not in the middle of a run
            raise ConfigError(
                f"{key}.kind", f"{kind.name} needs {' and '.join(missing)}: pip install 'synthgen-cv[{section}]'"
            )
        if kind.moves is not None and scene.labels - kind.moves:
            cannot = ", ".join(sorted(scene.labels - kind.moves))
            raise ConfigError(
                f"{key}.kind",
                f"{kind.name} moves pixels but cannot move the {cannot} labels of scene {scene.name!r}; "
                "drop the step or use a photometric kind",
            )
        if not 0 <= step.p <= 1:
            raise ConfigError(f"{key}.p", f"must be a probability in 0..1, got {step.p}")
        settings, params = _typed_settings(kind, step.params, f"{key}.params")
        needed = kind.requires(settings) - scene.labels if kind.requires is not None else frozenset()
        if needed:
            raise ConfigError(
                f"{key}.params", f"{kind.name} needs {', '.join(sorted(needed))}, which scene {scene.name!r} does not render"
            )
        steps.append(Step(str(name), kind, float(step.p), settings))
        resolved[str(name)] = params
    return tuple(steps), resolved


def _category_table(cfg: DictConfig, declared: tuple[Any, ...], annotators: tuple[Any, ...]) -> CategoryTable:
    """The run's category table: the scene's categories, then those the annotators add; with a
    ``categories:`` mapping in the config, the ids it gives (it must name every one of them)."""
    entries: list[Category] = []
    for c in declared:
        entry = c if isinstance(c, Category) else Category(len(entries) + 1, str(c))
        entries.append(entry)
    for annotator in annotators:
        for name in annotator.categories:
            if name not in [e.name for e in entries]:
                entries.append(Category(max((e.id for e in entries), default=0) + 1, name))
    if cfg.categories is None:
        return CategoryTable(tuple(entries))
    ids = dict(cfg.categories)
    missing = [e.name for e in entries if e.name not in ids]
    if missing:
        raise ConfigError("categories", f"gives no id for {', '.join(missing)}")
    unknown = [n for n in ids if n not in [e.name for e in entries]]
    if unknown:
        raise ConfigError(f"categories.{unknown[0]}", f"is not a category of this run ({', '.join(e.name for e in entries)})")
    for name, value in ids.items():
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"categories.{name}", f"must be an id > 0, got {value!r}")
    if len(set(ids.values())) != len(ids):
        raise ConfigError("categories", f"two categories share an id: {ids}")
    pinned = [replace(e, id=int(ids[e.name])) for e in entries]
    return CategoryTable(tuple(sorted(pinned, key=lambda e: e.id)))
