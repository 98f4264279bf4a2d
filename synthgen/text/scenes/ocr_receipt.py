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
from dataclasses import replace
from typing import Optional

import numpy as np

from synthgen.backgrounds import BackgroundSettings, paper_background, sample_background
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, derived, integer, nested, number, param, within
from synthgen.scene.base import SceneKind
from synthgen.text import fonts
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


class ReceiptWarpSettings(Params):
    """``warp:``: how the flat strip is placed in the image and crumpled."""

    rotation: Distribution = param("uniform(-12, 12)", number(-180, 180), "degrees")
    scale: Distribution = param(
        "uniform(0.7, 0.95)", number(0.1, 1.0), "strip height / image height (before clamping to fit)"
    )
    perspective: Distribution = param("uniform(0, 0.08)", number(0, 0.3), "corner displacement, in strip widths")
    crumple: Distribution = param("uniform(0, 6)", number(0, 30), "displacement amplitude, pixels")
    crumple_scale: Distribution = param("uniform(60, 160)", number(8, 8192), "feature size of the crumples, pixels")
    shading: Distribution = param("uniform(0.5, 2.0)", number(0, 10), "strength of the shading")


class OcrReceiptSettings(Params):
    """``scene.params`` of an ocr_receipt scene; ``font_paths`` and ``words`` are found at load."""

    width: int = param(480, within(64, 8192), "image width in pixels")
    height: int = param(640, within(64, 8192), "image height in pixels")
    strip_width: Distribution = param("randint(260, 340)", integer(120, 4000), "pixels, before the warp")
    font_size: Distribution = param("randint(13, 17)", integer(6, 200), "pixels")
    items: Distribution = param("randint(3, 10)", integer(1, 100), "item lines per receipt")
    line_spacing: Distribution = param("uniform(1.05, 1.35)", number(0.9, 4), "line pitch, in line heights")
    ink_darkness: Distribution = param(
        "uniform(0.0, 0.35)", number(0, 0.6), "luminance of the print (faded thermal print is lighter)"
    )
    min_legible_size: int = param(6, within(0), "words whose tallest glyph in the image is shorter (px) are illegible")
    min_legible_contrast: float = param(
        0.15, within(0, 1), "printed text that stands out less from the paper is illegible"
    )
    fonts: FontsSettings = nested(FontsSettings, "the fonts (text/font_choice.py)")
    corpus: CorpusSettings = nested(CorpusSettings, "the words (text/corpus.py)", case="upper")
    background: BackgroundSettings = nested(BackgroundSettings, "the surface", kind="choice([noise, blobs, gradient])")
    warp: ReceiptWarpSettings = nested(ReceiptWarpSettings, "the strip's placement and crumpling")
    font_paths: tuple[str, ...] = derived((), "the font files of fonts")
    corpus_words: tuple[str, ...] = derived((), "the words of corpus")
    corpus_weights: Optional[np.ndarray] = derived(None, "cumulative, for corpus.sampling: frequency", compare=False)

    def check(self, key: str) -> OcrReceiptSettings:
        refuse_recognition_font_keys(self.fonts, f"{key}.fonts")
        font_paths = resolve_fonts(self.fonts, f"{key}.fonts")
        refuse_corpus_keys(self.corpus, f"{key}.corpus")
        words = resolve_corpus(self.corpus.builtin, self.corpus.file, f"{key}.corpus", p=self.corpus)
        check_corpus_coverage(tuple(word.upper() for word in words), font_paths, f"{key}.corpus")
        weights = corpus_sampler(self.corpus, words, f"{key}.corpus")
        return replace(self, font_paths=font_paths, corpus_words=words, corpus_weights=weights)


Segment = tuple[str, str]  # (text, align: left | right | center)


def receipt_lines(s: OcrReceiptSettings, rng: np.random.Generator) -> list[tuple[list[Segment], str]]:
    """The receipt's lines: segments with an alignment each, and the line's role."""

    def word() -> str:
        return draw_word(s.corpus_words, s.corpus_weights, rng).upper()

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

    angle = math.radians(float(s.warp.rotation.sample(rng)))
    c, si = math.cos(angle), math.sin(angle)
    # the turned strip's bounding box must fit in the image with a margin
    bw, bh = abs(pw * c) + abs(ph * si), abs(pw * si) + abs(ph * c)
    scale = min(float(s.warp.scale.sample(rng)) * s.height / ph, 0.92 * s.width / bw, 0.92 * s.height / bh)
    room_x = max(s.width - bw * scale, 0) / 2 * 0.8
    room_y = max(s.height - bh * scale, 0) / 2 * 0.8
    centre = np.array([s.width / 2 + rng.uniform(-room_x, room_x), s.height / 2 + rng.uniform(-room_y, room_y)])
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float64)
    rot = np.array([[c, si], [-si, c]])
    dst = (src - [pw / 2, ph / 2]) * scale @ rot.T + centre
    jitter = float(s.warp.perspective.sample(rng)) * pw * scale
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
            "amplitude": float(s.warp.crumple.sample(rng)),
            "scale": float(s.warp.crumple_scale.sample(rng)),
            "shading": float(s.warp.shading.sample(rng)),
        },
    }
    return SceneSpec(
        kind="ocr_receipt",
        width=s.width,
        height=s.height,
        background=background,
        items=record_fonts(items, s.fonts.record),
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
    sample, lambda settings: CATEGORIES, ("text_page",), TEXT_LABELS, measure=measure, params=OcrReceiptSettings
)
