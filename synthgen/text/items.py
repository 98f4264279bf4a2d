"""What the text renderers draw: one run of text per ``TextItem`` (a SceneSpec item)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synthgen.text.handwriting import HandStyle


@dataclass(frozen=True)
class TextItem:
    """One run of text to draw (a SceneSpec item for the ``text2d`` renderer).

    Attributes:
        instance_id: id of its pixels in ``Layers.instance_id`` (1-based).
        text: the characters to draw.
        font_path: TrueType/OpenType file that covers every character of ``text``.
        font_size: pixel size.
        color: (r, g, b) 0..255.
        angle: counter-clockwise rotation in degrees about the centre of the ink box.
        center: (x, y) image position of the centre of the ink box, in pixels.
        category: category name of the instance.
        letter_spacing: extra pixels added after every character (may be negative).
        stroke_width: outline width in pixels (0 = none), drawn in ``stroke_color`` under the fill.
        stroke_color: (r, g, b) of the outline.
        shadow: ``(dx, dy, blur_sigma, opacity)`` drop shadow in image pixels, or None. Shadow pixels
            are not the text's pixels: they stay background in ``instance_id``.
        shadow_color: (r, g, b) of the shadow.
        curve: baseline shape: ``"none"``, ``"arc"`` (circle of signed curvature ``curve_amount``,
            1/px, positive bends the ends down) or ``"wave"`` (sine of amplitude ``curve_amount`` px
            and wavelength ``curve_period`` px). Curved text is drawn glyph by glyph along the curve.
        curve_amount, curve_period: see ``curve``.
        corner_offsets: ((dx, dy) x 4) pixel displacements of the placed ink-box corners (clockwise
            from top-left) that define a perspective warp, or None for a plain rotation.
        weight: strokes thickened (> 0) or thinned (< 0) by this many pixels, a multiple of 1/4
            (``glyphs.glyph``).
        jitter: per non-space character ``(dx, dy, scale, angle)`` (pixels, factor, degrees
            counter-clockwise about the glyph's ink centre): handwriting-like jitter, or None.
        slant: shear of the text about its baseline in degrees (positive leans right).
        label_box: (left, top, right, bottom) image box reported as the instance's quad instead of
            the ink quad (a recognition crop labels its whole frame), or None.
        hand: the writer of handwritten text (``synthgen.text.handwriting``: centre lines drawn by a
            pen model instead of the font's filled outlines), or None for typed text.
        attributes: JSON-able attributes copied onto the instance (``legible``, ``line``, ...).
    """

    instance_id: int
    text: str
    font_path: str
    font_size: int
    color: tuple[int, int, int]
    angle: float
    center: tuple[float, float]
    category: str = "text"
    letter_spacing: float = 0.0
    stroke_width: int = 0
    stroke_color: tuple[int, int, int] = (0, 0, 0)
    shadow: tuple[float, float, float, float] | None = None
    shadow_color: tuple[int, int, int] = (0, 0, 0)
    curve: str = "none"
    curve_amount: float = 0.0
    curve_period: float = 0.0
    corner_offsets: tuple[tuple[float, float], ...] | None = None
    label_box: tuple[float, float, float, float] | None = None
    weight: float = 0.0
    jitter: tuple[tuple[float, float, float, float], ...] | None = None
    slant: float = 0.0
    hand: HandStyle | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
