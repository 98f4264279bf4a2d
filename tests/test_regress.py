"""synthgen regress: fingerprints, comparison, report, CLI exit codes and the pytest plugin."""

from __future__ import annotations

import copy
import io
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from synthgen.cli import main
from synthgen.config import load_run_config
from synthgen.regress import compare_fingerprints, fingerprint_config, fingerprint_samples, load_golden, regress
from synthgen.regress.compare import LABELS, PIXELS, STATS
from synthgen.regress.fingerprint import _in_memory
from synthgen.regress.golden import dumps, save_golden

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
SCENE = ROOT / "scenes" / "text" / "words.yaml"
# Small and fast: 4 samples of 128 x 128 with 2-4 words that fit.
SMALL = f"""\
name: regress_small
seed: 3
num_samples: 4
scene:
  include: {SCENE}
  params:
    width: 128
    height: 128
    words: randint(2, 4)
    font_size: {{font_size}}
regress:
  num: 4
"""


def small_config(tmp_path: Path, font_size: str = "randint(10, 20)", name: str = "small.yaml") -> Path:
    path = tmp_path / name
    path.write_text(SMALL.format(font_size=font_size), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """(config, its (record, image) pairs, its fingerprint), made once for the perturbation tests."""
    path = small_config(tmp_path_factory.mktemp("small"))
    config = load_run_config(path)
    pairs = list(_in_memory(config, config.regress.num))
    assert sum(len(rec["instances"]) for rec, _ in pairs) >= 4, "the small config must draw some words"
    return config, pairs, fingerprint_samples(pairs, config.regress.thumbnail_px)


def perturbed(pairs, edit_record=None, edit_image=None):
    """Copies of (record, image) pairs with edit_record(index, record) / edit_image(index, record, image) applied."""
    out = []
    for rec, img in pairs:
        rec, img = copy.deepcopy(rec), img.copy()
        if edit_record is not None:
            edit_record(rec["index"], rec)
        if edit_image is not None:
            img = edit_image(rec["index"], rec, img)
        out.append((rec, img))
    return out


def first_with(pairs, n_instances: int) -> int:
    return next(rec["index"] for rec, _ in pairs if len(rec["instances"]) >= n_instances)


def text_mask(rec, shape) -> np.ndarray:
    from pycocotools import mask as mask_utils

    mask = np.zeros(shape[:2], bool)
    for inst in rec["instances"]:
        rle = dict(inst["segmentation"], counts=inst["segmentation"]["counts"].encode("ascii"))
        mask |= mask_utils.decode(rle).astype(bool)
    return mask


def compare(small, pairs, **tolerances):
    import dataclasses

    config, _, golden = small
    tol = dataclasses.replace(config.regress, **tolerances)
    return compare_fingerprints(golden, fingerprint_samples(pairs, config.regress.thumbnail_px), tol)


# --- what is caught, and reported as what it is ---------------------------------------------------


def test_identical_generation_matches(small):
    config, _, golden = small
    again = fingerprint_config(config)
    result = compare_fingerprints(golden, again, config.regress)
    assert not result.regressed, result.differences
    assert result.identical_pixels == config.regress.num


def test_jpeg_reencoded_images_pass_the_image_check(small):
    def jpeg95(index, rec, img):
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, "JPEG", quality=95)
        return np.asarray(Image.open(buf).convert("RGB"))

    result = compare(small, perturbed(small[1], edit_image=jpeg95))
    assert not result.regressed, [d.message for d in result.differences]
    assert result.identical_pixels == 0  # pixels did change: the tolerance, not a shortcut, let them pass
    assert all(v < 1.0 for v in result.ssim.values())


def test_one_pixel_box_shift_is_reported_as_bbox_move(small):
    target = first_with(small[1], 1)

    def shift(index, rec):
        if index == target:
            rec["instances"][0]["bbox"][0] += 1

    result = compare(small, perturbed(small[1], edit_record=shift))
    assert [(d.kind, d.what, d.sample, d.instance) for d in result.differences] == [(LABELS, "bbox", target, 0)]
    d = result.differences[0]
    x, y, w, h = d.golden
    assert d.message.startswith(f"sample {target} instance 0 ")
    assert f"bbox [{x},{y},{w},{h}] -> [{x + 1},{y},{w},{h}] (moved +1,+0)" in d.message


def test_tolerant_labels_accept_moves_within_box_tolerance(small):
    target = first_with(small[1], 1)

    def shift_by(px):
        def edit(index, rec):
            if index == target:
                rec["instances"][0]["bbox"][1] += px

        return perturbed(small[1], edit_record=edit)

    assert not compare(small, shift_by(1), labels="tolerant", box_tolerance_px=1.0).regressed
    result = compare(small, shift_by(2), labels="tolerant", box_tolerance_px=1.0)
    assert [d.what for d in result.differences] == ["bbox"]


def test_dropped_instance_is_reported_as_dropped(small):
    target = first_with(small[1], 2)
    golden_rec = next(rec for rec, _ in small[1] if rec["index"] == target)
    n = len(golden_rec["instances"])
    text = golden_rec["instances"][1]["text"]

    def drop(index, rec):
        if index == target:
            del rec["instances"][1]

    result = compare(small, perturbed(small[1], edit_record=drop))
    labels = result.of_kind(LABELS)
    # the other instances are still matched to their golden selves: one difference, not a cascade
    assert [(d.what, d.sample) for d in labels] == [("instances", target)]
    assert labels[0].message == f"sample {target}: {n} instances -> {n - 1} (dropped instance 1 '{text}')"


def test_changed_transcription_is_reported_as_transcription(small):
    target = first_with(small[1], 1)
    old = next(rec for rec, _ in small[1] if rec["index"] == target)["instances"][0]["text"]
    new = old[::-1] + "x"

    def retext(index, rec):
        if index == target:
            rec["instances"][0]["text"] = new

    result = compare(small, perturbed(small[1], edit_record=retext))
    assert [(d.what, d.sample, d.instance) for d in result.differences] == [("transcription", target, 0)]
    assert f"transcription {old!r} -> {new!r}" in result.differences[0].message


def test_text_colour_change_is_reported_as_colour(small):
    def recolour_text(index, rec, img):
        mask = text_mask(rec, img.shape)
        img[mask] = img[mask][:, [1, 2, 0]]
        return img

    result = compare(small, perturbed(small[1], edit_image=recolour_text))
    assert result.regressed
    assert not result.of_kind(LABELS)
    assert result.of_kind(PIXELS) and all(d.what == "colour" for d in result.of_kind(PIXELS))
    assert "colour changed by up to" in result.of_kind(PIXELS)[0].message


def test_background_colour_change_is_reported_as_colour(small):
    def recolour_background(index, rec, img):
        mask = ~text_mask(rec, img.shape)
        img[mask] = img[mask][:, ::-1]
        return img

    result = compare(small, perturbed(small[1], edit_image=recolour_background))
    pixels = result.of_kind(PIXELS)
    assert pixels and not result.of_kind(LABELS)
    assert {d.what for d in pixels} <= {"colour", "ssim"} and "colour" in {d.what for d in pixels}


def test_scrambled_image_fails_ssim(small):
    def scramble(index, rec, img):
        return np.ascontiguousarray(img[::-1, ::-1])

    result = compare(small, perturbed(small[1], edit_image=scramble))
    ssim_fails = [d for d in result.of_kind(PIXELS) if d.what == "ssim"]
    assert ssim_fails and "image changed: SSIM" in ssim_fails[0].message


def test_box_size_statistics_are_compared(small):
    def widen(index, rec):
        for inst in rec["instances"]:
            inst["bbox"][2] = int(inst["bbox"][2] * 1.5)

    # tolerant labels with a huge box tolerance leave only the statistics to catch it
    result = compare(small, perturbed(small[1], edit_record=widen), labels="tolerant", box_tolerance_px=1000.0)
    stats = {d.what: d for d in result.of_kind(STATS)}
    assert "box_width.mean" in stats and not result.of_kind(LABELS)
    assert stats["box_width.mean"].new > stats["box_width.mean"].golden
    assert "tolerance 10%" in stats["box_width.mean"].message


def test_font_size_change_is_caught_by_regeneration(tmp_path):
    golden = tmp_path / "golden.json"
    regress(load_run_config(small_config(tmp_path, "14")), golden, update=True)
    outcome = regress(load_run_config(small_config(tmp_path, "15", "bigger.yaml")), golden)
    assert outcome.status == "regressed" and outcome.exit_code == 1
    resized = [d for d in outcome.comparison.of_kind(LABELS) if d.what == "bbox" and "resized" in d.detail]
    assert resized, outcome.text
    assert "config diff (the likely cause" in outcome.text  # the likely cause is named
    assert "\n  scene.params.font_size 14 -> 15\n" in outcome.text
    assert outcome.report is not None and outcome.report.html.is_file() and outcome.report.png.is_file()
    assert outcome.report.folder == tmp_path / "golden_report"


# --- golden files, workers, report ---------------------------------------------------------------


@pytest.mark.slow  # worker processes
def test_golden_from_one_worker_matches_two_workers(tmp_path):
    config = load_run_config(small_config(tmp_path))
    golden = tmp_path / "g.json"
    assert regress(config, golden, update=True, workers=1).status == "updated"
    outcome = regress(config, golden, workers=2)
    assert outcome.status == "match", outcome.text
    assert outcome.comparison.identical_pixels == config.regress.num


def test_golden_round_trips_and_stays_small(small, tmp_path):
    _, _, fp = small
    path = save_golden(fp, tmp_path / "g.json")
    again = load_golden(path)
    assert dumps(again) == dumps(fp)
    assert path.stat().st_size < 100_000
    assert not [p for p in tmp_path.iterdir() if p.name != "g.json"]  # atomic write left no temp file
    data = json.loads(path.read_text())
    assert set(data["samples"][0]) >= {"instances", "thumbnail", "pixel_hash", "meta"}


def test_report_shows_golden_new_and_difference(tmp_path):
    golden = tmp_path / "g.json"
    regress(load_run_config(small_config(tmp_path, "14")), golden, update=True)
    outcome = regress(load_run_config(small_config(tmp_path, "16", "b.yaml")), golden, report_dir=tmp_path / "rep")
    html = outcome.report.html.read_text()
    worst = outcome.comparison.worst_samples(8)
    assert worst and f"sample {worst[0]}" in html and "data:image/png;base64," in html
    with Image.open(outcome.report.png) as png:
        assert png.width >= 3 * 192  # three tiles side by side
    assert f"report: {outcome.report.html}" in outcome.text


@pytest.mark.slow  # another process
def test_import_stays_light():
    code = "import sys, synthgen.regress, synthgen.pytest_plugin; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --- command line --------------------------------------------------------------------------------


@pytest.mark.slow  # synthgen processes
def test_cli_exit_codes(tmp_path, capsys):
    config = small_config(tmp_path)
    golden = tmp_path / "golden" / "small.json"
    assert main(["regress", str(config), "--golden", str(golden)]) == 2
    assert f"synthgen: error: {golden}: golden fingerprint not found" in capsys.readouterr().err

    assert main(["regress", str(config), "--golden", str(golden), "--update"]) == 0
    assert golden.is_file() and "wrote" in capsys.readouterr().out

    assert main(["regress", str(config), "--golden", str(golden)]) == 0
    assert "ok:" in capsys.readouterr().out

    report = tmp_path / "report"
    code = main(["regress", str(config), "--golden", str(golden), "--report", str(report), "scene.params.font_size=17"])
    out = capsys.readouterr().out
    assert code == 1 and "REGRESSED" in out and "labels:" in out
    assert (report / "index.html").is_file() and (report / "worst.png").is_file()

    assert main(["regress", str(config), "--golden", str(golden), "--num", "2"]) == 1
    assert "golden holds 4 samples, this run made 2" in capsys.readouterr().out

    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{"format": "synthgen-regress-fingerprint", "format_version": 1, "samples": [{"index": 0}]}')
    assert main(["regress", str(config), "--golden", str(corrupt)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"synthgen: error: {corrupt}: corrupt golden") and err.count("\n") == 1

    corrupt.write_text("{not json")
    assert main(["regress", str(config), "--golden", str(corrupt)]) == 2
    assert f"{corrupt}: unreadable golden" in capsys.readouterr().err

    assert main(["regress", str(config), "--golden", str(golden), "regress.min_ssim=1.5"]) == 2
    assert "regress.min_ssim: must be in 0..1" in capsys.readouterr().err


# --- pytest plugin -------------------------------------------------------------------------------

PLUGIN_TEST = """
def test_dataset(synthgen_regress):
    outcome = synthgen_regress("small.yaml", "golden/small.json")
    assert outcome.exit_code == 0
"""


@pytest.mark.slow  # runs pytest over a generated dataset
def test_pytest_plugin_fixture(pytester, monkeypatch):
    small_config(pytester.path)
    pytester.makepyfile(test_data=PLUGIN_TEST)

    missing = pytester.runpytest_subprocess("-q")
    missing.assert_outcomes(failed=1)
    missing.stdout.fnmatch_lines(["*golden/small.json: golden fingerprint not found*--update*"])

    pytester.runpytest_subprocess("-q", "--synthgen-update-golden").assert_outcomes(passed=1)
    assert (pytester.path / "golden" / "small.json").is_file()
    pytester.runpytest_subprocess("-q").assert_outcomes(passed=1)

    small_config(pytester.path, "randint(11, 21)")  # the config changed since the golden was made
    regressed = pytester.runpytest_subprocess("-q")
    regressed.assert_outcomes(failed=1)
    regressed.stdout.fnmatch_lines(["*REGRESSED*", "*bbox*", "*--synthgen-update-golden*"])
    assert regressed.stdout.str().count("config diff") == 1  # the failure is printed once
    # ... also where pytest sees a CI variable (its short summary then repeats whole messages)
    monkeypatch.setenv("CI", "true")
    in_ci = pytester.runpytest_subprocess("-q")
    in_ci.assert_outcomes(failed=1)
    in_ci.stdout.fnmatch_lines(["FAILED test_data.py::test_dataset - Failed: synthgen regress: REGRESSED: *"])
    assert in_ci.stdout.str().count("config diff") == 1
    assert (pytester.path / "golden" / "small_report" / "index.html").is_file()


# --- the project's own configs against tests/golden/ ---------------------------------------------

# Mix configs (configs/mix_*.yaml) are excluded: regress fingerprints a run config's generated
# samples, and a mix generates nothing of its own (it reads datasets); tests/mix checks mixes.
CONFIGS = sorted(p for p in (ROOT / "configs").glob("*.yaml") if not p.name.startswith("mix_"))


def missing_requirement(config: Path) -> str | None:
    """Why a shipped config cannot run on this machine (text_scripts: the Noto fonts named in its
    fonts.paths, from Debian's fonts-noto-core, and the shaping libraries), or None."""
    import yaml

    from synthgen.text import shaping

    params = (yaml.safe_load(config.read_text(encoding="utf-8")).get("scene") or {}).get("params") or {}
    absent = [f for f in (params.get("fonts") or {}).get("paths") or [] if not Path(f).exists()]
    if absent:
        return f"{config.name} needs {absent[0]} (Debian: apt-get install fonts-noto-core)"
    if config.stem == "text_scripts" and shaping.missing_library():
        return f"{config.name} needs {shaping.missing_library()}"
    return None


@pytest.mark.slow  # generates every shipped config
@pytest.mark.parametrize("config", CONFIGS, ids=[c.stem for c in CONFIGS])
def test_project_config_matches_its_golden(config, synthgen_regress):
    if missing_requirement(config):
        pytest.skip(missing_requirement(config))
    synthgen_regress(config.stem, f"tests/golden/{config.stem}.json")  # the shipped config, by name


# --- regress on a plain install (no torch), the grouped report, --update ---------------------------

GOLDENS = sorted((ROOT / "tests" / "golden").glob("*.json"))


def test_ssim_equals_kornia_on_golden_thumbnails():
    torch = pytest.importorskip("torch")
    kornia_ssim = pytest.importorskip("kornia.metrics").ssim
    from synthgen.regress.pixels import SSIM_WINDOW, fit_to, luma, ssim

    thumbs = [s.thumbnail for path in GOLDENS for s in load_golden(path).samples[:3]]
    pairs = [(a, b) for a, b in zip(thumbs, thumbs[1:])]
    pairs += [(t, np.clip(t.astype(int) + 9 * np.sign(np.indices(t.shape).sum(0) % 5 - 2), 0, 255).astype(np.uint8))
              for t in thumbs]
    pairs += [(t, t) for t in thumbs[:2]]
    values = []
    for a, b in pairs:
        b = fit_to(b, a)
        window = SSIM_WINDOW if min(a.shape[:2]) > SSIM_WINDOW else 3
        with torch.no_grad():
            ref = kornia_ssim(torch.from_numpy(luma(a))[None, None], torch.from_numpy(luma(b))[None, None], window,
                              max_val=1.0, padding="valid").mean()
        values.append((ssim(a, b), float(ref)))
    assert len(values) > 20 and min(v for v, _ in values) < 0.5  # unlike and alike pairs both compared
    assert max(abs(v - ref) for v, ref in values) < 1e-4, values  # kornia sums in float32


NO_TORCH = """
import sys
sys.modules["torch"] = None  # import torch raises ImportError, as on a plain install
sys.modules["kornia"] = None
from synthgen.cli import main
code = main(sys.argv[1:])
assert "torch" not in sys.modules or sys.modules["torch"] is None
sys.exit(code)
"""


@pytest.mark.slow  # synthgen processes
def test_regress_without_torch_reports_pixel_changes(tmp_path):
    golden = tmp_path / "g.json"
    regress(load_run_config(small_config(tmp_path, "14")), golden, update=True)
    config = small_config(tmp_path, "14", "b.yaml")
    argv = ["regress", str(config), "--golden", str(golden), "scene.params.background.kind=noise"]
    proc = subprocess.run([sys.executable, "-c", NO_TORCH, *argv], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1, proc.stderr
    assert "pixels:" in proc.stdout and "SSIM" in proc.stdout


def test_a_crash_exits_3_never_1(tmp_path, monkeypatch, capsys):
    import synthgen.regress as regress_module

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(regress_module, "regress", crash)
    assert main(["regress", str(small_config(tmp_path)), "--golden", str(tmp_path / "g.json")]) == 3
    assert "internal error (exit code 3)" in capsys.readouterr().err


def test_report_names_the_config_diff_first_and_keeps_its_consequences_short(tmp_path):
    golden = tmp_path / "g.json"
    regress(load_run_config(small_config(tmp_path, "randint(10, 20)")), golden, update=True)
    outcome = regress(load_run_config(small_config(tmp_path, "randint(10, 21)", "b.yaml")), golden)
    lines = outcome.text.splitlines()
    heads = [line.split(" ")[0].rstrip(":") for line in lines if not line.startswith(" ")]
    assert heads[:3] == ["synthgen", "config", "labels"], outcome.text
    config_at = next(k for k, line in enumerate(lines) if line.startswith("config diff"))
    assert lines[config_at + 1] == "  scene.params.font_size 'randint(10, 20)' -> 'randint(10, 21)'"
    labels_at = next(k for k, line in enumerate(lines) if line.startswith("labels:"))
    assert re.match(r"labels: \d+ samples \((bbox|mask|area|quad|char_quads|transcription|instances) \d+", lines[labels_at])
    section = list(itertools.takewhile(lambda line: line.startswith("  "), lines[labels_at + 1 :]))
    assert 1 <= len([line for line in section if "... and" not in line]) <= 3  # examples, not every moved word


def test_report_without_a_cause_says_the_code_changed(small):
    config, pairs, fp = small

    def shift(index, rec):
        if rec["instances"]:
            rec["instances"][0]["bbox"][0] += 1

    new = fingerprint_samples(perturbed(pairs, shift), config.regress.thumbnail_px)
    assert new.provenance == fp.provenance
    from synthgen.regress.report import summary_text

    text = summary_text(compare_fingerprints(fp, new, config.regress), "c.yaml", "g.json")
    assert "config diff: none; dependency diff: none" in text and "change in the code" in text


def test_update_says_what_it_wrote_and_removes_the_stale_report(tmp_path, capsys):
    config, golden = small_config(tmp_path), tmp_path / "g.json"
    assert main(["regress", str(config), "--golden", str(golden), "--update"]) == 0
    assert main(["regress", str(config), "--golden", str(golden), "scene.params.font_size=17"]) == 1
    report = tmp_path / "g_report"
    assert (report / "index.html").is_file()
    capsys.readouterr()
    assert main(["regress", str(config), "--golden", str(golden), "--update", "scene.params.font_size=17"]) == 0
    out = capsys.readouterr().out
    assert f"wrote {golden} (4 samples" in out and f"removed the stale report {report}/" in out
    assert not report.exists()
    # a folder of the same name that holds anything else is never deleted
    report.mkdir()
    (report / "notes.txt").write_text("mine")
    assert main(["regress", str(config), "--golden", str(golden), "--update"]) == 0
    assert f"kept {report}/" in capsys.readouterr().out and (report / "notes.txt").is_file()


# --- corrupt goldens: refused in one line, exit 2 (never a match, never exit 3) ----------------------


def _first_stat(d: dict, value: object) -> None:
    d["stats"][next(iter(d["stats"]))] = value


CORRUPT = {
    # non-finite numbers: a NaN compares unequal to everything, so a check against it could never fail
    "nan-statistic": (lambda d: _first_stat(d, float("nan")), "NaN"),
    "infinite-statistic": (lambda d: _first_stat(d, float("inf")), "Infinity"),
    "negative-infinite-statistic": (lambda d: _first_stat(d, float("-inf")), "-Infinity"),
    "nan-box": (lambda d: d["samples"][0]["instances"][0].update(bbox=[float("nan")] * 4), "NaN"),
    "nan-in-meta": (lambda d: d["samples"][1]["meta"].update(seed=float("nan")), "NaN"),
    "overflowing-number": (lambda d: d["samples"][0]["instances"][0].update(bbox=["1e999", 0, 1, 1]), "out of range"),
    # wrong shapes and values that crashed further on (exit 3) or were ignored
    "negative-width": (lambda d: d["samples"][0].update(width=-5), "samples[0].width"),
    "category-a-mapping": (lambda d: d["samples"][0]["instances"][0].update(category={"a": 1}), "instances[0]"),
    "negative-box-size": (lambda d: d["samples"][0]["instances"][0].update(bbox=[0, 0, -4, 5]), "bbox"),
    "hash-a-number": (lambda d: d["samples"][0].update(pixel_hash=5), "pixel_hash"),
    "index-a-float": (lambda d: d["samples"][0].update(index=1e308), "samples[0].index"),
    "index-twice": (lambda d: d["samples"].append(copy.deepcopy(d["samples"][0])), "occurs twice"),
    "num-not-the-count": (lambda d: d.update(num="x"), "num"),
    "thumbnail-size-zero": (lambda d: d.update(thumbnail_px=0), "thumbnail_px"),
    "categories-a-number": (lambda d: d["samples"][0].update(categories=5), "categories"),
}


@pytest.fixture(scope="module")
def small_golden(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("golden")
    config, golden = small_config(tmp), tmp / "g.json"
    assert main(["regress", str(config), "--golden", str(golden), "--update"]) == 0
    return config, json.loads(golden.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CORRUPT, ids=list(CORRUPT))
def test_a_corrupt_golden_is_refused_in_one_line(case, small_golden, tmp_path, capsys):
    config, data = small_golden
    mutate, said = CORRUPT[case]
    data = copy.deepcopy(data)
    mutate(data)
    golden = tmp_path / "g.json"
    text = json.dumps(data).replace('"1e999"', "1e999")  # json.dumps cannot write an overflowing number
    golden.write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert main(["regress", str(config), "--golden", str(golden)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(golden) in err[0] and said in err[0], err
    assert golden.read_text(encoding="utf-8") == text and sorted(p.name for p in tmp_path.iterdir()) == ["g.json"]


def test_a_golden_is_never_written_with_a_non_finite_number(small):
    config, pairs, fp = small
    bad = type(fp)(samples=fp.samples, stats={**fp.stats, "x": float("nan")}, provenance=fp.provenance,
                   thumbnail_px=fp.thumbnail_px)
    with pytest.raises(ValueError):
        dumps(bad)
