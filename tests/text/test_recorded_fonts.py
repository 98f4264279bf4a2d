"""fonts.record in every text scene: the font file and size on each text instance and in the
recognition writer's meta.jsonl, and they are what was drawn (the word re-drawn with them gives
the same ink)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from ocr_helpers import PLAIN_STYLE, ROOT, cropped, ocr_config, redrawn_mask, word_instances

import synthgen
from synthgen.config.load import load_run_config
from synthgen.engine import make_sample
from synthgen.formats.recognition import read_recognition_meta, read_recognition_tsv
from synthgen.text import fonts

PLAIN = PLAIN_STYLE
FONT_FILES = {Path(p).name: p for p in fonts.bundled_fonts()}


def _redrawn_mask(text: str, font: str, size: int) -> np.ndarray:
    return redrawn_mask(text, FONT_FILES[font], size)


def _words_config(tmp_path: Path, params: dict):
    import yaml

    body = {
        "name": "words",
        "seed": 0,
        "num_samples": 2,
        "shard_size": 10,
        "scene": {"include": str(ROOT / "scenes" / "text" / "words.yaml"), "params": params},
        "outputs": ["coco"],
    }
    path = tmp_path / "words.yaml"
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return load_run_config(path)


@pytest.mark.parametrize("scene", ["recognition", "wild", "document", "words"])
def test_recorded_font_and_size_redraw_the_same_ink(tmp_path, scene):
    if scene == "words":
        cfg = _words_config(tmp_path, {"fonts": {"record": True}, "rotation": 0})
    else:
        params = {"fonts": {"record": True}}
        if scene in ("recognition", "wild"):
            params["style"] = PLAIN
        if scene == "document":
            params["skew"] = 0
        cfg = ocr_config(tmp_path, scene, params)
    checked = 0
    for index in range(6 if scene == "recognition" else 2):
        sample = make_sample(cfg, index)
        words = [i for i in sample.labels.instances if scene == "recognition" or i.category in ("word", "text")]
        assert words
        for inst in words:
            font, size = inst.attributes["font"], inst.attributes["font_size"]
            assert font in FONT_FILES and isinstance(size, int) and size >= 4
            if checked >= 12:
                continue
            drawn = cropped(inst.visible_mask())
            assert np.array_equal(drawn, _redrawn_mask(inst.extensions["text"].transcription, font, size)), (
                scene,
                inst.extensions["text"],
            )
            # the test can fail: one pixel size more draws other ink
            assert not np.array_equal(drawn, _redrawn_mask(inst.extensions["text"].transcription, font, size + 1))
            checked += 1
    assert checked >= 4


def test_receipts_record_font_and_size_on_every_word(tmp_path):
    cfg = ocr_config(tmp_path, "receipt", {"fonts": {"record": True}})
    words = word_instances(make_sample(cfg, 0))
    assert words and all(w.attributes["font"] in FONT_FILES and w.attributes["font_size"] >= 4 for w in words)


def test_fonts_are_recorded_by_default_and_not_when_turned_off(tmp_path):
    for scene in ("wild", "document"):
        sample = make_sample(ocr_config(tmp_path, scene), 0)
        words = [i for i in sample.labels.instances if i.category == "word"]  # lines mix fonts: none
        assert words and all("font" in i.attributes for i in words)
        sample = make_sample(ocr_config(tmp_path, scene, {"fonts": {"record": False}}), 0)
        assert not any("font" in i.attributes for i in sample.labels.instances)


def test_recognition_meta_jsonl_beside_labels_tsv(tmp_path):
    cfg = ocr_config(tmp_path, "recognition", {"fonts": {"record": True}}, num_samples=12, outputs=["recognition"])
    out = tmp_path / "out"
    synthgen.generate_dataset(cfg, out, workers=1)
    pairs = read_recognition_tsv(out / "recognition")
    lines = (out / "recognition" / "meta.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["image"] for line in lines] == [rel for rel, _ in pairs]  # one row per crop, same order
    meta = read_recognition_meta(out / "recognition")
    manifest = json.loads((out / "manifest.json").read_text())
    assert "recognition/meta.jsonl" in manifest["files"]
    for rel, _ in pairs:
        index = int(rel.split("/")[-1].split("_")[0])
        (inst,) = make_sample(cfg, index).labels.instances
        assert meta[rel] == {"font": inst.attributes["font"], "font_size": inst.attributes["font_size"]}
    # labels.tsv keeps exactly two columns, as two-field readers expect
    assert all(line.count("\t") == 1 for line in (out / "recognition" / "labels.tsv").read_text().splitlines())


def test_no_meta_jsonl_without_recorded_fonts(tmp_path):
    cfg = ocr_config(tmp_path, "recognition", {"fonts": {"record": False}}, num_samples=4, outputs=["recognition"])
    out = tmp_path / "out"
    synthgen.generate_dataset(cfg, out, workers=1)
    assert not (out / "recognition" / "meta.jsonl").exists()
    assert read_recognition_meta(out / "recognition") == {}
