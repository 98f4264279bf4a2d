"""A mix keeps real labels exactly: a real COCO set whose boxes are not the tight boxes of its
polygons, and whose areas are not their pixel counts (as hand-annotated sets are), comes out of
``synthgen mix`` with every real annotation's bbox, area, segmentation, iscrowd and keypoints as
read, in train, val and test; only a real instance covered by a pasted object changes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from coco_sets import mix_yaml, write_coco
from pycocotools import mask as mask_utils

from synthgen.dataset import read_dataset

ROOT = Path(__file__).resolve().parents[2]
W, H = 64, 48
SOURCE_CATEGORIES = [
    {"id": 7, "name": "automobile"},
    {"id": 3, "name": "person", "keypoints": ["head", "foot"], "skeleton": [[1, 2]]},
]
FIELDS = ("bbox", "area", "segmentation", "iscrowd", "keypoints", "num_keypoints")


def polygon(rng: np.random.Generator) -> list[float]:
    """A convex-ish pentagon with float corners, well inside the image."""
    cx, cy = rng.uniform(14, W - 14), rng.uniform(12, H - 12)
    angles = np.sort(rng.uniform(0, 2 * np.pi, 5))
    radius = rng.uniform(5, 10, 5)
    points = np.stack([cx + radius * np.cos(angles), cy + radius * np.sin(angles)], axis=1)
    return [round(float(v), 2) for v in points.reshape(-1)]


def real_set(folder: Path, images: int = 20) -> dict:
    """Polygons whose boxes are moved by up to 5 px from the polygon's tight box (floats) and whose
    areas are 0.87x its rasterised pixel count; a crowd in uncompressed RLE; keypoints on people."""
    rng = np.random.default_rng(3)
    (folder / "images").mkdir(parents=True)
    (folder / "annotations").mkdir()
    coco = {"images": [], "annotations": [], "categories": SOURCE_CATEGORIES}
    for k in range(images):
        name = f"images/{k:04d}.png"
        cv2.imwrite(str(folder / name), rng.integers(0, 256, (H, W, 3), np.uint8))
        coco["images"].append({"id": 500 + k, "file_name": name, "width": W, "height": H})
        for j in range(2):
            poly = polygon(rng)
            xs, ys = poly[0::2], poly[1::2]
            x0, y0 = min(xs) + rng.uniform(-5, 5), min(ys) + rng.uniform(-5, 5)
            x0, y0 = min(max(x0, 0.0), W - 20), min(max(y0, 0.0), H - 20)
            pixels = int(mask_utils.area(mask_utils.frPyObjects([poly], H, W))[0])
            ann = {
                "id": 9000 + len(coco["annotations"]),
                "image_id": 500 + k,
                "category_id": 3 if j else 7,
                "bbox": [round(x0, 2), round(y0, 2), round(max(xs) - min(xs), 2), round(max(ys) - min(ys), 2)],
                "area": pixels * 0.87,
                "iscrowd": 0,
                "segmentation": [poly],
            }
            if j:
                ann["keypoints"] = [round(xs[0], 2), round(ys[0], 2), 2, 0, 0, 0]
                ann["num_keypoints"] = 1
            coco["annotations"].append(ann)
        if k % 5 == 0:  # a crowd region as COCO keeps it: uncompressed RLE, column-major runs
            mask = np.zeros((H, W), np.uint8)
            mask[2:9, 40:60] = 1
            flat = mask.flatten(order="F")
            changes = np.flatnonzero(np.diff(np.concatenate(([0], flat, [0]))))
            runs = np.diff(np.concatenate(([0], changes, [flat.size]))).tolist()
            coco["annotations"].append(
                {
                    "id": 9000 + len(coco["annotations"]),
                    "image_id": 500 + k,
                    "category_id": 7,
                    "bbox": [39.5, 1.75, 21.0, 7.5],
                    "area": 131.25,
                    "iscrowd": 1,
                    "segmentation": {"size": [H, W], "counts": runs},
                }
            )
    (folder / "annotations/coco.json").write_text(json.dumps(coco))
    return coco


def written_annotations(split: Path) -> dict[int, list[dict]]:
    """origin image id -> the split's COCO annotations of that image, in order."""
    coco = json.loads((split / "annotations/coco.json").read_text())
    names = {c["id"]: c["name"] for c in coco["categories"]}
    origin = {s.meta["index"]: s.meta["origin"]["id"] for s in read_dataset(split)}
    out: dict[int, list[dict]] = {}
    for ann in coco["annotations"]:
        out.setdefault(origin[ann["image_id"]], []).append({**ann, "category": names[ann["category_id"]]})
    return out


def expected_annotation(ann: dict, mapped: dict[int, str]) -> dict:
    return {"category": mapped[ann["category_id"]], **{k: ann[k] for k in FIELDS if k in ann}}


@pytest.mark.slow  # a mix end to end
def test_real_annotations_come_out_of_a_mix_exactly_as_read(tmp_path):
    real = real_set(tmp_path / "real")
    write_coco(tmp_path / "synth", [["car"]] * 10, tag=2)
    body = """\
name: keep
seed: 4
shard_size: 3
categories: [car, person, bike]
sources:
  real: {path: real, format: coco, label_map: {automobile: car}}
  synth: {path: synth, format: coco, real: false}
splits: {val: 0.2, test: 0.2}
strategy: {ratio: {real: 2, synthetic: 1}}
outputs: [coco]
"""
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "synthgen", "mix", str(mix_yaml(tmp_path, body)), "-o", str(out), "--no-progress"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    mapped = {7: "car", 3: "person"}
    by_image: dict[int, list[dict]] = {}
    for ann in real["annotations"]:
        by_image.setdefault(ann["image_id"], []).append(expected_annotation(ann, mapped))
    seen = set()
    for split in ("train", "val", "test"):
        written = written_annotations(out / split)
        coco = json.loads((out / split / "annotations/coco.json").read_text())
        real_ids = {s.meta["origin"]["id"] for s in read_dataset(out / split) if s.meta["source"] == "real:real"}
        assert real_ids, split
        for image_id in real_ids:
            got = [{k: a[k] for k in ("category", *FIELDS) if k in a} for a in written[image_id]]
            # a car has no keypoints: the writer adds only COCO's num_keypoints 0 to what was read
            expected = [e if "keypoints" in e else {**e, "num_keypoints": 0} for e in by_image[image_id]]
            assert got == expected, (split, image_id)
            seen.add(image_id)
        assert {c["name"]: c["id"] for c in coco["categories"]} == {"car": 1, "person": 2, "bike": 3}
    assert seen == set(by_image)  # every real image, each in one split
    from synthgen.preview import write_preview

    for split in ("train", "val", "test"):  # a crowd's uncompressed RLE drawn as any mask
        assert write_preview(out / split, tmp_path / f"{split}.png", num=20).stat().st_size > 1000


def test_a_paste_changes_only_the_real_instances_it_covers(tmp_path):
    real = real_set(tmp_path / "real", images=10)
    write_coco(tmp_path / "synth", [["bike"]] * 10, tag=2, size=(64, 48))
    body = """\
name: paste
seed: 1
categories: [car, person, bike]
sources:
  real: {path: real, format: coco, label_map: {automobile: car}}
  synth: {path: synth, format: coco, real: false}
splits: {val: 0.0, test: 0.0}
strategy: {ratio: {real: 1, synthetic: 0}}
copy_paste: {source: synth, p: 1.0, per_image: [2, 3], scale: [1.5, 3.0], categories: [bike], min_area: 4}
outputs: [coco]
"""
    from synthgen.mix import load_mix_config, mix

    mix(load_mix_config(mix_yaml(tmp_path, body)), tmp_path / "out", progress=False)
    mapped = {7: "car", 3: "person"}
    source = {}
    for ann in real["annotations"]:
        source.setdefault(ann["image_id"], []).append(expected_annotation(ann, mapped))
    kept = changed = 0
    split = tmp_path / "out/train"
    written = written_annotations(split)
    for sample in read_dataset(split):
        image_id = sample.meta["origin"]["id"]
        pasted = [i for i in sample.labels.instances if i.attributes.get("pasted")]
        union = np.zeros((H, W), bool)
        for inst in pasted:
            union |= inst.visible_mask()
        reals = [a for a in written[image_id] if a["category"] != "bike"]
        originals = {json.dumps(e["segmentation"]): e for e in source[image_id]}
        for ann, inst in zip(reals, (i for i in sample.labels.instances if not i.attributes.get("pasted"))):
            original = originals.get(json.dumps(ann["segmentation"]))
            if original is not None:  # untouched: exactly as read
                assert {k: ann[k] for k in original} == original
                kept += 1
            else:  # covered: the box, area and polygon of its pixels left visible
                mask = inst.visible_mask()
                assert not (mask & union).any()
                ys, xs = np.nonzero(mask)
                assert ann["bbox"] == [int(xs.min()), int(ys.min()), int(np.ptp(xs) + 1), int(np.ptp(ys) + 1)]
                assert ann["area"] == int(mask.sum()) and ann["iscrowd"] == inst.attributes.get("iscrowd", 0)
                drawn = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(ann["segmentation"], H, W)))
                np.testing.assert_array_equal(drawn.astype(bool), mask)
                changed += 1
    assert kept and changed  # both kinds happened
