"""Every OCR run config loads, generates a few samples through the engine, and COCO reads back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthgen.config.load import load_run_config
from synthgen.engine import generate

pytestmark = pytest.mark.slow  # generates every OCR config twice

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ["ocr_wild", "ocr_document", "ocr_receipt", "ocr_recognition"]


@pytest.mark.parametrize("name", CONFIGS)
def test_config_generates_and_coco_loads(tmp_path, name):
    from pycocotools.coco import COCO

    cfg = load_run_config(ROOT / "configs" / f"{name}.yaml", ["num_samples=3"])
    summary = generate(cfg, tmp_path / "out", workers=1, executor="serial", progress=False)
    assert summary.samples == 3
    coco = COCO(str(tmp_path / "out" / "annotations" / "coco.json"))
    assert len(coco.getImgIds()) == 3
    anns = coco.loadAnns(coco.getAnnIds())
    assert anns, "no text instances in 3 samples"
    for ann in anns:
        assert coco.annToMask(ann).sum() == ann["area"]


@pytest.mark.parametrize("name", CONFIGS)
def test_same_config_same_bytes(tmp_path, name):
    cfg = load_run_config(ROOT / "configs" / f"{name}.yaml", ["num_samples=2", "outputs=[coco]"])
    for run in ("a", "b"):
        generate(cfg, tmp_path / run, workers=1, executor="serial", progress=False)
    for rel in (f"images/000000000{cfg.image.suffix}", f"images/000000001{cfg.image.suffix}"):
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    a = json.loads((tmp_path / "a" / "annotations" / "coco.json").read_text())
    b = json.loads((tmp_path / "b" / "annotations" / "coco.json").read_text())
    assert a["annotations"] == b["annotations"]
