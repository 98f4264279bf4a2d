"""The built distributions: the wheel, installed (not editable) into a fresh environment, runs every
shipped config by name from a folder outside the repository; the wheel and the sdist carry the
license; the sdist holds what README's `make test` needs (docs, scripts, tests and their goldens)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import site
import subprocess
import sys
import tarfile
import zipfile
from fnmatch import fnmatch
from pathlib import Path

import pytest
from test_regress import missing_requirement

from synthgen.config.shipped import shipped_configs, shipped_scenes
from synthgen.mix.config import is_mix_config

ROOT = Path(__file__).resolve().parents[1]
DIST = "synthgen_cv"  # synthgen-cv as wheel and sdist file names spell it
BUILD_LEFTOVERS = (
    ".git",
    ".venv",
    "out",
    "demo_out",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.pyc",
    "*_report",
    ".pytest_cache",
    ".ruff_cache",
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> dict[str, Path]:
    """The sdist and the wheel, built by setuptools' PEP 517 hooks (what pip and build call)."""
    tmp = tmp_path_factory.mktemp("dists")
    # from a copy: setuptools writes build/ and *.egg-info into the source tree
    src = tmp / "src"
    shutil.copytree(ROOT, src, symlinks=True, ignore=shutil.ignore_patterns(*BUILD_LEFTOVERS))
    build(src, tmp / "dist", "sdist", "wheel")
    (sdist,) = (tmp / "dist").glob(f"{DIST}-*.tar.gz")
    (wheel,) = (tmp / "dist").glob(f"{DIST}-*.whl")
    return {"sdist": sdist, "wheel": wheel}


def build(src: Path, out: Path, *kinds: str) -> None:
    """Run setuptools' build_sdist / build_wheel hooks in ``src``, writing into ``out``."""
    # the folder read before the first hook: setuptools' hooks leave sys.argv rewritten
    hooks = "; ".join(f"b.build_{kind}(d)" for kind in kinds)
    code = f"import sys; from setuptools import build_meta as b; d = sys.argv[1]; {hooks}"
    proc = subprocess.run([sys.executable, "-c", code, out], cwd=src, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.fixture(scope="module")
def venv(dists, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed by pip; the dependencies are this
    environment's (nothing is downloaded)."""
    env = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", env], check=True)
    purelib = Path(python_out(env, "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=env))
    # Plain folder lines: Python does not read the .pth files of folders named this way, so the
    # editable install of the checkout that this environment may hold stays out of sys.path.
    (purelib / "dependencies.pth").write_text("".join(f"{p}\n" for p in site.getsitepackages()))
    # --ignore-installed: a synthgen seen through those folders is never uninstalled
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--python", env / "bin" / "python"]
    proc = subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--ignore-installed", dists["wheel"]],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return env


def clean_env() -> dict[str, str]:
    """This process's environment without what would put the checkout on sys.path."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}


def python_out(env: Path, code: str, cwd: Path) -> str:
    proc = subprocess.run(
        [env / "bin" / "python", "-c", code], cwd=cwd, env=clean_env(), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def synthgen(env: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The installed command, as a user runs it."""
    return subprocess.run(
        [env / "bin" / "synthgen", *args], cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=300
    )


def listed(stdout: str, heading: str) -> list[str]:
    """The names under one heading of ``synthgen list``."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading)) + 1
    names = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        names.append(line.split()[0])
    return names


def header_commands(config: Path) -> list[list[str]]:
    """The example commands of a config's header comment (``#   synthgen ...``)."""
    commands = []
    for line in config.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if line.startswith("#  ") and text.startswith("synthgen "):
            commands.append(shlex.split(text.split("  #")[0])[1:])
    return commands


def test_the_installed_wheel_is_what_imports_and_lists_every_shipped_file(venv, tmp_path):
    purelib = Path(python_out(venv, "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path))
    where = python_out(venv, "import synthgen; print(synthgen.__file__)", cwd=tmp_path)
    assert Path(where).is_relative_to(purelib), where
    versions = "import importlib.metadata as m, synthgen; print(m.version('synthgen-cv'), synthgen.__version__)"
    installed, imported = python_out(venv, versions, cwd=tmp_path).split()
    assert installed == imported
    shown = synthgen(venv, "list", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert listed(shown.stdout, "run configs") == [c.name for c in shipped_configs()]
    assert listed(shown.stdout, "scenes") == [s.name for s in shipped_scenes()]


@pytest.mark.parametrize("config", shipped_configs(), ids=lambda c: c.name)
def test_the_installed_wheel_runs_a_shipped_config_by_name(config, venv, tmp_path):
    if missing_requirement(config.path):
        pytest.skip(missing_requirement(config.path))
    work = tmp_path / "elsewhere"  # outside the repository: nothing resolves against the checkout
    out = work / "out" / config.name
    work.mkdir()
    if is_mix_config(config.path):
        # a mix reads datasets: make them as its header says, then mix by name
        for command in header_commands(config.path):
            if command[0] == "generate":
                prep = synthgen(venv, *command, "--no-progress", cwd=work)
                assert prep.returncode == 0, f"{' '.join(command)}: {prep.stderr}"
        proc = synthgen(venv, "mix", config.name, "-o", str(out), cwd=work)
        assert proc.returncode == 0, proc.stderr
        after = json.loads((out / "report.json").read_text())["after"]
        assert after["train"]["synthetic"]["samples"] > 0 and after["val"]["real"]["samples"] > 0, after
        dataset = out / "train"
    else:
        proc = synthgen(venv, "generate", config.name, "-o", str(out), "--num", "1", "--no-progress", cwd=work)
        assert proc.returncode == 0, proc.stderr
        dataset = out
        assert len(list((dataset / "images").iterdir())) == 1
    manifest = json.loads((dataset / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["counts"]["instances"] > 0, manifest["counts"]
    purelib = Path(python_out(venv, "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=work))
    assert Path(manifest["source"]).is_relative_to(purelib), manifest["source"]  # the wheel's own config
    assert manifest["files"] and all((dataset / name).is_file() for name in manifest["files"])


def test_the_wheel_holds_the_license_and_every_shipped_file(dists):
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = wheel.namelist()
        (license_file,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert wheel.read(license_file) == (ROOT / "LICENSE").read_bytes()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        headers = wheel.read(metadata).decode().split("\n\n")[0].splitlines()
    assert "Name: synthgen-cv" in headers and "License-Expression: Apache-2.0" in headers
    license_text = (ROOT / "LICENSE").read_text()
    assert "Apache License\n" in license_text and "Version 2.0, January 2004" in license_text
    for shipped in [*shipped_configs(), *shipped_scenes()]:
        assert shipped.path.relative_to(ROOT).as_posix() in names


def test_the_sdist_holds_what_make_test_needs(dists):
    with tarfile.open(dists["sdist"]) as sdist:
        top = sdist.getnames()[0].split("/")[0]
        members = {m.name.removeprefix(f"{top}/"): m for m in sdist.getmembers()}
    names = {name for name, m in members.items() if m.isfile()}
    # links, as in the repository: the tests check that configs/ and scenes/ are the shipped folders
    assert members["configs"].issym() and members["configs"].linkname == "synthgen/configs"
    assert members["scenes"].issym() and members["scenes"].linkname == "synthgen/scenes"
    expected = {"LICENSE", "Makefile", "README.md", "pyproject.toml", ".ci/run"}
    for folder in ("docs", "scripts", "tests", "synthgen"):
        for path in (ROOT / folder).rglob("*"):
            parts = path.relative_to(ROOT).parts
            if path.is_file() and not any(fnmatch(part, p) for part in parts for p in BUILD_LEFTOVERS):
                expected.add("/".join(parts))
    assert sorted(expected - names) == []
    goldens = {f"tests/golden/{p.name}" for p in (ROOT / "tests" / "golden").glob("*.json")}
    assert goldens and goldens <= names


def test_the_sdist_builds_the_same_wheel(dists, tmp_path):
    # as pip does where no wheel fits: unpack the sdist (its links included) and build from it
    safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Python 3.10.12+, 3.11.4+
    with tarfile.open(dists["sdist"]) as sdist:
        sdist.extractall(tmp_path / "unpacked", **safe)
    (src,) = (tmp_path / "unpacked").iterdir()
    build(src, tmp_path / "dist", "wheel")
    (wheel,) = (tmp_path / "dist").glob(f"{DIST}-*.whl")
    assert wheel.name == dists["wheel"].name
    with zipfile.ZipFile(wheel) as rebuilt, zipfile.ZipFile(dists["wheel"]) as built:
        assert rebuilt.namelist() == built.namelist()
