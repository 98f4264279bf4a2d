"""Text in every script: Arabic, Hebrew, Devanagari and Thai shaped and drawn as Pillow's raqm
layout draws them, right-to-left text mirrored, transcriptions in logical order, char quads per
glyph cluster holding every ink pixel, and runs that cannot be shaped refused at load.

Fonts: the Noto faces of Debian's fonts-noto-core (scripts/setup.sh installs them); the tests
that need them skip with that reason when they are absent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from synthgen.text import fonts, shaping
from synthgen.text.draw import draw_plane, draw_text
from synthgen.text.glyphs import layout_run
from synthgen.text.items import TextItem

NOTO = Path("/usr/share/fonts/truetype/noto")
ROOT = Path(__file__).resolve().parents[2]

# script -> (font file, a word, the logical indices of characters that share one cluster)
WORDS = {
    # "peace": lam-alef ligature (chars 1 and 2), joining forms everywhere else
    "Arabic": ("NotoSansArabic-Regular.ttf", "سلام", [(1, 2)]),
    # "school": final mem
    "Hebrew": ("NotoSansHebrew-Regular.ttf", "שלום", []),
    # "Kshatriya": the conjunct ksha (k + virama + ssa) and tra with the i-matra drawn before it
    "Devanagari": ("NotoSansDevanagari-Regular.ttf", "क्षत्रिय", [(0, 1, 2), (3, 4, 5, 6)]),
    # "water": nam with the tone mark and sara am stacked on it
    "Thai": ("NotoSansThai-Regular.ttf", "น้ำ", [(0, 1, 2)]),
}
RTL = {"Arabic", "Hebrew"}


def noto(name: str) -> str:
    path = NOTO / name
    if not path.is_file():
        pytest.skip(f"needs {path} (Debian: apt-get install fonts-noto-core)")
    if shaping.missing_library():
        pytest.skip(f"needs the shaping libraries: {shaping.missing_library()}")
    return str(path)


def raqm_alpha(path: str, size: int, text: str) -> np.ndarray:
    """Pillow's raqm rendering of ``text``, cropped to its ink."""
    from PIL import Image, ImageDraw, ImageFont, features

    if not features.check("raqm"):
        pytest.skip("Pillow was built without libraqm")
    font = ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.RAQM)
    left, top, right, bottom = font.getbbox(text, anchor="la")
    im = Image.new("L", (right - left + 8, bottom - top + 8))
    ImageDraw.Draw(im).text((4 - left, 4 - top), text, fill=255, font=font, anchor="la")
    return crop(np.asarray(im))


def crop(alpha: np.ndarray) -> np.ndarray:
    rows, cols = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
    return alpha[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def item(path: str, text: str, size: int = 32, **kw) -> TextItem:
    return TextItem(1, text, path, size, (0, 0, 0), kw.pop("angle", 0.0), kw.pop("center", (100.0, 60.0)), **kw)


@pytest.mark.parametrize("script", list(WORDS))
@pytest.mark.parametrize("size", [17, 32])
def test_pixels_are_pillow_raqm_pixels(script, size):
    """(a) the same ink as ImageDraw.text with the raqm layout, alphas within one level."""
    name, word, _ = WORDS[script]
    path = noto(name)
    ours = crop(draw_plane(item(path, word, size)).full)
    theirs = raqm_alpha(path, size, word)
    assert ours.shape == theirs.shape
    assert np.array_equal(ours > 0, theirs > 0)
    assert np.abs(ours.astype(int) - theirs).max() <= 1


@pytest.mark.parametrize("script", list(WORDS))
def test_outlined_pixels_are_pillow_raqm_stroke_pixels(script):
    """An outline (FreeType's stroker, as Pillow's ``stroke_width``) covers the same pixels."""
    from PIL import Image, ImageDraw, ImageFont

    name, word, _ = WORDS[script]
    path = noto(name)
    ours = crop(draw_plane(item(path, word, 32, stroke_width=2)).full)
    font = ImageFont.truetype(path, 32, layout_engine=ImageFont.Layout.RAQM)
    im = Image.new("L", (400, 160))
    ImageDraw.Draw(im).text((40, 40), word, fill=255, font=font, anchor="la", stroke_width=2, stroke_fill=255)
    theirs = crop(np.asarray(im))
    assert ours.shape == theirs.shape and np.array_equal(ours > 0, theirs > 0)


@pytest.mark.parametrize("script", sorted(RTL))
def test_rtl_is_mirrored_against_a_naive_left_to_right_draw(script):
    """The first logical character's ink is at the right end of the word (a naive basic-layout
    draw puts it at the left) and the last one's at the left end."""
    from PIL import ImageFont

    name, word, _ = WORDS[script]
    path = noto(name)
    plane = draw_plane(item(path, word))
    quads = plane.char_quads
    assert plane.rtl
    assert quads[0][:, 0].max() == pytest.approx(plane.ink[2])
    assert quads[-1][:, 0].min() == pytest.approx(plane.ink[0])
    centres = quads[:, :, 0].mean(axis=1)
    assert np.all(np.diff(centres) <= 0)  # logical order runs right to left
    naive = ImageFont.truetype(path, 32, layout_engine=ImageFont.Layout.BASIC)
    first_right = naive.getbbox(word[0], anchor="la")[2]
    assert first_right < naive.getbbox(word, anchor="la")[2] / 2  # basic layout: first char at the left


@pytest.mark.parametrize("script", list(WORDS))
def test_char_quads_are_clusters_holding_their_ink(script):
    """(b) every cluster's ink inside its quad, characters of one cluster share it; (c) the
    transcription and the chars are the word in logical order."""
    name, word, shared = WORDS[script]
    path = noto(name)
    run = layout_run(path, 32, word)
    assert run.chars == word and run.clusters is not None
    for group in shared:
        assert len({int(run.clusters[i]) for i in group}) == 1
        assert all(np.array_equal(run.boxes[i], run.boxes[group[0]]) for i in group)
    assert len(set(run.clusters.tolist())) == len(word) - sum(len(g) - 1 for g in shared)
    for g, pen, box in zip(run.glyphs, run.pens, run.boxes):
        if not g.full.size:
            continue
        rows, cols = np.nonzero(g.full)
        x, y = cols + g.x + int(pen), rows + g.y
        assert x.min() >= box[0] and x.max() + 1 <= box[2] and y.min() >= box[1] and y.max() + 1 <= box[3]
        assert (x.min(), x.max() + 1, y.min(), y.max() + 1) == (box[0], box[2], box[1], box[3])  # tight

    rgb = np.zeros((120, 200, 3), np.uint8)
    ids = np.zeros((120, 200), np.int32)
    geo = draw_text(rgb, ids, item(path, word, angle=17.0))
    assert geo.extensions["text"].transcription == word and geo.extensions["text"].chars == word
    assert (geo.attributes.get("direction") == "rtl") == (script in RTL)
    assert_ink_inside(ids == 1, geo.extensions["text"].char_quads, geo.extensions["text"].quad)


def assert_ink_inside(mask: np.ndarray, char_quads: np.ndarray, quad: np.ndarray) -> None:
    """Every ink pixel's centre within half a pixel (bilinear spill) of a char quad and of the word quad."""
    import cv2

    ys, xs = np.nonzero(mask)
    assert len(xs)
    pts = np.stack([xs + 0.5, ys + 0.5], axis=1)
    for p in pts:
        near = max(cv2.pointPolygonTest(q.astype(np.float32), (float(p[0]), float(p[1])), True) for q in char_quads)
        assert near >= -0.75, p
        assert cv2.pointPolygonTest(quad.astype(np.float32), (float(p[0]), float(p[1])), True) >= -0.75, p


@pytest.mark.parametrize("script", list(WORDS))
def test_curved_jittered_and_weighted_clusters_keep_their_ink(script):
    """A cluster moves as one under jitter and along a curve; outline and stroke weight stay in its quad."""
    name, word, _ = WORDS[script]
    path = noto(name)
    jitter = tuple((1.0 * (k % 2), -1.0 * (k % 3), 1.0 + 0.05 * (k % 2), 6.0 * (k % 3 - 1)) for k in range(len(word)))
    for kw in (
        {"curve": "arc", "curve_amount": 0.02},
        {"jitter": jitter, "slant": 10.0},
        {"weight": 0.75, "stroke_width": 1},
        {"weight": -0.5, "letter_spacing": 3.0},
    ):
        rgb = np.zeros((160, 240, 3), np.uint8)
        ids = np.zeros((160, 240), np.int32)
        geo = draw_text(rgb, ids, item(path, word, center=(120.0, 80.0), **kw))
        assert geo.extensions["text"].chars == word
        assert_ink_inside(ids == 1, geo.extensions["text"].char_quads, geo.extensions["text"].quad)


def test_bidi_runs_reorder_numbers_and_latin_inside_rtl():
    assert shaping.visual_runs("abc") == (False, [(0, 3, False)])
    # Hebrew word, space, digits: digits stay left to right, to the left of the word
    rtl, runs = shaping.visual_runs("שלום 123")
    assert rtl and runs == [(5, 8, False), (0, 5, True)]
    # Latin paragraph with a Hebrew word inside: the Hebrew run is reversed in place
    rtl, runs = shaping.visual_runs("ab שלום cd")
    assert not rtl and runs == [(0, 3, False), (3, 7, True), (7, 10, False)]
    # Arabic letters then European digits: the digits become Arabic numbers (level 2)
    assert shaping.bidi_levels("عام 2024") == (True, [1, 1, 1, 1, 2, 2, 2, 2])


def test_mixed_line_draws_rtl_words_right_to_left():
    path = noto(WORDS["Hebrew"][0])
    run = layout_run(path, 24, "שלום 123 עולם")
    assert run.chars == "שלום123עולם"
    x = dict(zip(range(len(run.chars)), run.boxes[:, 0]))
    assert x[0] > x[4] > x[7]  # first word at the right, then the number, then the last word


def test_latin_keeps_the_basic_layout():
    path = str(fonts.bundled_font_dir() / "DejaVuSans.ttf")
    for text in ("Hello", "naïve café", "ÀéüßŁ 0123", "A-Z.,;"):
        assert not shaping.needs_shaping(text)
        run = layout_run(path, 20, text)
        assert run.clusters is None and not run.rtl
    assert shaping.needs_shaping("e\u0301") and shaping.needs_shaping("שלום") and shaping.needs_shaping("น้ำ")


def test_font_without_the_script_does_not_cover_it():
    """DejaVu Sans maps no Devanagari; a face that maps it but has no Devanagari substitutions
    cannot shape it either (fonts.covers checks the GSUB script list)."""
    dejavu = str(fonts.bundled_font_dir() / "DejaVuSans.ttf")
    assert not fonts.covers(dejavu, "क्षत्रिय")
    assert fonts.covers(dejavu, "سلام") and shaping.font_shapes(dejavu, ("arab",))
    assert not shaping.font_shapes(dejavu, ("dev2", "deva"))


def _run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "synthgen", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path)


def test_refused_at_load_when_no_font_can_shape_the_script(tmp_path):
    out = tmp_path / "out"
    r = _run_cli(tmp_path, "generate", "text_words", "-o", str(out), "scene.params.corpus.builtin=hi, en")
    assert r.returncode == 2
    line = r.stderr.strip()
    assert "\n" not in line and "scene.params.corpus" in line and "Devanagari" in line, line
    assert not out.exists()


def test_refused_at_load_when_the_shaping_libraries_are_missing(tmp_path, monkeypatch):
    from synthgen.config import load_run_config
    from synthgen.errors import ConfigError

    monkeypatch.setattr(shaping, "missing_library", lambda: "pip install 'synthgen-cv[scripts]'")
    with pytest.raises(ConfigError) as err:
        load_run_config(ROOT / "configs" / "text_words.yaml", ["scene.params.corpus.builtin=he"])
    message = str(err.value)
    assert "scene.params.corpus" in message and "Hebrew" in message and "synthgen-cv[scripts]" in message


def test_unknown_builtin_language_names_the_key(tmp_path):
    r = _run_cli(tmp_path, "validate", "text_words", "scene.params.corpus.builtin=xx")
    assert r.returncode == 2 and "scene.params.corpus.builtin" in r.stderr and "'xx'" in r.stderr


def test_writers_keep_logical_order_and_icdar_quads_clockwise(tmp_path):
    """COCO, ICDAR and the recognition crops hold the transcription as typed; ICDAR quads run
    clockwise from the upright word's top-left (ICDAR 2015), whatever the reading direction, so a
    right-to-left word's first point is at its last character."""
    for name, _, _ in WORDS.values():
        noto(name)
    from synthgen.config import load_run_config
    from synthgen.engine import generate
    from synthgen.formats.icdar import read_icdar
    from synthgen.formats.recognition import read_recognition_tsv

    out = tmp_path / "ds"
    overrides = ["num_samples=3", "outputs=[coco, icdar, recognition]"]
    generate(load_run_config("text_scripts", overrides), out, progress=False)
    corpus = {w for code in ("ar", "he", "hi", "th") for w in fonts.load_words(str(fonts.bundled_corpus(code)), "k")}
    coco = json.loads((out / "annotations" / "coco.json").read_text(encoding="utf-8"))
    words = [a for a in coco["annotations"] if "text" in a]
    assert words and all(a["text"] in corpus and a["chars"] == a["text"] for a in words)
    rtl = [a for a in words if a.get("attributes", {}).get("direction") == "rtl"]
    assert rtl and all(shaping.paragraph_rtl(a["text"]) for a in rtl)
    assert all(not shaping.paragraph_rtl(a["text"]) for a in words if a not in rtl)
    for a in rtl:
        quad = np.asarray(a["quad"]).reshape(4, 2)
        chars = np.asarray(a["char_quads"]).reshape(-1, 4, 2)
        # the quad's top-left is at the word's visual left: its last character, not its first
        assert np.linalg.norm(quad[0] - chars[-1][0]) < np.linalg.norm(quad[0] - chars[0][0])
    icdar = read_icdar(out)
    texts = [w.text for ws in icdar.values() for w in ws]
    assert sorted(texts) == sorted(a["text"] for a in words)
    for w in (w for ws in icdar.values() for w in ws):
        x, y = w.quad[:, 0], w.quad[:, 1]
        assert (x * np.roll(y, -1) - np.roll(x, -1) * y).sum() > 0  # clockwise with y down
    labels = [text for _, text in read_recognition_tsv(out)]
    assert sorted(labels) == sorted(texts)


def test_block_lines_of_rtl_words_run_right_to_left():
    """layout_block: a right-to-left line's first word at the right, left alignment = its start."""
    from synthgen.text.layout import layout_block

    path = noto(WORDS["Hebrew"][0])
    words, width = layout_block(path, 24, [["שלום", "עולם", "ים"], ["בית"]], "left", 30.0)
    assert [w.text for w in words] == ["שלום", "עולם", "ים", "בית"]  # reading order kept
    first, second, third, last = (w.ink for w in words)
    assert first[0] > second[2] and second[0] > third[2]
    assert last[2] == pytest.approx(first[2], abs=3)  # the short line ends at the right edge
    latin = str(fonts.bundled_font_dir() / "DejaVuSans.ttf")
    words, _ = layout_block(latin, 24, [["ab", "cd"], ["e"]], "left", 30.0)
    assert words[0].ink[0] < words[1].ink[0] and words[2].ink[0] < 3
