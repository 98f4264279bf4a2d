"""``ocr_wild``: text detection in the wild. Blocks of one or more lines of words on photo-like
backgrounds (a folder of photos, or procedural blobs, noise, gradients and paper), each block in
its own font, size, colour, rotation, perspective and style, with no two blocks overlapping.

Colours are chosen against the *local* background: the scene draws the background itself (the
same pure function the renderer uses), measures the luminance of the pixels under the block's
footprint and picks a text colour whose luminance is at least ``min_contrast`` away from the 5th
to 95th percentile of it; a footprint too busy for any colour is tried elsewhere.

Instances are words (category ``word``) with ``attributes``: ``line`` (line index in the image,
shared by the words of one line, so a line's text is its words joined by spaces in instance
order), ``block`` and ``legible``, measured on the final picture (``synthgen.text.legibility``):
False, with ``illegible_reason`` ``too_small`` or ``low_contrast``, for a word whose tallest glyph
is under ``min_legible_size`` pixels or whose drawn text (ink, outline, shadow) stands out from
its background by less than ``min_legible_contrast``, as the ``faint_probability`` share of
blocks drawn on purpose with little contrast mostly do (ICDAR ``###`` don't-care regions; a faint
word behind a contrasting shadow reads and stays legible); then one ``line`` instance per line
(``synthgen.text.lines``: the union of its words, a quad around them, their text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

import numpy as np

from synthgen.backgrounds import BackgroundSchema, BackgroundSettings, background_from_config, sample_background
from synthgen.backgrounds.colors import luminance
from synthgen.config.distributions import Distribution, parse_checked, parse_value
from synthgen.errors import ConfigError
from synthgen.scene.base import SceneKind
from synthgen.text.charsets import CASES, apply_case
from synthgen.text.contrast import contrasting_color, luminance_image
from synthgen.text.corpus import CorpusSchema, corpus_sampler, draw_word, resolve_corpus
from synthgen.text.coverage import check_corpus_coverage
from synthgen.text.font_choice import FontsSchema, pick_font, record_fonts, refuse_recognition_font_keys, resolve_fonts
from synthgen.text.glyphs import box_corners, curve_run, layout_run
from synthgen.text.items import TextItem
from synthgen.text.label import TEXT_LABELS
from synthgen.text.layout import (
    ALIGNS,
    apply_homography,
    block_box,
    block_to_image,
    layout_block,
    line_band,
    perspective_jitter,
    word_items,
)
from synthgen.text.legibility import flag_illegible
from synthgen.text.scenes import MAX_PLACEMENT_ATTEMPTS
from synthgen.text.styles import StyleSchema, StyleSettings, sample_style, style_from_config
from synthgen.types import Layers, SceneSpec

CATEGORIES = ("word", "line")  # the categories its specs hold, in id order


@dataclass
class OcrWildSchema:
    width: int = 640
    height: int = 480
    blocks: Union[int, str] = "randint(4, 10)"  # text blocks sampled per image
    lines: Union[int, str] = "choice([1, 2, 3], [0.6, 0.25, 0.15])"  # lines per block
    words_per_line: Union[int, str] = "randint(1, 4)"
    font_size: Union[int, str] = "randint(14, 48)"  # pixels
    line_spacing: Union[int, float, str] = "uniform(1.0, 1.3)"  # line pitch, in line heights
    align: str = "choice([left, center, right])"
    min_contrast: float = 0.35  # luminance gap between text and the background under it, 0..1
    min_legible_size: int = 6  # words whose tallest drawn glyph is shorter (px) are flagged legible: false
    min_legible_contrast: float = 0.15  # drawn text that stands out less from its background is flagged
    faint_probability: float = 0.05  # share of blocks drawn with little contrast (measured: mostly illegible)
    margin: int = 4  # free pixels around every block
    placement_attempts: int = 30
    fonts: FontsSchema = field(default_factory=FontsSchema)
    corpus: CorpusSchema = field(default_factory=CorpusSchema)
    background: BackgroundSchema = field(default_factory=BackgroundSchema)
    style: StyleSchema = field(default_factory=StyleSchema)


@dataclass(frozen=True)
class OcrWildSettings:
    width: int
    height: int
    blocks: Distribution
    lines: Distribution
    words_per_line: Distribution
    font_size: Distribution
    line_spacing: Distribution
    align: Distribution
    case: Distribution
    min_contrast: float
    min_legible_size: int
    min_legible_contrast: float
    faint_probability: float
    margin: int
    placement_attempts: int
    font_paths: tuple[str, ...]
    record_font: bool
    corpus: tuple[str, ...]
    background: BackgroundSettings
    style: StyleSettings
    corpus_weights: np.ndarray | None = field(default=None, compare=False)  # cumulative, corpus.sampling: frequency


def from_config(p: OcrWildSchema, key: str) -> OcrWildSettings:
    """Check ``scene.params`` of an ocr_wild scene."""
    for name in ("width", "height"):
        if not 16 <= getattr(p, name) <= 8192:
            raise ConfigError(f"{key}.{name}", f"must be in 16..8192, got {getattr(p, name)}")

    def dist(name: str, kind: str, low: float, high: float | None) -> Distribution:
        return parse_checked(getattr(p, name), f"{key}.{name}", kind, low, high)

    if not 0 <= p.min_contrast <= 1:
        raise ConfigError(f"{key}.min_contrast", f"must be in 0..1, got {p.min_contrast}")
    if not 0 <= p.min_legible_contrast <= 1:
        raise ConfigError(f"{key}.min_legible_contrast", f"must be in 0..1, got {p.min_legible_contrast}")
    if not 0 <= p.faint_probability <= 1:
        raise ConfigError(f"{key}.faint_probability", f"must be in 0..1, got {p.faint_probability}")
    if p.margin < 0:
        raise ConfigError(f"{key}.margin", f"must be >= 0, got {p.margin}")
    if not 1 <= p.placement_attempts <= MAX_PLACEMENT_ATTEMPTS:
        raise ConfigError(
            f"{key}.placement_attempts", f"must be in 1..{MAX_PLACEMENT_ATTEMPTS}, got {p.placement_attempts}"
        )
    refuse_recognition_font_keys(p.fonts, f"{key}.fonts")
    style = style_from_config(p.style, f"{key}.style")
    glyph_key = style.uses_glyph_keys()
    if glyph_key is not None:
        raise ConfigError(
            f"{key}.style.{glyph_key}", "only ocr_recognition draws it so far; leave it at its default here"
        )
    font_paths = resolve_fonts(p.fonts, f"{key}.fonts")
    corpus = resolve_corpus(p.corpus.builtin, p.corpus.file, f"{key}.corpus", p=p.corpus)
    check_corpus_coverage(corpus, font_paths, f"{key}.corpus")
    if p.min_legible_size < 0:
        raise ConfigError(f"{key}.min_legible_size", f"must be >= 0, got {p.min_legible_size}")
    return OcrWildSettings(
        width=p.width,
        height=p.height,
        blocks=dist("blocks", "int", 0, 1000),
        lines=dist("lines", "int", 1, 100),
        words_per_line=dist("words_per_line", "int", 1, 100),
        font_size=dist("font_size", "int", 4, 1000),
        line_spacing=dist("line_spacing", "float", 0.8, 5),
        align=parse_value(p.align, f"{key}.align", "str", ALIGNS),
        case=parse_value(p.corpus.case, f"{key}.corpus.case", "str", CASES),
        min_contrast=p.min_contrast,
        min_legible_size=p.min_legible_size,
        min_legible_contrast=p.min_legible_contrast,
        faint_probability=p.faint_probability,
        margin=p.margin,
        placement_attempts=p.placement_attempts,
        font_paths=font_paths,
        record_font=p.fonts.record,
        corpus=corpus,
        background=background_from_config(p.background, f"{key}.background"),
        style=style,
        corpus_weights=corpus_sampler(p.corpus, corpus, f"{key}.corpus"),
    )


def footprint_luminance(lum: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Luminance values of the pixels whose centres lie inside a corner-convention polygon."""
    import cv2

    h, w = lum.shape
    x0, y0 = np.floor(polygon.min(axis=0)).astype(int)
    x1, y1 = np.ceil(polygon.max(axis=0)).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    pts = np.rint((polygon - [x0 + 0.5, y0 + 0.5]) * 16).astype(np.int32)
    cv2.fillPoly(mask, [pts], 1, cv2.LINE_8, shift=4)
    return lum[y0:y1, x0:x1][mask.astype(bool)]


def _overlaps(quad: np.ndarray, placed: list[np.ndarray]) -> bool:
    import cv2

    q = quad.astype(np.float32)
    return any(cv2.intersectConvexConvex(q, other.astype(np.float32))[0] > 0 for other in placed)


def _faint_color(rng: np.random.Generator, low: float, high: float) -> tuple[int, int, int]:
    """A grey within 0.08 of the background's middle luminance: present, but hard to read."""
    mid = (low + high) / 2 + rng.uniform(-0.08, 0.08)
    v = int(np.clip(round(mid * 255), 0, 255))
    return (v, v, v)


def sample_words(s: OcrWildSettings, n_lines: int, n_words: int, rng: np.random.Generator) -> list[list[str]]:
    case = s.case.sample(rng)  # one case per block, as on signs
    return [
        [apply_case(draw_word(s.corpus, s.corpus_weights, rng), case) for _ in range(n_words)] for _ in range(n_lines)
    ]


def sample(s: OcrWildSettings, rng: np.random.Generator) -> SceneSpec:
    """Sample the blocks of one image and place them without overlap, readable against the local background."""
    from synthgen.backgrounds import render_background  # the very pixels the renderer draws

    background = sample_background(s.background, s.width, s.height, rng)
    lum = luminance_image(render_background(background, s.width, s.height))
    n_blocks = s.blocks.sample(rng)
    items: list[TextItem] = []
    placed: list[np.ndarray] = []
    dropped = {"no_font_coverage": 0, "no_room": 0, "too_large": 0, "low_contrast": 0}
    line_index = 0
    for block in range(n_blocks):
        n_lines = s.lines.sample(rng)
        lines = sample_words(s, n_lines, s.words_per_line.sample(rng), rng)
        text = " ".join(" ".join(line) for line in lines)
        font = pick_font(s.font_paths, text, rng)
        size = s.font_size.sample(rng)
        band = line_band(font, size) if font else 0.0
        style = sample_style(s.style, rng, band, curved_ok=n_lines == 1 and len(lines[0]) == 1)
        pitch = band * float(s.line_spacing.sample(rng))
        align = s.align.sample(rng)
        faint = rng.random() < s.faint_probability
        if font is None:
            dropped["no_font_coverage"] += 1
            continue
        jitter = style.pop("corner_offsets")
        angle = style.pop("angle")
        if style["curve"] != "none":
            run = layout_run(font, size, lines[0][0], style["letter_spacing"], style["stroke_width"])
            curved = curve_run(run, style["curve"], style["curve_amount"], style["curve_period"])
            words_box = curved.ink  # the renderer centres the curved ink box on the item's centre
        else:
            words, _ = layout_block(
                font, size, lines, align, pitch, None, style["letter_spacing"], style["stroke_width"]
            )
            words_box = block_box(words)
        m = s.margin + (max(abs(style["shadow"][0]), abs(style["shadow"][1])) if style["shadow"] else 0.0)
        amount = max((abs(v) for xy in jitter for v in xy), default=0.0) if jitter else 0.0
        w = words_box[2] - words_box[0] + 2 * (m + amount)
        h = words_box[3] - words_box[1] + 2 * (m + amount)
        if w > s.width or h > s.height:
            dropped["too_large"] += 1
            continue
        outcome = "no_room"
        for _attempt in range(s.placement_attempts):
            center = (float(rng.uniform(0, s.width)), float(rng.uniform(0, s.height)))
            to_image = block_to_image(words_box, center, angle)
            quad = to_image(box_corners(words_box + np.array([-m, -m, m, m])))
            homography = perspective_jitter(quad, amount, rng)
            quad = apply_homography(homography, quad)
            if quad.min() < 0 or quad[:, 0].max() > s.width or quad[:, 1].max() > s.height or _overlaps(quad, placed):
                continue
            values = footprint_luminance(lum, quad)
            low, high = (float(v) for v in np.percentile(values, [5, 95])) if values.size else (0.0, 1.0)
            color = _faint_color(rng, low, high) if faint else contrasting_color(rng, low, high, s.min_contrast)
            if color is None:
                outcome = "low_contrast"
                continue
            placed.append(quad)
            stroke_color = (
                (contrasting_color(rng, low, high, s.min_contrast, like=color) or color)
                if style["stroke_width"] and not faint
                else color
            )
            common = dict(
                font_path=font,
                font_size=size,
                color=color,
                category="word",
                stroke_color=stroke_color,
                shadow_color=(0, 0, 0) if luminance(color) > (low + high) / 2 else (255, 255, 255),
                **style,
            )
            if style["curve"] != "none":
                new = [
                    TextItem(
                        instance_id=len(items) + 1,
                        text=lines[0][0],
                        angle=angle,
                        center=center,
                        corner_offsets=_offsets(homography, to_image(box_corners(words_box))),
                        attributes={"line": line_index, "block": block},
                        **common,
                    )
                ]
                line_index += 1
            else:
                attrs = [{"line": line_index + wd.line, "block": block} for wd in words]
                new = word_items(words, words_box, center, angle, homography, len(items) + 1, common, attrs)
                line_index += n_lines
            items.extend(new)
            break
        else:
            dropped[outcome] += 1
    return SceneSpec(
        kind="ocr_wild",
        width=s.width,
        height=s.height,
        background=background,
        items=record_fonts(items, s.record_font),
        categories=CATEGORIES,
        params={"blocks_sampled": n_blocks, "background": background["kind"]},
        dropped={k: v for k, v in dropped.items() if v},
    )


def _offsets(homography: np.ndarray | None, corners: np.ndarray):
    if homography is None:
        return None
    moved = apply_homography(homography, corners)
    return tuple((round(float(dx), 3), round(float(dy), 3)) for dx, dy in moved - corners)


def measure(s: OcrWildSettings, spec: SceneSpec, layers: Layers) -> tuple[Layers, dict[str, int]]:
    """Flag the words too small or too faint to read in the final picture (kept as ICDAR ``###``,
    skipped by the recognition writer) and count them by reason (``illegible_<reason>``)."""
    ids = tuple(item.instance_id for item in spec.items)
    return flag_illegible(layers, ids, s.min_legible_size, s.min_legible_contrast)


SCENE = SceneKind(
    OcrWildSchema, from_config, sample, lambda settings: CATEGORIES, ("text2d",), TEXT_LABELS, measure=measure
)
