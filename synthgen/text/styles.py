"""Text style shared by the OCR scenes: outline, shadow, letter spacing, rotation, perspective and
curved baselines, sampled per text item into the styled fields of ``TextItem``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthgen.config.distributions import Constant, Distribution
from synthgen.config.params import Params, choice, integer, number, param, within


class StyleSettings(Params):
    """A ``style:`` section (ocr_recognition, ocr_wild); lengths in font heights, angles in degrees."""

    rotation: Distribution = param(0.0, number(-180, 180), "degrees, counter-clockwise")
    letter_spacing: Distribution = param(0.0, number(-0.2, 2.0), "extra space after each character, in font heights")
    stroke_probability: float = param(0.0, within(0, 1), "share of items with an outline")
    stroke_width: Distribution = param("randint(1, 2)", integer(0, 20), "outline width, pixels")
    shadow_probability: float = param(0.0, within(0, 1), "share of items with a drop shadow")
    shadow_offset: Distribution = param("uniform(1, 3)", number(0, 50), "pixels, in a random direction")
    shadow_blur: Distribution = param("uniform(0, 1.5)", number(0, 20), "Gaussian sigma, pixels")
    shadow_opacity: Distribution = param("uniform(0.4, 0.8)", number(0, 1), "the shadow's opacity")
    perspective: Distribution = param(0.0, number(0, 0.5), "corner displacement, in font heights (0 = none)")
    curve_probability: float = param(0.0, within(0, 1), "share of single-line items drawn along a curve")
    curve: Distribution = param("choice([arc, wave])", choice("arc", "wave"), "the kind of curve")
    arc_radius: Distribution = param("uniform(4, 12)", number(1.5, None), "in font heights; the sign is random")
    wave_amplitude: Distribution = param("uniform(0.1, 0.3)", number(0, 2), "in font heights")
    wave_period: Distribution = param("uniform(4, 10)", number(1, None), "in font heights")
    # ocr_recognition only (see GLYPH_KEYS): glyph-level variation, off by default
    weight: Distribution = param(0.0, number(-0.2, 0.3), "stroke weight change in font heights: > 0 thicker")
    slant: Distribution = param(0.0, number(-45, 45), "shear per item in degrees, about the baseline (+ leans right)")
    jitter_probability: float = param(0.0, within(0, 1), "share of items with handwriting-like per-character jitter")
    jitter_baseline: Distribution = param("uniform(-0.04, 0.04)", number(-0.5, 0.5), "per character, in font heights")
    jitter_scale: Distribution = param("uniform(0.92, 1.08)", number(0.5, 2.0), "per character, factor")
    jitter_rotation: Distribution = param("uniform(-5, 5)", number(-45, 45), "per character, degrees")
    jitter_spacing: Distribution = param(
        "uniform(-0.03, 0.05)", number(-0.5, 1.0), "per gap, in font heights, accumulated"
    )

    def uses_glyph_keys(self) -> str | None:
        """The first of GLYPH_KEYS set to something other than its default (off), or None."""
        for name in ("weight", "slant"):
            if not _is_zero(getattr(self, name)):
                return name
        return "jitter_probability" if self.jitter_probability > 0 else None


# keys whose non-default values only ocr_recognition draws (the other scenes lay text out before
# it is drawn, and would need these in their layout): a scene that does not refuses them
GLYPH_KEYS = ("weight", "slant", "jitter_probability")


def _is_zero(d: Distribution) -> bool:
    return isinstance(d, Constant) and d.value == 0


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
