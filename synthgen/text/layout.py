"""Lines and blocks of words laid out in a block's own frame, then placed in the image as word
TextItems (one instance per word) that share the block's rotation and perspective.

Block frame: pixels, x right, y down, origin at the top-left of the block's first line band.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthgen.text import fonts, shaping
from synthgen.text.glyphs import box_corners, layout_run
from synthgen.text.items import TextItem

ALIGNS = ("left", "center", "right", "justify")
# The widest word gap of a justified line, in spaces: past it the line is set ragged. Word spaces
# of justified print run to about twice the normal space; 2.5 leaves room for narrow columns.
MAX_JUSTIFIED_GAP = 2.5


@dataclass(frozen=True)
class PlacedWord:
    """A word in its block's frame.

    Attributes:
        text: the word.
        ink: (4,) float64 ink box (left, top, right, bottom) in the block frame.
        line: line index inside the block.
    """

    text: str
    ink: np.ndarray
    line: int


def word_advance(font_path: str, size: int, word: str, letter_spacing: float) -> float:
    """Pen advance of a word drawn with ``letter_spacing`` after every character (after every glyph
    cluster for text that needs shaping, ``shaping.needs_shaping``)."""
    if shaping.needs_shaping(word):
        run = shaping.shape(font_path, size, word)
        return run.advance / 64 + letter_spacing * len(run.clusters)
    return fonts.load_font(font_path, size).getlength(word) + letter_spacing * len(word)


def line_band(font_path: str, size: int) -> float:
    ascent, descent = fonts.load_font(font_path, size).getmetrics()
    return float(ascent + descent)


def layout_block(
    font_path: str,
    size: int,
    lines: list[list[str]],
    align: str,
    line_pitch: float,
    width: float | None = None,
    letter_spacing: float = 0.0,
    stroke_width: int = 0,
    last_line_justified: bool = False,
    max_justified_gap: float = MAX_JUSTIFIED_GAP,
) -> tuple[list[PlacedWord], float]:
    """Lay out lines of words.

    Args:
        lines: the words of each line.
        align: left, center, right or justify (justify stretches the gaps of every line but
            the last, unless ``last_line_justified``); for a right-to-left line left and right
            mean start and end, so it is mirrored.
        line_pitch: baseline-to-baseline distance in pixels.
        width: the block width; None = the widest line.
        max_justified_gap: the widest word gap a justified line may get, in spaces of the font; a
            line whose gaps would be wider is set ragged (at its start), as typesetters do: in
            narrow columns the stretched gaps split a line into words for a text detector.

    Returns:
        The words, and the block width.
    """
    space = word_advance(font_path, size, " ", letter_spacing)
    advances = [[word_advance(font_path, size, w, letter_spacing) for w in line] for line in lines]
    natural = [sum(a) + space * (len(a) - 1) for a in advances]
    block_w = max(natural, default=0.0) if width is None else width
    placed: list[PlacedWord] = []
    for li, (line, adv) in enumerate(zip(lines, advances)):
        gap = space
        stretch = align == "justify" and len(line) > 1 and (li < len(lines) - 1 or last_line_justified)
        if stretch:
            gap = (block_w - sum(adv)) / (len(line) - 1)
            if gap > max_justified_gap * space:
                stretch, gap = False, space  # ragged: justify's unstretched lines start at the start
        # a right-to-left line puts its first word at the right (words stay in reading order) and
        # reads left and right as start and end: its left-aligned or unstretched justified lines
        # end at the right edge
        joined = " ".join(line)
        rtl = shaping.needs_shaping(joined) and shaping.paragraph_rtl(joined)
        line_align = {"left": "right", "right": "left", "justify": "right"}.get(align, align) if rtl else align
        x = {"left": 0.0, "center": (block_w - natural[li]) / 2, "right": block_w - natural[li]}.get(line_align, 0.0)
        if stretch:
            x = 0.0
        y = li * line_pitch
        order = range(len(line) - 1, -1, -1) if rtl else range(len(line))
        starts = {}
        for k in order:
            starts[k] = x
            x += adv[k] + gap
        for k, word in enumerate(line):
            run = layout_run(font_path, size, word, letter_spacing, stroke_width)
            placed.append(PlacedWord(word, run.ink + np.array([starts[k], y, starts[k], y]), li))
    return placed, block_w


def block_box(words: list[PlacedWord]) -> np.ndarray:
    """(4,) box around the ink of all the words."""
    inks = np.array([w.ink for w in words])
    return np.array([inks[:, 0].min(), inks[:, 1].min(), inks[:, 2].max(), inks[:, 3].max()])


def rotation(angle: float) -> np.ndarray:
    """2x2 matrix turning offsets ``angle`` degrees counter-clockwise on screen (y down)."""
    t = math.radians(angle)
    c, s = math.cos(t), math.sin(t)
    return np.array([[c, s], [-s, c]])


def block_to_image(box: np.ndarray, center: tuple[float, float], angle: float):
    """Map (N, 2) block-frame points to the image: ``box`` centre to ``center``, turned by ``angle``."""
    rot = rotation(angle)
    mid = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])

    def apply(pts: np.ndarray) -> np.ndarray:
        return (np.asarray(pts, np.float64) - mid) @ rot.T + np.asarray(center)

    return apply


def perspective_jitter(quad: np.ndarray, amount: float, rng: np.random.Generator) -> np.ndarray | None:
    """A 3x3 homography (point convention) moving each corner of ``quad`` up to ``amount`` px, or None."""
    import cv2

    if amount <= 0:
        return None
    dst = quad + rng.uniform(-amount, amount, (4, 2))
    return cv2.getPerspectiveTransform(quad.astype(np.float32), dst.astype(np.float32)).astype(np.float64)


def apply_homography(h: np.ndarray | None, pts: np.ndarray) -> np.ndarray:
    if h is None:
        return pts
    proj = np.hstack([pts, np.ones((len(pts), 1))]) @ h.T
    return proj[:, :2] / proj[:, 2:3]


def word_items(
    words: list[PlacedWord],
    box: np.ndarray,
    center: tuple[float, float],
    angle: float,
    homography: np.ndarray | None,
    first_id: int,
    common: dict[str, Any],
    attributes: list[dict[str, Any]],
) -> list[TextItem]:
    """One TextItem per word, turned and warped with its block.

    Args:
        words, box: the block layout and its box.
        center, angle: where the block's box centre goes, and its rotation.
        homography: the block's perspective warp in image points, or None.
        first_id: the instance id of the first word.
        common: TextItem fields shared by all words (font_path, font_size, color, ...).
        attributes: per-word attributes.
    """
    to_image = block_to_image(box, center, angle)
    items = []
    for k, (word, attrs) in enumerate(zip(words, attributes)):
        ink_c = np.array([[(word.ink[0] + word.ink[2]) / 2, (word.ink[1] + word.ink[3]) / 2]])
        c = to_image(ink_c)[0]
        offsets = None
        if homography is not None:
            corners = to_image(box_corners(word.ink))
            moved = apply_homography(homography, corners)
            offsets = tuple((round(float(dx), 3), round(float(dy), 3)) for dx, dy in moved - corners)
        items.append(
            TextItem(
                instance_id=first_id + k,
                text=word.text,
                angle=angle,
                center=(float(c[0]), float(c[1])),
                corner_offsets=offsets,
                attributes=attrs,
                **common,
            )
        )
    return items
