"""Load a run config: YAML + scene include + ``key=value`` overrides, merged onto the schema.

Every problem becomes one ``ConfigError("key.path: message")`` raised before any work starts.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from synthgen.config.checks import (
    check_run,
    config_file_problem,
    refuse_non_finite,
    refuse_resolvers,
    resolve_interpolations,
    short_repr,
    yaml_error_line,
)
from synthgen.config.schema import (
    IMAGE_FORMATS,
    PNG_FILTERS,
    ImageConfig,
    RayConfig,
    RegressConfig,
    RenderConfig,
    RunConfig,
    RunSchema,
    SceneConfig,
)
from synthgen.config.shipped import config_path, default_scene, scene_path
from synthgen.errors import ConfigError, InputError
from synthgen.steps import Step
from synthgen.types import Category, CategoryTable


def omegaconf_error(exc: OmegaConfBaseException, prefix: str = "") -> ConfigError:
    """One ConfigError line from an omegaconf exception, with the full key path."""
    key = getattr(exc, "full_key", None) or ""
    msg = str(exc).splitlines()[0].strip() if str(exc) else type(exc).__name__
    msg = re.sub(r"^Key '([^']+)' not in '\w+'\.?", r"unknown key '\1'.", msg)
    msg = re.sub(r"\s*full_key:.*$", "", msg)
    full = ".".join(p for p in (prefix, key) if p)
    if msg.startswith("unknown key") and "Did you mean" not in msg:
        msg += _suggestion(str(getattr(exc, "key", "") or key.rsplit(".", 1)[-1]), getattr(exc, "parent_node", None))
    msg = _misfit_message(msg)
    if "is not a ListConfig" in msg:  # a list key given one value, as `fonts.paths=/dir` on the command line
        value = getattr(exc, "value", None)
        value = value._value() if hasattr(value, "_value") else value
        shown = value if isinstance(value, str) else short_repr(value)
        msg = f"expected a list, got {short_repr(value)}; write it in brackets, quoted for the shell: {full}='[{shown}]'"
    return ConfigError(full, msg)


# omegaconf's words for a list or a mapping given where the schema has a single value, or a single
# value where it has a mapping; the value itself is left out (it may be a long piece of a file)
_CONTAINER_AS_VALUE = (
    re.compile(r"^Cannot convert '(?P<got>ListConfig|DictConfig)' to (?P<want>\w+)"),
    re.compile(r"^Value '.*' of type '(?P<got>ListConfig|DictConfig)' could not be converted to (?P<want>\w+)"),
    re.compile(r"^Value '.*' is not a valid (?P<want>bool) \(type (?P<got>ListConfig|DictConfig)\)"),
)
_VALUE_AS_CONTAINER = re.compile(r"^Cannot assign (?P<got>\w+) to (?P<want>Dict|List)\[")
_VALUE_WORDS = {"string": "text", "Integer": "a whole number", "Float": "a number", "bool": "true or false"}


def _misfit_message(msg: str) -> str:
    """``expected a list, got a mapping`` for omegaconf's messages about a value of the wrong shape."""
    for pattern in _CONTAINER_AS_VALUE:
        m = pattern.match(msg)
        if m is not None:
            got = "a list" if m["got"] == "ListConfig" else "a mapping"
            return f"expected {_VALUE_WORDS.get(m['want'], 'a single value')}, got {got}"
    m = _VALUE_AS_CONTAINER.match(msg)
    if m is not None:
        return f"expected {'a mapping' if m['want'] == 'Dict' else 'a list'}, got a single value"
    return msg


def _suggestion(key: str, parent: Any) -> str:
    """`` Did you mean: 'x'?`` for the closest valid keys, or the list of valid keys."""
    import difflib

    valid = [str(k) for k in parent.keys()] if isinstance(parent, DictConfig) else []
    if not valid:
        return ""
    close = difflib.get_close_matches(key, valid, n=3, cutoff=0.5)
    if close:
        return " Did you mean: " + " or ".join(f"'{c}'" for c in close) + "?"
    return f" Valid keys here: {', '.join(valid)}."


def _shape(node: Any) -> str:
    if isinstance(node, (DictConfig, dict)):
        return "a mapping"
    if isinstance(node, (ListConfig, list, tuple)):
        return "a list"
    return f"a single value ({short_repr(node)})"


def _declared_shape(base: Any, key: Any) -> str | None:
    """What the schema declares at ``base[key]`` where it holds no value to compare with (an
    optional mapping left null, a new entry of a named collection): a mapping, a list, or None."""
    from omegaconf import _utils

    if not isinstance(base, DictConfig):
        return None
    node = base._get_node(key) if key in base else None
    if isinstance(node, DictConfig):
        return "a mapping"
    if isinstance(node, ListConfig):
        return "a list"
    annotation = node._metadata.ref_type if node is not None else base._metadata.element_type
    if _utils.is_dict_annotation(annotation) or _utils.is_structured_config(annotation):
        return "a mapping"
    return "a list" if _utils.is_list_annotation(annotation) else None


def _first_misfit(base: DictConfig, layer: DictConfig, prefix: str) -> ConfigError:
    """The key of ``layer`` whose value does not fit ``base`` (omegaconf does not always say)."""
    for key in layer.keys():
        try:
            OmegaConf.merge(base, OmegaConf.masked_copy(layer, [key]))
            continue
        except (TypeError, OmegaConfBaseException) as exc:
            path = f"{prefix}.{key}" if prefix else str(key)
            value, target = layer[key], base.get(key) if isinstance(base, DictConfig) else None
            if isinstance(value, DictConfig) and isinstance(target, DictConfig):
                return _first_misfit(target, value, path)
            if isinstance(exc, OmegaConfBaseException) and getattr(exc, "full_key", ""):
                return omegaconf_error(exc)
            if target is None:
                declared = _declared_shape(base, key)
                if declared is not None:
                    return ConfigError(path, f"expected {declared}, got {_shape(value)}")
                return ConfigError(path, f"{_shape(value)} does not fit here")
            return ConfigError(path, f"expected {_shape(target)}, got {_shape(value)}")
    return ConfigError(prefix, "cannot be merged onto the schema")


def merge_checked(schema: DictConfig, *layers: DictConfig, prefix: str = "") -> DictConfig:
    """Merge layers onto a structured schema; every failure is one ConfigError naming its key."""
    merged = schema
    for layer in layers:
        try:
            merged = OmegaConf.merge(merged, layer)
        except OmegaConfBaseException as exc:
            if getattr(exc, "full_key", ""):
                raise omegaconf_error(exc, prefix) from None
            raise _first_misfit(merged, layer, prefix) from None
        except TypeError:
            raise _first_misfit(merged, layer, prefix) from None
    return merged


def _load_yaml(path: Path, key: str) -> DictConfig:
    if not path.is_file():
        raise InputError(f"{key + ': ' if key else ''}config file not found: {path}")
    try:
        problem = config_file_problem(path)
        if problem is not None:
            raise ConfigError(str(path), problem)
        node = OmegaConf.load(path)
    except ConfigError:
        raise
    except Exception as exc:  # yaml.YAMLError and friends: report file and first line
        raise ConfigError(str(path), f"not valid YAML: {yaml_error_line(exc)}") from None
    if not isinstance(node, DictConfig):
        raise ConfigError(str(path), "a config file must hold a mapping at the top level")
    if not node:
        raise ConfigError(str(path), "the config file is empty")
    return node


def _expand_include(raw: DictConfig, base_dir: Path, kind_override: Any = None) -> None:
    """Replace ``scene:`` by its kind's shipped scene (the kind's defaults), then the included
    file, then the keys written beside ``include``."""
    scene = raw.get("scene")
    if not isinstance(scene, DictConfig):
        return
    layers: list[DictConfig] = []
    include = scene._get_node("include")._value() if scene.get("include") is not None else None  # as written
    if include is not None:
        if not isinstance(include, str) or "${" in include:
            raise ConfigError("scene.include", f"expected a shipped scene name or a path to a scene file, got {include!r}")
        included = _load_yaml(scene_path(include, base_dir), "scene.include")
        refuse_resolvers(included, "scene")
        if "include" in included:
            raise ConfigError(
                "scene.include", f"{Path(include).name} includes another file; nested includes are not supported"
            )
        layers.append(included)
    rest = OmegaConf.masked_copy(scene, [k for k in scene.keys() if k != "include"])
    layers.append(rest)
    kind = kind_override
    for layer in reversed(layers):
        if kind is None and layer._get_node("kind") is not None:
            kind = layer._get_node("kind")._value()
    defaults = default_scene(kind) if isinstance(kind, str) else None
    if defaults is not None:  # one source of truth: a bare `kind:` gets the shipped scene's values
        base = _load_yaml(defaults, "scene.kind")
        layers.insert(0, base)
    if len(layers) == 1 and include is None:
        return
    # a list where the kind's defaults or the included file hold a mapping (or the reverse) is the
    # user's to fix: one line naming the key, not omegaconf's TypeError
    raw.scene = merge_checked(layers[0], *layers[1:], prefix="scene")
    if include is not None:
        raw.scene.include = include


class ConfigWarning(UserWarning):
    """A config that loads but probably does not say what its author meant (the CLI prints one line)."""


def _warn_list_traps(overrides: Sequence[str], dot: DictConfig) -> None:
    """Warn when an unquoted ``key=[...]`` for a list of patterns became a list of literal texts:
    the shell passes ``text.patterns=[0-9]`` and YAML reads the list ``['0-9']``, not the pattern ``[0-9]``."""
    for item in overrides:
        key, raw = (part.strip() for part in item.split("=", 1))
        if not key.endswith("patterns") or not raw.startswith("[") or '"' in raw or "'" in raw:
            continue  # a quoted item says its author knew YAML's brackets
        try:
            value = OmegaConf.select(dot, key)
        except OmegaConfBaseException:
            continue
        items = list(value) if isinstance(value, ListConfig) else None
        if items and all(isinstance(v, str) and not any(c in v for c in "[{") for v in items):
            warnings.warn(
                ConfigWarning(
                    f"{key}={raw} reads as the list {[str(v) for v in items]} of literal texts (YAML brackets); "
                    f"for the pattern {raw} write {key}='[\"{raw}\"]'"
                ),
                stacklevel=3,
            )


def _unparsable_override(overrides: Sequence[str]) -> ConfigError:
    """The error for the first ``key=value`` whose value YAML cannot read (``a=[x``)."""
    for item in overrides:
        key, value = item.split("=", 1)
        try:
            yaml.safe_load(value)
        except (yaml.YAMLError, ValueError, RecursionError) as exc:  # ValueError: int digit limit
            problem = getattr(exc, "problem", None) or ("too deeply nested" if isinstance(exc, RecursionError) else "not valid YAML" if isinstance(exc, yaml.YAMLError) else "a number too long")
            return ConfigError(
                key.strip(),
                f"cannot read the value {short_repr(value)} ({problem}); quote text that holds [ ] {{ }} , or :",
            )
    return ConfigError("overrides", "cannot read them as YAML")


# The command that each kind of config file is for; a mix config is told by its sources:, a run
# config by its scene:, whatever else it holds.
COMMAND_OF = {"mix": "synthgen mix", "run": "synthgen generate"}


def config_kind(raw: DictConfig) -> str | None:
    """``mix`` for a mix config, ``run`` for a run config, None for a file that is neither yet."""
    if "sources" in raw:
        return "mix"
    return "run" if "scene" in raw else None


def config_layers(
    path: Path, overrides: Sequence[str], expect: str = "run", shown: str | None = None
) -> tuple[DictConfig, DictConfig]:
    """A config file and its ``key=value`` overrides as two omegaconf layers, each checked (no
    resolvers, overrides well formed and readable); ConfigError naming the file or key.

    Args:
        path: the YAML file.
        overrides: ``key=value`` items.
        expect: ``run`` or ``mix``: the kind of config the caller loads; the other kind is refused
            with the command it is for, before its keys are checked against the wrong schema.
        shown: the config as the user named it (``mix_words``), for that error; default ``path``.
    """
    raw = _load_yaml(path, "")
    found = config_kind(raw)
    if found is not None and found != expect:
        raise ConfigError(shown or str(path), f"this is a {found} config: use `{COMMAND_OF[found]}`")
    refuse_resolvers(raw)
    for item in overrides:
        if "=" not in item or not item.split("=", 1)[0].strip():
            raise ConfigError(item, "an override must look like key=value")
    try:
        dot = OmegaConf.from_dotlist(list(overrides))
    except OmegaConfBaseException as exc:
        raise omegaconf_error(exc) from None
    except (yaml.YAMLError, ValueError, RecursionError):
        raise _unparsable_override(overrides) from None
    refuse_resolvers(dot)
    return raw, dot


def load_run_config(path: str | Path, overrides: Sequence[str] = ()) -> RunConfig:
    """Load and validate a run config.

    Args:
        path: YAML run config, or the name of a shipped one (``ocr_wild``); ``scene.include`` in
            it is a shipped scene's name (``ocr/wild``) or a file relative to the config's folder.
        overrides: ``key=value`` dotlist items applied last (``scene.params.font_size=32``).

    Returns:
        The frozen RunConfig.
    """
    shown = str(path)
    path = config_path(path) if isinstance(path, str) else Path(path)
    raw, dot = config_layers(path, overrides, "run", shown)
    _warn_list_traps(overrides, dot)
    kind_override = None
    if isinstance(dot.get("scene"), DictConfig):
        if raw.get("scene") is not None and not isinstance(raw.scene, DictConfig):
            raise ConfigError("scene", f"expected a mapping, got {_shape(raw.scene)}")
        if dot.scene.get("include") is not None:
            raw = merge_checked(raw, OmegaConf.create({"scene": {"include": dot.scene.include}}))
        if dot.scene._get_node("kind") is not None:
            kind_override = dot.scene._get_node("kind")._value()
    _expand_include(raw, path.parent, kind_override)
    merged = merge_checked(OmegaConf.structured(RunSchema), raw, dot)
    resolve_interpolations(merged)
    refuse_non_finite(merged)
    check_run(merged)
    return _build(merged, str(path))


def _build(cfg: DictConfig, source: str) -> RunConfig:
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
        typed = merge_checked(OmegaConf.structured(writer.options), given, prefix=key)
        for field_name, allowed in getattr(writer.options, "CHOICES", {}).items():
            if typed[field_name] not in allowed:
                raise ConfigError(f"{key}.{field_name}", f"{typed[field_name]!r} is not one of {', '.join(allowed)}")
        for field_name, (low, high) in getattr(writer.options, "RANGES", {}).items():
            if not low <= typed[field_name] <= high:  # NaN too
                raise ConfigError(f"{key}.{field_name}", f"{typed[field_name]!r} is not within {low}..{high}")
        if unused:
            unused_note = f"{key}: options for a writer that is not in outputs ({', '.join(cfg.outputs)}), ignored"
            warnings.warn(ConfigWarning(unused_note), stacklevel=2)
            continue
        options[str(name)] = OmegaConf.to_object(typed)
        params[str(name)] = OmegaConf.to_container(typed, resolve=True)
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


def _check_prompt_fields(steps: tuple[Any, ...], scene: Any, settings: Any, seed: int) -> None:
    """A prompt template's ``{fields}`` must be parameters the scene records: the scene is sampled
    once (sample 0) to see them, only where a template names one."""
    import dataclasses

    if not steps:
        return
    from synthgen.generate.prompts import Prompt, check_fields

    asked = [
        (step, f.name, getattr(step.settings, f.name))
        for step in steps
        if dataclasses.is_dataclass(step.settings)
        for f in dataclasses.fields(step.settings)
        if isinstance(getattr(step.settings, f.name), Prompt) and getattr(step.settings, f.name).fields
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
    """A kind's frozen settings from its ``params`` mapping, and the params as resolved data."""
    params = params if params is not None else OmegaConf.create({})
    if not isinstance(params, DictConfig):
        raise ConfigError(key, f"expected a mapping, got {params!r}")
    typed = merge_checked(OmegaConf.structured(kind.params_schema), params, prefix=key)
    try:
        schema_obj = OmegaConf.to_object(typed)
    except OmegaConfBaseException as exc:
        raise omegaconf_error(exc, key) from None
    return kind.from_config(schema_obj, key), OmegaConf.to_container(typed, resolve=True)  # type: ignore[return-value]


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


def _build_steps(cfg: DictConfig, section: str, registry: Any, scene: Any) -> tuple[tuple[Step, ...], dict[str, Any]]:
    """The steps of ``generate:`` or ``augment:`` in config order, and each step's params as resolved data."""
    import importlib.util

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


def resolved_yaml(config: RunConfig, overrides: Sequence[str] = ()) -> str:
    """The resolved config as YAML, as ``synthgen validate`` prints it: long values on one line,
    the keys set by ``overrides`` (``key=value`` items) marked ``# overridden``."""
    text = yaml.safe_dump(config.resolved, sort_keys=False, allow_unicode=True, width=1 << 30, default_flow_style=False)
    marked = {item.split("=", 1)[0].strip() for item in overrides if "=" in item}
    if not marked:
        return text
    lines, stack = [], []  # stack: (indent, key) of the mappings above the current line
    for line in text.splitlines():
        m = re.match(r"^( *)([^\s:#'\"-][^:]*?|'[^']*'):(?: |$)", line)
        if m is not None:
            indent = len(m.group(1))
            while stack and stack[-1][0] >= indent:
                stack.pop()
            stack.append((indent, m.group(2).strip("'")))
            if ".".join(k for _, k in stack) in marked:
                line += "  # overridden"
        lines.append(line)
    return "\n".join(lines) + "\n"
