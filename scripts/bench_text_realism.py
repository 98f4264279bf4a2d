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
FAINT = 0.25  # ink contrast under this: "low contrast"
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


def wild_words(num: int, seed: int, overrides: list[str] = ()) -> tuple[list[np.ndarray], list[Crop]]:
    """The words of ``num`` ocr_wild scenes, each cut out along its word quad (a perspective warp
    to a level strip), with the scene's own legibility flag and the measured contrast and height."""
    import cv2

    import synthgen
    from synthgen.text import fonts
    from synthgen.text.contrast import luminance_image
    from synthgen.text.legibility import drawn_height, ink_contrast

    classes = {Path(f.path).name: f.font_class for f in fonts.bundled_faces()}
    cfg = synthgen.load_config(str(ROOT / "synthgen" / "configs" / "ocr_wild.yaml"), [f"seed={seed}", *overrides])
    images, crops = [], []
    from pycocotools import mask as mask_utils

    for i in range(num):
        sample = synthgen.make_sample(cfg, i)
        lum = luminance_image(sample.image)
        for inst in sample.labels.instances:
            text = inst.extensions.get("text")
            if text is None or text.quad is None or "font" not in inst.attributes:
                continue  # words only (lines and blocks are made of them)
            q = np.asarray(text.quad, np.float32)
            w = int(round(max(np.linalg.norm(q[1] - q[0]), np.linalg.norm(q[2] - q[3]))))
            h = int(round(max(np.linalg.norm(q[3] - q[0]), np.linalg.norm(q[2] - q[1]))))
            if w < 2 or h < 2:
                continue
            pad = 0.15 * h
            dst = np.float32([[pad, pad], [w + pad, pad], [w + pad, h + pad], [pad, h + pad]])
            warp = cv2.getPerspectiveTransform(q, dst)
            crop = cv2.warpPerspective(
                sample.image, warp, (int(w + 2 * pad), int(h + 2 * pad)), borderMode=cv2.BORDER_REPLICATE
            )
            mask = mask_utils.decode(inst.rle).astype(np.int32)
            x, y, bw, bh = inst.bbox
            font = inst.attributes.get("font", "")
            images.append(crop)
            crops.append(
                Crop(
                    label=inst.extensions["text"].transcription,
                    legible=bool(inst.attributes.get("legible", True)),
                    font=font,
                    font_class=classes.get(font, "system/user"),
                    glyph_px=drawn_height(inst),
                    contrast=ink_contrast(lum, mask, 1, (x, y, x + bw, y + bh)),
                )
            )
    return images, crops


def threshold_table(crops: list[Crop]) -> dict:
    """For candidate thresholds: (threshold, flagged, read of flagged, kept, read of kept)."""
    contrast = np.array([c.contrast for c in crops])
    glyph = np.array([c.glyph_px for c in crops])
    read = np.array([c.exact for c in crops])
    table = {"contrast": [], "size": []}
    for t in (0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3):
        flagged = contrast < t
        kept = ~flagged & (glyph >= 8)
        table["contrast"].append((t, int(flagged.sum()), _rate(read[flagged]), int(kept.sum()), _rate(read[kept])))
    for t in (4, 5, 6, 7, 8, 9, 10, 12):
        flagged = glyph < t
        kept = ~flagged & (contrast >= 0.15)
        table["size"].append((t, int(flagged.sum()), _rate(read[flagged]), int(kept.sum()), _rate(read[kept])))
    flagged = np.array([not c.legible for c in crops])
    table["as_shipped"] = (int(flagged.sum()), _rate(read[flagged]), int((~flagged).sum()), _rate(read[~flagged]))
    return table


def print_table(name: str, table: dict) -> None:
    n, r, k, rk = table["as_shipped"]
    print(f"{name}: as shipped, flagged {n} read {r:.1%}; kept {k} read {rk:.1%}")
    for kind in ("contrast", "size"):
        for t, n, r, k, rk in table[kind]:
            print(f"  {kind} < {t}: flagged {n} read {r:.1%}; kept {k} read {rk:.1%}")


def calibrate(engine, num: int, seed: int) -> dict:
    """RapidOCR's reading of crops by their measured contrast and glyph height, over the default
    crops with faint and tiny text made common (text colours of any contrast, cap heights from 5 px), so that the
    thresholds can be read off: for each candidate threshold, the share read of what it would flag
    (should be <= 10 %) and of what it would keep (should be >= 90 %)."""
    overrides = [
        "scene.params.min_contrast=0.0",  # text colours of every contrast
        "scene.params.min_legible_contrast=0.0",
        "scene.params.min_legible_size=0",
        "scene.params.size_by=cap",  # cap heights of 0.2..0.8 of the crop: 5 to 20 px
        "scene.params.glyph_height=uniform(0.2, 0.8)",
    ]
    out = {}
    images, crops = synthgen_crops(overrides, num, seed)
    for c, text in zip(crops, read_crops(engine, images)):
        c.read = text
    out["recognition (faint and small made common)"] = threshold_table(crops)
    images, crops = synthgen_crops([], num, seed)
    for c, text in zip(crops, read_crops(engine, images)):
        c.read = text
    out["recognition (defaults)"] = threshold_table(crops)
    images, crops = wild_words(max(num // 20, 4), seed)
    for c, text in zip(crops, read_crops(engine, images)):
        c.read = text
    out["ocr_wild words (defaults)"] = threshold_table(crops)
    images, crops = wild_words(max(num // 20, 4), seed, ["scene.params.faint_probability=0.3"])
    for c, text in zip(crops, read_crops(engine, images)):
        c.read = text
    out["ocr_wild words (faint_probability 0.3)"] = threshold_table(crops)
    print("calibration (threshold: flagged, share read of flagged; kept, share read of kept):")
    for name, table in out.items():
        print_table(name, table)
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
    ap.add_argument("--seed", type=int, default=1)
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
        result["calibration"] = calibrate(engine, args.num * 2, args.seed)
    print("\n| crops | RapidOCR exact | case-insensitive | misses by measured reason |\n|---|---|---|---|")
    for r in rows:
        why = ", ".join(f"{k} {v}" for k, v in r["misses_by_reason"].items())
        print(f"| {r['variant']} ({r['crops']}) | {r['exact']:.1%} | {r['case_insensitive']:.1%} | {why} |")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
