"""Diffusion keeps every label true: dense layers (per-class repaint, stale layers refused at load),
ControlNet on driving's segmentation in ADE20K's palette, no halo of the old background around a
locked object, and the device key."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("diffusers")

from label_lock import ROOT, WORDS, assert_labels_locked  # noqa: E402
from tiny_pipelines import build_tiny_checkpoints  # noqa: E402

from synthgen.config import load_run_config  # noqa: E402
from synthgen.diffusion.lock import composite_covered, coverage, exact_pixels, seam_step  # noqa: E402
from synthgen.engine import make_sample  # noqa: E402
from synthgen.errors import ConfigError  # noqa: E402

DRIVING = ROOT / "configs" / "driving.yaml"
# the camera model (scene.params.sensor) develops the final picture after the generate stage (its motion
# blur and JPEG mix neighbouring pixels): off, so the generate stage's own picture is the one checked
SMALL_DRIVING = ["scene.params.width=128", "scene.params.height=64", "scene.params.sensor.enabled=false"]
WIDE = ["scene.params.width=160", "scene.params.height=96", "scene.params.words=3", "scene.params.font_size=24",
        "scene.params.rotation=0"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_checkpoints(tmp_path_factory.mktemp("tiny_sd"))


def instance_ids(sample) -> np.ndarray:
    ids = np.zeros(sample.image.shape[:2], np.int32)
    for k, inst in enumerate(sample.labels.instances, start=1):
        ids[inst.visible_mask()] = k
    return ids


# ---- 1. dense labels stay true ---------------------------------------------------------------


def test_repainting_every_background_pixel_is_refused_while_dense_writes_the_semantic_layer(tiny, capsys, tmp_path):
    from synthgen.cli import main

    out = tmp_path / "out"
    code = main(["generate", str(DRIVING), "-o", str(out), "--no-progress", "generate.bg.kind=inpaint_background",
                 f"generate.bg.params.model={tiny['inpaint']}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert "generate.bg" in err[0] and "inpaint_background" in err[0] and "dense writer" in err[0], err
    assert "semantic layer" in err[0] and "repaint:" in err[0] and not out.exists()


def test_without_dense_the_same_step_loads(tiny):
    config = load_run_config(DRIVING, ["outputs=[coco,kitti]", "generate.bg.kind=inpaint_background",
                                       f"generate.bg.params.model={tiny['inpaint']}"])
    assert [s.name for s in config.generate] == ["fog", "bg"]


@pytest.mark.parametrize(
    ("overrides", "key", "words"),
    [(["generate.g.params.repaint.skyy=blue sky"], "generate.g.params.repaint.skyy", "not a semantic class"),
     (["generate.g.params.model=builtin", "generate.g.params.repaint.sky=blue sky"],
      "generate.g.params.repaint.sky", "the built-in model paints a texture class"),
     (["generate.g.params.repaint.sky=a {season} sky"], "generate.g.params.repaint.sky",
      "{season} is not a parameter scene 'driving' records")],
)
def test_a_bad_repaint_is_refused_at_load(tiny, overrides, key, words):
    base = [*SMALL_DRIVING, "generate.g.kind=inpaint_background", f"generate.g.params.model={tiny['inpaint']}"]
    with pytest.raises(ConfigError) as err:
        load_run_config(DRIVING, [*base, *overrides])
    assert str(err.value).startswith(key) and words in str(err.value) and "\n" not in str(err.value), str(err.value)


def test_repaint_on_a_scene_without_a_semantic_layer_is_refused(tiny):
    with pytest.raises(ConfigError) as err:
        load_run_config(WORDS, ["generate.g.kind=inpaint_background", f"generate.g.params.model={tiny['inpaint']}",
                                "generate.g.params.repaint.sky=blue sky"])
    assert "needs semantic, which scene 'text_words' does not render" in str(err.value)


@pytest.mark.slow
def test_per_class_repaint_paints_each_class_only_as_itself(tiny):
    pytest.importorskip("pyrender")
    plain = make_sample(load_run_config(DRIVING, SMALL_DRIVING), 0)
    steps = ["generate.bg.kind=inpaint_background", f"generate.bg.params.model={tiny['inpaint']}",
             "generate.bg.params.steps=2", "generate.bg.params.repaint.sky=an overcast {weather} sky",
             "generate.bg.params.repaint.road=wet asphalt"]
    painted = make_sample(load_run_config(DRIVING, [*SMALL_DRIVING, *steps]), 0)
    semantic = plain.labels.semantic
    ids = instance_ids(plain)
    changed = (painted.image != plain.image).any(axis=2)
    sky, road = semantic == 23, semantic == 7
    assert sky.any() and road.any()
    assert changed[sky & (ids == 0)].mean() > 0.9 and changed[road & (ids == 0)].mean() > 0.9
    # every other class (and every object's whole pixels) as rendered: painted only as sky or road
    elsewhere = ~(sky | road) & exact_pixels(plain.image, ids)
    assert not changed[elsewhere].any()
    drawn = painted.meta["generate"]["bg"]["repaint"]
    weather = plain.meta["scene"]["weather"].replace("_", " ")
    assert drawn == {"sky": f"an overcast {weather} sky", "road": "wet asphalt"}
    assert (painted.labels.semantic == semantic).all()


# ---- 2. ControlNet on driving's segmentation, in ADE20K's palette -----------------------------


def test_the_segmentation_condition_uses_ade20k_colours():
    from synthgen.diffusion.controlnet import condition_image
    from synthgen.types import Layers

    # road, building, vegetation, sky / person, car, sidewalk, void
    ids = np.array([[7, 11, 21, 23], [24, 26, 8, 0]], np.int32)
    layers = Layers(np.zeros((2, 4, 3), np.uint8), np.zeros((2, 4), np.int32), {}, semantic_id=ids)
    cond = condition_image(layers, "segmentation")
    assert cond[0].tolist() == [[140, 140, 140], [180, 120, 120], [4, 200, 3], [6, 230, 230]]
    assert cond[1].tolist() == [[150, 5, 61], [0, 102, 200], [235, 255, 7], [0, 0, 0]]


def test_controlnet_on_segmentation_loads_for_driving(tiny):
    config = load_run_config(DRIVING, ["generate.g.kind=controlnet", f"generate.g.params.model={tiny['base']}",
                                       f"generate.g.params.controlnet={tiny['controlnet']}",
                                       "generate.g.params.condition=segmentation"])
    assert config.generate[-1].settings.condition == "segmentation"


@pytest.mark.slow
def test_controlnet_on_segmentation_runs_on_driving(tiny):
    pytest.importorskip("pyrender")
    base = [*SMALL_DRIVING, "outputs=[coco]"]
    steps = ["generate.g.kind=controlnet", f"generate.g.params.model={tiny['base']}", "generate.g.params.steps=2",
             f"generate.g.params.controlnet={tiny['controlnet']}", "generate.g.params.condition=segmentation"]
    plain = make_sample(load_run_config(DRIVING, base), 0)
    painted = make_sample(load_run_config(DRIVING, [*base, *steps]), 0)
    assert painted.meta["generate"]["g"]["condition"] == "segmentation"
    assert_labels_locked(plain, painted)


# ---- 3. no halo ---------------------------------------------------------------------------------


def _disc(background: tuple[int, int, int], ink=(20, 30, 200), size=40, radius=9.3, supersample=8) -> np.ndarray:
    """An anti-aliased disc of ``ink`` over a flat ``background``, coverage by supersampling."""
    n = size * supersample
    yy, xx = np.mgrid[0:n, 0:n] + 0.5
    inside = (yy / supersample - size / 2) ** 2 + (xx / supersample - size / 2) ** 2 <= radius**2
    alpha = inside.reshape(size, supersample, size, supersample).mean(axis=(1, 3))[..., None]
    return np.rint(alpha * np.array(ink) + (1 - alpha) * np.array(background)).astype(np.uint8), alpha[..., 0]


def test_an_edge_pixel_keeps_its_ink_over_the_new_background():
    old, alpha = _disc((230, 220, 180))
    truth, _ = _disc((40, 160, 60))  # the same disc drawn over the new background
    ids = (alpha > 0).astype(np.int32)  # a pixel is the object's wherever it has ink (text2d's rule)
    new_background = np.broadcast_to(np.array([40, 160, 60], np.uint8), old.shape).copy()
    out = composite_covered(old, new_background, ids)
    edge = (alpha > 0) & (alpha < 1)
    assert edge.sum() > 40
    assert np.abs(out.astype(int) - truth.astype(int))[edge].max() <= 6  # a hard lock: up to ~190 levels off
    whole = alpha >= 1
    assert (out[whole] == old[whole]).all() and (out[ids == 0] == new_background[ids == 0]).all()
    assert np.abs(coverage(old, ids)[edge] - alpha[edge]).max() < 0.05


@pytest.mark.slow
def test_no_halo_of_the_old_background_after_inpainting(tiny):
    """The step at the lock's edge: with the old margin lock a ring of the old background stands out
    from the repainted background; with the coverage lock it is at the picture's own level."""
    excess = {0: [], 2: []}
    for index in range(4):
        plain = make_sample(load_run_config(WORDS, WIDE), index)
        ids = instance_ids(plain)
        assert seam_step(plain.image, ids, 2) < 6  # plain renders: 0.2-5.6 grey levels (the issue)
        for margin in excess:
            config = load_run_config(WORDS, [*WIDE, "generate.g.kind=inpaint_background", "generate.g.params.steps=2",
                                             f"generate.g.params.model={tiny['inpaint']}",
                                             f"generate.g.params.margin={margin}"])
            painted = make_sample(config, index)
            # the step 2 px out against the repainted background's own step farther out
            excess[margin].append(seam_step(painted.image, ids, 2) - seam_step(painted.image, ids, 6))
            if margin == 0:
                assert_labels_locked(plain, painted)
                near = (ids == 0) & ~exact_pixels(plain.image, ids, 2)  # the pixels legibility reads the ink against
                assert (painted.image != plain.image).any(axis=2)[near].mean() > 0.95  # repainted: measured anew
    assert np.mean(excess[0]) < 2.0, excess
    assert np.mean(excess[2]) > 8.0, excess  # what the margin lock left (the issue: 20-96 levels)


# ---- 4. device ----------------------------------------------------------------------------------


def test_a_device_that_is_not_there_is_refused_at_load(tiny):
    torch = pytest.importorskip("torch")
    base = ["generate.g.kind=inpaint_background", f"generate.g.params.model={tiny['inpaint']}"]
    with pytest.raises(ConfigError) as err:
        load_run_config(WORDS, [*base, "generate.g.params.device=tpu"])
    assert str(err.value).startswith("generate.g.params.device: 'tpu' is not a device")
    wanted = f"cuda:{torch.cuda.device_count()}"  # one past the last GPU, or cuda:0 on a machine without one
    with pytest.raises(ConfigError) as err:
        load_run_config(WORDS, [*base, f"generate.g.params.device={wanted}"])
    assert str(err.value).startswith(f"generate.g.params.device: {wanted}: ") and "\n" not in str(err.value)
    assert load_run_config(WORDS, [*base, "generate.g.params.device=cpu"]).generate[0].settings.device == "cpu"


def test_cuda_spreads_workers_over_the_visible_gpus(monkeypatch):
    torch = pytest.importorskip("torch")
    from synthgen.diffusion_models import models

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 3)
    seen = []
    for ordinal in range(5):
        monkeypatch.setattr(models, "worker_ordinal", lambda k=ordinal: k)
        seen.append(models.device_and_dtype("cuda")[0])
    assert seen == ["cuda:0", "cuda:1", "cuda:2", "cuda:0", "cuda:1"]
    assert models.device_and_dtype("cuda:2") == ("cuda:2", torch.float16)
    assert models.device_and_dtype("cpu") == ("cpu", torch.float32)


def test_a_checkpoint_folder_without_weights_is_refused_by_validate(tiny, tmp_path, capsys):
    import shutil

    from synthgen.cli import main

    folder = tmp_path / "empty"
    shutil.copytree(tiny["inpaint"], folder)
    for weights in folder.rglob("*.safetensors"):
        weights.unlink()
    code = main(["validate", str(WORDS), "generate.g.kind=inpaint_background", f"generate.g.params.model={folder}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "generate.g.params.model" in err[0] and "no weight file" in err[0], err
