"""Declare a kind's parameters once: one frozen dataclass whose fields say type, default, rule and doc.

A kind (an augmentation, a generate step, a renderer, a writer's options) subclasses ``Params``::

    class GaussianBlurSettings(Params):
        sigma: Distribution = param("uniform(0.5, 1.5)", number(0.1, 20), "standard deviation in pixels")

From that one declaration come:

- the omegaconf structured schema (``GaussianBlurSettings.schema()``) that the YAML is merged onto:
  typed fields, unknown keys refused with their path and a suggestion;
- the validated, frozen settings object (the class itself), built by the one generic
  ``from_config``, whose errors name the key path (``augment.blur.params.sigma: values must be
  <= 20, got 30``);
- the defaults, written as a user writes them in YAML (``"uniform(0.5, 1.5)"``) and converted by
  the field's rule, so ``GaussianBlurSettings()`` built in Python holds what a config without the
  key gives (and ``GaussianBlurSettings(Constant(2.0))`` a value of its own, unchecked).

A field's rule (``number``, ``integer``, ``choice``, ``within``, ``one_of``, ``section`` or any
``custom(fn)``) turns the config value into the settings value and raises ConfigError at the key.
A sub-section of the config is a ``nested`` Params class (its defaults may differ per kind:
``nested(BackgroundSettings, kind="choice([solid, paper])")``; ``optional=True``: null unless
given); ``named_sections`` declares a mapping of named ones. Lists and mappings of plain values
are fields typed ``tuple[str, ...]`` or ``dict[str, float]``, and ``Optional[...]`` ones may be
null. Checks across fields go in the class's ``check(self, key)`` hook, which may also return a
copy with the values it derives (fields declared with ``derived``: font files found, a corpus read).
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Callable, Mapping
from typing import Any, Optional, Union, dataclass_transform

from synthgen.config.distributions import parse_checked, parse_value
from synthgen.errors import ConfigError

REQUIRED = "???"  # omegaconf's mandatory value: the config must give it

# Schema types of distribution fields: a number or a distribution string such as "uniform(0.5, 1.5)".
# int is listed beside float because omegaconf 2.4 rejects an int for Union[float, str].
NUMBER_OR_DISTRIBUTION = Union[int, float, str]
INTEGER_OR_DISTRIBUTION = Union[int, str]


@dataclasses.dataclass(frozen=True)
class Rule:
    """How a config value becomes a settings value.

    Attributes:
        convert: (config value, key path) -> settings value; raises ConfigError naming the key.
        schema_type: the type omegaconf checks the value against; None: the field's annotation.
        words: the rule as the docs say it (``0.1..20``).
        options: the values a ``choice`` or ``one_of`` rule allows (empty for the others).
    """

    convert: Callable[[Any, str], Any]
    schema_type: Any = None
    words: str = ""
    options: tuple[str, ...] = ()


def _span(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{low}..{high}"
    return f">= {low}" if low is not None else f"<= {high}" if high is not None else "any"


def number(low: float | None = None, high: float | None = None) -> Rule:
    """A number or a distribution (``uniform``, ``normal``, ``loguniform``, ``choice``...) whose
    values must lie in [low, high]; a normal is clipped to it. Settings value: a Distribution."""
    return Rule(
        lambda value, key: parse_checked(value, key, "float", low, high), NUMBER_OR_DISTRIBUTION, _span(low, high)
    )


def integer(low: float | None = None, high: float | None = None) -> Rule:
    """A whole number or a distribution of them (``randint``, ``choice``) within [low, high]."""
    return Rule(
        lambda value, key: parse_checked(value, key, "int", low, high), INTEGER_OR_DISTRIBUTION, _span(low, high)
    )


def choice(*options: str) -> Rule:
    """One of ``options`` or a ``choice([...])`` of them. Settings value: a Distribution."""
    return Rule(lambda value, key: parse_value(value, key, "str", options), str, " | ".join(options), options)


def within(low: float | None = None, high: float | None = None, *, multiple_of: int | None = None) -> Rule:
    """A plain number (no distribution) within [low, high], optionally a multiple of ``multiple_of``."""

    def convert(value: Any, key: str) -> Any:
        outside = (low is not None and not low <= value) or (high is not None and not value <= high)  # NaN too
        if outside or (multiple_of is not None and value % multiple_of):
            if multiple_of is not None:
                raise ConfigError(key, f"must be a multiple of {multiple_of} in {low}..{high}, got {value}")
            if low is not None and high is not None:
                raise ConfigError(key, f"must be in {low}..{high}, got {value}")
            raise ConfigError(key, f"must be {_span(low, high)}, got {value}")
        return value

    return Rule(convert, None, _span(low, high))


def one_of(*options: str) -> Rule:
    """A plain string, one of ``options``."""

    def convert(value: Any, key: str) -> Any:
        if value not in options:
            raise ConfigError(key, f"{value!r} is not one of {', '.join(options)}")
        return value

    return Rule(convert, str, " | ".join(options), options)


def custom(convert: Callable[[Any, str], Any], schema_type: Any = None, words: str = "") -> Rule:
    """A rule of the kind's own: ``convert(value, key)`` checks (ConfigError at ``key``) and converts."""
    return Rule(convert, schema_type, words)


def section(schema: type, convert: Callable[[Any, str], Any] | None = None) -> Rule:
    """A sub-section declared by a plain omegaconf dataclass ``schema`` of another package (one not
    declared as Params, such as the diffusion bank's): the value is the schema object omegaconf
    made, passed through ``convert(value, key)`` when given. Prefer ``nested`` for a Params class."""
    return Rule((lambda value, key: value) if convert is None else convert, schema, f"a {schema.__name__} section")


@dataclasses.dataclass(frozen=True)
class Param:
    """What ``param`` records in a field's metadata (``dataclasses.fields(cls)[i].metadata["param"]``)."""

    default: Any  # as a config writes it; REQUIRED: the config must give it
    rule: Rule | None
    doc: str
    nested: type | None = None  # a Params class held in this field (a sub-section of the config)
    defaults: tuple[tuple[str, Any], ...] = ()  # nested: the section's defaults that differ from its class's
    optional: bool = False  # nested: the section may be null (None, the default: absent)
    named: bool = False  # nested: a mapping of named sections (``actors: {lead: {...}, ...}``)


def param(default: Any = REQUIRED, rule: Rule | None = None, doc: str = "") -> Any:
    """Declare one parameter of a kind.

    Args:
        default: the value when the config does not give one, written as in YAML (``"uniform(1, 2)"``,
            ``[200, 202, 205]``); ``REQUIRED`` (the default): the config must give it.
        rule: checks and converts the value (``number``, ``integer``, ``choice``, ``within``,
            ``one_of``, ``custom``); None: the value as omegaconf typed it (the field's annotation).
        doc: what the parameter means, with its unit.

    Returns:
        The dataclass field (its default is the converted value).
    """
    meta = {"param": Param(default, rule, doc)}
    if isinstance(default, str) and default == REQUIRED:
        return dataclasses.field(metadata=meta)
    value = rule.convert(default, "(default)") if rule is not None else default
    if isinstance(value, list):
        value = tuple(value)
    if value.__class__.__hash__ is None:
        return dataclasses.field(default_factory=functools.partial(_copy, value), metadata=meta)
    return dataclasses.field(default=value, metadata=meta)


def nested(cls: type[Params], doc: str = "", *, optional: bool = False, **defaults: Any) -> Any:
    """Declare a sub-section whose keys are those of another Params class (``style: StyleSettings``).

    Args:
        cls: the section's Params class.
        doc: what the section is.
        optional: the section may be null; it is None unless the config gives it (a given
            section's missing keys take their defaults).
        **defaults: defaults of this kind's section that differ from the class's, written as in
            YAML (``nested(CorpusSettings, case="upper")``); plain values (no lists), so that the
            section's schema is made once.
    """
    names = {f.name for f in dataclasses.fields(cls) if "param" in f.metadata}
    unknown = sorted(set(defaults) - names)
    if unknown:
        raise TypeError(f"nested({cls.__name__}): no such parameter {', '.join(unknown)}")
    given = tuple(sorted(defaults.items()))
    hash(given)  # the section's schema is cached by its defaults
    meta = {"param": Param(None, None, doc, nested=cls, defaults=given, optional=optional)}
    if optional:
        return dataclasses.field(default=None, metadata=meta)
    return dataclasses.field(default_factory=functools.partial(_section_default, cls, given), metadata=meta)


def named_sections(cls: type[Params], doc: str = "") -> Any:
    """Declare a mapping of named sections of one Params class (``actors: {lead: {kind: car}}``):
    the settings hold ``{name: cls instance}`` in the config's order, empty by default, and an
    error names the section (``scene.params.actors.lead.count``)."""
    meta = {"param": Param(None, None, doc, nested=cls, named=True)}
    return dataclasses.field(default_factory=dict, compare=True, metadata=meta)


def derived(default: Any = None, doc: str = "", compare: bool = True) -> Any:
    """Declare a value that is no config key: the ``check`` hook derives it (the font files a
    ``fonts`` section finds, the words a corpus reads). ``compare=False`` for arrays."""
    meta = {"derived": doc}
    if default.__class__.__hash__ is None:
        return dataclasses.field(default_factory=functools.partial(_copy, default), compare=compare, metadata=meta)
    return dataclasses.field(default=default, compare=compare, metadata=meta)


def _section_default(cls: type[Params], defaults: tuple[tuple[str, Any], ...]) -> Params:
    """``cls()`` with the section defaults of the kind that holds it, converted by their rules."""
    rules = {f.name: f.metadata["param"].rule for f in dataclasses.fields(cls) if "param" in f.metadata}
    values = {}
    for name, value in defaults:
        rule = rules[name]
        values[name] = rule.convert(value, "(default)") if rule is not None else value
    return cls(**values)


def _copy(value: Any) -> Any:
    import copy

    return copy.deepcopy(value)


@dataclass_transform(frozen_default=True, field_specifiers=(param, nested, named_sections, derived, dataclasses.field))
class Params:
    """Base of a kind's parameters: a subclass is a frozen dataclass of ``param`` fields (required
    ones, ``param()`` without a default, first), and its instances are the kind's settings.

    Override ``check(self, key)`` for checks across fields (``zfar`` > ``znear``); it raises
    ConfigError under ``key`` (the kind's params path) and may return a copy with derived values.
    """

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(frozen=True)(cls)

    def check(self, key: str) -> Params | None:
        """Checks across fields, after each field's own rule; None or a completed copy."""
        return None

    @classmethod
    def schema(cls) -> type:
        """The omegaconf structured schema (a plain dataclass, defaults as a config writes them)."""
        return _schema(cls, ())

    @classmethod
    def choices(cls, name: str) -> tuple[str, ...]:
        """The values the ``choice`` or ``one_of`` rule of field ``name`` allows."""
        p = next(f.metadata["param"] for f in dataclasses.fields(cls) if f.name == name)
        return p.rule.options

    @classmethod
    def from_config(cls, given: Any, key: str) -> Any:
        """The checked settings from ``given``: a mapping (or DictConfig) of config values, an
        object of ``schema()``, or None (every default). ConfigError naming ``key.field`` on any problem."""
        return from_config(cls, given, key)


@functools.cache
def _schema(cls: type[Params], defaults: tuple[tuple[str, Any], ...]) -> type:
    """The schema of ``cls``; ``defaults``: (name, value) pairs that replace the declared defaults."""
    hints = typing.get_type_hints(cls)
    replaced = dict(defaults)
    fields = []
    for f in dataclasses.fields(cls):
        p = f.metadata.get("param")
        if p is None:
            continue  # a value the check hook derives, not a config key
        if p.nested is not None:
            inner = _schema(p.nested, p.defaults)
            if p.named:
                fields.append((f.name, dict[str, inner], dataclasses.field(default_factory=dict)))
            elif p.optional:
                fields.append((f.name, Optional[inner], dataclasses.field(default=None)))
            else:
                fields.append((f.name, inner, dataclasses.field(default_factory=inner)))
            continue
        declared = p.rule.schema_type if p.rule is not None else None
        kind = declared if declared is not None else _config_type(hints[f.name])
        default = replaced.get(f.name, p.default)
        if default.__class__.__hash__ is None:  # lists, mappings, sections: a fresh copy each time
            spec = dataclasses.field(default_factory=functools.partial(_copy, default))
        else:
            spec = dataclasses.field(default=default)
        fields.append((f.name, kind, spec))
    doc = f"The config schema of {cls.__name__} (derived by synthgen.config.params)."
    return dataclasses.make_dataclass(f"{cls.__name__}Schema", fields, namespace={"__doc__": doc})


def _config_type(annotation: Any) -> Any:
    """The omegaconf type of a settings annotation (``tuple[int, ...]`` -> ``list[int]``)."""
    origin = typing.get_origin(annotation)
    if origin is tuple:
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        return list[args[0]] if args else list[Any]
    if origin is Union:
        args = typing.get_args(annotation)
        if type(None) in args and len(args) == 2:
            return Optional[_config_type(next(a for a in args if a is not type(None)))]
    return annotation


def from_config(cls: type[Params], given: Any, key: str) -> Any:
    """The settings of ``cls`` from config values; every problem is a ConfigError at its key path.

    Args:
        cls: a Params subclass.
        given: a mapping or DictConfig of config values, an object of ``cls.schema()`` (what
            omegaconf made of them), or None for every default.
        key: the key path of these params (``augment.blur.params``).
    """
    if given is None or isinstance(given, Mapping) or _is_dictconfig(given):
        given, _ = merge_params(cls.schema(), given, key)
    values = {}
    for f in dataclasses.fields(cls):
        p = f.metadata.get("param")
        if p is None:
            continue
        value = getattr(given, f.name)
        where = f"{key}.{f.name}" if key else f.name
        if p.nested is not None and p.named:
            values[f.name] = {str(k): from_config(p.nested, v, f"{where}.{k}") for k, v in value.items()}
        elif p.nested is not None:
            values[f.name] = None if value is None else from_config(p.nested, value, where)
        elif p.rule is not None:
            values[f.name] = p.rule.convert(value, where)
        elif isinstance(value, list):
            values[f.name] = tuple(value)
        elif isinstance(value, dict):
            values[f.name] = dict(value)
        else:
            values[f.name] = value
    settings = cls(**values)
    checked = settings.check(key)
    return settings if checked is None else checked


def _is_dictconfig(value: Any) -> bool:
    from omegaconf import DictConfig

    return isinstance(value, DictConfig)


def merge_params(schema: type, given: Any, key: str) -> tuple[Any, dict[str, Any]]:
    """``given`` (a mapping, a DictConfig or None) merged onto ``schema``, unknown keys refused: the
    schema object and the values as resolved data. ConfigError at ``key`` or below."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from synthgen.config.omegaconf_errors import merge_checked, omegaconf_error

    if given is None:
        given = {}
    if isinstance(given, Mapping):
        given = OmegaConf.create(dict(given))
    if not _is_dictconfig(given):
        raise ConfigError(key, f"expected a mapping, got {given!r}")
    typed = merge_checked(OmegaConf.structured(schema), given, prefix=key)
    try:
        schema_obj = OmegaConf.to_object(typed)
    except OmegaConfBaseException as exc:
        raise omegaconf_error(exc, key) from None
    return schema_obj, OmegaConf.to_container(typed, resolve=True)  # type: ignore[return-value]

