"""The command line as a user runs it: generate, validate, preview; light import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["scene.params.width=200", "scene.params.height=150"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synthgen", *args], capture_output=True, text=True, cwd=cwd)


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
    assert proc.returncode == 2 and "coco.json: not found" in proc.stderr
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
