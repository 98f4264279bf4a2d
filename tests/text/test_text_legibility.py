"""Legibility measured on the drawn text (synthgen.text.legibility): words of known colours, shadow,
outline, size and noise on a known background, flagged from the pixels; counts add up."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from synthgen.text import fonts, render2d
from synthgen.text.contrast import luminance_image
from synthgen.text.items import TextItem
from synthgen.text.legibility import drawn_height, flag_illegible, ink_contrast
from synthgen.types import SceneSpec

FONT = str(fonts.bundled_font_dir() / "DejaVuSans.ttf")
GREY = (128, 128, 128)
FAINT = (136, 136, 136)  # 0.03 from the background: faint, yet on a clean grey a real reader reads it


def _word(k: int, y: float, color, size: int = 28, **style) -> TextItem:
    return TextItem(k, "legible", FONT, size, color, 0.0, (160.0, y), category="word", **style)


def _layers(items, background=GREY):
    spec = SceneSpec(
        kind="test",
        width=320,
        height=420,
        background={"kind": "solid", "color": list(background)},
        items=tuple(items),
        categories=("word",),
    )
    return render2d.render_layers(spec)


CASES = {
    "dark ink": (dict(color=(20, 20, 20)), None),
    "faint on a clean grey": (dict(color=FAINT), None),
    "the background's own grey": (dict(color=GREY), "low_contrast"),
    "the background's grey, black shadow": (  # embossed: the shadow draws the glyphs' edges
        dict(color=GREY, shadow=(2.0, 2.0, 0.5, 0.9), shadow_color=(0, 0, 0)),
        None,
    ),
    "the background's grey, grey shadow": (
        dict(color=GREY, shadow=(2.0, 2.0, 0.5, 0.9), shadow_color=(128, 128, 128)),
        "low_contrast",
    ),
    "the background's grey, black outline": (dict(color=GREY, stroke_width=2, stroke_color=(0, 0, 0)), None),
    "faint, black outline": (dict(color=FAINT, stroke_width=2, stroke_color=(0, 0, 0)), None),
    "dark but tiny": (dict(color=(20, 20, 20), size=7), "too_small"),
}


def test_flags_come_from_the_drawn_pixels_and_counts_add_up():
    items = [_word(k + 1, 30 + 50 * k, **params) for k, (params, _) in enumerate(CASES.values())]
    layers = _layers(items)
    out, counts = flag_illegible(layers, tuple(i.instance_id for i in items), min_size=7, min_contrast=0.15)
    for k, (name, (_, reason)) in enumerate(CASES.items(), start=1):
        attrs = out.geometry[k].attributes
        assert attrs["legible"] is (reason is None), name
        assert attrs.get("illegible_reason") == reason, name
    expected = {}
    for _, reason in CASES.values():
        if reason:
            expected[f"illegible_{reason}"] = expected.get(f"illegible_{reason}", 0) + 1
    assert counts == expected
    assert sum(counts.values()) == sum(not g.attributes["legible"] for g in out.geometry.values())
    assert all("legible" not in g.attributes for g in layers.geometry.values())  # the input is untouched
    assert (out.rgb == layers.rgb).all()  # measured, never redrawn


def test_drawn_height_is_the_tallest_glyph():
    layers = _layers([_word(1, 100, (0, 0, 0), size=40)])
    _, top, _, bottom = fonts.load_font(FONT, 40).getbbox("l", anchor="ls")  # 'l' is the tallest here
    assert drawn_height(layers.geometry[1]) == pytest.approx(bottom - top, abs=1.0)


def test_already_flagged_words_keep_their_reason_and_are_not_counted_again():
    item = _word(1, 100, FAINT)
    layers = _layers([item])
    geo = layers.geometry[1]
    flagged = {"legible": False, "illegible_reason": "truncated"}
    layers = replace(layers, geometry={1: replace(geo, attributes=flagged)})
    out, counts = flag_illegible(layers, (1,), min_size=6, min_contrast=0.15)
    assert counts == {} and out.geometry[1].attributes == flagged


def _noisy(layers, sigma: float, seed: int = 0):
    """``layers`` with Gaussian pixel noise of ``sigma`` (0..1 luminance) on every channel alike."""
    noise = np.random.default_rng(seed).normal(0, 255 * sigma, layers.rgb.shape[:2])[..., None]
    return replace(layers, rgb=np.clip(np.round(layers.rgb + noise), 0, 255).astype(np.uint8))


def _measure(layers, k: int = 1) -> float:
    ys, xs = np.nonzero(layers.instance_id == k)
    bounds = (xs.min() - 2, ys.min() - 2, xs.max() + 3, ys.max() + 3)
    return ink_contrast(luminance_image(layers.rgb), layers.instance_id, k, bounds)


@pytest.mark.parametrize("polarity", [1, -1])
def test_the_measure_on_words_of_known_contrast_and_noise(polarity):
    """The separation of a 28 px word's ink from its surroundings: near 1 on a clean grey at any gap
    a reader reads (from 4 grey levels up), 0 within 3 levels of it, falling with noise as strong
    as the gap down to what two sets drawn from one distribution give; alike for dark and light."""

    def measure(gap: float, sigma: float) -> float:
        v = int(round(128 + polarity * 255 * gap))
        return _measure(
            _noisy(_layers([_word(1, 60, (v, v, v))]), sigma) if sigma else _layers([_word(1, 60, (v, v, v))])
        )

    for gap in (4 / 255, 0.03, 0.1, 0.4):
        assert measure(gap, 0) > 0.75, gap  # clean: one grey level splits ink from background
    for gap in (0.0, 1 / 255, 3 / 255):
        assert measure(gap, 0) == 0.0, gap  # within 3 grey levels of a flat grey: read as nothing
    noisy = [measure(gap, 0.08) for gap in (0.0, 0.03, 0.1, 0.4)]
    assert noisy == sorted(noisy), noisy  # more gap under the same noise: better separated
    assert noisy[0] < 0.15 and noisy[1] < 0.15  # noise 2.7x the gap: flagged at the default 0.15
    assert noisy[3] > 0.6  # a gap 5x the noise stands out
    assert [measure(0.1, s) for s in (0.0, 0.03, 0.15)] == sorted(
        [measure(0.1, s) for s in (0.0, 0.03, 0.15)], reverse=True
    )


def test_size_and_contrast_thresholds_are_honoured():
    layers = _layers([_word(1, 100, (90, 90, 90), size=10)])  # 0.15 below the background
    height = drawn_height(layers.geometry[1])
    assert 7 <= height < 12
    assert flag_illegible(layers, (1,), height, 0.15)[0].geometry[1].attributes["legible"] is True
    small = flag_illegible(layers, (1,), height + 0.5, 0.15)[0].geometry[1].attributes
    assert small["legible"] is False and small["illegible_reason"] == "too_small"
    measured = _measure(layers)
    assert flag_illegible(layers, (1,), 0, measured)[0].geometry[1].attributes["legible"] is True
    faint = flag_illegible(layers, (1,), 0, measured + 0.01)[0].geometry[1].attributes
    assert faint["legible"] is False and faint["illegible_reason"] == "low_contrast"


def test_the_run_summary_tells_flagged_from_dropped():
    from synthgen.engine.run import RunSummary

    dropped = {"no_room": 2, "illegible_low_contrast": 3, "illegible_too_small": 1}
    summary = RunSummary("out", 10, 10, 0, 40, 1.0, dropped)
    lines = summary.line().splitlines()
    assert lines[1] == "dropped objects, by reason: no_room 2"
    assert lines[2] == "flagged illegible (kept as ###, no recognition crop), by reason: low_contrast 3, too_small 1"
