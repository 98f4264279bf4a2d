"""The command line as a user runs it: generate, validate, preview; light import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cli_process import CLI
from PIL import Image

pytestmark = pytest.mark.slow  # one synthgen process per case (forked from one that imported the CLI)

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["scene.params.width=200", "scene.params.height=150"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``python -m synthgen *args``: a process of its own, forked from a helper that imported the
    command line once (``cli_process``)."""
    return CLI.run(list(args), cwd or Path.cwd(), timeout=600)


def test_generate_then_preview(tmp_path):
    out = tmp_path / "ds"
    proc = run("generate", str(ROOT / "configs/text_words.yaml"), "-o", str(out), "--num", "6", "--seed", "3",
               "--workers", "2", "--no-progress", *SMALL)
    assert proc.returncode == 0, proc.stderr
    assert "6 samples (6 generated, 0 reused)" in proc.stdout and "samples/s" in proc.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["num_samples"] == 6
    proc = run("preview", str(out), "-n", "4", "--columns", "2", "--tile", "200")
    assert proc.returncode == 0, proc.stderr
    with Image.open(out / "preview.png") as im:
        sheet = np.asarray(im.convert("RGB"))
    assert sheet.shape[1] == 2 * 204 + 4
    # boxes are drawn in pure red over the tiles (tile = image size, so no resampling)
    assert ((sheet[..., 0] == 255) & (sheet[..., 1] == 0) & (sheet[..., 2] == 0)).sum() > 50


def test_preview_of_a_folder_that_is_no_dataset(tmp_path):
    proc = run("preview", str(tmp_path))
    assert proc.returncode == 2 and f"{tmp_path}: not a dataset (no manifest.json, annotations/coco.json" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_validate_prints_resolved_config():
    proc = run("validate", str(ROOT / "configs/text_words.yaml"), "scene.params.font_size=randint(10, 20)")
    assert proc.returncode == 0
    assert "font_size: randint(10, 20)" in proc.stdout and "kind: text_words" in proc.stdout


def test_import_synthgen_is_light():
    code = (
        "import sys, synthgen, synthgen.config, synthgen.types;"
        "heavy = [m for m in ('torch', 'kornia', 'cv2', 'pycocotools', 'pyrender', 'diffusers') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_python_m_and_console_script_agree():
    a = run("--version").stdout.strip()
    b = subprocess.run([str(Path(sys.executable).parent / "synthgen"), "--version"], capture_output=True, text=True).stdout.strip()
    assert a == b and a.startswith("synthgen ")


# --- a command line that guides ---------------------------------------------------------------------


def test_synthgen_alone_lists_the_commands():
    proc = run()
    assert proc.returncode == 0
    for command in ("generate", "validate", "preview", "regress", "list"):
        assert f"    {command}  " in proc.stdout


def test_generate_help_shows_optional_overrides_examples_and_exit_codes():
    proc = run("generate", "--help")
    assert proc.returncode == 0
    assert "config [key=value ...]" in " ".join(proc.stdout.split())  # overrides are optional
    assert "examples:\n  synthgen generate ocr_wild" in proc.stdout
    assert "exit codes:\n  0  done\n  1  internal error" in proc.stdout and "\n  2  bad input" in proc.stdout
    assert "exit codes:" in run("regress", "--help").stdout and "3  internal error" in run("regress", "--help").stdout


def test_validate_marks_overrides_and_keeps_long_values_on_one_line():
    long = "{date} " + "long " * 40
    proc = run("validate", "ocr_recognition", "scene.params.text.source=pattern",
               f"scene.params.text.patterns=['[A-Z]{{3}}', '{long.strip()}']", "num_samples=5")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "num_samples: 5  # overridden" in lines
    assert "      source: pattern  # overridden" in lines and "      patterns:  # overridden" in lines
    assert any(line.endswith(long.strip() + "'") for line in lines)  # not wrapped
    assert sum("# overridden" in line for line in lines) == 3


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("scene.params.fonts.dir=/x", "scene.params.fonts.dir: unknown key 'dir'. Valid keys here: paths, bundled, system, weights, per_family, record."),
        ("scene.params.style.stroke_color=red",
         "scene.params.style.stroke_color: unknown key 'stroke_color'. Did you mean: 'stroke_width' or 'stroke_probability'?"),
        ("scene.params.fonts.paths=/my/fonts",
         "scene.params.fonts.paths: expected a list, got '/my/fonts'; write it in brackets, quoted for the shell: "
         "scene.params.fonts.paths='[/my/fonts]'"),
    ],
)
def test_shell_traps_get_a_line_that_says_what_to_type(override, message):
    proc = run("validate", "ocr_wild", override)
    assert proc.returncode == 2 and proc.stderr == f"synthgen: error: {message}\n"


def test_a_charset_without_patterns_blames_the_charset():
    proc = run("validate", "ocr_recognition", "scene.params.text.charset=digits")
    assert proc.returncode == 2
    assert proc.stderr.startswith("synthgen: error: scene.params.text.charset: no word of the corpus fits the charset")
    assert "scene.params.text.source=pattern" in proc.stderr


def test_an_unquoted_pattern_list_warns():
    proc = run("validate", "ocr_recognition", "scene.params.text.source=pattern", "scene.params.text.patterns=[0-9]")
    assert proc.returncode == 0
    assert proc.stderr == (
        "synthgen: warning: scene.params.text.patterns=[0-9] reads as the list ['0-9'] of literal texts (YAML brackets); "
        "for the pattern [0-9] write scene.params.text.patterns='[\"[0-9]\"]'\n"
    )
    quoted = run("validate", "ocr_recognition", "scene.params.text.source=pattern", 'scene.params.text.patterns=["[0-9]"]')
    assert quoted.returncode == 0 and quoted.stderr == ""


def test_progress_is_plain_lines_off_a_terminal(tmp_path):
    proc = run("generate", str(ROOT / "configs/text_words.yaml"), "-o", str(tmp_path / "ds"), "--num", "4",
               "shard_size=2", *SMALL)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert "\r" not in proc.stderr
    assert "text_words: 4/4 samples (100%)" in lines[-2] and lines[-1] == "text_words: writing coco ..."
    quiet = run("generate", str(ROOT / "configs/text_words.yaml"), "-o", str(tmp_path / "ds"), "--num", "4",
                "shard_size=2", "--no-progress", *SMALL)
    assert quiet.returncode == 0 and quiet.stderr == ""


MIX = """\
name: tiny_mix
categories: [car, person]
sources:
  real: {path: real, format: coco, label_map: {pedestrian: person}}
  synth: {path: synth, format: yolo, real: false, weight: 2}
strategy: {ratio: {real: 1, synthetic: 2}, fill_to: {person: 5}}
splits: {val: 0.2, test: 0.1}
outputs: [coco, yolo]
"""


@pytest.fixture
def mix_yaml(tmp_path) -> Path:
    (tmp_path / "real").mkdir()
    (tmp_path / "synth").mkdir()
    path = tmp_path / "mix.yaml"
    path.write_text(MIX)
    return path


def test_validate_checks_a_mix_config_and_prints_it_resolved(mix_yaml):
    proc = run("validate", str(mix_yaml), "strategy.ratio.synthetic=3", "splits.test=0")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert f"path: {mix_yaml.parent / 'real'}\n" in out and "format: yolo" in out  # paths resolved from the file
    assert "synthetic: 3.0  # overridden" in out and "test: 0.0  # overridden" in out and "val: 0.2\n" in out
    assert "# a mix config, checked: categories, every source" in out
    assert proc.stderr == ""


def test_validate_takes_a_shipped_mix_config_by_name(tmp_path):
    proc = run("validate", "mix_words", f"sources.real.path={tmp_path}")
    assert proc.returncode == 0, proc.stderr
    assert "name: mix_words" in proc.stdout and f"path: {tmp_path}  # overridden" in proc.stdout


@pytest.mark.parametrize(
    "override,message",
    [
        ("sources.real.format=pascal", "sources.real.format: unknown reader kind 'pascal'; valid kinds: coco,"),
        ("sources.real.label_map.pedestrian=dog", "sources.real.label_map.pedestrian: 'dog' is not a target category"),
        ("sources.synth.path=nowhere", "sources.synth.path: not found: "),
        ("sources.synth.real=true", "strategy.ratio: asks for synthetic samples but no source is synthetic"),
        ("strategy.caps.person=2", "strategy.caps.person: 2 is below fill_to 5"),
        ("splits.val=0.95", "splits: val and test must be >= 0 with val + test < 1"),
        ("outputs=[coco,pdf]", "outputs[1]: unknown writer kind 'pdf'"),
        ("sources.real.weigth=2", "sources.real.weigth"),
    ],
)
def test_validate_refuses_a_bad_mix_config_in_one_line(mix_yaml, override, message):
    proc = run("validate", str(mix_yaml), override)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(f"synthgen: error: {message}") and len(proc.stderr.splitlines()) == 1, proc.stderr


def test_mix_source_paths_are_relative_to_the_config_as_written(tmp_path):
    """configs/ is a link into the package: configs/../out is the folder beside the link."""
    (tmp_path / "pkg/configs").mkdir(parents=True)
    (tmp_path / "configs").symlink_to(tmp_path / "pkg/configs")
    (tmp_path / "out/real").mkdir(parents=True)
    (tmp_path / "out/synth").mkdir()
    (tmp_path / "pkg/configs/mix.yaml").write_text(MIX.replace("path: real", "path: ../out/real").replace("path: synth", "path: ../out/synth"))
    proc = run("validate", "configs/mix.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"path: {tmp_path / 'out/real'}\n" in proc.stdout


@pytest.mark.parametrize(
    "command,config,message",
    [
        (["generate"], "mix_words", "mix_words: this is a mix config: use `synthgen mix`"),
        (["generate"], "{mix}", "{mix}: this is a mix config: use `synthgen mix`"),
        (["regress"], "mix_words", "mix_words: this is a mix config: use `synthgen mix`"),
        (["mix"], "ocr_wild", "ocr_wild: this is a run config: use `synthgen generate`"),
        (["mix"], str(ROOT / "configs/shapes.yaml"), "{shapes}: this is a run config: use `synthgen generate`"),
    ],
)
def test_the_wrong_command_for_a_config_names_the_right_one(mix_yaml, command, config, message):
    """Checked before the config's keys (a mix config's categories: is a list, which a run config
    would refuse as a misfit; a run config's num_samples is no key of a mix) and before OUT exists."""
    config, message = config.format(mix=mix_yaml), message.format(mix=mix_yaml, shapes=ROOT / "configs/shapes.yaml")
    out = mix_yaml.parent / "out"
    extra = ["--golden", str(mix_yaml.parent / "g.json")] if command == ["regress"] else ["-o", str(out)]
    proc = run(*command, config, *extra, "num_samples=3")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == f"synthgen: error: {message}\n"
    assert not out.exists() and not (mix_yaml.parent / "g.json").exists()
