"""The augment stage: geometric kinds move every label with the image, photometric kinds move none,
output is a pure function of the generator, and bad configs fail with their key path."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from omegaconf import OmegaConf

from synthgen.annotate import annotate
from synthgen.augment import AUGMENTATIONS, AugmentStep, augment
from synthgen.config import load_run_config
from synthgen.engine.pipeline import make_sample
from synthgen.errors import ConfigError
from synthgen.text.fonts import bundled_font_dir
from synthgen.text.items import TextItem
from synthgen.text.label import TextRecord
from synthgen.text.render2d import render_layers
from synthgen.types import InstanceGeometry, Layers, SceneSpec

ROOT = Path(__file__).resolve().parents[2]
PHOTOMETRIC = {
    "gaussian_blur": {"sigma": 1.5},
    "motion_blur": {"length": 7, "angle": 30},
    "noise": {"sigma": 10},
    "jpeg": {"quality": 15},
    "brightness_contrast": {"brightness": 0.15, "contrast": 0.6},
    "shadow": {"shape": "gradient", "strength": 0.6},
}
GEOMETRIC = {
    "affine": {"rotation": "uniform(-25, 25)", "scale": "uniform(0.9, 1.1)", "shear_x": "uniform(-8, 8)"},
    "perspective": {"distortion": "uniform(0.1, 0.4)"},
}


def step(kind: str, p: float = 1.0, name: str | None = None, **params) -> AugmentStep:
    """A configured step, built the way the config loader builds one."""
    entry = AUGMENTATIONS.get(kind)
    schema = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(entry.params_schema), params))
    return AugmentStep(name or kind, entry, p, entry.from_config(schema, f"augment.{name or kind}.params"))


def shift(translate_x: float, rotation: float = 0.0) -> AugmentStep:
    """An affine step with constant parameters: a turn and a horizontal shift (fraction of the width)."""
    return step("affine", rotation=rotation, scale=1, translate_x=translate_x, translate_y=0)


def word_spec(width: int = 112, height: int = 80, angle: float = 6.0) -> SceneSpec:
    font = str(bundled_font_dir() / "DejaVuSans.ttf")
    item = TextItem(1, "Hay!", font, 20, (20, 30, 40), angle, (width / 2, height / 2))
    return SceneSpec("test", width, height, {"kind": "solid", "color": [225, 220, 210]}, (item,), ("text",))


def word_layers(**kw) -> Layers:
    return render_layers(word_spec(**kw))


def block_layers(width: int = 30, height: int = 20) -> Layers:
    """Two rectangular instances whose quads are exactly their pixel blocks (corner convention):
    id 1 covers x 2..7, y 3..8 (chars "ab"); id 2 covers x 20..27, y 10..15 (chars "cd", a polygon)."""
    rgb = np.full((height, width, 3), 200, np.uint8)
    instance_id = np.zeros((height, width), np.int32)
    geometry = {}
    for k, (x0, y0, x1, y1) in {1: (2, 3, 8, 9), 2: (20, 10, 28, 16)}.items():
        instance_id[y0:y1, x0:x1] = k
        rgb[y0:y1, x0:x1] = (40 * k, 60, 90)
        xm = (x0 + x1) / 2
        quad = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)
        chars = np.array(
            [[[x0, y0], [xm, y0], [xm, y1], [x0, y1]], [[xm, y0], [x1, y0], [x1, y1], [xm, y1]]], np.float32
        )
        polygon = np.array([[x0, y0], [xm, y0], [x1, y0], [x1, y1], [xm, y1], [x0, y1]], np.float32) if k == 2 else None
        text = TextRecord("ab" if k == 1 else "cd", quad, "ab" if k == 1 else "cd", chars, polygon)
        geometry[k] = InstanceGeometry("text", {"text": text})
    depth = np.where(instance_id > 0, 2.0 + instance_id, np.inf).astype(np.float32)
    semantic_id = (instance_id > 0).astype(np.int32)
    return Layers(rgb=rgb, instance_id=instance_id, geometry=geometry, depth=depth, semantic_id=semantic_id)


def extent(mask: np.ndarray) -> tuple[int, int, int, int]:
    """Corner-convention box (x0, y0, x1, y1) of a bool mask."""
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def distance_outside(points: np.ndarray, quads: np.ndarray) -> np.ndarray:
    """For each (x, y) point, how far it lies outside the nearest of ``quads`` (0 inside)."""
    best = np.full(len(points), np.inf)
    for q in quads:
        contour = q.reshape(-1, 1, 2).astype(np.float32)
        d = np.array([cv2.pointPolygonTest(contour, (float(x), float(y)), True) for x, y in points])
        best = np.minimum(best, np.maximum(-d, 0.0))
    return best


# --- geometry -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kind", sorted(GEOMETRIC))
def test_geometric_kinds_keep_ink_inside_its_char_quads(kind, seed):
    layers = word_layers()
    before = layers.geometry[1]
    out = augment(layers, [step(kind, **GEOMETRIC[kind])], np.random.default_rng(seed)).layers
    geo = out.geometry[1]
    h, w = out.instance_id.shape
    # The word stays well inside the image, so clipping leaves its quads as transformed.
    assert (
        geo.extensions["text"].chars == before.extensions["text"].chars
        and geo.extensions["text"].char_quads.shape == before.extensions["text"].char_quads.shape
    )
    assert (
        (geo.extensions["text"].quad >= 0).all()
        and (geo.extensions["text"].quad[:, 0] <= w).all()
        and (geo.extensions["text"].quad[:, 1] <= h).all()
    )
    assert np.abs(geo.extensions["text"].char_quads - before.extensions["text"].char_quads).max() > 1.0  # it did move
    ys, xs = np.nonzero(out.instance_id == 1)
    assert xs.size > 100
    centres = np.stack([xs + 0.5, ys + 0.5], axis=1)
    # 1 px tolerance for each pixel, measured from its centre: + half a pixel.
    assert distance_outside(centres, geo.extensions["text"].char_quads).max() <= 1.5
    assert distance_outside(centres, geo.extensions["text"].quad[None]).max() <= 1.5


def test_quarter_turn_moves_masks_and_quads_exactly():
    """A 90-degree turn about the image centre maps pixels onto pixels: masks, boxes and quads must
    agree to the bit. Forgetting the half-pixel between corner and centre conventions is 1 px off."""
    layers = block_layers(width=40, height=40)
    out = augment(layers, [shift(0.0, rotation=90)], np.random.default_rng(0))
    labels = annotate(out.layers, word_spec())
    assert [i.extensions["text"].transcription for i in labels.instances] == ["ab", "cd"]
    for k, inst in zip((1, 2), labels.instances):
        x0, y0, x1, y1 = extent(out.layers.instance_id == k)
        assert inst.bbox == (x0, y0, x1 - x0, y1 - y0)
        quad = out.layers.geometry[k].extensions["text"].quad
        bounds = [quad[:, 0].min(), quad[:, 1].min(), quad[:, 0].max(), quad[:, 1].max()]
        np.testing.assert_allclose(bounds, [x0, y0, x1, y1], atol=1e-3)
        assert inst.area == int((layers.instance_id == k).sum())
        assert "truncated" not in inst.attributes  # whole words stay legible
    # Counter-clockwise: the block on the left (id 1) ends up at the bottom.
    assert extent(out.layers.instance_id == 1)[1] > extent(out.layers.instance_id == 2)[1]


def test_boxes_and_masks_follow_the_warp():
    layers = word_layers()
    result = augment(layers, [step("perspective", distortion=0.4)], np.random.default_rng(3))
    out = result.layers
    (inst,) = annotate(out, word_spec()).instances
    x0, y0, x1, y1 = extent(out.instance_id == 1)
    assert inst.bbox == (x0, y0, x1 - x0, y1 - y0)
    assert np.array_equal(inst.visible_mask(), out.instance_id == 1)
    assert extent(out.instance_id == 1) != extent(layers.instance_id == 1)
    # OpenCV, warping the original mask with the recorded corners, agrees but for rounding ties.
    h, w = layers.instance_id.shape
    start = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    end = np.array(result.applied["perspective"]["corners"], np.float32)
    matrix = cv2.getPerspectiveTransform(start, end)
    expected = cv2.warpPerspective((layers.instance_id == 1).astype(np.uint8), matrix, (w, h), flags=cv2.INTER_NEAREST)
    differ = np.count_nonzero(expected.astype(bool) != (out.instance_id == 1))
    assert differ <= 0.03 * inst.area, (differ, inst.area)


def test_instance_pushed_out_is_dropped_and_counted():
    layers = block_layers()  # width 30: shifting by -15 px pushes id 1 (x 2..7) out, keeps id 2
    result = augment(layers, [shift(-0.5)], np.random.default_rng(0))
    assert result.dropped == {"augment_out_of_image": 1}
    assert sorted(result.layers.geometry) == [2]
    assert set(np.unique(result.layers.instance_id)) == {0, 2}
    geo = result.layers.geometry[2]
    np.testing.assert_allclose(
        geo.extensions["text"].quad, layers.geometry[2].extensions["text"].quad - [15, 0], atol=1e-4
    )
    np.testing.assert_allclose(
        geo.extensions["text"].polygon, layers.geometry[2].extensions["text"].polygon - [15, 0], atol=1e-4
    )
    assert extent(result.layers.instance_id == 2) == (5, 10, 13, 16)
    # Depth moves with the pixels; what came from outside the image is empty (inf).
    assert np.array_equal(np.isfinite(result.layers.depth), result.layers.instance_id > 0)
    assert set(np.unique(result.layers.depth[result.layers.instance_id == 2])) == {4.0}
    assert np.array_equal(result.layers.semantic_id, (result.layers.instance_id > 0).astype(np.int32))


def test_instance_partly_out_is_clipped():
    layers = block_layers()  # shift by -24 px: id 2 (x 20..27) keeps x 0..3; its char "c" (x 20..23) leaves
    result = augment(layers, [shift(-0.8)], np.random.default_rng(0))
    # id 1 left the image; id 2 is kept, flagged illegible and counted
    assert result.dropped == {"augment_out_of_image": 1, "illegible_truncated": 1}
    geo = result.layers.geometry[2]
    assert extent(result.layers.instance_id == 2) == (0, 10, 4, 16)
    np.testing.assert_allclose(geo.extensions["text"].quad, [[0, 10], [4, 10], [4, 16], [0, 16]], atol=1e-4)
    assert geo.extensions["text"].chars == "d" and geo.extensions["text"].transcription == "cd"
    assert geo.attributes["legible"] is False and geo.attributes["truncated"] is True  # ICDAR ###
    assert geo.attributes["illegible_reason"] == "truncated"
    np.testing.assert_allclose(geo.extensions["text"].char_quads, [[[0, 10], [4, 10], [4, 16], [0, 16]]], atol=1e-4)
    assert (geo.extensions["text"].polygon[:, 0] >= 0).all()


def test_engine_counts_instances_augmented_out_of_the_image(tmp_path):
    base = (
        f"name: t\nnum_samples: 2\nscene:\n  include: {ROOT / 'scenes/text/words.yaml'}\n"
        "  params: {width: 96, height: 64, words: 'randint(2, 3)', font_size: 'randint(14, 18)'}\n"
    )
    (tmp_path / "plain.yaml").write_text(base)
    (tmp_path / "away.yaml").write_text(
        base + "augment:\n  away:\n    kind: affine\n"
        "    params: {rotation: 0, scale: 1, translate_x: 1.0, translate_y: 0}\n"
    )
    plain = make_sample(load_run_config(tmp_path / "plain.yaml"), 0)
    sample = make_sample(load_run_config(tmp_path / "away.yaml"), 0)
    assert len(plain.labels.instances) >= 1
    assert sample.labels.instances == ()
    assert sample.meta["dropped"].get("augment_out_of_image") == len(plain.labels.instances)
    assert set(sample.meta["augment"]) == {"away"}


# --- photometric --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(PHOTOMETRIC))
def test_photometric_kinds_change_pixels_but_no_label(kind):
    layers = word_layers(width=64, height=48)
    rgb, ids = layers.rgb.copy(), layers.instance_id.copy()
    result = augment(layers, [step(kind, **PHOTOMETRIC[kind])], np.random.default_rng(0))
    out = result.layers
    assert np.count_nonzero(np.any(out.rgb != layers.rgb, axis=2)) > 50
    assert out.rgb.dtype == np.uint8 and out.rgb.shape == layers.rgb.shape
    assert np.array_equal(out.instance_id, ids) and np.array_equal(out.semantic_id, layers.semantic_id)
    assert out.geometry == layers.geometry
    assert result.dropped == {} and set(result.applied) == {kind}
    assert np.array_equal(layers.rgb, rgb)  # the input is not modified


def test_probability_zero_never_applies():
    layers = word_layers(width=64, height=48)
    result = augment(layers, [step("noise", p=0.0, sigma=20)], np.random.default_rng(0))
    assert result.applied == {} and result.layers is layers


# --- determinism --------------------------------------------------------------------------------

CHAIN = [
    ("affine", GEOMETRIC["affine"]),
    ("perspective", GEOMETRIC["perspective"]),
    ("shadow", {"shape": "polygon"}),
    ("brightness_contrast", {}),
    ("gaussian_blur", {}),
    ("motion_blur", {}),
    ("noise", {}),
    ("jpeg", {}),
]


def chain_digest(seed: int) -> str:
    """sha256 over every output layer and quad of the full chain of kinds."""
    layers = word_layers(width=64, height=48, angle=-4.0)
    out = augment(layers, [step(kind, **params) for kind, params in CHAIN], np.random.default_rng(seed)).layers
    digest = hashlib.sha256()
    for array in (out.rgb, out.instance_id, out.semantic_id):
        digest.update(array.tobytes())
    for k in sorted(out.geometry):
        digest.update(
            out.geometry[k].extensions["text"].quad.tobytes() + out.geometry[k].extensions["text"].char_quads.tobytes()
        )
    return digest.hexdigest()


def test_same_seed_same_bytes_different_seed_different_bytes():
    assert chain_digest(5) == chain_digest(5)
    assert chain_digest(5) != chain_digest(6)


@pytest.mark.slow  # another process, to compare bytes
def test_same_bytes_in_another_process():
    code = "import sys; sys.path.insert(0, 'tests/augment'); import test_augment as t; print(t.chain_digest(5))"
    other = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert other.stdout.strip() == chain_digest(5)


def test_a_step_samples_the_same_whatever_other_steps_there_are():
    layers = word_layers(width=64, height=48)
    alone = augment(layers, [step("noise", name="grain")], np.random.default_rng(1))
    after = augment(layers, [step("shadow", name="shade"), step("noise", name="grain")], np.random.default_rng(1))
    assert alone.applied["grain"] == after.applied["grain"]


# Without augment, and with photometric steps only (blur, noise, JPEG, lighting and shadows run
# on OpenCV and numpy), a run never imports torch: no ~1.8 s start-up or ~230 MB per worker.
NO_TORCH_RUNS = {
    "no augment": ("configs/text_words.yaml", []),
    "photometric steps": ("configs/text_words_augmented.yaml", ["augment.tilt.p=0", "augment.camera.p=0"]),
}


@pytest.mark.slow  # another process
@pytest.mark.parametrize("run", sorted(NO_TORCH_RUNS))
def test_runs_without_geometric_steps_never_import_torch(run):
    config, overrides = NO_TORCH_RUNS[run]
    code = (
        "import sys\n"
        "from synthgen.config import load_run_config\n"
        "from synthgen.engine.pipeline import make_sample\n"
        f"c = load_run_config({config!r}, ['scene.params.width=64', 'scene.params.height=64', *{overrides!r}])\n"
        "[make_sample(c, i) for i in range(8)]\n"
        "print('torch' in sys.modules, 'kornia' in sys.modules, len(c.augment))\n"
    )
    other = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert other.stdout.strip() == f"False False {0 if run == 'no augment' else 8}"


# A process where kornia is not installed: find_spec gives None and `import kornia` fails.
WITHOUT_KORNIA = "import sys\nsys.modules['kornia'] = None\nfrom synthgen.cli import main\n"


@pytest.mark.slow  # another process
def test_missing_kornia_is_a_config_error_at_load(tmp_path):
    # Without kornia (an extra), a config with a geometric step fails at load, exit 2, before any work.
    code = WITHOUT_KORNIA + (
        f"sys.exit(main(['generate', 'configs/text_words_augmented.yaml', '-o', {str(tmp_path / 'out')!r}]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == (
        "synthgen: error: augment.tilt.kind: affine needs kornia: pip install 'synthgen-cv[augment]'"
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.slow  # another process
def test_photometric_steps_run_without_kornia(tmp_path):
    run = tmp_path / "run.yaml"
    steps = "".join(f"  {kind}: {{kind: {kind}}}\n" for kind in sorted(PHOTOMETRIC))
    run.write_text(
        f"name: t\nnum_samples: 3\nscene:\n  include: {ROOT / 'scenes/text/words.yaml'}\n"
        f"  params: {{width: 64, height: 64}}\naugment:\n{steps}"
    )
    out = tmp_path / "out"
    code = WITHOUT_KORNIA + f"sys.exit(main(['generate', {str(run)!r}, '-o', {str(out)!r}, '--no-progress']))\n"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert len(list((out / "images").glob("*.png"))) == 3


# --- photometric kinds against kornia -----------------------------------------------------------


def kornia_reference(kind: str, rgb: np.ndarray, sampled: dict) -> np.ndarray:
    """What kornia's function of the same name makes of ``rgb`` with the sampled values."""
    import kornia
    import torch

    img = torch.from_numpy(rgb.transpose(2, 0, 1).copy()).unsqueeze(0).float() / 255.0
    if kind == "gaussian_blur":
        s = sampled["sigma"]
        k = 2 * int(np.ceil(3 * s)) + 1
        out = kornia.filters.gaussian_blur2d(img, (k, k), (s, s), border_type="reflect")
    elif kind == "motion_blur":
        out = kornia.filters.motion_blur(img, sampled["length"], sampled["angle"], sampled["direction"])
    elif kind == "brightness_contrast":
        out = kornia.enhance.adjust_brightness(img, sampled["brightness"])
        out = kornia.enhance.adjust_contrast_with_mean_subtraction(out, sampled["contrast"])
    else:
        raise AssertionError(kind)
    return (out[0].clamp(0, 1) * 255).round().byte().numpy().transpose(1, 2, 0)


KORNIA_CASES = [
    ("gaussian_blur", {"sigma": 0.6}),
    ("gaussian_blur", {"sigma": 2.3}),
    ("motion_blur", {"length": 7, "angle": 30, "direction": 0.0}),
    ("motion_blur", {"length": 9, "angle": 117.5, "direction": 0.7}),
    ("motion_blur", {"length": 5, "angle": -80, "direction": -1.0}),
    ("brightness_contrast", {"brightness": 0.12, "contrast": 0.6}),
    ("brightness_contrast", {"brightness": -0.3, "contrast": 1.8}),
]


@pytest.mark.parametrize("kind,params", KORNIA_CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(KORNIA_CASES)])
def test_photometric_kinds_match_kornia_within_one_grey_level(kind, params):
    rng = np.random.default_rng(4)
    layers = word_layers(width=90, height=40)
    # Texture everywhere, so every tap of the kernel matters: the word over noise.
    noisy = np.clip(layers.rgb.astype(np.int16) + rng.integers(-40, 40, layers.rgb.shape), 0, 255).astype(np.uint8)
    layers = Layers(rgb=noisy, instance_id=layers.instance_id, geometry=layers.geometry)
    result = augment(layers, [step(kind, **params)], np.random.default_rng(0))
    ours = result.layers.rgb.astype(np.int16)
    ref = kornia_reference(kind, noisy, result.applied[kind]).astype(np.int16)
    assert np.abs(ours - ref).max() <= 1
    assert np.count_nonzero(ours != noisy) > 0.5 * ours.size


def test_motion_kernel_is_kornias():
    from kornia.filters import get_motion_kernel2d

    from synthgen.augment.motion_blur import motion_kernel

    angles = [*range(-360, 361, 15), 7.5, 33.3, 117.5, 200.1]  # multiples of 15 hold exact ties
    for size in (3, 5, 9, 15):
        for angle in angles:
            for direction in (-1.0, -0.5, 0.0, 0.3, 1.0):
                ref = get_motion_kernel2d(size, float(angle), float(direction)).numpy()[0]
                np.testing.assert_allclose(motion_kernel(size, angle, direction), ref, atol=1e-6)


def test_noise_has_the_asked_sigma_and_no_bias():
    layers = Layers(rgb=np.full((200, 300, 3), 128, np.uint8), instance_id=np.zeros((200, 300), np.int32), geometry={})
    out = augment(layers, [step("noise", sigma=12)], np.random.default_rng(0)).layers.rgb.astype(np.float64)
    assert abs(out.mean() - 128) < 0.1 and abs(out.std() - 12) < 0.1
    # every pixel and channel gets its own draw
    assert abs(np.corrcoef(out[..., 0].ravel(), out[..., 1].ravel())[0, 1]) < 0.02


def test_shadow_darkens_by_its_strength_where_it_is_solid():
    layers = Layers(rgb=np.full((60, 80, 3), 200, np.uint8), instance_id=np.zeros((60, 80), np.int32), geometry={})
    result = augment(layers, [step("shadow", shape="gradient", strength=0.5)], np.random.default_rng(0))
    out = result.layers.rgb[..., 0].astype(np.float64)
    # a linear ramp from no shadow to half the light, corner to corner
    assert out.max() >= 198 and out.min() <= 102 and 99 <= np.median(out) <= 151


# --- config -------------------------------------------------------------------------------------


def config_with(tmp_path: Path, augment_yaml: str, overrides: tuple[str, ...] = ()):
    run = tmp_path / "run.yaml"
    scene = ROOT / "scenes/text/words.yaml"
    run.write_text(f"name: t\nnum_samples: 2\nscene:\n  include: {scene}\naugment:\n{augment_yaml}")
    return load_run_config(run, list(overrides))


def test_steps_keep_config_order_and_resolve_params(tmp_path):
    config = config_with(
        tmp_path,
        "  zoom: {kind: affine, p: 0.5}\n  blur: {kind: gaussian_blur, params: {sigma: 'uniform(1, 2)'}}\n",
        ("augment.grain.kind=noise",),
    )
    assert [(s.name, s.kind.name, s.p) for s in config.augment] == [
        ("zoom", "affine", 0.5),
        ("blur", "gaussian_blur", 1.0),
        ("grain", "noise", 1.0),
    ]
    assert config.resolved["augment"]["blur"]["params"] == {"sigma": "uniform(1, 2)"}
    assert config.resolved["augment"]["zoom"]["params"]["rotation"] == "uniform(-10, 10)"


def test_a_config_without_augment_resolves_as_before():
    config = load_run_config(ROOT / "configs/text_words.yaml")
    assert config.augment == () and "augment" not in config.resolved


BAD = [
    ("  blur: {kind: gausian_blur}\n", "augment.blur.kind", "valid kinds: affine, binarize, brightness_contrast"),
    ("  blur: {kind: gaussian_blur, p: 1.5}\n", "augment.blur.p", "0..1, got 1.5"),
    ("  blur: {kind: gaussian_blur, p: often}\n", "augment.blur.p", "often"),
    ("  blur: {p: 0.5}\n", "augment.blur.kind", "missing; valid kinds"),
    ("  blur: {kind: gaussian_blur, params: {sigma: 'uniform(1, 50)'}}\n", "augment.blur.params.sigma", "<= 20"),
    ("  blur: {kind: gaussian_blur, params: {sigm: 2}}\n", "augment.blur.params.sigm", "sigm"),
    (
        "  warp: {kind: perspective, params: {distortion: 'gauss(0, 1)'}}\n",
        "augment.warp.params.distortion",
        "unknown distribution",
    ),
    ("  dark: {kind: shadow, params: {shape: 'choice([polygon, blob])'}}\n", "augment.dark.params.shape", "'blob'"),
    ("  jpg: {kind: jpeg, params: {quality: 1.5}}\n", "augment.jpg.params.quality", "1.5"),
    ("  jpg: {kind: jpeg, params: {quality: 'choice([50, 70.5])'}}\n", "augment.jpg.params.quality", "integer"),
    ("  jpg: {kind: jpeg, params: [1, 2]}\n", "augment.jpg.params", "mapping"),
]


@pytest.mark.parametrize("body,key,words", BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_bad_augment_config_names_its_key(tmp_path, body, key, words):
    with pytest.raises(ConfigError) as err:
        config_with(tmp_path, body)
    message = str(err.value)
    assert err.value.key == key, message
    assert words in message and "\n" not in message
