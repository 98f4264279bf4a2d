"""Stroke-based handwriting: a glyph's centre lines redrawn by a pen model.

A text item written by hand is not the font's filled outline: each character's centre lines
(``synthgen.text.handwriting_strokes``) are moved by the writer's style (size, slant, baseline
drift, letter spacing, a smooth jitter field, connections between letters) and drawn as a chain of
pen dabs whose width varies with pressure inside the configured range, with ink that pools where
a stroke starts and ends. One writer is drawn per item from the sample's generator
(``sample_hand``), so the same seed gives the same bytes whatever the worker count.

The drawn alpha is the label: the word's ink box and each character's box are the extents of the
pixels the pen changed (``hand_plane``), so quads and pixels agree exactly. The paper (plain or
ruled, the ruling on the text's baseline) is a background description (``hand_paper``).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, number, param, within

SUPERSAMPLE = 4  # pen dabs are drawn this much finer, then area-averaged: anti-aliased ink
PAD = 2  # pixels around the ink in the text plane (as synthgen.text.draw)
INKS = ("scene", "blue", "black")
PAPERS = ("scene", "plain", "ruled")


class HandwritingSettings(Params):
    """``handwriting:`` of a text scene. Lengths are in font heights (the font's line band), except
    ``pen_width``, which is in cap heights (the ink height of ``H``, else ``0``): a pen's width is
    a share of the letters' size whatever share of its line band a face gives its capitals."""

    probability: float = param(0.0, within(0, 1), "share of items written by hand (0: off)")
    pen_width: Distribution = param("uniform(0.1, 0.13)", number(0.01, 0.5), "pen width per writer, cap heights")
    pressure: Distribution = param(
        "uniform(0.05, 0.2)", number(0, 0.8), "width change with pressure along a stroke: within ±this share"
    )
    slant: Distribution = param("normal(5, 12)", number(-40, 40), "degrees per writer, + leans right")
    size: Distribution = param("uniform(0.85, 1.0)", number(0.3, 1.5), "letter size per writer, factor")
    width: Distribution = param("uniform(0.7, 1.0)", number(0.3, 1.5), "letter width per writer, factor of the face's")
    size_jitter: Distribution = param("uniform(0, 0.1)", number(0, 0.3), "letter size change per letter, ±factor")
    baseline_drift: Distribution = param("uniform(0, 0.05)", number(0, 0.5), "baseline wander along a line")
    letter_spacing: Distribution = param("uniform(-0.04, 0.06)", number(-0.3, 1), "extra space per letter gap")
    jitter: Distribution = param("uniform(0.02, 0.05)", number(0, 0.2), "smooth stroke displacement")
    stroke_ends: Distribution = param(
        "uniform(0, 0.08)", number(0, 0.3), "free stroke ends run on or stop short by up to this; loops open or overlap"
    )
    connect: Distribution = param("uniform(0, 0.6)", number(0, 1), "share of adjacent letters joined by a stroke")
    opacity: Distribution = param("uniform(0.8, 1.0)", number(0.1, 1), "ink opacity along a stroke")
    pooling: Distribution = param("uniform(0, 0.3)", number(0, 1), "extra opacity where a stroke starts and ends")
    ink: Distribution = param(
        "choice([scene, blue, black], [0.3, 0.4, 0.3])",
        choice(*INKS),
        "ink colour: the scene's contrasting colour, or a blue / black pen (where the text is dark)",
    )
    paper: Distribution = param(
        "scene", choice(*PAPERS), "the scene's background, or plain / ruled paper (ruling on the baseline)"
    )

    def check(self, key: str) -> None:
        """Handwriting needs scikit-image (glyph skeletons): said at load time, before any work."""
        import importlib.util

        if self.probability > 0 and importlib.util.find_spec("skimage") is None:
            from synthgen.errors import ConfigError

            raise ConfigError(
                f"{key}.probability", "handwriting needs scikit-image: pip install 'synthgen-cv[handwriting]'"
            )
        return None


@dataclass(frozen=True)
class HandStyle:
    """One writer, drawn per item: lengths in font heights, angles in degrees.

    Attributes:
        seed: the seed of the writer's per-letter and per-stroke variation (``hand_plane``).
        pen_width, pressure, slant, size, width, size_jitter, baseline_drift, letter_spacing, jitter,
            stroke_ends, connect, opacity, pooling: see ``HandwritingSettings``.
        ink: (r, g, b) of the pen, or None for the scene's colour.
        paper: ``scene``, ``plain`` or ``ruled``.
    """

    seed: int
    pen_width: float
    pressure: float
    slant: float
    size: float
    width: float
    size_jitter: float
    baseline_drift: float
    letter_spacing: float
    jitter: float
    stroke_ends: float
    connect: float
    opacity: float
    pooling: float
    ink: tuple[int, int, int] | None = None
    paper: str = "scene"


def sample_hand(s: HandwritingSettings, rng: np.random.Generator) -> HandStyle | None:
    """A writer for one item, or None (typed text); draws nothing from ``rng`` when handwriting is off."""
    if s.probability <= 0 or rng.random() >= s.probability:
        return None

    def draw(d: Distribution) -> float:
        return round(float(d.sample(rng)), 4)

    style = HandStyle(
        seed=int(rng.integers(2**31)),
        pen_width=draw(s.pen_width),
        pressure=draw(s.pressure),
        slant=draw(s.slant),
        size=draw(s.size),
        width=draw(s.width),
        size_jitter=draw(s.size_jitter),
        baseline_drift=draw(s.baseline_drift),
        letter_spacing=draw(s.letter_spacing),
        jitter=draw(s.jitter),
        stroke_ends=draw(s.stroke_ends),
        connect=draw(s.connect),
        opacity=draw(s.opacity),
        pooling=draw(s.pooling),
    )
    ink = s.ink.sample(rng)
    paper = s.paper.sample(rng)
    return HandStyle(**{**style.__dict__, "ink": pen_ink(ink, rng), "paper": paper})


def pen_ink(kind: str, rng: np.random.Generator) -> tuple[int, int, int] | None:
    """The colour of a ``blue`` or ``black`` pen (ballpoint and gel inks vary), None for ``scene``."""
    if kind == "blue":
        return (int(rng.integers(10, 50)), int(rng.integers(25, 75)), int(rng.integers(110, 175)))
    if kind == "black":
        grey = int(rng.integers(8, 45))
        return (grey, grey, int(grey + rng.integers(0, 12)))
    return None


def typed_style_off(style: dict[str, Any]) -> dict[str, Any]:
    """TextItem style keywords of a handwritten item: the pen replaces outline, shadow, curve and the
    font-level glyph variation (weight, slant, jitter); rotation and perspective stay."""
    out = dict(style)
    out.update(stroke_width=0, shadow=None, curve="none", curve_amount=0.0, curve_period=0.0, letter_spacing=0.0)
    for name, off in (("weight", 0.0), ("slant", 0.0), ("jitter", None)):
        if name in out:
            out[name] = off
    return out


@dataclass(frozen=True)
class HandPlane:
    """A handwritten item in its upright text plane (what ``draw.TextPlane`` holds, and the baseline).

    Attributes:
        alpha: (h, w) uint8 ink coverage times opacity.
        ink: (4,) float64 left, top, right, bottom (exclusive) of the pixels with alpha > 0.
        chars: the drawn characters (whitespace left out), in order.
        char_quads: (n, 4, 2) float64, each character's ink box as a quad (clockwise from top-left).
        baseline: y of the (undrifted) baseline in plane pixels.
        line_height: the font's line band in pixels (the unit of the style's lengths).
    """

    alpha: np.ndarray
    ink: np.ndarray
    chars: str
    char_quads: np.ndarray
    baseline: float
    line_height: float


def hand_plane(font_path: str, font_size: int, text: str, hand: HandStyle) -> HandPlane:
    """Write ``text`` by hand: the upright plane, its exact ink box and per-character boxes."""
    return _hand_plane(font_path, font_size, text, hand)


def estimated_ink(font_path: str, font_size: int, text: str, hand: HandStyle) -> np.ndarray:
    """(4,) the ink box of ``hand_plane`` to within a pixel or so, from the strokes' points and the
    widest pen, without drawing them (what a scene builder's first fit needs)."""
    layout = _hand_layout(font_path, font_size, text, hand)
    points = [pts for _, strokes in layout.letters for pts in strokes]
    if not points:
        return np.zeros(4)
    allxy = np.concatenate(points)
    reach = hand.pen_width * layout.cap * (1 + hand.pressure) / 2
    return np.concatenate([allxy.min(0) - reach, allxy.max(0) + reach])


@functools.lru_cache(maxsize=16)  # a scene builder measures the item, then the renderer draws it
def _hand_plane(font_path: str, font_size: int, text: str, hand: HandStyle) -> HandPlane:
    layout = _hand_layout(font_path, font_size, text, hand)
    rng = np.random.default_rng([hand.seed, 1])  # the pen's pressure along each stroke
    return _draw_letters(layout.letters, hand, layout.band, layout.cap, rng, layout.baseline)


@dataclass(frozen=True)
class _Layout:
    letters: tuple[tuple[str, tuple[np.ndarray, ...]], ...]  # per drawn char (then "": the joins): strokes
    baseline: float
    band: float  # the line band, pixels
    cap: float  # the pen width's unit, pixels


@functools.lru_cache(maxsize=16)
def _hand_layout(font_path: str, font_size: int, text: str, hand: HandStyle) -> _Layout:
    """Where the writer's pen goes: every stroke of every letter in plane pixels (not yet drawn)."""
    from synthgen.text import fonts
    from synthgen.text.handwriting_strokes import centre_lines

    ascent, descent = fonts.load_font(font_path, font_size).getmetrics()
    band = float(ascent + descent)
    rng = np.random.default_rng(hand.seed)
    field = _jitter_field(rng, hand.jitter * band, band)
    drift_period = band * rng.uniform(3.0, 8.0)
    drift_phase = rng.uniform(0, 2 * math.pi)
    shear = math.tan(math.radians(hand.slant))
    baseline = ascent * hand.size
    pen = 0.0
    letters: list[tuple[str, list[np.ndarray]]] = []  # per drawn char: its strokes in plane pixels
    bridges: list[np.ndarray] = []  # strokes joining letters: ink of the word, of no character
    prev_lower = False
    for ch in text:
        glyph = centre_lines(font_path, ch)
        scale = band * hand.size * (1.0 + rng.uniform(-1, 1) * hand.size_jitter)
        if ch.isspace():
            pen += glyph.advance * band * hand.size * hand.width
            prev_lower = False
            continue
        strokes = []
        for stroke in glyph.strokes:
            stroke = _vary_ends(stroke, hand.stroke_ends, rng)
            pts = np.empty_like(stroke)
            pts[:, 0] = pen + stroke[:, 0] * scale * hand.width
            pts[:, 1] = baseline + (stroke[:, 1] - glyph.ascent) * scale  # about the baseline: sizes keep it
            pts[:, 0] -= (pts[:, 1] - baseline) * shear
            pts[:, 1] += hand.baseline_drift * band * np.sin(2 * math.pi * pts[:, 0] / drift_period + drift_phase)
            strokes.append(pts + field(pts))
        letters.append((ch, strokes))
        pen += glyph.advance * scale * hand.width + hand.letter_spacing * band
        # cursive joins lower-case letters; a join into or out of a capital or digit reads as another letter
        join = prev_lower and ch.islower() and rng.random() < hand.connect
        if join and len(letters) > 1:
            bridge = _connection(letters[-2][1], strokes, baseline, band)
            if bridge is not None:
                bridges.append(bridge)
        prev_lower = ch.islower()
    if bridges:
        letters.append(("", bridges))
    frozen = tuple((ch, tuple(strokes)) for ch, strokes in letters)
    return _Layout(frozen, baseline, band, cap_height(font_path) * band * hand.size)


def _vary_ends(stroke: np.ndarray, amount: float, rng: np.random.Generator) -> np.ndarray:
    """A stroke (font heights) whose ends run on along their tangent or stop short, by up to
    ``amount`` each (never more than a third of the stroke); a closed loop is opened or overlapped
    from a random point, as a writer's loops rarely close exactly."""
    if amount <= 0 or len(stroke) < 4:
        return stroke
    if np.array_equal(stroke[0], stroke[-1]):
        start = int(rng.integers(len(stroke) - 1))
        stroke = np.concatenate([stroke[start:-1], stroke[:start], stroke[start : start + 1]])
    seg = np.linalg.norm(np.diff(stroke, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    length = float(s[-1])
    if length <= 0:
        return stroke
    cut = min(amount, length / 3)
    d0, d1 = rng.uniform(-cut, amount, 2)  # < 0 runs on, > 0 stops short
    keep = (s >= max(d0, 0)) & (s <= length - max(d1, 0))
    out = stroke[keep] if keep.sum() >= 2 else stroke
    parts = [out]
    for end, d in ((0, d0), (-1, d1)):
        if d < 0:
            inner = out[1] if end == 0 else out[-2]
            tangent = out[end] - inner
            norm = float(np.linalg.norm(tangent))
            if norm > 0:
                tip = out[end] + tangent / norm * -d
                parts.insert(0 if end == 0 else len(parts), tip[None])
    return np.concatenate(parts)


def _jitter_field(rng: np.random.Generator, amplitude: float, band: float):
    """A smooth displacement field (a few random plane waves): strokes that meet keep meeting."""
    if amplitude <= 0:
        return lambda pts: 0.0
    waves = rng.normal(0, 1, (4, 2)) * (2 * math.pi / (band * rng.uniform(0.4, 1.2, (4, 1))))
    phases = rng.uniform(0, 2 * math.pi, (4, 2))

    def field(pts: np.ndarray) -> np.ndarray:
        arg = pts @ waves.T  # (n, 4)
        dx = np.sin(arg + phases[:, 0]).sum(1)
        dy = np.sin(arg + phases[:, 1]).sum(1)
        return amplitude / 2 * np.stack([dx, dy], 1)

    return field


def _connection(left: list[np.ndarray], right: list[np.ndarray], baseline: float, band: float) -> np.ndarray | None:
    """A joining stroke from the right-most low point of one letter to the left-most of the next."""
    a = np.concatenate(left) if left else np.zeros((0, 2))
    b = np.concatenate(right) if right else np.zeros((0, 2))
    zone = (baseline - 0.45 * band, baseline + 0.02 * band)  # the lower half of the x-height
    a = a[(a[:, 1] >= zone[0]) & (a[:, 1] <= zone[1])]
    b = b[(b[:, 1] >= zone[0]) & (b[:, 1] <= zone[1])]
    if not len(a) or not len(b):
        return None
    p0, p2 = a[np.argmax(a[:, 0])], b[np.argmin(b[:, 0])]
    if p2[0] - p0[0] > 0.6 * band:  # too far apart to be joined by a flick of the pen
        return None
    p1 = np.array([(p0[0] + p2[0]) / 2, max(p0[1], p2[1]) + 0.05 * band])
    t = np.linspace(0, 1, 12)[:, None]
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2


def cap_height(font_path: str) -> float:
    """The ink height of ``H`` (else ``0``, else 0.7) in font heights: the unit of the pen width."""
    from synthgen.text.handwriting_strokes import centre_lines

    for ch in "H0":
        from synthgen.text import fonts

        if fonts.covers(font_path, ch):
            strokes = centre_lines(font_path, ch).strokes
            if strokes:
                ys = np.concatenate(strokes)[:, 1]
                return float(ys.max() - ys.min())
    return 0.7


def _stroke_profile(pts: np.ndarray, hand: HandStyle, band: float, cap: float, rng: np.random.Generator):
    """Points resampled along a stroke, with the pen's width (pixels) and opacity at each."""
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1) if len(pts) > 1 else np.zeros(0)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    length = float(s[-1])
    width = hand.pen_width * cap
    # dabs a third of the pen's width apart: the chain's edge is within 6 % of its radius of a
    # straight stroke's, well under the pixel at the supersampled scale
    step = max(width / 3, 0.25)
    n = max(int(math.ceil(length / step)) + 1, 1)
    t = np.linspace(0, length, n)
    if length > 0:
        xy = np.stack([np.interp(t, s, pts[:, 0]), np.interp(t, s, pts[:, 1])], 1)
    else:
        xy = pts[:1].copy()
    # pressure: a slow random wave along the stroke, inside ±pressure of the pen width
    wavelength = band * rng.uniform(0.5, 1.5)
    phase = rng.uniform(0, 2 * math.pi)
    wave = 0.7 * np.sin(2 * math.pi * t / wavelength + phase) + 0.3 * np.sin(4 * math.pi * t / wavelength + 2 * phase)
    widths = width * (1.0 + hand.pressure * np.clip(wave, -1, 1))
    ends = np.exp(-t / (0.8 * width + 1e-6)) + np.exp(-(length - t) / (0.8 * width + 1e-6))
    opacity = np.clip(hand.opacity * (1.0 + hand.pooling * ends), 0.0, 1.0)
    return xy, widths, opacity


def _draw_letters(letters, hand: HandStyle, band: float, cap: float, rng, baseline: float) -> HandPlane:
    """Draw the letters' strokes (plane pixels); ``cap``: the pen width's unit in pixels."""
    import cv2

    profiles = [[_stroke_profile(p, hand, band, cap, rng) for p in strokes] for _, strokes in letters]
    every = [xy for prof in profiles for xy, _, _ in prof]
    reach = hand.pen_width * cap * (1 + hand.pressure) / 2 + 1
    if every:
        allxy = np.concatenate(every)
        lo = np.floor(allxy.min(0) - reach) - PAD
        hi = np.ceil(allxy.max(0) + reach) + PAD
    else:
        lo, hi = np.zeros(2), np.ones(2)
    w, h = int(hi[0] - lo[0]), int(hi[1] - lo[1])
    alpha = np.zeros((h, w), np.uint8)
    boxes = []
    chars = []
    shift = 4  # cv2 sub-pixel bits
    f = SUPERSAMPLE * (1 << shift)
    for (ch, _), prof in zip(letters, profiles):
        pts = [xy for xy, _, _ in prof]
        if not pts:
            if ch:
                boxes.append(None)
                chars.append(ch)
            continue
        cat = np.concatenate(pts)
        x0 = int(math.floor(cat[:, 0].min() - reach - lo[0]))
        y0 = int(math.floor(cat[:, 1].min() - reach - lo[1]))
        x1 = int(math.ceil(cat[:, 0].max() + reach - lo[0]))
        y1 = int(math.ceil(cat[:, 1].max() + reach - lo[1]))
        fine = np.zeros(((y1 - y0) * SUPERSAMPLE, (x1 - x0) * SUPERSAMPLE), np.uint8)
        origin = lo + [x0, y0]
        for xy, widths, opacity in prof:
            centres = np.rint((xy - origin) * f).astype(np.int64)
            radii = np.maximum(np.rint(widths / 2 * f), 1).astype(np.int64)
            values = np.rint(opacity * 255).astype(np.int64)
            for (cx, cy), r, v in zip(centres.tolist(), radii.tolist(), values.tolist()):
                cv2.circle(fine, (cx, cy), r, v, -1, cv2.LINE_8, shift)
        small = cv2.resize(fine, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
        np.maximum(alpha[y0:y1, x0:x1], small, out=alpha[y0:y1, x0:x1])
        if not ch:  # the joining strokes: the word's ink, no character's box
            continue
        ys, xs = np.nonzero(small)
        boxes.append(None if not len(xs) else (x0 + xs.min(), y0 + ys.min(), x0 + xs.max() + 1, y0 + ys.max() + 1))
        chars.append(ch)
    ys, xs = np.nonzero(alpha)
    ink = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float64) if len(xs) else np.zeros(4)
    quads = []
    for box in boxes:
        b = box if box is not None else (ink[0], ink[3], ink[0], ink[3])
        quads.append([[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]]])
    alpha.setflags(write=False)
    return HandPlane(
        alpha,
        ink,
        "".join(chars),
        np.asarray(quads, np.float64).reshape(-1, 4, 2),
        float(baseline - lo[1]),
        band,
    )


def hand_paper(
    kind: str, rng: np.random.Generator, baseline_y: float, band: float, white: bool = False
) -> dict[str, Any] | None:
    """A paper background description for ``kind`` (None for ``scene``): off-white paper, and for
    ``ruled`` faint blue rules ``spacing`` apart with one on the text's baseline (image pixels)."""
    if kind == "scene":
        return None
    from synthgen.backgrounds import paper_background

    paper = paper_background(rng, white=white)
    if kind == "ruled":
        tone = rng.integers(-20, 20)
        paper["rules"] = {
            "y0": round(float(baseline_y), 2),
            "spacing": round(float(band * rng.uniform(1.15, 1.6)), 2),
            "color": [int(150 + tone), int(185 + tone), int(225 + tone // 2)],
            "width": round(float(rng.uniform(0.6, 1.4)), 2),
        }
    return paper
