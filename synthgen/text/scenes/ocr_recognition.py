"""``ocr_recognition``: one word or line per image, a crop of fixed height and variable width for
training text recognisers.

The text comes from the corpus (``source: word``; ``words: 3`` makes lines) or from the pattern
language of ``synthgen.text.patterns`` (``source: pattern``), restricted to a charset that is
checked at load time (every pattern's alphabet must lie inside it; corpus words outside it are
left out). The font is sized so the text's line band fills the crop height minus the padding;
the crop is as wide as the placed text plus the padding, up to ``max_width`` (the font shrinks
to fit). The image is the crop: its one instance is labelled with the whole frame as its quad
(what a recognition-crop writer cuts out), with tight per-character quads.

Legibility is measured on the final crop (``synthgen.text.legibility``, after generate and
augment): a crop whose tallest glyph is under ``min_legible_size`` pixels or whose ink stands out
from the pixels around it by less than ``min_legible_contrast`` is flagged ``legible: false``
with its ``illegible_reason``, counted, and skipped by the recognition writer.

``handwriting.probability`` > 0 writes that share of the crops by hand (``synthgen.text.handwriting``:
the face's centre lines drawn by a pen model, on the scene's background or on plain or ruled paper).
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Optional

import numpy as np

from synthgen.backgrounds import BackgroundSettings, sample_background
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, derived, integer, nested, number, one_of, param, within
from synthgen.errors import ConfigError
from synthgen.scene.base import SceneKind
from synthgen.text import fonts
from synthgen.text.charsets import fit_case, resolve_charset
from synthgen.text.contrast import contrasting_color, luminance_percentiles
from synthgen.text.corpus import CorpusSettings, corpus_sampler, draw_word, resolve_corpus
from synthgen.text.coverage import check_corpus_coverage
from synthgen.text.font_choice import FontsSettings, pick_font, resolve_font_weights, resolve_fonts
from synthgen.text.glyphs import box_corners, layout_run, place_run
from synthgen.text.handwriting import (
    HandwritingSettings,
    estimated_ink,
    hand_paper,
    hand_plane,
    sample_hand,
    typed_style_off,
)
from synthgen.text.items import TextItem
from synthgen.text.label import TEXT_LABELS
from synthgen.text.legibility import flag_illegible
from synthgen.text.mixes import DEFAULT_MIX, StringMix, build_mix
from synthgen.text.patterns import Pattern, compile_pattern
from synthgen.text.sizing import font_size_for_glyph, font_size_for_height
from synthgen.text.styles import StyleSettings, sample_style
from synthgen.types import Layers, SceneSpec

CATEGORIES = ("word", "line")  # the categories its specs hold, in id order

SOURCES = ("word", "pattern", "mixed")
SIZE_BY = ("line", "cap", "digit")
SIZE_GLYPH = {"cap": "H", "digit": "0"}  # the glyph whose ink height is measured
POLARITIES = ("any", "dark", "light")
BUSY = ("flag", "outline")
UNICASE = ("skip", "upper")
TEXT_TRIES = 10  # texts tried per sample before the sample is left empty


class RecognitionTextSettings(Params):
    """``text:``: where the transcriptions come from."""

    source: Distribution = param(
        "choice([word, pattern], [0.7, 0.3])", choice(*SOURCES), "word (from the corpus) | pattern | mixed"
    )
    words: Distribution = param(1, integer(1, 50), "corpus words per crop; > 1 gives a line")
    patterns: tuple[str, ...] = param(
        ["[A-Z]{3}-[0-9]{4}", "{date}", "{price}"], None, "texts of the pattern language (text/patterns.py)"
    )
    charset: str = param("latin", None, "digits, upper, lower, alnum, latin, plates, ascii or chars:<characters>")
    mix: dict[str, float] = param(
        dict(DEFAULT_MIX),
        None,
        "source mixed: kind -> weight (lower, title, upper, number, punctuated, date, price, code; text/mixes.py)",
    )


class OcrRecognitionSettings(Params):
    """``scene.params`` of an ocr_recognition scene; the charset, patterns, fonts, corpus and string
    mix are resolved and checked at load (the ``derived`` fields)."""

    height: int = param(32, within(8, 512), "crop height in pixels")
    max_width: int = param(512, None, "widest crop in pixels, height..8192")
    padding: Distribution = param("uniform(0.05, 0.15)", number(0, 0.4), "around the text, in crop heights")
    min_contrast: float = param(0.4, within(0, 1), "luminance gap between text and background")
    # line: the font's line band fills the crop; cap / digit: the height of "H" / "0" is
    # glyph_height of it (fonts whose capitals fill 60 % or 75 % of their band come out alike)
    size_by: Distribution = param("line", choice(*SIZE_BY), "what fills the crop: line, cap or digit")
    glyph_height: Distribution = param("uniform(0.6, 0.75)", number(0.2, 1.0), "in crop heights minus padding")
    polarity: Distribution = param(
        "any", choice(*POLARITIES), "dark (text darker than the background), light or any; a choice([...]) weighs them"
    )
    busy_background: str = param(
        "flag", one_of(*BUSY), "no colour stands out: flag (the best grey) or outline (with a contrasting outline)"
    )
    min_legible_size: int = param(7, within(0), "crops whose tallest drawn glyph is shorter (px) are illegible")
    min_legible_contrast: float = param(0.15, within(0, 1), "drawn text that stands out less is illegible")
    unicase: str = param(
        "skip", one_of(*UNICASE), "unicase fonts and text with lower case: skip the font, or upper (the label)"
    )
    text: RecognitionTextSettings = nested(RecognitionTextSettings, "where the transcriptions come from")
    fonts: FontsSettings = nested(FontsSettings, "the fonts (text/font_choice.py)")
    corpus: CorpusSettings = nested(CorpusSettings, "the words (text/corpus.py)")
    background: BackgroundSettings = nested(
        BackgroundSettings, "the background behind the text", kind="choice([solid, gradient, noise, paper])"
    )
    style: StyleSettings = nested(StyleSettings, "text style (text/styles.py)")
    handwriting: HandwritingSettings = nested(HandwritingSettings, "stroke-based handwriting (text/handwriting.py)")
    charset: str = derived("", "the characters of text.charset")
    patterns: tuple[Pattern, ...] = derived((), "text.patterns compiled")
    font_paths: tuple[str, ...] = derived((), "the font files of fonts")
    font_weights: Optional[tuple[float, ...]] = derived(None, "sampling weights of font_paths (None: uniform)")
    unicase_fonts: frozenset[str] = derived(frozenset(), "the fonts that draw capitals for lower case")
    cased_fonts: tuple[str, ...] = derived((), "the others")
    cased_weights: Optional[tuple[float, ...]] = derived(None, "their sampling weights")
    corpus_words: tuple[str, ...] = derived((), "the words of corpus inside the charset")
    corpus_weights: Optional[np.ndarray] = derived(None, "cumulative, for corpus.sampling: frequency", compare=False)
    mix: Optional[StringMix] = derived(None, "text.source mixed: the string kinds")

    def check(self, key: str) -> OcrRecognitionSettings:
        """Resolve the charset, corpus, patterns, fonts and string mix, and check them together."""
        if not self.height <= self.max_width <= 8192:
            raise ConfigError(
                f"{key}.max_width", f"must be in height..8192 ({self.height}..8192), got {self.max_width}"
            )
        text, corpus_section = self.text, self.corpus
        charset = resolve_charset(text.charset, f"{key}.text.charset")
        source = text.source
        sources = source.options if hasattr(source, "options") else (source.value,)  # type: ignore[attr-defined]
        # patterns are compiled and checked only when the source can use them
        pattern_texts = text.patterns if "pattern" in sources else ()
        corpus: tuple[str, ...] = ()
        if "word" in sources or "mixed" in sources or any("{word" in t for t in pattern_texts):
            try:
                corpus = resolve_corpus(
                    corpus_section.builtin, corpus_section.file, f"{key}.corpus", charset, corpus_section
                )
            except ConfigError as exc:
                if "inside the charset" not in exc.message or not ({"word", "mixed"} & set(sources)):
                    raise
                needs_words = "word" in sources or any("{word" in t for t in pattern_texts)
                if not needs_words:  # a mix without its word kinds: build_mix leaves them out
                    corpus = ()
                else:
                    raise ConfigError(  # the charset, not the corpus, is what the user just changed
                        f"{key}.text.charset",
                        f"no word of the corpus fits the charset {text.charset!r}, and text.source draws words; "
                        f"to make strings from the charset set {key}.text.source=pattern",
                    ) from None
        patterns = []
        for i, pattern_text in enumerate(pattern_texts):
            where = f"{key}.text.patterns[{i}]"
            pattern = compile_pattern(pattern_text, where, corpus, any_chars=charset)
            outside = sorted(pattern.alphabet() - set(charset))
            if outside:
                raise ConfigError(
                    where, f"pattern {pattern_text!r} can produce characters outside the charset: {''.join(outside)!r}"
                )
            patterns.append(pattern)
        if "pattern" in sources and not patterns:
            raise ConfigError(f"{key}.text.patterns", "source 'pattern' needs at least one pattern")
        font_paths = resolve_fonts(self.fonts, f"{key}.fonts", charset)
        check_corpus_coverage(corpus, font_paths, f"{key}.corpus")
        font_weights = resolve_font_weights(self.fonts, font_paths, f"{key}.fonts")
        unicase_fonts = frozenset(f for f in font_paths if fonts.is_unicase(f))
        cased = [k for k, f in enumerate(font_paths) if f not in unicase_fonts]
        cased_weights = None
        if font_weights is not None and cased:
            w = np.array([font_weights[k] for k in cased])
            cased_weights = tuple(float(v) for v in w / w.sum()) if w.sum() > 0 else None
        corpus_weights = corpus_sampler(corpus_section, corpus, f"{key}.corpus")
        mix = None
        if "mixed" in sources:
            mix = build_mix(
                text.mix,
                charset,
                corpus,
                f"{key}.text.mix",
                lambda ws: corpus_sampler(corpus_section, ws, f"{key}.corpus"),
            )
        return replace(
            self,
            charset=charset,
            patterns=tuple(patterns),
            font_paths=font_paths,
            font_weights=font_weights,
            unicase_fonts=unicase_fonts,
            cased_fonts=tuple(font_paths[k] for k in cased),
            cased_weights=cased_weights,
            corpus_words=corpus,
            corpus_weights=corpus_weights,
            mix=mix,
        )


def sample_text(s: OcrRecognitionSettings, rng: np.random.Generator) -> tuple[str, tuple[str, ...]]:
    """One transcription inside the charset, and for ``source: mixed`` the kind of each of its
    strings (empty otherwise)."""
    source = s.text.source.sample(rng)
    if source == "pattern":
        return s.patterns[int(rng.integers(len(s.patterns)))].sample(rng), ()
    if source == "mixed":
        # strings joined by spaces only where the charset has one
        n = s.text.words.sample(rng) if " " in s.charset else 1
        drawn = [s.mix.sample(rng) for _ in range(n)]  # type: ignore[union-attr]
        return " ".join(text for _, text in drawn), tuple(kind for kind, _ in drawn)
    out = []
    for _ in range(s.text.words.sample(rng)):
        word = draw_word(s.corpus_words, s.corpus_weights, rng)
        out.append(fit_case(word, s.charset, s.corpus.case.sample(rng)))
    return " ".join(out), ()


def placed_extent(item: TextItem) -> np.ndarray:
    """(4,) left, top, right, bottom of the placed text relative to ``item.center``."""
    if item.hand is not None:
        plane = hand_plane(item.font_path, item.font_size, item.text, item.hand)
        return _turned_extent(item, box_corners(plane.ink), plane.ink)
    run = layout_run(item.font_path, item.font_size, item.text, item.letter_spacing, item.stroke_width, item.weight)
    if item.curve != "none" or item.jitter is not None or item.slant:
        placed = place_run(run, item.curve, item.curve_amount, item.curve_period, item.jitter, item.slant)
        outline = placed.polygon if placed.polygon is not None else box_corners(placed.ink)
        return _turned_extent(item, outline, placed.ink)
    return _turned_extent(item, box_corners(run.ink), run.ink)


def estimated_extent(item: TextItem) -> np.ndarray:
    """``placed_extent`` to within a pixel or so, from FreeType's metrics of the whole string.

    Straight text only (curved text is measured exactly): no glyph is rasterised, so the first
    size tried, which the fit then shrinks, costs no bitmaps for the glyph cache.
    """
    if item.hand is not None:
        ink = estimated_ink(item.font_path, item.font_size, item.text, item.hand)
        return _turned_extent(item, box_corners(ink), ink)
    if item.curve != "none" or item.jitter is not None or item.slant or item.weight:
        return placed_extent(item)
    font = fonts.load_font(item.font_path, item.font_size)
    left, top, right, bottom = font.getbbox(item.text, anchor="la", stroke_width=item.stroke_width)
    ink = np.array([left, top, right + item.letter_spacing * max(len(item.text) - 1, 0), bottom], np.float64)
    return _turned_extent(item, box_corners(ink), ink)


def _turned_extent(item: TextItem, pts: np.ndarray, ink: np.ndarray) -> np.ndarray:
    t = math.radians(item.angle)
    c, s = math.cos(t), math.sin(t)
    rel = (pts - [(ink[0] + ink[2]) / 2, (ink[1] + ink[3]) / 2]) @ np.array([[c, s], [-s, c]]).T
    grow = 1.0 + (max(abs(v) for xy in item.corner_offsets for v in xy) if item.corner_offsets else 0.0)
    return np.array([rel[:, 0].min() - grow, rel[:, 1].min() - grow, rel[:, 0].max() + grow, rel[:, 1].max() + grow])


def fit_scale(ext: np.ndarray, room: tuple[float, float]) -> float:
    """How much a text of extent ``ext`` (left, top, right, bottom) must shrink to fit ``room``
    (width, height); 1 when it fits."""
    return min(room[1] / (ext[3] - ext[1]), room[0] / (ext[2] - ext[0]), 1.0)


def sample(s: OcrRecognitionSettings, rng: np.random.Generator) -> SceneSpec:
    """Sample one crop: text, font, style, size, background and a contrasting colour."""
    h = s.height
    pad = float(s.padding.sample(rng)) * h
    dropped = {"no_font_coverage": 0, "too_long": 0}
    item = None
    for _ in range(TEXT_TRIES):
        text, kinds = sample_text(s, rng)
        font = pick_font(s.font_paths, text, rng, s.font_weights, usable=fonts.covers)
        if font in s.unicase_fonts and text != text.upper():
            # the font draws capitals for lower case: the label would not match the pixels
            if s.unicase == "upper" and set(text.upper()) <= set(s.charset):
                text = text.upper()
            else:
                font = pick_font(s.cased_fonts, text, rng, s.cased_weights) if s.cased_fonts else None
        if font is None:
            dropped["no_font_coverage"] += 1
            continue
        em = max(h - 2 * pad, 4.0)
        style = sample_style(s.style, rng, em, curved_ok=True, text=text)
        hand = sample_hand(s.handwriting, rng)  # draws nothing while handwriting is off
        if hand is not None:
            style = typed_style_off(style) | {"hand": hand}
        category = "line" if " " in text.strip() else "word"
        # The size whose line band fills the crop, shrunk to the estimated extent of the turned
        # text; then measured exactly (the glyphs drawn) and shrunk until it fits.
        room = (s.max_width - 2 * pad, h - 2 * pad)
        size = font_size_for_height(font, em)
        size_by = s.size_by.sample(rng)
        if size_by != "line":
            size = font_size_for_glyph(font, SIZE_GLYPH[size_by], float(s.glyph_height.sample(rng)) * em) or size
        item = TextItem(1, text, font, size, (0, 0, 0), center=(0.0, 0.0), category=category, **style)
        scale = fit_scale(estimated_extent(item), room)
        if scale < 0.999:
            item = replace(item, font_size=max(int(item.font_size * scale), 4))
        for _fit in range(4):
            ext = placed_extent(item)
            scale = fit_scale(ext, room)
            if scale >= 0.999:
                break
            item = replace(item, font_size=max(int(item.font_size * scale), 4))
        if (ext[3] - ext[1]) > h or (ext[2] - ext[0]) > s.max_width:
            dropped["too_long"] += 1
            item = None
            continue
        break
    width = int(min(math.ceil(ext[2] - ext[0] + 2 * pad), s.max_width)) if item else h
    background = sample_background(s.background, width, h, rng)
    if item is not None and item.hand is not None:
        background = _hand_paper(item, ext, width, h, rng) or background
    items: tuple[TextItem, ...] = ()
    if item is not None:
        from synthgen.backgrounds import render_background  # the very pixels the renderer draws

        low, high = luminance_percentiles(render_background(background, width, h), (5, 95))
        polarity = s.polarity.sample(rng)
        color = contrasting_color(rng, low, high, s.min_contrast, side=None if polarity == "any" else polarity)
        busy = color is None
        if busy:  # no colour stands out from all of it: the best grey, its legibility measured once drawn
            color = (0, 0, 0) if high < 0.5 else (255, 255, 255)
        if item.hand is not None and item.hand.ink is not None and sum(color) < 382 and not busy:
            color = item.hand.ink  # a pen's ink where the text is dark on a light ground
        center = (width / 2 - (ext[0] + ext[2]) / 2, h / 2 - (ext[1] + ext[3]) / 2)
        stroke_color = contrasting_color(rng, low, high, s.min_contrast, like=color) or color
        shadow_color = (0, 0, 0) if sum(color) > 382 else (255, 255, 255)
        if busy and s.busy_background == "outline":
            # an outline of the opposite extreme separates the glyphs from any background
            stroke_color = (255, 255, 255) if sum(color) < 382 else (0, 0, 0)
            item = replace(item, stroke_width=max(item.stroke_width, 1))  # 1 px: inside the padding
        attributes: dict = {}
        if s.fonts.record:
            attributes.update(font=Path(item.font_path).name, font_size=item.font_size)
        items = (
            replace(
                item,
                color=color,
                center=center,
                stroke_color=stroke_color,
                shadow_color=shadow_color,
                label_box=(0.0, 0.0, float(width), float(h)),
                attributes=attributes,
            ),
        )
    params = {"background": background["kind"], "padding": round(pad, 2)}
    if items and items[0].hand is not None:
        params["handwriting"] = True
    if item is not None and kinds:  # source mixed: what kind of string each part is
        params["text_kinds"] = list(kinds)
    if s.fonts.record and items:  # in the sample's meta too, so results can be broken down by font
        params.update(font=Path(items[0].font_path).name, font_size=items[0].font_size)
    return SceneSpec(
        kind="ocr_recognition",
        width=width,
        height=h,
        background=background,
        items=items,
        categories=CATEGORIES,
        params=params,
        dropped={k: v for k, v in dropped.items() if v},
    )


def _hand_paper(item: TextItem, ext: np.ndarray, width: int, h: int, rng: np.random.Generator) -> dict | None:
    """The handwriting's own paper for a crop (ruled on the text's baseline), or None for the scene's."""
    plane = hand_plane(item.font_path, item.font_size, item.text, item.hand)
    ink_centre_y = h / 2 - (ext[1] + ext[3]) / 2  # where the ink box's centre lands (the item's centre)
    baseline_y = ink_centre_y + plane.baseline - (plane.ink[1] + plane.ink[3]) / 2
    return hand_paper(item.hand.paper, rng, baseline_y, plane.line_height)


def measure(s: OcrRecognitionSettings, spec: SceneSpec, layers: Layers) -> tuple[Layers, dict[str, int]]:
    """Flag a crop whose drawn text is too small or too faint to read in the final picture
    (``synthgen.text.legibility``; the recognition writer skips it) and count it by reason."""
    return flag_illegible(layers, tuple(i.instance_id for i in spec.items), s.min_legible_size, s.min_legible_contrast)


SCENE = SceneKind(
    sample, lambda settings: CATEGORIES, ("text2d",), TEXT_LABELS, measure=measure, params=OcrRecognitionSettings
)
