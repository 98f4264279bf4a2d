"""The one serialiser (synthgen/records.py): every field of the sample model round-trips, a field
added to the model is written and read with no other change, and every writer writes exactly the
fields it declares (``WriterKind.writes``): each comes back when read, and no other."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import numpy as np
import pytest

from synthgen.annotate.masks import masks_to_instances
from synthgen.formats import WRITERS
from synthgen.formats.icdar import read_icdar
from synthgen.formats.recognition import read_recognition_tsv
from synthgen.formats.yolo import read_yolo
from synthgen.image_codec import encode_png
from synthgen.records import (
    ORIGINAL,
    InstanceView,
    instance_views,
    from_record,
    instance_from_record,
    instance_fields,
    instance_keys,
    instance_to_record,
    keys_of,
    model_keys,
    table_from_record,
    table_to_record,
    to_record,
)
from synthgen.types import (
    Box3D,
    Camera,
    Category,
    CategoryTable,
    Instance,
    Labels,
    OriginalLabels,
    Sample,
    codec,
)
from synthgen.text.label import TextRecord

H, W = 64, 96
TABLE = CategoryTable(
    (
        Category(3, "word"),
        Category(24, "person", keypoints=("head", "foot"), skeleton=((1, 2),), color=(220, 20, 60)),
        Category(40, "line"),
    )
)


def full_sample() -> Sample:
    """A sample whose instances set every field the model has (text on one, the rest on another)."""
    ids = np.zeros((H, W), np.int32)
    ids[10:20, 8:40] = 1
    ids[30:60, 50:70] = 2
    boxes = masks_to_instances(ids)
    quad = np.array([[8, 10], [40, 10], [40, 20], [8, 20]], np.float32)
    char_quads = np.array([[[8, 10], [24, 10], [24, 20], [8, 20]], [[24, 10], [40, 10], [40, 20], [24, 20]]], np.float32)
    polygon = np.array([[8, 10], [24, 9.5], [40, 10], [40, 20], [24, 20.5], [8, 20]], np.float32)
    word = Instance(
        "word",
        *boxes[1],
        attributes={"legible": True, "line": 0},
        extensions={"text": TextRecord("Hi", quad, "Hi", char_quads, polygon)},
    )
    person = Instance(
        "person",
        *boxes[2],
        amodal_bbox=(48.5, 25.25, 24.0, 38.125),
        occlusion=0.25,
        truncation=0.125,
        keypoints=np.array([[60.5, 31.25, 2], [61.0, 59.5, 1]], np.float32),
        box3d=Box3D(np.array([1.5, 1.0, 12.0]), np.array([0.6, 0.5, 1.7]), 0.3),
        attributes={"scenario": "jaywalker"},
    )
    camera = Camera(np.array([[100.0, 0, 48], [0, 100.0, 32], [0, 0, 1]]), np.eye(4), W, H)
    image = np.random.default_rng(0).integers(0, 256, (H, W, 3), dtype=np.uint8)
    depth = np.full((H, W), np.inf, np.float32)
    depth[30:60, 50:70] = 12.25
    semantic = np.where(ids == 2, 24, np.where(ids == 1, 3, 0)).astype(np.int32)
    labels = Labels(instances=(word, person), categories=TABLE, camera=camera, depth=depth, semantic=semantic)
    return Sample(image=image, labels=labels, meta={"index": 0, "seed": 3, "source": "synthetic"})


def assert_same_instance(a: Instance, b: Instance) -> None:
    assert (a.category, a.bbox, a.area, a.rle, a.attributes) == (b.category, b.bbox, b.area, b.rle, b.attributes)
    assert (a.amodal_bbox, a.occlusion, a.truncation) == (b.amodal_bbox, b.occlusion, b.truncation)
    for x, y in ((a.keypoints, b.keypoints),):
        assert (x is None) == (y is None) and (x is None or np.array_equal(x, y))
    assert (a.box3d is None) == (b.box3d is None)
    if a.box3d is not None:
        np.testing.assert_array_equal(a.box3d.corners(), b.box3d.corners())
    assert a.extensions.keys() == b.extensions.keys()
    if "text" in a.extensions:
        ta, tb = a.extensions["text"], b.extensions["text"]
        assert (ta.transcription, ta.chars) == (tb.transcription, tb.chars)
        for field in ("quad", "char_quads", "polygon"):
            np.testing.assert_array_equal(getattr(ta, field), getattr(tb, field))


def test_every_field_round_trips_through_json():
    sample = full_sample()
    rec = json.loads(json.dumps(to_record(sample, "images/000000000.png", "0" * 64)))
    # every field written, in the order the fields are declared
    assert set(rec["instances"][0]) | set(rec["instances"][1]) == set(instance_keys()) - {ORIGINAL}
    for inst in rec["instances"]:
        assert list(inst) == [k for k in instance_keys() if k in inst]
    back = from_record(rec, sample.image, table_from_record(table_to_record(TABLE)))
    assert back.meta == sample.meta and back.labels.categories == TABLE
    np.testing.assert_array_equal(back.labels.camera.intrinsics, sample.labels.camera.intrinsics)
    np.testing.assert_array_equal(back.labels.camera.extrinsics, sample.labels.camera.extrinsics)
    assert (back.labels.camera.width, back.labels.camera.height) == (W, H)
    for a, b in zip(sample.labels.instances, back.labels.instances):
        assert_same_instance(a, b)
    # and once more: the record of the read-back sample is the same record
    assert to_record(back, "images/000000000.png", "0" * 64) == rec


def test_the_record_keeps_todays_key_order_and_rounding():
    """The derived serialiser writes what the hand-written one did, key for key and digit for digit
    (every shard and label file stays byte-identical)."""
    rec = to_record(full_sample(), "images/000000000.png", "0" * 64)
    word, person = rec["instances"]
    assert list(word) == ["category", "bbox", "area", "segmentation", "text", "quad", "chars", "char_quads",
                          "polygon", "attributes"]
    assert list(person) == ["category", "bbox", "area", "segmentation", "attributes", "amodal_bbox", "occlusion",
                            "truncation", "keypoints", "box3d"]
    assert word["quad"] == [8.0, 10.0, 40.0, 10.0, 40.0, 20.0, 8.0, 20.0]
    assert word["char_quads"][1] == [24.0, 10.0, 40.0, 10.0, 40.0, 20.0, 24.0, 20.0]
    assert word["polygon"][2:4] == [24.0, 9.5]
    assert person["keypoints"] == [60.5, 31.25, 2, 61.0, 59.5, 1] and type(person["keypoints"][2]) is int
    assert person["box3d"] == {"center": [1.5, 1.0, 12.0], "dimensions": [0.6, 0.5, 1.7], "yaw": 0.3}
    assert (person["occlusion"], person["truncation"]) == (0.25, 0.125)
    assert list(rec["camera"]) == ["intrinsics", "extrinsics", "width", "height"]
    inst = Instance("w", (1, 2, 3, 4), 5, {}, occlusion=0.123456, amodal_bbox=(0.12345, 1, 2, 3),
                    extensions={"text": TextRecord("a", chars="a")})  # chars without their quads are not written
    assert instance_to_record(inst) == {"category": "w", "bbox": [1, 2, 3, 4], "area": 5, "segmentation": {},
                                        "text": "a", "amodal_bbox": [0.123, 1.0, 2.0, 3.0], "occlusion": 0.1235}


@dataclass(frozen=True)
class TrackedInstance(Instance):
    """An Instance with a field the model does not have: what adding one to ``Instance`` takes."""

    track_id: int | None = field(default=None, metadata=codec("int"))
    heading: tuple[float, float] | None = field(default=None, metadata=codec("floats"))


def test_a_new_field_round_trips_with_no_list_to_edit():
    inst = TrackedInstance("car", (1, 2, 3, 4), 12, {"size": [H, W], "counts": ""}, occlusion=0.5, track_id=7,
                           heading=(0.70710678, -0.70710678))
    rec = json.loads(json.dumps(instance_to_record(inst)))
    assert list(rec) == ["category", "bbox", "area", "segmentation", "occlusion", "track_id", "heading"]
    assert rec["track_id"] == 7 and rec["heading"] == [0.707, -0.707]
    back = instance_from_record(rec, TrackedInstance)
    assert back == replace(inst, heading=(0.707, -0.707))
    assert instance_keys(TrackedInstance)[-3:] == (ORIGINAL, "track_id", "heading")
    # a plain Instance reads the same record, the field it does not know left aside
    assert instance_from_record(rec) == Instance("car", (1, 2, 3, 4), 12, inst.rle, occlusion=0.5)


def test_a_field_without_a_codec_is_refused():
    @dataclass(frozen=True)
    class Untyped(Instance):
        speed: float | None = None

    with pytest.raises(TypeError, match="Untyped.speed names no codec"):
        instance_to_record(Untyped("car", (0, 0, 0, 0), 0, {}))


def test_absent_fields_stay_absent():
    inst = Instance("word", (1, 2, 3, 4), 12, {"size": [H, W], "counts": ""})
    sample = Sample(np.zeros((H, W, 3), np.uint8), Labels((inst,), CategoryTable.of_names(["word"])), {"index": 5})
    rec = to_record(sample, "images/x.png", "0" * 64)
    assert list(rec["instances"][0]) == ["category", "bbox", "area", "segmentation"]
    assert "camera" not in rec
    assert_same_instance(inst, from_record(rec, sample.image).labels.instances[0])


def test_a_real_instances_original_labels_round_trip_unrounded():
    """``original`` (a dataset's own values, written back as read) survives the serialiser exactly:
    floats unrounded, polygons as polygons, an uncompressed RLE as it is."""
    mask = np.zeros((H, W), np.uint8)
    mask[5:9, 10:20] = 1
    from pycocotools import mask as mask_utils

    rle = mask_utils.encode(np.asfortranarray(mask))
    original = OriginalLabels(
        bbox=[9.871234567, 4.1, 10.333333333333334, 4.0], area=0.1 + 0.2, segmentation=[[10.004, 5, 20, 5, 20, 9]],
        iscrowd=0, keypoints=[12.3456789, 6.25, 2], num_keypoints=1,
    )
    crowd = OriginalLabels(segmentation={"size": [H, W], "counts": [5, 3, 7, 1]}, iscrowd=1)
    instances = tuple(
        Instance("word", (10, 5, 10, 4), 40, {"size": [H, W], "counts": rle["counts"].decode()}, original=o)
        for o in (original, crowd)
    )
    sample = Sample(np.zeros((H, W, 3), np.uint8), Labels(instances, CategoryTable.of_names(["word"])), {"index": 0})
    rec = json.loads(json.dumps(to_record(sample, "x.png", "")))
    assert rec["instances"][0]["original"] == {
        "bbox": [9.871234567, 4.1, 10.333333333333334, 4.0], "area": 0.30000000000000004,
        "segmentation": [[10.004, 5, 20, 5, 20, 9]], "iscrowd": 0, "keypoints": [12.3456789, 6.25, 2],
        "num_keypoints": 1,
    }
    back = from_record(rec, sample.image).labels.instances
    assert [i.original for i in back] == [original, crowd]
    assert to_record(from_record(rec, sample.image), "x.png", "") == rec


def test_box3d_corners_follow_kitti_convention():
    box = Box3D(np.array([2.0, 1.0, 10.0]), np.array([4.0, 2.0, 1.5]), np.pi / 2)
    corners = box.corners()
    # yaw 90 deg turns the length (x) onto -z: the box spans z 8..12, x 1..3, y 0.25..1.75
    np.testing.assert_allclose(corners.min(axis=0), [1.0, 0.25, 8.0], atol=1e-9)
    np.testing.assert_allclose(corners.max(axis=0), [3.0, 1.75, 12.0], atol=1e-9)


def written_fields_coco(root, rec) -> set[str]:
    coco = json.loads((root / "annotations" / "coco.json").read_text())
    assert [c["id"] for c in coco["categories"]] == [3, 24, 40]  # the run's ids, not 1..n
    assert coco["categories"][1]["keypoints"] == ["head", "foot"] and coco["categories"][1]["skeleton"] == [[1, 2]]
    assert [a["category_id"] for a in coco["annotations"]] == [3, 24]
    return {key for ann in coco["annotations"] for key in ann}


def written_fields_icdar(folder):
    def read(root, rec) -> set[str]:
        (word,) = read_icdar(root / folder)["000000000"]
        np.testing.assert_array_equal(word.quad, [[8, 10], [40, 10], [40, 20], [8, 20]])
        return {"text", "quad"} if word.text == "Hi" else set()

    return read


def written_fields_recognition(root, rec) -> set[str]:
    ((path, text),) = read_recognition_tsv(root / "recognition")
    assert (root / "recognition" / path).is_file()  # the crop of the quad: its pixels, not its coordinates
    return {"text"} if text == "Hi" else set()


def written_fields_yolo(root, rec) -> set[str]:
    (sample,) = read_yolo(root / "yolo")
    written = set()
    got = [(i.category, i.bbox) for i in sample.labels.instances]
    if [c for c, _ in got] == [i["category"] for i in rec["instances"]]:
        written.add("category")
    if [list(b) for _, b in got] == [i["bbox"] for i in rec["instances"]]:
        written.add("bbox")
    return written


def written_fields_kitti(root, rec) -> set[str]:
    from synthgen.formats.kitti import read_kitti

    (frame,) = read_kitti(root / "kitti")
    (person,) = frame.objects  # the one instance with a 3D box
    x, y, w, h = rec["instances"][1]["bbox"]
    fields = {"category"}
    if person.bbox == pytest.approx((x, y, x + w, y + h), abs=0.01):
        fields.add("bbox")
    if person.truncated == pytest.approx(0.125, abs=0.01):
        fields.add("truncation")
    box = rec["instances"][1]["box3d"]
    length, width, height = box["dimensions"]
    bottom = (box["center"][0], box["center"][1] + height / 2, box["center"][2])
    if person.dimensions == pytest.approx((height, width, length), abs=0.01) and person.location == pytest.approx(
        bottom, abs=0.01
    ) and person.rotation_y == pytest.approx(box["yaw"], abs=0.01):
        fields.add("box3d")
    k = np.reshape(rec["camera"]["intrinsics"], (3, 3))
    extrinsics = np.reshape(rec["camera"]["extrinsics"], (4, 4))[:3]
    # P2 = K [R0_rect^T | 0] (the rectified frame's projection) and Tr_velo_to_cam: the whole camera
    if np.allclose(frame.calib["P2"][:, :3], k @ frame.calib["R0_rect"].T, atol=1e-3) and np.allclose(
        frame.calib["Tr_velo_to_cam"], extrinsics, atol=1e-6
    ):
        fields.add("camera")
    return fields


def written_fields_dense(root, rec) -> set[str]:
    import cv2

    sample = full_sample()
    written = set()
    depth = np.load(root / "labels" / "depth" / "000000000.npy")
    if np.array_equal(depth, sample.labels.depth):
        written.add("depth")
    semantic = cv2.imread(str(root / "labels" / "semantic" / "000000000.png"), cv2.IMREAD_UNCHANGED)
    if np.array_equal(semantic, sample.labels.semantic):
        written.add("semantic")
    return written


READ_BACK = {
    "coco": written_fields_coco,
    "icdar": written_fields_icdar("icdar"),
    "icdar_lines": written_fields_icdar("icdar_lines"),
    "recognition": written_fields_recognition,
    "yolo": written_fields_yolo,
    "kitti": written_fields_kitti,
    "dense": written_fields_dense,
}
MODEL_FIELDS = model_keys()


def test_every_writer_has_a_read_back_check():
    assert set(WRITERS.names()) == set(READ_BACK)


@pytest.mark.parametrize("name", sorted(READ_BACK))
def test_writer_writes_the_fields_it_declares_and_no_other(tmp_path, name):
    writer = WRITERS.get(name)
    assert writer.writes and writer.writes <= MODEL_FIELDS
    _, rec = written_sample(tmp_path, name)
    written = READ_BACK[name](tmp_path, rec)
    coco_names = {"category_id": "category", "segmentation": "segmentation", "num_keypoints": "keypoints"}
    written = {coco_names.get(f, f) for f in written} & MODEL_FIELDS
    assert written == writer.writes, f"{name}: writes {sorted(written)}, declares {sorted(writer.writes)}"


def test_a_writer_declaring_a_field_the_model_lacks_is_refused():
    from synthgen.formats.base import WriterKind

    with pytest.raises(ValueError, match=r"writer 'x' declares fields the sample model lacks: \['heading'\]"):
        WriterKind("x", writes=frozenset({"bbox", "heading"}))


def replace_instances(sample: Sample, instances) -> Sample:
    return replace(sample, labels=replace(sample.labels, instances=tuple(instances)))


# --- each writer's own reader gives back what the writer declares ----------------------------------

READER_OF = {"coco": "coco", "icdar": "icdar", "icdar_lines": "icdar", "recognition": "recognition", "yolo": "yolo",
             "kitti": "kitti"}
READ_FROM = {"icdar_lines": "icdar_lines", "yolo": "yolo"}  # the folder the reader is given, under the dataset


def written_sample(tmp_path, name: str) -> tuple[Sample, dict]:
    """``full_sample`` written by writer ``name`` into ``tmp_path`` (a dataset root), and its record."""
    writer = WRITERS.get(name)
    sample = full_sample()
    if name == "icdar_lines":  # that writer takes the line instances: make the word one
        word = sample.labels.instances[0]
        sample = replace_instances(sample, [replace(word, category="line", attributes={"level": "line"})])
    elif name in ("icdar", "recognition"):
        sample = replace_instances(sample, sample.labels.instances[:1])
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "000000000.png").write_bytes(encode_png(sample.image, 1))
    rec = to_record(sample, "images/000000000.png", "0" * 64)
    if writer.write_sample is not None:
        writer.write_sample(sample, rec, tmp_path)
    if writer.finalize is not None:
        writer.finalize([rec], tmp_path, sample.labels.categories)
    return sample, rec


def same_values(a, b) -> bool:
    """Equal, numbers to 0.01 (the formats' own precision: KITTI writes 2 decimals)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_values(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_values(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= 0.01
    return a == b


@pytest.mark.parametrize("name", sorted(READER_OF))
def test_what_a_writer_declares_its_reader_gives_back(tmp_path, name):
    """The writer's own reader (the registered one of the same format) gives back each instance field
    the writer declares, value for value; a declared field that does not come back fails."""
    from synthgen.formats import READERS
    from synthgen.formats.base import ReadOptions
    from synthgen.formats.kitti import kitti_type

    writer = WRITERS.get(name)
    sample, rec = written_sample(tmp_path, name)
    result = READERS.get(READER_OF[name]).read(tmp_path / READ_FROM.get(name, ""), ReadOptions())
    (lazy,) = result.samples
    back = lazy.full_record()
    written = [i for i in rec["instances"] if name != "kitti" or "box3d" in i]  # KITTI: the 3D objects
    assert len(back["instances"]) == len(written)
    declared = writer.writes & set(instance_keys())
    for want, got in zip(written, back["instances"]):
        for key in sorted(declared & set(want)):
            expected = kitti_type(want) if (name, key) == ("kitti", "category") else want[key]
            assert key in got and same_values(got[key], expected), f"{name}: {key} {got.get(key)!r} != {expected!r}"
    if "camera" in writer.writes:  # the whole camera, a pitched one's too (full_sample's looks straight up)
        assert same_values(back["camera"], rec["camera"]), f"{back['camera']} != {rec['camera']}"
    # and the typed sample: the reader's records are the one model's
    typed = lazy.materialize()
    assert [i.category for i in typed.labels.instances] == [i["category"] for i in back["instances"]]


def test_the_typed_view_of_a_record_holds_exactly_its_numbers_and_is_read_only():
    sample = full_sample()
    rec = json.loads(json.dumps(to_record(sample, "images/000000000.png", "0" * 64)))
    # coordinates off the float32 grid, as a record rounds them: the view gives the record's very
    # numbers (float64), where a float32 decode would not
    rec["instances"][0]["quad"] = [8.001, 10.003, 40.007, 10.0, 40.0, 20.009, 8.0, 20.0]
    word, person = instance_views(rec)
    assert isinstance(word, InstanceView) and word.record is rec["instances"][0]
    quad = word.extensions["text"].quad
    assert quad.dtype == np.float64 and quad.reshape(-1).tolist() == rec["instances"][0]["quad"]
    assert float(np.float32(8.001)) != 8.001  # (what the float32 decode would have given)
    assert word.extensions["text"].transcription == "Hi" and word.attributes == {"legible": True, "line": 0}
    assert word.keypoints is None and word.box3d is None and word.original is None and word.visible
    assert person.extensions == {} and person.keypoints.tolist() == [[60.5, 31.25, 2.0], [61.0, 59.5, 1.0]]
    assert person.box3d.yaw == 0.3 and person.amodal_bbox == (48.5, 25.25, 24.0, 38.125)
    assert (person.category, person.bbox, person.area) == ("person", sample.labels.instances[1].bbox, 600)
    assert person.rle == sample.labels.instances[1].rle
    # the record's own values, as written: the slot gives each key of its domain labels, in the order asked
    assert list(word.written(("attributes", "extensions"))) == ["attributes", "text", "quad", "chars", "char_quads", "polygon"]
    assert person.written(("extensions", "keypoints")) == {"keypoints": rec["instances"][1]["keypoints"]}
    assert person.as_written("keypoints") == [60.5, 31.25, 2, 61.0, 59.5, 1]
    assert keys_of(instance_fields()) == instance_keys()
    with pytest.raises(AttributeError, match="read-only"):
        word.area = 3
    with pytest.raises(AttributeError, match="no field 'quad'"):
        word.quad  # noqa: B018  (a text field is the text record's, not the instance's)


def test_the_text_rules_of_the_writers_take_typed_instances_and_views_alike():
    from synthgen.formats.icdar import is_legible, is_line, is_text_instance

    sample = full_sample()
    rec = to_record(sample, "images/000000000.png", "0" * 64)
    for word, person in (sample.labels.instances, instance_views(rec)):
        assert is_text_instance(word) and is_legible(word) and not is_line(word)
        assert not is_text_instance(person) and not is_legible(person)
    illegible = replace(sample.labels.instances[0], attributes={"legible": False, "level": "line"})
    assert not is_legible(illegible) and is_line(illegible)
