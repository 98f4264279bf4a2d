"""``text_words``: several words from a corpus, each in its own font, size, colour and rotation,
placed without overlap on a solid, gradient, noise or photo background; ``handwriting.probability``
> 0 writes that share of the words by hand (``synthgen.text.handwriting``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional, Union

import numpy as np

from synthgen.backgrounds import image_folder
from synthgen.backgrounds.colors import LUMA, luminance, random_color
from synthgen.config.distributions import Distribution, parse_checked, parse_value
from synthgen.errors import ConfigError
from synthgen.scene.base import SceneKind
from synthgen.text import fonts
from synthgen.text.charsets import CASES, apply_case
from synthgen.text.corpus import CorpusSchema, corpus_sampler, draw_word, refuse_corpus_keys
from synthgen.text.coverage import check_corpus_coverage
from synthgen.text.font_choice import FontsSchema, pick_font, record_fonts, refuse_recognition_font_keys
from synthgen.text.glyphs import layout_run
from synthgen.text.handwriting import HandwritingSchema, HandwritingSettings, hand_plane, sample_hand
from synthgen.text.items import TextItem
from synthgen.text.label import TEXT_LABELS
from synthgen.text.scenes import MAX_PLACEMENT_ATTEMPTS
from synthgen.types import SceneSpec

CATEGORIES = ("text",)  # the categories its specs hold, in id order

BACKGROUND_KINDS = ("solid", "gradient", "noise", "image")


@dataclass
class BackgroundSchema:
    kind: str = "choice([solid, gradient, noise])"
    image_dir: Optional[str] = None  # photos for kind "image" (searched recursively)


@dataclass
class TextWordsSchema:
    width: int = 512
    height: int = 512
    words: Union[int, str] = "randint(6, 12)"
    font_size: Union[int, str] = "randint(18, 56)"
    rotation: Union[int, float, str] = "uniform(-20, 20)"
    min_contrast: float = 0.4  # |luminance(text) - luminance(background)|, 0..1
    margin: int = 4  # pixels kept free around each word
    placement_attempts: int = 30
    fonts: FontsSchema = field(default_factory=FontsSchema)
    corpus: CorpusSchema = field(default_factory=CorpusSchema)
    background: BackgroundSchema = field(default_factory=BackgroundSchema)
    # stroke-based handwriting (synthgen.text.handwriting; its paper key is for ocr_recognition): 0 = off
    handwriting: HandwritingSchema = field(default_factory=HandwritingSchema)


@dataclass(frozen=True)
class TextWordsSettings:
    width: int
    height: int
    words: Distribution
    font_size: Distribution
    rotation: Distribution
    case: Distribution
    background: Distribution
    min_contrast: float
    margin: int
    placement_attempts: int
    font_paths: tuple[str, ...]
    record_font: bool
    corpus: tuple[str, ...]
    images: tuple[str, ...]
    handwriting: HandwritingSettings = field(default_factory=HandwritingSettings)
    corpus_weights: np.ndarray | None = field(default=None, compare=False)  # cumulative, corpus.sampling: frequency


def from_config(p: TextWordsSchema, key: str) -> TextWordsSettings:
    """Check ``scene.params`` of a text_words scene and resolve fonts, corpus and image lists."""
    for name in ("width", "height"):
        if not 16 <= getattr(p, name) <= 8192:
            raise ConfigError(f"{key}.{name}", f"must be in 16..8192, got {getattr(p, name)}")
    words = parse_checked(p.words, f"{key}.words", "int", 0, 1000)
    size = parse_checked(p.font_size, f"{key}.font_size", "int", 4, 1000)
    rotation = parse_checked(p.rotation, f"{key}.rotation", "float", -180, 180)
    case = parse_value(p.corpus.case, f"{key}.corpus.case", "str", CASES)
    background = parse_value(p.background.kind, f"{key}.background.kind", "str", BACKGROUND_KINDS)
    if not 0 <= p.min_contrast <= 1:
        raise ConfigError(f"{key}.min_contrast", f"must be in 0..1, got {p.min_contrast}")
    if p.margin < 0:
        raise ConfigError(f"{key}.margin", f"must be >= 0, got {p.margin}")
    if not 1 <= p.placement_attempts <= MAX_PLACEMENT_ATTEMPTS:
        raise ConfigError(
            f"{key}.placement_attempts", f"must be in 1..{MAX_PLACEMENT_ATTEMPTS}, got {p.placement_attempts}"
        )

    refuse_recognition_font_keys(p.fonts, f"{key}.fonts")
    refuse_corpus_keys(p.corpus, f"{key}.corpus", wordfreq=False)
    font_paths = fonts.discover_fonts(p.fonts.paths, f"{key}.fonts.paths")
    if p.fonts.bundled:
        font_paths += fonts.bundled_fonts()
    if p.fonts.system:
        font_paths += fonts.system_fonts()
    font_paths = sorted(set(font_paths))
    if not font_paths:
        raise ConfigError(f"{key}.fonts", "no fonts: give fonts.paths or set fonts.bundled/fonts.system")

    corpus: list[str] = []
    for path in fonts.builtin_corpora(p.corpus.builtin, f"{key}.corpus.builtin"):
        corpus += fonts.load_words(str(path), f"{key}.corpus.builtin")
    if p.corpus.file is not None:
        corpus += fonts.load_words(p.corpus.file, f"{key}.corpus.file")
    if not corpus:
        raise ConfigError(f"{key}.corpus", "no words: set corpus.builtin or corpus.file")
    check_corpus_coverage(tuple(corpus), tuple(font_paths), f"{key}.corpus")

    images = image_folder(p.background.image_dir, f"{key}.background.image_dir")
    kinds = background.options if hasattr(background, "options") else (background.value,)  # type: ignore[attr-defined]
    if "image" in kinds and not images:
        raise ConfigError(f"{key}.background.kind", "kind 'image' needs background.image_dir")

    return TextWordsSettings(
        width=p.width,
        height=p.height,
        words=words,
        font_size=size,
        rotation=rotation,
        case=case,
        background=background,
        min_contrast=p.min_contrast,
        margin=p.margin,
        placement_attempts=p.placement_attempts,
        font_paths=tuple(font_paths),
        record_font=p.fonts.record,
        corpus=tuple(corpus),
        images=images,
        handwriting=_handwriting(p, key),
        corpus_weights=corpus_sampler(p.corpus, tuple(corpus), f"{key}.corpus"),
    )


def _handwriting(p: TextWordsSchema, key: str) -> HandwritingSettings:
    hand = HandwritingSettings.from_config(p.handwriting, f"{key}.handwriting")
    paper = hand.paper
    if hand.probability > 0 and set(getattr(paper, "options", (getattr(paper, "value", "scene"),))) != {"scene"}:
        raise ConfigError(f"{key}.handwriting.paper", "text_words writes on its own background: leave paper 'scene'")
    return hand


def _near_color(rng: np.random.Generator, base, spread: int = 50) -> tuple[int, int, int]:
    return tuple(int(np.clip(c + rng.integers(-spread, spread + 1), 0, 255)) for c in base)  # type: ignore[return-value]


def sample_background(s: TextWordsSettings, rng: np.random.Generator) -> tuple[dict, list[float]]:
    """A background description for the renderer and the luminances text must contrast with."""
    kind = s.background.sample(rng)
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
    path = s.images[int(rng.integers(len(s.images)))]
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
        word = apply_case(draw_word(s.corpus, s.corpus_weights, rng), s.case.sample(rng))
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
        items=record_fonts(items, s.record_font),
        categories=CATEGORIES,
        params={"words_sampled": n_words, "background": background["kind"]},
        dropped={k: v for k, v in dropped.items() if v},
    )


SCENE = SceneKind(TextWordsSchema, from_config, sample, lambda settings: CATEGORIES, ("text2d",), TEXT_LABELS)
