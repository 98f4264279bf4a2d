"""Every writer's output read back by the client its users run: pycocotools (COCOeval: ground truth
scored as detections gives AP 1.0), label-studio-converter's COCO import, YOLO's documented label
rules and synthgen's YOLO reader, and the ICDAR 2015 evaluation script's line parser.

FiftyOne is not installed for these tests (a large install with a MongoDB binary); its COCO
importer reads the same polygon and RLE segmentations as pycocotools.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from synthgen import generate, load_config, read_dataset
from synthgen.config.load import ConfigWarning
from synthgen.formats import WRITERS
from synthgen.formats.coco import mask_polygon, mask_polygons
from synthgen.formats.icdar import quote_transcription, read_icdar
from synthgen.formats.yolo import read_yolo, yolo_text
from synthgen.records import to_record
from synthgen.text.label import TextRecord
from synthgen.types import CategoryTable, Instance, Labels, Sample

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["num_samples=3", "shard_size=2", "scene.params.width=320", "scene.params.height=240"]


def decode(rle: dict) -> np.ndarray:
    return mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode("ascii")})


def rasterise(polygons: list[list[float]], h: int, w: int) -> np.ndarray:
    return mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polygons, h, w)))


def quiet(fn, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """An ocr_wild dataset (words with counters and curved text, text lines) with every format."""
    out = tmp_path_factory.mktemp("clients") / "ds"
    config = load_config(
        ROOT / "configs/ocr_wild.yaml",
        [*SMALL, "outputs=[coco,icdar,yolo]", "writers.yolo.mode=segment"],  # COCO: polygons, the default
    )
    generate(config, out, progress=False)
    return out, list(read_dataset(out))


# --- COCO ------------------------------------------------------------------------------------------


def test_polygons_rasterise_back_to_every_pixel_holes_included():
    rng = np.random.default_rng(1)
    for _ in range(200):
        mask = np.zeros((60, 80), np.uint8)
        for _ in range(4):
            centre = (int(rng.integers(5, 75)), int(rng.integers(5, 55)))
            axes = (int(rng.integers(1, 15)), int(rng.integers(1, 12)))
            cv2.ellipse(mask, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1, int(rng.choice([-1, 1, 2])))
        mask |= (rng.random(mask.shape) < 0.02).astype(np.uint8)  # lone pixels, diagonal touches
        rle = mask_utils.encode(np.asfortranarray(mask))
        rle_text = {"size": rle["size"], "counts": rle["counts"].decode("ascii")}
        polygons = mask_polygons(rle_text)
        assert all(len(p) >= 6 and len(p) % 2 == 0 for p in polygons)
        np.testing.assert_array_equal(rasterise(polygons, *mask.shape), mask)
        np.testing.assert_array_equal(rasterise([mask_polygon(rle_text)], *mask.shape), mask)  # all in one


def test_coco_polygons_are_the_records_masks(dataset):
    out, samples = dataset
    coco = quiet(COCO, str(out / "annotations/coco.json"))
    anns = coco.loadAnns(coco.getAnnIds())
    visible = [inst for s in samples for inst in s.labels.instances if inst.area > 0]
    assert len(anns) == len(visible) and anns
    holes = 0
    for ann, inst in zip(anns, visible):
        assert isinstance(ann["segmentation"], list) and len(ann["segmentation"]) == 1 and ann["iscrowd"] == 0
        mask = np.ascontiguousarray(decode(inst.rle))
        np.testing.assert_array_equal(coco.annToMask(ann), mask)
        assert ann["area"] == mask.sum()
        filled = np.zeros(mask.shape, np.uint8)
        cv2.drawContours(filled, cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[0], -1, 1, -1)
        holes += int((filled != mask).any())
    assert holes, "no word with a counter (o, e, a): the hole case went untested"


@pytest.mark.parametrize("segmentation", ["polygon", "rle"])
def test_cocoeval_scores_ground_truth_as_detections_ap_1(tmp_path, segmentation):
    config = load_config(ROOT / "configs/ocr_wild.yaml", [*SMALL, f"writers.coco.segmentation={segmentation}"])
    generate(config, tmp_path / "ds", progress=False)
    gt = quiet(COCO, str(tmp_path / "ds/annotations/coco.json"))
    anns = gt.loadAnns(gt.getAnnIds())
    assert anns and all(isinstance(a["segmentation"], list if segmentation == "polygon" else dict) for a in anns)
    detections = [{**a, "score": 1.0} for a in anns]
    for iou_type in ("bbox", "segm"):
        dt = quiet(gt.loadRes, [dict(d) for d in detections])
        evaluation = COCOeval(gt, dt, iou_type)
        quiet(evaluation.evaluate)
        quiet(evaluation.accumulate)
        quiet(evaluation.summarize)
        assert evaluation.stats[0] == pytest.approx(1.0) and evaluation.stats[1] == pytest.approx(1.0), iou_type


@pytest.mark.slow  # Label Studio's converter over a generated dataset
def test_label_studio_converter_imports_the_coco_polygons(dataset, tmp_path):
    imports = pytest.importorskip("label_studio_converter.imports.coco")
    out, _ = dataset
    coco = json.loads((out / "annotations/coco.json").read_text())
    tasks_file = tmp_path / "tasks.json"
    quiet(imports.convert_coco_to_ls, str(out / "annotations/coco.json"), str(tasks_file), image_root_url="/data/")
    tasks = json.loads(tasks_file.read_text())
    assert len(tasks) == len(coco["images"])
    results = [r for t in tasks for p in t.get("predictions", t.get("annotations", [])) for r in p["result"]]
    polygons = [r for r in results if r["type"] == "polygonlabels"]
    assert len(polygons) == len(coco["annotations"])  # it reads one polygon an annotation: the whole word
    names = {c["id"]: c["name"] for c in coco["categories"]}
    sizes = {i["id"]: (i["width"], i["height"]) for i in coco["images"]}
    ours = [(names[a["category_id"]], np.reshape(a["segmentation"][0], (-1, 2)) / sizes[a["image_id"]] * 100)
            for a in coco["annotations"]]
    theirs = [(r["value"]["polygonlabels"][0], np.asarray(r["value"]["points"])) for r in polygons]
    for (name, points), (label, got) in zip(ours, theirs):  # percent of the image, as Label Studio keeps them
        assert name == label
        np.testing.assert_allclose(got, points, atol=1e-9)


# --- YOLO ------------------------------------------------------------------------------------------


def img2label_path(image: str) -> str:
    """Where YOLO trainers look for an image's labels: the last /images/ replaced by /labels/, suffix .txt."""
    sa, sb = f"{os.sep}images{os.sep}", f"{os.sep}labels{os.sep}"
    return sb.join(image.rsplit(sa, 1)).rsplit(".", 1)[0] + ".txt"


def check_yolo_lines(text: str, mode: str, nc: int) -> list[tuple[int, np.ndarray]]:
    """YOLO's documented label rules: one object a line, a class id in 0..nc-1, then coordinates
    normalised to 0..1: 4 (cx cy w h), 8 (obb corners) or an even number >= 6 (segment polygon)."""
    rows = []
    for line in text.splitlines():
        fields = line.split()
        assert re.fullmatch(r"\d+", fields[0]) and 0 <= int(fields[0]) < nc, line
        values = np.array([float(v) for v in fields[1:]])
        assert ((values >= 0) & (values <= 1)).all(), line
        if mode == "detect":
            assert len(values) == 4 and (values[2:] > 0).all()
        elif mode == "obb":
            assert len(values) == 8
        else:
            assert len(values) >= 6 and len(values) % 2 == 0
        rows.append((int(fields[0]), values))
    return rows


def test_yolo_layout_data_yaml_and_segment_labels(dataset):
    out, samples = dataset
    data = yaml.safe_load((out / "yolo/data.yaml").read_text())
    assert "path" not in data  # a trainer then takes data.yaml's folder as the dataset root
    assert data["task"] == "segment" and data["names"] == {0: "word", 1: "line"} and data["nc"] == 2
    images = sorted((out / "yolo" / data["train"]).glob("*.jpg"))
    assert len(images) == len(samples)
    for image, sample in zip(images, samples):
        label = Path(img2label_path(str(image)))
        assert label == out / "yolo/labels" / f"{image.stem}.txt"
        rows = check_yolo_lines(label.read_text(), "segment", data["nc"])
        visible = [i for i in sample.labels.instances if i.area > 0]
        assert [data["names"][c] for c, _ in rows] == [i.category for i in visible]
        h, w = sample.image.shape[:2]
        for (_, values), inst in zip(rows, visible):
            drawn = rasterise([(values.reshape(-1, 2) * (w, h)).reshape(-1).tolist()], h, w)
            mask = decode(inst.rle)
            assert (drawn != mask).sum() <= 2  # exact but for the 6-decimal rounding of normalised coordinates


@pytest.mark.parametrize("mode", ["detect", "segment", "obb"])
def test_yolo_writer_and_reader_round_trip(dataset, tmp_path, mode):
    out, samples = dataset
    writer = WRITERS.get("yolo").with_options(WRITERS.get("yolo").options(mode=mode))
    (tmp_path / "images").symlink_to(out / "images")
    records = []
    for sample in samples:
        rec = to_record(sample, f"images/{sample.meta['index']:09d}.jpg", "0" * 64)
        writer.write_sample(sample, rec, tmp_path)
        records.append(rec)
    writer.finalize(records, tmp_path, samples[0].labels.categories)
    back = list(read_yolo(tmp_path))
    assert len(back) == len(samples)
    for sample, rec, read in zip(samples, records, back):
        check_yolo_lines(yolo_text(rec, mode), mode, 2)
        visible = [i for i in sample.labels.instances if i.area > 0]
        assert [i.category for i in read.labels.instances] == [i.category for i in visible]
        np.testing.assert_array_equal(read.image, sample.image)
        for got, want in zip(read.labels.instances, visible):
            if mode == "detect":
                assert got.bbox == want.bbox
            elif mode == "segment":
                assert (decode(got.rle) != decode(want.rle)).sum() <= 2
            else:
                np.testing.assert_allclose(got.extensions["text"].quad.reshape(-1), want.extensions["text"].quad.reshape(-1), atol=1e-3)


def test_yolo_obb_of_a_mask_is_its_rotated_rectangle():
    mask = np.zeros((40, 60), np.uint8)
    mask[10:20, 5:35] = 1  # 30 x 10 pixels: corners at (5, 10) and (35, 20)
    rle = mask_utils.encode(np.asfortranarray(mask))
    inst = Instance("thing", (5, 10, 30, 10), 300, {"size": [40, 60], "counts": rle["counts"].decode("ascii")})
    sample = Sample(np.zeros((40, 60, 3), np.uint8), Labels((inst,), CategoryTable.of_names(["thing"])), {"index": 0})
    (row,) = check_yolo_lines(yolo_text(to_record(sample, "images/0.png", "0"), "obb"), "obb", 1)
    corners = row[1].reshape(4, 2) * (60, 40)
    np.testing.assert_allclose(sorted(map(tuple, corners)), [(5, 10), (5, 20), (35, 10), (35, 20)], atol=1e-4)


# --- ICDAR 2015 ------------------------------------------------------------------------------------


def official_transcription(line: str) -> str:
    """The ICDAR 2015 script's reading of a ground-truth line with 8 coordinates and a transcription
    (rrc_evaluation_funcs.get_tl_line_values: the rest of the line after the 8th number; a value
    wrapped in double quotes is unwrapped, then \\\\ and \\" unescaped)."""
    m = re.match("^" + r"\s*(-?[0-9]+)\s*," * 8 + r"(.*)$", line)
    assert m is not None, line
    text = m.group(9)
    quoted = re.match(r'^\s*"(.*)"\s*$', text)
    return quoted.group(1).replace("\\\\", "\\").replace('\\"', '"') if quoted else text


TRICKY = ['"quoted"', "###", ' "padded" ', 'say "hi"', '"a\\"b"', "back\\slash", '"', '""', "a,b", "###x"]


def test_every_transcription_survives_the_official_parser():
    for text in TRICKY:
        assert official_transcription(f"1,2,3,2,3,4,1,4,{quote_transcription(text)}") == text
    for chars in itertools.product('a\\" ', repeat=5):
        text = "".join(chars)
        assert official_transcription(f"1,2,3,2,3,4,1,4,{quote_transcription(text)}") == text


def _text_sample(words: list[str], index: int = 7) -> tuple[Sample, dict]:
    instances = []
    for k, word in enumerate(words):
        quad = np.array([[10, 10 + 12 * k], [60, 10 + 12 * k], [60, 20 + 12 * k], [10, 20 + 12 * k]], np.float32)
        instances.append(Instance("word", (10, 10 + 12 * k, 50, 10), 500, {"size": [200, 100], "counts": ""},
                                  attributes={"legible": True}, extensions={"text": TextRecord(word, quad)}))
    illegible = Instance("word", (0, 0, 5, 5), 25, {"size": [200, 100], "counts": ""},
                         attributes={"legible": False}, extensions={"text": TextRecord("blur", np.array([[0, 0], [5, 0], [5, 5], [0, 5]], np.float32))})
    labels = Labels((*instances, illegible), CategoryTable.of_names(["word"]))
    sample = Sample(np.zeros((200, 100, 3), np.uint8), labels, {"index": index})
    return sample, to_record(sample, f"images/{index:09d}.png", "0" * 64)


@pytest.mark.parametrize("naming", ["stem", "img_n"])
def test_icdar_files_read_back_by_the_official_parser_and_ours(tmp_path, naming):
    sample, rec = _text_sample(TRICKY)
    writer = WRITERS.get("icdar").with_options(WRITERS.get("icdar").options(naming=naming))
    writer.write_sample(sample, rec, tmp_path)
    name = "gt_img_7.txt" if naming == "img_n" else "gt_000000007.txt"
    assert [p.name for p in (tmp_path / "icdar").iterdir()] == [name]
    lines = (tmp_path / "icdar" / name).read_text(encoding="utf-8").splitlines()
    assert [official_transcription(line) for line in lines] == [*TRICKY, "###"]
    (words,) = read_icdar(tmp_path).values()
    assert [w.text for w in words] == [*TRICKY, "###"]
    # synthgen's reader tells the legible word '###' (written quoted) from a don't-care region
    assert [w.dont_care for w in words] == [False] * len(TRICKY) + [True]


def test_writer_options_are_checked_at_load():
    from synthgen.errors import ConfigError

    base = ROOT / "configs/ocr_wild.yaml"
    for overrides, message in (
        (["writers.coco.segmentation=poly"], "writers.coco.segmentation: 'poly' is not one of polygon, rle"),
        (["writers.yolo.mode=segmnt"], "writers.yolo.mode: 'segmnt' is not one of"),  # checked though unused
        (["writers.icdar.nameing=img_n"], "writers.icdar.nameing: unknown key 'nameing'. Did you mean: 'naming'?"),
        (["writers.pascal_voc.x=1"], "writers.pascal_voc: unknown writer kind 'pascal_voc'"),
    ):
        with pytest.raises(ConfigError, match=re.escape(message)):
            load_config(base, overrides)
    assert "writers" not in load_config(base).resolved  # no options: the config hashes as before
    # options of a writer that is not in outputs: one warning, and left out of the run
    unused = r"writers.yolo: options for a writer that is not in outputs \(coco, icdar.*\), ignored"
    with pytest.warns(ConfigWarning, match=unused):
        config = load_config(base, ["writers.yolo.mode=segment"])
    assert "writers" not in config.resolved and "yolo" not in config.writer_options
