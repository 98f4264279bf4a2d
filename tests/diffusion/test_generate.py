"""The generate stage: every kind keeps the labelled pixels byte for byte, checkpoints load from a
local folder (tiny random-weight pipelines built from config), bad models fail at load."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

pytest.importorskip("diffusers")

from label_lock import ROOT, SMALL, WORDS, assert_labels_locked  # noqa: E402
from tiny_pipelines import build_tiny_checkpoints  # noqa: E402

from synthgen.config import load_run_config  # noqa: E402
from synthgen.engine import generate, make_sample  # noqa: E402
from synthgen.errors import ConfigError  # noqa: E402
from synthgen.diffusion.lock import exact_pixels  # noqa: E402

pytestmark = pytest.mark.slow  # runs diffusion pipelines (tiny random-weight ones and the built-in model)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_checkpoints(tmp_path_factory.mktemp("tiny_sd"))


def step_overrides(tiny, kind: str) -> list[str]:
    base = [f"generate.g.kind={kind}", "generate.g.params.steps=2"]
    if kind == "inpaint_background":
        return [*base, f"generate.g.params.model={tiny['inpaint']}"]
    if kind == "refine":
        return [*base, f"generate.g.params.model={tiny['base']}", "generate.g.params.strength=1.0"]
    return [*base, f"generate.g.params.model={tiny['base']}", f"generate.g.params.controlnet={tiny['controlnet']}",
            "generate.g.params.condition=edges"]


@pytest.mark.parametrize("kind", ["inpaint_background", "refine", "controlnet"])
def test_checkpoint_kinds_keep_locked_pixels(tiny, kind):
    plain = make_sample(load_run_config(WORDS, SMALL), 1)
    config = load_run_config(WORDS, [*SMALL, *step_overrides(tiny, kind)])
    generated = make_sample(config, 1)
    assert_labels_locked(plain, generated)
    assert "g" in generated.meta["generate"]  # the sampled values are recorded
    again = make_sample(config, 1)
    assert (again.image == generated.image).all()  # one torch.Generator per sample: same bytes


def test_controlnet_on_depth_keeps_locked_pixels(tiny):
    from synthgen.diffusion.controlnet import ControlNetSettings, apply, condition_image
    from synthgen.types import InstanceGeometry, Layers

    settings = ControlNetSettings.from_config(
        {"model": str(tiny["base"]), "controlnet": str(tiny["controlnet"]), "condition": "depth", "steps": 2},
        "generate.g.params",
    )
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    ids = np.zeros((48, 64), np.int32)
    ids[10:30, 20:40] = 1
    depth = np.broadcast_to(np.linspace(2, 20, 48, dtype=np.float32)[:, None], (48, 64)).copy()
    layers = Layers(rgb, ids, {1: InstanceGeometry("car")}, depth=depth)
    cond = condition_image(layers, "depth")
    assert cond[0, 0, 0] == 255 and cond[-1, 0, 0] < cond[0, 0, 0]  # near is bright
    out = apply(settings, layers, None, rng).layers
    locked = exact_pixels(rgb, ids, settings.margin)
    assert (out.rgb[locked] == rgb[locked]).all() and (out.rgb[~locked] != rgb[~locked]).any()
    assert out.instance_id is ids and out.depth is depth


@pytest.mark.slow
def test_one_and_two_workers_give_the_same_bytes(tiny, tmp_path):
    config = load_run_config(WORDS, [*SMALL, "num_samples=4", "shard_size=1", *step_overrides(tiny, "inpaint_background")])
    generate(config, tmp_path / "w1", workers=1, progress=False)
    generate(config, tmp_path / "w2", workers=2, progress=False)
    for image in sorted((tmp_path / "w1" / "images").iterdir()):
        assert image.read_bytes() == (tmp_path / "w2" / "images" / image.name).read_bytes()


@pytest.mark.parametrize(
    ("overrides", "key", "message"),
    [
        (["generate.g.kind=inpaint_background", "generate.g.params.model=/no/such/folder"], "generate.g.params.model",
         "model folder not found: /no/such/folder"),
        (["generate.g.kind=refine", "generate.g.params.model={inpaint}"], "generate.g.params.model",
         "holds a StableDiffusionInpaintPipeline; this needs one of"),
        (["generate.g.kind=controlnet", "generate.g.params.model={base}", "generate.g.params.controlnet={base}"],
         "generate.g.params.controlnet", "holds a StableDiffusionPipeline; this needs one of ControlNetModel"),
        (["generate.g.kind=controlnet", "generate.g.params.model={base}", "generate.g.params.controlnet={controlnet}"],
         "generate.g.params", "controlnet needs depth, which scene 'text_words' does not render"),
        (["generate.g.kind=fog"], "generate.g.params", "fog needs depth, which scene 'text_words' does not render"),
        (["generate.g.kind=fog", "generate.g.params.only_scene_weather=false"], "generate.g.params",
         "fog needs depth"),
        (["generate.g.kind=controlnet", "generate.g.params.model=builtin", "generate.g.params.controlnet={controlnet}"],
         "generate.g.params.model",
         "the built-in model cannot do this"),
        (["generate.g.kind=refine", "generate.g.params.strength=1.5"], "generate.g.params.strength", ""),
        (["generate.g.kind=inpaint_background", "generate.g.params.texture=marble"], "generate.g.params.texture", ""),
        (["generate.g.kind=inpaint_background", "generate.g.params.working_size=30"], "generate.g.params.working_size",
         "multiple of 8"),
    ],
)
def test_bad_generate_configs_fail_at_load(tiny, overrides, key, message):
    overrides = [o.format(**{k: str(v) for k, v in tiny.items()}) for o in overrides]
    with pytest.raises(ConfigError) as err:
        load_run_config(WORDS, [*SMALL, *overrides])
    assert str(err.value).startswith(key) and message in str(err.value) and "\n" not in str(err.value)


def test_prompts_are_templates_filled_from_the_scenes_parameters(tiny):
    base = [*SMALL, "generate.g.kind=refine", f"generate.g.params.model={tiny['base']}", "generate.g.params.steps=2"]
    config = load_run_config(WORDS, [*base, "generate.g.params.prompt=a {background} wall with {words_sampled} words"])
    for index in range(3):
        sample = make_sample(config, index)
        scene = sample.meta["scene"]
        assert sample.meta["generate"]["g"]["prompt"] == f"a {scene['background']} wall with {scene['words_sampled']} words"


def test_a_prompt_may_be_a_distribution_drawn_per_sample(tiny):
    base = [*SMALL, "generate.g.kind=refine", f"generate.g.params.model={tiny['base']}", "generate.g.params.steps=2"]
    prompt = 'generate.g.params.prompt=choice(["a {background} wall", "a photo"])'
    config = load_run_config(WORDS, [*base, prompt])
    drawn = [make_sample(config, i).meta["generate"]["g"]["prompt"] for i in range(8)]
    assert "a photo" in drawn and any(p.endswith(" wall") for p in drawn)
    assert drawn == [make_sample(config, i).meta["generate"]["g"]["prompt"] for i in range(8)]  # seeded


@pytest.mark.parametrize(
    ("prompt", "words"),
    [("a {weather} street", "{weather} is not a parameter scene 'text_words' records; it records background"),
     ("a {background street", "in 'a {background street'"),
     ("a {0} street", "a field is a parameter name"),
     ("a {background.x} street", "a field is a parameter name"),
     ('choice(["a {time_of_day} road", "a road"])', "{time_of_day} is not a parameter")],
)
def test_a_prompt_field_the_scene_does_not_record_is_refused_at_load(tiny, prompt, words):
    base = [*SMALL, "generate.g.kind=refine", f"generate.g.params.model={tiny['base']}", "generate.g.params.steps=2"]
    with pytest.raises(ConfigError) as err:
        load_run_config(WORDS, [*base, f"generate.g.params.prompt={prompt}"])
    assert str(err.value).startswith("generate.g.params.prompt: ") and words in str(err.value), str(err.value)


def _truncate(path, keep: int) -> None:
    """Keep the first ``keep`` bytes (all but the last ``-keep`` when negative)."""
    data = path.read_bytes()
    path.write_bytes(data[: keep if keep >= 0 else len(data) + keep])


def _damage(path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset : offset + 4] = b"\xff\xfe{]"
    path.write_bytes(bytes(data))


# (which folder, what is done to its copy, the words the one line must hold)
DAMAGED_CHECKPOINTS = {
    "only-model-index": ("inpaint", lambda f: [shutil.rmtree(p) for p in f.iterdir() if p.is_dir()],
                         "no scheduler/ folder"),
    "no-unet-weights": ("inpaint", lambda f: (f / "unet" / "diffusion_pytorch_model.safetensors").unlink(),
                        "unet: no weight file"),
    "truncated-unet": ("inpaint", lambda f: _truncate(f / "unet" / "diffusion_pytorch_model.safetensors", -100),
                       "truncated or corrupt"),
    "truncated-in-header": ("inpaint", lambda f: _truncate(f / "vae" / "diffusion_pytorch_model.safetensors", 40),
                            "runs past the file"),
    "corrupt-header": ("inpaint", lambda f: _damage(f / "text_encoder" / "model.safetensors", 12),
                       "corrupt weight file"),
    "empty-weights": ("inpaint", lambda f: _truncate(f / "vae" / "diffusion_pytorch_model.safetensors", 0),
                      "shorter than its header"),
    "missing-shard": ("inpaint", lambda f: (f / "unet" / "diffusion_pytorch_model.safetensors.index.json").write_text(
        '{"weight_map": {"a": "diffusion_pytorch_model-00002-of-00002.safetensors"}}'), "shard"),
    "truncated-bin": ("inpaint", lambda f: _truncate(f / "unet" / "diffusion_pytorch_model.safetensors", 0) or (
        f / "unet" / "diffusion_pytorch_model.safetensors").rename(f / "unet" / "diffusion_pytorch_model.bin"),
        "empty weight file"),
    "controlnet-truncated": ("controlnet", lambda f: _truncate(f / "diffusion_pytorch_model.safetensors", -1),
                             "truncated or corrupt"),
}


@pytest.mark.parametrize("case", DAMAGED_CHECKPOINTS, ids=list(DAMAGED_CHECKPOINTS))
def test_a_damaged_checkpoint_is_refused_at_load_in_one_line(tiny, case, tmp_path, capsys):
    from synthgen.cli import main

    which, damage, words = DAMAGED_CHECKPOINTS[case]
    folder = tmp_path / which
    shutil.copytree(tiny[which], folder)
    damage(folder)
    overrides = [o.format(**{**{k: str(v) for k, v in tiny.items()}, which: str(folder)}) for o in (
        step_overrides(tiny, "controlnet") if which == "controlnet" else step_overrides(tiny, "inpaint_background"))]
    if which == "controlnet":
        overrides = [o.replace(str(tiny["controlnet"]), str(folder)) for o in overrides]
    else:
        overrides = [o.replace(str(tiny["inpaint"]), str(folder)) for o in overrides]
    out = tmp_path / "out"
    capsys.readouterr()
    code = main(["generate", str(WORDS), "-o", str(out), "--no-progress", *SMALL, *overrides])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and words in err[0] and str(folder) in err[0], err
    assert "generate.g.params." in err[0] and not out.exists()


def test_background_bank_is_built_once_and_drawn_from(tiny, tmp_path, monkeypatch):
    from synthgen.diffusion_models import bank

    monkeypatch.setenv("SYNTHGEN_CACHE", str(tmp_path / "cache"))
    builds = []
    original = bank._build
    monkeypatch.setattr(bank, "_build", lambda spec, folder: (builds.append(folder), original(spec, folder)))
    overrides = [
        "scene.params.width=64", "scene.params.height=48",
        "scene.params.background.kind=diffusion", f"scene.params.background.bank.model={tiny['base']}",
        "scene.params.background.bank.size=32", "scene.params.background.bank.count=2",
        "scene.params.background.bank.steps=2",
    ]
    config = load_run_config(ROOT / "configs" / "ocr_wild.yaml", overrides)
    a, b = make_sample(config, 0), make_sample(config, 1)
    assert len(builds) == 1  # made once, then read from disk
    spec = a.meta["scene"]
    assert spec["background"] == "diffusion"
    (folder,) = builds
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == ["00000.png", "00001.png", "bank.json"]
    make_sample(config, 2)
    assert len(builds) == 1 and b.image.shape == (48, 64, 3)


BANK = ["scene.params.width=64", "scene.params.height=48", "scene.params.background.kind=diffusion",
        "scene.params.background.bank.size=32", "scene.params.background.bank.count=4",
        "scene.params.background.bank.steps=2", "scene.params.background.bank.batch_size=2"]


@pytest.mark.parametrize("damage", ["garbage", "empty", "truncated", "deleted", "wrong-size"])
def test_a_damaged_bank_image_is_made_again_as_it_was(tiny, tmp_path, damage):
    import cv2

    from synthgen.diffusion_models import bank

    spec = bank.bank_from_config(
        bank.BankSchema(model=str(tiny["base"]), size=32, count=4, steps=2, batch_size=2, dir=str(tmp_path)), "b"
    )
    draw = lambda: bank.draw({"kind": "diffusion", "bank": spec, "index": 3, "crop": [0, 0, 32, 32]}, 32, 32)  # noqa: E731
    built = draw()
    folder = bank.bank_folder(spec)
    images = {p.name: p.read_bytes() for p in sorted(folder.glob("*.png"))}
    victim = folder / "00003.png"  # the second image of the second batch of two
    if damage == "garbage":
        victim.write_bytes(b"not a png at all")
    elif damage == "empty":
        victim.write_bytes(b"")
    elif damage == "truncated":
        victim.write_bytes(images[victim.name][: len(images[victim.name]) // 2])
    elif damage == "deleted":
        victim.unlink()
    else:
        cv2.imwrite(str(victim), np.zeros((16, 16, 3), np.uint8))
    assert np.array_equal(draw(), built)
    assert {p.name: p.read_bytes() for p in sorted(folder.glob("*.png"))} == images  # byte for byte as built


@pytest.mark.parametrize(
    ("dir_value", "words"),
    [("{file}", "exists and is not a folder"), ("{file}/sub", "is a file, not a folder"),
     ("{readonly}/cache", "no permission to write"), ("' '", "an empty path")],
)
def test_a_bad_bank_dir_is_refused_at_load(tiny, tmp_path, dir_value, words, capsys):
    import os

    from synthgen.cli import main

    if dir_value.startswith("{readonly}") and os.geteuid() == 0:
        pytest.skip("root writes in a read-only folder")
    (tmp_path / "file").write_text("x")
    (tmp_path / "ro").mkdir(mode=0o500)
    value = dir_value.format(file=tmp_path / "file", readonly=tmp_path / "ro")
    out = tmp_path / "out"
    code = main(["generate", str(ROOT / "configs" / "ocr_wild.yaml"), "-o", str(out), "--no-progress", *BANK,
                 f"scene.params.background.bank.model={tiny['base']}", f"scene.params.background.bank.dir={value}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "scene.params.background.bank.dir" in err[0] and words in err[0], err
    assert not out.exists()


@pytest.mark.slow
def test_ocr_scene_end_to_end_with_the_builtin_model(tmp_path):
    """ocr_wild with inpaint_background and refine on the built-in model: labels locked, COCO written."""
    base = ["num_samples=2", "shard_size=1", "scene.params.width=320", "scene.params.height=240"]
    steps = ["generate.bg.kind=inpaint_background", "generate.bg.params.steps=10", "generate.bg.params.working_size=32",
             "generate.ref.kind=refine", "generate.ref.params.working_size=32", "generate.ref.params.steps=10"]
    plain = load_run_config(ROOT / "configs" / "ocr_wild.yaml", base)
    config = load_run_config(ROOT / "configs" / "ocr_wild.yaml", [*base, *steps])
    for index in range(2):
        assert_labels_locked(make_sample(plain, index), make_sample(config, index), steps=2)
    generate(config, tmp_path / "out", workers=1, progress=False)
    assert (tmp_path / "out" / "annotations" / "coco.json").is_file()


@pytest.mark.slow
def test_driving_scene_end_to_end_with_a_diffusion_step():
    pytest.importorskip("pyrender")
    # the camera model develops the picture after the generate stage (blur, JPEG): off, to check the stage's own
    base = ["scene.params.width=160", "scene.params.height=96", "scene.params.sensor.enabled=false"]
    # dense (semantic and depth) is written: the built-in model repaints the terrain and the buildings as themselves
    steps = ["generate.bg.kind=inpaint_background", "generate.bg.params.steps=10", "generate.bg.params.working_size=32",
             "generate.bg.params.repaint.terrain=grass", "generate.bg.params.repaint.building=brick"]
    plain = make_sample(load_run_config(ROOT / "configs" / "driving.yaml", base), 0)
    painted = make_sample(load_run_config(ROOT / "configs" / "driving.yaml", [*base, *steps]), 0)
    assert [i.box3d is not None for i in painted.labels.instances] == [i.box3d is not None for i in plain.labels.instances]
    assert_labels_locked(plain, painted)
