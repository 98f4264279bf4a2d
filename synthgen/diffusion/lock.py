"""What a generate step may change: every pixel but the labelled ones, with no seam around them.

An object's own pixels (the instance layer) are locked with their anti-aliased coverage as alpha:

- a pixel of an object whose every neighbour (3x3) is of an object is covered whole (alpha 1) and
  put back byte for byte, so every label stays exact;
- an edge pixel of an object (one next to the background) is, as drawn, ``a * ink + (1 - a) *
  old background``. Its coverage ``a`` is estimated from the picture: the ink is the mean of the
  object's whole pixels nearby (5x5), the old background the mean of the background pixels nearby,
  and ``a`` is where the pixel lies between them (projected, clipped to 0..1; a thin stroke with no
  whole pixel near takes the most inked object pixels nearby as its ink). The step's result
  replaces only the background's share: ``pixel + (1 - a) * (new background - old background)``
  (each the mean of the background pixels nearby, before and after the step), so the ink's share
  stays as drawn and the old background is gone;
- every other pixel is the step's.

A lock grown by a margin (the earlier rule) kept a ring of the old background around every
object, a step of 20-96 grey levels against the repainted background where plain renders step by
0.2-5.6: a seam a detector can learn. ``margin`` > 0 still locks such a ring, for shadows that
belong to an object; its default is 0. ``seam_step`` measures the step.
"""

from __future__ import annotations

import numpy as np

WINDOW = 5  # px, the neighbourhood the ink and the background near an edge pixel are read from
MIN_INK_CONTRAST = 12.0  # RGB distance under which ink and background cannot be told apart: alpha 1


def locked_pixels(instance_id: np.ndarray, margin: int) -> np.ndarray:
    """(H, W) bool: the instances' pixels grown by ``margin`` pixels (a disc)."""
    import cv2

    locked = (instance_id > 0).astype(np.uint8)
    if margin > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1, 2 * margin + 1))
        locked = cv2.dilate(locked, kernel)
    return locked.astype(bool)


def _window_mean(rgb: np.ndarray, where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(H, W, 3) float32 mean of ``rgb`` over the ``where`` pixels in each WINDOW x WINDOW
    neighbourhood, and (H, W) bool: whether there was any."""
    import cv2

    weight = where.astype(np.float32)
    total = cv2.boxFilter(rgb.astype(np.float32) * weight[..., None], -1, (WINDOW, WINDOW), normalize=False)
    count = cv2.boxFilter(weight, -1, (WINDOW, WINDOW), normalize=False)
    return total / np.maximum(count, 1e-6)[..., None], count > 0.5


def coverage(rgb: np.ndarray, instance_id: np.ndarray) -> np.ndarray:
    """(H, W) float32 alpha of the objects' pixels: 1 for whole ones, an estimate on their edges, 0
    elsewhere (see the module docstring)."""
    import cv2

    inside = instance_id > 0
    alpha = inside.astype(np.float32)
    background = ~inside
    if not inside.any() or not background.any():
        return alpha
    touches = cv2.dilate(background.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    edge = inside & touches
    core = inside & ~touches
    old_bg, _ = _window_mean(rgb, background)
    ink, has_core = _window_mean(rgb, core)
    ys, xs = np.nonzero(edge)
    if not len(ys):
        return alpha
    pixel = rgb[ys, xs].astype(np.float32)
    bg = old_bg[ys, xs]
    fg = ink[ys, xs]
    lacking = ~has_core[ys, xs]
    if lacking.any():  # thin strokes, no whole pixel near: the most inked object pixels nearby stand for the ink
        far = np.zeros(instance_id.shape, np.float32)
        far[ys, xs] = np.linalg.norm(pixel - bg, axis=1)
        far[core] = np.linalg.norm(rgb[core].astype(np.float32) - old_bg[core], axis=1)
        weight = far**4
        total = cv2.boxFilter(rgb.astype(np.float32) * weight[..., None], -1, (WINDOW + 2, WINDOW + 2), normalize=False)
        norm = cv2.boxFilter(weight, -1, (WINDOW + 2, WINDOW + 2), normalize=False)
        ly, lx = ys[lacking], xs[lacking]
        fg[lacking] = total[ly, lx] / np.maximum(norm[ly, lx], 1e-6)[:, None]
    span = fg - bg
    length2 = (span * span).sum(axis=1)
    a = ((pixel - bg) * span).sum(axis=1) / np.maximum(length2, 1e-6)
    a = np.where(length2 < MIN_INK_CONTRAST**2, 1.0, np.clip(a, 0.0, 1.0))
    alpha[ys, xs] = a
    return alpha


def composite_covered(
    original: np.ndarray, painted: np.ndarray, instance_id: np.ndarray, margin: int = 0
) -> np.ndarray:
    """(H, W, 3) uint8: the step's ``painted`` picture (same size) with the objects put back.

    Whole object pixels (alpha 1) are ``original`` byte for byte; an object's edge pixel keeps its
    ink's share and takes the new background's (see the module docstring); with ``margin`` > 0 a
    ring of that many pixels around every object is ``original`` too.
    """
    alpha = coverage(original, instance_id)
    background = instance_id == 0
    out = painted.astype(np.float32)
    blend = (alpha > 0) & (alpha < 1)
    if blend.any():
        old_bg, _ = _window_mean(original, background)
        new_bg, _ = _window_mean(painted, background)
        share = (1.0 - alpha[blend])[:, None]
        out[blend] = original[blend].astype(np.float32) + share * (new_bg[blend] - old_bg[blend])
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    keep = alpha >= 1.0
    if margin > 0:
        keep |= locked_pixels(instance_id, margin) & background
    out[keep] = original[keep]
    return out


def whole_pixels(instance_id: np.ndarray) -> np.ndarray:
    """(H, W) bool: the objects' pixels with no background pixel among their 8 neighbours: put back
    byte for byte by every step, whatever the background (edge pixels are too where their
    estimated coverage is 1, which depends on the background around them)."""
    import cv2

    inside = instance_id > 0
    touches = cv2.dilate((~inside).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return inside & ~touches


def exact_pixels(rgb: np.ndarray, instance_id: np.ndarray, margin: int = 0) -> np.ndarray:
    """(H, W) bool: the pixels ``composite_covered`` puts back byte for byte."""
    keep = coverage(rgb, instance_id) >= 1.0
    if margin > 0:
        keep |= locked_pixels(instance_id, margin) & (instance_id == 0)
    return keep


def paint_mask(rgb: np.ndarray, instance_id: np.ndarray, margin: int = 0) -> np.ndarray:
    """(H, W) bool: the pixels the model is asked to paint (every one not put back whole)."""
    return ~exact_pixels(rgb, instance_id, margin)


def seam_step(rgb: np.ndarray, instance_id: np.ndarray, reach: int = 2) -> float:
    """Mean grey-level step between the background pixels ``reach`` px from the objects (chessboard
    distance) and their neighbours one pixel farther out: a ring of an old background kept around
    the objects shows as a step here; a plain render's background runs on (0.2-5.6 levels measured)."""
    import cv2

    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    background = (instance_id == 0).astype(np.uint8)
    dist = cv2.distanceTransform(background, cv2.DIST_C, 3)
    steps = []
    for dy, dx in ((0, 1), (1, 0), (0, -1), (-1, 0)):
        a = dist[max(dy, 0) : dist.shape[0] + min(dy, 0), max(dx, 0) : dist.shape[1] + min(dx, 0)]
        b = dist[max(-dy, 0) : dist.shape[0] + min(-dy, 0), max(-dx, 0) : dist.shape[1] + min(-dx, 0)]
        ga = grey[max(dy, 0) : grey.shape[0] + min(dy, 0), max(dx, 0) : grey.shape[1] + min(dx, 0)]
        gb = grey[max(-dy, 0) : grey.shape[0] + min(-dy, 0), max(-dx, 0) : grey.shape[1] + min(-dx, 0)]
        pairs = (a == reach) & (b == reach + 1)
        steps.append(np.abs(ga[pairs] - gb[pairs]))
    joined = np.concatenate(steps)
    return float(joined.mean()) if joined.size else 0.0


def composite(original: np.ndarray, generated: np.ndarray, locked: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8: ``original`` where locked, ``generated`` (same size) elsewhere."""
    return np.where(locked[..., None], original, generated).astype(np.uint8)


def working_size(width: int, height: int, longest: int, multiple: int = 8) -> tuple[int, int]:
    """(w, h) with the longer side ``longest`` (the aspect kept), both multiples of ``multiple``."""
    scale = longest / max(width, height)
    w = max(multiple, int(round(width * scale / multiple)) * multiple)
    h = max(multiple, int(round(height * scale / multiple)) * multiple)
    return w, h


def resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Area-averaged down, bicubic up (the built-in model works below the image's size)."""
    import cv2

    h, w = image.shape[:2]
    interpolation = cv2.INTER_AREA if width * height < w * h else cv2.INTER_CUBIC
    return cv2.resize(image, (width, height), interpolation=interpolation)
