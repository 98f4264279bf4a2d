"""Dataset-level writers stream: the same bytes as the in-memory build, in memory that does not
grow with the number of samples, from one pass over the records."""

from __future__ import annotations

import json
import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from synthgen.config import load_run_config
from synthgen.engine import generate
from synthgen.engine.run import iter_records, num_shards
from synthgen.formats import WRITERS, lmdb_dataset
from synthgen.formats.coco import coco_dataset
from synthgen.formats.recognition import read_lmdb, read_recognition_tsv
from synthgen.records import to_record
from synthgen.text.label import TextRecord
from synthgen.types import CategoryTable, Instance, Labels, Sample

ROOT = Path(__file__).resolve().parents[2]
CATEGORIES = CategoryTable.of_names(("text",))


def in_memory_coco(records, categories) -> bytes:
    return json.dumps(coco_dataset(records, categories), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def test_streamed_coco_equals_the_in_memory_dict_byte_for_byte(tmp_path):
    config = load_run_config(
        ROOT / "configs/text_words.yaml",
        ["num_samples=7", "shard_size=3", "scene.params.width=160", "scene.params.height=120"],
    )
    generate(config, tmp_path / "d", progress=False)
    records = list(iter_records(tmp_path / "d", num_shards(config)))
    assert sum(len(r["instances"]) for r in records) > 7
    expected = in_memory_coco(records, config.categories)
    assert (tmp_path / "d" / "annotations" / "coco.json").read_bytes() == expected
    # Again from a one-pass iterator, into another folder.
    WRITERS.get("coco").finalize(iter(records), tmp_path / "again", config.categories)
    assert (tmp_path / "again" / "annotations" / "coco.json").read_bytes() == expected


def word(text: str, x: int, visible: bool = True) -> Instance:
    from pycocotools import mask as mask_utils

    quad = np.array([[x, 2], [x + 30, 2], [x + 30, 14], [x, 14]], np.float32)
    mask = np.zeros((16, 64), np.uint8, order="F")
    if visible:
        mask[2:14, x : x + 30] = 1
    counts = mask_utils.encode(mask)["counts"].decode("ascii")
    return Instance(
        category="text",
        bbox=(x, 2, 30, 12) if visible else (0, 0, 0, 0),
        area=int(mask.sum()),
        rle={"size": [16, 64], "counts": counts},
        extensions={"text": TextRecord(text, quad)},
        attributes={"note": "ünï \u2028 \"quoted\""},
    )


def record(index: int, instances) -> dict:
    sample = Sample(image=np.zeros((16, 64, 3), np.uint8), labels=Labels(instances=tuple(instances), categories=CATEGORIES), meta={"index": index, "seed": 0})
    return to_record(sample, f"images/{index:09d}.png", "0" * 64)


@pytest.mark.parametrize(
    "records",
    [
        [],
        [record(0, [])],
        [record(0, [word("a", 1, visible=False)]), record(1, [])],
        [record(0, [word("héllo", 1), word("x", 20, visible=False)]), record(1, []), record(2, [word("w", 3)])],
    ],
    ids=["none", "no-instance", "none-visible", "mixed"],
)
def test_streamed_coco_edge_cases(tmp_path, records):
    WRITERS.get("coco").finalize(iter(records), tmp_path, CATEGORIES)
    assert (tmp_path / "annotations" / "coco.json").read_bytes() == in_memory_coco(records, CATEGORIES)
    assert [p.name for p in (tmp_path / "annotations").iterdir()] == ["coco.json"]  # no spool or temp left


def many_records(count: int, template: dict):
    """``count`` records made one at a time from ``template`` (a one-pass stream)."""
    for index in range(count):
        yield {**template, "index": index, "file_name": f"images/{index:09d}.png"}


def peak_python_bytes(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow  # writes a large dataset to watch memory
def test_coco_memory_does_not_grow_with_the_dataset(tmp_path):
    template = record(0, [word("héllo", 1), word("wörld", 33)])
    peaks = {
        n: peak_python_bytes(lambda n=n: WRITERS.get("coco").finalize(many_records(n, template), tmp_path / str(n), CATEGORIES))
        for n in (500, 5000)
    }
    assert peaks[5000] < 1.5 * peaks[500], peaks  # an in-memory COCO dict grows ~10x here
    assert (tmp_path / "5000" / "annotations" / "coco.json").read_bytes() == in_memory_coco(
        many_records(5000, template), CATEGORIES
    )


@pytest.mark.slow  # writes a large dataset to watch memory
def test_recognition_memory_does_not_grow_with_the_dataset(tmp_path):
    template = record(0, [word("héllo", 1), word("wörld", 33)])
    crop = tmp_path / "crop.png"
    crop.write_bytes(b"\x89PNG" + bytes(range(256)) * 4)
    peaks = {}
    for n in (500, 5000):
        root = tmp_path / str(n)
        (root / "recognition" / "images").mkdir(parents=True)
        for index in range(n):
            for k in range(2):
                os.link(crop, root / "recognition" / "images" / f"{index:09d}_{k}.png")
        peaks[n] = peak_python_bytes(
            lambda n=n, root=root: WRITERS.get("recognition").finalize(many_records(n, template), root, CATEGORIES)
        )
    assert peaks[5000] < 1.5 * peaks[500], peaks
    pairs = read_recognition_tsv(tmp_path / "5000" / "recognition" / "labels.tsv")
    assert len(pairs) == 10000 and pairs[-1] == ("images/000004999_1.png", "wörld")
    lmdb_pairs = read_lmdb(tmp_path / "5000" / "recognition" / "lmdb")
    assert [t for _, t in lmdb_pairs] == [t for _, t in pairs] and lmdb_pairs[-1][0] == crop.read_bytes()


def single_transaction_lmdb(dest: Path, images: list[bytes], labels: list[bytes], size: int) -> None:
    """The LMDB build as it was before transactions were cut: one transaction for everything."""
    import lmdb

    dest.mkdir(parents=True)
    env = lmdb.open(str(dest), map_size=size, lock=False, sync=False, meminit=True)
    with env.begin(write=True) as txn:
        for n, image in enumerate(images, start=1):
            txn.put(lmdb_dataset.image_key(n), image, append=True)
        for n, label in enumerate(labels, start=1):
            txn.put(lmdb_dataset.label_key(n), label, append=True)
        txn.put(b"num-samples", str(len(labels)).encode("ascii"), append=True)
    env.sync(True)
    env.close()


def lmdb_values(count: int) -> tuple[list[bytes], list[bytes], int]:
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, int(rng.integers(50, 9000)), dtype=np.uint8).tobytes() for _ in range(count)]
    labels = [f"wörd {n}".encode() for n in range(count)]
    pages = sum(lmdb_dataset.value_pages(len(v)) for v in images + labels)
    return images, labels, lmdb_dataset.map_size(pages)


def test_lmdb_within_one_transaction_keeps_the_single_transaction_bytes(tmp_path):
    images, labels, size = lmdb_values(200)
    lmdb_dataset.write_lmdb(tmp_path / "streamed", len(labels), iter(images), iter(labels), size)
    single_transaction_lmdb(tmp_path / "single", images, labels, size)
    assert (tmp_path / "streamed" / "data.mdb").read_bytes() == (tmp_path / "single" / "data.mdb").read_bytes()


def test_lmdb_cut_into_transactions_reads_the_same_and_is_deterministic(tmp_path, monkeypatch):
    images, labels, size = lmdb_values(300)
    monkeypatch.setattr(lmdb_dataset, "COMMIT_BYTES", 20_000)  # ~1.4 MB of values: ~70 transactions
    for name in ("a", "b"):
        lmdb_dataset.write_lmdb(tmp_path / name, len(labels), iter(images), iter(labels), size)
    assert (tmp_path / "a" / "data.mdb").read_bytes() == (tmp_path / "b" / "data.mdb").read_bytes()
    pairs = read_lmdb(tmp_path / "a")
    assert [image for image, _ in pairs] == images
    assert [label.encode() for _, label in pairs] == labels
    assert sorted(os.listdir(tmp_path)) == ["a", "b"]  # no temp folders left
