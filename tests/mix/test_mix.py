"""synthgen mix: ratios and fill_to hold exactly, validation and test hold only real samples
(stratified by class), provenance is complete, label maps, duplicates, caps, determinism and resume."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from coco_sets import mix_yaml, write_coco
from pycocotools.coco import COCO

from synthgen.dataset import read_dataset
from synthgen.errors import DatasetError
from synthgen.mix import load_mix_config, mix

pytestmark = pytest.mark.slow  # mixes generated and real datasets end to end, several per test

ROOT = Path(__file__).resolve().parents[2]

# 20 real images: 12 car-only, 5 person (+car), 3 bike. 60 synthetic: 50 car, 10 with one bike each.
REAL = [["car"]] * 12 + [["person", "car"]] * 5 + [["bike"]] * 3
SYNTH = [["car", "car"]] * 50 + [["bike"]] * 10

BASE = """\
name: t
seed: 5
shard_size: 7
categories: [car, person, bike]
sources:
  real: {{path: real, format: coco}}
  synth: {{path: synth, format: coco, real: false}}
splits: {{val: 0.2, test: 0.2}}
{extra}
"""


@pytest.fixture
def sets(tmp_path):
    write_coco(tmp_path / "real", REAL, tag=1)
    write_coco(tmp_path / "synth", SYNTH, tag=2)
    return tmp_path


def run(sets: Path, extra: str = "", out: str = "out", **kw):
    config = load_mix_config(mix_yaml(sets, BASE.format(extra=extra)))
    summary = mix(config, sets / out, progress=False, **kw)
    return summary, {s: list(read_dataset(sets / out / s)) for s in ("train", "val", "test")}


def instances(samples, source_kind=None):
    return Counter(
        i.category
        for s in samples
        for i in s.labels.instances
        if source_kind is None or s.meta["source"].startswith(source_kind)
    )


def test_ratio_holds_exactly_and_eval_splits_are_real_and_stratified(sets):
    summary, splits = run(sets, "strategy: {ratio: {real: 1, synthetic: 3}}")
    train = splits["train"]
    real_train = [s for s in train if s.meta["source"] == "real:real"]
    synth_train = [s for s in train if s.meta["source"] == "synthetic:synth"]
    assert len(real_train) + len(synth_train) == len(train)
    assert len(synth_train) == 3 * len(real_train)
    for split in ("val", "test"):
        assert splits[split] and all(s.meta["source"] == "real:real" for s in splits[split])
    # strata by rarest class: car-only 12 -> 2.4 -> 2 each; person 5 -> 1 each; bike 3 -> 1 (0.6) each
    assert len(splits["val"]) == len(splits["test"]) == 4
    for split in ("val", "test"):
        assert instances(splits[split])["bike"] == 1 and instances(splits[split])["person"] == 1
    assert len(real_train) == 12
    assert summary.counts == {"train": 48, "val": 4, "test": 4}


def test_provenance_is_complete(sets):
    _, splits = run(sets, "strategy: {ratio: {real: 1, synthetic: 1}}")
    seen = set()
    for split, samples in splits.items():
        for index, s in enumerate(samples):
            origin = s.meta["origin"]
            assert s.meta["index"] == index and s.meta["split"] == split
            assert origin["source"] in ("real", "synth") and origin["format"] == "coco"
            assert Path(origin["path"]).is_file() and origin["id"] >= 100
            key = (origin["source"], origin["id"])
            assert key not in seen
            seen.add(key)
            # the labels are those of the original image
            names = (REAL if origin["source"] == "real" else SYNTH)[origin["id"] - 100]
            assert sorted(i.category for i in s.labels.instances) == sorted(names)


def test_fill_to_tops_up_rare_classes_exactly(sets):
    _, splits = run(sets, "strategy: {ratio: {real: 1, synthetic: 0}, fill_to: {bike: 9, person: 2}}")
    counts = instances(splits["train"])
    # 1 real bike image stays in training; each synthetic bike sample holds one bike: exactly 9
    assert counts["bike"] == 9
    assert counts["person"] == 3  # the real ones already reach 2: nothing added for person
    assert instances(splits["train"], "synthetic")["bike"] == 8
    assert Counter(s.meta["source"] for s in splits["train"])["synthetic:synth"] == 8


def test_fill_to_reports_what_it_cannot_reach(sets):
    run(sets, "strategy: {fill_to: {person: 50}}")
    report = json.loads((sets / "out/report.json").read_text())
    assert any(n.startswith("fill_to person: 3 of 50") for n in report["notes"])


def test_caps_limit_synthetic_additions(sets):
    _, splits = run(sets, "strategy: {caps: {car: 40}}")
    assert instances(splits["train"])["car"] <= 40
    assert instances(splits["train"], "synthetic")["car"] == 40 - instances(splits["train"], "real")["car"] - (
        (40 - instances(splits["train"], "real")["car"]) % 2
    )


def test_count_and_weights(sets, tmp_path):
    write_coco(sets / "synth2", [["car"]] * 30, tag=3)
    body = BASE.format(extra="strategy: {ratio: {real: 1, synthetic: 2}}").replace(
        "  synth: {path: synth, format: coco, real: false}",
        "  synth: {path: synth, format: coco, real: false, weight: 1}\n  synth2: {path: synth2, format: coco, real: false, weight: 3}",
    )
    mix(load_mix_config(mix_yaml(sets, body)), sets / "w", progress=False)
    train = list(read_dataset(sets / "w" / "train"))
    by = Counter(s.meta["source"] for s in train)
    assert by["synthetic:synth"] + by["synthetic:synth2"] == 24 and by["synthetic:synth2"] == 18


def test_label_map_drop_other_and_error(sets):
    base = BASE.format(extra="").replace("categories: [car, person, bike]", "categories: [vehicle, other]")
    with pytest.raises(DatasetError, match="sources.real: category 'car' .* neither in label_map"):
        mix(load_mix_config(mix_yaml(sets, base)), sets / "o1", progress=False)
    body = base.replace(
        "real: {path: real, format: coco}",
        "real: {path: real, format: coco, label_map: {car: vehicle, person: null}, unmapped: other}",
    )
    body = body.replace(
        "synth: {path: synth, format: coco, real: false}",
        "synth: {path: synth, format: coco, real: false, label_map: {car: vehicle}, unmapped: drop}",
    )
    mix(load_mix_config(mix_yaml(sets, body)), sets / "o2", progress=False)
    report = json.loads((sets / "o2/report.json").read_text())
    assert report["before"]["real"]["dropped_by_label_map"] == {"person": 5}
    assert report["before"]["real"]["instances_mapped"] == {"other": 3, "vehicle": 17}
    assert report["before"]["synth"]["dropped_by_label_map"] == {"bike": 10}
    for split in ("train", "val", "test"):
        for s in read_dataset(sets / "o2" / split):
            assert {i.category for i in s.labels.instances} <= {"vehicle", "other"}


def test_duplicate_images_are_found_and_dropped(sets):
    # synthetic image 0 is a byte copy of real image 3
    (sets / "synth/images/0000.png").write_bytes((sets / "real/images/0003.png").read_bytes())
    summary, splits = run(sets, "")
    assert summary.duplicates == 1
    report = json.loads((sets / "out/report.json").read_text())
    (dup,) = report["duplicates"]
    assert dup["source"] == "synth" and dup["origin"]["id"] == 100 and dup["same_as"]["origin"]["id"] == 103
    assert any("duplicate image of real" in s["reason"] for s in report["before"]["synth"]["skipped"])
    assert not any(s.meta["origin"]["source"] == "synth" and s.meta["origin"]["id"] == 100 for s in splits["train"])


def files_of(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_deterministic_and_resumable(sets):
    extra = "strategy: {ratio: {real: 1, synthetic: 2}}\noutputs: [coco]"
    run(sets, extra, out="a")
    run(sets, extra, out="b", workers=2)  # 2 worker processes, the same bytes
    assert files_of(sets / "a") == files_of(sets / "b")
    # a killed run: the last train shard and the report never written
    shards = sorted((sets / "b/train/.synthgen/shards").glob("*.json"))
    shards[-1].unlink()
    (sets / "b/report.json").unlink()
    summary, _ = run(sets, extra, out="b", workers=2)
    assert summary.written == 36 - 7 * 5 and summary.reused == 44 - summary.written
    assert files_of(sets / "a") == files_of(sets / "b")
    COCO(str(sets / "b/train/annotations/coco.json"))  # pycocotools reads every COCO file


def test_other_seed_other_mix_and_refused_without_overwrite(sets):
    run(sets, "", out="a")
    body = BASE.format(extra="").replace("seed: 5", "seed: 6")
    with pytest.raises(DatasetError, match="use --overwrite"):
        mix(load_mix_config(mix_yaml(sets, body)), sets / "a", progress=False)
    mix(load_mix_config(mix_yaml(sets, body)), sets / "a", progress=False, overwrite=True)
    assert json.loads((sets / "a/mix.json").read_text())["status"] == "complete"


def test_refuses_a_folder_it_did_not_write(sets):
    (sets / "mine").mkdir()
    (sets / "mine/notes.txt").write_text("keep me")
    with pytest.raises(DatasetError, match="not a synthgen mix"):
        run(sets, "", out="mine", overwrite=True)
    assert (sets / "mine/notes.txt").read_text() == "keep me"


def test_cli_mix_and_bad_config_one_line(sets):
    cfg = mix_yaml(sets, BASE.format(extra="strategy: {ratio: {real: 1, synthetic: 1}}"))
    ok = subprocess.run(
        [sys.executable, "-m", "synthgen", "mix", str(cfg), "-o", str(sets / "cli"), "--no-progress"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert ok.returncode == 0, ok.stderr
    assert "mixed train 24, val 4, test 4" in ok.stdout
    assert (sets / "cli/class_balance.png").stat().st_size > 1000
    for override, fragment in [
        ("strategy.ratio.real=0", "strategy.ratio: real must be > 0"),
        ("sources.real.path=nope", "sources.real.path: not found"),
        ("sources.real.format=pascal", "sources.real.format: unknown reader kind 'pascal'"),
        ("sources.real.label_map.car=truck", "sources.real.label_map.car: 'truck' is not a target category"),
        ("strategy.fill_to.tree=3", "strategy.fill_to.tree: is not a target category"),
        ("splits.val=0.9", "splits: val and test must be >= 0 with val + test < 1"),
        ("sources.real.unmapped=other", "sources.real.unmapped: 'other' needs a category named other"),
    ]:
        bad = subprocess.run(
            [sys.executable, "-m", "synthgen", "mix", str(cfg), "-o", str(sets / "bad"), override],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        lines = bad.stderr.strip().splitlines()
        assert bad.returncode == 2 and len(lines) == 1 and fragment in lines[0], (override, bad.stderr)
        assert not (sets / "bad").exists()


def test_api_mix_with_a_generated_source(sets):
    import synthgen

    body = f"""\
name: g
categories: [word]
sources:
  real: {{path: real, format: coco, label_map: {{car: word}}, unmapped: drop}}
  made: {{path: {ROOT / "configs/text_words.yaml"}, format: generate, real: false, label_map: {{text: word}},
          overrides: [num_samples=6, scene.params.width=96, scene.params.height=64, "scene.params.font_size=randint(10, 14)"]}}
splits: {{val: 0.1, test: 0.1}}
strategy: {{ratio: {{real: 4, synthetic: 1}}}}
outputs: [coco, icdar]
"""
    summary = synthgen.mix(mix_yaml(sets, body), sets / "g")
    train = list(read_dataset(sets / "g/train"))
    made = [s for s in train if s.meta["source"] == "synthetic:made"]
    assert len(made) == round(sum(1 for s in train if s.meta["source"] == "real:real") / 4) > 0
    config = synthgen.load_config(
        ROOT / "configs/text_words.yaml",
        ["num_samples=6", "scene.params.width=96", "scene.params.height=64", "scene.params.font_size=randint(10, 14)"],
    )
    for s in made:  # pixels and labels exactly those of make_sample
        original = synthgen.make_sample(config, s.meta["origin"]["id"])
        assert (s.image == original.image).all()
        assert [i.rle for i in s.labels.instances] == [i.rle for i in original.labels.instances]
    assert summary.counts["train"] == len(train)


def test_copy_paste_in_a_mix(sets):
    extra = "strategy: {ratio: {real: 1, synthetic: 0}}\ncopy_paste: {source: synth, p: 1.0, per_image: [1, 2], scale: [0.5, 1.0], categories: [bike], min_area: 4}"
    _, splits = run(sets, extra)
    import cv2

    pasted_total = 0
    for s in splits["train"]:
        assert s.meta["source"] == "real:real" and 1 <= len(s.meta["pasted"]) <= 2
        original = cv2.cvtColor(cv2.imread(s.meta["origin"]["path"]), cv2.COLOR_BGR2RGB)
        changed = (s.image != original).any(axis=-1)
        union = np.zeros(changed.shape, bool)
        for inst in s.labels.instances:
            if inst.attributes.get("pasted"):
                assert inst.category == "bike"
                union |= inst.visible_mask()
                pasted_total += 1
        assert not (changed & ~union).any()  # no pixel changed outside the pasted labels
        # real instances lost the pasted pixels
        for inst in s.labels.instances:
            if not inst.attributes.get("pasted"):
                assert not (inst.visible_mask() & union).any()
    report = json.loads((sets / "out/report.json").read_text())
    assert report["pasted"] == {"bike": sum(len(s.meta["pasted"]) for s in splits["train"])}
    assert pasted_total + sum(s.meta.get("dropped", {}).get("covered_by_paste", 0) for s in splits["train"]) >= 1
    for split in ("val", "test"):
        assert not any("pasted" in s.meta for s in splits[split])


def test_splits_are_marked_synthgen_datasets(sets):
    run(sets, "")
    from synthgen.engine.output import read_marker

    ids = set()
    for split in ("train", "val", "test"):
        marker = read_marker(sets / "out" / split)
        manifest = json.loads((sets / "out" / split / "manifest.json").read_text())
        assert marker is not None and manifest["dataset_id"] == marker["id"]
        ids.add(marker["id"])
    assert len(ids) == 3


def test_the_garbage_collector_is_paused_only_while_sources_are_read(sets, monkeypatch):
    """Reading pauses the cyclic collector (and freezes what it read); the mix turns both back,
    also when reading fails."""
    import gc

    from synthgen.mix import run as mix_run

    seen = []
    read_source = mix_run.read_source

    def watched(source, config):
        seen.append(gc.isenabled())
        return read_source(source, config)

    monkeypatch.setattr(mix_run, "read_source", watched)
    assert gc.isenabled()
    run(sets)
    assert seen == [False, False] and gc.isenabled() and gc.get_freeze_count() == 0
    (sets / "real/annotations/coco.json").write_text("{")
    with pytest.raises(DatasetError, match="not valid JSON"):
        run(sets, out="out2")
    assert gc.isenabled() and gc.get_freeze_count() == 0
    # a caller's own frozen objects (a pre-fork server's, say) stay frozen through a mix
    (sets / "real/annotations/coco.json").unlink()
    gc.freeze()
    try:
        mine = gc.get_freeze_count()
        assert mine > 0
        with pytest.raises(DatasetError):
            run(sets, out="out3")
        assert gc.get_freeze_count() >= mine
    finally:
        gc.unfreeze()


def test_the_report_counts_the_words_a_paste_made_illegible(tmp_path):
    """A word that a pasted object covers in part is flagged illegible (``Change.counts``), and the
    mix report counts it (``illegible_covered``) beside the objects a paste dropped, per split: the
    number of words the written samples hold flagged ``covered``, exactly."""
    write_coco(tmp_path / "real", [["word"]] * 10, tag=3, categories=[{"id": 1, "name": "word"}])
    coco = json.loads((tmp_path / "real/annotations/coco.json").read_text())
    for ann in coco["annotations"]:  # each word fills its 32x24 image: any paste covers part of it
        ann.update(bbox=[0, 0, 32, 24], area=768, text="hi", quad=[0, 0, 32, 0, 32, 24, 0, 24])
    (tmp_path / "real/annotations/coco.json").write_text(json.dumps(coco))
    write_coco(tmp_path / "synth", [["bike"]] * 4, tag=4)
    body = """\
name: t
seed: 5
categories: [word, bike]
sources:
  real: {path: real, format: coco}
  synth: {path: synth, format: coco, real: false, unmapped: drop}
splits: {val: 0.2, test: 0.2}
strategy: {ratio: {real: 1, synthetic: 0}}
copy_paste: {source: synth, p: 1.0, per_image: [1, 1], scale: [0.5, 0.5], categories: [bike], min_area: 4}
"""
    mix(load_mix_config(mix_yaml(tmp_path, body)), tmp_path / "out", progress=False)
    train = list(read_dataset(tmp_path / "out/train"))
    covered = [
        i for s in train for i in s.labels.instances if i.attributes.get("illegible_reason") == "covered"
    ]
    assert len(covered) == len(train) > 0  # every train sample got one paste over its word
    assert all(i.extensions["text"].transcription == "hi" and i.attributes["legible"] is False for i in covered)
    assert [s.meta["dropped"] for s in train] == [{"illegible_covered": 1}] * len(train)
    report = json.loads((tmp_path / "out/report.json").read_text())
    assert report["dropped"] == {"train": {"illegible_covered": len(covered)}, "val": {}, "test": {}}


def test_the_report_puts_a_warps_count_beside_the_pastes():
    """The words a generate source's warp cut (its records' ``meta.dropped``) are counted with the
    pastes' counts of the same split; other reasons of the source and malformed counts are not."""
    from types import SimpleNamespace

    from synthgen.mix.report import flagged

    def planned(meta):
        return SimpleNamespace(lazy=SimpleNamespace(record={"meta": meta}))

    items = [
        planned({"dropped": {"illegible_truncated": 2, "no_room": 5}}),
        planned({"dropped": {"illegible_truncated": 1, "illegible_covered": "x"}}),
        planned({}),
        planned("not a mapping"),
    ]
    pasted = Counter({"illegible_covered": 3, "covered_by_paste": 1})
    assert flagged(items, pasted) == {"covered_by_paste": 1, "illegible_covered": 3, "illegible_truncated": 3}
    assert flagged([], None) == {}
