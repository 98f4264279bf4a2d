"""PNG encoding options: every libpng row filter decodes to the same pixels."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from synthgen.config.schema import PNG_FILTERS
from synthgen.image_codec import encode_png


def _image() -> np.ndarray:
    rng = np.random.default_rng(0)
    img = np.zeros((48, 64, 3), np.uint8)
    img[:, :32] = (90, 140, 200)  # flat areas, an edge and some noise, like a render
    img[20:] += rng.integers(0, 40, (28, 64, 3), dtype=np.uint8)
    return img


@pytest.mark.parametrize("level", [1, 6])
def test_every_png_filter_decodes_to_the_same_pixels(level):
    rgb = _image()
    encoded = {f: encode_png(rgb, level, f) for f in PNG_FILTERS}
    for f, data in encoded.items():
        back = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED), cv2.COLOR_BGR2RGB)
        np.testing.assert_array_equal(back, rgb, err_msg=f)
    grey = rgb[:, :, 0]
    back = cv2.imdecode(np.frombuffer(encode_png(grey, level, "up"), np.uint8), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(back, grey)
    if hasattr(cv2, "IMWRITE_PNG_FILTER"):  # OpenCV >= 4.12 applies the filter: the bytes differ
        assert len({encoded[f] for f in ("none", "sub", "up", "paeth")}) == 4
