"""``ocr_document``: a printed page. Headings and paragraphs flow down one or more columns with a
chosen line spacing and alignment (left, right, centre or justify) on procedural paper, and the
whole page may be slightly skewed.

Instances are words (category ``word``) with ``attributes``: ``line`` (line index on the page;
a line's text is its words joined by spaces in instance order), ``block`` (heading or paragraph
index), ``role`` (``heading`` or ``body``) and ``legible``, measured on the final picture
(``synthgen.text.legibility``, as in ``ocr_wild``): False, with ``illegible_reason``
``too_small`` or ``low_contrast``, for a word whose tallest glyph is under ``min_legible_size``
pixels or whose ink stands out from the paper around it by less than ``min_legible_contrast``;
then one ``line`` instance per line (``synthgen.text.lines``: the union of its words, a quad
around them, their text).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

import numpy as np

from synthgen.backgrounds import paper_background
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, custom, derived, integer, nested, number, param, within
from synthgen.errors import ConfigError
from synthgen.scene.base import SceneKind
from synthgen.text.corpus import CorpusSettings, corpus_sampler, draw_word, refuse_corpus_keys, resolve_corpus
from synthgen.text.coverage import check_corpus_coverage
from synthgen.text.font_choice import (
    FontsSettings,
    pick_font,
    record_fonts,
    refuse_recognition_font_keys,
    resolve_fonts,
)
from synthgen.text.items import TextItem
from synthgen.text.label import TEXT_LABELS
from synthgen.text.layout import (
    ALIGNS,
    MAX_JUSTIFIED_GAP,
    PlacedWord,
    layout_block,
    line_band,
    word_advance,
    word_items,
)
from synthgen.text.legibility import flag_illegible
from synthgen.types import Layers, SceneSpec

CATEGORIES = ("word", "line")  # the categories its specs hold, in id order


def _justified_gap(value: float, key: str) -> float:
    if not 1 <= value <= 20:
        raise ConfigError(key, f"must be in 1..20 spaces, got {value}")
    return float(value)


class OcrDocumentSettings(Params):
    """``scene.params`` of an ocr_document scene; ``font_paths`` and ``words`` are found at load."""

    width: int = param(600, within(64, 8192), "page width in pixels")
    height: int = param(800, within(64, 8192), "page height in pixels")
    margin: Distribution = param("uniform(0.06, 0.12)", number(0, 0.3), "page margin, in page widths")
    columns: Distribution = param("choice([1, 2], [0.6, 0.4])", integer(1, 6), "text columns")
    gutter: Distribution = param("uniform(0.03, 0.06)", number(0, 0.2), "space between columns, in page widths")
    font_size: Distribution = param("randint(12, 20)", integer(4, 200), "body text, pixels")
    heading_scale: Distribution = param("uniform(1.3, 2.0)", number(1, 5), "heading size / body size")
    heading_probability: float = param(0.35, within(0, 1), "chance that a paragraph is preceded by a heading")
    paragraph_words: Distribution = param("randint(12, 70)", integer(1, 1000), "words per paragraph")
    line_spacing: Distribution = param("uniform(1.0, 1.5)", number(0.8, 4), "line pitch, in line heights")
    paragraph_spacing: Distribution = param("uniform(0.3, 1.2)", number(0, 10), "extra space, in line heights")
    align: Distribution = param(
        "choice([left, justify, right, center], [0.45, 0.4, 0.05, 0.1])", choice(*ALIGNS), "body alignment"
    )
    heading_align: Distribution = param("choice([left, center], [0.7, 0.3])", choice(*ALIGNS), "heading alignment")
    max_justified_gap: float = param(
        MAX_JUSTIFIED_GAP,
        custom(_justified_gap),
        "in spaces: a justified line whose gaps would be wider is set ragged",
    )
    skew: Distribution = param("uniform(-1.5, 1.5)", number(-45, 45), "page rotation, degrees")
    ink_darkness: Distribution = param("uniform(0.0, 0.25)", number(0, 0.5), "text luminance, 0 = black")
    min_legible_size: int = param(6, within(0), "words whose tallest drawn glyph is shorter (px) are illegible")
    min_legible_contrast: float = param(
        0.15, within(0, 1), "drawn text that stands out less from the paper is illegible"
    )
    fonts: FontsSettings = nested(FontsSettings, "the fonts (text/font_choice.py)")
    corpus: CorpusSettings = nested(CorpusSettings, "the words (text/corpus.py)", case="as_is")
    font_paths: tuple[str, ...] = derived((), "the font files of fonts")
    corpus_words: tuple[str, ...] = derived((), "the words of corpus")
    corpus_weights: Optional[np.ndarray] = derived(None, "cumulative, for corpus.sampling: frequency", compare=False)

    def check(self, key: str) -> OcrDocumentSettings:
        refuse_recognition_font_keys(self.fonts, f"{key}.fonts")
        font_paths = resolve_fonts(self.fonts, f"{key}.fonts")
        refuse_corpus_keys(self.corpus, f"{key}.corpus")
        words = resolve_corpus(self.corpus.builtin, self.corpus.file, f"{key}.corpus", p=self.corpus)
        check_corpus_coverage(words, font_paths, f"{key}.corpus")
        weights = corpus_sampler(self.corpus, words, f"{key}.corpus")
        return replace(self, font_paths=font_paths, corpus_words=words, corpus_weights=weights)


def sentences(
    corpus: tuple[str, ...], n: int, rng: np.random.Generator, cumulative: np.ndarray | None = None
) -> list[str]:
    """``n`` words as prose: capitalised sentences of 4-14 words, commas now and then; words drawn
    by ``cumulative`` weights (``corpus_sampler``), uniformly when None."""
    words: list[str] = []
    while len(words) < n:
        length = int(rng.integers(4, 15))
        sentence = [draw_word(corpus, cumulative, rng).lower() for _ in range(length)]
        sentence[0] = sentence[0].capitalize()
        for k in range(1, length - 1):
            if rng.random() < 0.08:
                sentence[k] += ","
        sentence[-1] += "." if rng.random() < 0.85 else rng.choice(["?", "!", ":"])
        words.extend(sentence)
    words = words[:n]
    if words[-1][-1] not in ".?!:":
        words[-1] = words[-1].rstrip(",") + "."
    return words


def break_lines(font: str, size: int, words: list[str], width: float, indent: float = 0.0) -> list[list[str]]:
    """Greedy line breaking: as many words per line as fit in ``width``."""
    space = word_advance(font, size, " ", 0.0)
    lines: list[list[str]] = [[]]
    used = indent
    for w in words:
        adv = word_advance(font, size, w, 0.0)
        if lines[-1] and used + space + adv > width:
            lines.append([])
            used = 0.0
        used += (space if lines[-1] else 0.0) + adv
        lines[-1].append(w)
    return [line for line in lines if line]


def _ink_color(s: OcrDocumentSettings, rng: np.random.Generator) -> tuple[int, int, int]:
    v = float(s.ink_darkness.sample(rng)) * 255
    tint = rng.uniform(-12, 12, 3) * (v / 64)
    return tuple(int(np.clip(round(v + t), 0, 255)) for t in tint)  # type: ignore[return-value]


def _heading_font(s: OcrDocumentSettings, body: str, rng: np.random.Generator) -> str:
    bold = [f for f in s.font_paths if "bold" in f.lower()]
    return bold[int(rng.integers(len(bold)))] if bold and rng.random() < 0.7 else body


def sample(s: OcrDocumentSettings, rng: np.random.Generator) -> SceneSpec:
    """Sample one page: columns, then headings and paragraphs until the columns are full."""
    W, H = s.width, s.height
    margin = float(s.margin.sample(rng)) * W
    n_cols = s.columns.sample(rng)
    gutter = float(s.gutter.sample(rng)) * W
    col_w = (W - 2 * margin - gutter * (n_cols - 1)) / n_cols
    size = s.font_size.sample(rng)
    pitch_factor = float(s.line_spacing.sample(rng))
    align = s.align.sample(rng)
    skew = float(s.skew.sample(rng))
    color = _ink_color(s, rng)
    background = paper_background(rng)
    dropped = {"no_font_coverage": 0}
    page: list[tuple[PlacedWord, dict, str, int]] = []  # word in page coords, attributes, font, size
    col, y = 0, margin
    line_index = block = 0
    body_font = s.font_paths[int(rng.integers(len(s.font_paths)))]
    previous_heading = False
    while col < n_cols and col_w > size * 2:
        # a heading is always followed by a paragraph
        heading = rng.random() < s.heading_probability and not previous_heading
        previous_heading = heading
        if heading:
            font_size = max(int(round(size * float(s.heading_scale.sample(rng)))), size + 1)
            words = sentences(s.corpus_words, int(rng.integers(1, 6)), rng, s.corpus_weights)
            words = [w.rstrip(".,?!:") for w in words]
            words[0] = words[0].capitalize()
            block_align = s.heading_align.sample(rng)
            font = _heading_font(s, body_font, rng)
        else:
            font_size = size
            words = sentences(s.corpus_words, s.paragraph_words.sample(rng), rng, s.corpus_weights)
            block_align = align
            font = body_font
        if not all(pick_font((font,), w, rng) for w in words):
            dropped["no_font_coverage"] += 1
            font = pick_font(s.font_paths, " ".join(words), rng)
            if font is None:
                continue
        band = line_band(font, font_size)
        pitch = band * pitch_factor
        lines = break_lines(font, font_size, words, col_w)
        # Fit whole lines into the rest of the column; the remainder moves to the next column.
        while lines and col < n_cols:
            room = int((H - margin - y - band) // pitch) + 1 if H - margin - y >= band else 0
            if room <= 0:
                col, y = col + 1, margin
                continue
            chunk, lines = lines[:room], lines[room:]
            last_justified = bool(lines)  # a paragraph broken across columns stays justified
            placed, _ = layout_block(
                font,
                font_size,
                chunk,
                block_align,
                pitch,
                col_w,
                last_line_justified=last_justified,
                max_justified_gap=s.max_justified_gap,
            )
            x0 = margin + col * (col_w + gutter)
            for wd in placed:
                moved = PlacedWord(wd.text, wd.ink + np.array([x0, y, x0, y]), wd.line)
                attrs = {
                    "legible": True,  # measured on the final picture (``measure``)
                    "line": line_index + wd.line,
                    "block": block,
                    "role": "heading" if heading else "body",
                }
                page.append((moved, attrs, font, font_size))
            line_index += len(chunk)
            y += len(chunk) * pitch
            if lines:
                col, y = col + 1, margin
        y += band * (float(s.paragraph_spacing.sample(rng)) if not heading else 0.3)
        block += 1
    items: list[TextItem] = []
    page_box = np.array([0.0, 0.0, float(W), float(H)])
    for wd, attrs, font, font_size in page:
        common = dict(font_path=font, font_size=font_size, color=color, category="word")
        items += word_items([wd], page_box, (W / 2, H / 2), skew, None, len(items) + 1, common, [attrs])
    return SceneSpec(
        kind="ocr_document",
        width=W,
        height=H,
        background=background,
        items=record_fonts(items, s.fonts.record),
        categories=CATEGORIES,
        params={"columns": n_cols, "align": align, "font_size": size, "skew": round(skew, 3)},
        dropped={k: v for k, v in dropped.items() if v},
    )


def measure(s: OcrDocumentSettings, spec: SceneSpec, layers: Layers) -> tuple[Layers, dict[str, int]]:
    """Flag the words too small or too faint to read in the final picture (``ocr_wild.measure``)."""
    ids = tuple(item.instance_id for item in spec.items)
    return flag_illegible(layers, ids, s.min_legible_size, s.min_legible_contrast)


SCENE = SceneKind(
    sample, lambda settings: CATEGORIES, ("text2d",), TEXT_LABELS, measure=measure, params=OcrDocumentSettings
)
