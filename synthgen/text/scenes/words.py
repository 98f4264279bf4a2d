"""``text_words``: several words from a corpus, each in its own font, size, colour and rotation,
placed without overlap on a solid, gradient, noise or photo background; ``handwriting.probability``
> 0 writes that share of the words by hand (``synthgen.text.handwriting``)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Optional

import numpy as np

from synthgen.backgrounds import image_folder
from synthgen.backgrounds.colors import LUMA, luminance, random_color
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, choice, derived, integer, nested, number, param, within
from synthgen.errors import ConfigError
from synthgen.scene.base import SceneKind
from synthgen.text import fonts
from synthgen.text.charsets import apply_case
from synthgen.text.corpus import CorpusSettings, corpus_sampler, draw_word, refuse_corpus_keys
from synthgen.text.coverage import check_corpus_coverage
from synthgen.text.font_choice import (
    FontsSettings,
    pick_font,
    record_fonts,
    refuse_recognition_font_keys,
    resolve_fonts,
)
from synthgen.text.glyphs import layout_run
from synthgen.text.handwriting import HandwritingSettings, hand_plane, sample_hand
from synthgen.text.items import TextItem
from synthgen.text.label import TEXT_LABELS
from synthgen.text.scenes import MAX_PLACEMENT_ATTEMPTS
from synthgen.types import SceneSpec

CATEGORIES = ("text",)  # the categories its specs hold, in id order

BACKGROUND_KINDS = ("solid", "gradient", "noise", "image")


class WordsBackgroundSettings(Params):
    """``background:`` of text_words (its own kinds, drawn by ``sample_background`` below)."""

    kind: Distribution = param(
        "choice([solid, gradient, noise])", choice(*BACKGROUND_KINDS), "the kind of each background"
    )
    image_dir: Optional[str] = param(None, None, "photos for kind image (searched recursively)")
    images: tuple[str, ...] = derived((), "the photos under image_dir, sorted")

    def check(self, key: str) -> WordsBackgroundSettings:
        images = image_folder(self.image_dir, f"{key}.image_dir")
        kinds = self.kind.options if hasattr(self.kind, "options") else (self.kind.value,)  # type: ignore[attr-defined]
        if "image" in kinds and not images:
            raise ConfigError(f"{key}.kind", "kind 'image' needs background.image_dir")
        return replace(self, images=images)


class TextWordsSettings(Params):
    """``scene.params`` of a text_words scene; the font files and the corpus's words are found at load."""

    width: int = param(512, within(16, 8192), "image width in pixels")
    height: int = param(512, within(16, 8192), "image height in pixels")
    words: Distribution = param("randint(6, 12)", integer(0, 1000), "words sampled per image")
    font_size: Distribution = param("randint(18, 56)", integer(4, 1000), "pixels")
    rotation: Distribution = param("uniform(-20, 20)", number(-180, 180), "degrees, counter-clockwise")
    min_contrast: float = param(0.4, within(0, 1), "|luminance(text) - luminance(background)|")
    margin: int = param(4, within(0), "pixels kept free around each word")
    placement_attempts: int = param(30, within(1, MAX_PLACEMENT_ATTEMPTS), "positions tried per word")
    fonts: FontsSettings = nested(FontsSettings, "the fonts (text/font_choice.py)")
    corpus: CorpusSettings = nested(CorpusSettings, "the words (text/corpus.py)")
    background: WordsBackgroundSettings = nested(WordsBackgroundSettings, "the background under the words")
    handwriting: HandwritingSettings = nested(
        HandwritingSettings, "stroke-based handwriting (text/handwriting.py; its paper key is for ocr_recognition)"
    )
    font_paths: tuple[str, ...] = derived((), "the font files of fonts")
    corpus_words: tuple[str, ...] = derived((), "the words of corpus")
    corpus_weights: Optional[np.ndarray] = derived(None, "cumulative, for corpus.sampling: frequency", compare=False)

    def check(self, key: str) -> TextWordsSettings:
        refuse_recognition_font_keys(self.fonts, f"{key}.fonts")
        refuse_corpus_keys(self.corpus, f"{key}.corpus", wordfreq=False)
        font_paths = resolve_fonts(self.fonts, f"{key}.fonts")
        words: list[str] = []
        for path in fonts.builtin_corpora(self.corpus.builtin, f"{key}.corpus.builtin"):
            words += fonts.load_words(str(path), f"{key}.corpus.builtin")
        if self.corpus.file is not None:
            words += fonts.load_words(self.corpus.file, f"{key}.corpus.file")
        if not words:
            raise ConfigError(f"{key}.corpus", "no words: set corpus.builtin or corpus.file")
        check_corpus_coverage(tuple(words), font_paths, f"{key}.corpus")
        paper = self.handwriting.paper
        papers = set(paper.options) if hasattr(paper, "options") else {getattr(paper, "value", "scene")}
        if self.handwriting.probability > 0 and papers != {"scene"}:
            raise ConfigError(
                f"{key}.handwriting.paper", "text_words writes on its own background: leave paper 'scene'"
            )
        weights = corpus_sampler(self.corpus, tuple(words), f"{key}.corpus")
        return replace(self, font_paths=font_paths, corpus_words=tuple(words), corpus_weights=weights)


def _near_color(rng: np.random.Generator, base, spread: int = 50) -> tuple[int, int, int]:
    return tuple(int(np.clip(c + rng.integers(-spread, spread + 1), 0, 255)) for c in base)  # type: ignore[return-value]


def sample_background(s: TextWordsSettings, rng: np.random.Generator) -> tuple[dict, list[float]]:
    """A background description for the renderer and the luminances text must contrast with."""
    kind = s.background.kind.sample(rng)
    if kind == "solid":
        color = random_color(rng)
        return {"kind": "solid", "color": list(color)}, [luminance(color)]
    if kind in ("gradient", "noise"):
        c1 = random_color(rng)
        c2 = _near_color(rng, c1)
        bg = {"kind": kind, "colors": [list(c1), list(c2)]}
        if kind == "gradient":
            bg["angle"] = float(rng.uniform(0, 360))
        else:
            bg["seed"] = int(rng.integers(2**31))
            bg["scale"] = float(rng.uniform(8, 64))
        return bg, [luminance(c1), luminance(c2)]
    path = s.background.images[int(rng.integers(len(s.background.images)))]
    crop, lum = _image_crop(path, s.width, s.height, rng)
    return {"kind": "image", "path": path, "crop": crop}, lum


def _image_crop(path: str, width: int, height: int, rng: np.random.Generator) -> tuple[list[int], list[float]]:
    """A random crop of the photo with the output's aspect ratio, and its luminance quartiles."""
    from PIL import Image

    with Image.open(path) as im:
        w, h = im.size
        scale = min(w / width, h / height) * float(rng.uniform(0.5, 1.0))
        cw, ch = max(1, int(width * scale)), max(1, int(height * scale))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        thumb = im.convert("L").resize((32, 32), box=(x, y, x + cw, y + ch))
    q = np.percentile(np.asarray(thumb, dtype=np.float32) / 255.0, [25, 75])
    return [x, y, cw, ch], [float(v) for v in q]


def sample_text_color(rng: np.random.Generator, background_lum: list[float], min_contrast: float):
    """A random colour whose luminance differs from every background luminance by min_contrast."""
    candidates = rng.integers(0, 256, size=(20, 3))
    lum = candidates @ np.array(LUMA) / 255.0
    ok = np.all(np.abs(lum[:, None] - np.asarray(background_lum)[None, :]) >= min_contrast, axis=1)
    if ok.any():
        return tuple(int(c) for c in candidates[int(np.argmax(ok))])
    # Fall back to whichever of near-black and near-white stands out more.
    dark, light = (int(rng.integers(0, 40)),) * 3, (int(rng.integers(215, 256)),) * 3
    return light if (1.0 - min(background_lum)) > max(background_lum) else dark


def rotated_quad(center: tuple[float, float], w: float, h: float, angle: float) -> np.ndarray:
    """(4, 2) corners of a w x h box centred on ``center`` and turned ``angle`` degrees CCW on screen."""
    t = math.radians(angle)
    c, s = math.cos(t), math.sin(t)
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    # y points down in images, so a CCW turn on screen is (x, y) -> (x c + y s, -x s + y c).
    rot = np.array([[c, s], [-s, c]])
    return (corners @ rot.T + np.asarray(center)).astype(np.float32)


def _overlaps(quad: np.ndarray, placed: list[np.ndarray]) -> bool:
    import cv2

    for other in placed:
        area, _ = cv2.intersectConvexConvex(quad, other)
        if area > 0:
            return True
    return False


def sample(s: TextWordsSettings, rng: np.random.Generator) -> SceneSpec:
    """Sample the words, fonts, colours, angles and non-overlapping positions of one image."""
    background, background_lum = sample_background(s, rng)
    n_words = s.words.sample(rng)
    items: list[TextItem] = []
    placed: list[np.ndarray] = []
    dropped = {"no_font_coverage": 0, "no_room": 0, "too_large": 0}
    for _ in range(n_words):
        drawn = draw_word(s.corpus_words, s.corpus_weights, rng)
        word = apply_case(drawn, s.corpus.case.sample(rng))
        size = s.font_size.sample(rng)
        angle = float(s.rotation.sample(rng))
        color = sample_text_color(rng, background_lum, s.min_contrast)
        font = pick_font(s.font_paths, word, rng)
        if font is None:
            dropped["no_font_coverage"] += 1
            continue
        hand = sample_hand(s.handwriting, rng)  # draws nothing while handwriting is off
        if hand is None:
            left, top, right, bottom = layout_run(font, size, word).ink  # the ink the renderer centres
        else:
            left, top, right, bottom = hand_plane(font, size, word, hand).ink
            color = hand.ink if hand.ink is not None and sum(color) < 382 else color
        w, h = right - left, bottom - top
        m = s.margin
        # half extents of the rotated box, margin included
        t = math.radians(angle)
        hx = (abs(w * math.cos(t)) + abs(h * math.sin(t))) / 2 + m
        hy = (abs(w * math.sin(t)) + abs(h * math.cos(t))) / 2 + m
        if 2 * hx > s.width or 2 * hy > s.height:
            dropped["too_large"] += 1
            continue
        for _attempt in range(s.placement_attempts):
            center = (float(rng.uniform(hx, s.width - hx)), float(rng.uniform(hy, s.height - hy)))
            quad = rotated_quad(center, w + 2 * m, h + 2 * m, angle)
            if not _overlaps(quad, placed):
                placed.append(quad)
                items.append(TextItem(len(items) + 1, word, font, size, color, angle, center, hand=hand))
                break
        else:
            dropped["no_room"] += 1
    return SceneSpec(
        kind="text_words",
        width=s.width,
        height=s.height,
        background=background,
        items=record_fonts(items, s.fonts.record),
        categories=CATEGORIES,
        params={"words_sampled": n_words, "background": background["kind"]},
        dropped={k: v for k, v in dropped.items() if v},
    )


SCENE = SceneKind(sample, lambda settings: CATEGORIES, ("text2d",), TEXT_LABELS, params=TextWordsSettings)
