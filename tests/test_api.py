"""The Python API mirrors the CLI: load_config, generate, make_sample, read_dataset."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

import synthgen
from synthgen.records import to_record

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["num_samples=5", "shard_size=2", "scene.params.width=200", "scene.params.height=150"]


def test_read_dataset_gives_back_what_generate_made(tmp_path):
    config = synthgen.load_config(ROOT / "configs" / "ocr_wild.yaml", [*SMALL, "image.format=png"])
    summary = synthgen.generate(config, tmp_path / "out", workers=2)
    assert summary.samples == 5
    samples = list(synthgen.read_dataset(tmp_path / "out"))
    assert [s.meta["index"] for s in samples] == list(range(5))
    for sample in samples:
        made = synthgen.make_sample(config, sample.meta["index"])
        np.testing.assert_array_equal(sample.image, made.image)  # PNG: the very pixels
        assert sample.labels.categories == config.categories
        assert to_record(sample, "x", "y") == to_record(made, "x", "y")


def test_generate_and_make_sample_take_a_config_path(tmp_path):
    path = ROOT / "configs" / "text_words.yaml"
    sample = synthgen.make_sample(path, 3)
    assert sample.meta["index"] == 3 and sample.image.shape == (512, 512, 3)


def test_import_synthgen_stays_light():
    code = "import sys, synthgen; print(sorted(m for m in ('numpy', 'cv2', 'omegaconf', 'torch', 'ray') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_generate_and_mix_stay_plain_functions_whatever_imports_the_packages():
    """``synthgen.generate`` and ``synthgen.mix`` are the API functions, plain functions, however and
    in whatever order the mixer's package (of the same name) and the diffusion stage's are imported;
    the packages are plain modules (not made callable), reached by their module paths, and the
    diffusion stage has a name of its own (``synthgen.diffusion``)."""
    code = """
import importlib, inspect, sys, types
import synthgen.mix.run
from synthgen.diffusion import GENERATORS, fog
from synthgen.mix import load_mix_config, mix
import synthgen, synthgen.diffusion, synthgen.mix
packages = [importlib.import_module(name) for name in ("synthgen.diffusion", "synthgen.mix")]
print(inspect.isfunction(synthgen.generate), inspect.isfunction(synthgen.mix), inspect.isfunction(mix),
      [type(p) is types.ModuleType and not callable(p) for p in packages], "fog" in GENERATORS,
      synthgen.diffusion is packages[0], "synthgen.generate" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True", "True", "[True,", "True]", "True", "True", "False"]
    assert synthgen.generate is synthgen.generate_dataset and synthgen.mix is synthgen.mix_datasets
