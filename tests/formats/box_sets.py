"""Small hand-made samples of known geometry, written with the YOLO and KITTI writers, for the
readers' and the mixer's tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from synthgen.formats import WRITERS
from synthgen.records import to_record
from synthgen.text.label import TextRecord
from synthgen.types import Box3D, Camera, CategoryTable, Instance, Labels, Sample

WIDTH, HEIGHT = 64, 48
K = np.array([[60.0, 0, 32], [0, 60, 24], [0, 0, 1]])
EXTRINSICS = np.array([[0, -1, 0, 0.1], [0, 0, -1, 1.6], [1, 0, 0, -0.3], [0, 0, 0, 1]], np.float64)


def rle_of(mask: np.ndarray) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}


def instance_of(category: str, mask: np.ndarray, **extra) -> Instance:
    ys, xs = np.nonzero(mask)
    bbox = (int(xs.min()), int(ys.min()), int(np.ptp(xs) + 1), int(np.ptp(ys) + 1))
    return Instance(category, bbox, int(mask.sum()), rle_of(mask), **extra)


def known_samples(n: int = 3, tag: int = 0) -> list[Sample]:
    """``n`` 64x48 samples: a car (a rectangle), a person (an L shape), a sign (a text quad's
    pixels, the quad kept) and a car hidden behind the others (no visible pixel); a camera, and
    3D boxes on the car and the person. Pixels differ per (tag, index)."""
    table = CategoryTable.of_names(["car", "person", "sign"])
    samples = []
    for i in range(n):
        car = np.zeros((HEIGHT, WIDTH), bool)
        car[5 + i : 15 + i, 4 : 20 + i] = True
        person = np.zeros((HEIGHT, WIDTH), bool)
        person[20:40, 30:34] = True
        person[36:40, 34 : 40 + i] = True
        quad = np.array([[44, 6 + i], [60, 6 + i], [60, 14 + i], [44, 14 + i]], np.float32)
        sign = mask_utils.decode(mask_utils.frPyObjects([quad.reshape(-1).tolist()], HEIGHT, WIDTH))[:, :, 0].astype(bool)
        box_car = Box3D(np.array([-2.0 - i, 1.2, 11.5]), np.array([4.2, 1.8, 1.5]), 0.3 * i - 0.2)
        box_person = Box3D(np.array([1.5, 0.9, 8.25]), np.array([0.6, 0.7, 1.75]), 1.25)
        instances = (
            instance_of("car", car, box3d=box_car, truncation=0.25, occlusion=0.1),
            instance_of("person", person, box3d=box_person, occlusion=0.6, attributes={"type": "pedestrian"}),
            instance_of("sign", sign, extensions={"text": TextRecord(transcription="STOP", quad=quad)}),
            Instance("car", (0, 0, 0, 0), 0, rle_of(np.zeros((HEIGHT, WIDTH), bool))),
        )
        image = np.random.default_rng([tag, i]).integers(0, 256, (HEIGHT, WIDTH, 3), np.uint8)
        camera = Camera(K, EXTRINSICS, WIDTH, HEIGHT)
        samples.append(Sample(image, Labels(instances, table, camera=camera), {"index": i}))
    return samples


def write_dataset(root: Path, samples: list[Sample], writer: str, **options) -> list[dict]:
    """Images under ``root/images`` and the labels of one writer; returns the records written."""
    kind = WRITERS.get(writer)
    if options:
        kind = kind.with_options(kind.options(**options))
    (root / "images").mkdir(parents=True, exist_ok=True)
    records = []
    for sample in samples:
        name = f"images/{sample.meta['index']:09d}.png"
        cv2.imwrite(str(root / name), cv2.cvtColor(sample.image, cv2.COLOR_RGB2BGR))
        rec = to_record(sample, name, "")
        if kind.write_sample is not None:
            kind.write_sample(sample, rec, root)
        records.append(rec)
    if kind.finalize is not None:
        kind.finalize(records, root, samples[0].labels.categories)
    return records
