"""Named surface materials of the driving scenes: how a ``Solid.material`` looks.

A material is plain data: a procedural base-colour texture (or none), how many metres one repeat of
it covers, PBR roughness and metalness, and how strongly it glows by day, at dusk and at night
(head and tail lights, street lamps, lit windows). The textures multiply the solid's colour, so a
detail map (asphalt grain, kerb joints) keeps the colour a scene gave it; a texture that carries
its own colours (a sign face, a licence plate) is drawn on a white solid.

Textures are made by ``texture(name)`` from a fixed seed per name, once per process (a worker), so
every worker draws the same pixels: the variety between scenes comes from the solids' colours and
sizes and from which of the facade and shop-front materials a building gets. The renderer turns a
material into its pyrender form (``synthgen.driving.render``).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cache

import numpy as np

Glow = tuple[float, float, float]  # emissive strength by day, at dusk, at night (0: none)


@dataclass(frozen=True)
class Material:
    """How a surface looks.

    Attributes:
        name: the name solids use (``Solid.material``).
        texture: the name of its base-colour texture (``TEXTURES``), or None for a flat colour.
        tile: (u, v) metres covered by one repeat of the texture along the face.
        roughness: PBR roughness 0..1 (dry).
        metallic: PBR metalness 0..1.
        glow: emissive strength (times the solid's colour) by day, at dusk, at night.
        emission: the name of a texture that masks where it glows (lit windows), or None: all of it.
        wet_roughness: roughness when the road is wet (rain), or None: as dry.
    """

    name: str
    texture: str | None = None
    tile: tuple[float, float] = (1.0, 1.0)
    roughness: float = 0.8
    metallic: float = 0.0
    glow: Glow = (0.0, 0.0, 0.0)
    emission: str | None = None
    wet_roughness: float | None = None

    def glow_at(self, time_of_day: str) -> float:
        """Emissive strength at ``day``, ``dusk`` or ``night`` (any other light, as a real frame's
        ``matched`` one: as by day)."""
        times = ("day", "dusk", "night")
        return self.glow[times.index(time_of_day)] if time_of_day in times else self.glow[0]


FACADE_TILE = (12.0, 12.0)  # four 3 m bays by four 3 m floors
SHOP_TILE = (12.0, 3.5)  # the ground floor: two shop fronts
MATERIALS: dict[str, Material] = {
    m.name: m
    for m in (
        # actors (people, vehicles, animals, props)
        Material("matte"),
        Material("paint", roughness=0.3, metallic=0.25),
        Material("glass", roughness=0.08, metallic=0.6),
        Material("rubber", "rubber", (0.3, 0.3), roughness=0.95),
        Material("metal", roughness=0.3, metallic=0.9),
        Material("plastic", roughness=0.5),
        Material("skin", roughness=0.6),
        Material("cloth", "cloth", (0.25, 0.25), roughness=0.95),
        Material("hair", "hair", (0.2, 0.2), roughness=0.7),
        Material("plate", "plate", (0.52, 0.13), roughness=0.4),
        Material("head_light", roughness=0.2, glow=(0.15, 1.6, 2.2)),
        Material("tail_light", roughness=0.3, glow=(0.05, 1.2, 1.6)),
        Material("window_lit", roughness=0.2, glow=(0.0, 0.8, 1.2)),
        # the road and its backdrop
        Material("asphalt", "asphalt", (6.0, 6.0), roughness=0.9, wet_roughness=0.25),
        Material("paint_line", "paint_line", (3.0, 3.0), roughness=0.7, wet_roughness=0.25),
        Material("kerb", "kerb", (1.0, 1.0), roughness=0.85, wet_roughness=0.4),
        Material("pavement", "pavement", (2.4, 2.4), roughness=0.85, wet_roughness=0.35),
        Material("grass", "grass", (3.0, 3.0), roughness=0.95),
        Material("foliage", "foliage", (1.5, 1.5), roughness=0.9),
        Material("bark", "bark", (0.6, 1.2), roughness=0.95),
        Material("facade_plaster", "facade_plaster", FACADE_TILE, 0.85, glow=(0.0, 0.5, 0.9), emission="lit_windows"),
        Material("facade_brick", "facade_brick", FACADE_TILE, 0.9, glow=(0.0, 0.5, 0.9), emission="lit_windows"),
        Material("facade_glass", "facade_glass", FACADE_TILE, 0.3, 0.3, glow=(0.0, 0.5, 0.9), emission="lit_windows"),
        Material("shopfront", "shopfront", SHOP_TILE, 0.5, glow=(0.0, 0.9, 1.4), emission="lit_shops"),
        Material("roof", "kerb", (2.0, 2.0), roughness=0.9),
        Material("lamp", roughness=0.3, glow=(0.0, 1.5, 2.5)),
        Material("signal_lit", roughness=0.3, glow=(1.0, 1.5, 2.0)),
        Material("sign_prohibit", "sign_prohibit", (0.7, 0.7), roughness=0.5),
        Material("sign_mandatory", "sign_mandatory", (0.7, 0.7), roughness=0.5),
        Material("sign_priority", "sign_priority", (0.7, 0.7), roughness=0.5),
        Material("sign_info", "sign_info", (0.7, 0.7), roughness=0.5),
    )
}


def material(name: str) -> Material:
    """The material called ``name``; a ValueError lists the known ones for an unknown name."""
    try:
        return MATERIALS[name]
    except KeyError:
        raise ValueError(f"unknown material {name!r}; known: {', '.join(sorted(MATERIALS))}") from None


# --- procedural textures -------------------------------------------------------------------------


def periodic_noise(rng: np.random.Generator, height: int, width: int, beta: float) -> np.ndarray:
    """(height, width) float32 noise 0..1 that tiles seamlessly: white noise filtered to a 1/f^beta
    spectrum (large beta: broad blobs; small: grain)."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    f = np.sqrt(fx * fx + fy * fy)
    f[0, 0] = 1.0
    spectrum = np.fft.rfft2(rng.standard_normal((height, width))) / f**beta
    spectrum[0, 0] = 0.0
    out = np.fft.irfft2(spectrum, s=(height, width))
    lo, hi = np.percentile(out, (0.5, 99.5))
    return np.clip((out - lo) / max(hi - lo, 1e-9), 0, 1).astype(np.float32)


def streak_noise(rng: np.random.Generator, height: int, width: int, length: int) -> np.ndarray:
    """(height, width) float32 noise 0..1 smeared over ``length`` rows (blades, bark, strands) that
    tiles seamlessly."""
    import cv2

    pad = length
    white = np.pad(rng.random((height, width)).astype(np.float32), pad, mode="wrap")
    out = cv2.blur(white, (1, length))[pad:-pad, pad:-pad]
    return (out - out.min()) / max(float(np.ptp(out)), 1e-9)


def _grey(value: np.ndarray) -> np.ndarray:
    return np.repeat(np.clip(value, 0, 1)[:, :, None], 3, axis=2)


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.round(image * 255), 0, 255).astype(np.uint8)


def _asphalt(rng: np.random.Generator) -> np.ndarray:
    import cv2

    n = 512
    grain = periodic_noise(rng, n, n, 0.2)
    patches = periodic_noise(rng, n, n, 2.2)
    tone = 0.86 + 0.14 * (grain - 0.5) + np.where(patches > 0.72, -0.12, 0.0) + np.where(patches < 0.2, 0.06, 0.0)
    tone += 0.05 * (periodic_noise(rng, n, n, 1.4) - 0.5)
    cracks = np.zeros((n, n), np.uint8)
    for _ in range(7):  # cracks: random walks, drawn three times over so they wrap across the tile edge
        pts = [rng.uniform(0, n, 2)]
        heading = rng.uniform(0, 2 * np.pi)
        for _ in range(int(rng.integers(8, 20))):
            heading += rng.normal(0, 0.6)
            pts.append(pts[-1] + 9 * np.array([np.cos(heading), np.sin(heading)]))
        line = np.round(np.array(pts)).astype(np.int32)
        for dx in (-n, 0, n):
            for dy in (-n, 0, n):
                cv2.polylines(cracks, [line + (dx, dy)], False, 255, 1, cv2.LINE_AA)
    tone -= 0.45 * cracks / 255
    return _grey(tone)


def _paint_line(rng: np.random.Generator) -> np.ndarray:
    n = 256
    wear = periodic_noise(rng, n, n, 1.8)
    grain = periodic_noise(rng, n, n, 0.3)
    # worn through where the broad noise is high: the asphalt shows (about a third of the white)
    tone = np.where(wear > 0.62, 0.32 + 0.1 * grain, 0.93 + 0.07 * grain)
    edge = (wear > 0.55) & (wear <= 0.62)
    tone[edge] = 0.6 + 0.2 * grain[edge]
    return _grey(tone)


def _kerb(rng: np.random.Generator) -> np.ndarray:
    n = 128
    tone = 0.88 + 0.16 * (periodic_noise(rng, n, n, 0.4) - 0.5)
    tone[:, :3] = 0.5  # a joint every repeat (1 m)
    return _grey(tone)


def _pavement(rng: np.random.Generator) -> np.ndarray:
    n, slabs = 512, 4
    grain = periodic_noise(rng, n, n, 0.3)
    size = n // slabs
    tone = np.repeat(np.repeat(rng.uniform(0.8, 1.0, (slabs, slabs)), size, axis=0), size, axis=1)
    tone = tone + 0.12 * (grain - 0.5) - 0.08 * (periodic_noise(rng, n, n, 2.0) > 0.8)
    joints = (np.arange(n) % size) < 3
    tone[joints, :] = 0.5
    tone[:, joints] = 0.5
    return _grey(tone)


def _grass(rng: np.random.Generator) -> np.ndarray:
    import cv2

    n = 256
    blades = streak_noise(rng, n, n, 5)
    patches = periodic_noise(rng, n, n, 2.0)
    tone = 0.65 + 0.35 * blades
    out = _grey(tone)
    out[:, :, 0] *= 0.85 + 0.35 * patches  # dry, yellower patches
    out[:, :, 2] *= 0.9
    return out


def _foliage(rng: np.random.Generator) -> np.ndarray:
    n = 256
    leaves = periodic_noise(rng, n, n, 0.9)
    fine = periodic_noise(rng, n, n, 0.2)
    tone = np.where(leaves > 0.55, 0.95 + 0.1 * fine, 0.45 + 0.3 * fine)  # lit leaf clumps, dark gaps
    out = _grey(tone)
    out[:, :, 0] *= 0.8 + 0.4 * periodic_noise(rng, n, n, 1.6)
    return out


def _bark(rng: np.random.Generator) -> np.ndarray:
    import cv2

    n = 128
    streaks = streak_noise(rng, n, n, 31)
    return _grey(0.55 + 0.45 * streaks)


def _rubber(rng: np.random.Generator) -> np.ndarray:
    n = 64
    tone = 0.85 + 0.1 * periodic_noise(rng, n, n, 0.3)
    tone[:, ::8] = 0.6  # tread grooves
    return _grey(tone)


def _cloth(rng: np.random.Generator) -> np.ndarray:
    n = 128
    yy, xx = np.mgrid[0:n, 0:n]
    weave = 0.92 + 0.06 * np.sign(np.sin(xx * np.pi / 2) * np.sin(yy * np.pi / 2))
    folds = periodic_noise(rng, n, n, 1.8)
    return _grey(weave * (0.78 + 0.22 * folds))


def _hair(rng: np.random.Generator) -> np.ndarray:
    import cv2

    n = 128
    strands = streak_noise(rng, n, n, 21)
    return _grey(0.6 + 0.4 * strands)


def _plate(rng: np.random.Generator) -> np.ndarray:
    import cv2

    h, w = 64, 256
    out = np.full((h, w, 3), 0.96, np.float32)
    cv2.rectangle(out, (1, 1), (w - 2, h - 2), (0.1, 0.1, 0.1), 2)
    cv2.rectangle(out, (3, 3), (24, h - 4), (0.15, 0.25, 0.7), -1)  # the country band
    letters = "ABCDEFGHJKLMNPRSTUVXYZ0123456789"
    text = "".join(letters[int(i)] for i in rng.integers(len(letters), size=7))
    text = f"{text[:2]} {text[2:4]} {text[4:]}"
    glyphs = np.zeros((h, w), np.uint8)  # OpenCV draws text on 8-bit images only
    cv2.putText(glyphs, text, (30, 47), cv2.FONT_HERSHEY_SIMPLEX, 1.15, 255, 3, cv2.LINE_AA)
    alpha = glyphs[:, :, None].astype(np.float32) / 255
    return out * (1 - alpha) + 0.08 * alpha


# the windows of a FACADE_TILE texture: (x0, y0, x1, y1) in fractions of a 3 m bay, from its top left
WINDOW = (0.27, 0.2, 0.73, 0.72)
BAYS = 4


def _window_rects(n: int) -> list[tuple[int, int, int, int, int, int]]:
    """(x0, y0, x1, y1, bay column, floor row) pixel rectangles of the facade texture's windows."""
    bay = n // BAYS
    return [
        (c * bay + round(WINDOW[0] * bay), r * bay + round(WINDOW[1] * bay),
         c * bay + round(WINDOW[2] * bay), r * bay + round(WINDOW[3] * bay), c, r)
        for r in range(BAYS)
        for c in range(BAYS)
    ]  # fmt: skip


def _facade(rng: np.random.Generator, style: str) -> np.ndarray:
    import cv2

    n = 1024
    grain = periodic_noise(rng, n, n, 0.4)
    stains = periodic_noise(rng, n, n, 2.0)
    if style == "brick":
        wall = np.full((n, n), 0.9, np.float32)
        rows = 8  # pixels per brick course (~9 cm)
        yy, xx = np.mgrid[0:n, 0:n]
        course = yy // rows
        mortar = (yy % rows < 1) | ((xx + (course % 2) * 11) % 22 < 1)
        brick = np.repeat(rng.uniform(0.75, 1.0, (n // rows + 1, 1)), n, axis=1)[course, xx]
        wall = np.where(mortar, 1.0, brick * (0.85 + 0.15 * grain))
        out = _grey(wall)
        out[:, :, 1] *= np.where(mortar, 1.0, 0.62)
        out[:, :, 2] *= np.where(mortar, 1.0, 0.5)
    elif style == "glass":
        out = _grey(0.85 + 0.1 * grain)
        out[:, :, 0] *= 0.8
        out[:, :, 1] *= 0.9
    else:
        out = _grey(0.9 + 0.08 * (grain - 0.5) - 0.12 * (stains > 0.75))
    bay = n // BAYS
    for x0, y0, x1, y1, _, _ in _window_rects(n):
        if style == "glass":  # curtain wall: glass from bay edge to bay edge, thin mullions
            x0, x1 = x0 - round(0.22 * bay), x1 + round(0.22 * bay)
            y0, y1 = y0 - round(0.15 * bay), y1 + round(0.22 * bay)
        sky = np.linspace(0.5, 0.25, y1 - y0)[:, None, None]  # the sky reflected, lighter at the top
        out[y0:y1, x0:x1] = np.array([0.55, 0.65, 0.8]) * sky + 0.05 * grain[y0:y1, x0:x1, None]
        frame = (0.95, 0.95, 0.93) if style != "glass" else (0.3, 0.32, 0.35)
        cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), frame, 3)
        cv2.line(out, ((x0 + x1) // 2, y0), ((x0 + x1) // 2, y1 - 1), frame, 2)
        if style != "glass":
            cv2.rectangle(out, (x0 - 4, y1), (x1 + 3, y1 + 6), (0.8, 0.8, 0.78), -1)  # the sill
    return out


def _lit(n_wide: int, n_high: int, rects, rng: np.random.Generator, share: float) -> np.ndarray:
    """An emission mask: a warm glow in a random ``share`` of the rects, black elsewhere."""
    out = np.zeros((n_high, n_wide, 3), np.float32)
    for x0, y0, x1, y1, *_ in rects:
        if rng.random() < share:
            warm = rng.uniform(0.75, 1.0)
            out[y0:y1, x0:x1] = (1.0, 0.8 * warm, 0.55 * warm)
    return out


def _lit_windows(rng: np.random.Generator) -> np.ndarray:
    return _lit(1024, 1024, _window_rects(1024), rng, 0.4)


def _shop_rects(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """(x0, y0, x1, y1) of the shop windows of the shop-front texture (two shops a tile)."""
    shop = width // 2
    top, bottom = round(0.3 * height), round(0.93 * height)
    rects = []
    for s in range(2):
        x = s * shop
        rects.append((x + round(0.05 * shop), top, x + round(0.6 * shop), bottom))
        rects.append((x + round(0.8 * shop), top, x + round(0.95 * shop), bottom))
    return rects


def _shopfront(rng: np.random.Generator) -> np.ndarray:
    import cv2

    width, height = 1024, 300
    out = _grey(0.88 + 0.08 * periodic_noise(rng, height, width, 0.4))
    shop = width // 2
    for s in range(2):
        x = s * shop
        band = np.array(rng.choice([(0.8, 0.15, 0.15), (0.15, 0.3, 0.7), (0.15, 0.45, 0.25), (0.2, 0.2, 0.22)]))
        out[round(0.06 * height) : round(0.24 * height), x + 10 : x + shop - 10] = band  # the sign band
        for k in range(int(rng.integers(4, 9))):  # its lettering
            lx = x + 30 + k * 40
            cv2.rectangle(out, (lx, round(0.1 * height)), (lx + 26, round(0.2 * height)), (0.95, 0.95, 0.9), -1)
        door = (x + round(0.65 * shop), round(0.3 * height), x + round(0.76 * shop), height)
        cv2.rectangle(out, door[:2], (door[2], door[3] - 1), (0.3, 0.22, 0.15), -1)  # the door
        cv2.rectangle(out, (door[0] + 8, door[1] + 10), (door[2] - 8, door[1] + 120), (0.35, 0.42, 0.5), -1)
    for x0, y0, x1, y1 in _shop_rects(width, height):
        gradient = np.linspace(0.55, 0.3, y1 - y0)[:, None, None]
        out[y0:y1, x0:x1] = np.array([0.5, 0.6, 0.7]) * gradient
        # the display inside: a few boxes of goods
        for _ in range(5):
            gx = int(rng.integers(x0, max(x0 + 1, x1 - 30)))
            gy = int(rng.integers((y0 + y1) // 2, y1 - 20))
            color = tuple(float(c) for c in rng.uniform(0.2, 0.9, 3))
            cv2.rectangle(out, (gx, gy), (gx + 24, gy + 18), color, -1)
        cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), (0.25, 0.25, 0.27), 4)
    return out


def _lit_shops(rng: np.random.Generator) -> np.ndarray:
    width, height = 1024, 300
    out = _lit(width, height, _shop_rects(width, height), rng, 0.85)
    return out


def _sign(style: str) -> np.ndarray:
    import cv2

    n = 128
    c = n // 2
    back = (0.6, 0.6, 0.62)
    out = np.full((n, n, 3), back, np.float32)
    if style == "prohibit":  # a red ring on white (no entry for vehicles)
        cv2.circle(out, (c, c), c - 2, (0.8, 0.06, 0.06), -1, cv2.LINE_AA)
        cv2.circle(out, (c, c), c - 16, (0.97, 0.97, 0.97), -1, cv2.LINE_AA)
    elif style == "mandatory":  # a white arrow on a blue disc
        cv2.circle(out, (c, c), c - 2, (0.05, 0.25, 0.7), -1, cv2.LINE_AA)
        cv2.arrowedLine(out, (c, n - 28), (c, 26), (0.97, 0.97, 0.97), 12, cv2.LINE_AA, tipLength=0.45)
    elif style == "priority":  # a yellow diamond with a white border (the solid is turned 45 degrees)
        out[:] = (0.97, 0.97, 0.97)
        cv2.rectangle(out, (18, 18), (n - 19, n - 19), (0.95, 0.75, 0.05), -1)
        cv2.rectangle(out, (2, 2), (n - 3, n - 3), (0.1, 0.1, 0.1), 2)
    else:  # info: a white P on blue
        out[:] = (0.05, 0.25, 0.7)
        cv2.rectangle(out, (6, 6), (n - 7, n - 7), (0.97, 0.97, 0.97), 3)
        glyph = np.zeros((n, n), np.uint8)  # OpenCV draws text on 8-bit images only
        cv2.putText(glyph, "P", (34, 104), cv2.FONT_HERSHEY_SIMPLEX, 3.2, 255, 12, cv2.LINE_AA)
        alpha = glyph[:, :, None].astype(np.float32) / 255
        out = out * (1 - alpha) + 0.97 * alpha
    return out


TEXTURES = {
    "asphalt": _asphalt,
    "paint_line": _paint_line,
    "kerb": _kerb,
    "pavement": _pavement,
    "grass": _grass,
    "foliage": _foliage,
    "bark": _bark,
    "rubber": _rubber,
    "cloth": _cloth,
    "hair": _hair,
    "plate": _plate,
    "facade_plaster": lambda rng: _facade(rng, "plaster"),
    "facade_brick": lambda rng: _facade(rng, "brick"),
    "facade_glass": lambda rng: _facade(rng, "glass"),
    "lit_windows": _lit_windows,
    "shopfront": _shopfront,
    "lit_shops": _lit_shops,
    "sign_prohibit": lambda rng: _sign("prohibit"),
    "sign_mandatory": lambda rng: _sign("mandatory"),
    "sign_priority": lambda rng: _sign("priority"),
    "sign_info": lambda rng: _sign("info"),
}


@cache
def texture(name: str) -> np.ndarray:
    """(H, W, 3) uint8 sRGB texture ``name``, made from a fixed seed of its name (the same bytes in
    every process), once per process; read-only. Row 0 is the top (the largest v)."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    out = _to_uint8(TEXTURES[name](rng))
    out.flags.writeable = False
    return out
