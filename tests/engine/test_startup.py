"""Start-up of a run: only what the run uses is imported, and the lazy registries still know
every kind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from synthgen.augment import AUGMENTATIONS
from synthgen.errors import ConfigError
from synthgen.registry import Registry
from synthgen.render import RENDERERS
from synthgen.scene import SCENES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # a run in another process
def test_a_recognition_run_imports_no_other_domain(tmp_path):
    code = f"""
import json, sys
from synthgen.config import load_run_config
from synthgen.engine import generate
config = load_run_config({str(ROOT / "configs" / "ocr_recognition.yaml")!r}, ["num_samples=2", "shard_size=1"])
generate(config, {str(tmp_path / "out")!r}, workers=1, progress=False)
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("synthgen.", "tqdm", "pyrender", "trimesh")))))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    modules = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "synthgen.text.scenes.ocr_recognition" in modules
    assert "synthgen.text.render2d" in modules
    other = {"synthgen.driving", "synthgen.shapes", "synthgen.text.scenes.ocr_wild", "synthgen.text.scenes.words"}
    assert not modules & other
    unused = ("synthgen.augment.", "tqdm", "pyrender", "trimesh")  # no augment step, --no-progress, no 3D
    imported = {m for m in modules if m.startswith(unused)}
    assert imported <= {"synthgen.augment.base", "synthgen.augment.stage"}, imported
    assert len(list((tmp_path / "out" / "images").iterdir())) == 2


def test_lazy_registries_know_every_kind_and_build_each_once():
    assert {"driving", "ocr_recognition", "shapes", "text_words"} <= set(SCENES.names())
    assert SCENES.get("shapes") is SCENES.get("shapes")
    assert {"rain", "snow", "gaussian_blur", "elastic"} <= set(AUGMENTATIONS.names())
    assert AUGMENTATIONS.get("rain").name == "rain" and AUGMENTATIONS.get("snow").name == "snow"
    assert RENDERERS.get("text2d").name == "text2d"
    with pytest.raises(ConfigError, match=r"unknown scene kind 'nope'; valid kinds: driving, driving_insert, ocr_document"):
        SCENES.get("nope")


def test_a_registry_imports_a_kind_module_on_first_get_and_names_it(tmp_path, monkeypatch):
    (tmp_path / "probe_kinds.py").write_text(
        "from dataclasses import dataclass\n"
        "@dataclass(frozen=True)\n"
        "class Thing:\n"
        "    size: int\n"
        "    name: str = ''\n"
        "KIND = Thing(1)\n"
        "OTHER = Thing(2)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    reg: Registry[object] = Registry("thing", {"one": "probe_kinds", "two": "probe_kinds:OTHER"})
    assert reg.names() == ["one", "two"] and "one" in reg and "probe_kinds" not in sys.modules
    with pytest.raises(ConfigError, match=r"^thing.kind: unknown thing kind 'three'; valid kinds: one, two$"):
        reg.get("three", key="thing.kind")
    assert "probe_kinds" not in sys.modules
    one, two = reg.get("one"), reg.get("two")
    assert "probe_kinds" in sys.modules
    assert (one.size, one.name, two.size, two.name) == (1, "one", 2, "two")  # named where it is registered
    assert reg.get("one") is one
    assert reg.target("one") == "probe_kinds:KIND"
    with pytest.raises(ValueError, match="registered twice"):
        reg.register("one", "probe_kinds")
    sys.modules.pop("probe_kinds")


@pytest.mark.slow  # another process
def test_loading_a_driving_config_imports_no_text_module_nor_a_writer_it_does_not_use():
    code = f"""
import json, sys
from synthgen.config import load_run_config
config = load_run_config({str(ROOT / "configs" / "driving.yaml")!r}, ["num_samples=1"])
print(json.dumps([list(config.outputs), sorted(m for m in sys.modules if m.startswith("synthgen."))]))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    outputs, modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert not [m for m in modules if m.startswith("synthgen.text")], modules
    writers = {m.rsplit(".", 1)[1] for m in modules if m.startswith("synthgen.formats.")}
    assert {"coco", "kitti"} <= set(outputs) and set(outputs) <= writers
    assert not writers & {"icdar", "recognition", "yolo", "coco_reader", "text_readers", "yolo_reader"}, writers
