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

    built = []
    reg: Registry[int] = Registry("thing")
    reg.register_lazy("a", lambda: built.append("a") or 1)
    assert reg.names() == ["a"] and built == []
    assert reg.get("a") == 1 and reg.get("a") == 1 and built == ["a"]
    with pytest.raises(ValueError, match="registered twice"):
        reg.register_lazy("a", lambda: 2)
