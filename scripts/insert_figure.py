"""The README's before/after figure of ``driving_insert``: frames as they came, the same frames with
the inserted actors, and their labels drawn (inserted actors: tinted masks, yellow boxes; real
objects: green boxes, orange where an inserted actor covers part of them).

    python scripts/insert_figure.py [-o docs/driving_insert_before_after.png] [--rows 3]

Of the first 24 samples of ``configs/driving_insert.yaml``, the rows shown are one whose child steps
out from behind a parked car of the frame (``anchors``) and those with the largest inserted actors,
each with its frame's file and the actors' kinds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def draw(sample) -> np.ndarray:
    img = sample.image.copy()
    for inst in sample.labels.instances:
        if not inst.visible:
            continue
        x, y, w, h = inst.bbox
        if inst.attributes.get("inserted"):
            mask = inst.visible_mask()
            img[mask] = (0.55 * img[mask] + 0.45 * np.array([255, 60, 200])).astype(np.uint8)
            color = (255, 220, 0)
        else:
            color = (255, 150, 0) if "covered_by_insert" in inst.attributes else (60, 220, 60)
        cv2.rectangle(img, (x, y), (x + w - 1, y + h - 1), color, 1)
    return img


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--out", default=str(ROOT / "docs" / "driving_insert_before_after.png"))
    parser.add_argument("--rows", type=int, default=3)
    parser.add_argument("--scale", type=float, default=0.6)
    args = parser.parse_args()
    from synthgen.config import load_run_config
    from synthgen.driving.insert.frames import load_pixels
    from synthgen.engine.context import WorkerContext
    from synthgen.engine.pipeline import make_sample

    config = load_run_config(ROOT / "configs" / "driving_insert.yaml")
    folder = config.scene.settings.frame_list.folder
    ctx = WorkerContext(config)
    try:
        samples = [make_sample(config, i, ctx) for i in range(24)]
    finally:
        ctx.close()

    def inserted_area(s):
        return sum(i.area for i in s.labels.instances if i.attributes.get("inserted"))

    def anchored(s):  # an actor placed from a real parked car (anchors: real_parked)
        return any(a["kind"] == "real" for a in s.meta["scene"]["actors"])

    by_area = sorted(samples, key=inserted_area, reverse=True)
    first = [s for s in by_area if anchored(s)][:1]
    chosen = first + [s for s in by_area if all(s is not f for f in first)][: args.rows - len(first)]
    chosen.sort(key=lambda s: s.meta["index"])
    rows = []
    for s in chosen:
        frame = s.meta["scene"]["frame"]
        before = load_pixels(f"{folder}/{frame['file']}", s.image.shape[1], s.image.shape[0])
        kinds = ", ".join(a["kind"] for a in s.meta["scene"]["actors"] if a["kind"] != "real")
        if anchored(s):
            kinds += " behind a parked car of the frame"
        panels = []
        for img, text in (
            (before, f"before: {frame['file']}"),
            (s.image.copy(), f"after: + {kinds}"),
            (draw(s), "labels"),
        ):
            cv2.rectangle(img, (0, 0), (12 + 9 * len(text), 26), (0, 0, 0), -1)
            cv2.putText(img, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
            panels += [img, np.full((img.shape[0], 6, 3), 255, np.uint8)]
        rows.append(np.hstack(panels[:-1]))
    sheet = np.vstack([np.vstack([r, np.full((6, r.shape[1], 3), 255, np.uint8)]) for r in rows])[:-6]
    sheet = cv2.resize(sheet, None, fx=args.scale, fy=args.scale, interpolation=cv2.INTER_AREA)
    from PIL import Image

    # a 256-colour palette keeps the figure small (the frames' JPEG grain makes a full-colour PNG large)
    Image.fromarray(sheet).quantize(256, dither=Image.Dither.NONE).save(args.out, optimize=True)
    print(f"wrote {args.out} (samples {[s.meta['index'] for s in chosen]})")


if __name__ == "__main__":
    main()
