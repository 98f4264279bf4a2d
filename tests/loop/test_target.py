"""synthgen target: matching (COCOeval, per-sample JSONL, recognition TSV), the breakdown and the
shifted config, with results built from the labels so that every expected number is known."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

import synthgen
from synthgen.cli import main
from synthgen.config.distributions import Choice, Piecewise, Uniform, parse_value
from synthgen.errors import ConfigError
from synthgen.loop.breakdown import Parameter, Slice, wilson
from synthgen.loop.results import Matching, edit_distance
from synthgen.loop.shift import Limits, reweight, shift_config
from synthgen.loop.target import target

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("shapes") / "ds"
    synthgen.generate_dataset(synthgen.load_config(ROOT / "configs" / "shapes.yaml", ["num_samples=16"]), out)
    return out


@pytest.fixture(scope="module")
def samples(shapes):
    return list(synthgen.read_dataset(shapes))


def detections(samples, drop=lambda sample, inst: False, move=0.0, score=0.9):
    out = []
    for s in samples:
        ids = {c.name: c.id for c in s.labels.categories.categories}
        for inst in s.labels.instances:
            if inst.visible and not drop(s, inst):
                x, y, w, h = inst.bbox
                out.append(
                    {
                        "image_id": s.meta["index"],
                        "category_id": ids[inst.category],
                        "bbox": [x + move * w, y, w, h],
                        "score": score,
                    }
                )
    return out


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data))
    return path


@pytest.mark.slow  # generates and scores datasets
def test_detections_of_every_label_but_one_kind_shift_the_kinds_toward_it(shapes, samples, tmp_path):
    dets = write_json(tmp_path / "dets.json", detections(samples, drop=lambda s, i: i.category == "hexagon"))
    out = tmp_path / "round1.yaml"
    outcome = target(shapes, dets, out, report=tmp_path / "report")
    visible = [i for s in samples for i in s.labels.instances if i.visible]
    hexagons = sum(i.category == "hexagon" for i in visible)
    assert (outcome.units, outcome.failures) == (len(visible), hexagons)
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    category = next(p for p in report["parameters"] if p["name"] == "instance.category")
    assert category["config_key"] == "scene.params.kinds" and category["significant"]
    rates = {s["label"]: (s["rate"], s["count"]) for s in category["slices"]}
    assert rates["hexagon"] == (1.0, hexagons)
    assert all(rate == 0.0 for label, (rate, _) in rates.items() if label != "hexagon")
    assert report["parameters"][0]["name"] == "instance.category"  # the largest gap first
    synthgen.load_config(out)
    kinds = parse_value(yaml.safe_load(out.read_text())["scene"]["params"]["kinds"], "k", "str")
    assert isinstance(kinds, Choice)
    weights = dict(zip(kinds.options, kinds.weights))
    # hexagon doubles (the max shift, 2); the others share the rest, none below min_weight, none to zero
    assert weights["hexagon"] == pytest.approx(2 / 7, abs=1e-3)
    assert all(w == pytest.approx((1 - 2 / 7) / 6, abs=1e-3) for k, w in weights.items() if k != "hexagon")
    assert outcome.changes[0].key == "scene.params.kinds"
    assert "hexagon 0.143->0.286" in outcome.changes[0].why
    text = out.read_text()
    assert text.startswith("# Written by synthgen target") and "changed scene.params.kinds" in text
    assert (tmp_path / "report" / "error_by_parameter.png").stat().st_size > 10_000
    assert "| hexagon |" in (tmp_path / "report" / "report.md").read_text()
    # same inputs, same config, byte for byte; the new config runs
    target(shapes, dets, tmp_path / "again.yaml")
    assert (tmp_path / "again.yaml").read_bytes() == out.read_bytes()
    sample = synthgen.make_sample(synthgen.load_config(out), 0)
    assert sample.meta["seed"] != samples[0].meta["seed"]  # seed + 1: new samples


def test_cocoeval_matching_iou_category_and_score(shapes, samples, tmp_path):
    # shifted by a fifth of their width: IoU = 0.8 / 1.2 = 0.67 matches at 0.5, not at 0.75
    dets = write_json(tmp_path / "moved.json", detections(samples, move=0.2))
    assert target(shapes, dets, tmp_path / "a.yaml", matching=Matching(iou=0.5)).failures == 0
    visible = sum(i.visible for s in samples for i in s.labels.instances)
    assert target(shapes, dets, tmp_path / "b.yaml", matching=Matching(iou=0.75)).failures == visible
    low = write_json(tmp_path / "low.json", detections(samples, score=0.3))
    assert target(shapes, low, tmp_path / "c.yaml").failures == visible  # below the 0.5 threshold
    assert target(shapes, low, tmp_path / "d.yaml", matching=Matching(score_threshold=0.2)).failures == 0
    wrong = detections(samples)
    for d in wrong:
        d["category_id"] = d["category_id"] % 7 + 1
    assert target(shapes, write_json(tmp_path / "wrong.json", wrong), tmp_path / "e.yaml").failures == visible


def test_per_sample_losses_and_a_mapped_randint(shapes, samples, tmp_path):
    # a loss that grows with the number of shapes: the worst fifth are the most crowded images
    rows = [
        {"index": s.meta["index"], "loss": float(s.meta["scene"]["shapes_sampled"]) + 0.01 * n}
        for n, s in enumerate(samples)
    ]
    path = tmp_path / "losses.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    outcome = target(
        shapes,
        path,
        tmp_path / "r.yaml",
        report=tmp_path / "rep",
        min_count=1,
        maps={"scene.shapes_sampled": "scene.params.shapes"},
    )
    assert (outcome.units, outcome.failures) == (16, 3)  # 16 distinct losses: 3 above their 0.8 quantile
    report = json.loads((tmp_path / "rep" / "report.json").read_text())
    param = next(p for p in report["parameters"] if p["name"] == "scene.shapes_sampled")
    assert param["config_key"] == "scene.params.shapes"
    cut = np.quantile([r["loss"] for r in rows], 0.8)
    assert report["matching"]["failure"] == f"loss > {cut:.6g}"
    for s in param["slices"]:  # one slice per value of randint(4, 10), failures exactly the rows above the cut
        members = [r for r, smp in zip(rows, samples) if str(smp.meta["scene"]["shapes_sampled"]) == s["label"]]
        assert (s["count"], s["failures"]) == (len(members), sum(r["loss"] > cut for r in members))


@pytest.mark.slow  # generates and scores datasets
def test_recognition_predictions(tmp_path):
    data = tmp_path / "crops"
    synthgen.generate_dataset(synthgen.load_config(ROOT / "configs" / "ocr_recognition.yaml", ["num_samples=12"]), data)
    truth = dict(line.split("\t") for line in (data / "recognition" / "labels.tsv").read_text().splitlines())
    assert len(truth) == 12
    preds = []
    for n, (crop, text) in enumerate(sorted(truth.items())):
        preds.append(f"{crop}\t{text if n % 3 else text[:-1] + '#'}")  # every third crop: its last letter wrong
    path = tmp_path / "pred.tsv"
    path.write_text("\n".join(preds) + "\n")
    outcome = target(data, path, tmp_path / "r.yaml", report=tmp_path / "rep")
    assert (outcome.units, outcome.failures) == (12, 4)
    report = json.loads((tmp_path / "rep" / "report.json").read_text())
    expected = np.mean([1 / len(t) if n % 3 == 0 else 0 for n, t in enumerate(v for _, v in sorted(truth.items()))])
    assert report["matching"]["mean_cer"] == pytest.approx(expected)
    assert {p["name"] for p in report["parameters"]} >= {"scene.background", "instance.font"}
    # one wrong letter of at most 20 is within a CER of 0.5
    assert target(data, path, tmp_path / "r2.yaml", matching=Matching(max_cer=0.5)).failures == 0


@pytest.mark.slow  # generates and scores datasets
def test_a_failing_font_weighs_more(tmp_path):
    data = tmp_path / "crops"
    synthgen.generate_dataset(synthgen.load_config(ROOT / "configs" / "ocr_recognition.yaml", ["num_samples=40"]), data)
    fonts = {}
    for s in synthgen.read_dataset(data):
        fonts[f"images/{s.meta['index']:09d}_0.png"] = s.meta["scene"]["font"]
    worst = max(set(fonts.values()), key=lambda f: (list(fonts.values()).count(f), f))
    truth = dict(line.split("\t") for line in (data / "recognition" / "labels.tsv").read_text().splitlines())
    path = tmp_path / "pred.tsv"
    path.write_text("".join(f"{c}\t{t + 'x' if fonts[c] == worst else t}\n" for c, t in truth.items()))
    outcome = target(data, path, tmp_path / "r.yaml", min_count=3)
    assert outcome.failures == list(fonts.values()).count(worst) > 0
    change = next(c for c in outcome.changes if c.key == "scene.params.fonts.weights")
    weights = yaml.safe_load((tmp_path / "r.yaml").read_text())["scene"]["params"]["fonts"]["weights"]
    assert weights[worst] == 2.0 and all(0.5 <= w < 1 for f, w in weights.items() if f != worst)
    assert f"{worst} x2.00" in change.why
    synthgen.make_sample(synthgen.load_config(tmp_path / "r.yaml"), 0)  # the weights name fonts the run has


def test_edit_distance_and_wilson():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("same", "same") == 0
    low, high = wilson(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)  # the textbook Wilson interval of 5/10
    # all wrong / all right: the interval still holds the rate (rounding left 10/10's high at 1 - 1e-16,
    # a negative error bar that matplotlib refused in the report's figure)
    for n in (10, 13, 15, 33, 300):
        assert wilson(n, n)[1] == 1.0 and wilson(0, n)[0] == 0.0


def test_reweight_keeps_the_limits():
    base = [0.5, 0.3, 0.15, 0.05]
    new = reweight(base, [0.9, 0.0, 0.0, None], 0.3, Limits(max_shift=1.5, min_weight=0.04))
    assert sum(new) == pytest.approx(1.0)
    for b, n in zip(base, new):
        assert b / 1.5 - 1e-9 <= n <= b * 1.5 + 1e-9
        assert n >= min(b, 0.04) - 1e-9


def test_a_uniform_becomes_a_piecewise_over_its_bins():
    config = {"seed": 0, "scene": {"kind": "x", "params": {"radius": "uniform(10, 50)"}}}
    slices = tuple(
        Slice(f"[{a}, {a + 10})", 40, f, f / 40, *wilson(f, 40), edges=(a, a + 10))
        for a, f in zip((10, 20, 30, 40), (2, 2, 2, 30))
    )
    param = Parameter("scene.radius", True, slices, 0.7, True, "scene.params.radius")
    new, changes, kept = shift_config(config, [param], 36 / 160, Limits(max_shift=3))
    dist = parse_value(new["scene"]["params"]["radius"], "scene.params.radius")
    assert isinstance(dist, Piecewise) and dist.edges == (10, 20, 30, 40, 50)
    assert dist.weights[3] == max(dist.weights) and min(dist.weights) > 0
    assert changes[0].before == "uniform(10, 50)" and not kept


def test_piecewise_distribution():
    dist = parse_value("piecewise([0, 1, 3], [0.25, 0.75])", "k")
    assert dist == Piecewise((0.0, 1.0, 3.0), (0.25, 0.75)) and dist.support() == (0.0, 3.0)
    draws = np.array([dist.sample(np.random.default_rng(s)) for s in range(4000)])
    assert draws.min() >= 0 and draws.max() < 3
    assert abs((draws < 1).mean() - 0.25) < 0.03
    assert parse_value(str(dist), "k") == dist  # written as it reads
    assert isinstance(parse_value("uniform(0, 1)", "k"), Uniform)
    for bad, message in [
        ("piecewise([0, 1], [1, 2])", "one weight per bin"),
        ("piecewise([1, 0], [1])", "edges must increase"),
        ("piecewise([0, 1], [-1])", "non-negative"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse_value(bad, "scene.params.radius")


def run_cli(args, capsys):
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's own checks exit from the parser
        code = exc.code
    err = capsys.readouterr().err
    return code, err


@pytest.mark.parametrize(
    "results, message",
    [
        ([{"image_id": 999, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 1}], "unknown image_id 999"),
        ([{"image_id": 0, "category_id": 42, "bbox": [0, 0, 5, 5], "score": 1}], "unknown category_id 42"),
        ([{"image_id": 0, "category_id": 1, "bbox": [0, 0, 5], "score": 1}], "bbox must be"),
        ({"image_id": 0}, "a JSON list of detections"),
        ("not json", "not JSON"),
    ],
)
def test_bad_results_one_line_exit_2_nothing_written(shapes, tmp_path, capsys, results, message):
    path = tmp_path / "bad.json"
    path.write_text(results if isinstance(results, str) else json.dumps(results))
    code, err = run_cli(
        [
            "target",
            str(shapes),
            "--results",
            str(path),
            "-o",
            str(tmp_path / "n.yaml"),
            "--report",
            str(tmp_path / "r"),
        ],
        capsys,
    )
    assert code == 2 and message in err and err.count("\n") == 1
    assert not (tmp_path / "n.yaml").exists() and not (tmp_path / "r" / "report.json").exists()


def test_bad_arguments_and_paths(shapes, tmp_path, capsys):
    dets = tmp_path / "d.json"
    dets.write_text("[]")
    out = tmp_path / "keep.yaml"
    out.write_text("mine")
    cases = [
        (["--results", str(dets), "-o", str(out)], "exists"),
        (["--results", str(tmp_path / "d.csv"), "-o", str(tmp_path / "x.yaml")], "unknown results file type"),
        (["--results", str(tmp_path / "none.json"), "-o", str(tmp_path / "x.yaml")], "no such file"),
        (["--results", str(dets), "-o", str(tmp_path / "x.yaml"), "--max-shift", "0.5"], "--max-shift"),
        (["--results", str(dets), "-o", str(tmp_path / "x.yaml"), "--iou", "2"], "--iou"),
        (["--results", str(dets), "-o", str(tmp_path / "x.txt")], ".yaml"),
        (["--results", str(dets), "-o", str(tmp_path / "x.yaml"), "--map", "nothing"], "--map"),
        (
            ["--results", str(dets), "-o", str(tmp_path / "x.yaml"), "--map", "scene.nope=scene.params.shapes"],
            "no recorded parameter",
        ),
    ]
    for args, message in cases:
        code, err = run_cli(["target", str(shapes), *args], capsys)
        assert code == 2 and message in err and err.count("\n") == 1, (args, err)
    assert out.read_text() == "mine" and not (tmp_path / "x.yaml").exists()
    code, err = run_cli(
        ["target", str(tmp_path / "missing"), "--results", str(dets), "-o", str(tmp_path / "x.yaml")], capsys
    )
    assert code == 2 and err.count("\n") == 1


def test_per_sample_bad_rows(shapes, tmp_path, capsys):
    for rows, message in [
        ([{"index": 77, "correct": True}], "unknown sample 77"),
        ([{"index": 0, "instance": 99, "correct": True}], "instance 99"),
        ([{"index": 0, "correct": True, "loss": 1.0}], "exactly one of"),
        ([{"index": 0, "correct": True}, {"index": 1, "loss": 2.0}], "one kind of result"),
        ([{"index": 0, "correct": True}, {"index": 0, "correct": False}], "a second result"),
    ]:
        path = tmp_path / "r.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in rows))
        code, err = run_cli(["target", str(shapes), "--results", str(path), "-o", str(tmp_path / "x.yaml")], capsys)
        assert code == 2 and message in err, err


@pytest.mark.parametrize("command", ["target", "assist"])
def test_help_has_examples(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0 and "examples:" in out and f"synthgen {command} " in out and "exit codes:" in out


def test_a_mixed_sample_records_its_origins_parameters_and_the_mix_names_its_run_config(samples):
    from dataclasses import replace

    from synthgen.loop.target import _mix_source_config
    from synthgen.loop.units import sample_fields

    origin = {"source": "synthetic", "format": "generate", "meta": samples[0].meta}
    mixed = replace(samples[0], meta={"index": 3, "split": "train", "source": "synthetic:gen", "origin": origin})
    fields = sample_fields(mixed)
    assert fields["source"] == "synthetic:gen" and fields["scene.background"] == samples[0].meta["scene"]["background"]
    real = replace(samples[0], meta={"index": 4, "source": "real:coco", "origin": {"source": "coco", "format": "coco"}})
    assert sample_fields(real) == {"source": "real:coco"}
    sources = {
        "real": {"path": "x", "format": "coco"},
        "gen": {
            "path": str(ROOT / "configs" / "shapes.yaml"),
            "format": "generate",
            "overrides": ["scene.params.radius=uniform(20, 40)"],
        },
    }
    config = _mix_source_config(sources)
    assert config["scene"]["params"]["radius"] == "uniform(20, 40)" and config["name"] == "shapes"
    assert _mix_source_config({**sources, "gen2": sources["gen"]}) is None  # two: --config says which
