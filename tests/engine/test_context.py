"""The worker context is built once per worker process; category ids come from the run's table."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest

from synthgen.config import load_run_config
from synthgen.engine import context as context_module
from synthgen.engine import generate
from synthgen.engine.source import GeneratedSource

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["scene.params.width=160", "scene.params.height=120", "scene.params.words=randint(2, 5)"]


@pytest.fixture
def build_log(tmp_path, monkeypatch):
    """Every WorkerContext built from now on appends its process id to a file (forked workers too)."""
    log = tmp_path / "builds.log"
    original = context_module.WorkerContext.__init__

    def logged(self, config):
        with open(log, "a") as f:
            f.write(f"{os.getpid()}\n")
        original(self, config)

    monkeypatch.setattr(context_module.WorkerContext, "__init__", logged)
    return log


@pytest.mark.parametrize("workers", [1, 2])
def test_context_is_built_once_per_worker_not_per_shard_or_sample(tmp_path, build_log, workers):
    config = load_run_config(ROOT / "configs/text_words.yaml", ["num_samples=16", "shard_size=2", *SMALL])
    generate(config, tmp_path / "out", workers=workers, progress=False)
    pids = build_log.read_text().split()
    assert len(pids) == len(set(pids))  # no process built two
    assert 1 <= len(pids) <= workers  # 8 shards, 16 samples: one context per worker process
    if workers == 2:
        assert str(os.getpid()) not in pids  # the driver builds none: it only commits


def test_context_is_reused_across_runs_of_one_config_in_a_worker(build_log):
    config = load_run_config(ROOT / "configs/text_words.yaml", SMALL)
    first = context_module.worker_context(GeneratedSource(config))
    assert context_module.worker_context(GeneratedSource(config)) is first
    copy = pickle.loads(pickle.dumps(GeneratedSource(config)))  # a job's source, as a worker unpickles it
    assert context_module.worker_context(copy) is first
    other = load_run_config(ROOT / "configs/text_words.yaml", [*SMALL, "seed=5"])
    assert context_module.worker_context(GeneratedSource(other)) is not first  # another config: a new context
    assert len(build_log.read_text().split()) == 2


def coco_of(root: Path) -> dict:
    return json.loads((root / "annotations" / "coco.json").read_text())


@pytest.mark.slow  # worker processes
def test_category_ids_are_the_run_table_in_every_shard_and_worker_count(tmp_path):
    overrides = ["num_samples=6", "shard_size=2", "scene.params.width=320", "scene.params.height=240"]
    config = load_run_config(ROOT / "configs/ocr_wild.yaml", overrides)
    assert [(c.id, c.name) for c in config.categories.categories] == [(1, "word"), (2, "line")]
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        generate(config, out, workers=workers, progress=False)
        coco = coco_of(out)
        assert [(c["id"], c["name"]) for c in coco["categories"]] == [(1, "word"), (2, "line")]
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["categories"] == [{"id": 1, "name": "word"}, {"id": 2, "name": "line"}]
        levels = {a["category_id"]: a.get("attributes", {}).get("level", "word") for a in coco["annotations"]}
        assert levels == {1: "word", 2: "line"}
    assert coco_of(tmp_path / "w1") == coco_of(tmp_path / "w2")


def test_config_pins_category_ids(tmp_path):
    overrides = ["num_samples=2", "shard_size=1", "scene.params.width=320", "scene.params.height=240"]
    config = load_run_config(ROOT / "configs/ocr_wild.yaml", [*overrides, "categories={line: 9, word: 5}"])
    generate(config, tmp_path / "out", workers=1, progress=False)
    coco = coco_of(tmp_path / "out")
    assert [(c["id"], c["name"]) for c in coco["categories"]] == [(5, "word"), (9, "line")]
    assert {a["category_id"] for a in coco["annotations"]} == {5, 9}
