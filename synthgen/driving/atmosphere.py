"""2D light effects of the driving renderer, on the RGB layer only (never on ids or depth): the sky
where nothing was drawn, the glow (bloom) around bright lights at dusk and night, and wet roads
that mirror lights in rain.

Each is a pure function of the rendered layers and the scene's environment, so the same scene gives
the same bytes; the cloud layer is one fixed texture per process (``materials.periodic_noise``
from a fixed seed), shifted per scene by the environment's ``cloud_shift``.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache, lru_cache

import numpy as np

from synthgen.driving.lights import Environment
from synthgen.types import Camera

CLOUD_HEIGHT = 1500.0  # metres: the plane the cloud texture lies on
CLOUD_TILE = 6000.0  # metres one repeat of the cloud texture covers


@cache
def cloud_texture() -> np.ndarray:
    """(512, 512) float32 0..1 seamless cloud density, made once per process from a fixed seed."""
    from synthgen.driving.materials import periodic_noise

    rng = np.random.default_rng(20231)
    broad = periodic_noise(rng, 512, 512, 1.9)
    fine = periodic_noise(rng, 512, 512, 1.0)
    out = (0.75 * broad + 0.25 * fine).astype(np.float32)
    out.flags.writeable = False
    return out


@lru_cache(maxsize=8)  # one camera a run, as a rule; a lens may give each frame its own canvas
def _rays_of(intrinsics: bytes, rotation: bytes, width: int, rows: int) -> np.ndarray:
    k = np.frombuffer(intrinsics).reshape(3, 3)
    r = np.frombuffer(rotation).reshape(3, 3)
    u = (np.arange(width) + 0.5 - k[0, 2]) / k[0, 0]
    v = (np.arange(rows) + 0.5 - k[1, 2]) / k[1, 1]
    cam = np.stack(np.broadcast_arrays(u[None, :], v[:, None], np.ones((rows, width))), axis=-1)
    world = cam @ r  # R^T d: the camera's rays in the world
    out = (world / np.linalg.norm(world, axis=-1, keepdims=True)).astype(np.float32)
    out.flags.writeable = False
    return out


def rays(camera: Camera, width: int, rows: int) -> np.ndarray:
    """(rows, W, 3) float32 unit view rays of the pixel centres of the top ``rows`` rows in world
    coordinates (z up); the last few cameras' are kept."""
    k = np.ascontiguousarray(camera.intrinsics, np.float64).tobytes()
    r = np.ascontiguousarray(np.asarray(camera.extrinsics, np.float64)[:3, :3]).tobytes()
    return _rays_of(k, r, width, rows)


def sky_image(env: Environment, camera: Camera, width: int, height: int, overcast: bool) -> np.ndarray:
    """(H, W, 3) uint8 sky seen by the camera: the horizon colour ``env.sky`` fading to
    ``env.zenith`` overhead, with clouds (``env.clouds`` cover, more and greyer when ``overcast``)
    on a plane far above, in perspective. ``height`` may be the rows that need it (the top ones).

    The sky is smooth: it is worked out at half the size and enlarged (a quarter of the cost).
    """
    import cv2

    if height == 0:
        return np.zeros((0, width, 3), np.uint8)
    half = replace(camera, intrinsics=np.diag([0.5, 0.5, 1.0]) @ np.asarray(camera.intrinsics))
    small = _sky(env, half, (width + 1) // 2, (height + 1) // 2, overcast)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def _sky(env: Environment, camera: Camera, width: int, height: int, overcast: bool) -> np.ndarray:
    rays_ = rays(camera, width, height)
    up = np.clip(rays_[..., 2], 0.0, 1.0)
    horizon = np.asarray(env.sky, np.float32)
    zenith = np.asarray(env.zenith if env.zenith is not None else horizon * 0.6, np.float32)
    t = (1.0 - np.exp(-up * np.float32(4.0)))[..., None]  # most of the change just above the horizon
    sky = horizon * (1 - t) + zenith * t
    cover = min(1.0, env.clouds + (0.5 if overcast else 0.0))
    if cover > 0:
        import cv2

        reach = CLOUD_HEIGHT / np.maximum(up, 0.02)
        texture = cloud_texture()
        n = texture.shape[0]
        map_x = ((rays_[..., 0] * reach / CLOUD_TILE + env.cloud_shift[0]) % 1.0 * n).astype(np.float32)
        map_y = ((rays_[..., 1] * reach / CLOUD_TILE + env.cloud_shift[1]) % 1.0 * n).astype(np.float32)
        density = cv2.remap(texture, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
        alpha = np.clip((density - (1.0 - cover)) * 3.0, 0.0, 1.0) * np.clip(up * 8.0, 0.0, 1.0)
        lit = np.asarray(env.cloud_color, np.float32)
        shade = lit * (0.75 + 0.25 * np.clip(1.5 - density * 1.5, 0, 1)[..., None])  # thick cores darker
        if overcast:
            shade = shade * 0.8
        sky = sky * (1 - alpha[..., None]) + shade * alpha[..., None]
    return np.clip(np.round(sky), 0, 255).astype(np.uint8)


def composite_sky(rgb: np.ndarray, empty: np.ndarray, sky: np.ndarray) -> np.ndarray:
    """``rgb`` with the ``sky`` where ``empty`` (H, W) bool (nothing drawn); ``sky`` may hold the
    top rows only (down to the lowest empty pixel)."""
    out = rgb.copy()
    rows = sky.shape[0]
    out[:rows][empty[:rows]] = sky[empty[:rows]]
    return out


def sky_rows(empty: np.ndarray) -> int:
    """How many top rows hold every empty pixel."""
    any_row = empty.any(axis=1)
    return int(len(any_row) - np.argmax(any_row[::-1])) if any_row.any() else 0


def _soft(image: np.ndarray, sigma: float) -> np.ndarray:
    """A wide Gaussian blur done at a quarter of the size (cheap, and the glow is smooth anyway)."""
    import cv2

    height, width = image.shape[:2]
    small = cv2.resize(image, (max(1, width // 4), max(1, height // 4)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), max(sigma / 4, 0.5))
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def bright_parts(rgb: np.ndarray, threshold: float) -> np.ndarray:
    """(H, W, 3) float32: the light above ``threshold`` (0..255 luma) in each pixel, 0 elsewhere."""
    image = rgb.astype(np.float32)
    luma = image @ np.array([0.299, 0.587, 0.114], np.float32)
    over = np.clip((luma - threshold) / max(255.0 - threshold, 1.0), 0.0, 1.0)
    return image * over[..., None]


def bloom(rgb: np.ndarray, strength: float, threshold: float = 200.0, lit_only: np.ndarray | None = None) -> np.ndarray:
    """(H, W, 3) uint8: ``rgb`` with a glow added around its bright pixels (two blur widths).

    ``lit_only``: (H, W) bool where the surface only reflects light (people): however bright in the
    picture, such a surface is no light source; the glare of a lens comes from lamps, lit windows
    and headlights, thousands of times brighter than a lit coat, which the 8-bit render clips alike.
    """
    if strength <= 0:
        return rgb
    width = rgb.shape[1]
    bright = bright_parts(rgb, threshold)
    if lit_only is not None:
        bright[lit_only] = 0.0
    glow = 0.6 * _soft(bright, width / 160) + 0.4 * _soft(bright, width / 50)
    return np.clip(rgb.astype(np.float32) + strength * glow, 0, 255).astype(np.uint8)


def wet_reflections(
    rgb: np.ndarray,
    road: np.ndarray,
    strength: float = 0.55,
    threshold: float = 150.0,
    lit_only: np.ndarray | None = None,
) -> np.ndarray:
    """(H, W, 3) uint8: ``rgb`` with the bright lights above each ``road`` (H, W) bool pixel mirrored
    on it as blurred vertical streaks (a wet road's reflections, approximated in the image: a light
    lights the road below it, fading with the distance). ``lit_only`` (H, W) bool: surfaces that
    only reflect light (people), mirrored as faintly as any lit surface, so not at all here (water
    at a dashcam's grazing angle reflects ~10 %: a lamp's streak, a coat's nothing visible)."""
    import cv2

    if not road.any():
        return rgb
    height, width = road.shape
    bright = bright_parts(rgb, threshold)
    if lit_only is not None:
        bright[lit_only] = 0.0
    small = cv2.resize(bright, (max(1, width // 2), max(1, height // 2)), interpolation=cv2.INTER_AREA)
    length = max(3, height // 8)  # rows of the half-size image: a streak a quarter of the image long
    kernel = np.exp(-np.arange(length, dtype=np.float32) / (length / 2.5))[:, None]
    kernel /= kernel.sum() / 4.0
    # each pixel gathers the light of the pixels above it: the kernel's weights run up from the anchor
    streak = cv2.filter2D(small, -1, kernel[::-1], anchor=(0, length - 1), borderType=cv2.BORDER_CONSTANT)
    streak = cv2.GaussianBlur(streak, (0, 0), sigmaX=1.5, sigmaY=0.5)
    streak = cv2.resize(streak, (width, height), interpolation=cv2.INTER_LINEAR)
    out = rgb.astype(np.float32) + strength * streak * road[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)
