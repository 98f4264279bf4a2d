#!/usr/bin/env python
"""What synthgen's text variations are worth: cross-font generalisation, as an ablation.

A classifier of single characters (digits and upper-case letters, 36 classes) is trained on
synthgen recognition crops drawn with one group of fonts (print and display faces) and tested on
clean renders of a held-out group (handwriting faces) that it never saw. Two classifiers, both
seeded: an RBF SVM on HOG features (scikit-image's ``hog`` + scikit-learn; OpenCV 5 dropped
HOGDescriptor) and a small torch CNN.

The ablation trains on: every variation on ("all"), each variation off in turn ("-name"), and
plain renders with no variation at all ("plain", the floor). Each configuration runs for several
seeds (the dataset seed and the model seed); the table gives mean and spread of the test
accuracy, and the "worth" of a variation is all minus the run without it.

    python scripts/bench_data_value.py                       # 3 seeds, 1000 crops each
    python scripts/bench_data_value.py --seeds 5 --train 4000 --json out/value.json
    python scripts/bench_data_value.py --only all,plain      # a subset of the configurations
    python scripts/bench_data_value.py --digits              # handwriting against real digits

``--digits`` asks whether synthetic handwriting teaches: digits drawn from the handwriting faces
(TEST_FONTS) as typed crops with every documented variation ("fonts"), as plain renders
("plain"), and by the stroke-based pen model (``handwriting:``, "strokes"; "strokes-print" takes
the centre lines of the print faces instead) are turned into scikit-learn's 8 x 8 digit format
(binarised, the ink box scaled to 32 px high, 4 x 4 blocks counted) and an RBF SVM trained on them
is tested on scikit-learn's 1,797 real handwritten digits ("synthetic only"), and added to 5 real
digits per class (tested on the other real digits, against those 5 per class alone). The ink fill
(share of the 32 x 32 bitmap that is ink) of each set is compared with the real digits'.

Needs the Debian font packages in DEBIAN_PACKAGES (the script names the missing ones and exits 2):

    apt-get install fonts-liberation fonts-urw-base35 fonts-sil-andika fonts-sil-gentium \\
        fonts-comic-neue fonts-dustin fonts-beteckna fonts-dejavu-core fonts-dkg-handwriting \\
        fonts-breip fonts-femkeklaver fonts-rufscript fonts-sjfonts fonts-humor-sans

and scikit-learn + scikit-image (``pip install 'synthgen-cv[bench]'``). torch is the CPU
build the project already uses.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCENE = ROOT / "scenes" / "ocr" / "recognition.yaml"
CLASSES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SIDE = 32  # classifier input: SIDE x SIDE grey

# Debian packages -> font files used. Train: print and display faces; test: handwriting faces.
TRAIN_FONTS = {
    "fonts-liberation": [
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Regular.ttf",
    ],
    "fonts-urw-base35": [
        "/usr/share/fonts/opentype/urw-base35/NimbusSans-Regular.otf",
        "/usr/share/fonts/opentype/urw-base35/C059-Roman.otf",
        "/usr/share/fonts/opentype/urw-base35/P052-Roman.otf",
        "/usr/share/fonts/opentype/urw-base35/URWGothic-Book.otf",
        "/usr/share/fonts/opentype/urw-base35/URWBookman-Light.otf",
        "/usr/share/fonts/opentype/urw-base35/NimbusMonoPS-Regular.otf",
    ],
    "fonts-sil-andika": ["/usr/share/fonts/truetype/andika/Andika-Regular.ttf"],
    "fonts-sil-gentium": ["/usr/share/fonts/truetype/gentium/Gentium-R.ttf"],
    "fonts-comic-neue": ["/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf"],
    "fonts-dustin": [
        "/usr/share/fonts/truetype/dustin/Dustismo.ttf",
        "/usr/share/fonts/truetype/dustin/Dustismo_Roman.ttf",
    ],
    "fonts-beteckna": ["/usr/share/fonts/truetype/beteckna/BetecknaGS.ttf"],
    "fonts-dejavu-core": ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"],
}
TEST_FONTS = {
    "fonts-dkg-handwriting": ["/usr/share/fonts/truetype/fifthhorseman/dkg.ttf"],
    "fonts-breip": ["/usr/share/fonts/truetype/breip/Breip.ttf"],
    "fonts-femkeklaver": ["/usr/share/fonts/truetype/femkeklaver/femkeklaver.ttf"],
    "fonts-rufscript": ["/usr/share/fonts/truetype/rufscript/Rufscript010.ttf"],
    "fonts-sjfonts": [
        "/usr/share/fonts/truetype/sjfonts/Delphine.ttf",
        "/usr/share/fonts/truetype/sjfonts/SteveHand.ttf",
    ],
    "fonts-humor-sans": ["/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf"],
}
DEBIAN_PACKAGES = sorted({*TRAIN_FONTS, *TEST_FONTS})

# Every variation on: the shipped recognition scene, plus the new text variations and augment
# steps. Values are dotlist overrides of a run config that includes scenes/ocr/recognition.yaml.
ALL_ON = {
    "scene.params.text.source": "pattern",
    "scene.params.text.charset": "alnum",
    "scene.params.fonts.bundled": "false",
    "scene.params.style.weight": "uniform(-0.015, 0.04)",
    "scene.params.style.jitter_probability": "0.5",
    "scene.params.style.slant": "uniform(-15, 15)",
    "scene.params.size_by": "choice([line, cap, digit])",
    "scene.params.polarity": "choice([dark, light], [0.8, 0.2])",
}
AUGMENT_YAML = """\
augment:
  warp:
    kind: elastic
    p: 0.5
    params: {amplitude: "uniform(0.02, 0.05)", scale_x: "uniform(0.85, 1.05)", scale_y: "uniform(0.9, 1.05)"}
  defocus:
    kind: gaussian_blur
    p: 0.3
    params: {sigma: "uniform(0.3, 1.0)"}
  sensor:
    kind: noise
    p: 0.5
    params: {sigma: "uniform(1, 8)"}
"""


@dataclass(frozen=True)
class Variation:
    """One variation of the ablation: a name, what it is, and the overrides that turn it off."""

    name: str
    what: str
    off: dict[str, str]


VARIATIONS = (
    Variation("background", "solid, gradient, noise, paper and blob backgrounds", {"scene.params.background.kind": "solid"}),
    Variation(
        "pose",
        "rotation and perspective (style.rotation, style.perspective)",
        {"scene.params.style.rotation": "0", "scene.params.style.perspective": "0"},
    ),
    Variation(
        "effects",
        "outline and drop shadow (style.stroke_probability, style.shadow_probability)",
        {"scene.params.style.stroke_probability": "0", "scene.params.style.shadow_probability": "0"},
    ),
    Variation("camera", "blur and noise augment steps", {"augment.defocus.p": "0", "augment.sensor.p": "0"}),
    Variation("weight", "stroke weight (style.weight)", {"scene.params.style.weight": "0"}),
    Variation("jitter", "per-character jitter (style.jitter_probability)", {"scene.params.style.jitter_probability": "0"}),
    Variation("slant", "slant per item (style.slant)", {"scene.params.style.slant": "0"}),
    Variation("size_by", "size by cap / digit height as well as line band (size_by)", {"scene.params.size_by": "line"}),
    Variation("polarity", "mostly dark ink (polarity), off: any side", {"scene.params.polarity": "any"}),
    Variation("elastic", "elastic distortion and x / y scale augment", {"augment.warp.p": "0"}),
)


def check_fonts() -> list[str]:
    """The font files the benchmark uses; exits 2 naming the Debian packages that are missing."""
    missing = sorted(
        pkg for pkg, files in {**TRAIN_FONTS, **TEST_FONTS}.items() if not all(Path(f).is_file() for f in files)
    )
    if missing:
        print(
            f"bench_data_value: error: missing fonts; install them with:\n  apt-get install {' '.join(missing)}",
            file=sys.stderr,
        )
        sys.exit(2)
    return [f for files in TRAIN_FONTS.values() for f in files]


def check_libraries() -> None:
    try:
        import skimage  # noqa: F401
        import sklearn  # noqa: F401
        import torch  # noqa: F401
    except ImportError as exc:
        print(f"bench_data_value: error: {exc.name} is needed: pip install 'synthgen-cv[bench]'", file=sys.stderr)
        sys.exit(2)


def run_config_text(train_fonts: list[str], num: int, seed: int, with_augment: bool) -> str:
    fonts = ", ".join(json.dumps(f) for f in train_fonts)
    text = f"""\
name: bench_data_value
seed: {seed}
num_samples: {num}
shard_size: 250
image: {{format: png, png_compress_level: 0}}
scene:
  include: {SCENE}
  params:
    text:
      patterns: ["[0-9A-Z]"]
    fonts:
      paths: [{fonts}]
outputs: [coco]
"""
    return text + (AUGMENT_YAML if with_augment else "")


def overrides_for(name: str) -> tuple[dict[str, str], bool]:
    """(dotlist overrides, whether the augment steps are there) of one configuration."""
    on = dict(ALL_ON)
    if name == "all":
        return on, True
    if name == "+handwriting":  # every variation, and half the crops written by the pen model
        return {**on, "scene.params.handwriting.probability": "0.5"}, True
    if name == "plain":
        for v in VARIATIONS:
            on.update(v.off)
        on.update(PLAIN_EXTRA)
        return {k: v for k, v in on.items() if not k.startswith("augment.")}, False
    variation = next(v for v in VARIATIONS if f"-{v.name}" == name)
    on.update(variation.off)
    return on, True


# what "plain" turns off beyond the variations: every other style knob of the shipped scene
PLAIN_EXTRA = {
    "scene.params.style.letter_spacing": "0",
    "scene.params.style.curve_probability": "0",
    "scene.params.padding": "0.1",
}


def synth_crops(name: str, train_fonts: list[str], num: int, seed: int, workers: int) -> tuple[np.ndarray, np.ndarray]:
    """(images (n, SIDE, SIDE) float32, labels (n,) int) of one configuration, from synthgen."""
    import synthgen

    overrides, with_augment = overrides_for(name)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "run.yaml"
        cfg.write_text(run_config_text(train_fonts, num, seed, with_augment), encoding="utf-8")
        config = synthgen.load_config(cfg, [f"{k}={v}" for k, v in overrides.items()])
        synthgen.generate_dataset(config, Path(tmp) / "out", workers=workers)
        xs, ys = [], []
        for sample in synthgen.read_dataset(Path(tmp) / "out"):
            texts = [i for i in sample.labels.instances if "text" in i.extensions]
            legible = [i for i in texts if i.attributes.get("legible") is not False]
            if len(legible) != 1:
                continue
            text = legible[0].extensions["text"].transcription
            if text not in CLASSES:
                continue
            xs.append(to_square(grey(sample.image)))
            ys.append(CLASSES.index(text))
    return np.stack(xs), np.asarray(ys)


def grey(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def to_square(img: np.ndarray) -> np.ndarray:
    """Fit a grey crop into SIDE x SIDE keeping its aspect, padded with its border's median."""
    import cv2

    h, w = img.shape
    scale = SIDE / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
    border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
    out = np.full((SIDE, SIDE), float(np.median(border)), np.float32)
    y, x = (SIDE - nh) // 2, (SIDE - nw) // 2
    out[y : y + nh, x : x + nw] = small
    return out


def clean_renders() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Held-out test set: every class in every test font that maps it, black on white, drawn with
    Pillow at three sizes (line band 70, 80 and 90 % of a 32 px crop)."""
    from PIL import Image, ImageDraw, ImageFont

    from synthgen.text.fonts import covers

    xs, ys, names = [], [], []
    for files in TEST_FONTS.values():
        for path in files:
            for band in (0.7, 0.8, 0.9):
                probe = ImageFont.truetype(path, 100)
                ascent, descent = probe.getmetrics()
                size = max(6, round(32 * band * 100 / (ascent + descent)))
                font = ImageFont.truetype(path, size)
                for k, ch in enumerate(CLASSES):
                    if not covers(path, ch):
                        continue
                    left, top, right, bottom = font.getbbox(ch, anchor="ls")
                    pad = 3
                    canvas = Image.new("L", (right - left + 2 * pad, 32), 255)
                    baseline = (32 + (ascent - descent) * size / 100) / 2
                    ImageDraw.Draw(canvas).text((pad - left, baseline), ch, fill=0, font=font, anchor="ls")
                    xs.append(to_square(np.asarray(canvas, np.float32)))
                    ys.append(k)
                    names.append(Path(path).name)
    return np.stack(xs), np.asarray(ys), names


def hog_features(images: np.ndarray) -> np.ndarray:
    """HOG of each image (scikit-image: 9 unsigned orientations, 8 px cells, 2x2-cell blocks)."""
    from skimage.feature import hog

    return np.stack([hog(im, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2)) for im in images])


def svm_accuracy(train_x, train_y, test_x, test_y, seed: int) -> float:
    from sklearn.svm import SVC

    model = SVC(C=10.0, gamma="scale", random_state=seed).fit(hog_features(train_x), train_y)
    return float((model.predict(hog_features(test_x)) == test_y).mean())


def standardise(images: np.ndarray) -> np.ndarray:
    flat = images.reshape(len(images), -1)
    mean, std = flat.mean(1, keepdims=True), flat.std(1, keepdims=True) + 1e-3
    out = ((flat - mean) / std).reshape(images.shape)
    # dark text on light paper: a crop whose border is darker than its middle is flipped, so the
    # CNN sees one polarity (what a reader's binarisation would do)
    border = np.concatenate([out[:, :2].reshape(len(out), -1), out[:, -2:].reshape(len(out), -1)], 1).mean(1)
    out[border < 0] *= -1
    return out.astype(np.float32)


def cnn_accuracy(train_x, train_y, test_x, test_y, seed: int, epochs: int) -> float:
    import torch
    from torch import nn

    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 12, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(12, 24, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(24, 48, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
        nn.Flatten(), nn.Dropout(0.2), nn.Linear(192, len(CLASSES)),
    )  # fmt: skip
    x = torch.from_numpy(standardise(train_x))[:, None]
    y = torch.from_numpy(train_y).long()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), 32):
            idx = order[i : i + 32]
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(standardise(test_x))[:, None]).argmax(1).numpy()
    return float((pred == test_y).mean())


def summarise(values: list[float]) -> str:
    mean = statistics.fmean(values)
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{100 * mean:5.1f} ± {100 * spread:3.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--train", type=int, default=1000, help="synthgen crops per configuration and seed")
    parser.add_argument("--epochs", type=int, default=8, help="CNN epochs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated configurations (all, plain, -<variation>)")
    parser.add_argument("--json", type=Path, default=None, help="write every figure here")
    parser.add_argument("--digits", action="store_true", help="handwriting against scikit-learn's real digits")
    parser.add_argument("--real-seeds", type=int, default=5, help="--digits: draws of the 5 real digits per class")
    args = parser.parse_args(argv)

    if args.digits:
        return digits_main(args)
    train_fonts = check_fonts()
    check_libraries()
    import torch

    torch.set_num_threads(1)  # small batches: one thread is as fast, and steadier on a busy machine
    names = ["all", *(f"-{v.name}" for v in VARIATIONS), "plain", "+handwriting"]
    if args.only:
        wanted = args.only.split(",")
        unknown = [n for n in wanted if n not in names]
        if unknown:
            print(f"bench_data_value: error: --only: unknown {unknown}; valid: {names}", file=sys.stderr)
            return 2
        names = wanted
    test_x, test_y, _ = clean_renders()
    print(f"test: {len(test_y)} clean renders of {sum(len(f) for f in TEST_FONTS.values())} held-out fonts")
    results: dict[str, dict[str, list[float]]] = {}
    started = time.perf_counter()
    for name in names:
        results[name] = {"svm": [], "cnn": []}
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            train_x, train_y = synth_crops(name, train_fonts, args.train, seed, args.workers)
            t1 = time.perf_counter()
            results[name]["svm"].append(svm_accuracy(train_x, train_y, test_x, test_y, seed))
            results[name]["cnn"].append(cnn_accuracy(train_x, train_y, test_x, test_y, seed, args.epochs))
            print(
                f"{name:>14} seed {seed}: svm {results[name]['svm'][-1]:.3f} cnn {results[name]['cnn'][-1]:.3f}"
                f"  ({len(train_y)} crops in {t1 - t0:.1f} s, trained in {time.perf_counter() - t1:.1f} s)",
                flush=True,
            )
    print(f"\n{len(names)} configurations x {args.seeds} seeds in {time.perf_counter() - started:.0f} s\n")
    print(table(results))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"train": args.train, "seeds": args.seeds, "results": results}, indent=1))
    return 0


def table(results: dict[str, dict[str, list[float]]]) -> str:
    """Markdown table: accuracy per configuration, and each variation's worth (all minus without it)."""
    whats = {f"-{v.name}": v.what for v in VARIATIONS}
    lines = [
        "| training data | HOG + SVM, % | CNN, % | worth (SVM / CNN, points) | lost on every seed |",
        "|---|---|---|---|---|",
    ]
    base = results.get("all")
    for name, r in results.items():
        worth, lost = "", ""
        if base is not None and name != "all":
            d_svm = [a - b for a, b in zip(base["svm"], r["svm"])]
            d_cnn = [a - b for a, b in zip(base["cnn"], r["cnn"])]
            worth = f"{100 * statistics.fmean(d_svm):+.1f} / {100 * statistics.fmean(d_cnn):+.1f}"
            # a variation whose removal helps both classifiers on every seed costs accuracy
            if name.startswith("-") and all(d < 0 for d in d_svm + d_cnn):
                lost = "yes: costs accuracy"
        label = {
            "all": "every variation on",
            "plain": "plain renders (floor)",
            "+handwriting": "every variation on, half the crops handwritten (`handwriting.probability: 0.5`)",
        }.get(
            name, f"without {name[1:]}: {whats.get(name, '')}"
        )
        lines.append(f"| {label} | {summarise(r['svm'])} | {summarise(r['cnn'])} | {worth} | {lost} |")
    return "\n".join(lines)


# --digits: what each kind of synthetic handwriting is, as overrides of the digits run config
HAND_FONTS = [f for files in TEST_FONTS.values() for f in files]
DIGIT_SETS = {
    "fonts": ({**ALL_ON, "scene.params.text.charset": "digits"}, True, HAND_FONTS),
    "plain": (
        {
            **{k: v for k, v in overrides_for("plain")[0].items()},
            "scene.params.text.charset": "digits",
            "scene.params.polarity": "dark",
        },
        False,
        HAND_FONTS,
    ),
    "strokes": (
        {
            "scene.params.text.source": "pattern",
            "scene.params.text.charset": "digits",
            "scene.params.fonts.bundled": "false",
            "scene.params.handwriting.probability": "1",
            "scene.params.handwriting.paper": "choice([scene, plain, ruled])",
        },
        False,
        HAND_FONTS,
    ),
}
DIGIT_SETS["strokes-print"] = (DIGIT_SETS["strokes"][0], False, None)  # None: the print faces (TRAIN_FONTS)
PRINT_FONTS = [f for files in TRAIN_FONTS.values() for f in files]
DIGIT_SETS["strokes-all"] = (DIGIT_SETS["strokes"][0], False, HAND_FONTS + PRINT_FONTS)
DIGIT_SETS["strokes-elastic"] = (DIGIT_SETS["strokes"][0], True, HAND_FONTS)  # + the augment steps of "all"


def digits_config_text(fonts: list[str], num: int, seed: int, with_augment: bool) -> str:
    return run_config_text(fonts, num, seed, with_augment).replace('"[0-9A-Z]"', '"[0-9]"')


def digit_crops(name: str, num: int, seed: int, workers: int, overrides: dict[str, str] | None = None):
    """(images (n, 64) float64 in 0..1 as scikit-learn's digits, labels (n,)) of one digit set."""
    import synthgen

    base, with_augment, fonts = DIGIT_SETS[name]
    fonts = fonts or [f for files in TRAIN_FONTS.values() for f in files]
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "run.yaml"
        cfg.write_text(digits_config_text(fonts, num, seed, with_augment), encoding="utf-8")
        values = {**base, **(overrides or {})}
        config = synthgen.load_config(cfg, [f"{k}={v}" for k, v in values.items()])
        synthgen.generate_dataset(config, Path(tmp) / "out", workers=workers)
        xs, ys = [], []
        for sample in synthgen.read_dataset(Path(tmp) / "out"):
            texts = [i.extensions["text"].transcription for i in sample.labels.instances if "text" in i.extensions]
            if len(texts) != 1 or texts[0] not in "0123456789" or len(texts[0]) != 1:
                continue
            digit = to_optdigit(grey(sample.image))
            if digit is not None:
                xs.append(digit)
                ys.append(int(texts[0]))
    return np.stack(xs), np.asarray(ys)


def to_optdigit(img: np.ndarray) -> np.ndarray | None:
    """A grey crop as scikit-learn's digits are made (UCI optdigits): the ink binarised (Otsu, ink
    on the side away from the border), its box scaled to 32 px high (or wide) and centred in 32 x 32,
    then the ink pixels of each 4 x 4 block counted; returned as (64,) in 0..1 (count / 16)."""
    import cv2

    u8 = np.clip(img, 0, 255).astype(np.uint8)
    _, binary = cv2.threshold(u8, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    border = np.concatenate([binary[0], binary[-1], binary[:, 0], binary[:, -1]])
    ink = binary == 0 if border.mean() > 0.5 else binary == 1
    ys, xs = np.nonzero(ink)
    if not len(xs):
        return None
    box = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32)
    h, w = box.shape
    scale = 32 / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = cv2.resize(box, (nw, nh), interpolation=cv2.INTER_AREA) >= 0.5
    bitmap = np.zeros((32, 32), np.float64)
    y, x = (32 - nh) // 2, (32 - nw) // 2
    bitmap[y : y + nh, x : x + nw] = small
    return bitmap.reshape(8, 4, 8, 4).sum((1, 3)).reshape(64) / 16


def ink_fill(x: np.ndarray) -> str:
    """Ink fill (share of the 32 x 32 bitmap that is ink): median [10th, 90th percentile]."""
    f = x.mean(1)
    p10, p50, p90 = np.percentile(f, [10, 50, 90])
    return f"{p50:.3f} [{p10:.3f}, {p90:.3f}]"


def digit_svm(train_x, train_y, test_x, test_y) -> float:
    from sklearn.svm import SVC

    model = SVC(C=10.0, gamma="scale", random_state=0).fit(train_x, train_y)
    return float((model.predict(test_x) == test_y).mean())


def digits_main(args) -> int:
    """``--digits``: synthetic-only and 5-real-per-class mixes on scikit-learn's real digits."""
    check_fonts()
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        print("bench_data_value: error: scikit-learn is needed: pip install 'synthgen-cv[bench]'", file=sys.stderr)
        return 2
    real = load_digits()
    real_x, real_y = real.data / 16.0, real.target
    names = args.only.split(",") if args.only else list(DIGIT_SETS)
    unknown = [n for n in names if n not in DIGIT_SETS]
    if unknown:
        print(f"bench_data_value: error: --only: unknown {unknown}; valid: {list(DIGIT_SETS)}", file=sys.stderr)
        return 2
    draws = []
    for r in range(args.real_seeds):
        rng = np.random.default_rng(1000 + r)
        few = np.concatenate([rng.choice(np.flatnonzero(real_y == c), 5, replace=False) for c in range(10)])
        rest = np.setdiff1d(np.arange(len(real_y)), few)
        draws.append((few, rest))
    alone = [digit_svm(real_x[f], real_y[f], real_x[r], real_y[r]) for f, r in draws]
    results: dict[str, dict] = {"real 5/class": {"mix": alone, "fill": ink_fill(real_x)}}
    print(f"real digits: {len(real_y)}, ink fill {ink_fill(real_x)}; 5 per class alone: {summarise(alone)} %")
    for name in names:
        only, mixes = [], []
        fill = ""
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            x, y = digit_crops(name, args.train, seed, args.workers)
            fill = ink_fill(x)
            only.append(digit_svm(x, y, real_x, real_y))
            for (few, rest), _ in zip(draws, range(args.real_seeds)):
                mx = np.concatenate([x, real_x[few]])
                my = np.concatenate([y, real_y[few]])
                mixes.append(digit_svm(mx, my, real_x[rest], real_y[rest]))
            print(
                f"{name:>14} seed {seed}: synthetic only {only[-1]:.3f}, with 5 real/class "
                f"{statistics.fmean(mixes[-args.real_seeds:]):.3f}, fill {fill} ({len(y)} digits, "
                f"{time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
        results[name] = {"only": only, "mix": mixes, "fill": fill}
    print()
    print(digits_table(results))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"train": args.train, "seeds": args.seeds, "digits": results}, indent=1))
    return 0


DIGIT_WHAT = {
    "real 5/class": "5 real digits per class alone",
    "fonts": "handwriting faces, typed, every documented variation",
    "plain": "handwriting faces, plain renders",
    "strokes": "stroke-based pen model on the handwriting faces' centre lines",
    "strokes-print": "stroke-based pen model on the print faces' centre lines",
    "strokes-all": "stroke-based pen model on the handwriting and print faces' centre lines",
    "strokes-elastic": "stroke-based pen model, handwriting faces, + elastic, blur and noise augment",
}


def digits_table(results: dict[str, dict]) -> str:
    lines = [
        "| training data | synthetic only, % | + 5 real per class, % | ink fill, median [p10, p90] |",
        "|---|---|---|---|",
    ]
    for name, r in results.items():
        only = summarise(r["only"]) if "only" in r else ""
        lines.append(f"| {DIGIT_WHAT.get(name, name)} | {only} | {summarise(r['mix'])} | {r['fill']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
