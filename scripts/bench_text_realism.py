#!/usr/bin/env python
"""How hard synthgen's recognition crops are for a reader trained on real images: RapidOCR's
exact-match rate on ``ocr_recognition`` crops, for the defaults and each option, beside trdg's.

RapidOCR 1.4.4 (``rapidocr-onnxruntime``) ships PP-OCRv4's ONNX models in its wheel and runs on the
CPU, offline. It is a bench tool, not a synthgen dependency: install it into a folder of its own
so that it does not replace the environment's OpenCV or numpy, and name that folder::

    pip install --no-deps --target /tmp/rocr rapidocr-onnxruntime==1.4.4 onnxruntime flatbuffers \\
        protobuf pyclipper shapely six PyYAML
    python scripts/bench_text_realism.py --rapidocr /tmp/rocr             # 400 crops per variant
    python scripts/bench_text_realism.py --rapidocr /tmp/rocr --calibrate # + legibility thresholds

Each crop is made in memory (``synthgen.make_sample``), so crops the recognition writer would skip
(flagged ``legible: false``) are read too: the exact-match rate counts the crops a dataset holds
(legible), the calibration (``--calibrate``) all of them. Every crop RapidOCR misses gets one
measured reason, the first that holds of: its tallest glyph under ``SMALL_PX``; ink contrast
(``synthgen.text.legibility.ink_contrast``, the measure behind ``min_legible_contrast``) under
``FAINT``; a handwriting or display face; an augment applied to it; a reading that differs only in
case, spaces or punctuation; otherwise "other". The miss rate of each factor's levels (font class,
glyph height, contrast, augment) is printed beside it, so a reason is a measured rate, not a guess.

trdg (1.8.0, installed as scripts/bench_ocr.py does into ``--peers-dir``) makes the same number of
crops with bench_ocr's settings (noise background, skew 5, blur radius 0-1, 32 px), read the same way.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CONFIG = ROOT / "synthgen" / "configs" / "ocr_recognition.yaml"
SMALL_PX = 10.0  # tallest glyph under this many pixels: "small"
FAINT = 0.15  # ink contrast (separation) under this: "low contrast", the default min_legible_contrast
HARD_CLASSES = ("handwriting", "display")

AUGMENTS = {
    "blur": "{kind: gaussian_blur, p: 1, params: {sigma: 'uniform(0.4, 1.2)'}}",
    "motion_blur": "{kind: motion_blur, p: 1, params: {length: 'randint(3, 7)', angle: 'uniform(0, 180)'}}",
    "noise": "{kind: noise, p: 1, params: {sigma: 'uniform(1, 6)'}}",
    "jpeg": "{kind: jpeg, p: 1, params: {quality: 'randint(40, 90)'}}",
    "brightness_contrast": "{kind: brightness_contrast, p: 1, params: {brightness: 'uniform(-0.1, 0.1)', contrast: 'uniform(0.8, 1.2)'}}",
    "perspective": "{kind: perspective, p: 1, params: {distortion: 'uniform(0.05, 0.25)'}}",
}


def variants() -> dict[str, list[str]]:
    """Variant name -> key=value overrides of configs/ocr_recognition.yaml."""
    dejavu = [f"DejaVu{n}.ttf" for n in ("Sans", "Sans-Bold", "Serif", "SansMono")]
    out = {
        "defaults": [],
        "system fonts (fonts.system, no shipped set)": [
            "scene.params.fonts.bundled=false",
            "scene.params.fonts.system=true",
        ],
        "DejaVu only (the old default fonts)": [
            "scene.params.fonts.bundled=false",
            "scene.params.fonts.paths=[" + ", ".join(f"synthgen/text/assets/fonts/{f}" for f in dejavu) + "]",
        ],
        "no handwriting (fonts.weights.handwriting: 0)": ["scene.params.fonts.weights={handwriting: 0}"],
        "handwriting x3 (fonts.weights.handwriting: 3)": ["scene.params.fonts.weights={handwriting: 3}"],
        "no handwriting or display": ["scene.params.fonts.weights={handwriting: 0, display: 0}"],
        "uniform corpus (corpus.sampling: uniform)": ["scene.params.corpus.sampling=uniform"],
    }
    for name, step in AUGMENTS.items():
        out[f"augment: {name} (p 1)"] = [f"augment={{{name}: {step}}}"]
    return out


@dataclass
class Crop:
    """One crop read by RapidOCR, with what was measured on it."""

    label: str
    read: str = ""
    legible: bool = True
    font: str = ""
    font_class: str = ""
    glyph_px: float = 0.0
    contrast: float = 1.0
    augments: tuple[str, ...] = ()
    reason: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def exact(self) -> bool:
        return self.read == self.label


def load_reader(folder: str | None):
    if folder:
        sys.path.insert(0, folder)
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        raise SystemExit(
            "bench_text_realism: needs rapidocr-onnxruntime 1.4.4 in its own folder; see this script's docstring "
            "(--rapidocr FOLDER)"
        ) from None
    return RapidOCR()


def read_crops(engine, images: list[np.ndarray]) -> list[str]:
    """RapidOCR's recognizer alone (the crops are already cut out), in batches; BGR in."""
    import cv2

    out: list[str] = []
    for k in range(0, len(images), 32):
        batch = [cv2.cvtColor(im, cv2.COLOR_RGB2BGR) for im in images[k : k + 32]]
        results, _ = engine.text_rec(batch)
        out += [text.strip() for text, _ in results]
    return out


def synthgen_crops(overrides: list[str], num: int, seed: int) -> tuple[list[np.ndarray], list[Crop]]:
    from pycocotools import mask as mask_utils

    import synthgen
    from synthgen.text import fonts
    from synthgen.text.contrast import luminance_image
    from synthgen.text.legibility import ink_contrast

    classes = {Path(f.path).name: f.font_class for f in fonts.bundled_faces()}
    cfg = synthgen.load_config(str(CONFIG), [f"seed={seed}", *overrides])
    images, crops = [], []
    for i in range(num):
        sample = synthgen.make_sample(cfg, i)
        texts = [inst for inst in sample.labels.instances if "text" in inst.extensions]
        if len(texts) != 1:
            continue
        inst = texts[0]
        mask = mask_utils.decode(inst.rle).astype(np.int32)
        x, y, w, h = inst.bbox
        contrast = ink_contrast(luminance_image(sample.image), mask, 1, (x, y, x + w, y + h))
        text = inst.extensions["text"]
        q = np.asarray(text.char_quads if text.char_quads is not None else [text.quad], np.float64)
        glyph = float(
            max(np.linalg.norm(q[:, 3] - q[:, 0], axis=1).max(), np.linalg.norm(q[:, 2] - q[:, 1], axis=1).max())
        )
        font = inst.attributes.get("font", "")
        applied = tuple(sample.meta.get("augment") or {})  # the steps applied to this sample, by name
        images.append(sample.image)
        crops.append(
            Crop(
                label=inst.extensions["text"].transcription,
                legible=bool(inst.attributes.get("legible", True)),
                font=font,
                font_class=classes.get(font, "system/user"),
                glyph_px=glyph,
                contrast=contrast,
                augments=applied,
            )
        )
    return images, crops


def trdg_crops(num: int, peers: Path, work: Path) -> tuple[list[np.ndarray], list[Crop]] | str:
    from PIL import Image

    sys.path.insert(0, str(ROOT / "scripts"))
    import bench_ocr

    try:
        python = bench_ocr.make_venv(peers / "trdg", bench_ocr.TRDG_PIP)
    except subprocess.CalledProcessError as exc:
        return f"trdg skipped: installing it failed ({exc})"
    out = work / "trdg"
    flags = f"-c {num} -l en -w 1 -f 32 -b 0 -k 5 -rk -bl 1 -rbl -e png -na 2 -t 2"
    subprocess.run(
        [str(python.parent / "trdg"), "--output_dir", str(out), *flags.split()], check=True, capture_output=True
    )
    images, crops = [], []
    for line in (out / "labels.txt").read_text(encoding="utf-8").splitlines():
        name, _, label = line.partition(" ")
        path = out / name
        if path.is_file():
            images.append(np.asarray(Image.open(path).convert("RGB")))
            crops.append(Crop(label=label.strip(), font_class="trdg"))
    return images, crops


def _loose(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def reason(c: Crop) -> str:
    """The measured reason a crop was misread (the first that holds)."""
    if c.glyph_px and c.glyph_px < SMALL_PX:
        return f"small (tallest glyph < {SMALL_PX:g} px)"
    if c.contrast < FAINT:
        return f"low contrast (ink contrast < {FAINT})"
    if c.font_class in HARD_CLASSES:
        return f"font class {c.font_class}"
    if c.augments:
        return "augment " + "+".join(c.augments)
    if _loose(c.read) == _loose(c.label):
        return "case, space or punctuation only"
    if _edits(c.read, c.label) == 1:
        return "one character misread"
    return "other"


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (small strings)."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def band(value: float, edges: tuple[float, ...]) -> str:
    for lo, hi in itertools.pairwise(edges):
        if lo <= value < hi:
            return f"{lo:g}-{hi:g}"
    return f">={edges[-1]:g}"


def breakdown(crops: list[Crop]) -> dict[str, dict[str, tuple[int, float]]]:
    """Factor -> level -> (crops, exact-match rate) over the legible crops."""
    factors = {
        "font class": lambda c: c.font_class,
        "tallest glyph px": lambda c: band(c.glyph_px, (0, 8, 10, 14, 18, 24, 40)),
        "ink contrast": lambda c: band(c.contrast, (0, 0.15, 0.25, 0.4, 0.6, 1.01)),
        "characters": lambda c: band(len(c.label), (1, 4, 8, 13, 20, 200)),
        "kind": lambda c: (
            "digits/symbols"
            if not any(ch.isalpha() for ch in c.label)
            else ("upper" if c.label.isupper() else "lower" if c.label.islower() else "mixed case")
        ),
    }
    out: dict[str, dict[str, tuple[int, float]]] = {}
    for name, key in factors.items():
        groups: dict[str, list[bool]] = defaultdict(list)
        for c in crops:
            groups[key(c)].append(c.exact)
        out[name] = {k: (len(v), float(np.mean(v))) for k, v in sorted(groups.items())}
    return out


def evaluate(name: str, images: list[np.ndarray], crops: list[Crop], engine) -> dict:
    t = time.perf_counter()
    for c, text in zip(crops, read_crops(engine, images)):
        c.read = text
    seconds = time.perf_counter() - t
    legible = [c for c in crops if c.legible]
    for c in legible:
        if not c.exact:
            c.reason = reason(c)
    reasons = Counter(c.reason for c in legible if not c.exact)
    row = {
        "variant": name,
        "crops": len(legible),
        "exact": float(np.mean([c.exact for c in legible])) if legible else float("nan"),
        "case_insensitive": float(np.mean([c.read.lower() == c.label.lower() for c in legible]))
        if legible
        else float("nan"),
        "flagged_illegible": len(crops) - len(legible),
        "misses_by_reason": dict(reasons.most_common()),
        "breakdown": breakdown(legible),
        "read_seconds": round(seconds, 1),
        "examples": [(c.label, c.read, c.font, c.reason) for c in legible if not c.exact][:12],
    }
    print(
        f"{name}: {row['exact']:.1%} exact of {row['crops']} crops ({row['flagged_illegible']} flagged illegible); "
        f"misses: {dict(reasons.most_common())}",
        flush=True,
    )
    return row


def scene_words(
    config: str, overrides: list[str], num: int, seed: int, whole: bool = False
) -> tuple[list[np.ndarray], list[Crop]]:
    """The words of ``num`` samples of a shipped config, each with its legibility measured as the
    scene measures it (``drawn_height``; ``ink_contrast`` on the final image, against every word's
    pixels) and the crop RapidOCR reads: the whole image (``whole``: recognition crops) or the word
    cut out along its quad (a perspective warp to a level strip, 15 % of its height around it).
    Words a warp cut or a pasted object covered (``truncated``, ``covered``) are left out: their
    flag is not a legibility measure."""
    import cv2
    from pycocotools import mask as mask_utils

    import synthgen
    from synthgen.text import fonts
    from synthgen.text.contrast import luminance_image
    from synthgen.text.legibility import drawn_height, ink_contrast

    classes = {Path(f.path).name: f.font_class for f in fonts.bundled_faces()}
    cfg = synthgen.load_config(str(ROOT / "synthgen" / "configs" / config), [f"seed={seed}", *overrides])
    images, crops = [], []
    for i in range(num):
        sample = synthgen.make_sample(cfg, i)
        words = [i for i in sample.labels.instances if i.extensions.get("text") is not None and "font" in i.attributes]
        ids = np.zeros(sample.image.shape[:2], np.int32)  # words only: lines and blocks are made of them
        for k, inst in enumerate(words, 1):
            ids[mask_utils.decode(inst.rle).astype(bool)] = k
        lum = luminance_image(sample.image)
        for k, inst in enumerate(words, 1):
            if inst.attributes.get("illegible_reason") in ("truncated", "covered") or not inst.area:
                continue
            quad = inst.extensions["text"].quad
            crop = sample.image if whole else _cut_out(sample.image, np.asarray(quad, np.float32), cv2)
            if crop is None:
                continue
            x, y, w, h = inst.bbox
            font = inst.attributes.get("font", "")
            images.append(crop)
            crops.append(
                Crop(
                    label=inst.extensions["text"].transcription,
                    legible=bool(inst.attributes.get("legible", True)),
                    font=font,
                    font_class=classes.get(font, "system/user"),
                    glyph_px=drawn_height(inst),
                    contrast=ink_contrast(lum, ids, k, (x - 2, y - 2, x + w + 2, y + h + 2)),
                    augments=tuple(sample.meta.get("augment") or {}),
                )
            )
    return images, crops


def _cut_out(image: np.ndarray, q: np.ndarray, cv2) -> np.ndarray | None:
    w = int(round(max(np.linalg.norm(q[1] - q[0]), np.linalg.norm(q[2] - q[3]))))
    h = int(round(max(np.linalg.norm(q[3] - q[0]), np.linalg.norm(q[2] - q[1]))))
    if w < 2 or h < 2:
        return None
    pad = 0.15 * h
    dst = np.float32([[pad, pad], [w + pad, pad], [w + pad, h + pad], [pad, h + pad]])
    warp = cv2.getPerspectiveTransform(q, dst)
    return cv2.warpPerspective(image, warp, (int(w + 2 * pad), int(h + 2 * pad)), borderMode=cv2.BORDER_REPLICATE)


def controlled_crops(num: int, seed: int) -> tuple[list[np.ndarray], list[Crop]]:
    """Words of known contrast on a known grey, the faint ones common (gap 0.003..0.4, log-uniform),
    then smooth clutter (std up to 0.12), Gaussian blur (sigma 0.3..2 px), pixel noise (std up to
    0.08) and JPEG (quality 10..90), each on some crops: the conditions under which a real reader
    stops reading, which the shipped scenes rarely reach. Print faces of the shipped set, 12-33 px;
    each crop cut to its word with a margin, as a recognition crop."""
    import cv2

    from synthgen.text import fonts, render2d
    from synthgen.text.contrast import luminance_image
    from synthgen.text.corpus import resolve_corpus
    from synthgen.text.items import TextItem
    from synthgen.text.legibility import drawn_height, ink_contrast
    from synthgen.types import SceneSpec

    faces = [f.path for f in fonts.bundled_faces() if f.font_class in ("serif", "sans", "mono", "condensed")]
    words = sorted({w for w in resolve_corpus(True, None, "corpus") if 3 <= len(w) <= 12})
    rng = np.random.default_rng(seed)
    images, crops = [], []
    for _ in range(num):
        grey = rng.uniform(0.15, 0.85)
        gap = float(np.exp(rng.uniform(np.log(0.003), np.log(0.4)))) * rng.choice([-1, 1])
        ink = int(np.clip(round(255 * (grey + gap)), 0, 255))
        word, face = words[rng.integers(len(words))], faces[rng.integers(len(faces))]
        item = TextItem(1, word, face, int(rng.integers(12, 34)), (ink,) * 3, 0.0, (200.0, 24.0), category="word")
        background = {"kind": "solid", "color": [int(round(255 * grey))] * 3}
        spec = SceneSpec(
            kind="controlled", width=400, height=48, background=background, items=(item,), categories=("word",)
        )
        layers = render2d.render_layers(spec)
        if 1 not in layers.geometry:
            continue
        img = layers.rgb.astype(np.float32) / 255
        if rng.random() < 0.6:  # clutter: smooth blotches of a known strength
            field_ = cv2.GaussianBlur(rng.normal(0, 1, (48, 400)).astype(np.float32), (0, 0), rng.uniform(1, 6))
            img += (field_ / (field_.std() + 1e-9) * rng.uniform(0, 0.12))[..., None]
        if rng.random() < 0.5:
            img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 2.0))
        if rng.random() < 0.7:
            img += rng.normal(0, rng.uniform(0, 0.08), (48, 400)).astype(np.float32)[..., None]
        img = np.clip(np.round(img * 255), 0, 255).astype(np.uint8)
        if rng.random() < 0.4:
            _, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(10, 90))])
            img = cv2.imdecode(data, cv2.IMREAD_COLOR)
        ys, xs = np.nonzero(layers.instance_id == 1)
        pad = int(round(rng.uniform(0.05, 0.3) * 48))
        images.append(img[:, max(xs.min() - pad, 0) : xs.max() + 1 + pad])
        bounds = (int(xs.min()) - 2, int(ys.min()) - 2, int(xs.max()) + 3, int(ys.max()) + 3)
        crops.append(
            Crop(
                label=word,
                font=Path(face).name,
                font_class="print",
                glyph_px=drawn_height(layers.geometry[1]),
                contrast=ink_contrast(luminance_image(img), layers.instance_id, 1, bounds),
            )
        )
    return images, crops


# The calibration sets: (name, config, overrides, samples per unit of --num / 100, whole image).
# Scene defaults first; then the same scenes with faint and small text made common (text colours
# of any contrast, cap heights from 5 px, faint blocks 30 %), with and without harsh augments.
OFF = ["scene.params.min_legible_contrast=0", "scene.params.min_legible_size=0"]
STRESS_AUGMENT = (
    "augment={blur: {kind: gaussian_blur, p: 0.3, params: {sigma: 'uniform(0.4, 2.0)'}}, "
    "noise: {kind: noise, p: 0.4, params: {sigma: 'uniform(1, 20)'}}, "
    "jpeg: {kind: jpeg, p: 0.3, params: {quality: 'randint(10, 90)'}}}"
)
REC_STRESS = ["scene.params.min_contrast=0", "scene.params.size_by=cap", "scene.params.glyph_height=uniform(0.2, 0.8)"]
CALIBRATION_SETS = (
    ("recognition, defaults", "ocr_recognition.yaml", [], 75, True),
    ("ocr_wild words, defaults", "ocr_wild.yaml", [], 3, False),
    ("ocr_document words, defaults", "ocr_document.yaml", [], 0.25, False),
    ("ocr_receipt words, defaults", "ocr_receipt.yaml", [], 0.75, False),
    ("recognition, faint and small common", "ocr_recognition.yaml", REC_STRESS + OFF, 100, True),
    (
        "recognition, faint and small common + blur/noise/JPEG",
        "ocr_recognition.yaml",
        [*REC_STRESS, *OFF, STRESS_AUGMENT],
        100,
        True,
    ),
    ("ocr_wild words, faint blocks 30 %", "ocr_wild.yaml", [*OFF, "scene.params.faint_probability=0.3"], 3, False),
    (
        "ocr_wild words, faint blocks 30 % + blur/noise/JPEG",
        "ocr_wild.yaml",
        [*OFF, "scene.params.faint_probability=0.3", STRESS_AUGMENT],
        3,
        False,
    ),
)
SIZES = (5, 6, 7, 8, 9, 10)
SEPARATIONS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)


def calibration_words(engine, num: int, seed: int) -> dict[str, list[Crop]]:
    """Every calibration set of seed ``seed`` (``num`` scales the sample counts), read by RapidOCR."""
    out = {}
    sets = [
        (name, lambda c=c, o=o, n=n, w=w: scene_words(c, o, max(1, int(n * num / 100)), seed, w))
        for name, c, o, n, w in CALIBRATION_SETS
    ]
    sets.append(("controlled: known gap, clutter, blur, noise, JPEG", lambda: controlled_crops(3 * num, seed)))
    for name, make in sets:
        t = time.perf_counter()
        images, crops = make()
        for c, text in zip(crops, read_crops(engine, images)):
            c.read = text
        out[name] = crops
        print(f"  {name}: {len(crops)} words, {time.perf_counter() - t:.0f} s", flush=True)
    return out


def rule_figures(crops: list[Crop], min_size: float, min_contrast: float) -> tuple[int, float, int, float]:
    """(flagged, share of the flagged RapidOCR reads exactly, kept, share of the kept it reads) for the
    rule "tallest glyph under ``min_size`` px or ``ink_contrast`` under ``min_contrast``"."""
    read = np.array([c.exact for c in crops], bool)
    flagged = np.array([c.glyph_px < min_size or c.contrast < min_contrast for c in crops], bool)
    return int(flagged.sum()), _rate(read[flagged]), int((~flagged).sum()), _rate(read[~flagged])


def fit_thresholds(sets: dict[str, list[Crop]], bound: float = 0.10) -> dict[str, tuple[float, float]]:
    """The largest thresholds whose flags RapidOCR reads at most ``bound`` of: the size first (all
    words), then the separation among the words that size keeps; on the scene sets pooled and on
    the controlled set apart (where faint text under noise, blur and JPEG is common and known)."""
    pools = {
        "scene sets": [c for name, crops in sets.items() if not name.startswith("controlled") for c in crops],
        "controlled": [c for name, crops in sets.items() if name.startswith("controlled") for c in crops],
    }
    out = {}
    for name, pool in pools.items():
        size = max([t for t in SIZES if (f := rule_figures(pool, t, 0))[0] == 0 or f[1] <= bound] or [0])
        kept = [c for c in pool if c.glyph_px >= size]
        contrast = max([t for t in SEPARATIONS if (f := rule_figures(kept, 0, t))[0] == 0 or f[1] <= bound] or [0.0])
        out[name] = (float(size), float(contrast))
    return out


def calibrate(engine, num: int, fit_seed: int, held_seed: int) -> dict:
    """Fit ``min_legible_size`` / ``min_legible_contrast`` on the sets of ``fit_seed`` (the most they
    can flag while RapidOCR reads at most 10 % of what they flag), then report them, the shipped
    defaults' figures and every candidate threshold's on the held-out sets of ``held_seed``."""
    from synthgen.text.scenes.ocr_recognition import OcrRecognitionSettings

    print(f"calibration sets, seed {fit_seed} (fit):", flush=True)
    fit = calibration_words(engine, num, fit_seed)
    fitted = fit_thresholds(fit)
    for pool, (size, contrast) in fitted.items():
        print(f"fitted on the {pool}: min_legible_size {size:g}, min_legible_contrast {contrast:g}")
    size = fitted["scene sets"][0]  # the controlled crops are 12-33 px fonts: no size is fitted on them
    contrast = fitted["controlled"][1]
    print(f"calibration sets, seed {held_seed} (held out):", flush=True)
    held = calibration_words(engine, num, held_seed)
    defaults = (OcrRecognitionSettings().min_legible_size, OcrRecognitionSettings().min_legible_contrast)
    out: dict = {"fitted": fitted, "defaults": defaults, "sets": {}}
    print("held out (flagged: share RapidOCR reads exactly; kept: the same):")
    for name, crops in held.items():
        row = {
            "words": len(crops),
            "as shipped": rule_figures(crops, *defaults),
            "fitted": rule_figures(crops, size, contrast),
            "size": {t: rule_figures(crops, t, 0) for t in SIZES},
            "contrast": {t: rule_figures([c for c in crops if c.glyph_px >= size], 0, t) for t in SEPARATIONS},
            "kept, print faces": rule_figures([c for c in crops if c.font_class not in HARD_CLASSES], size, contrast),
            "words_measured": [(round(c.glyph_px, 2), round(c.contrast, 4), c.exact, c.font_class) for c in crops],
        }
        out["sets"][name] = row
        n, r, k, rk = row["as shipped"]
        print(f"{name} ({len(crops)}): shipped rule flags {n} (read {r:.1%}), keeps {k} (read {rk:.1%})")
        for kind in ("size", "contrast"):
            print("  " + "; ".join(f"{kind} < {t:g}: {n} {r:.0%} / {rk:.0%}" for t, (n, r, k, rk) in row[kind].items()))
        n, r, k, rk = row["kept, print faces"]
        print(f"  print faces only: flags {n} (read {r:.1%}), keeps {k} (read {rk:.1%})")
    return out


STARTUP = """
import resource, sys, time
t0 = time.perf_counter()
import synthgen
cfg = synthgen.load_config(sys.argv[1], sys.argv[2:])
t1 = time.perf_counter()
for i in range(200):
    synthgen.make_sample(cfg, i)
t2 = time.perf_counter()
print(t1 - t0, t2 - t1, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def startup(repeats: int) -> dict:
    """What the shipped font set costs a fresh process (a worker loads the config and its fonts
    once): config load (font list, charsets, the unicase outline check of every face), then 200
    crops, and the peak RSS; against the four DejaVu faces, alternating, median of ``repeats``."""
    dejavu = variants()["DejaVu only (the old default fonts)"]
    runs: dict[str, list[tuple[float, float, float]]] = {"shipped set (75 faces)": [], "DejaVu only (4 faces)": []}
    for _ in range(repeats):
        for name, overrides in (("shipped set (75 faces)", []), ("DejaVu only (4 faces)", dejavu)):
            out = subprocess.run(
                [sys.executable, "-c", STARTUP, str(CONFIG), *overrides],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            ).stdout.split()
            runs[name].append(tuple(float(v) for v in out))
    result = {}
    for name, values in runs.items():
        load, crops, rss = (float(np.median([v[k] for v in values])) for k in range(3))
        result[name] = {"config_load_s": load, "ms_per_crop": crops / 200 * 1000, "peak_rss_mb": rss}
        print(
            f"start-up, {name}: config load {load:.2f} s, 200 crops {crops / 200 * 1000:.2f} ms each, peak RSS {rss:.0f} MB"
        )
    return result


def _rate(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rapidocr", help="folder rapidocr-onnxruntime was installed into (--target)")
    ap.add_argument("--num", type=int, default=400, help="crops per variant")
    ap.add_argument("--seed", type=int, default=1, help="the variants' seed, and the calibration's fit seed")
    ap.add_argument("--held-seed", type=int, default=2, help="the calibration's held-out seed")
    ap.add_argument("--only", nargs="*", help="variant names (prefixes) to run; all when absent")
    ap.add_argument("--peers-dir", type=Path, default=Path(tempfile.gettempdir()) / "peers")
    ap.add_argument("--no-trdg", action="store_true")
    ap.add_argument("--calibrate", action="store_true", help="also measure the legibility thresholds")
    ap.add_argument("--json", type=Path, help="write every figure here")
    ap.add_argument("--startup", type=int, metavar="REPEATS", help="only time the font set's start-up per worker")
    args = ap.parse_args(argv)
    if args.startup:
        result = startup(args.startup)
        if args.json:
            args.json.write_text(json.dumps(result, indent=1))
        return 0
    engine = load_reader(args.rapidocr)
    rows = []
    for name, overrides in variants().items():
        if args.only and not any(name.startswith(o) for o in args.only):
            continue
        images, crops = synthgen_crops(overrides, args.num, args.seed)
        rows.append(evaluate(name, images, crops, engine))
        if args.json:  # as it goes: a long run stopped midway keeps what it measured
            args.json.write_text(json.dumps({"rows": rows}, indent=1, default=str))
    if not args.no_trdg:
        with tempfile.TemporaryDirectory() as work:
            got = trdg_crops(args.num, args.peers_dir, Path(work))
            if isinstance(got, str):
                print(got)
            else:
                rows.append(evaluate("trdg 1.8.0 (bench_ocr's settings)", *got, engine))
    result = {"rows": rows}
    if args.calibrate:
        result["calibration"] = calibrate(engine, args.num, args.seed, args.held_seed)
    print("\n| crops | RapidOCR exact | case-insensitive | misses by measured reason |\n|---|---|---|---|")
    for r in rows:
        why = ", ".join(f"{k} {v}" for k, v in r["misses_by_reason"].items())
        print(f"| {r['variant']} ({r['crops']}) | {r['exact']:.1%} | {r['case_insensitive']:.1%} | {why} |")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
