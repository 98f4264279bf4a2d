"""omegaconf's errors as one ``ConfigError("key.path: message")`` line, and merging layers onto a
schema so that every failure names its key (omegaconf does not always say which)."""

from __future__ import annotations

import re
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from synthgen.config.checks import short_repr
from synthgen.errors import ConfigError


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


def shape_words(node: Any) -> str:
    """``a mapping``, ``a list`` or ``a single value (...)``: what a config node is, as an error says it."""
    if isinstance(node, (DictConfig, dict)):
        return "a mapping"
    if isinstance(node, (ListConfig, list, tuple)):
        return "a list"
    return f"a single value ({short_repr(node)})"


def _declaredshape_words(base: Any, key: Any) -> str | None:
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
                declared = _declaredshape_words(base, key)
                if declared is not None:
                    return ConfigError(path, f"expected {declared}, got {shape_words(value)}")
                return ConfigError(path, f"{shape_words(value)} does not fit here")
            return ConfigError(path, f"expected {shape_words(target)}, got {shape_words(value)}")
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
