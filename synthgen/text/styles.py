"""Text style shared by the OCR scenes: outline, shadow, letter spacing, rotation, perspective and
curved baselines, sampled per text item into the styled fields of ``TextItem``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from synthgen.config.distributions import Constant, Distribution, parse_checked, parse_value
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
    # ocr_recognition only (see GLYPH_KEYS): glyph-level variation, off by default
    weight: Union[int, float, str] = 0.0  # stroke weight change in font heights: > 0 thicker, < 0 thinner
    slant: Union[int, float, str] = 0.0  # shear per item in degrees, about the baseline (+ leans right)
    jitter_probability: float = 0.0  # share of items with handwriting-like per-character jitter
    jitter_baseline: Union[int, float, str] = "uniform(-0.04, 0.04)"  # per character, in font heights
    jitter_scale: Union[int, float, str] = "uniform(0.92, 1.08)"  # per character, factor
    jitter_rotation: Union[int, float, str] = "uniform(-5, 5)"  # per character, degrees
    jitter_spacing: Union[int, float, str] = "uniform(-0.03, 0.05)"  # per gap, in font heights, accumulated


# keys whose non-default values only ocr_recognition draws (the other scenes lay text out before
# it is drawn, and would need these in their layout): a scene that does not refuses them
GLYPH_KEYS = ("weight", "slant", "jitter_probability")


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
    weight: Distribution
    slant: Distribution
    jitter_probability: float
    jitter_baseline: Distribution
    jitter_scale: Distribution
    jitter_rotation: Distribution
    jitter_spacing: Distribution

    def uses_glyph_keys(self) -> str | None:
        """The first of GLYPH_KEYS set to something other than its default (off), or None."""
        for name in ("weight", "slant"):
            if not _is_zero(getattr(self, name)):
                return name
        return "jitter_probability" if self.jitter_probability > 0 else None


def _is_zero(d: Distribution) -> bool:
    return isinstance(d, Constant) and d.value == 0


def style_from_config(p: StyleSchema, key: str) -> StyleSettings:
    """Check a ``style:`` section."""
    for name in ("stroke_probability", "shadow_probability", "curve_probability", "jitter_probability"):
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
        weight=num("weight", "float", -0.2, 0.3),
        slant=num("slant", "float", -45, 45),
        jitter_probability=p.jitter_probability,
        jitter_baseline=num("jitter_baseline", "float", -0.5, 0.5),
        jitter_scale=num("jitter_scale", "float", 0.5, 2.0),
        jitter_rotation=num("jitter_rotation", "float", -45, 45),
        jitter_spacing=num("jitter_spacing", "float", -0.5, 1.0),
    )


def sample_style(
    s: StyleSettings, rng: np.random.Generator, em: float, curved_ok: bool, text: str | None = None
) -> dict[str, Any]:
    """TextItem keyword arguments for one item of font height ``em`` pixels (colours excluded).

    Args:
        s: the style settings.
        rng: the sample's generator.
        em: the font's line height in pixels; lengths in the config are in these units.
        curved_ok: whether this item may be drawn along a curve (single lines only).
        text: the item's text; given, the glyph-level keys (weight, slant, jitter) are drawn too
            (nothing is drawn for those left at their default, so other values do not move).

    Returns:
        angle, letter_spacing, stroke_width, shadow, curve, curve_amount, curve_period,
        corner_offsets; with ``text``, also weight, slant and jitter.
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
    if text is not None:
        out.update(sample_glyph_style(s, rng, em, text))
    return out


def sample_glyph_style(s: StyleSettings, rng: np.random.Generator, em: float, text: str) -> dict[str, Any]:
    """``weight`` (pixels), ``slant`` (degrees) and ``jitter`` (per character dx, dy, scale, angle)."""
    out: dict[str, Any] = {"weight": 0.0, "slant": 0.0, "jitter": None}
    if not _is_zero(s.weight):
        out["weight"] = round(float(s.weight.sample(rng)) * em * 4) / 4  # quarter pixels (glyphs.glyph)
    if not _is_zero(s.slant):
        out["slant"] = round(float(s.slant.sample(rng)), 2)
    if s.jitter_probability > 0 and rng.random() < s.jitter_probability:
        jitter, shift = [], 0.0
        for ch in text:
            if ch.isspace():
                continue
            jitter.append(
                (
                    round(shift, 2),
                    round(float(s.jitter_baseline.sample(rng)) * em, 2),
                    round(float(s.jitter_scale.sample(rng)), 3),
                    round(float(s.jitter_rotation.sample(rng)), 2),
                )
            )
            shift += float(s.jitter_spacing.sample(rng)) * em
        out["jitter"] = tuple(jitter)
    return out
