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
is under ``min_legible_size`` pixels or whose ink no grey level separates from the pixels around
it by ``min_legible_contrast`` (ICDAR ``###`` don't-care regions). The ``faint_probability``
share of blocks drawn on purpose with little contrast are hard examples: on a clean background
they stay legible (a reader trained on real images reads most of them), under noise or blotches
as strong as their gap they are flagged; then one ``line`` instance per line
(``synthgen.text.lines``: the union of its words, a quad around them, their text).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

import numpy as np

from synthgen.backgrounds import BackgroundSettings, sample_background
from synthgen.backgrounds.colors import luminance
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, derived, integer, nested, number, param, within
from synthgen.errors import ConfigError
from synthgen.scene.base import SceneKind
from synthgen.text.charsets import apply_case
from synthgen.text.contrast import contrasting_color, luminance_image
from synthgen.text.corpus import CorpusSettings, corpus_sampler, draw_word, resolve_corpus
from synthgen.text.coverage import check_corpus_coverage
from synthgen.text.font_choice import (
    FontsSettings,
    pick_font,
    record_fonts,
    refuse_recognition_font_keys,
    resolve_fonts,
)
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
from synthgen.text.styles import StyleSettings, sample_style
from synthgen.types import Layers, SceneSpec

CATEGORIES = ("word", "line")  # the categories its specs hold, in id order


class OcrWildSettings(Params):
    """``scene.params`` of an ocr_wild scene; the font files and the corpus's words are found at load."""

    width: int = param(640, within(16, 8192), "image width in pixels")
    height: int = param(480, within(16, 8192), "image height in pixels")
    blocks: Distribution = param("randint(4, 10)", integer(0, 1000), "text blocks sampled per image")
    lines: Distribution = param("choice([1, 2, 3], [0.6, 0.25, 0.15])", integer(1, 100), "lines per block")
    words_per_line: Distribution = param("randint(1, 4)", integer(1, 100), "words per line")
    font_size: Distribution = param("randint(14, 48)", integer(4, 1000), "pixels")
    line_spacing: Distribution = param("uniform(1.0, 1.3)", number(0.8, 5), "line pitch, in line heights")
    align: Distribution = param("choice([left, center, right])", choice(*ALIGNS), "alignment of a block's lines")
    min_contrast: float = param(0.35, within(0, 1), "luminance gap between text and the background under it")
    min_legible_size: int = param(6, within(0), "words whose tallest drawn glyph is shorter (px) are illegible")
    min_legible_contrast: float = param(0.15, within(0, 1), "drawn text that stands out less is illegible")
    faint_probability: float = param(0.05, within(0, 1), "share of blocks drawn with little contrast")
    margin: int = param(4, within(0), "free pixels around every block")
    placement_attempts: int = param(30, within(1, MAX_PLACEMENT_ATTEMPTS), "positions tried per block")
    fonts: FontsSettings = nested(FontsSettings, "the fonts (text/font_choice.py)")
    corpus: CorpusSettings = nested(CorpusSettings, "the words (text/corpus.py)")
    background: BackgroundSettings = nested(BackgroundSettings, "the background under the text")
    style: StyleSettings = nested(StyleSettings, "text style (text/styles.py)")
    font_paths: tuple[str, ...] = derived((), "the font files of fonts")
    corpus_words: tuple[str, ...] = derived((), "the words of corpus")
    corpus_weights: Optional[np.ndarray] = derived(None, "cumulative, for corpus.sampling: frequency", compare=False)

    def check(self, key: str) -> OcrWildSettings:
        refuse_recognition_font_keys(self.fonts, f"{key}.fonts")
        glyph_key = self.style.uses_glyph_keys()
        if glyph_key is not None:
            raise ConfigError(
                f"{key}.style.{glyph_key}", "only ocr_recognition draws it so far; leave it at its default here"
            )
        font_paths = resolve_fonts(self.fonts, f"{key}.fonts")
        words = resolve_corpus(self.corpus.builtin, self.corpus.file, f"{key}.corpus", p=self.corpus)
        check_corpus_coverage(words, font_paths, f"{key}.corpus")
        return replace(
            self,
            font_paths=font_paths,
            corpus_words=words,
            corpus_weights=corpus_sampler(self.corpus, words, f"{key}.corpus"),
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
    case = s.corpus.case.sample(rng)  # one case per block, as on signs
    return [
        [apply_case(draw_word(s.corpus_words, s.corpus_weights, rng), case) for _ in range(n_words)]
        for _ in range(n_lines)
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
        items=record_fonts(items, s.fonts.record),
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
    sample, lambda settings: CATEGORIES, ("text2d",), TEXT_LABELS, measure=measure, params=OcrWildSettings
)
