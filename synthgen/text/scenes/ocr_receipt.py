"""``ocr_receipt``: a shop receipt on a narrow strip of thermal paper lying on a surface.

Layout, top to bottom: shop name and address (centred), date and time, item lines (name on the
left, price right-aligned, sometimes a quantity line), subtotal, tax and total (consistent sums),
payment, a footer. The strip is drawn flat and warped into the image by the ``text_page``
renderer: a homography (rotation, scale, perspective) after a smooth random displacement field
(crumpling), with shading.

Instances are words (category ``word``) with ``attributes``: ``line``, ``segment`` (the part of
the line they are in: an item's name 0, its price 1), ``role`` (``header``, ``meta``, ``item``,
``total``, ``footer``, ``separator``) and ``legible``: False for separator rules, and, measured
on the final picture (``synthgen.text.legibility``, as in ``ocr_wild``), with ``illegible_reason``
``too_small`` or ``low_contrast`` for a word whose tallest glyph in the image is under
``min_legible_size`` pixels or whose print stands out from the paper around it by less than
``min_legible_contrast`` (faded thermal print, shading); then one ``line`` instance per
segment of a line (``synthgen.text.lines``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Union

import numpy as np

from synthgen.backgrounds import (
    BackgroundSchema,
    BackgroundSettings,
    background_from_config,
    paper_background,
    sample_background,
)
from synthgen.config.distributions import Distribution, parse_checked
from synthgen.errors import ConfigError
from synthgen.scene.base import SceneKind
from synthgen.text import fonts
from synthgen.text.corpus import CorpusSchema, corpus_sampler, draw_word, refuse_corpus_keys, resolve_corpus
from synthgen.text.coverage import check_corpus_coverage
from synthgen.text.font_choice import FontsSchema, pick_font, record_fonts, refuse_recognition_font_keys, resolve_fonts
from synthgen.text.items import TextItem
from synthgen.text.label import TEXT_LABELS
from synthgen.text.layout import PlacedWord, layout_block, line_band, word_advance, word_items
from synthgen.text.legibility import flag_illegible
from synthgen.text.patterns import compile_pattern
from synthgen.types import Layers, SceneSpec

CATEGORIES = ("word", "line")  # the categories its specs hold, in id order

STREETS = ("St", "Ave", "Rd", "Blvd", "Lane", "Way")
PAYMENTS = ("CARD", "CASH", "VISA", "DEBIT")
PHONE = compile_pattern(r"TEL \d{3}-\d{3}-\d{4}", "ocr_receipt")
DATE = compile_pattern("{date:%d/%m/%Y}", "ocr_receipt")
TIME = compile_pattern("{time}", "ocr_receipt")
NUMBER = compile_pattern(r"RECEIPT #\d{4,6}", "ocr_receipt")
CARD = compile_pattern(r" \*\*\*\*\d{4}", "ocr_receipt")


@dataclass
class ReceiptWarpSchema:
    rotation: Union[int, float, str] = "uniform(-12, 12)"  # degrees
    scale: Union[int, float, str] = "uniform(0.7, 0.95)"  # strip height / image height (before clamping to fit)
    perspective: Union[int, float, str] = "uniform(0, 0.08)"  # corner displacement, in strip widths
    crumple: Union[int, float, str] = "uniform(0, 6)"  # displacement amplitude, pixels
    crumple_scale: Union[int, float, str] = "uniform(60, 160)"  # feature size of the crumples, pixels
    shading: Union[int, float, str] = "uniform(0.5, 2.0)"


@dataclass
class OcrReceiptSchema:
    width: int = 480
    height: int = 640
    strip_width: Union[int, str] = "randint(260, 340)"  # pixels, before the warp
    font_size: Union[int, str] = "randint(13, 17)"
    items: Union[int, str] = "randint(3, 10)"
    line_spacing: Union[int, float, str] = "uniform(1.05, 1.35)"
    ink_darkness: Union[int, float, str] = (
        "uniform(0.0, 0.35)"  # luminance of the print (faded thermal print is lighter)
    )
    min_legible_size: int = 6  # words whose tallest glyph in the image is shorter (px) are flagged legible: false
    min_legible_contrast: float = 0.15  # printed text that stands out less from the paper is flagged
    fonts: FontsSchema = field(default_factory=FontsSchema)
    corpus: CorpusSchema = field(default_factory=lambda: CorpusSchema(case="upper"))
    background: BackgroundSchema = field(default_factory=lambda: BackgroundSchema("choice([noise, blobs, gradient])"))
    warp: ReceiptWarpSchema = field(default_factory=ReceiptWarpSchema)


@dataclass(frozen=True)
class OcrReceiptSettings:
    width: int
    height: int
    strip_width: Distribution
    font_size: Distribution
    items: Distribution
    line_spacing: Distribution
    ink_darkness: Distribution
    min_legible_size: int
    min_legible_contrast: float
    font_paths: tuple[str, ...]
    record_font: bool
    corpus: tuple[str, ...]
    background: BackgroundSettings
    rotation: Distribution
    scale: Distribution
    perspective: Distribution
    crumple: Distribution
    crumple_scale: Distribution
    shading: Distribution
    corpus_weights: np.ndarray | None = field(default=None, compare=False)  # cumulative, corpus.sampling: frequency


def from_config(p: OcrReceiptSchema, key: str) -> OcrReceiptSettings:
    """Check ``scene.params`` of an ocr_receipt scene."""
    for name in ("width", "height"):
        if not 64 <= getattr(p, name) <= 8192:
            raise ConfigError(f"{key}.{name}", f"must be in 64..8192, got {getattr(p, name)}")
    if p.min_legible_size < 0:
        raise ConfigError(f"{key}.min_legible_size", f"must be >= 0, got {p.min_legible_size}")
    if not 0 <= p.min_legible_contrast <= 1:
        raise ConfigError(f"{key}.min_legible_contrast", f"must be in 0..1, got {p.min_legible_contrast}")

    def dist(obj, name: str, where: str, kind: str, low: float, high: float | None) -> Distribution:
        return parse_checked(getattr(obj, name), f"{where}.{name}", kind, low, high)

    w = f"{key}.warp"
    refuse_recognition_font_keys(p.fonts, f"{key}.fonts")
    font_paths = resolve_fonts(p.fonts, f"{key}.fonts")
    refuse_corpus_keys(p.corpus, f"{key}.corpus")
    corpus = resolve_corpus(p.corpus.builtin, p.corpus.file, f"{key}.corpus", p=p.corpus)
    check_corpus_coverage(tuple(word.upper() for word in corpus), font_paths, f"{key}.corpus")
    return OcrReceiptSettings(
        width=p.width,
        height=p.height,
        strip_width=dist(p, "strip_width", key, "int", 120, 4000),
        font_size=dist(p, "font_size", key, "int", 6, 200),
        items=dist(p, "items", key, "int", 1, 100),
        line_spacing=dist(p, "line_spacing", key, "float", 0.9, 4),
        ink_darkness=dist(p, "ink_darkness", key, "float", 0, 0.6),
        min_legible_size=p.min_legible_size,
        min_legible_contrast=p.min_legible_contrast,
        font_paths=font_paths,
        record_font=p.fonts.record,
        corpus=corpus,
        corpus_weights=corpus_sampler(p.corpus, corpus, f"{key}.corpus"),
        background=background_from_config(p.background, f"{key}.background"),
        rotation=dist(p.warp, "rotation", w, "float", -180, 180),
        scale=dist(p.warp, "scale", w, "float", 0.1, 1.0),
        perspective=dist(p.warp, "perspective", w, "float", 0, 0.3),
        crumple=dist(p.warp, "crumple", w, "float", 0, 30),
        crumple_scale=dist(p.warp, "crumple_scale", w, "float", 8, 8192),
        shading=dist(p.warp, "shading", w, "float", 0, 10),
    )


Segment = tuple[str, str]  # (text, align: left | right | center)


def receipt_lines(s: OcrReceiptSettings, rng: np.random.Generator) -> list[tuple[list[Segment], str]]:
    """The receipt's lines: segments with an alignment each, and the line's role."""

    def word() -> str:
        return draw_word(s.corpus, s.corpus_weights, rng).upper()

    lines: list[tuple[list[Segment], str]] = []
    name = " ".join(word() for _ in range(int(rng.integers(1, 3))))
    lines.append(([(name, "center")], "header"))
    lines.append(
        (
            [(f"{int(rng.integers(1, 999))} {word().title()} {STREETS[int(rng.integers(len(STREETS)))]}", "center")],
            "header",
        )
    )
    lines.append(([(PHONE.sample(rng), "center")], "header"))
    lines.append(([("-" * 24, "center")], "separator"))
    lines.append(([(DATE.sample(rng), "left"), (TIME.sample(rng), "right")], "meta"))
    lines.append(([(NUMBER.sample(rng), "left")], "meta"))
    subtotal = 0
    for _ in range(s.items.sample(rng)):
        qty = int(rng.integers(1, 4)) if rng.random() < 0.25 else 1
        unit = int(rng.integers(50, 3000))
        cents = qty * unit
        subtotal += cents
        item_name = " ".join(word() for _ in range(int(rng.integers(1, 3))))
        lines.append(([(item_name, "left"), (f"{cents // 100}.{cents % 100:02d}", "right")], "item"))
        if qty > 1:
            lines.append(([(f"{qty} x {unit // 100}.{unit % 100:02d}", "left")], "item"))
    tax = int(round(subtotal * float(rng.choice([0.05, 0.07, 0.08, 0.1, 0.2]))))
    lines.append(([("-" * 24, "center")], "separator"))
    for label, cents in (("SUBTOTAL", subtotal), ("TAX", tax), ("TOTAL", subtotal + tax)):
        lines.append(([(label, "left"), (f"{cents // 100}.{cents % 100:02d}", "right")], "total"))
    pay = PAYMENTS[int(rng.integers(len(PAYMENTS)))]
    lines.append(([(pay + (CARD.sample(rng) if pay != "CASH" else ""), "left")], "total"))
    lines.append(([("THANK YOU", "center")], "footer"))
    return lines


def _mono_font(s: OcrReceiptSettings, rng: np.random.Generator) -> str:
    mono = [f for f in s.font_paths if "mono" in f.lower() or fonts.bundled_class(f) == "mono"]
    pool = mono if mono and rng.random() < 0.8 else list(s.font_paths)
    return pool[int(rng.integers(len(pool)))]


def page_homography(pw: float, ph: float, s: OcrReceiptSettings, rng: np.random.Generator) -> np.ndarray:
    """3x3 (corner coords) placing the strip, turned and in perspective, inside the image."""
    import cv2

    angle = math.radians(float(s.rotation.sample(rng)))
    c, si = math.cos(angle), math.sin(angle)
    # the turned strip's bounding box must fit in the image with a margin
    bw, bh = abs(pw * c) + abs(ph * si), abs(pw * si) + abs(ph * c)
    scale = min(float(s.scale.sample(rng)) * s.height / ph, 0.92 * s.width / bw, 0.92 * s.height / bh)
    room_x = max(s.width - bw * scale, 0) / 2 * 0.8
    room_y = max(s.height - bh * scale, 0) / 2 * 0.8
    centre = np.array([s.width / 2 + rng.uniform(-room_x, room_x), s.height / 2 + rng.uniform(-room_y, room_y)])
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float64)
    rot = np.array([[c, si], [-si, c]])
    dst = (src - [pw / 2, ph / 2]) * scale @ rot.T + centre
    jitter = float(s.perspective.sample(rng)) * pw * scale
    dst = dst + rng.uniform(-jitter, jitter, (4, 2))
    return cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32)).astype(np.float64)


def sample(s: OcrReceiptSettings, rng: np.random.Generator) -> SceneSpec:
    """Sample one receipt: its text, the strip layout, the paper, the surface and the warp."""
    pw = s.strip_width.sample(rng)
    size = s.font_size.sample(rng)
    font = _mono_font(s, rng)
    band = line_band(font, size)
    pitch = band * float(s.line_spacing.sample(rng))
    pad = max(12.0, pw * 0.06)
    v = float(s.ink_darkness.sample(rng)) * 255
    color = (int(v), int(v), int(min(v + 10, 255)))
    dropped = {"no_font_coverage": 0, "too_wide": 0}
    placed: list[tuple[PlacedWord, dict, str]] = []
    y = pad
    line_index = 0
    for segments, role in receipt_lines(s, rng):
        if not all(pick_font((font,), text, rng) for text, _ in segments):
            dropped["no_font_coverage"] += 1
            continue
        widths = [word_advance(font, size, text, 0.0) for text, _ in segments]
        if sum(widths) + 2 * pad + band > pw:
            dropped["too_wide"] += 1
            continue
        for segment, ((text, align), width) in enumerate(zip(segments, widths)):
            words, _ = layout_block(font, size, [text.split()], "left", pitch)
            x = {"left": pad, "right": pw - pad - width, "center": (pw - width) / 2}[align]
            for wd in words:
                attrs = {"legible": role != "separator", "line": line_index, "segment": segment, "role": role}
                placed.append((PlacedWord(wd.text, wd.ink + np.array([x, y, x, y]), line_index), attrs, text))
        y += pitch * (1.6 if role == "header" and line_index == 0 else 1.0)
        line_index += 1
    ph = int(math.ceil(y + pad))
    homography = page_homography(pw, ph, s, rng)
    items: list[TextItem] = []
    page_box = np.array([0.0, 0.0, float(pw), float(ph)])
    for wd, attrs, _ in placed:
        common = dict(font_path=font, font_size=size, color=color, category="word")
        items += word_items([wd], page_box, (pw / 2, ph / 2), 0.0, None, len(items) + 1, common, [attrs])
    background = {
        "kind": "page",
        "scene": sample_background(s.background, s.width, s.height, rng),
        "paper": paper_background(rng, white=True),
        "page_size": [int(pw), int(ph)],
        "homography": homography.tolist(),
        "warp": {
            "seed": int(rng.integers(2**31)),
            "amplitude": float(s.crumple.sample(rng)),
            "scale": float(s.crumple_scale.sample(rng)),
            "shading": float(s.shading.sample(rng)),
        },
    }
    return SceneSpec(
        kind="ocr_receipt",
        width=s.width,
        height=s.height,
        background=background,
        items=record_fonts(items, s.record_font),
        categories=CATEGORIES,
        params={"strip": [int(pw), int(ph)], "lines": line_index, "crumple": round(background["warp"]["amplitude"], 3)},
        dropped={k: v for k, v in dropped.items() if v},
    )


def measure(s: OcrReceiptSettings, spec: SceneSpec, layers: Layers) -> tuple[Layers, dict[str, int]]:
    """Flag the words too small or too faint to read in the final (warped, shaded) picture
    (``ocr_wild.measure``); separator rules are flagged already and stay as they are."""
    ids = tuple(item.instance_id for item in spec.items)
    return flag_illegible(layers, ids, s.min_legible_size, s.min_legible_contrast)


SCENE = SceneKind(
    OcrReceiptSchema, from_config, sample, lambda settings: CATEGORIES, ("text_page",), TEXT_LABELS, measure=measure
)
