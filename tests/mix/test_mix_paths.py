"""Where a mix config's relative source paths point: a shipped config's from the current folder (its
own folder is inside the installed package), anyone else's from the config's folder; a generate
source may name a shipped run config."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from synthgen.config.shipped import CONFIGS_DIR
from synthgen.errors import ConfigError
from synthgen.mix.config import load_mix_config

ROOT = Path(__file__).resolve().parents[2]


def source_paths(config) -> dict[str, Path]:
    return {s.name: Path(s.path) for s in config.sources}


@pytest.mark.parametrize("named", ["mix_words", str(ROOT / "configs" / "mix_words.yaml")], ids=["name", "link"])
def test_a_shipped_mix_config_reads_its_data_from_the_current_folder(named, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out" / "real_words").mkdir(parents=True)
    paths = source_paths(load_mix_config(named))
    assert paths == {"real": tmp_path / "out" / "real_words", "synthetic": CONFIGS_DIR / "text_words.yaml"}


def test_a_shipped_mix_config_without_its_data_names_the_folder_it_looked_in(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as err:
        load_mix_config("mix_words")
    assert str(err.value) == f"sources.real.path: not found: {tmp_path / 'out' / 'real_words'}"


def test_a_copy_of_a_shipped_mix_config_reads_its_data_from_its_own_folder(tmp_path, monkeypatch):
    (tmp_path / "mine" / "out" / "real_words").mkdir(parents=True)
    shutil.copy(CONFIGS_DIR / "mix_words.yaml", tmp_path / "mine" / "mix.yaml")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    paths = source_paths(load_mix_config(str(tmp_path / "mine" / "mix.yaml")))
    # the generate source is still the shipped text_words, named by name
    assert paths == {"real": tmp_path / "mine" / "out" / "real_words", "synthetic": CONFIGS_DIR / "text_words.yaml"}


def test_a_generate_source_named_like_no_shipped_config_lists_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out" / "real_words").mkdir(parents=True)
    with pytest.raises(ConfigError) as err:
        load_mix_config("mix_words", ["sources.synthetic.path=text_wrods"])
    message = str(err.value)
    assert message.startswith(f"sources.synthetic.path: not found: {tmp_path / 'text_wrods'}, and no shipped config")
    assert "text_words" in message.split("shipped: ")[1]
