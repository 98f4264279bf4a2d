"""ICDAR 2015 and recognition-crop writers and readers on hand-made samples with known geometry."""

from __future__ import annotations

import hashlib

import cv2
import numpy as np
import pytest

from synthgen.errors import DatasetError
from synthgen.formats import WRITERS
from synthgen.formats.icdar import read_icdar
from synthgen.formats.recognition import crop_quad, read_lmdb, read_recognition_tsv
from synthgen.records import to_record as sample_record
from synthgen.text.label import TextRecord
from synthgen.types import CategoryTable, Instance, Labels, Sample

H, W = 96, 160
CATEGORIES = CategoryTable.of_names(("text", "logo"))


def text_instance(text, quad=None, bbox=(0, 0, 1, 1), **attributes) -> Instance:
    return Instance(
        category="text",
        bbox=bbox,
        area=1,
        rle={"size": [H, W], "counts": ""},
        extensions={} if text is None else {"text": TextRecord(text, None if quad is None else np.asarray(quad, np.float32).reshape(4, 2))},
        attributes=attributes,
    )


def make_sample(index: int, instances, image: np.ndarray | None = None) -> tuple[Sample, dict]:
    if image is None:
        image = np.random.default_rng(index).integers(0, 256, (H, W, 3), dtype=np.uint8)
    labels = Labels(instances=tuple(instances), categories=CATEGORIES)
    sample = Sample(image=image, labels=labels, meta={"index": index, "seed": 0})
    return sample, sample_record(sample, f"images/{index:09d}.png", "0" * 64)


# Quads clockwise from top-left, fractional like the renderer's.
WORDS = [
    text_instance("Hello", [[10.2, 20.4], [60.6, 21.0], [60.1, 36.7], [9.8, 36.2]]),
    text_instance("a,b,,c", [[70, 10], [120, 12], [119, 30], [69, 28]]),
    text_instance("blurry", [[5, 50], [40, 50], [40, 62], [5, 62]], legible=False),
    text_instance("noquad", None, bbox=(100, 60, 30, 12)),
    Instance(category="logo", bbox=(130, 5, 20, 20), area=400, rle={"size": [H, W], "counts": ""}),
    text_instance("ünïcødé", [[50, 70], [110, 66], [111, 84], [51, 88]]),
]


def write_samples(root, writer_name: str, samples):
    writer = WRITERS.get(writer_name)
    for sample, record in samples:
        writer.write_sample(sample, record, root)
    if writer.finalize is not None:
        return writer.finalize([r for _, r in samples], root, CATEGORIES)
    return []


# ICDAR 2015 ------------------------------------------------------------------------------------


def test_icdar_round_trip_quads_texts_and_dont_care(tmp_path):
    samples = [make_sample(0, WORDS), make_sample(1, [])]
    write_samples(tmp_path, "icdar", samples)
    gt = read_icdar(tmp_path)
    assert sorted(gt) == ["000000000", "000000001"]
    assert gt["000000001"] == []
    words = gt["000000000"]
    assert [w.text for w in words] == ["Hello", "a,b,,c", "###", "###", "ünïcødé"]
    assert [w.dont_care for w in words] == [False, False, True, True, False]
    for word, inst in zip(words, [WORDS[0], WORDS[1], WORDS[2], None, WORDS[5]]):
        expected = np.rint(inst.extensions["text"].quad) if inst is not None else [[100, 60], [130, 60], [130, 72], [100, 72]]
        np.testing.assert_array_equal(word.quad, expected)
    quad, text, dont_care = words[1]  # a plain tuple too
    assert text == "a,b,,c" and not dont_care and quad.shape == (4, 2)


def test_icdar_lines_are_integer_icdar2015(tmp_path):
    write_samples(tmp_path, "icdar", [make_sample(7, WORDS[:2])])
    content = (tmp_path / "icdar" / "gt_000000007.txt").read_bytes()
    assert content == b"10,20,61,21,60,37,10,36,Hello\n70,10,120,12,119,30,69,28,a,b,,c\n"


def test_icdar_reader_accepts_bom_and_crlf(tmp_path):
    (tmp_path / "gt_img_1.txt").write_bytes(
        "\ufeff377,117,463,117,465,130,378,130,Genaxis Theatre\r\n374,155,409,155,409,170,374,170,###\r\n".encode()
    )
    words = read_icdar(tmp_path)["img_1"]
    assert [w.text for w in words] == ["Genaxis Theatre", "###"]
    assert words[1].dont_care
    np.testing.assert_array_equal(words[0].quad, [[377, 117], [463, 117], [465, 130], [378, 130]])


@pytest.mark.parametrize(
    "content",
    [b"1,2,3,4,5,6,7,Hello\n", b"1,2,3,4,x,6,7,8,Hello\n", b"1,2,3,4,5,6,7,8,\xff\n"],
    ids=["short", "not-a-number", "not-utf8"],
)
def test_icdar_reader_names_the_corrupt_file(tmp_path, content):
    path = tmp_path / "gt_bad.txt"
    path.write_bytes(content)
    with pytest.raises(DatasetError, match="gt_bad.txt") as info:
        read_icdar(tmp_path)
    assert "\n" not in str(info.value)


def test_icdar_refuses_line_breaks_and_missing_folder(tmp_path):
    with pytest.raises(DatasetError, match="line break"):
        write_samples(tmp_path, "icdar", [make_sample(0, [text_instance("two\nlines", WORDS[0].extensions["text"].quad)])])
    with pytest.raises(DatasetError, match="nowhere"):
        read_icdar(tmp_path / "nowhere")


# Recognition crops -----------------------------------------------------------------------------


def test_crop_of_upright_quad_is_the_image_region():
    image = np.random.default_rng(1).integers(0, 256, (H, W, 3), dtype=np.uint8)
    crop = crop_quad(image, np.array([[10, 20], [60, 20], [60, 36], [10, 36]], np.float32))
    np.testing.assert_array_equal(crop, image[20:36, 10:60])


def test_crop_of_rotated_quad_recovers_the_upright_word():
    # A smooth upright "word" texture, rotated 25 degrees into a bigger image with a known
    # pixel-centre affine transform; its quad maps the patch's corners the way the renderer does.
    rng = np.random.default_rng(2)
    h, w = 24, 72
    word = cv2.GaussianBlur(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), (0, 0), 2.0)
    matrix = cv2.getRotationMatrix2D((w / 2 - 0.5, h / 2 - 0.5), 25, 1.0)
    matrix[:, 2] += (40, 50)
    image = cv2.warpAffine(word, matrix, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    quad = (corners - 0.5) @ matrix[:, :2].T + matrix[:, 2] + 0.5
    crop = crop_quad(image, quad)
    assert crop.shape == word.shape
    inner = (slice(3, -3), slice(3, -3))
    diff = np.abs(crop[inner].astype(int) - word[inner].astype(int))
    assert diff.mean() < 3, diff.mean()
    # The same quad listed from the wrong corner gives a different picture: the check can fail.
    wrong = crop_quad(image, np.roll(quad, 2, axis=0))
    assert np.abs(wrong[inner].astype(int) - word[inner].astype(int)).mean() > 10


def test_recognition_crops_tsv_and_lmdb_agree(tmp_path):
    samples = [make_sample(0, WORDS), make_sample(1, []), make_sample(2, WORDS[:2])]
    files = write_samples(tmp_path, "recognition", samples)
    assert files == ["recognition/labels.tsv", "recognition/lmdb/data.mdb"]
    rec = tmp_path / "recognition"
    pairs = read_recognition_tsv(rec / "labels.tsv")
    # Legible instances with a quad: Hello, a,b,,c, ünïcødé of sample 0; Hello, a,b,,c of sample 2.
    assert pairs == [
        ("images/000000000_0.png", "Hello"),
        ("images/000000000_1.png", "a,b,,c"),
        ("images/000000000_5.png", "ünïcødé"),
        ("images/000000002_0.png", "Hello"),
        ("images/000000002_1.png", "a,b,,c"),
    ]
    assert sorted(p.name for p in (rec / "images").iterdir()) == sorted(p.split("/")[1] for p, _ in pairs)
    lmdb_pairs = read_lmdb(rec / "lmdb")
    assert [label for _, label in lmdb_pairs] == [text for _, text in pairs]
    assert [image for image, _ in lmdb_pairs] == [(rec / p).read_bytes() for p, _ in pairs]
    decoded = cv2.imdecode(np.frombuffer(lmdb_pairs[0][0], np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape[:2] == (16, 50)  # Hello's quad: ~50 wide, ~16 tall


def test_recognition_lmdb_has_the_clovaai_layout(tmp_path):
    import lmdb

    write_samples(tmp_path, "recognition", [make_sample(0, WORDS)])
    env = lmdb.open(str(tmp_path / "recognition" / "lmdb"), readonly=True, lock=False)
    with env.begin() as txn:
        assert txn.get(b"num-samples") == b"3"
        assert txn.get(b"label-000000001") == b"Hello"
        assert txn.get(b"label-000000003") == "ünïcødé".encode()
        assert txn.get(b"image-000000001").startswith(b"\x89PNG")
        assert txn.get(b"image-000000000") is None and txn.get(b"image-000000004") is None
        assert txn.stat()["entries"] == 7
    env.close()


def test_recognition_finalize_is_rerunnable_and_deterministic(tmp_path):
    samples = [make_sample(0, WORDS)]
    write_samples(tmp_path, "recognition", samples)
    rec = tmp_path / "recognition"

    def digest():
        files = sorted(p for p in rec.rglob("*") if p.is_file())
        return {p.relative_to(rec).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}

    first = digest()
    WRITERS.get("recognition").finalize([r for _, r in samples], tmp_path, CATEGORIES)
    assert digest() == first
    assert sorted(p.name for p in rec.iterdir()) == ["images", "labels.tsv", "lmdb"]  # no temp folders left
    assert sorted(p.name for p in (rec / "lmdb").iterdir()) == ["data.mdb"]


def test_recognition_refuses_tabs_and_reports_missing_crops(tmp_path):
    with pytest.raises(DatasetError, match="tab or line break"):
        write_samples(tmp_path, "recognition", [make_sample(0, [text_instance("a\tb", WORDS[0].extensions["text"].quad)])])
    _, record = make_sample(3, WORDS[:1])
    with pytest.raises(DatasetError, match="000000003_0.png"):
        WRITERS.get("recognition").finalize([record], tmp_path / "empty", CATEGORIES)


def test_recognition_readers_name_the_corrupt_file(tmp_path):
    tsv = tmp_path / "labels.tsv"
    tsv.write_bytes(b"images/a.png\tok\nimages/b.png no tab\n")
    with pytest.raises(DatasetError, match=r"labels.tsv: line 2"):
        read_recognition_tsv(tsv)
    with pytest.raises(DatasetError, match="nolmdb"):
        read_lmdb(tmp_path / "nolmdb")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "data.mdb").write_bytes(b"not an lmdb file" * 300)
    with pytest.raises(DatasetError, match="junk"):
        read_lmdb(tmp_path / "junk")
