"""Backgrounds: a registry of kinds that any scene can sample and any renderer can draw.

A background is a JSON-able description (``{"kind": "noise", ...}``) sampled by a scene builder
(``sample_background``) and drawn by ``render_background``. Scene builders measure the local
contrast of the very pixels their objects will sit on, and renderers draw the same pixels, so
the last few backgrounds are kept: a builder and the renderer after it draw each one once.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import numpy as np

from synthgen.backgrounds.sample import (
    BACKGROUND_KINDS,
    BackgroundSettings,
    image_folder,
    paper_background,
    sample_background,
)
from synthgen.registry import Registry

BackgroundKind = Callable[[dict[str, Any], int, int], np.ndarray]

# name -> the function that draws it: (spec, width, height) -> (height, width, 3) uint8
BACKGROUNDS: Registry[BackgroundKind] = Registry(
    "background",
    {
        "solid": "synthgen.backgrounds.draw:solid",
        "gradient": "synthgen.backgrounds.draw:gradient",
        "noise": "synthgen.backgrounds.draw:noise",
        "image": "synthgen.backgrounds.draw:image",
        "paper": "synthgen.backgrounds.textures:paper_texture",
        "blobs": "synthgen.backgrounds.textures:blobs_texture",
        "diffusion": "synthgen.diffusion_models.bank:draw",
    },
)


def render_background(spec: dict[str, Any], width: int, height: int) -> np.ndarray:
    """Draw a background description (a fresh array the caller may draw on).

    Args:
        spec: ``{"kind": name, ...}`` with the fields its kind documents (``synthgen.backgrounds.draw``,
            ``synthgen.backgrounds.textures``).
        width, height: output size.

    Returns:
        (height, width, 3) uint8.
    """
    return _cached(json.dumps(spec, sort_keys=True), width, height).copy()


@functools.lru_cache(maxsize=4)
def _cached(spec_json: str, width: int, height: int) -> np.ndarray:
    spec = json.loads(spec_json)
    out = BACKGROUNDS.get(spec["kind"], key="background.kind")(spec, width, height)
    if spec.get("clutter"):
        from synthgen.backgrounds.clutter import draw_clutter

        out = draw_clutter(np.ascontiguousarray(out).copy(), spec["clutter"])
    out.setflags(write=False)
    return out


__all__ = [
    "BACKGROUNDS",
    "BACKGROUND_KINDS",
    "BackgroundSettings",
    "image_folder",
    "paper_background",
    "render_background",
    "sample_background",
]
