"""Pictures of the driving scenarios for the README: one sample per scenario with its labels drawn
(visible masks tinted, visible boxes, projected 3D boxes, COCO keypoints and skeletons), and the
depth and semantic layers of one of them; with ``--realism``, one street by day, at dusk, at night
and at night in rain (materials and light), side by side in docs/driving_realism.png.

    python scripts/driving_previews.py [-o docs/driving] [--seed 0]
    python scripts/driving_previews.py --realism [-o docs/driving_realism.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from synthgen.config import load_run_config
from synthgen.driving.categories import COCO_SKELETON, palette
from synthgen.driving.scenario import scenario_folder
from synthgen.engine.pipeline import make_sample
from synthgen.formats.dense import semantic_colors
from synthgen.types import Sample

ROOT = Path(__file__).resolve().parents[1]
BOX_EDGES = ((0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4), (0, 4), (1, 5), (2, 6), (3, 7))


def draw(sample: Sample) -> np.ndarray:
    """(H, W, 3) uint8 RGB with the sample's labels drawn."""
    img = sample.image.astype(np.float32).copy()
    colors = palette()
    cam = sample.labels.camera
    for inst in sample.labels.instances:
        if not inst.visible:
            continue
        c = np.array(colors[sample.labels.categories.id_of(inst.category)], np.float32)
        c = np.maximum(c, 60)
        mask = inst.visible_mask()
        img[mask] = img[mask] * 0.55 + c * 0.45
    out = np.clip(img, 0, 255).astype(np.uint8)
    for inst in sample.labels.instances:
        if not inst.visible:
            continue
        c = tuple(int(v) for v in np.maximum(colors[sample.labels.categories.id_of(inst.category)], 60))
        x, y, w, h = inst.bbox
        cv2.rectangle(out, (x, y), (x + w - 1, y + h - 1), c, 1)
        if inst.box3d is not None and cam is not None:
            corners = inst.box3d.corners() @ cam.rectification()  # camera coordinates
            if (corners[:, 2] > 0.3).all():
                uv = cam.project(corners)
                for a, b in BOX_EDGES:
                    cv2.line(
                        out, tuple(int(v) for v in uv[a]), tuple(int(v) for v in uv[b]), (255, 255, 0), 1, cv2.LINE_AA
                    )
        if inst.keypoints is not None:
            kp = inst.keypoints
            for a, b in COCO_SKELETON:
                if kp[a - 1, 2] > 0 and kp[b - 1, 2] > 0:
                    cv2.line(
                        out,
                        tuple(int(v) for v in kp[a - 1, :2]),
                        tuple(int(v) for v in kp[b - 1, :2]),
                        (0, 255, 255),
                        1,
                        cv2.LINE_AA,
                    )
            for px, py, v in kp:
                if v > 0:
                    cv2.circle(out, (int(px), int(py)), 2, (0, 255, 0) if v == 2 else (255, 0, 0), -1)
    return out


def depth_image(depth: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 colour map of inverse depth (near: bright), sky black."""
    inv = np.where(np.isfinite(depth), 1.0 / np.maximum(depth, 0.1), 0.0)
    norm = np.clip(inv / max(float(np.percentile(inv[inv > 0], 99)), 1e-6), 0, 1) if (inv > 0).any() else inv
    bgr = cv2.applyColorMap((norm * 255).astype(np.uint8), cv2.COLORMAP_MAGMA)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


REALISM_SCENE = """\
name: realism
seed: 0
num_samples: 1
scene:
  kind: driving
  params:
    width: 640
    height: 384
    scenario:
      name: realism
      time_of_day: {time_of_day}
      weather: {weather}
      road: {{lanes: 2}}
      traffic: {{parked: 3, ahead: 1, oncoming: 2}}
      actors:
        walker: {{kind: pedestrian, distance: 11, lateral: 0.8, heading: 90, pose: walking}}
render:
  kind: mesh3d
outputs: [coco]
"""
CONDITIONS = (("day", "clear"), ("dusk", "clear"), ("night", "clear"), ("night", "rain"))


def realism(out: Path, index: int, tile: tuple[int, int] = (384, 230)) -> None:
    """One street (the same layout) by day, at dusk, at night and at night in rain, 2 x 2, labelled."""
    import tempfile

    tiles = []
    with tempfile.TemporaryDirectory() as folder:
        for time_of_day, weather in CONDITIONS:
            path = Path(folder) / f"{time_of_day}_{weather}.yaml"
            path.write_text(REALISM_SCENE.format(time_of_day=time_of_day, weather=weather))
            image = make_sample(load_run_config(path), index).image
            small = cv2.resize(image, tile, interpolation=cv2.INTER_AREA)
            label = time_of_day if weather == "clear" else f"{time_of_day}, {weather}"
            cv2.putText(small, label, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 3, cv2.LINE_AA)
            cv2.putText(small, label, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1, cv2.LINE_AA)
            tiles.append(small)
    grid = np.vstack([np.hstack(tiles[:2]), np.hstack(tiles[2:])])
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--out", default=None, help="folder (or, with --realism, the PNG) to write")
    parser.add_argument("--index", type=int, default=0, help="the sample index drawn for each scenario")
    parser.add_argument("--realism", action="store_true", help="the day / dusk / night / rain picture instead")
    args = parser.parse_args()
    if args.realism:
        realism(Path(args.out or ROOT / "docs" / "driving_realism.png"), args.index)
        return
    out = Path(args.out or ROOT / "docs" / "driving")
    out.mkdir(parents=True, exist_ok=True)
    names = [p.stem for p in sorted(scenario_folder().glob("*.yaml"))]
    for path in sorted(scenario_folder().glob("*.yaml")):
        only = [f"scene.params.scenarios.{n}={int(n == path.stem)}" for n in names]
        config = load_run_config(ROOT / "configs" / "driving.yaml", only)
        sample = make_sample(config, args.index)  # a context of its own: each scenario is another config
        cv2.imwrite(
            str(out / f"{path.stem}.jpg"), cv2.cvtColor(draw(sample), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88]
        )
        if path.stem == "child_behind_parked_car":
            cv2.imwrite(str(out / "depth.jpg"), cv2.cvtColor(depth_image(sample.labels.depth), cv2.COLOR_RGB2BGR))
            cv2.imwrite(
                str(out / "semantic.png"), cv2.cvtColor(semantic_colors(sample.labels.semantic), cv2.COLOR_RGB2BGR)
            )
        print(out / f"{path.stem}.jpg")


if __name__ == "__main__":
    main()
