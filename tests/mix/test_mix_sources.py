"""A mix source is a dataset (issue #21): a source path in a system or private folder, or a file
that is not the one its format reads, is refused at load in one line naming ``sources.NAME.path``,
before a byte of it is read; and a reader's parse error says where a file breaks, never what it
holds."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cli_process import CLI
from coco_sets import mix_yaml

pytestmark = pytest.mark.slow  # mixes generated and real datasets end to end, several per test

ROOT = Path(__file__).resolve().parents[2]
SECRET = "root:$6$planted-secret-hash:19000:0:99999:7:::"
CONFIG = """\
name: sys
categories: [car, text]
sources:
  real: {{path: {path}, format: {format}}}
splits: {{val: 0, test: 0}}
"""


def mix_of(tmp_path: Path, path: str, fmt: str) -> subprocess.CompletedProcess:
    cfg = mix_yaml(tmp_path, CONFIG.format(path=path, format=fmt))
    return CLI.run(["mix", str(cfg), "-o", str(tmp_path / "out"), "--no-progress"], ROOT, timeout=600)


def one_line(proc: subprocess.CompletedProcess) -> str:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize("path", ["/etc/shadow", "/etc/passwd", "/etc", "/proc/self/environ", "/dev/zero"])
@pytest.mark.parametrize("fmt", ["coco", "recognition", "yolo", "generate"])
def test_a_source_in_a_system_folder_is_refused_by_its_key(tmp_path, path, fmt):
    line = one_line(mix_of(tmp_path, path, fmt))
    assert line.startswith("synthgen: error: sources.real.path: refusing to read a dataset under /"), line
    assert path in line and "root:" not in line
    assert not (tmp_path / "out").exists()


def test_a_link_to_a_system_file_is_refused_as_the_file(tmp_path):
    (tmp_path / "data.json").symlink_to("/etc/passwd")
    line = one_line(mix_of(tmp_path, "data.json", "coco"))
    assert "sources.real.path: refusing to read a dataset under /etc" in line and "root:" not in line


@pytest.mark.parametrize(
    "name,fmt,wanted",
    [
        ("secret", "coco", "a folder or a .json file"),
        ("secret.txt", "recognition", "a folder or a .tsv file"),
        ("secret.txt", "yolo", "a folder"),
        ("secret.txt", "kitti", "a folder"),
        ("secret.txt", "icdar", "a folder"),
        ("secret.txt", "synthgen", "a folder"),
    ],
)
def test_a_file_that_is_not_the_formats_file_is_refused_unread(tmp_path, name, fmt, wanted):
    (tmp_path / name).write_text(SECRET + "\n")
    line = one_line(mix_of(tmp_path, name, fmt))
    expected = f"synthgen: error: sources.real.path: {tmp_path / name} is a file; a {fmt} source is {wanted}"
    assert line.startswith(expected), line
    assert SECRET not in line and "planted" not in line


@pytest.mark.parametrize(
    "name,fmt,where",
    [
        ("labels.tsv", "recognition", " line 1: expected 'path<TAB>transcription'"),
        ("coco.json", "coco", "not valid JSON"),
    ],
)
def test_a_file_of_the_right_name_holding_something_else_is_one_line_without_its_content(tmp_path, name, fmt, where):
    (tmp_path / name).write_text(SECRET + "\n")
    line = one_line(mix_of(tmp_path, name, fmt))
    assert f"{tmp_path / name}" in line and where in line, line
    assert SECRET not in line and "planted" not in line


@pytest.mark.parametrize(
    "layout,fmt,where",
    [
        ({"icdar/gt_a.txt": SECRET}, "icdar",
         "gt_a.txt line 1: expected 8 coordinates and a transcription, got 1 fields"),
        ({"icdar/gt_a.txt": "1,2,3,x4,5,6,7,8,secret"}, "icdar", "gt_a.txt line 1: coordinates are not numbers"),
        ({"data.yaml": "names: [car]\ntrain: images\n", "labels/a.txt": SECRET},
         "yolo", "a.txt line 1: expected a class id and numbers"),
        ({"data.yaml": "names: [car]\n" + SECRET + ": [x\n"}, "yolo", "data.yaml: not valid YAML at line "),
    ],
    ids=["icdar-fields", "icdar-number", "yolo-line", "yolo-yaml"],
)
def test_parse_errors_say_where_and_not_what(tmp_path, layout, fmt, where):
    import cv2
    import numpy as np

    real = tmp_path / "real"
    for rel, text in layout.items():
        (real / rel).parent.mkdir(parents=True, exist_ok=True)
        (real / rel).write_text(text + "\n")
    (real / "images").mkdir(exist_ok=True)
    cv2.imwrite(str(real / "images/a.png"), np.zeros((24, 32, 3), np.uint8))
    line = one_line(mix_of(tmp_path, "real", fmt))
    assert where in line, line
    assert "planted" not in line and "secret" not in line.replace(str(tmp_path), "")
