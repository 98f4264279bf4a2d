"""Every reader is its writer's inverse: write with our writer, read back, the same samples.

Labels compare exactly (instance records, through the one serialiser); masks also through
pycocotools (decoded pixels), images pixel for pixel. A hand-made COCO file checks what our
writer never writes (polygons, uncompressed RLE, iscrowd, keypoints, categories by id).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from synthgen.config import load_run_config
from synthgen.dataset import read_dataset
from synthgen.engine import generate
from synthgen.formats import READERS, WRITERS
from synthgen.formats.base import ReadOptions
from synthgen.formats.coco import coco_dataset
from synthgen.formats.icdar import is_legible, is_line
from synthgen.records import instance_to_record, to_record
from synthgen.types import Category, CategoryTable, Instance, Labels, Sample

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("readers") / "ds"
    overrides = [
        "num_samples=4",
        "shard_size=2",
        "outputs=[coco,icdar,recognition]",
        "scene.params.width=160",
        "scene.params.height=128",
        "scene.params.words=randint(3, 6)",
        "scene.params.font_size=randint(14, 24)",
    ]
    generate(load_run_config(ROOT / "configs/text_words.yaml", overrides), out, progress=False)
    return out


@pytest.fixture(scope="module")
def originals(dataset):
    return list(read_dataset(dataset))


def read(fmt: str, path, **options):
    return READERS.get(fmt).read(Path(path), ReadOptions(**options))


def mask_of(rec) -> np.ndarray:
    seg = rec["segmentation"]
    return mask_utils.decode({"size": seg["size"], "counts": seg["counts"].encode("ascii")})


def test_registry_lists_every_reader_and_names_the_unknown():
    assert set(READERS.names()) >= {"coco", "icdar", "recognition", "recognition_lmdb", "synthgen", "yolo", "kitti"}
    with pytest.raises(Exception, match="unknown reader kind 'pascal'; valid kinds: coco"):
        READERS.get("pascal")


def test_synthgen_reader_gives_the_generated_samples(dataset, originals):
    result = read("synthgen", dataset)
    assert not result.skipped
    assert len(result.samples) == len(originals)
    for lazy, orig in zip(result.samples, originals):
        sample = lazy.materialize()
        np.testing.assert_array_equal(sample.image, orig.image)
        assert to_record(sample, "x", "") == to_record(orig, "x", "")
        assert sample.meta == orig.meta
        assert lazy.sha256 == lazy.record["sha256"]


def test_coco_reader_round_trip(dataset, originals):
    result = read("coco", dataset)
    assert result.categories == originals[0].labels.categories
    assert len(result.samples) == len(originals)
    for lazy, orig in zip(result.samples, originals):
        sample = lazy.materialize()
        np.testing.assert_array_equal(sample.image, orig.image)
        written = [instance_to_record(i) for i in orig.labels.instances if i.visible]
        back = [instance_to_record(replace(i, original=None)) for i in sample.labels.instances]
        assert back == written
        for rec, inst in zip(written, sample.labels.instances):  # and the file's own values, as read
            assert (inst.original.bbox, inst.original.area, inst.original.iscrowd) == (rec["bbox"], rec["area"], 0)
        assert written, "the fixture must hold instances"
        for a, b in zip(written, back):
            np.testing.assert_array_equal(mask_of(a), mask_of(b))


def test_icdar_reader_round_trip(dataset, originals):
    result = read("icdar", dataset)
    assert len(result.samples) == len(originals)
    for lazy, orig in zip(result.samples, originals):
        sample = lazy.materialize()
        np.testing.assert_array_equal(sample.image, orig.image)
        # the text rules take a typed instance (or a record's typed view), not a record
        words = [
            i
            for i in orig.labels.instances
            if "text" in i.extensions and i.extensions["text"].quad is not None and not is_line(i)
        ]
        back = [instance_to_record(i) for i in sample.labels.instances]
        assert len(back) == len(words) > 0
        for word, b in zip(words, back):
            w = instance_to_record(word)
            assert b["quad"] == [float(np.rint(v)) for v in w["quad"]]  # ICDAR stores whole pixels
            assert b.get("text") == (w["text"] if is_legible(word) else None)
            poly = np.asarray(b["quad"], np.float64).reshape(-1).tolist()
            expected = mask_utils.decode(mask_utils.frPyObjects([poly], *mask_of(b).shape))[:, :, 0]
            np.testing.assert_array_equal(mask_of(b), expected)
            assert b["area"] == int(expected.sum())


def test_icdar_reader_keeps_the_quad_of_a_dont_care_word(tmp_path):
    """A ``###`` line says where illegible text is: its quad survives the typed model and is
    written back as the same line (it used to be dropped by ``from_record``)."""
    (tmp_path / "images").mkdir()
    (tmp_path / "icdar").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "a.png"), np.zeros((40, 60, 3), np.uint8))
    lines = "2,3,30,3,30,13,2,13,Hello\n10,20,50,20,50,36,10,36,###\n"
    (tmp_path / "icdar" / "gt_a.txt").write_text(lines, encoding="utf-8")
    (lazy,) = read("icdar", tmp_path).samples
    hello, dont_care = lazy.materialize().labels.instances
    assert hello.extensions["text"].transcription == "Hello" and hello.attributes == {}
    assert dont_care.extensions["text"].transcription is None and dont_care.attributes == {"legible": False}
    np.testing.assert_array_equal(dont_care.extensions["text"].quad, [[10, 20], [50, 20], [50, 36], [10, 36]])
    assert dont_care.bbox == (10, 20, 40, 16) and dont_care.area == 40 * 16
    from synthgen.formats.icdar import icdar_text

    assert icdar_text(lazy.full_record()) == lines


@pytest.mark.parametrize("fmt,sub", [("recognition", "recognition"), ("recognition_lmdb", "recognition/lmdb")])
def test_recognition_readers_round_trip(dataset, fmt, sub):
    result = read(fmt, dataset / sub)
    crops = [
        (rel, text)
        for rel, text in (line.split("\t") for line in (dataset / "recognition/labels.tsv").read_text().splitlines())
    ]
    assert len(result.samples) == len(crops) > 0
    for lazy, (rel, text) in zip(result.samples, crops):
        sample = lazy.materialize()
        written = cv2.cvtColor(cv2.imread(str(dataset / "recognition" / rel)), cv2.COLOR_BGR2RGB)
        np.testing.assert_array_equal(sample.image, written)
        (inst,) = sample.labels.instances
        h, w = written.shape[:2]
        assert inst.extensions["text"].transcription == text
        assert inst.bbox == (0, 0, w, h) and inst.area == w * h
        np.testing.assert_array_equal(inst.extensions["text"].quad, [[0, 0], [w, 0], [w, h], [0, h]])


def _hand_made_coco(tmp_path: Path) -> Path:
    """A COCO file with polygons, an uncompressed crowd RLE, keypoints and non-consecutive category ids."""
    (tmp_path / "img").mkdir()
    for name, (w, h) in {"a.png": (40, 30), "b.jpg": (20, 20)}.items():
        cv2.imwrite(str(tmp_path / "img" / name), np.full((h, w, 3), 128, np.uint8))
    crowd = np.zeros((20, 20), np.uint8)
    crowd[5:9, 2:12] = 1
    counts, last, run = [], 0, 0
    for v in crowd.reshape(-1, order="F"):
        if v != last:
            counts.append(run)
            run, last = 0, v
        run += 1
    counts.append(run)
    data = {
        "images": [
            {"id": 7, "file_name": "a.png", "width": 40, "height": 30},
            {"id": 9, "file_name": "b.jpg", "width": 20, "height": 20},
        ],
        "categories": [
            {"id": 3, "name": "person", "keypoints": ["head", "foot"], "skeleton": [[1, 2]]},
            {"id": 10, "name": "car"},
        ],
        "annotations": [
            {
                "id": 1,
                "image_id": 7,
                "category_id": 3,
                "bbox": [10, 5, 10, 20],
                "area": 200,
                "iscrowd": 0,
                "segmentation": [[10, 5, 20, 5, 20, 25, 10, 25]],
                "keypoints": [15, 6, 2, 15, 24, 1],
                "num_keypoints": 2,
            },
            {
                "id": 2,
                "image_id": 7,
                "category_id": 10,
                "bbox": [0, 0, 4, 4],
                "area": 16,
                "iscrowd": 0,
                "segmentation": [],
            },
            {
                "id": 3,
                "image_id": 9,
                "category_id": 10,
                "bbox": [2, 5, 10, 4],
                "area": 40,
                "iscrowd": 1,
                "segmentation": {"size": [20, 20], "counts": counts},
            },
        ],
    }
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(data))
    return path


def test_coco_reader_polygons_rle_crowd_keypoints(tmp_path):
    path = _hand_made_coco(tmp_path)
    result = read("coco", path, images=str(tmp_path / "img"))
    assert [(c.id, c.name) for c in result.categories.categories] == [(3, "person"), (10, "car")]
    assert result.categories.get("person").keypoints == ("head", "foot")
    coco = COCO(str(path))
    a, b = result.samples
    assert a.origin["id"] == 7 and b.origin["id"] == 9
    for lazy, image_id in ((a, 7), (b, 9)):
        for inst, ann in zip(lazy.full_record()["instances"], coco.loadAnns(coco.getAnnIds(imgIds=[image_id]))):
            if ann["segmentation"]:
                expected = coco.annToMask(ann)  # pycocotools' own decoding
            else:  # no segmentation: the box's mask
                x, y, w, h = ann["bbox"]
                expected = np.zeros_like(mask_of(inst))
                expected[y : y + h, x : x + w] = 1
            np.testing.assert_array_equal(mask_of(inst), expected)
            assert inst["area"] == int(expected.sum())
    person, car = a.full_record()["instances"]
    assert person["bbox"] == [10, 5, 10, 20] and person["keypoints"] == [15, 6, 2, 15, 24, 1]
    assert car["bbox"] == [0, 0, 4, 4] and car["area"] == 16
    (crowd,) = b.full_record()["instances"]
    assert crowd["attributes"] == {"iscrowd": 1} and crowd["bbox"] == [2, 5, 10, 4] and crowd["area"] == 40
    sample = a.materialize()
    np.testing.assert_array_equal(sample.labels.instances[0].keypoints, [[15, 6, 2], [15, 24, 1]])


def test_coco_writer_then_reader_keeps_keypoints_and_table(tmp_path):
    table = CategoryTable((Category(2, "person", ("head", "foot"), ((1, 2),)), Category(5, "car")))
    mask = np.zeros((24, 32), np.uint8, order="F")
    mask[4:10, 3:9] = 1
    rle = mask_utils.encode(mask)
    inst = Instance(
        "person",
        (3, 4, 6, 6),
        36,
        {"size": [24, 32], "counts": rle["counts"].decode()},
        keypoints=np.array([[4, 5, 2], [8, 9, 1]], np.float32),
        occlusion=0.25,
        amodal_bbox=(3.0, 4.0, 6.0, 8.0),
    )
    image = np.random.default_rng(0).integers(0, 255, (24, 32, 3), np.uint8)
    sample = Sample(image, Labels((inst,), table), {"index": 0})
    (tmp_path / "images").mkdir()
    cv2.imwrite(str(tmp_path / "images/000000000.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    WRITERS.get("coco").finalize([to_record(sample, "images/000000000.png", "")], tmp_path, table)
    (lazy,) = read("coco", tmp_path).samples
    back = lazy.materialize()
    assert back.labels.categories == table
    assert [instance_to_record(replace(i, original=None)) for i in back.labels.instances] == [instance_to_record(inst)]
    assert coco_dataset([to_record(back, "images/000000000.png", "")], table)["annotations"][0]["keypoints"] == [
        4,
        5,
        2,
        8,
        9,
        1,
    ]


def test_coco_polygons_are_rasterised_only_when_the_record_is_resolved(tmp_path):
    """Planning a mix reads categories only: polygons and boxes stay pending until a record is
    resolved (writing), RLE segmentations are read at once; a pickled sample (a worker's) resolves too."""
    import pickle

    from synthgen.formats.coco_reader import PendingMask

    path = _hand_made_coco(tmp_path)
    a, b = read("coco", path, images=str(tmp_path / "img")).samples
    person, car = a.record["instances"]
    assert person["segmentation"] == PendingMask(polygons=[[10, 5, 20, 5, 20, 25, 10, 25]]) and "bbox" not in person
    assert car["segmentation"] == PendingMask(box=[0, 0, 4, 4]) and "area" not in car
    assert person["category"] == "person" and person["keypoints"] == [15, 6, 2, 15, 24, 1]
    assert b.full_record() is b.record and b.record["instances"][0]["area"] == 40  # RLE: read at once
    full = a.full_record()
    assert [list(i)[:4] for i in full["instances"]] == [["category", "bbox", "area", "segmentation"]] * 2
    assert a.record["instances"][0]["segmentation"] == PendingMask(polygons=[[10, 5, 20, 5, 20, 25, 10, 25]])
    sample = pickle.loads(pickle.dumps(a)).materialize()
    assert [instance_to_record(i) for i in sample.labels.instances] == full["instances"]


def test_coco_polygons_read_lazily_reach_either_writer_form_exactly(tmp_path):
    """A polygon read from COCO is written back as it was read, whichever segmentation form the
    writer is set to; a box without a segmentation gets the box's mask, in the writer's form; each
    is the mask pycocotools rasterises from the original, to the pixel."""
    path = _hand_made_coco(tmp_path)
    (a, _) = read("coco", path, images=str(tmp_path / "img")).samples
    sample = a.materialize()
    original = COCO(str(path))
    polygon, box = original.loadAnns(original.getAnnIds(imgIds=[7]))
    box_mask = np.zeros((30, 40), np.uint8)
    box_mask[0:4, 0:4] = 1  # an annotation without a segmentation: its box
    expected = [original.annToMask(polygon), box_mask]
    coco_writer = WRITERS.get("coco")
    for form in coco_writer.options.choices("segmentation"):
        out = tmp_path / form
        (out / "images").mkdir(parents=True)
        cv2.imwrite(str(out / "images/a.png"), sample.image)
        writer = coco_writer.with_options(coco_writer.options(segmentation=form))
        writer.finalize([to_record(sample, "images/a.png", "")], out, sample.labels.categories)
        back = COCO(str(out / "annotations/coco.json"))
        anns = back.loadAnns(back.getAnnIds())
        assert len(anns) == len(expected) == 2
        assert anns[0]["segmentation"] == polygon["segmentation"]
        assert isinstance(anns[1]["segmentation"], list if form == "polygon" else dict)
        for ann, mask in zip(anns, expected):
            np.testing.assert_array_equal(back.annToMask(ann), mask)
            assert ann["area"] == int(mask.sum())


def test_coco_annotations_are_written_back_as_read(tmp_path):
    """Read, then written by the COCO writer (either segmentation form): every annotation's bbox,
    area, segmentation, iscrowd and keypoints as the file had them, a box that covers no pixel
    centre included (kept, with no polygon: there is none to trace); a missing segmentation is the
    box's mask."""
    path = _hand_made_coco(tmp_path)
    data = json.loads(path.read_text())
    data["annotations"].append(
        {"id": 4, "image_id": 7, "category_id": 10, "bbox": [30.6, 3.1, 0.3, 6.0], "area": 1.8, "iscrowd": 0}
    )
    path.write_text(json.dumps(data))
    a, b = read("coco", path, images=str(tmp_path / "img")).samples
    fields = ("bbox", "area", "segmentation", "iscrowd", "keypoints", "num_keypoints")
    for form in ("polygon", "rle"):
        coco_writer = WRITERS.get("coco")
        writer = coco_writer.with_options(coco_writer.options(segmentation=form))
        out = tmp_path / form
        records = [to_record(s.materialize(), f"images/{k}.png", "") for k, s in enumerate((a, b))]
        writer.finalize(records, out, a.categories)
        written = json.loads((out / "annotations/coco.json").read_text())["annotations"]
        assert len(written) == 4
        in_image_order = sorted(data["annotations"], key=lambda ann: ann["image_id"])  # a stable sort
        for got, ann in zip(written, in_image_order):
            assert {k: got[k] for k in fields if k in ann and ann[k] != []} == {
                k: v for k, v in ann.items() if k in fields and v != []
            }, form
        assert a.materialize().labels.instances[2].area == 0  # the sliver box covers no pixel centre
        assert written[1]["segmentation"] != []  # the box's mask, traced or RLE
        if form == "polygon":
            assert written[2]["segmentation"] == []
