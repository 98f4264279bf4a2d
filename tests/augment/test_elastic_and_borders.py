"""``elastic``: labels follow the displacement field (char quads, word quads, polygons, masks);
border modes of the geometric kinds fill with edge pixels, never with false ink."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from synthgen.augment import augment
from synthgen.augment.elastic import displacement, move_points
from synthgen.errors import ConfigError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_augment import block_layers, config_with, distance_outside, step, word_layers  # noqa: E402

ELASTIC = {"amplitude": "uniform(0.04, 0.08)", "smoothness": "uniform(0.15, 0.3)"}


def pixel_centres(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return np.stack([xs + 0.5, ys + 0.5], axis=1)


@pytest.mark.parametrize("seed", range(6))
def test_char_and_word_quads_hold_the_moved_ink(seed):
    layers = word_layers()
    before = layers.geometry[1]
    params = {**ELASTIC, "scale_x": "uniform(0.85, 1.1)", "scale_y": "uniform(0.85, 1.1)"}
    out = augment(layers, [step("elastic", **params)], np.random.default_rng(seed)).layers
    geo = out.geometry[1]
    assert geo.extensions["text"].chars == before.extensions["text"].chars
    assert np.abs(geo.extensions["text"].char_quads - before.extensions["text"].char_quads).max() > 0.5  # it did move
    centres = pixel_centres(out.instance_id == 1)
    assert len(centres) > 100
    # every pixel inside the union of the char quads and inside the word quad, within one pixel
    assert distance_outside(centres, geo.extensions["text"].char_quads).max() <= 1.5
    assert distance_outside(centres, geo.extensions["text"].quad[None]).max() <= 1.5


@pytest.mark.parametrize("seed", range(4))
def test_each_block_stays_in_its_own_quads_and_polygon(seed):
    # block_layers: two solid blocks whose halves are their two "chars": each half's pixels can be
    # told apart after the warp by where they came from
    layers = block_layers(60, 40)
    out = augment(layers, [step("elastic", amplitude=0.08, smoothness=0.3)], np.random.default_rng(seed)).layers
    for k in (1, 2):
        geo = out.geometry[k]
        centres = pixel_centres(out.instance_id == k)
        assert len(centres)
        assert distance_outside(centres, geo.extensions["text"].quad[None]).max() <= 1.5
        assert distance_outside(centres, geo.extensions["text"].char_quads).max() <= 1.5
        if k == 2:
            assert len(geo.extensions["text"].polygon) > 6  # its edges cut into pieces that followed the field
            assert distance_outside(centres, geo.extensions["text"].polygon[None]).max() <= 1.5


def test_points_move_where_the_pixels_go():
    rng = np.random.default_rng(3)
    dx, dy = displacement(50, 70, 4.0, 10.0, (1.1, 0.9), rng)
    # a point p moves to q with q + d(q) = p: the output pixel at q reads the input at p
    p = rng.uniform(10, 40, (20, 2))
    q = move_points(p, dx, dy)
    assert np.all(np.abs(q - p).max(axis=1) > 0.1)  # everything moved
    c = q - 0.5  # pixel-centre convention, as the field
    xi, yi = np.rint(c[:, 0]).astype(int), np.rint(c[:, 1]).astype(int)
    approx = np.stack([c[:, 0] + dx[yi, xi], c[:, 1] + dy[yi, xi]], axis=1) + 0.5
    assert np.abs(approx - p).max() < 0.5  # the field read at the nearest pixel: within half a pixel


def test_elastic_is_a_pure_function_of_the_generator():
    layers = word_layers()
    a = augment(layers, [step("elastic", **ELASTIC)], np.random.default_rng(5)).layers
    b = augment(layers, [step("elastic", **ELASTIC)], np.random.default_rng(5)).layers
    assert a.rgb.tobytes() == b.rgb.tobytes() and a.instance_id.tobytes() == b.instance_id.tobytes()
    np.testing.assert_array_equal(
        a.geometry[1].extensions["text"].char_quads, b.geometry[1].extensions["text"].char_quads
    )


@pytest.mark.parametrize("kind", ["affine", "perspective", "elastic"])
@pytest.mark.parametrize("border", ["replicate", "reflect"])
def test_border_modes_paint_no_false_ink_into_the_corners(kind, border):
    layers = word_layers()  # a text on a flat (225, 220, 210) background
    params = {
        "affine": {"rotation": 30, "scale": 0.8, "translate_x": 0, "translate_y": 0},
        "perspective": {"distortion": 0.4},
        "elastic": {"amplitude": 0.05, "scale_x": 0.8, "scale_y": 0.8},
    }[kind]
    plain = augment(layers, [step(kind, **params, border="constant")], np.random.default_rng(1)).layers
    filled = augment(layers, [step(kind, **params, border=border)], np.random.default_rng(1)).layers
    paper = np.array([225, 220, 210])
    outside = plain.rgb.sum(axis=2) == 0  # where the constant border (fill 0) painted black
    assert outside.sum() > 50
    assert np.abs(filled.rgb[outside].astype(int) - paper).max() <= 2
    # the labels do not depend on the border
    assert plain.instance_id.tobytes() == filled.instance_id.tobytes()
    np.testing.assert_array_equal(
        plain.geometry[1].extensions["text"].char_quads, filled.geometry[1].extensions["text"].char_quads
    )


@pytest.mark.parametrize(
    "body, key",
    [
        ("  warp: {kind: elastic, params: {amplitude: 0.5}}\n", "augment.warp.params.amplitude"),
        ("  warp: {kind: elastic, params: {smoothness: 0}}\n", "augment.warp.params.smoothness"),
        ("  warp: {kind: elastic, params: {scale_x: 3}}\n", "augment.warp.params.scale_x"),
        ("  warp: {kind: elastic, params: {scale_y: 0.2}}\n", "augment.warp.params.scale_y"),
        ("  warp: {kind: elastic, params: {border: wrap}}\n", "augment.warp.params.border"),
        ("  tilt: {kind: affine, params: {border: wrap}}\n", "augment.tilt.params.border"),
        ("  cam: {kind: perspective, params: {border: 'choice([reflect, mirror])'}}\n", "augment.cam.params.border"),
    ],
)
def test_bad_elastic_and_border_values_name_their_key(tmp_path, body, key):
    with pytest.raises(ConfigError) as err:
        config_with(tmp_path, body)
    assert err.value.key == key and "\n" not in str(err.value), str(err.value)


# --- print and scan artefacts (photometric: pixels change, labels do not) ---------------------

PRINT_SCAN = {
    "speckle": {"density": 0.02, "size": 0.8},
    "fade": {"amount": 0.5, "unevenness": 0.3},
    "binarize": {"method": "choice([otsu, adaptive])"},
    "downsample": {"factor": 0.5},
    "ink_texture": {"texture": "choice([ballpoint, marker, print])", "strength": 0.5},
}


@pytest.mark.parametrize("kind", sorted(PRINT_SCAN))
def test_print_and_scan_artefacts_change_pixels_but_no_label(kind):
    layers = word_layers()
    out = augment(layers, [step(kind, **PRINT_SCAN[kind])], np.random.default_rng(2)).layers
    assert out.rgb.shape == layers.rgb.shape and out.rgb.tobytes() != layers.rgb.tobytes()
    assert out.instance_id.tobytes() == layers.instance_id.tobytes()
    np.testing.assert_array_equal(
        out.geometry[1].extensions["text"].char_quads, layers.geometry[1].extensions["text"].char_quads
    )


def test_fade_lightens_the_ink_and_keeps_the_paper():
    layers = word_layers()
    out = augment(layers, [step("fade", amount=0.5, unevenness=0)], np.random.default_rng(0)).layers
    ink = layers.instance_id == 1
    grey = lambda rgb: rgb.astype(float).mean(axis=2)  # noqa: E731
    lightened = grey(out.rgb)[ink] - grey(layers.rgb)[ink]
    assert lightened.mean() > 30 and np.abs(grey(out.rgb)[~ink] - grey(layers.rgb)[~ink]).max() <= 1


@pytest.mark.parametrize("texture", ["ballpoint", "marker", "print"])
def test_ink_texture_changes_only_the_ink(texture):
    layers = word_layers()
    out = augment(layers, [step("ink_texture", texture=texture, strength=0.6)], np.random.default_rng(1)).layers
    ink = layers.instance_id > 0
    changed = (out.rgb != layers.rgb).any(axis=2)
    assert not (changed & ~ink).any() and changed[ink].mean() > 0.5
    # towards the paper: lighter ink on this light background
    assert out.rgb[ink].astype(int).sum() > layers.rgb[ink].astype(int).sum()


def test_binarize_leaves_two_grey_levels():
    out = augment(word_layers(), [step("binarize")], np.random.default_rng(0)).layers
    assert set(np.unique(out.rgb).tolist()) <= {0, 255}


@pytest.mark.parametrize(
    "body, key",
    [
        ("  toner: {kind: speckle, params: {density: 0.5}}\n", "augment.toner.params.density"),
        ("  toner: {kind: speckle, params: {darkness: 300}}\n", "augment.toner.params.darkness"),
        ("  thermal: {kind: fade, params: {amount: 1.5}}\n", "augment.thermal.params.amount"),
        ("  fax: {kind: binarize, params: {method: sauvola}}\n", "augment.fax.params.method"),
        ("  scan: {kind: downsample, params: {factor: 0.01}}\n", "augment.scan.params.factor"),
        ("  scan: {kind: downsample, params: {upsampling: area}}\n", "augment.scan.params.upsampling"),
        ("  pen: {kind: ink_texture, params: {texture: crayon}}\n", "augment.pen.params.texture"),
        ("  pen: {kind: ink_texture, params: {strength: 2}}\n", "augment.pen.params.strength"),
    ],
)
def test_bad_print_scan_values_name_their_key(tmp_path, body, key):
    with pytest.raises(ConfigError) as err:
        config_with(tmp_path, body)
    assert err.value.key == key and "\n" not in str(err.value), str(err.value)
