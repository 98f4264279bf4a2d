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
    if "augment" in run:
        body["augment"] = run.pop("augment")
    path = tmp_path / f"{scene}.yaml"
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return load_run_config(path)


def word_instances(sample) -> list:
    """The word instances of a sample (its ``line`` instances, derived from them, left out)."""
    return [inst for inst in sample.labels.instances if inst.category == "word"]


def redrawn_mask(text: str, font_path: str, size: int):
    """The ink of ``text`` drawn alone, upright, with ``font_path`` at ``size``, cropped to its extent."""
    import numpy as np

    from synthgen.text.draw import draw_text
    from synthgen.text.items import TextItem

    canvas = np.zeros((4 * size + 40, 40 * size + 80, 3), np.uint8)
    ids = np.zeros(canvas.shape[:2], np.int32)
    item = TextItem(1, text, font_path, size, (255, 255, 255), 0.0, (canvas.shape[1] / 2, canvas.shape[0] / 2))
    assert draw_text(canvas, ids, item) is not None
    return cropped(ids == 1)


def cropped(mask):
    """``mask`` cut to the extent of its set pixels."""
    import numpy as np

    ys, xs = np.nonzero(mask)
    return mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


# upright, unspaced, unstyled text: drawn the same way wherever it is placed
PLAIN_STYLE = {
    "rotation": 0,
    "letter_spacing": 0,
    "stroke_probability": 0.0,
    "shadow_probability": 0.0,
    "perspective": 0,
    "curve_probability": 0.0,
}
