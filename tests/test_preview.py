"""``synthgen preview``: the drawing of 3D boxes (the projected wireframe lands on the box's edges),
and the label sources it reads: any synthgen dataset, a mix output, COCO, YOLO and ICDAR folders."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from synthgen.driving.camera import CameraRig
from synthgen.preview import BOX3D_EDGES, _palette, box3d_segments, draw_labels
from synthgen.records import camera_to_record
from synthgen.types import Box3D

W, H = 200, 120


def _camera(pitch_deg: float) -> dict:
    return camera_to_record(CameraRig(W, H, 110.0, 1.5, math.radians(pitch_deg)).camera())


def _annotation(box: Box3D) -> dict:
    from pycocotools import mask as mask_utils

    nothing = mask_utils.encode(np.zeros((H, W), np.uint8, order="F"))["counts"].decode()
    return {
        "category_id": 26,
        "bbox": [0, 0, 1, 1],
        "segmentation": {"size": [H, W], "counts": nothing},
        "box3d": {"center": list(box.center), "dimensions": list(box.dimensions), "yaw": box.yaw},
    }


@pytest.mark.parametrize("pitch, scale", [(0.0, 1.0), (8.0, 1.0), (8.0, 2.0)])
def test_preview_draws_the_projected_3d_box_edges(pitch, scale):
    cam = _camera(pitch)
    box = Box3D(np.array([0.5, 0.6, 9.0]), np.array([4.0, 1.8, 1.5]), 0.4)
    out = np.asarray(draw_labels(np.zeros((H, W, 3), np.uint8), [_annotation(box)], scale, None, cam))
    color = _palette(0)
    # the corners projected independently: K @ (R0_rect^T @ corner)
    k = np.reshape(cam["intrinsics"], (3, 3))
    rot = np.reshape(cam["extrinsics"], (4, 4))[:3, :3]
    down = -rot[:, 2]
    forward = np.array([0, 0, 1.0]) - down[2] * down
    forward /= np.linalg.norm(forward)
    r0 = np.stack([np.cross(down, forward), down, forward])
    uvw = box.corners() @ r0 @ k.T
    uv = uvw[:, :2] / uvw[:, 2:] * scale
    hits = 0
    for a, b in BOX3D_EDGES:
        for t in (0.3, 0.5, 0.7):
            x, y = uv[a] + t * (uv[b] - uv[a])
            if 2 <= x < out.shape[1] - 2 and 2 <= y < out.shape[0] - 2:
                patch = out[int(y) - 1 : int(y) + 2, int(x) - 1 : int(x) + 2].reshape(-1, 3)
                assert (patch == color).all(axis=1).any(), ((a, b), t, (x, y))
                hits += 1
    assert hits >= 24
    # and nothing else: away from the edges the image stays black (the 2D box is the 1 px corner)
    drawn = (out != 0).any(axis=2)
    near = np.zeros_like(drawn)
    for a, b in BOX3D_EDGES:
        for t in np.linspace(0, 1, 200):
            x, y = uv[a] + t * (uv[b] - uv[a])
            if -2 <= x < out.shape[1] + 2 and -2 <= y < out.shape[0] + 2:
                near[max(0, int(y) - 2) : int(y) + 3, max(0, int(x) - 2) : int(x) + 3] = True
    near[: round(2 * scale), : round(2 * scale)] = True
    assert not (drawn & ~near).any()


def test_edges_behind_the_camera_are_clipped():
    cam = _camera(0.0)
    # 12 m long along camera z, from z = -4 to 8: the 4 back edges are behind the camera and left out,
    # the 4 long ones end at the near plane, the 4 front ones are whole
    long_box = {"center": [0.0, 0.6, 2.0], "dimensions": [12.0, 1.8, 1.5], "yaw": math.pi / 2}
    segments = np.array(box3d_segments(long_box, cam))
    assert segments.shape == (8, 2, 2) and np.isfinite(segments).all()
    k = np.reshape(cam["intrinsics"], (3, 3))
    front = [s for s in segments if np.abs(s - k[:2, 2]).max() < 100]
    assert len(front) == 4
    behind = {"center": [0.0, 0.6, -5.0], "dimensions": [4.0, 1.8, 1.5], "yaw": 0.0}
    assert box3d_segments(behind, cam) == []
    # no camera (a COCO folder alone): the 2D labels only, no wireframe
    box = Box3D(np.array([0.5, 0.6, 9.0]), np.array([4.0, 1.8, 1.5]), 0.4)
    out = np.asarray(draw_labels(np.zeros((H, W, 3), np.uint8), [_annotation(box)]))
    assert (out != 0).any(axis=2).sum() <= 4


# --- what the preview reads ---------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["num_samples=3", "scene.params.width=200", "scene.params.height=150"]
RED, GREEN = (255, 0, 0), (0, 255, 0)


def _generate(tmp_path: Path, outputs: str) -> Path:
    from synthgen.config import load_run_config
    from synthgen.engine import generate

    out = tmp_path / outputs.strip("[]").replace(",", "_")
    generate(load_run_config(ROOT / "configs/text_words.yaml", [*SMALL, f"outputs={outputs}"]), out, progress=False)
    return out


def _sheet(dataset: Path, out: Path) -> np.ndarray:
    from PIL import Image

    from synthgen.preview import write_preview

    # tiles of the images' own width: 200 x 150 at scale 1
    with Image.open(write_preview(dataset, out, num=3, columns=3, tile=200)) as im:
        return np.asarray(im.convert("RGB"))


def _pixels(sheet: np.ndarray, color: tuple[int, int, int]) -> np.ndarray:
    return (sheet == color).all(axis=-1)


def _plain(dataset: Path, dest: Path) -> Path:
    """The dataset as another tool's folder: its writers' files and images, no manifest or records."""
    shutil.copytree(dataset, dest, symlinks=True)
    (dest / "manifest.json").unlink()
    shutil.rmtree(dest / ".synthgen")
    return dest


@pytest.fixture(scope="module")
def coco_sheet(tmp_path_factory) -> np.ndarray:
    """The preview of a COCO folder (annotations/coco.json and images alone) of the test run."""
    tmp = tmp_path_factory.mktemp("coco")
    return _sheet(_plain(_generate(tmp, "[coco]"), tmp / "plain"), tmp / "p.png")


@pytest.mark.parametrize("outputs", ["[yolo]", "[icdar]", "[recognition]"])
def test_a_dataset_without_coco_json_is_previewed_from_its_records(tmp_path, coco_sheet, outputs):
    dataset = _generate(tmp_path, outputs)
    assert not (dataset / "annotations").exists()
    sheet = _sheet(dataset, tmp_path / "p.png")
    # the same masks, boxes, quads and transcriptions as coco.json's, pixel for pixel
    assert _pixels(sheet, RED).sum() > 500 and _pixels(sheet, GREEN).sum() > 500
    assert np.array_equal(sheet, coco_sheet)


def test_a_yolo_folder_is_previewed_with_its_boxes(tmp_path, coco_sheet):
    plain = _plain(_generate(tmp_path, "[yolo]"), tmp_path / "plain")
    sheet = _sheet(plain, tmp_path / "p.png")
    # YOLO boxes are the visible extents: the outlines the records give, without quads or text over them
    drawn, expected = _pixels(sheet, RED), _pixels(coco_sheet, RED)
    assert expected.sum() > 500 and (drawn & expected).sum() >= 0.95 * expected.sum()
    assert not _pixels(sheet, GREEN).any()


def test_an_icdar_folder_is_previewed_with_its_quads(tmp_path, coco_sheet):
    import cv2

    plain = _plain(_generate(tmp_path, "[icdar]"), tmp_path / "plain")
    sheet = _sheet(plain, tmp_path / "p.png")
    # ICDAR quads are whole pixels: each of the records' quad outlines within a pixel of one drawn
    drawn = cv2.dilate(_pixels(sheet, GREEN).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    expected = _pixels(coco_sheet, GREEN)
    assert expected.sum() > 500 and (drawn & expected).sum() >= 0.9 * expected.sum()


def test_a_mix_output_is_previewed_from_its_splits(tmp_path, coco_sheet):
    dataset = _generate(tmp_path, "[coco]")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    shutil.copytree(dataset, mixed / "train")  # a mix split is a synthgen dataset
    assert np.array_equal(_sheet(mixed, tmp_path / "p.png"), coco_sheet)


def test_a_folder_that_is_no_dataset_is_one_error(tmp_path):
    from synthgen.errors import DatasetError
    from synthgen.preview import write_preview

    (tmp_path / "images").mkdir()
    with pytest.raises(DatasetError, match=r"not a dataset \(no manifest.json, annotations/coco.json, "):
        write_preview(tmp_path)
    with pytest.raises(DatasetError, match="not a folder"):
        write_preview(tmp_path / "missing")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images"]


def test_a_mix_output_is_previewed_and_mixed_again_after(tmp_path):
    import synthgen

    dataset = _generate(tmp_path, "[coco]")
    config = tmp_path / "mix.yaml"
    config.write_text(
        f"name: m\ncategories: [text]\nsources:\n  words: {{path: {dataset}, format: synthgen}}\n"
        "splits: {val: 0.0, test: 0.0}\noutputs: [yolo]\n"
    )
    out = tmp_path / "mixed"
    synthgen.mix(config, out)
    sheet = _sheet(out, out / "preview.png")  # the default place, OUT/preview.png
    assert _pixels(sheet, RED).sum() > 500 and _pixels(sheet, GREEN).sum() > 500
    synthgen.mix(config, out)  # the sheet is no stranger's file: the mix resumes
