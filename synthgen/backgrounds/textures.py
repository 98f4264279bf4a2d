"""Procedural textures for OCR backgrounds: ``paper`` (grain, fibres, stains) and ``blobs`` (soft
coloured shapes over a gradient, a stand-in for cluttered photos). Each is a pure function of its
description, so the scene builders that measure local contrast see the pixels the renderer draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def paper_texture(spec: dict[str, Any], width: int, height: int) -> np.ndarray:
    """``{"kind": "paper", "color": [r, g, b], "seed": int, "grain": 0..1, "stains": int}``, and
    optionally ``"rules": {"y0": px, "spacing": px, "color": [r, g, b], "width": px}`` (ruled paper:
    horizontal rules through ``y0`` every ``spacing`` pixels, as under handwriting)."""
    out = paper(spec["color"], spec["seed"], spec["grain"], spec["stains"], width, height)
    if spec.get("rules"):
        out = ruled(out, **spec["rules"])
    return out


def ruled(out: np.ndarray, y0: float, spacing: float, color, width: float) -> np.ndarray:
    """Anti-aliased horizontal rules at ``y0 + k * spacing`` (pixel-edge convention) over ``out``."""
    height = out.shape[0]
    ys = np.arange(height, dtype=np.float32) + 0.5
    offset = np.mod(ys - y0 + spacing / 2, spacing) - spacing / 2  # distance to the nearest rule
    # coverage of a rule of ``width`` px by each pixel row (a box filter of the rule's profile)
    cover = np.clip(width / 2 + 0.5 - np.abs(offset), 0.0, 1.0)[:, None, None] * min(width, 1.0)
    blended = out.astype(np.float32) * (1.0 - cover) + np.asarray(color, np.float32) * cover
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def blobs_texture(spec: dict[str, Any], width: int, height: int) -> np.ndarray:
    """``{"kind": "blobs", "colors": [[r, g, b], ...], "seed": int, "count": int, "blur": px}``."""
    return blobs(spec["colors"], spec["seed"], spec["count"], spec["blur"], width, height)


def _noise(rng: np.random.Generator, width: int, height: int, cell: float) -> np.ndarray:
    import cv2

    gw, gh = max(2, int(width / cell) + 2), max(2, int(height / cell) + 2)
    grid = rng.random((gh, gw), dtype=np.float32)
    return cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)


def paper(color, seed: int, grain: float, stains: int, width: int, height: int) -> np.ndarray:
    """Paper: a base colour with fine grain, faint horizontal fibres and a few soft stains."""
    import cv2

    rng = np.random.default_rng(seed)
    fine = rng.standard_normal((height, width)).astype(np.float32)
    fine = cv2.GaussianBlur(fine, (0, 0), 0.7)
    fibres = cv2.GaussianBlur(rng.standard_normal((height, width)).astype(np.float32), (0, 0), sigmaX=6.0, sigmaY=0.6)
    cloud = _noise(rng, width, height, 48.0) - 0.5
    shade = 1.0 + grain * (0.035 * fine + 0.08 * fibres + 0.06 * cloud)
    out = np.asarray(color, np.float32)[None, None, :] * shade[..., None]
    for _ in range(stains):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(0.05, 0.25) * min(width, height)
        yy, xx = np.ogrid[:height, :width]
        fall = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))).astype(np.float32)
        tint = np.array([0.93, 0.88, 0.78], np.float32) ** rng.uniform(0.3, 1.0)
        out *= 1.0 - fall[..., None] * (1.0 - tint)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def blobs(colors, seed: int, count: int, blur: float, width: int, height: int) -> np.ndarray:
    """Soft ellipses and bars in the given colours over a two-colour gradient, then a blur."""
    import cv2

    rng = np.random.default_rng(seed)
    palette = np.asarray(colors, np.float32)
    t = rng.uniform(0, 2 * np.pi)
    field = (
        np.cos(t) * np.linspace(0, 1, width, dtype=np.float32)[None, :]
        + np.sin(t) * np.linspace(0, 1, height, dtype=np.float32)[:, None]
    )
    field = (field - field.min()) / max(float(field.max() - field.min()), 1e-6)
    out = (palette[0] + field[..., None] * (palette[1 % len(palette)] - palette[0])).astype(np.float32)
    scale = max(width, height)
    for _ in range(count):
        color = palette[int(rng.integers(len(palette)))] + rng.normal(0, 12, 3)
        layer = np.zeros((height, width), np.uint8)
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        if rng.random() < 0.7:
            axes = (int(rng.uniform(0.03, 0.3) * scale), int(rng.uniform(0.03, 0.3) * scale))
            cv2.ellipse(layer, centre, axes, float(rng.uniform(0, 180)), 0, 360, 255, -1, cv2.LINE_AA)
        else:
            size = (int(rng.uniform(0.1, 0.6) * scale), int(rng.uniform(0.02, 0.1) * scale))
            box = cv2.boxPoints((centre, size, float(rng.uniform(0, 180))))
            cv2.fillPoly(layer, [np.rint(box).astype(np.int32)], 255, cv2.LINE_AA)
        opacity = rng.uniform(0.5, 1.0)
        x, y, w, h = cv2.boundingRect(layer)  # blend where the shape is; elsewhere its alpha is 0
        if w == 0 or h == 0:
            continue
        a = layer[y : y + h, x : x + w].astype(np.float32)[..., None] / 255.0 * opacity
        region = out[y : y + h, x : x + w]
        out[y : y + h, x : x + w] = region * (1 - a) + np.clip(color, 0, 255) * a
    if blur > 0:
        out = cv2.GaussianBlur(out, (0, 0), blur)
    out += rng.standard_normal((height, width, 1), dtype=np.float32) * np.float32(3.0)  # grain
    np.rint(out, out=out)
    return np.clip(out, 0, 255, out=out).astype(np.uint8)
