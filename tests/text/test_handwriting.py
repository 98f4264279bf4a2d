"""Stroke-based handwriting: labels from the drawn ink, the pen's width, determinism, config errors."""

from __future__ import annotations

import numpy as np
import pytest
from ocr_helpers import ocr_config

from synthgen.config.distributions import Constant
from synthgen.engine import make_sample
from synthgen.errors import ConfigError
from synthgen.text import fonts
from synthgen.text.draw import draw_text
from synthgen.text.handwriting import HandStyle, HandwritingSettings, cap_height, hand_plane
from synthgen.text.handwriting_strokes import trace_skeleton
from synthgen.text.items import TextItem

pytest.importorskip("skimage")

DEJAVU = str(fonts.bundled_font_dir() / "DejaVuSans.ttf")
HAND = {"probability": 1}


def writer(**change) -> HandStyle:
    base = dict(
        seed=7, pen_width=0.1, pressure=0.2, slant=8.0, size=1.0, width=0.9, size_jitter=0.04, baseline_drift=0.03,
        letter_spacing=0.02, jitter=0.01, stroke_ends=0.05, connect=1.0, opacity=0.9, pooling=0.2,
    )  # fmt: skip
    return HandStyle(**{**base, **change})


def ink_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def quad_box(quad) -> tuple[float, float, float, float]:
    q = np.asarray(quad, np.float64)
    return q[:, 0].min(), q[:, 1].min(), q[:, 0].max(), q[:, 1].max()


@pytest.mark.parametrize("text", ["minimum", "Hello world", "2024-06-30", "jog"])
def test_word_and_char_boxes_are_the_drawn_ink_to_the_pixel(text):
    canvas = np.full((160, 640, 3), 255, np.uint8)
    ids = np.zeros(canvas.shape[:2], np.int32)
    item = TextItem(1, text, DEJAVU, 40, (20, 30, 140), 0.0, (320.0, 80.0), hand=writer())
    geometry = draw_text(canvas, ids, item)
    assert geometry is not None
    assert quad_box(geometry.extensions["text"].quad) == ink_box(ids == 1)  # the word's quad is its pixels' box
    assert geometry.extensions["text"].transcription == text
    assert geometry.extensions["text"].chars == text.replace(" ", "")
    # each character's quad is the box of the ink its strokes drew (the plane before placement)
    plane = hand_plane(DEJAVU, 40, text, item.hand)
    shift = np.asarray(quad_box(geometry.extensions["text"].quad)[:2]) - plane.ink[:2]
    for quad, plane_quad in zip(geometry.extensions["text"].char_quads, plane.char_quads):
        np.testing.assert_array_equal(np.asarray(quad, np.float64), plane_quad + shift)
        l, t, r, b = (int(v) for v in quad_box(plane_quad))
        assert (plane.alpha[t:b, l:r] > 0).any()
        assert not (plane.alpha[t:b, l] == 0).all() and not (plane.alpha[t, l:r] == 0).all()  # tight left, top
        assert not (plane.alpha[t:b, r - 1] == 0).all() and not (plane.alpha[b - 1, l:r] == 0).all()  # tight
    # the pixels changed are exactly those labelled
    assert ((canvas != 255).any(2) == (ids == 1)).all()


def test_character_boxes_cover_separate_letters_left_to_right():
    plane = hand_plane(DEJAVU, 40, "1 7", writer(connect=0.0, jitter=0.0, slant=0.0))
    one, seven = (quad_box(q) for q in plane.char_quads)
    assert one[2] <= seven[0]  # a space between them: the boxes do not meet


@pytest.mark.parametrize("ch", ["l", "o"])
@pytest.mark.parametrize("pressure", [0.0, 0.25])
def test_pen_width_stays_in_the_configured_range(ch, pressure):
    import cv2
    from skimage.morphology import skeletonize

    size = 160
    still = dict(jitter=0.0, stroke_ends=0.0, slant=0.0, size_jitter=0.0, pooling=0.0, opacity=1.0)
    hand = writer(pen_width=0.1, pressure=pressure, **still)
    plane = hand_plane(DEJAVU, size, ch, hand)
    band = plane.line_height
    width = 0.1 * cap_height(DEJAVU) * band  # pen_width is in cap heights
    mask = plane.alpha >= 128
    skeleton = skeletonize(mask)
    distance = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    ys, xs = np.nonzero(skeleton)
    keep = distance[ys, xs] > 0
    # leave out the round stroke ends, where the medial axis forks into the cap
    ends = width * (1 + pressure)
    rows = ys[keep]
    inner = (rows > rows.min() + ends) & (rows < rows.max() - ends) if ch == "l" else np.ones(len(rows), bool)
    widths = 2 * distance[ys, xs][keep][inner]
    assert width >= 8  # large enough for the check to mean something
    # the pixel grid: a stroke covers its width rounded either way, and twice the distance to the
    # nearest background pixel centre counts one pixel more than the covered run
    low, high = width * (1 - pressure) - 1.5, width * (1 + pressure) + 2.5
    assert low <= np.percentile(widths, 5) and np.percentile(widths, 95) <= high
    spread = np.percentile(widths, 95) - np.percentile(widths, 5)
    if pressure:
        assert spread >= 0.2 * width  # pressure does change the width
    else:
        assert spread <= 2.5


def test_same_seed_same_bytes_and_another_seed_other_bytes():
    a = hand_plane(DEJAVU, 32, "handwriting", writer(seed=3))
    b = hand_plane(DEJAVU, 32, "handwriting", writer(seed=3))
    c = hand_plane(DEJAVU, 32, "handwriting", writer(seed=4))
    assert a.alpha.tobytes() == b.alpha.tobytes()
    assert a.alpha.shape != c.alpha.shape or a.alpha.tobytes() != c.alpha.tobytes()


def test_recognition_crops_with_handwriting_are_deterministic_and_labelled(tmp_path):
    cfg = ocr_config(tmp_path, "recognition", {"handwriting": {**HAND, "paper": "choice([scene, plain, ruled])"}})
    for i in range(6):
        a, b = make_sample(cfg, i), make_sample(cfg, i)
        assert a.image.tobytes() == b.image.tobytes()
        (inst,) = a.labels.instances
        assert inst.extensions["text"].chars == inst.extensions["text"].transcription.replace(" ", "")
        assert len(inst.extensions["text"].char_quads) == len(inst.extensions["text"].chars)


def test_generated_datasets_do_not_depend_on_the_worker_count(tmp_path):
    from synthgen.engine import generate

    cfg = ocr_config(tmp_path, "recognition", {"handwriting": HAND}, num_samples=8)
    generate(cfg, tmp_path / "one", workers=1, executor="serial", progress=False)
    generate(cfg, tmp_path / "two", workers=2, executor="process", progress=False)
    one = sorted((tmp_path / "one" / "images").iterdir())
    assert len(one) == 8
    for path in one:
        assert path.read_bytes() == (tmp_path / "two" / "images" / path.name).read_bytes()


def test_handwriting_off_draws_nothing_extra(tmp_path):
    plain = make_sample(ocr_config(tmp_path, "recognition"), 2)
    zero = make_sample(ocr_config(tmp_path, "recognition", {"handwriting": {"probability": 0, "slant": 20}}), 2)
    assert plain.image.tobytes() == zero.image.tobytes()


def words_config(tmp_path, params: dict):
    import yaml

    from ocr_helpers import ROOT

    from synthgen.config.load import load_run_config

    body = {
        "name": "hand_words",
        "seed": 1,
        "num_samples": 2,
        "shard_size": 10,
        "scene": {"include": str(ROOT / "scenes" / "text" / "words.yaml"), "params": params},
        "outputs": ["coco"],
    }
    path = tmp_path / "words.yaml"
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return load_run_config(path)


def test_text_words_writes_by_hand_with_exact_boxes(tmp_path):
    sample = make_sample(words_config(tmp_path, {"handwriting": HAND, "rotation": 0}), 0)
    assert sample.labels.instances
    for inst in sample.labels.instances:
        x, y, w, h = inst.bbox
        assert quad_box(inst.extensions["text"].quad) == (x, y, x + w, y + h)  # the visible pixels' box is the quad


@pytest.mark.parametrize(
    "params, key",
    [
        ({"handwriting": {"pen_width": "uniform(0.2, 0.9)"}}, "scene.params.handwriting.pen_width"),
        ({"handwriting": {"probability": 1.5}}, "scene.params.handwriting.probability"),
        ({"handwriting": {"paper": "lined"}}, "scene.params.handwriting.paper"),
        ({"handwriting": {"ink": "choice([blue, red])"}}, "scene.params.handwriting.ink"),
        ({"handwriting": {"pressure": -0.1}}, "scene.params.handwriting.pressure"),
        ({"handwriting": {"pen_widht": 0.1}}, "scene.params.handwriting.pen_widht"),
    ],
)
def test_bad_handwriting_keys_name_their_path(tmp_path, params, key):
    with pytest.raises(ConfigError) as err:
        ocr_config(tmp_path, "recognition", params)
    assert str(err.value).startswith(key) and "\n" not in str(err.value)


def test_text_words_refuses_paper_it_cannot_draw(tmp_path):
    with pytest.raises(ConfigError) as err:
        words_config(tmp_path, {"handwriting": {**HAND, "paper": "ruled"}})
    assert str(err.value).startswith("scene.params.handwriting.paper: ")


def test_missing_scikit_image_is_a_config_error_at_load(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "skimage" else real(name, *a))
    with pytest.raises(ConfigError, match=r"^h\.probability: handwriting needs scikit-image"):
        HandwritingSettings.from_config({"probability": 0.5}, "h")
    assert HandwritingSettings.from_config({"probability": 0}, "h").probability == 0  # off: not needed


def test_settings_defaults_are_off_and_in_range():
    s = HandwritingSettings()
    assert s.probability == 0
    assert isinstance(HandwritingSettings.from_config({"pen_width": 0.2}, "h").pen_width, Constant)


def test_skeleton_tracing_of_known_shapes():
    bar = np.zeros((5, 12), bool)
    bar[2, 1:11] = True
    (path,) = trace_skeleton(bar, spur=2)
    assert [tuple(p) for p in path[[0, -1]]] == [(2, 1), (2, 10)] and len(path) == 10
    ring = np.zeros((9, 9), bool)
    ring[2, 3:6] = ring[6, 3:6] = ring[3:6, 2] = ring[3:6, 6] = True
    (loop,) = trace_skeleton(ring, spur=2)
    assert len(loop) == 13 and tuple(loop[0]) == tuple(loop[-1])  # closed: 12 pixels and back
    cross = np.zeros((11, 11), bool)
    cross[5, 1:10] = cross[1:10, 5] = True
    assert len(trace_skeleton(cross, spur=2)) == 4  # four arms from the junction


def test_ruled_paper_draws_its_rules_on_the_baseline():
    from synthgen.backgrounds import render_background
    from synthgen.text.handwriting import hand_paper

    paper = hand_paper("ruled", np.random.default_rng(0), baseline_y=30.0, band=20.0)
    spacing = paper["rules"]["spacing"]
    plain = dict(paper, rules=None)
    drawn = render_background(paper, 50, 90).astype(int)
    diff = np.abs(drawn - render_background(plain, 50, 90).astype(int)).sum((1, 2))
    ruled_rows = set(np.flatnonzero(diff > 0).tolist())
    for k in (-1, 0, 1):
        y = 30.0 + k * spacing
        assert int(y) in ruled_rows or int(y - 0.5) in ruled_rows  # the pixel row the rule's centre falls in
    assert 15 not in ruled_rows or abs(15 - 30 + spacing) < 2  # between the rules the paper is plain
    assert hand_paper("scene", np.random.default_rng(0), 30.0, 20.0) is None
