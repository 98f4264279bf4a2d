"""ocr_recognition's glyph-level variations: stroke weight, jitter, slant, size by glyph, polarity,
font weights and records, busy backgrounds; labels exact under each, bad values refused."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest
from ocr_helpers import ocr_config

import synthgen
from synthgen.engine import make_sample
from synthgen.engine.seeds import stage_rng
from synthgen.errors import ConfigError
from synthgen.scene import SCENES
from synthgen.text import fonts
from synthgen.text.draw import draw_plane
from synthgen.text.font_choice import FontsSettings, pick_font, resolve_font_weights, resolve_fonts
from synthgen.text.glyphs import box_corners_of, glyph, layout_run, stamp

VARIATIONS = {
    "thicker": {"style": {"weight": "uniform(0.02, 0.06)"}},
    "thinner": {"style": {"weight": "uniform(-0.03, -0.01)"}},
    "jitter": {"style": {"jitter_probability": 1.0, "jitter_rotation": "uniform(-12, 12)"}},
    "slant": {"style": {"slant": "uniform(-25, 25)", "rotation": "uniform(-5, 5)"}},
    "jitter_curved_outlined": {
        "style": {"jitter_probability": 1.0, "slant": 10, "curve_probability": 1.0, "stroke_probability": 1.0}
    },
    "weight_outlined_perspective": {
        "style": {"weight": 0.04, "stroke_probability": 1.0, "perspective": 0.1, "slant": -12}
    },
    "size_by_cap": {"size_by": "choice([cap, digit])"},
}


def _fill(shape, pts) -> np.ndarray:
    out = np.zeros(shape, np.uint8)
    cv2.fillPoly(out, [np.round(np.asarray(pts, np.float64) * 16).astype(np.int32).reshape(-1, 1, 2)], 1, cv2.LINE_8, 4)
    return out.astype(bool)


def _grow(mask: np.ndarray) -> np.ndarray:
    return cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)


def _spec(cfg, index):
    kind = SCENES.get(cfg.scene.kind)
    return kind.sample(cfg.scene.settings, stage_rng(cfg.seed, index, "scene"))


@pytest.mark.parametrize("name", sorted(VARIATIONS))
def test_char_ink_stays_inside_its_own_quad(tmp_path, name):
    cfg = ocr_config(tmp_path, "recognition", VARIATIONS[name])
    checked = 0
    for i in range(6):
        (item,) = _spec(cfg, i).items
        plane = draw_plane(item)
        shape = plane.full.shape
        if plane.glyphs:  # drawn glyph by glyph: each glyph alone against its own quad
            for (gfull, _, m), quad in zip(plane.glyphs, plane.char_quads):
                alone = cv2.warpAffine(gfull, m[:2], shape[::-1], flags=cv2.INTER_LINEAR, borderValue=0) > 0
                assert not (alone & ~_grow(_fill(shape, quad))).any(), (name, item.text)
                checked += 1
        else:  # straight: each glyph stamped alone at its pen
            run = layout_run(
                item.font_path, item.font_size, item.text, item.letter_spacing, item.stroke_width, item.weight
            )
            origin = plane.char_quads[0][0] - box_corners_of(run.boxes)[0][0] if len(run.chars) else np.zeros(2)
            for k, (g, pen) in enumerate(zip(run.glyphs, run.pens)):
                alone = np.zeros(shape, np.uint8)
                stamp(alone, g, int(origin[0]) + int(np.floor(pen)), int(origin[1]))
                assert not ((alone > 0) & ~_fill(shape, plane.char_quads[k])).any(), (name, item.text)
                checked += 1
        # and in the image: every pixel of the instance inside the union of its char quads
        sample = make_sample(cfg, i)
        for inst in sample.labels.instances:
            mask = inst.visible_mask()
            chars = np.zeros(mask.shape, bool)
            for q in inst.extensions["text"].char_quads:
                chars |= _fill(mask.shape, q)
            assert not (mask & ~_grow(chars)).any(), (name, inst.extensions["text"].transcription)
            assert len(inst.extensions["text"].char_quads) == len(
                inst.extensions["text"].transcription.replace(" ", "")
            )
    assert checked > 20


def test_weight_thickens_and_thins_the_strokes_without_moving_the_pens():
    path = str(fonts.bundled_font_dir() / "DejaVuSans.ttf")
    ink = {w: int(glyph(path, 40, "H", 0, 0, w).full.astype(np.int64).sum()) for w in (-1.0, -0.5, 0.0, 0.5, 1.0, 2.0)}
    assert ink[-1.0] < ink[-0.5] < ink[0.0] < ink[0.5] < ink[1.0] < ink[2.0]
    plain, bold = layout_run(path, 40, "Hello 42", 0.0, 0, 0.0), layout_run(path, 40, "Hello 42", 0.0, 0, 1.5)
    assert plain.pens.tolist() == bold.pens.tolist()
    # 1.5 px more on every side of every stroke: the ink boxes grow on every side, by about that
    # (whole pixels, and the 4x rendering is hinted a little differently)
    grow = bold.boxes - plain.boxes
    assert np.all((grow[:, :2] <= -0.5) & (grow[:, :2] >= -3.5)), grow
    assert np.all((grow[:, 2:] >= 0.5) & (grow[:, 2:] <= 3.5)), grow


def test_size_by_cap_height_makes_capitals_alike(tmp_path):
    params = {
        "size_by": "cap",
        "glyph_height": 0.7,
        "padding": 0.1,
        "text": {"source": "pattern", "patterns": ["H"], "charset": "upper"},
        "style": {"rotation": 0, "perspective": 0, "curve_probability": 0, "stroke_probability": 0},
    }
    cfg = ocr_config(tmp_path, "recognition", params)
    want = 0.7 * (32 - 2 * 3.2)
    heights = []
    for i in range(8):
        (inst,) = make_sample(cfg, i).labels.instances
        quad = inst.extensions["text"].char_quads[0]
        heights.append(float(quad[:, 1].max() - quad[:, 1].min()))
    assert all(abs(h - want) <= 1.5 for h in heights), heights


@pytest.mark.parametrize("polarity", ["dark", "light"])
def test_polarity_puts_the_ink_on_the_asked_side(tmp_path, polarity):
    # the asked side wherever the paper leaves it room (min_contrast 0.4 below or above it)
    cfg = ocr_config(tmp_path, "recognition", {"polarity": polarity, "background": {"kind": "solid"}})
    asked = 0
    for i in range(16):
        s = make_sample(cfg, i)
        (inst,) = s.labels.instances
        grey = s.image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32) / 255
        mask = inst.visible_mask()
        ink, paper = float(np.median(grey[mask])), float(np.median(grey[~_grow(mask)]))
        room = paper - 0.4 >= 0.01 if polarity == "dark" else paper + 0.4 <= 0.99
        if room:
            assert (ink < paper) if polarity == "dark" else (ink > paper), (i, ink, paper)
            asked += 1
    assert asked >= 4


def test_recorded_font_and_size_are_those_drawn(tmp_path):
    cfg = ocr_config(tmp_path, "recognition", {"fonts": {"record": True}, "style": {"weight": 0.03}})
    seen = set()
    for i in range(8):
        (item,) = _spec(cfg, i).items
        (inst,) = make_sample(cfg, i).labels.instances
        assert inst.attributes["font"] == Path(item.font_path).name
        assert inst.attributes["font_size"] == item.font_size
        meta = make_sample(cfg, i).meta["scene"]
        assert (meta["font"], meta["font_size"]) == (inst.attributes["font"], item.font_size)
        # the drawn glyphs are that font at that size: its first glyph's ink height matches
        run = layout_run(item.font_path, item.font_size, item.text, item.letter_spacing, item.stroke_width, item.weight)
        assert run.chars == inst.extensions["text"].chars
        seen.add(inst.attributes["font"])
    assert len(seen) >= 2


def test_per_family_weights_keep_a_large_family_from_dominating(tmp_path):
    names = ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSerif", "DejaVuSansMono")
    paths = tuple(str(fonts.bundled_font_dir() / f"{name}.ttf") for name in names)
    paths = resolve_fonts(FontsSettings(bundled=False, paths=paths), "fonts")  # Sans and Sans Bold: one family
    weights = resolve_font_weights(FontsSettings(per_family=True), paths, "fonts")
    by_family = Counter()
    for p, w in zip(paths, weights):
        by_family[fonts.load_font(p, 12).getname()[0]] += w
    assert len(by_family) == 3 and all(abs(w - 1 / 3) < 1e-9 for w in by_family.values())
    rng = np.random.default_rng(0)
    picks = Counter(Path(pick_font(paths, "abc", rng, weights)).name for _ in range(3000))
    assert abs(picks["DejaVuSans.ttf"] + picks["DejaVuSans-Bold.ttf"] - 1000) < 120
    # by file name and by family name; a weight 0 font is never drawn
    weighted = FontsSettings(weights={"DejaVuSerif.ttf": 0, "DejaVu Sans Mono": 2.0})
    weights = resolve_font_weights(weighted, paths, "fonts")
    picks = Counter(Path(pick_font(paths, "abc", rng, weights)).name for _ in range(2000))
    assert picks["DejaVuSerif.ttf"] == 0 and picks["DejaVuSansMono.ttf"] > picks["DejaVuSans.ttf"] * 1.5
    # equal weights draw exactly as no weights (fonts outside the shipped set: they all weigh 1)
    copies = []
    for p in paths:
        copies.append(str(tmp_path / Path(p).name))
        shutil.copyfile(p, copies[-1])
    assert resolve_font_weights(FontsSettings(weights={"DejaVuSerif.ttf": 1.0}), tuple(copies), "fonts") is None
    # the shipped set: each face weighs its family's manifest weight split over its faces, and a
    # class name weighs a whole class
    shipped = tuple(fonts.bundled_fonts())
    weights = resolve_font_weights(FontsSettings(weights={"handwriting": 0}), shipped, "fonts")
    faces = {f.path: f for f in fonts.bundled_faces()}
    assert all((w == 0) == (faces[p].font_class == "handwriting") for p, w in zip(shipped, weights))
    weights = resolve_font_weights(FontsSettings(), shipped, "fonts")
    by_family = Counter()
    for p, w in zip(shipped, weights):
        by_family[faces[p].family] += w
    assert by_family["DejaVu Sans"] == pytest.approx(by_family["Go"]) == pytest.approx(2 * by_family["Humor Sans"])


def _generate(tmp_path, params, num=40):
    cfg = ocr_config(tmp_path, "recognition", params, num_samples=num, outputs=["coco", "recognition"])
    out = tmp_path / "out"
    synthgen.generate_dataset(cfg, out, workers=1)
    return out, json.loads((out / "manifest.json").read_text())


def test_illegible_crops_are_counted_by_reason(tmp_path):
    # a demanding contrast and size, so that some crops are flagged for each reason
    params = {"min_contrast": 0.55, "background": {"kind": "blobs"}, "min_legible_contrast": 0.45}
    params["size_by"], params["glyph_height"] = "cap", "uniform(0.3, 0.6)"
    params["min_legible_size"] = 11
    out, manifest = _generate(tmp_path, params)
    samples = list(synthgen.read_dataset(out))
    flagged = [i for s in samples for i in s.labels.instances if i.attributes.get("legible") is False]
    reasons = Counter(i.attributes["illegible_reason"] for i in flagged)
    assert set(reasons) == {"low_contrast", "too_small"}, reasons
    counted = {k: v for k, v in manifest["counts"]["dropped"].items() if k.startswith("illegible_")}
    assert counted == {f"illegible_{r}": n for r, n in reasons.items()}
    rows = (out / "recognition" / "labels.tsv").read_text(encoding="utf-8").splitlines()
    total = sum(len(s.labels.instances) for s in samples)
    assert len(rows) + len(flagged) == total  # written + counted = every crop


def test_busy_backgrounds_are_measured_not_assumed_illegible(tmp_path):
    # no colour stands out from the whole of a blobs crop, but the best grey mostly reads against
    # the patches right around it (a real-trained reader read every such crop)
    cfg = ocr_config(tmp_path, "recognition", {"min_contrast": 0.55, "background": {"kind": "blobs"}})
    busy = legible = 0
    for i in range(30):
        (item,) = _spec(cfg, i).items
        if item.color not in ((0, 0, 0), (255, 255, 255)):
            continue
        busy += 1
        (inst,) = make_sample(cfg, i).labels.instances
        legible += inst.attributes["legible"]
    assert busy >= 10 and legible >= 0.9 * busy, (busy, legible)


def test_busy_backgrounds_get_an_outline_and_stay_legible(tmp_path):
    params = {"min_contrast": 0.55, "background": {"kind": "blobs"}, "busy_background": "outline"}
    out, manifest = _generate(tmp_path, params, num=20)
    samples = list(synthgen.read_dataset(out))
    assert all(i.attributes.get("legible") is True for s in samples for i in s.labels.instances)
    assert "illegible_low_contrast" not in manifest["counts"]["dropped"]


@pytest.mark.parametrize(
    "scene, params, key",
    [
        ("recognition", {"style": {"weight": 0.9}}, "scene.params.style.weight"),
        ("recognition", {"style": {"slant": 60}}, "scene.params.style.slant"),
        ("recognition", {"style": {"jitter_probability": 1.5}}, "scene.params.style.jitter_probability"),
        ("recognition", {"style": {"jitter_scale": "uniform(0.1, 1)"}}, "scene.params.style.jitter_scale"),
        ("recognition", {"style": {"jitter_rotation": 90}}, "scene.params.style.jitter_rotation"),
        ("recognition", {"style": {"jitter_baseline": 2}}, "scene.params.style.jitter_baseline"),
        ("recognition", {"style": {"jitter_spacing": -1}}, "scene.params.style.jitter_spacing"),
        ("recognition", {"size_by": "x_height"}, "scene.params.size_by"),
        ("recognition", {"glyph_height": 1.5}, "scene.params.glyph_height"),
        ("recognition", {"polarity": "red"}, "scene.params.polarity"),
        ("recognition", {"busy_background": "ignore"}, "scene.params.busy_background"),
        ("recognition", {"unicase": "lower"}, "scene.params.unicase"),
        ("recognition", {"fonts": {"weights": {"nope.ttf": 1}}}, "scene.params.fonts.weights.nope.ttf"),
        ("recognition", {"fonts": {"weights": {"DejaVuSans.ttf": -1}}}, "scene.params.fonts.weights.DejaVuSans.ttf"),
        ("wild", {"style": {"weight": 0.02}}, "scene.params.style.weight"),
        ("wild", {"style": {"jitter_probability": 0.5}}, "scene.params.style.jitter_probability"),
        ("wild", {"fonts": {"per_family": True}}, "scene.params.fonts.per_family"),
        ("document", {"fonts": {"per_family": True}}, "scene.params.fonts.per_family"),
        ("wild", {"min_legible_contrast": 1.5}, "scene.params.min_legible_contrast"),
        ("recognition", {"min_legible_contrast": -0.1}, "scene.params.min_legible_contrast"),
        ("recognition", {"min_legible_size": -1}, "scene.params.min_legible_size"),
        ("document", {"min_legible_contrast": 2}, "scene.params.min_legible_contrast"),
        ("receipt", {"min_legible_contrast": -1}, "scene.params.min_legible_contrast"),
    ],
)
@pytest.mark.slow  # loads a config per case
def test_bad_variation_values_name_their_key(tmp_path, scene, params, key):
    with pytest.raises(ConfigError) as err:
        ocr_config(tmp_path, scene, params)
    assert str(err.value).startswith(key + ": ") and "\n" not in str(err.value), str(err.value)


@pytest.fixture(scope="module")
def caps_font(tmp_path_factory) -> str:
    """DejaVu Sans with its lower-case code points mapped to the capitals' glyphs: an all-caps face."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(fonts.bundled_font_dir() / "DejaVuSans.ttf"))
    for table in font["cmap"].tables:
        if table.isUnicode():
            for cp in range(ord("a"), ord("z") + 1):
                table.cmap[cp] = table.cmap[cp - 32]
    path = tmp_path_factory.mktemp("caps") / "AllCaps.ttf"
    font.save(str(path))
    return str(path)


def test_all_caps_fonts_are_detected(caps_font):
    assert fonts.is_unicase(caps_font)
    # the shipped set: exactly the faces that draw lower case as capitals (or have none)
    unicase = {Path(f).name for f in fonts.bundled_fonts() if fonts.is_unicase(f)}
    assert unicase == {"Humor-Sans.ttf", "BecauseWeCreate-Regular.otf", "BebasNeue-Regular.otf", "TomsonTalks.ttf"}


def test_all_caps_fonts_never_mislabel_lower_case(tmp_path, caps_font):
    text = {"source": "word", "charset": "latin"}
    cfg = ocr_config(tmp_path, "recognition", {"text": text, "fonts": {"paths": [caps_font], "record": True}})
    lower = 0
    for i in range(20):
        (item,) = _spec(cfg, i).items
        if item.text != item.text.upper():
            assert item.font_path != caps_font, item.text  # skipped for text with lower case
            lower += 1
    assert lower > 5
    # upper: the font is kept and the label upper-cased, so it says what the pixels show
    params = {"text": text, "fonts": {"paths": [caps_font], "bundled": False}, "unicase": "upper"}
    cfg = ocr_config(tmp_path, "recognition", params)
    for i in range(10):
        (inst,) = make_sample(cfg, i).labels.instances
        assert inst.extensions["text"].transcription == inst.extensions["text"].transcription.upper()


@pytest.mark.slow  # generates a shipped scene's pages
@pytest.mark.parametrize("scene", ["wild", "document", "receipt"])
def test_every_text_scene_keeps_lower_case_off_all_caps_faces(tmp_path, caps_font, scene):
    """Only the recognition scene had the unicase rule: a detection scene with an all-caps face among
    its fonts drew lower-case words in capitals under lower-case transcriptions."""
    cfg = ocr_config(tmp_path, scene, {"fonts": {"paths": [caps_font], "bundled": True}}, num_samples=6)
    lower = 0
    for i in range(6):
        for item in _spec(cfg, i).items:
            if item.text != item.text.upper():
                lower += 1
                assert item.font_path != caps_font, item.text
    assert lower > 5


def test_an_all_caps_face_still_draws_text_without_lower_case(caps_font):
    from synthgen.text.font_choice import pick_font

    other = str(fonts.bundled_font_dir() / "DejaVuSerif.ttf")
    rng = np.random.default_rng(0)
    upper = {pick_font((caps_font, other), "EXIT 24", rng) for _ in range(40)}
    lower = {pick_font((caps_font, other), "Exit 24", rng) for _ in range(40)}
    assert upper == {caps_font, other} and lower == {other}


def test_system_fonts_are_filtered_by_the_charset():
    found = resolve_fonts(FontsSettings(bundled=False, system=True), "fonts", "0123456789")
    if not found:
        pytest.skip("no system fonts on this machine")
    assert all(fonts.covers(f, "0123456789") for f in found)


def test_wild_records_why_a_word_is_illegible_and_counts_it(tmp_path):
    from ocr_helpers import word_instances

    plain = {"kind": "choice([solid, gradient])", "clutter": {"probability": 0}}  # nothing busy to blur the measure
    no_shadow = {"shadow_probability": 0.0, "stroke_probability": 0.0}  # a contrasting one would read
    noise = {"noise": {"kind": "noise", "p": 1, "params": {"sigma": 40}}}  # ~2x the faint ink's largest gap
    for params, reason, run in (
        ({"font_size": "randint(6, 8)", "min_legible_size": 12, "faint_probability": 0.0}, "too_small", {}),
        (
            {"faint_probability": 1.0, "font_size": 30, "background": plain, "style": no_shadow},
            "low_contrast",
            {"augment": noise},
        ),
    ):
        cfg = ocr_config(tmp_path, "wild", params, **run)
        for k in range(2):
            sample = make_sample(cfg, k)
            words = word_instances(sample)
            flagged = [w for w in words if w.attributes["legible"] is False]
            assert len(flagged) == len(words) if reason == "too_small" else len(flagged) >= len(words) / 2
            # (most faint words drown: 9 of 17 and 10 of 12 here)
            assert all(w.attributes["illegible_reason"] == reason for w in flagged)
            assert sample.meta["dropped"][f"illegible_{reason}"] == len(flagged)  # counted, one per word


@pytest.mark.slow  # generates a shipped scene's pages
@pytest.mark.parametrize("scene", ["document", "receipt"])
def test_pages_measure_legibility_on_the_drawn_text_and_count_it(tmp_path, scene):
    """Documents and receipts flag words as wild scenes do: from the glyphs and ink in the final
    picture (after the receipt's warp), with the reason, each counted once."""
    from ocr_helpers import word_instances

    small = {"document": {"font_size": 4, "heading_probability": 0.0}, "receipt": {"font_size": 6}}[scene]
    for params, expect_flagged in (({}, False), ({**small, "min_legible_size": 12}, True)):
        cfg = ocr_config(tmp_path, scene, params)
        sample = make_sample(cfg, 0)
        words = [w for w in word_instances(sample) if w.attributes.get("role") != "separator"]
        assert words
        flagged = [w for w in words if not w.attributes["legible"]]
        assert all(w.attributes["illegible_reason"] in ("too_small", "low_contrast") for w in flagged)
        assert sum(n for k, n in sample.meta.get("dropped", {}).items() if k.startswith("illegible_")) == len(flagged)
        if expect_flagged:
            assert len(flagged) == len(words) and {w.attributes["illegible_reason"] for w in words} == {"too_small"}
        else:  # printed text at its usual sizes on paper reads
            assert len(flagged) <= len(words) // 20, (len(flagged), len(words))
