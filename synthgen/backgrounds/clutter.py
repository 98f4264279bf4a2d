"""Text-like clutter on a background: marks that are not text and carry no label.

Real scenes are full of things a text detector must learn to leave alone: railings and stripes,
window grilles, pictograms and icons, scribbles and logos that look like letters from afar. A
background without them teaches a detector no hard negatives (no detection of a model trained on
real images ever lands on a plain procedural background). Clutter is drawn into the background
itself, so its pixels belong to no instance: every label stays what the scene placed.

Kinds (each a JSON-able description, sampled by ``sample_clutter`` and drawn by ``draw_clutter``):

- ``stripes``: parallel bars across a rectangle (railings, blinds, road markings);
- ``grille``: two crossing sets of bars (window grilles, fences, tiles);
- ``icon``: a filled or outlined circle, triangle, square or arrow (pictograms, signs);
- ``marks``: a row of glyph-like strokes, each a short random polyline the size of a letter
  (scribbles, patterns, logos): the hardest negatives, shaped like a word but not one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthgen.backgrounds.colors import random_color
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, integer, number, param, within

CLUTTER_KINDS = ("stripes", "grille", "icon", "marks")
ICON_SHAPES = ("circle", "triangle", "square", "arrow")


class ClutterSettings(Params):
    """``background.clutter``: text-like marks drawn into a share of the backgrounds."""

    probability: float = param(0.0, within(0, 1), "the share of backgrounds that get clutter (0: none, no random draw)")
    count: Distribution = param("randint(1, 6)", integer(0, 50), "marks on a cluttered background")
    kind: Distribution = param(
        "choice([stripes, grille, icon, marks], [0.25, 0.2, 0.25, 0.3])", choice(*CLUTTER_KINDS), "each mark's kind"
    )
    size: Distribution = param("uniform(0.08, 0.35)", number(0.01, 1.0), "a mark's size, in the image's shorter sides")


def sample_clutter(s: ClutterSettings, width: int, height: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """The marks of one background ([] for most, as ``probability`` says). Draws nothing from
    ``rng`` when ``probability`` is 0, so scenes without clutter keep their random streams."""
    if s.probability <= 0 or rng.random() >= s.probability:
        return []
    marks = []
    short = min(width, height)
    for _ in range(int(s.count.sample(rng))):
        kind = str(s.kind.sample(rng))
        size = max(4.0, float(s.size.sample(rng)) * short)
        cx, cy = float(rng.uniform(0, width)), float(rng.uniform(0, height))
        mark: dict[str, Any] = {
            "kind": kind,
            "center": [round(cx, 2), round(cy, 2)],
            "size": round(size, 2),
            "angle": round(float(rng.uniform(0, 180)), 2),
            "color": list(random_color(rng)),
            "thickness": max(1, int(round(size * float(rng.uniform(0.02, 0.08))))),
        }
        if kind in ("stripes", "grille"):
            mark["aspect"] = round(float(rng.uniform(0.5, 2.5)), 3)
            mark["spacing"] = round(max(3.0, size * float(rng.uniform(0.08, 0.25))), 2)
        elif kind == "icon":
            mark["shape"] = ICON_SHAPES[int(rng.integers(len(ICON_SHAPES)))]
            mark["filled"] = bool(rng.random() < 0.5)
        else:
            glyphs = int(rng.integers(3, 9))
            height_px = size / glyphs * float(rng.uniform(1.2, 2.0))
            mark["glyph_height"] = round(height_px, 2)
            mark["angle"] = round(float(rng.normal(0, 10)), 2)  # rows of marks sit like text
            mark["glyphs"] = [
                [[round(float(v), 3) for v in p] for p in rng.uniform(0, 1, (int(rng.integers(2, 5)), 2))]
                for _ in range(glyphs)
            ]
        marks.append(mark)
    return marks


def draw_clutter(image: np.ndarray, marks: list[dict[str, Any]]) -> np.ndarray:
    """Draw ``marks`` (``sample_clutter``'s) into ``image`` ((H, W, 3) uint8, changed in place)."""
    import cv2

    for m in marks:
        color = tuple(int(c) for c in m["color"])
        t = int(m["thickness"])
        cx, cy = m["center"]
        size, angle = float(m["size"]), math.radians(float(m["angle"]))
        rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])

        def place(points: np.ndarray) -> np.ndarray:
            """Points in the mark's frame (centred, unrotated) -> pixel coordinates, 1/16 px fixed point."""
            xy = np.asarray(points, np.float64) @ rot.T + (cx, cy)
            return np.rint(xy * 16).astype(np.int32)

        def bars(w: float, h: float, spacing: float) -> None:
            for x in np.arange(-w / 2, w / 2 + 1e-6, spacing):
                a, b = place([[x, -h / 2], [x, h / 2]])
                cv2.line(image, tuple(a), tuple(b), color, t, cv2.LINE_AA, shift=4)

        if m["kind"] in ("stripes", "grille"):
            w, h = size * float(m["aspect"]) ** 0.5, size / float(m["aspect"]) ** 0.5
            bars(w, h, float(m["spacing"]))
            if m["kind"] == "grille":
                turned = angle + math.pi / 2
                rot = np.array([[math.cos(turned), -math.sin(turned)], [math.sin(turned), math.cos(turned)]])
                bars(h, w, float(m["spacing"]))
        elif m["kind"] == "icon":
            r = size / 2
            shape = {
                "circle": [[r * math.cos(a), r * math.sin(a)] for a in np.linspace(0, 2 * math.pi, 48, endpoint=False)],
                "triangle": [[0, -r], [r * 0.87, r * 0.5], [-r * 0.87, r * 0.5]],
                "square": [[-r * 0.8, -r * 0.8], [r * 0.8, -r * 0.8], [r * 0.8, r * 0.8], [-r * 0.8, r * 0.8]],
                "arrow": [[-r, -r * 0.25], [0, -r * 0.25], [0, -r * 0.6], [r, 0], [0, r * 0.6], [0, r * 0.25],
                          [-r, r * 0.25]],
            }[m["shape"]]
            pts = place(shape).reshape(-1, 1, 2)
            if m["filled"]:
                cv2.fillPoly(image, [pts], color, cv2.LINE_AA, shift=4)
            else:
                cv2.polylines(image, [pts], True, color, t, cv2.LINE_AA, shift=4)
        else:
            gh = float(m["glyph_height"])
            gw, n = gh * 0.6, len(m["glyphs"])
            for k, glyph in enumerate(m["glyphs"]):
                x0 = (k - n / 2) * gw * 1.25
                pts = place([[x0 + px * gw, (py - 0.5) * gh] for px, py in glyph]).reshape(-1, 1, 2)
                cv2.polylines(image, [pts], False, color, t, cv2.LINE_AA, shift=4)
    return image
