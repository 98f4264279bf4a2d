"""``jpeg``: JPEG compression artefacts, from a real encode/decode round trip (libjpeg-turbo, by OpenCV).

kornia's JPEG (``kornia.enhance.jpeg_codec_differentiable``) approximates rounding to keep
gradients; a dataset wants the artefacts of the codec that real images went through.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from synthgen.augment.base import Applied, AugmentKind, draw
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, integer, param
from synthgen.image_codec import encode_jpeg
from synthgen.types import Layers, SceneSpec


class JpegSettings(Params):
    """``augment.<step>.params`` of a jpeg step."""

    quality: Distribution = param(
        "randint(30, 90)", integer(1, 100), "JPEG quality (a number or a distribution such as ``randint(30, 90)``)"
    )


def apply(s: JpegSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    """Encode ``rgb`` as JPEG at a quality drawn from ``rng`` and decode it again."""
    import cv2

    quality = int(draw(s.quality, rng))
    data = np.frombuffer(encode_jpeg(layers.rgb, quality), np.uint8)
    rgb = cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return Applied(replace(layers, rgb=rgb), {"quality": quality})


KIND = AugmentKind(JpegSettings, apply)
