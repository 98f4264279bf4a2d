"""README's Mask R-CNN example, run as written on a tiny mix (real COCO + generated shapes) for its
2 steps: finite losses, changed weights; and the targets of that mix (labels by the mix's table,
a real crowd annotation's iscrowd)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # generates datasets and scores or trains on them (KITTI devkit, Ultralytics, torchvision)

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")

from coco_sets import mix_yaml, write_coco

import synthgen
from synthgen.torch import DatasetOnDisk, detection_collate

ROOT = Path(__file__).resolve().parents[2]
README_MARK = "<!-- tests/mix/test_torch_training.py runs the next block: keep them in sync -->"

MIX = f"""\
name: torch_mix
seed: 2
shard_size: 4
categories: [car, person, bike, square, disc]
sources:
  real: {{path: real, format: coco}}
  shapes:
    path: {ROOT / "configs/shapes.yaml"}
    format: generate
    real: false
    overrides: [num_samples=6, scene.params.width=64, scene.params.height=64, "scene.params.shapes=randint(2, 3)",
                "scene.params.radius=uniform(8, 20)", "scene.params.kinds=choice([square, disc])"]
splits: {{val: 0.2, test: 0.2}}
strategy: {{ratio: {{real: 1, synthetic: 1}}}}
outputs: [coco]
"""


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    after = text[text.index(README_MARK) + len(README_MARK) :]
    match = re.match(r"\s*```python\n(.*?)```", after, re.DOTALL)
    assert match, "README: no python block after the example's mark"
    return match.group(1)


@pytest.fixture(scope="module")
def tiny_mix(tmp_path_factory):
    folder = tmp_path_factory.mktemp("torch_mix")
    write_coco(folder / "real", [["car", "person"], ["bike"], ["car"], ["person", "bike"], ["car", "car"]] * 2, tag=4)
    coco = json.loads((folder / "real/annotations/coco.json").read_text())
    coco["annotations"][0]["iscrowd"] = 1  # image 100's car: a crowd region
    (folder / "real/annotations/coco.json").write_text(json.dumps(coco))
    synthgen.mix(mix_yaml(folder, MIX), folder / "mix")
    return folder / "mix"


def test_mix_targets_use_the_mix_table_and_keep_a_real_crowd(tiny_mix):
    train = DatasetOnDisk(tiny_mix / "train")
    assert train.label_map.names == ("__background__", "car", "person", "bike", "square", "disc")
    assert any(train.synthetic) and not all(train.synthetic)
    samples = [train[i] for i in range(len(train))]
    _, targets = detection_collate(samples)
    crowd = {}
    for sample, target in zip(samples, targets):
        visible = [i for i in sample.labels.instances if i.visible]
        assert target["labels"].tolist() == [train.label_map.label(i.category) for i in visible]
        assert "keypoints" not in target  # the mix's table names no keypoints
        if sample.meta["source"].startswith("synthetic"):
            assert set(target["labels"].tolist()) <= {4, 5} and not target["iscrowd"].any()
        else:
            crowd[sample.meta["origin"]["id"]] = target["iscrowd"].tolist()
    # image 100 (in train with this seed) holds the crowd car and a person; no other real crowd
    assert crowd.pop(100) == [1, 0]
    assert crowd and all(not any(flags) for flags in crowd.values())


@pytest.mark.slow
def test_readme_mask_rcnn_example_trains_two_steps_on_a_mix(tiny_mix, capsys):
    """The README block, as written, with the tiny mix's train split for out/mix_words/train."""
    code = readme_example().replace('"out/mix_words/train"', repr(str(tiny_mix / "train")))
    assert str(tiny_mix) in code
    head, tail = code.split("loader = ", 1)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        torch.manual_seed(0)
        namespace: dict = {}
        exec(compile(head, "README.md", "exec"), namespace)  # noqa: S102 (the README block, as written)
        model = namespace["model"]
        before = {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}
        assert namespace["train"].label_map.num_classes == 6
        exec(compile("loader = " + tail, "README.md", "exec"), namespace)  # noqa: S102
    finally:
        torch.set_num_threads(threads)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["step 0", "step 1"]
    assert all(math.isfinite(float(line.split("loss ")[1])) for line in lines), lines
    losses = namespace["losses"]
    assert set(losses) == {"loss_classifier", "loss_box_reg", "loss_mask", "loss_objectness", "loss_rpn_box_reg"}
    assert all(torch.isfinite(v) for v in losses.values())
    changed = [name for name, p in model.named_parameters() if p.requires_grad and not torch.equal(p, before[name])]
    assert any(n.startswith("roi_heads.mask_predictor") for n in changed)
    assert any(n.startswith("roi_heads.box_predictor") for n in changed)
    assert any(n.startswith("backbone.body") for n in changed)
