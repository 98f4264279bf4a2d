"""synthgen regress: fingerprints, comparison, report, CLI exit codes and the pytest plugin."""

from __future__ import annotations

import copy
import io
import json
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
    assert "config: scene.params.font_size 14 -> 15" in outcome.text  # the likely cause is named
    assert outcome.report is not None and outcome.report.html.is_file() and outcome.report.png.is_file()
    assert outcome.report.folder == tmp_path / "golden_report"


# --- golden files, workers, report ---------------------------------------------------------------


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


def test_import_stays_light():
    code = "import sys, synthgen.regress, synthgen.pytest_plugin; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --- command line --------------------------------------------------------------------------------


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


def test_pytest_plugin_fixture(pytester):
    small_config(pytester.path)
    pytester.makepyfile(test_data=PLUGIN_TEST)

    missing = pytester.runpytest("-q")
    missing.assert_outcomes(failed=1)
    missing.stdout.fnmatch_lines(["*golden/small.json: golden fingerprint not found*--update*"])

    pytester.runpytest("-q", "--synthgen-update-golden").assert_outcomes(passed=1)
    assert (pytester.path / "golden" / "small.json").is_file()
    pytester.runpytest("-q").assert_outcomes(passed=1)

    small_config(pytester.path, "randint(11, 21)")  # the config changed since the golden was made
    regressed = pytester.runpytest("-q")
    regressed.assert_outcomes(failed=1)
    regressed.stdout.fnmatch_lines(["*REGRESSED*", "*bbox*", "*--synthgen-update-golden*"])
    assert (pytester.path / "golden" / "small_report" / "index.html").is_file()


# --- the project's own configs against tests/golden/ ---------------------------------------------

# Mix configs (configs/mix_*.yaml) are excluded: regress fingerprints a run config's generated
# samples, and a mix generates nothing of its own (it reads datasets); tests/mix checks mixes.
CONFIGS = sorted(p for p in (ROOT / "configs").glob("*.yaml") if not p.name.startswith("mix_"))


@pytest.mark.parametrize("config", CONFIGS, ids=[c.stem for c in CONFIGS])
def test_project_config_matches_its_golden(config, synthgen_regress):
    rel = config.relative_to(ROOT)
    synthgen_regress(str(rel), f"tests/golden/{config.stem}.json")
