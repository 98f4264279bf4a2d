"""Helpers of the OCR scene tests: a run config written next to the repository's scenes."""

from __future__ import annotations

from pathlib import Path

import yaml

from synthgen.config.load import load_run_config

ROOT = Path(__file__).resolve().parents[2]


def ocr_config(tmp_path: Path, scene: str, params: dict | None = None, **run):
    """A RunConfig of ``scenes/ocr/<scene>.yaml`` with ``params`` merged onto its scene params."""
    body = {
        "name": f"test_{scene}",
        "seed": run.pop("seed", 0),
        "num_samples": run.pop("num_samples", 3),
        "shard_size": 10,
        "scene": {"include": str(ROOT / "scenes" / "ocr" / f"{scene}.yaml"), "params": params or {}},
        "outputs": run.pop("outputs", ["coco"]),
    }
    if scene != "recognition":  # the detection scenes' configs label text lines
        body["annotate"] = {"lines": {"kind": "text_lines"}}
    path = tmp_path / f"{scene}.yaml"
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return load_run_config(path)


def word_instances(sample) -> list:
    """The word instances of a sample (its ``line`` instances, derived from them, left out)."""
    return [inst for inst in sample.labels.instances if inst.category == "word"]
