"""COCO, ICDAR and recognition outputs of a real text_words run: agreement, resume, workers."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from synthgen.config import load_run_config
from synthgen.engine import generate, make_sample
from synthgen.formats.icdar import read_icdar
from synthgen.formats.recognition import read_lmdb, read_recognition_tsv

ROOT = Path(__file__).resolve().parents[2]
OVERRIDES = [
    "num_samples=4",
    "shard_size=2",
    "outputs=[coco,icdar,recognition]",
    "scene.params.width=256",
    "scene.params.height=256",
]


def run(out: Path, *extra: str, workers: int = 1):
    config = load_run_config(ROOT / "configs/text_words.yaml", [*OVERRIDES, *extra])
    return generate(config, out, workers=workers, progress=False)


def ocr_files(out: Path) -> dict[str, str]:
    """sha256 of every ICDAR, recognition and COCO file of a dataset."""
    paths = [p for d in ("icdar", "recognition", "annotations") for p in (out / d).rglob("*") if p.is_file()]
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(paths)}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ocr") / "ds"
    run(out)
    return out


def test_all_three_outputs_agree(dataset):
    coco = json.loads((dataset / "annotations" / "coco.json").read_text(encoding="utf-8"))
    gt = read_icdar(dataset)
    assert sorted(gt) == [f"{i:09d}" for i in range(4)]
    legible = []
    for image in coco["images"]:
        anns = [a for a in coco["annotations"] if a["image_id"] == image["id"]]
        words = gt[Path(image["file_name"]).stem]
        assert [w.text for w in words] == [a["text"] for a in anns]
        for word, ann in zip(words, anns):
            np.testing.assert_array_equal(word.quad, np.rint(np.reshape(ann["quad"], (4, 2))))
        legible += [(f"images/{image['id']:09d}_{k}.png", a["text"]) for k, a in enumerate(anns)]
    assert len(legible) >= 8
    pairs = read_recognition_tsv(dataset / "recognition")
    assert pairs == legible  # one crop per legible text instance, in index order
    lmdb_pairs = read_lmdb(dataset / "recognition" / "lmdb")
    assert [t for _, t in lmdb_pairs] == [t for _, t in pairs]
    assert [b for b, _ in lmdb_pairs] == [(dataset / "recognition" / p).read_bytes() for p, _ in pairs]
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    assert {"annotations/coco.json", "recognition/labels.tsv", "recognition/lmdb/data.mdb"} <= set(manifest["files"])


def test_crops_of_upright_words_match_their_image_region(tmp_path):
    out = tmp_path / "upright"
    run(out, "scene.params.rotation=0.0")
    coco = json.loads((out / "annotations" / "coco.json").read_text(encoding="utf-8"))
    checked = 0
    for image_id in sorted({a["image_id"] for a in coco["annotations"]}):
        image = np.asarray(Image.open(out / "images" / f"{image_id:09d}.png"), np.int32)
        anns = [a for a in coco["annotations"] if a["image_id"] == image_id]
        for k, ann in enumerate(anns):
            crop = np.asarray(Image.open(out / "recognition" / "images" / f"{image_id:09d}_{k}.png"), np.int32)
            assert_crop_is_region(image, crop, ann)
            checked += 1
    assert checked >= 8


def assert_crop_is_region(image: np.ndarray, crop: np.ndarray, ann: dict) -> None:
    # Upright words: the quad is an axis-aligned box, and the crop must be that box of the image.
    quad = np.reshape(ann["quad"], (4, 2))
    (left, top), (right, bottom) = np.rint(quad.min(0)).astype(int), np.rint(quad.max(0)).astype(int)
    assert crop.shape[:2] == (bottom - top, right - left), (crop.shape, ann["quad"])
    region = image[max(top, 0) : bottom, max(left, 0) : right]
    crop = crop[max(top, 0) - top :, max(left, 0) - left :][: region.shape[0], : region.shape[1]]
    assert np.abs(region - crop).mean() < 1, ann["text"]
    # And the word's visible pixels (its bbox) lie inside that box, give or take a pixel of spill.
    x, y, w, h = ann["bbox"]
    assert left - 1 <= x and top - 1 <= y and x + w <= right + 1 and y + h <= bottom + 1, (ann["bbox"], ann["quad"])


@pytest.mark.slow  # worker processes and a resumed run
def test_workers_and_resume_give_identical_bytes(dataset, tmp_path):
    expected = ocr_files(dataset)
    assert any(k.startswith("icdar/") for k in expected) and "recognition/lmdb/data.mdb" in expected

    two = tmp_path / "two"
    run(two, workers=2)
    assert ocr_files(two) == expected

    # A run killed after its first shard: shard 1's record, its files and every dataset-level file
    # are gone (a stale partial crop is left behind); the rerun regenerates the rest.
    resumed = tmp_path / "resumed"
    shutil.copytree(dataset, resumed)
    (resumed / ".synthgen" / "shards" / "shard_000001.json").unlink()
    for stem in ("000000002", "000000003"):
        (resumed / "images" / f"{stem}.png").unlink()
        (resumed / "icdar" / f"gt_{stem}.txt").unlink()
        for crop in (resumed / "recognition" / "images").glob(f"{stem}_*.png"):
            crop.unlink()
    (resumed / "recognition" / "images" / "000000002_0.png").write_bytes(b"partial")
    shutil.rmtree(resumed / "recognition" / "lmdb")
    (resumed / "recognition" / "labels.tsv").unlink()
    summary = run(resumed)
    assert (summary.generated, summary.reused) == (2, 2)
    assert ocr_files(resumed) == expected


def test_writers_streaming_records_write_the_same_files(dataset, tmp_path, monkeypatch):
    # Small runs parse the shard records once for every writer; big ones stream them to each.
    import synthgen.engine.run as engine_run

    monkeypatch.setattr(engine_run, "RECORDS_IN_MEMORY_BYTES", 0)
    streamed = tmp_path / "streamed"
    run(streamed)
    assert ocr_files(streamed) == ocr_files(dataset)


@pytest.mark.parametrize("image_format", ["png", "jpg"])
def test_crop_scene_crops_are_the_images_themselves(tmp_path, image_format):
    # ocr_recognition: the image is the crop. With PNG images the crop is the image file itself
    # (a hard link, no second encoding); with JPEG images it is a lossless PNG of the rendered
    # pixels, close to the decoded JPEG.
    config = load_run_config(
        ROOT / "configs/ocr_recognition.yaml",
        ["num_samples=6", "shard_size=3", "outputs=[recognition]", f"image.format={image_format}"],
    )
    out = tmp_path / image_format
    generate(config, out, workers=1, progress=False)
    pairs = read_recognition_tsv(out / "recognition")
    assert [p for p, _ in pairs] == [f"images/{i:09d}_0.png" for i in range(6)]
    for i, (rel, _) in enumerate(pairs):
        image_file = out / "images" / f"{i:09d}{config.image.suffix}"
        crop_file = out / "recognition" / rel
        with Image.open(image_file) as im, Image.open(crop_file) as crop:
            assert crop.format == "PNG"
            pixels = np.asarray(crop.convert("RGB"))
            stored = np.asarray(im.convert("RGB"))
        assert np.array_equal(pixels, make_sample(config, i).image)  # the rendered pixels, lossless
        assert np.abs(pixels.astype(np.int32) - stored).mean() < (0.01 if image_format == "png" else 16)  # JPEG 4:2:0 on 32 px text
        if image_format == "png":
            assert crop_file.samefile(image_file)
        else:
            assert crop_file.stat().st_ino != image_file.stat().st_ino
    assert [b for b, _ in read_lmdb(out / "recognition" / "lmdb")] == [(out / "recognition" / p).read_bytes() for p, _ in pairs]


def test_crop_scene_without_hard_links_writes_the_same_bytes(tmp_path, monkeypatch):
    # A filesystem that refuses hard links gets a copy of the very same bytes.
    import os

    config = load_run_config(ROOT / "configs/ocr_recognition.yaml", ["num_samples=3", "outputs=[recognition]"])
    generate(config, tmp_path / "linked", workers=1, progress=False)

    def refuse(*args, **kwargs):
        raise OSError("hard links not supported")

    monkeypatch.setattr(os, "link", refuse)
    generate(config, tmp_path / "copied", workers=1, progress=False)
    linked, copied = ocr_files(tmp_path / "linked"), ocr_files(tmp_path / "copied")
    assert linked == copied and any(k.startswith("recognition/images/") for k in linked)
    crop = tmp_path / "copied" / "recognition" / "images" / "000000000_0.png"
    assert not crop.samefile(tmp_path / "copied" / "images" / "000000000.png")

