"""What every generate test checks: a step kept the labels and the locked pixels byte for byte."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synthgen.diffusion.lock import exact_pixels, whole_pixels

ROOT = Path(__file__).resolve().parents[2]
WORDS = ROOT / "configs" / "text_words.yaml"
SMALL = ["scene.params.width=96", "scene.params.height=64", "scene.params.words=2", "scene.params.font_size=16",
         "scene.params.rotation=0"]


def assert_labels_locked(plain, generated, margin: int = 0, steps: int = 1):
    """Same labels; the pixels the lock keeps (``synthgen.diffusion.lock``: after one step, every
    pixel of coverage 1; after several, the objects' whole pixels) byte-identical; the step changed
    the rest."""
    assert [i.bbox for i in plain.labels.instances] == [i.bbox for i in generated.labels.instances]
    assert [i.rle for i in plain.labels.instances] == [i.rle for i in generated.labels.instances]
    ids = np.zeros(plain.image.shape[:2], np.int32)
    for k, inst in enumerate(plain.labels.instances, start=1):
        ids[inst.visible_mask()] = k
    locked = exact_pixels(plain.image, ids, margin) if steps == 1 else whole_pixels(ids)
    assert locked.any() and (~locked).any()
    assert (generated.image[locked] == plain.image[locked]).all()
    assert (generated.image[~locked] != plain.image[~locked]).any()
