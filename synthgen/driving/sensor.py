"""The driving camera's sensor: what a dashcam does to the light after the lens (``scene.params.sensor``).

Applied to the final picture (after the fog and rain steps, as a camera sees them), in linear light:
white balance from the scene's light, motion blur from the ego speed during the shutter, vignetting,
auto exposure (a longer shutter first, then gain), shot and read noise (which the gain amplifies:
night frames are noisier), then the sRGB encoding, the ISP's noise reduction (strong at night's
high gain, off by day) and a JPEG round trip like a dashcam's. The lens
distortion (``driving.lens``) is the one part that moves pixels: the renderer draws through it.

Labels are untouched: no step moves a labelled pixel (the motion blur smears the picture over the
exposure, the masks are the objects at its middle).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, custom, integer, number, param, within
from synthgen.driving.lights import Environment, Light
from synthgen.errors import ConfigError
from synthgen.types import Camera, Layers, SceneSpec

# lux on the road by time of day (daylight, sunset, a lit street at night): the shutter and gain follow
ILLUMINANCE = {"day": 10000.0, "dusk": 300.0, "night": 15.0}
REC709 = np.array([0.2126, 0.7152, 0.0722], np.float32)
MAX_BLUR_SAMPLES = 9  # images averaged along the flow at most (one per pixel of the longest smear)
MIN_FLOW_PX = 0.3  # a smear shorter than this is no blur
MAX_SMEAR_PX = 64.0  # a surface closer than the camera's travel would smear without bound
SRGB_STEPS = 1 << 16
DISTORTION_LIMIT = 2.0
MIN_DENOISED_NOISE = 2.0  # sRGB levels of grain below which the ISP's denoising is off (gain ~1)


def _distortion(value, key: str) -> tuple[float, ...]:
    values = list(value)
    if len(values) != 5:
        raise ConfigError(key, f"must be [k1, k2, p1, p2, k3] (OpenCV's model), got {len(values)} numbers")
    for v in values:
        if not (isinstance(v, (int, float)) and math.isfinite(v) and abs(v) <= DISTORTION_LIMIT):
            raise ConfigError(key, f"coefficients must be numbers within +-{DISTORTION_LIMIT}, got {v}")
    return tuple(float(v) for v in values)


class SensorSettings(Params):
    """``scene.params.sensor`` of a driving scene: the camera model after the pinhole."""

    enabled: bool = param(True, None, "false: the renderer's picture as it is (no sensor model, no lens)")
    distortion: tuple[float, ...] = param(
        [0.0, 0.0, 0.0, 0.0, 0.0],
        custom(_distortion, list[float], "[k1, k2, p1, p2, k3]"),
        "OpenCV's lens distortion; the image and every label are distorted (kitti refused: its calib is pinhole)",
    )
    vignetting: Distribution = param(0.25, number(0, 0.9), "light lost in the image corners (0: none)")
    white_balance: float = param(
        0.7, within(0, 1), "how much of the scene light's colour the camera takes out (1: neutral grey, 0: none)"
    )
    exposure_target: float = param(0.18, within(0.01, 0.8), "mean linear luma auto exposure aims at")
    auto_exposure: float = param(
        0.5, within(0, 1), "how far auto exposure takes the picture's brightness to the target (0: as rendered)"
    )
    base_shutter_s: float = param(0.001, within(1e-5, 1), "shutter time in daylight, seconds")
    max_shutter_s: float = param(0.033, within(1e-4, 1), "the longest shutter (then the gain rises), seconds")
    max_gain: float = param(16.0, within(1, 256), "highest sensor gain (ISO 100 x gain)")
    full_well: float = param(6000.0, within(50, 1e7), "electrons at full scale at gain 1: shot noise")
    read_noise: float = param(3.0, within(0, 1000), "read noise, electrons")
    noise_reduction: float = param(
        1.0, within(0, 4), "the ISP's denoising: an edge-preserving filter as wide as the frame's noise (0: none)"
    )
    ego_speed_kmh: Distribution = param(
        "uniform(0, 50)", number(0, 250), "ego speed: motion blur along the ground's flow during the shutter"
    )
    jpeg_quality: Distribution = param("randint(75, 95)", integer(0, 100), "dashcam JPEG round trip (0: none)")

    def check(self, key: str) -> None:
        if self.max_shutter_s < self.base_shutter_s:
            raise ConfigError(
                f"{key}.max_shutter_s", f"must be >= base_shutter_s ({self.base_shutter_s}), got {self.max_shutter_s}"
            )


@dataclass(frozen=True)
class Shot:
    """What the sensor model draws per frame (a spec item): the ego speed (m/s), the vignetting,
    the JPEG quality, the noise's seed."""

    ego_speed: float
    vignetting: float
    jpeg_quality: int
    noise_seed: int

    def params(self) -> dict[str, float | int]:
        """The draws as the scene params record them."""
        return {
            "ego_speed_kmh": round(self.ego_speed * 3.6, 3),
            "vignetting": round(self.vignetting, 4),
            "jpeg_quality": self.jpeg_quality,
        }


def draw_shot(s: SensorSettings, rng: np.random.Generator) -> Shot:
    """The frame's draws, from the scene's generator."""
    speed = float(s.ego_speed_kmh.sample(rng)) / 3.6
    strength = float(s.vignetting.sample(rng))
    return Shot(speed, strength, int(s.jpeg_quality.sample(rng)), int(rng.integers(1 << 62)))


@cache
def _srgb_to_linear_table() -> np.ndarray:
    c = np.arange(256, dtype=np.float64) / 255
    out = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4).astype(np.float32)
    out.flags.writeable = False
    return out


@cache
def _linear_to_srgb_table() -> np.ndarray:
    """uint8 sRGB of linear values i / (SRGB_STEPS - 1): finer than one sRGB level everywhere."""
    c = np.arange(SRGB_STEPS, dtype=np.float64) / (SRGB_STEPS - 1)
    srgb = np.where(c <= 0.0031308, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055)
    out = np.rint(srgb * 255).astype(np.uint8)
    out.flags.writeable = False
    return out


def to_srgb(linear: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 linear 0..1 (clipped) -> uint8 sRGB, through a table."""
    return _to_srgb_in_place(linear * np.float32(SRGB_STEPS - 1), scaled=True)


def _to_srgb_in_place(linear: np.ndarray, scaled: bool = False) -> np.ndarray:
    """``to_srgb`` working in ``linear`` (float32) itself; ``scaled``: already times SRGB_STEPS - 1."""
    if not scaled:
        linear *= np.float32(SRGB_STEPS - 1)
    linear += np.float32(0.5)
    np.clip(linear, 0, SRGB_STEPS - 1, out=linear)
    return np.take(_linear_to_srgb_table(), linear.astype(np.uint16))


def light_colour(spec: SceneSpec) -> np.ndarray:
    """(3,) the colour of the scene's light, its lights weighted by intensity (lamps and headlights
    count at 1 % of their candela, about their irradiance 10 m away), normalised to green 1."""
    total = np.zeros(3)
    for light in spec.items:
        if isinstance(light, Light):
            weight = light.intensity if light.kind == "directional" else light.intensity / 100
            total += weight * np.asarray(light.color, np.float64)
    if not total.any():
        return np.ones(3)
    return total / max(total[1], 1e-6)


def white_balance_gains(spec: SceneSpec, strength: float) -> np.ndarray:
    """(3,) per-channel gains that take ``strength`` of the light's colour out."""
    return (1.0 / light_colour(spec)) ** strength


def vignette(camera: Camera, strength: float) -> np.ndarray:
    """(H, W) float32 light reaching each pixel: cos^4 of the ray's angle, scaled so that the
    farthest corner gets ``1 - strength``; read-only (cached: one per camera and strength)."""
    k = camera.intrinsics
    return _vignette(camera.width, camera.height, *(float(v) for v in (k[0, 0], k[1, 1], k[0, 2], k[1, 2])), strength)


@lru_cache(maxsize=16)
def _vignette(width: int, height: int, fx: float, fy: float, cx: float, cy: float, strength: float) -> np.ndarray:
    k = np.array([[fx, 0, cx], [0, fy, cy]])
    x = (np.arange(width, dtype=np.float32) + 0.5 - k[0, 2]) / k[0, 0]
    y = (np.arange(height, dtype=np.float32) + 0.5 - k[1, 2]) / k[1, 1]
    cos4 = 1.0 / (1.0 + x[None, :] ** 2 + y[:, None] ** 2) ** 2
    lowest = float(cos4.min())
    if strength <= 0 or lowest >= 1:
        out = np.ones((height, width), np.float32)
    else:  # falloff = 1 - a (1 - cos4), a so that the corner gets 1 - strength
        out = (1.0 - strength / (1.0 - lowest) * (1.0 - cos4)).astype(np.float32)
    out.flags.writeable = False
    return out


def exposure(time_of_day: str, s: SensorSettings) -> tuple[float, float]:
    """(shutter seconds, gain) for the scene's light: ``base_shutter_s`` by day, longer as the light
    falls (``ILLUMINANCE``), up to ``max_shutter_s``, then gain up to ``max_gain``."""
    wanted = ILLUMINANCE["day"] / ILLUMINANCE.get(time_of_day, ILLUMINANCE["day"])
    shutter = min(s.base_shutter_s * wanted, s.max_shutter_s)
    gain = min(max(wanted * s.base_shutter_s / shutter, 1.0), s.max_gain)
    return shutter, gain


def motion_blur(linear: np.ndarray, depth: np.ndarray | None, camera: Camera | None, travel: float) -> np.ndarray:
    """The picture smeared along the flow of a static world while the camera moves ``travel`` metres
    forward (along the ground, world +x): each pixel averages the picture along its flow (its depth
    gives the flow's length; the sky, at infinity, stays sharp)."""
    if travel <= 0 or depth is None or camera is None:
        return linear
    flow = _ground_flow(depth, camera, travel)
    if flow is None:
        return linear
    import cv2

    du, dv, length = flow
    samples = int(min(max(math.ceil(length), 2), MAX_BLUR_SAMPLES))
    # only the rectangle where anything moves is resampled: outside it every sample is the pixel
    # itself (a remap at whole-pixel coordinates copies exactly), so those pixels are summed as copies
    moving = (du != 0) | (dv != 0)
    rows_moving, cols_moving = np.flatnonzero(moving.any(axis=1)), np.flatnonzero(moving.any(axis=0))
    r0, r1, c0, c1 = rows_moving[0], rows_moving[-1] + 1, cols_moving[0], cols_moving[-1] + 1
    du, dv = du[r0:r1, c0:c1], dv[r0:r1, c0:c1]
    cols = np.arange(c0, c1, dtype=np.float32)[None, :]
    rows = np.arange(r0, r1, dtype=np.float32)[:, None]
    map_x, map_y = np.empty_like(du), np.empty_like(dv)
    sample = np.empty((r1 - r0, c1 - c0, linear.shape[2]), linear.dtype)
    out = linear.copy()  # the first sample outside the rectangle; every sample is added in turn
    inside = out[r0:r1, c0:c1]
    for i, t in enumerate(np.linspace(-0.5, 0.5, samples, dtype=np.float32)):
        if t == 0:  # the middle of the exposure (odd counts): the picture itself, as the remap would copy it
            taken = linear[r0:r1, c0:c1]
        else:
            np.add(np.multiply(du, t, out=map_x), cols, out=map_x)
            np.add(np.multiply(dv, t, out=map_y), rows, out=map_y)
            taken = cv2.remap(linear, map_x, map_y, cv2.INTER_LINEAR, dst=sample, borderMode=cv2.BORDER_REPLICATE)
        if i == 0:
            inside[...] = taken
        else:
            inside += taken
    if samples > 1:
        for part in _outside(out, r0, r1, c0, c1):
            copy = part.copy()
            for _ in range(samples - 1):
                part += copy
    out /= np.float32(samples)
    return out


def _outside(image: np.ndarray, r0: int, r1: int, c0: int, c1: int) -> list[np.ndarray]:
    """Views of ``image`` outside rows r0:r1 x columns c0:c1 (the bands above, below, left, right)."""
    parts = [image[:r0], image[r1:], image[r0:r1, :c0], image[r0:r1, c1:]]
    return [p for p in parts if p.size]


def _ground_flow(depth: np.ndarray, camera: Camera, travel: float) -> tuple[np.ndarray, np.ndarray, float] | None:
    """(du, dv, longest) the (H, W) float32 smear of each pixel while the camera moves ``travel``
    metres forward, capped at ``MAX_SMEAR_PX`` (0 on the sky), and the longest smear in pixels;
    None where no smear reaches ``MIN_FLOW_PX``."""
    height, width = depth.shape
    k = camera.intrinsics
    rot = np.asarray(camera.extrinsics, np.float64)[:3, :3]
    forward = rot @ np.array([1.0, 0.0, 0.0])  # the travel direction in camera coordinates
    z = np.where(np.isfinite(depth), depth, 0.0).astype(np.float32)
    x = ((np.arange(width, dtype=np.float32) + 0.5 - k[0, 2]) / k[0, 0])[None, :] * z
    y = ((np.arange(height, dtype=np.float32) + 0.5 - k[1, 2]) / k[1, 1])[:, None] * z
    far = z <= 0
    # where each pixel's surface point projects at the exposure's two ends; the smear runs between
    # (straight: over a shutter the camera moves centimetres to decimetres, the surfaces are metres away)
    ends = []
    for d in (-travel / 2, travel / 2):
        zz = z - d * forward[2]  # float64, in place from here on
        np.maximum(zz, 1e-3, out=zz)  # on the sky too (z 0): finite there, and its smear is set to 0 below
        u = x - d * forward[0]
        u /= zz
        u *= k[0, 0]
        v = y - d * forward[1]
        v /= zz
        v *= k[1, 1]
        ends.append((u, v))
    du64, dv64 = ends[1][0], ends[1][1]
    du64 -= ends[0][0]
    dv64 -= ends[0][1]
    np.copyto(du64, 0.0, where=far)
    np.copyto(dv64, 0.0, where=far)
    du, dv = du64.astype(np.float32), dv64.astype(np.float32)
    smear = np.hypot(du, dv)
    longest = float(smear.max())
    if longest > MAX_SMEAR_PX:  # a surface at the lens (elsewhere the cap is exactly 1)
        cap = np.minimum(1.0, MAX_SMEAR_PX / np.maximum(smear, 1e-6)).astype(np.float32)
        du, dv = du * cap, dv * cap
        longest = MAX_SMEAR_PX
    return None if longest < MIN_FLOW_PX else (du, dv, longest)


def develop(s: SensorSettings, spec: SceneSpec, layers: Layers) -> Layers:
    """The picture as the sensor gives it (labels untouched); the spec's Shot holds the frame's draws."""
    import cv2

    shot = next((i for i in spec.items if isinstance(i, Shot)), None)
    if not s.enabled or shot is None:
        return layers
    # sRGB -> linear and the white balance in one table per channel (the same float32 products)
    table = _srgb_to_linear_table()[:, None] * white_balance_gains(spec, s.white_balance).astype(np.float32)
    linear = cv2.LUT(layers.rgb, table.reshape(1, 256, 3))  # (H, W, 3) float32
    env = next((i for i in spec.items if isinstance(i, Environment)), None)
    shutter, gain = exposure(env.time_of_day if env is not None else "day", s)
    linear = motion_blur(linear, layers.depth, spec.camera, shot.ego_speed * shutter)
    signal = np.multiply(linear, vignette(spec.camera, shot.vignetting)[:, :, None], out=linear)
    brightness = (s.exposure_target / max(float((signal @ REC709).mean()), 1e-6)) ** s.auto_exposure
    signal *= np.float32(brightness)
    np.clip(signal, 0.0, None, out=signal)
    # the electrons behind a pixel: full scale is full_well at gain 1; a gain g reads 1/g of them
    sigma = np.multiply(signal, np.float32(s.full_well / gain))
    sigma += np.float32(s.read_noise**2)
    np.sqrt(sigma, out=sigma)
    sigma *= np.float32(gain / s.full_well)
    rng = np.random.default_rng(shot.noise_seed)
    noisy = rng.standard_normal(signal.shape, dtype=np.float32)
    noisy *= sigma
    noisy += signal
    out = _to_srgb_in_place(noisy)
    out = denoise(out, srgb_noise_level(signal, sigma), s.noise_reduction)
    if shot.jpeg_quality > 0:
        out = jpeg_round_trip(out, shot.jpeg_quality)
    return Layers(
        rgb=out,
        instance_id=layers.instance_id,
        geometry=layers.geometry,
        depth=layers.depth,
        semantic_id=layers.semantic_id,
        normals=layers.normals,
    )


def srgb_noise_level(signal: np.ndarray, sigma: np.ndarray) -> float:
    """The frame's typical noise in sRGB levels: the median over pixels of the linear noise ``sigma``
    times the sRGB curve's slope at the pixel's ``signal`` (both (H, W, 3) float32; every 4th row and
    column is enough)."""
    lin = np.clip(signal[::4, ::4], 0.0, 1.0)
    slope = np.where(lin <= 0.0031308, 12.92, 1.055 / 2.4 * np.maximum(lin, 0.0031308) ** (1 / 2.4 - 1))
    return float(np.median(sigma[::4, ::4] * slope)) * 255.0


def denoise(rgb: np.ndarray, noise: float, strength: float) -> np.ndarray:
    """(H, W, 3) uint8 after a dashcam ISP's spatial noise reduction, which its tuning raises with
    the gain: a bilateral filter whose range is ``strength`` x 2.5 x the frame's ``noise`` (sRGB
    levels), so grain is smoothed and an edge of more contrast than the noise is kept. Grain under
    ``MIN_DENOISED_NOISE`` levels (by day and at dusk, at gain 1: ~1.7) is left as it is."""
    import cv2

    if strength <= 0 or noise < MIN_DENOISED_NOISE:
        return rgb
    return cv2.bilateralFilter(rgb, 5, strength * 2.5 * noise, 1.5)


def jpeg_round_trip(rgb: np.ndarray, quality: int) -> np.ndarray:
    import cv2

    from synthgen.image_codec import encode_jpeg

    data = np.frombuffer(encode_jpeg(rgb, quality), np.uint8)
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
