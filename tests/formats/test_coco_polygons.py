"""COCO polygons, the default segmentation: traced in the shard producers, exact to the pixel, the
same file whether the producers traced them or the writer did (a mix's records, RLE-only records),
and the mask decoding they rest on agrees with pycocotools'."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from synthgen import generate, load_config, read_dataset
from synthgen.engine import run as engine_run
from synthgen.engine.run import iter_records, num_shards
from synthgen.engine.shards import record_path
from synthgen.formats import WRITERS, polygons
from synthgen.formats.base import dump_json
from synthgen.formats.coco import PATH, CocoOptions, polygon_json
from synthgen.formats.polygons import mask_polygon, mask_polygons, quarters_json, rle_counts, rle_crop
from synthgen.records import DERIVED

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["num_samples=5", "shard_size=2", "scene.params.width=320", "scene.params.height=240"]


def encode(mask: np.ndarray) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": rle["size"], "counts": rle["counts"].decode("ascii")}


def decode(rle: dict) -> np.ndarray:
    return mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode("ascii")})


def rasterise(polygons: list[list[float]], h: int, w: int) -> np.ndarray:
    return mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polygons, h, w)))


def masks():
    """Masks on every edge and corner, whole columns (runs that wrap into the next column), empty
    and full images, lone pixels, 1-pixel-wide images, and random blobs."""
    rng = np.random.default_rng(7)
    yield np.zeros((5, 4), np.uint8)
    yield np.ones((5, 4), np.uint8)
    yield np.ones((1, 1), np.uint8)
    for h, w in ((1, 9), (9, 1), (6, 7)):
        for y, x in ((0, 0), (0, w - 1), (h - 1, 0), (h - 1, w - 1)):
            m = np.zeros((h, w), np.uint8)
            m[y, x] = 1
            yield m
    m = np.zeros((6, 5), np.uint8)
    m[:, 1:3] = 1  # two whole columns: one run over both
    m[3:, 3] = 1
    m[:2, 4] = 1  # a run from the bottom of column 3 into the top of column 4
    yield m
    for _ in range(300):
        h, w = int(rng.integers(1, 30)), int(rng.integers(1, 30))
        yield (rng.random((h, w)) < rng.choice([0.02, 0.3, 0.7, 0.98])).astype(np.uint8)


def column_major_runs(mask: np.ndarray) -> list[int]:
    """Run lengths of a mask in column-major order, background first (COCO's uncompressed RLE)."""
    flat = mask.reshape(-1, order="F")
    change = np.flatnonzero(np.diff(flat)) + 1
    runs = np.diff(np.concatenate(([0], change, [len(flat)]))).tolist()
    return ([0] + runs) if len(flat) and flat[0] else runs


def test_rle_counts_reads_the_run_lengths_pycocotools_writes():
    for mask in masks():
        assert rle_counts(encode(mask)["counts"]).tolist() == column_major_runs(mask)
    big = np.zeros((3000, 2000), np.uint8)  # run lengths of 6 and 7 five-bit groups, and differences < 0
    big[2999, 1500:] = 1
    big[:5, 1999] = 1
    assert rle_counts(encode(big)["counts"]).tolist() == column_major_runs(big)


def test_rle_crop_is_pycocotools_decode_cut_to_the_box():
    for mask in masks():
        crop, x0, y0 = rle_crop(encode(mask))
        if not mask.any():
            assert crop.shape == (0, 0)
            continue
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        # the box grown by a pixel where the image has room
        assert (y0, x0) == (max(rows[0] - 1, 0), max(cols[0] - 1, 0))
        assert crop.shape == (min(rows[-1] + 2, mask.shape[0]) - y0, min(cols[-1] + 2, mask.shape[1]) - x0)
        assert crop.dtype == np.uint8 and crop.flags.c_contiguous
        whole = np.zeros_like(mask)
        whole[y0 : y0 + crop.shape[0], x0 : x0 + crop.shape[1]] = crop
        np.testing.assert_array_equal(whole, mask)


def test_polygons_rasterise_back_to_every_pixel_on_the_edges_too():
    for mask in masks():
        rle = encode(mask)
        if not mask.any():
            assert mask_polygons(rle) == [] and mask_polygon(rle) == []
            continue
        np.testing.assert_array_equal(rasterise(mask_polygons(rle), *mask.shape), mask)
        np.testing.assert_array_equal(rasterise([mask_polygon(rle)], *mask.shape), mask)


def test_quarters_json_is_what_json_writes_for_the_floats(monkeypatch):
    limit = polygons.QUARTER_TABLE_LIMIT
    built = []  # the sizes of the tables asked for
    table = polygons._quarter_texts
    monkeypatch.setattr(polygons, "_quarter_texts", lambda size: built.append(size) or table(size))
    quarters = np.array([0, 1, 2, 3, 4, 5, 1023, 1024, 1025, 4095, 4096, 7681, 2 * 3840 * 4 + 3], np.int64)
    beyond = np.array([limit - 1, limit, limit + 1, 123456789, 2**40 + 1], np.int64)  # past any real image
    for part in (quarters[:1], quarters[:9], quarters, quarters[::-1].reshape(-1, 1), beyond, beyond[:1]):
        assert "[" + quarters_json(part) + "]" == json.dumps((part.reshape(-1) / 4).tolist(), separators=(",", ":"))
    assert quarters_json(np.zeros((0, 2), np.int64)) == ""
    # capped: a large coordinate builds no table of its own (123456789 built one of 2^27 strings, 10.6 GB)
    assert built and max(built) <= limit


def test_polygons_are_the_default():
    assert CocoOptions().segmentation == "polygon"
    assert WRITERS.get("coco").derive({"instances": []})["polygons"] == []  # no options: the default


@pytest.fixture(scope="module")
def polygon_run(tmp_path_factory):
    """A default-config run (polygons) whose producers' traced polygons are kept on disk."""
    out = tmp_path_factory.mktemp("coco") / "ds"
    config = load_config(ROOT / "configs/ocr_wild.yaml", SMALL)  # the default: polygons
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine_run, "remove_derived", lambda out: None)
        generate(config, out, workers=2, progress=False)
    return config, out


def test_the_producers_trace_each_visible_instances_polygon(polygon_run):
    config, out = polygon_run
    records = list(iter_records(out, num_shards(config), derived=True))
    visible = 0
    for rec in records:
        polygons = rec[DERIVED]["coco"]["polygons"]
        assert len(polygons) == len(rec["instances"])
        for inst, text in zip(rec["instances"], polygons):
            assert (text is None) == (inst["area"] <= 0)
            if text is not None:
                rle = inst["segmentation"]
                assert text == polygon_json(rle) == dump_json([mask_polygon(rle)]).decode()
                np.testing.assert_array_equal(rasterise(json.loads(text), *rle["size"]), decode(rle))
                visible += 1
    assert visible > 20


def test_the_file_is_the_same_when_the_writer_traces_the_polygons(polygon_run, tmp_path):
    """A mix's records, or a dataset's written before, hold no traced polygons: the writer traces
    them and writes the same bytes."""
    config, out = polygon_run
    bare = list(iter_records(out, num_shards(config)))
    assert bare and all(DERIVED not in rec for rec in bare)
    writer = config.writer("coco")
    writer.finalize(iter(bare), tmp_path, config.categories)
    assert (tmp_path / PATH).read_bytes() == (out / PATH).read_bytes()


def test_polygons_of_other_masks_are_not_used(polygon_run, tmp_path):
    """Records edited after the producers traced them (an instance left out, a mask changed) keep
    stale polygons: the writer traces the masks they hold now."""
    config, out = polygon_run
    edited, bare = [], []
    for rec in iter_records(out, num_shards(config), derived=True):
        instances = rec["instances"][1:]
        if instances:
            instances[0] = dict(instances[0], segmentation=rec["instances"][0]["segmentation"])
        edited.append(dict(rec, instances=instances))  # keeps DERIVED, traced from other masks
        bare.append({k: v for k, v in edited[-1].items() if k != DERIVED})
    writer = config.writer("coco")
    writer.finalize(iter(edited), tmp_path / "edited", config.categories)
    writer.finalize(iter(bare), tmp_path / "bare", config.categories)
    assert (tmp_path / "edited" / PATH).read_bytes() == (tmp_path / "bare" / PATH).read_bytes()


def test_boxes_and_areas_are_the_polygons_pixels_and_geometry_stays_float(polygon_run):
    """``bbox`` is the box of exactly the pixels the polygon covers (whole pixels: not a float box
    that no mask has); the sub-pixel geometry is written beside it, in floats."""
    _, out = polygon_run
    coco = json.loads((out / PATH).read_bytes())
    sizes = {i["id"]: (i["height"], i["width"]) for i in coco["images"]}
    fractional = 0
    for ann in coco["annotations"]:
        rle = mask_utils.merge(mask_utils.frPyObjects(ann["segmentation"], *sizes[ann["image_id"]]))
        assert mask_utils.toBbox(rle).tolist() == ann["bbox"] and int(mask_utils.area(rle)) == ann["area"]
        fractional += any(v != int(v) for v in ann.get("quad", []))
    assert fractional, "no text quad with sub-pixel corners: the float geometry went untested"


@pytest.mark.slow  # a run end to end
def test_rle_output_traces_nothing_and_a_finished_run_keeps_no_polygons_of_its_own(tmp_path):
    """The traced polygons live beside the shard records only until coco.json is written: a
    finished dataset's shard records are the same bytes whichever segmentation its COCO file has."""
    config = load_config(ROOT / "configs/ocr_wild.yaml", [*SMALL, "writers.coco.segmentation=rle"])
    generate(config, tmp_path / "ds", progress=False)
    assert not (tmp_path / "ds" / ".synthgen" / "derived").exists()
    records = list(iter_records(tmp_path / "ds", num_shards(config), derived=True))
    assert records and all(DERIVED not in rec for rec in records)
    polygon = load_config(ROOT / "configs/ocr_wild.yaml", SMALL)
    generate(polygon, tmp_path / "poly", workers=2, progress=False)
    assert not (tmp_path / "poly" / ".synthgen" / "derived").exists()
    for shard in range(num_shards(config)):
        assert record_path(tmp_path / "poly", shard).read_bytes() == record_path(tmp_path / "ds", shard).read_bytes()
    anns = json.loads((tmp_path / "ds" / PATH).read_bytes())["annotations"]
    assert anns and all(isinstance(a["segmentation"], dict) for a in anns)


def test_a_mix_of_our_coco_writes_the_same_polygons(polygon_run, tmp_path):
    """Our polygons read by the COCO reader (masks), mixed, and written again: the same polygons,
    each still exact to its instance's mask."""
    from synthgen.mix import load_mix_config, mix

    _, out = polygon_run
    (tmp_path / "mix.yaml").write_text(
        f"name: m\nseed: 3\ncategories: [word, line]\nsources:\n  real: {{path: {out}, format: coco}}\n"
        "splits: {val: 0.2, test: 0.2}\n"
    )
    mix(load_mix_config(tmp_path / "mix.yaml"), tmp_path / "out", progress=False)
    ours = json.loads((out / PATH).read_bytes())["annotations"]
    mixed = []
    for split in ("train", "val", "test"):
        coco = json.loads((tmp_path / "out" / split / PATH).read_bytes())
        sizes = {i["id"]: (i["height"], i["width"]) for i in coco["images"]}
        visible = [inst for s in read_dataset(tmp_path / "out" / split) for inst in s.labels.instances if inst.area > 0]
        assert len(visible) == len(coco["annotations"])
        for ann, inst in zip(coco["annotations"], visible):
            np.testing.assert_array_equal(rasterise(ann["segmentation"], *sizes[ann["image_id"]]), decode(inst.rle))
        mixed += coco["annotations"]
    key = lambda a: json.dumps(a["segmentation"])  # noqa: E731
    assert sorted(map(key, mixed)) == sorted(map(key, ours)) and ours
