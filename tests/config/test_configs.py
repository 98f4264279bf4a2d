"""Every shipped config loads; each kind of bad input gives one line naming its key path."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_process import CLI

from synthgen.cli import main
from synthgen.config import load_run_config
from synthgen.errors import ConfigError, InputError
from synthgen.mix import is_mix_config, load_mix_config

ROOT = Path(__file__).resolve().parents[2]
# configs/mix_*.yaml are mix configs (synthgen mix), loaded by the mix loader below
MIX_CONFIGS = sorted(p for p in (ROOT / "configs").glob("*.yaml") if is_mix_config(p))
RUN_CONFIGS = sorted(p for p in (ROOT / "configs").glob("*.yaml") if p not in MIX_CONFIGS)
SCENE_FILES = sorted((ROOT / "scenes").rglob("*.yaml"))


@pytest.mark.parametrize("path", RUN_CONFIGS, ids=lambda p: p.name)
def test_every_run_config_loads(path):
    import yaml

    params = (yaml.safe_load(path.read_text(encoding="utf-8")).get("scene") or {}).get("params") or {}
    absent = [f for f in (params.get("fonts") or {}).get("paths") or [] if not Path(f).exists()]
    if absent:  # text_scripts names the Noto faces of Debian's fonts-noto-core
        pytest.skip(f"{path.name} needs {absent[0]} (Debian: apt-get install fonts-noto-core)")
    config = load_run_config(path)
    assert config.num_samples > 0
    assert config.scene.settings is not None


@pytest.fixture(scope="module")
def tiny_text_dataset(tmp_path_factory) -> Path:
    """A 2-sample text_words dataset (COCO and synthgen layouts), standing in for a mix's real data."""
    from synthgen.engine import generate

    out = tmp_path_factory.mktemp("real") / "ds"
    overrides = ["num_samples=2", "scene.params.width=64", "scene.params.height=64", "scene.params.font_size=randint(10, 12)"]
    generate(load_run_config(ROOT / "configs/text_words.yaml", overrides), out, progress=False)
    return out


@pytest.mark.parametrize("path", MIX_CONFIGS, ids=lambda p: p.name)
def test_every_mix_config_loads(path, tiny_text_dataset):
    """A shipped mix names data the user makes first (README); a source path that is not there yet
    is pointed at a tiny dataset, and everything else in the config is checked as written."""
    import yaml

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    overrides = [  # a generate source names a run config (a shipped one by name), made on the fly
        f"sources.{name}.path={tiny_text_dataset}"
        for name, s in raw["sources"].items()
        if s.get("format") != "generate" and not (path.parent / s["path"]).exists()
    ]
    config = load_mix_config(path, overrides)
    assert config.sources and len(config.categories) > 0
    assert path.name.startswith("mix_")


def test_mix_configs_exist():
    assert MIX_CONFIGS and all(p.name.startswith("mix_") for p in MIX_CONFIGS)
    assert not any(is_mix_config(p) for p in RUN_CONFIGS)


@pytest.mark.parametrize("path", SCENE_FILES, ids=lambda p: str(p.relative_to(ROOT / "scenes")))
def test_every_scene_file_loads(tmp_path, path):
    run = tmp_path / "run.yaml"
    run.write_text(f"name: t\nnum_samples: 1\nscene:\n  include: {path}\n")
    config = load_run_config(run)
    assert config.scene.kind == load_run_config(run).scene.kind


def test_run_configs_and_scenes_exist():
    assert (ROOT / "configs" / "text_words.yaml") in RUN_CONFIGS
    assert SCENE_FILES


def _cfg(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(f"name: bad\nnum_samples: 2\nscene:\n  include: {ROOT / 'scenes/text/words.yaml'}\n{body}")
    return path


BAD = [
    ("num_samplez: 3\n", [], "num_samplez", "did you mean"),
    ("", ["scene.params.font_sze=20"], "scene.params.font_sze", "font_size"),
    ("", ["scene.params.width=wide"], "scene.params.width", "wide"),
    ("", ["scene.params.font_size=randint(64, 18)"], "scene.params.font_size", "randint low 64 > high 18"),
    ("", ["num_samples=-5"], "num_samples", "must be > 0"),
    ("", ["scene.params.fonts.paths=[/nonexistent/fonts]"], "scene.params.fonts.paths[0]", "not found"),
    ("", ["scene.params.background.image_dir=/nonexistent/bg"], "scene.params.background.image_dir", "not found"),
    ("", ["scene.kind=text_wordz"], "scene.kind", "unknown scene kind 'text_wordz'; valid kinds: "),
    ("", ["scene.params.rotation=uniform(10, -10)"], "scene.params.rotation", "uniform low 10"),
    ("", ["scene.params.rotation=gauss(0, 1)"], "scene.params.rotation", "unknown distribution"),
    ("", ["scene.params.corpus.case=choice([lower, shouty])"], "scene.params.corpus.case", "'shouty'"),
    ("", ["scene.params.corpus.file=/nonexistent/words.txt"], "scene.params.corpus.file", "not found"),
    ("", ["outputs=[coco,pascal]"], "outputs[1]", "valid kinds"),
    ("", ["scene.params.background.kind=image"], "scene.params.background.kind", "image_dir"),
    ("", ["scene.params=[1,2]"], "scene.params", "expected a mapping, got a list"),
    ("", ["scene.params.fonts=3"], "scene.params.fonts", "expected a mapping"),
    ("", ["image=3"], "image", "expected a mapping"),
    ("", ["scene=[1]"], "scene", "expected a mapping"),
    ("", ["scene.params.corpus.case=[lower"], "scene.params.corpus.case", "cannot read the value '[lower'"),
    ("", ["scene.params.font_size=2"], "scene.params.font_size", "must be >= 4, got 2"),
]


@pytest.mark.parametrize("body,overrides,key,fragment", BAD, ids=[b[2] for b in BAD])
def test_bad_config_names_key(tmp_path, body, overrides, key, fragment):
    with pytest.raises(ConfigError) as err:
        load_run_config(_cfg(tmp_path, body), overrides)
    message = str(err.value)
    assert message.startswith(f"{key}: "), message
    assert fragment.lower() in message.lower(), message
    assert "\n" not in message


def test_malformed_yaml_names_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="broken.yaml: not valid YAML"):
        load_run_config(path)


def test_missing_config_file(tmp_path):
    with pytest.raises(InputError, match="config file not found"):
        load_run_config(tmp_path / "nope.yaml")


def test_missing_font_file_in_folder(tmp_path):
    empty = tmp_path / "fonts"
    empty.mkdir()
    with pytest.raises(ConfigError, match=r"scene.params.fonts.paths\[0\]: no .ttf"):
        load_run_config(_cfg(tmp_path, ""), [f"scene.params.fonts.paths=[{empty}]"])


def test_corrupt_font_file(tmp_path):
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"not a font at all")
    with pytest.raises(ConfigError, match="cannot load font"):
        load_run_config(_cfg(tmp_path, ""), [f"scene.params.fonts.paths=[{bad}]"])


def test_integer_where_a_float_or_distribution_stands(tmp_path):
    config = load_run_config(_cfg(tmp_path, ""), ["scene.params.rotation=5"])
    assert config.scene.settings.rotation.sample(None) == 5


def test_overrides_apply_and_validate_prints_resolved(tmp_path, capsys):
    path = _cfg(tmp_path, "")
    config = load_run_config(path, ["scene.params.font_size=randint(10, 12)", "seed=7"])
    assert config.seed == 7
    assert str(config.scene.settings.font_size) == "randint(10, 12)"
    assert main(["validate", str(path), "scene.params.width=300"]) == 0
    out = capsys.readouterr().out
    assert "width: 300" in out and "kind: text_words" in out


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["generate", "CFG", "--num", "-3"], "--num: must be > 0"),
        (["generate", "CFG", "--workers", "two"], "expected a whole number"),
        (["generate", "CFG", "scene.params.font_size=randint(64, 18)"], "scene.params.font_size: randint low 64 > high 18"),
        (["generate", "CFG", "--executor", "cluster"], "--executor: unknown executor kind 'cluster'"),
        (["generate", "CFG", "scene.params.corpus.case=[lower"], "scene.params.corpus.case: cannot read the value"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_cli_bad_input_one_line_exit_2_nothing_written(tmp_path, args, fragment):
    cfg = _cfg(tmp_path, "")
    out = tmp_path / "out"
    argv = [a.replace("CFG", str(cfg)) for a in args] + (["-o", str(out)] if args[0] == "generate" else [])
    proc = CLI.run(argv, Path.cwd(), timeout=600)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], proc.stderr
    assert not out.exists()
