"""The shapes scene end to end: COCO read by pycocotools, determinism across workers, the run's
category table in every shard, and load-time checks that name their key."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from pycocotools.coco import COCO

from synthgen.cli import main
from synthgen.config import load_run_config
from synthgen.engine import generate
from synthgen.engine.seeds import stage_rng
from synthgen.errors import ConfigError
from synthgen.render import RENDERERS
from synthgen.scene import SCENES

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "shapes.yaml"
SMALL = [
    "scene.params.width=160",
    "scene.params.height=120",
    "scene.params.radius=uniform(12, 40)",
    "scene.params.shapes=randint(8, 14)",
]


def small_config(num: int = 8, shard: int = 2, extra: list[str] | None = None):
    return load_run_config(CONFIG, [f"num_samples={num}", f"shard_size={shard}", *SMALL, *(extra or [])])


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def rendered(config, index: int):
    """The spec and layers of sample ``index``, drawn again outside the engine."""
    spec = SCENES.get("shapes").sample(config.scene.settings, stage_rng(config.seed, index, "scene"))
    return spec, RENDERERS.get("shapes2d").render(spec, config.render.settings, None)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    config = small_config()
    out = tmp_path_factory.mktemp("shapes") / "out"
    summary = generate(config, out, workers=1, progress=False)
    assert summary.instances > 0
    return config, out


def test_pycocotools_reads_masks_and_keypoints(dataset):
    config, out = dataset
    coco = COCO(str(out / "annotations" / "coco.json"))
    cats = {c["id"]: c for c in coco.loadCats(coco.getCatIds())}
    assert [c["name"] for c in cats.values()] == ["triangle", "square", "pentagon", "hexagon", "disc", "star", "ring"]
    checked = hidden = 0
    for image_id in coco.getImgIds():
        spec, layers = rendered(config, image_id)
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[image_id]))
        visible = [k for k in sorted(layers.geometry) if (layers.instance_id == k).any()]
        hidden += len(layers.geometry) - len(visible)
        assert len(anns) == len(visible)  # hidden shapes are not exported
        for ann, k in zip(anns, visible):
            item = spec.items[k - 1]
            cat = cats[ann["category_id"]]
            assert cat["name"] == item.kind
            assert np.array_equal(coco.annToMask(ann).astype(bool), layers.instance_id == k)
            assert ann["area"] == int((layers.instance_id == k).sum())
            assert 0 <= ann["occlusion"] < 1 and 0 <= ann["truncation"] < 1
            if cat.get("keypoints"):
                assert len(ann["keypoints"]) == 3 * len(cat["keypoints"])
                assert ann["num_keypoints"] == sum(1 for v in ann["keypoints"][2::3] if v > 0)
            else:
                assert "keypoints" not in ann
            checked += 1
    assert checked >= 20 and hidden >= 1  # the run holds wholly hidden shapes, and they are left out


def test_workers_1_and_2_give_identical_bytes(dataset, tmp_path):
    config, out = dataset
    generate(config, tmp_path / "w2", workers=2, progress=False)
    one, two = tree_hashes(out), tree_hashes(tmp_path / "w2")
    assert one == two and len([k for k in one if k.startswith("images/")]) == 8


@pytest.mark.slow  # worker processes
def test_category_ids_come_from_the_run_table(tmp_path):
    # kinds restricted and ids pinned by the config: every shard and every worker count uses them
    extra = ["scene.params.kinds=choice([ring, star, square])", "categories={square: 5, star: 9, ring: 2}"]
    config = small_config(num=6, shard=1, extra=extra)
    assert [(c.id, c.name) for c in config.categories.categories] == [(2, "ring"), (5, "square"), (9, "star")]
    generate(config, tmp_path / "a", workers=1, progress=False)
    generate(config, tmp_path / "b", workers=2, progress=False)
    texts = [(tmp_path / d / "annotations" / "coco.json").read_text() for d in ("a", "b")]
    assert texts[0] == texts[1]
    coco = json.loads(texts[0])
    assert [(c["id"], c["name"]) for c in coco["categories"]] == [(2, "ring"), (5, "square"), (9, "star")]
    assert next(c for c in coco["categories"] if c["name"] == "star")["keypoints"][:2] == ["tip_1", "inner_1"]
    names = {c["id"]: c["name"] for c in coco["categories"]}
    for image in coco["images"]:
        spec, layers = rendered(config, image["id"])
        visible = [k for k in sorted(layers.geometry) if (layers.instance_id == k).any()]
        anns = [a for a in coco["annotations"] if a["image_id"] == image["id"]]
        assert [names[a["category_id"]] for a in anns] == [spec.items[k - 1].kind for k in visible]
    seen = {names[a["category_id"]] for a in coco["annotations"]}
    assert seen == {"ring", "star", "square"}


def test_geometric_augment_is_refused_at_load(tmp_path, capsys):
    path = tmp_path / "run.yaml"
    path.write_text(
        f"name: t\nnum_samples: 2\nscene:\n  include: {ROOT / 'scenes/shapes/shapes.yaml'}\n"
        "augment:\n  tilt:\n    kind: affine\n"
    )
    with pytest.raises(ConfigError) as err:
        load_run_config(path)
    message = str(err.value)
    assert message.startswith("augment.tilt.kind: ") and "\n" not in message
    if importlib.util.find_spec("kornia") is not None:
        assert "amodal" in message
    out = tmp_path / "out"
    assert main(["generate", str(path), "-o", str(out)]) == 2
    err_text = capsys.readouterr().err
    assert err_text.startswith("synthgen: error: augment.tilt.kind: ") and err_text.count("\n") == 1
    assert not out.exists()


BAD = [
    ("scene.params.kinds=choice([disc, blob])", "scene.params.kinds", "'blob'"),
    ("scene.params.star_inner=1.5", "scene.params.star_inner", "<= 0.9"),
    ("scene.params.ring_inner=uniform(0.05, 0.5)", "scene.params.ring_inner", ">= 0.1"),
    ("scene.params.radius=uniform(80, 16)", "scene.params.radius", "uniform low 80"),
    ("scene.params.shapes=-1", "scene.params.shapes", ">= 0"),
    ("scene.params.min_contrast=2", "scene.params.min_contrast", "0..1"),
    ("scene.params.width=8", "scene.params.width", "16..8192"),
    ("scene.params.background.kind=image", "scene.params.background.kind", "image_dir"),
    ("scene.params.background.kind=choice([noise, velvet])", "scene.params.background.kind", "'velvet'"),
    ("scene.params.keep_inside=true", "scene.params.radius", "always too large"),
    ("render.params.supersample=0", "render.params.supersample", "1..8"),
    ("render.params.antialias=2", "render.params.antialias", "unknown key"),
    ("render.kind=text2d", "render.kind", "drawn by shapes2d"),
]


@pytest.mark.parametrize("override,key,fragment", BAD, ids=[b[1] + "=" + b[0].split("=", 1)[1] for b in BAD])
def test_bad_config_names_key(override, key, fragment):
    extra = ["scene.params.radius=uniform(300, 320)"] if "keep_inside" in override else []
    with pytest.raises(ConfigError) as err:
        load_run_config(CONFIG, [*extra, override])
    message = str(err.value)
    assert message.startswith(f"{key}: "), message
    assert fragment.lower() in message.lower(), message
    assert "\n" not in message


def test_keep_inside_leaves_nothing_truncated():
    config = small_config(num=4, extra=["scene.params.keep_inside=true"])
    for index in range(4):
        _, layers = rendered(config, index)
        for geo in layers.geometry.values():
            assert geo.area_alone == geo.area_alone_total


def test_preview_draws_amodal_boxes_and_keypoints(dataset, tmp_path):
    from pycocotools import mask as mask_utils

    from synthgen.preview import _palette, draw_labels, write_preview

    grey = np.full((100, 100, 3), 100, np.uint8)
    nothing = mask_utils.encode(np.zeros((100, 100), np.uint8, order="F"))["counts"].decode()
    ann = {
        "category_id": 3,
        "bbox": [40, 40, 30, 30],
        "segmentation": {"size": [100, 100], "counts": nothing},
        "amodal_bbox": [10.0, 10.0, 80.0, 80.0],
        "keypoints": [50, 50, 2, 60, 70, 1, 0, 0, 0],
    }
    categories = [{"id": 3, "name": "triangle", "keypoints": ["a", "b", "c"], "skeleton": [[1, 2], [2, 3], [3, 1]]}]
    out = np.asarray(draw_labels(grey, [ann], 1.0, categories))
    color = _palette(0)
    assert tuple(out[50, 50]) == color  # visible keypoint: a filled dot
    assert tuple(out[71, 61]) == (100, 100, 100) and tuple(out[70, 63]) == (0, 0, 0)  # hidden: hollow
    assert tuple(out[60, 55]) == color  # the skeleton between the two labelled points
    for y, x in ((1, 1), (25, 25), (30, 30), (35, 30)):  # no dot at the v = 0 point (0, 0), no limb to it
        assert tuple(out[y, x]) == (100, 100, 100)
    assert tuple(out[10, 12]) == color and tuple(out[10, 16]) == (100, 100, 100)  # a dashed amodal box
    _, root = dataset
    assert write_preview(root, tmp_path / "preview.png", num=4).is_file()
