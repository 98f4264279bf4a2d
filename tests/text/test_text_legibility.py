"""Legibility measured on the drawn text (synthgen.text.legibility): words of known colours, shadow,
outline and size on a known background, flagged from the pixels; counts add up."""

from __future__ import annotations

import pytest

from synthgen.text import fonts, render2d
from synthgen.text.items import TextItem
from synthgen.text.legibility import drawn_height, flag_illegible
from synthgen.types import SceneSpec

FONT = str(fonts.bundled_font_dir() / "DejaVuSans.ttf")
GREY = (128, 128, 128)
FAINT = (136, 136, 136)  # 0.03 from the background: there, but not readable


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
    "faint": (dict(color=FAINT), "low_contrast"),
    "faint, black shadow": (dict(color=FAINT, shadow=(2.0, 2.0, 0.5, 0.9), shadow_color=(0, 0, 0)), None),
    "faint, white shadow": (dict(color=FAINT, shadow=(-2.0, 1.0, 0.0, 1.0), shadow_color=(255, 255, 255)), None),
    "faint, faint shadow": (
        dict(color=FAINT, shadow=(2.0, 2.0, 0.5, 0.9), shadow_color=(120, 120, 120)),
        "low_contrast",
    ),
    "faint, black outline": (dict(color=FAINT, stroke_width=2, stroke_color=(0, 0, 0)), None),
    "dark but tiny": (dict(color=(20, 20, 20), size=6), "too_small"),
}


def test_flags_come_from_the_drawn_pixels_and_counts_add_up():
    items = [_word(k + 1, 30 + 50 * k, **params) for k, (params, _) in enumerate(CASES.values())]
    layers = _layers(items)
    out, counts = flag_illegible(layers, tuple(i.instance_id for i in items), min_size=6, min_contrast=0.15)
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
    from dataclasses import replace

    flagged = {"legible": False, "illegible_reason": "truncated"}
    layers = replace(layers, geometry={1: replace(geo, attributes=flagged)})
    out, counts = flag_illegible(layers, (1,), min_size=6, min_contrast=0.15)
    assert counts == {} and out.geometry[1].attributes == flagged


def test_contrast_threshold_is_honoured():
    items = [_word(1, 100, (90, 90, 90))]  # 0.15 below the background
    layers = _layers(items)
    assert flag_illegible(layers, (1,), 6, 0.05)[0].geometry[1].attributes["legible"] is True
    assert flag_illegible(layers, (1,), 6, 0.5)[0].geometry[1].attributes["legible"] is False


def test_the_run_summary_tells_flagged_from_dropped():
    from synthgen.engine.run import RunSummary

    dropped = {"no_room": 2, "illegible_low_contrast": 3, "illegible_too_small": 1}
    summary = RunSummary("out", 10, 10, 0, 40, 1.0, dropped)
    lines = summary.line().splitlines()
    assert lines[1] == "dropped objects, by reason: no_room 2"
    assert lines[2] == "flagged illegible (kept as ###, no recognition crop), by reason: low_contrast 3, too_small 1"
