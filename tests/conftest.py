"""Shared fixtures: small configs written to tmp folders, and the repository root."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo_root() -> Path:
    return ROOT


def write_config(tmp_path: Path, text: str, name: str = "run.yaml") -> Path:
    """Write a YAML config into tmp_path and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
