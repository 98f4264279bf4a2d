"""Prompts of the checkpoint steps: a text or a distribution of texts, each a template filled from
the scene's recorded parameters.

``prompt: "a {weather} street at {time_of_day}"`` takes ``weather`` and ``time_of_day`` from the
sample's ``spec.params`` (what the scene records in each sample's ``meta.scene``: a driving
scenario's weather and time of day, a text scene's background kind); ``prompt:
'choice(["a {weather} street", "a road at dusk"], [0.7, 0.3])'`` draws one per sample from the
step's own generator. A field the scene does not record is refused at load (the loader samples the
scene once to see what it records), and a constant prompt draws nothing, so a plain text stays
the bytes it was.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthgen.config.distributions import Constant, Distribution, parse_value
from synthgen.errors import ConfigError


@dataclass(frozen=True)
class Prompt:
    """A prompt: ``texts`` to draw from, and the ``{fields}`` their templates name."""

    texts: Distribution
    fields: frozenset[str]

    def draw(self, params: dict[str, Any], rng: np.random.Generator) -> str:
        """One prompt for a sample whose scene recorded ``params``."""
        text = str(self.texts.sample(rng))
        if not self.fields:
            return text
        values = {k: _word(v) for k, v in params.items() if _fills(v)}
        try:
            return text.format_map(values)
        except KeyError as exc:  # the loader checked one sample; a scene that records less elsewhere
            raise ValueError(f"prompt field {{{exc.args[0]}}} is not a parameter of this sample's scene") from None

    def __str__(self) -> str:
        return str(self.texts)


def scene_params(spec: Any) -> dict[str, Any]:
    """The parameters a sample's scene recorded (none for a step applied without a scene)."""
    return spec.params if spec is not None else {}


def _fills(value: Any) -> bool:
    """Whether a recorded parameter can fill a field: a text or a number (not a mapping or a list)."""
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _word(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value).replace("_", " ")


def parse_prompt(value: Any, key: str) -> Prompt:
    """A config's prompt value: a text, or ``choice([...])`` of texts, with ``{name}`` fields."""
    if not isinstance(value, str):
        raise ConfigError(key, f"expected a text, got {type(value).__name__}")
    texts = parse_value(value, key, "str")
    options = texts.options if hasattr(texts, "options") else (texts.value if isinstance(texts, Constant) else value,)
    fields: set[str] = set()
    for option in options:
        try:
            parsed = list(string.Formatter().parse(str(option)))
        except ValueError as exc:  # a lone { or }
            raise ConfigError(key, f"{exc} in {str(option)[:80]!r} (write {{{{ and }}}} for braces)") from None
        for _, name, spec, conversion in parsed:
            if name is None:
                continue
            if not name.isidentifier() or spec or conversion:
                raise ConfigError(key, f"{{{name}}}: a field is a parameter name, such as {{weather}}")
            fields.add(name)
    return Prompt(texts, frozenset(fields))


def check_fields(prompt: Prompt, recorded: dict[str, Any], scene: str, key: str) -> None:
    """ConfigError at ``key`` for a field the scene does not record (``recorded``: a sample's params)."""
    usable = sorted(k for k, v in recorded.items() if _fills(v))
    for name in sorted(prompt.fields - set(usable)):
        raise ConfigError(
            key, f"{{{name}}} is not a parameter scene {scene!r} records; it records {', '.join(usable) or 'none'}"
        )
