"""Shipped configs and scenes: found by name and listed; a bare scene kind gets the shipped scene's
values. (The installed wheel runs each of them by name: tests/test_packaging.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from synthgen.config import load_run_config
from synthgen.config.shipped import CONFIGS_DIR, SCENES_DIR, default_scene, shipped_configs, shipped_scenes
from synthgen.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synthgen", *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_the_repository_folders_are_the_shipped_ones():
    # one copy of each file: configs/ and scenes/ at the root are links into the package
    assert (ROOT / "configs").resolve() == CONFIGS_DIR and (ROOT / "scenes").resolve() == SCENES_DIR
    assert {c.name for c in shipped_configs()} >= {"ocr_wild", "text_words", "ocr_recognition"}
    assert {s.name for s in shipped_scenes()} >= {"ocr/wild", "text/words"}


def test_a_config_and_a_scene_by_name(tmp_path):
    by_name = load_run_config("ocr_wild")
    by_path = load_run_config(str(ROOT / "configs/ocr_wild.yaml"))
    assert by_name.resolved == by_path.resolved
    (tmp_path / "run.yaml").write_text("name: mine\nnum_samples: 2\nscene:\n  include: ocr/wild\n  params: {width: 320}\n")
    mine = load_run_config(tmp_path / "run.yaml")
    assert mine.resolved["scene"]["params"]["width"] == 320
    assert mine.resolved["scene"]["params"]["style"] == by_name.resolved["scene"]["params"]["style"]


def test_unknown_names_list_what_ships(tmp_path):
    with pytest.raises(InputError, match=r"ocr_wid: no such file, and no shipped config .*ocr_wild"):
        load_run_config("ocr_wid")
    (tmp_path / "run.yaml").write_text("name: mine\nscene: {include: ocr/wil}\n")
    with pytest.raises(InputError, match=r"scene.include: no shipped scene 'ocr/wil' .*ocr/wild"):
        load_run_config(tmp_path / "run.yaml")


@pytest.mark.parametrize("scene", ["ocr/wild", "ocr/document", "ocr/receipt", "ocr/recognition", "text/words"])
def test_a_bare_kind_gets_the_shipped_scene(tmp_path, scene):
    path = SCENES_DIR / f"{scene}.yaml"
    kind = load_run_config(CONFIGS_DIR / "text_words.yaml", [f"scene.include={path}"]).scene.kind
    assert default_scene(kind) == path
    (tmp_path / "bare.yaml").write_text(f"name: a\nscene: {{kind: {kind}}}\n")
    (tmp_path / "inc.yaml").write_text(f"name: a\nscene: {{include: {scene}}}\n")
    bare, included = load_run_config(tmp_path / "bare.yaml"), load_run_config(tmp_path / "inc.yaml")
    assert bare.scene == included.scene and bare.resolved["scene"]["params"] == included.resolved["scene"]["params"]
    # a key written beside the kind still wins
    (tmp_path / "bare.yaml").write_text(f"name: a\nscene: {{kind: {kind}, params: {{seed_note: 1}}}}\n")
    with pytest.raises(InputError, match="scene.params.seed_note"):
        load_run_config(tmp_path / "bare.yaml")


def test_the_wild_scene_of_a_bare_kind_rotates_and_curves(tmp_path):
    # the code defaults drew no rotation, perspective or curves: the issue this guards against
    (tmp_path / "bare.yaml").write_text("name: a\nscene:\n  kind: ocr_wild\n  params: {width: 320}\n")
    params = load_run_config(tmp_path / "bare.yaml").resolved["scene"]["params"]
    assert params["width"] == 320 and params["style"]["rotation"] == "normal(0, 12)"
    assert params["style"]["curve_probability"] == 0.25


def test_list_prints_configs_and_scenes(tmp_path):
    proc = run("list", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    wild = next(line for line in lines if line.split()[:1] == ["ocr_wild"])
    assert "Scene text detection" in wild
    assert any(line.split()[:1] == ["ocr/wild"] for line in lines)
    shipped = lines[: next(i for i, line in enumerate(lines) if line.startswith("kinds"))]
    assert len([line for line in shipped if line.startswith("  ")]) == len(shipped_configs()) + len(shipped_scenes())
    scenes = next(line for line in lines if line.split()[:1] == ["scene.kind"])  # then every registry's kinds
    assert {"driving", "shapes", "text_words"} <= set(scenes.replace(",", " ").split())
