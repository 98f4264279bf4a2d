"""``jpeg``: JPEG compression artefacts, from a real encode/decode round trip (libjpeg-turbo, by OpenCV).

kornia's JPEG (``kornia.enhance.jpeg_codec_differentiable``) approximates rounding to keep
gradients; a dataset wants the artefacts of the codec that real images went through.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from synthgen.augment.base import Applied, AugmentKind, Integer, draw, number
from synthgen.config.distributions import Distribution
from synthgen.image_codec import encode_jpeg
from synthgen.types import Layers, SceneSpec


@dataclass
class JpegSchema:
    """Args:
    quality: JPEG quality 1..100 (a number or a distribution such as ``randint(30, 90)``).
    """

    quality: Integer = "randint(30, 90)"


@dataclass(frozen=True)
class JpegSettings:
    quality: Distribution


def from_config(p: JpegSchema, key: str) -> JpegSettings:
    """Check ``augment.<step>.params`` of a jpeg step."""
    return JpegSettings(quality=number(p.quality, f"{key}.quality", 1, 100, kind="int"))


def apply(s: JpegSettings, layers: Layers, spec: SceneSpec, rng: np.random.Generator, ctx: Any = None) -> Applied:
    """Encode ``rgb`` as JPEG at a quality drawn from ``rng`` and decode it again."""
    import cv2

    quality = int(draw(s.quality, rng))
    data = np.frombuffer(encode_jpeg(layers.rgb, quality), np.uint8)
    rgb = cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return Applied(replace(layers, rgb=rgb), {"quality": quality})


KIND = AugmentKind("jpeg", JpegSchema, from_config, apply)
