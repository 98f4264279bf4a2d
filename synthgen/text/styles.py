"""Text style shared by the OCR scenes: outline, shadow, letter spacing, rotation, perspective and
curved baselines, sampled per text item into the styled fields of ``TextItem``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from synthgen.config.distributions import Distribution, parse_checked, parse_value
from synthgen.errors import ConfigError


@dataclass
class StyleSchema:
    rotation: Union[int, float, str] = 0.0  # degrees, counter-clockwise
    letter_spacing: Union[int, float, str] = 0.0  # extra space after each character, in font heights
    stroke_probability: float = 0.0  # share of items with an outline
    stroke_width: Union[int, str] = "randint(1, 2)"  # pixels
    shadow_probability: float = 0.0  # share of items with a drop shadow
    shadow_offset: Union[int, float, str] = "uniform(1, 3)"  # pixels, in a random direction
    shadow_blur: Union[int, float, str] = "uniform(0, 1.5)"  # Gaussian sigma, pixels
    shadow_opacity: Union[int, float, str] = "uniform(0.4, 0.8)"
    perspective: Union[int, float, str] = 0.0  # corner displacement, in font heights (0 = none)
    curve_probability: float = 0.0  # share of single-line items drawn along a curve
    curve: str = "choice([arc, wave])"
    arc_radius: Union[int, float, str] = "uniform(4, 12)"  # in font heights; the sign is random
    wave_amplitude: Union[int, float, str] = "uniform(0.1, 0.3)"  # in font heights
    wave_period: Union[int, float, str] = "uniform(4, 10)"  # in font heights


@dataclass(frozen=True)
class StyleSettings:
    rotation: Distribution
    letter_spacing: Distribution
    stroke_probability: float
    stroke_width: Distribution
    shadow_probability: float
    shadow_offset: Distribution
    shadow_blur: Distribution
    shadow_opacity: Distribution
    perspective: Distribution
    curve_probability: float
    curve: Distribution
    arc_radius: Distribution
    wave_amplitude: Distribution
    wave_period: Distribution


def style_from_config(p: StyleSchema, key: str) -> StyleSettings:
    """Check a ``style:`` section."""
    for name in ("stroke_probability", "shadow_probability", "curve_probability"):
        if not 0 <= getattr(p, name) <= 1:
            raise ConfigError(f"{key}.{name}", f"must be in 0..1, got {getattr(p, name)}")

    def num(name: str, kind: str, low: float | None, high: float | None) -> Distribution:
        return parse_checked(getattr(p, name), f"{key}.{name}", kind, low, high)

    return StyleSettings(
        rotation=num("rotation", "float", -180, 180),
        letter_spacing=num("letter_spacing", "float", -0.2, 2.0),
        stroke_probability=p.stroke_probability,
        stroke_width=num("stroke_width", "int", 0, 20),
        shadow_probability=p.shadow_probability,
        shadow_offset=num("shadow_offset", "float", 0, 50),
        shadow_blur=num("shadow_blur", "float", 0, 20),
        shadow_opacity=num("shadow_opacity", "float", 0, 1),
        perspective=num("perspective", "float", 0, 0.5),
        curve_probability=p.curve_probability,
        curve=parse_value(p.curve, f"{key}.curve", "str", ("arc", "wave")),
        arc_radius=num("arc_radius", "float", 1.5, None),
        wave_amplitude=num("wave_amplitude", "float", 0, 2),
        wave_period=num("wave_period", "float", 1, None),
    )


def sample_style(s: StyleSettings, rng: np.random.Generator, em: float, curved_ok: bool) -> dict[str, Any]:
    """TextItem keyword arguments for one item of font height ``em`` pixels (colours excluded).

    Args:
        s: the style settings.
        rng: the sample's generator.
        em: the font's line height in pixels; lengths in the config are in these units.
        curved_ok: whether this item may be drawn along a curve (single lines only).

    Returns:
        angle, letter_spacing, stroke_width, shadow, curve, curve_amount, curve_period, corner_offsets.
    """
    out: dict[str, Any] = {
        "angle": float(s.rotation.sample(rng)),
        "letter_spacing": round(float(s.letter_spacing.sample(rng)) * em, 2),
        "stroke_width": 0,
        "shadow": None,
        "curve": "none",
        "curve_amount": 0.0,
        "curve_period": 0.0,
        "corner_offsets": None,
    }
    if rng.random() < s.stroke_probability:
        out["stroke_width"] = int(s.stroke_width.sample(rng))
    if rng.random() < s.shadow_probability:
        t = rng.uniform(0, 2 * math.pi)
        d = float(s.shadow_offset.sample(rng))
        out["shadow"] = (
            round(d * math.cos(t), 2),
            round(d * math.sin(t), 2),
            round(float(s.shadow_blur.sample(rng)), 2),
            round(float(np.clip(s.shadow_opacity.sample(rng), 0, 1)), 3),
        )
    if curved_ok and rng.random() < s.curve_probability:
        kind = s.curve.sample(rng)
        out["curve"] = kind
        if kind == "arc":
            sign = 1.0 if rng.random() < 0.5 else -1.0
            out["curve_amount"] = sign / (float(s.arc_radius.sample(rng)) * em)
        else:
            out["curve_amount"] = float(s.wave_amplitude.sample(rng)) * em
            out["curve_period"] = float(s.wave_period.sample(rng)) * em
    jitter = float(s.perspective.sample(rng)) * em
    if jitter > 0:
        out["corner_offsets"] = tuple(
            (round(float(dx), 2), round(float(dy), 2)) for dx, dy in rng.uniform(-jitter, jitter, (4, 2))
        )
    return out
