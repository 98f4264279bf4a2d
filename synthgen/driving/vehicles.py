"""Procedural vehicles: body styles (sedan, hatchback, SUV, van, truck, bus, motorbike) with wheels
(tyres and rims), windows, head and tail lights, mirrors, bumpers and licence plates, in colours
drawn from the shares of the world's car fleet.

Local frame: x forward, y to the left, z up, the bottom centre at the origin (``meshes.fitted``
then makes the 3D box tight around what was built).
"""

from __future__ import annotations

import math

import numpy as np

from synthgen.driving.objects import SceneObject, Solid

# kind -> (category, length, width, height ranges)
VEHICLE_KINDS = {
    "car": ("car", (3.9, 4.9), (1.7, 1.9), (1.4, 1.75)),
    "van": ("car", (4.8, 5.6), (1.9, 2.1), (1.9, 2.4)),
    "truck": ("truck", (6.5, 9.0), (2.3, 2.5), (3.0, 3.6)),
    "bus": ("bus", (10.5, 12.5), (2.5, 2.55), (3.0, 3.3)),
    "motorbike": ("motorcycle", (1.9, 2.2), (0.7, 0.85), (1.1, 1.25)),
}
CAR_BODIES = ("sedan", "hatchback", "suv")


def _palette(entries) -> tuple[tuple[tuple[int, int, int], ...], np.ndarray]:
    colors = tuple(c for c, _ in entries)
    weights = np.array([w for _, w in entries], np.float64)
    return colors, weights / weights.sum()


# Body colours by their share of the world's new cars (Axalta Global Automotive Color Popularity
# Report 2022: white 35 %, black 19 %, grey 19 %, silver 10 %, blue 7 %, red 6 %, brown/beige 2 %,
# green 1 %, yellow/gold 1 %): white, black, grey and silver dominate.
FLEET = _palette(
    (
        ((236, 236, 234), 35), ((22, 22, 26), 19), ((105, 108, 112), 12), ((70, 72, 78), 7), ((175, 178, 182), 10),
        ((30, 55, 120), 5), ((90, 130, 180), 2), ((150, 20, 25), 6), ((150, 120, 90), 2), ((35, 80, 50), 1),
        ((200, 165, 40), 1),
    )
)  # fmt: skip
BUS_COLORS = _palette(
    (((235, 235, 230), 35), ((200, 30, 30), 20), ((230, 180, 20), 15), ((30, 70, 150), 15), ((40, 120, 70), 15))
)
GLASS = (35, 45, 55)
TYRE = (22, 22, 22)
RIM = (165, 165, 170)
TRIM = (30, 30, 32)  # bumpers, grilles, mirror arms: black plastic
PLATE = (235, 235, 225)
HEAD_LIGHT = ((235, 235, 225), (255, 252, 235))  # off, on
TAIL_LIGHT = ((150, 15, 15), (235, 30, 25))


def _pick(rng: np.random.Generator, palette) -> tuple[int, int, int]:
    colors, weights = palette
    base = np.asarray(colors[int(rng.choice(len(colors), p=weights))], np.float64)
    return tuple(int(v) for v in np.clip(base * rng.uniform(0.93, 1.07), 0, 255))


def _box(size, color, center, material: str, rotation=(0.0, 0.0, 0.0)) -> Solid:
    return Solid(
        "box",
        tuple(float(v) for v in size),
        color,
        tuple(float(v) for v in center),
        tuple(float(v) for v in rotation),
        material=material,
    )


def _wheel(x: float, y: float, r: float, width: float) -> list[Solid]:
    """A tyre with its rim and hub, axis along y."""
    turn = (math.pi / 2, 0.0, 0.0)
    side = 1.0 if y > 0 else -1.0
    return [
        Solid("cylinder", (r, width), TYRE, (x, y, r), turn, material="rubber"),
        Solid("cylinder", (r * 0.62, width + 0.02), RIM, (x, y, r), turn, material="metal"),
        Solid("cylinder", (r * 0.18, width + 0.05), (90, 90, 95), (x, y + side * 0.0, r), turn, material="metal"),
    ]


def _lights_and_plates(length, width, z_head, z_tail, lights_on, solids, lamp_w=0.3, rear_plate_z=None):
    """Head and tail lights at the corners of the front and back faces, plates in the middle."""
    head, tail = HEAD_LIGHT[lights_on], TAIL_LIGHT[lights_on]
    for s in (1, -1):
        y = s * (width / 2 - lamp_w / 2 - 0.06)
        solids.append(_box((0.05, lamp_w, 0.12), head, (length / 2 + 0.005, y, z_head), "head_light"))
        solids.append(_box((0.05, lamp_w * 0.9, 0.14), tail, (-length / 2 - 0.005, y, z_tail), "tail_light"))
    # EU plates are 520 x 110 mm
    solids.append(_box((0.02, 0.52, 0.11), PLATE, (length / 2 + 0.02, 0.0, z_head - 0.14), "plate"))
    z = rear_plate_z if rear_plate_z is not None else z_tail - 0.12
    solids.append(_box((0.02, 0.52, 0.11), PLATE, (-length / 2 - 0.02, 0.0, z), "plate"))


def _car(rng, length, width, height, color, lights_on, body) -> list[Solid]:
    """A sedan, hatchback or SUV: body, bumpers, glasshouse (pillars, windscreen, side windows)."""
    wheel_r = 0.36 if body == "suv" else 0.31
    clearance = 0.28 if body == "suv" else 0.16
    body_h = (height - clearance) * (0.55 if body == "suv" else 0.5)
    top = clearance + body_h
    cab_h = height - top
    solids = [_box((length - 0.1, width, body_h), color, (0, 0, clearance + body_h / 2), "paint")]
    for s in (1, -1):  # bumpers
        solids.append(_box((0.12, width + 0.02, 0.2), TRIM, (s * (length / 2 - 0.06), 0, clearance + 0.12), "plastic"))
    solids.append(_box((0.04, width * 0.5, 0.12), TRIM, (length / 2 - 0.03, 0, top - 0.14), "plastic"))  # grille
    # the glasshouse: its length and where its back ends by body style
    if body == "sedan":
        cab_l, cab_x = length * 0.46, -length * 0.04
    elif body == "hatchback":
        cab_l, cab_x = length * 0.55, -length * 0.13
    else:
        cab_l, cab_x = length * 0.62, -length * 0.12
    cab_w = width * 0.88
    solids.append(_box((cab_l, cab_w, cab_h), color, (cab_x, 0, top + cab_h / 2), "paint"))
    # windscreen and back window, leaning; side windows front and rear with a pillar between
    rake = math.radians(30 if body != "suv" else 22)
    wind_h = cab_h / math.cos(rake)
    front_x = cab_x + cab_l / 2 - math.tan(rake) * cab_h / 2 + 0.02
    solids.append(
        _box((0.03, cab_w * 0.92, wind_h * 0.9), GLASS, (front_x + 0.03, 0, top + cab_h / 2), "glass", (0, rake, 0))
    )
    back_rake = math.radians(35 if body == "sedan" else 12)
    back_x = cab_x - cab_l / 2 + math.tan(back_rake) * cab_h / 2 - 0.02
    solids.append(
        _box(
            (0.03, cab_w * 0.9, cab_h / math.cos(back_rake) * 0.85),
            GLASS,
            (back_x - 0.03, 0, top + cab_h / 2),
            "glass",
            (0, -back_rake, 0),
        )
    )
    win_h = cab_h * 0.72
    span = cab_l - math.tan(rake) * cab_h - math.tan(back_rake) * cab_h
    for s in (1, -1):
        y = s * (cab_w / 2 + 0.005)
        front_len, rear_len = span * 0.5, span * 0.42
        solids.append(_box((front_len, 0.03, win_h), GLASS, (cab_x + span * 0.24, y, top + cab_h * 0.5), "glass"))
        solids.append(_box((rear_len, 0.03, win_h), GLASS, (cab_x - span * 0.26, y, top + cab_h * 0.5), "glass"))
        # mirrors at the base of the A pillar
        mirror_x = cab_x + cab_l / 2 - 0.1
        solids.append(_box((0.1, 0.16, 0.11), color, (mirror_x, s * (width / 2 + 0.08), top + 0.08), "paint"))
        # door line: a dark seam down the side
        solids.append(
            _box(
                (0.015, 0.01, body_h * 0.8),
                TRIM,
                (cab_x + span * 0.0, s * (width / 2 + 0.003), clearance + body_h * 0.55),
                "plastic",
            )
        )
    if body == "suv" and rng.random() < 0.5:  # roof rails
        for s in (1, -1):
            solids.append(
                _box((cab_l * 0.8, 0.04, 0.05), TRIM, (cab_x, s * cab_w * 0.4, height - 0.025 + 0.0), "metal")
            )
    axle = length / 2 - max(0.75, length * 0.17)
    for x in (axle, -axle):
        for s in (1, -1):
            solids += _wheel(x, s * (width / 2 - 0.1), wheel_r, 0.22)
    _lights_and_plates(length, width, top - 0.12, top - 0.1, lights_on, solids)
    return solids


def _van(rng, length, width, height, color, lights_on) -> list[Solid]:
    clearance, wheel_r = 0.2, 0.35
    body_h = height - clearance
    solids = [_box((length - 0.1, width, body_h), color, (0, 0, clearance + body_h / 2), "paint")]
    for s in (1, -1):
        solids.append(_box((0.12, width + 0.02, 0.22), TRIM, (s * (length / 2 - 0.06), 0, clearance + 0.14), "plastic"))
    hood_h = body_h * 0.42
    solids.append(
        _box(
            (0.03, width * 0.86, body_h * 0.36),
            GLASS,
            (length / 2 - 0.04, 0, clearance + hood_h + body_h * 0.2),
            "glass",
            (0, math.radians(12), 0),
        )
    )
    for s in (1, -1):
        y = s * (width / 2 + 0.005)
        solids.append(
            _box((length * 0.16, 0.03, body_h * 0.3), GLASS, (length * 0.34, y, clearance + body_h * 0.7), "glass")
        )
        if rng.random() < 0.5:  # a passenger van: windows along the side
            solids.append(
                _box((length * 0.5, 0.03, body_h * 0.28), GLASS, (-length * 0.08, y, clearance + body_h * 0.7), "glass")
            )
        solids.append(
            _box((0.1, 0.18, 0.14), TRIM, (length * 0.38, s * (width / 2 + 0.09), clearance + body_h * 0.55), "plastic")
        )
    solids.append(
        _box((0.03, width * 0.7, body_h * 0.3), GLASS, (-length / 2 + 0.04, 0, clearance + body_h * 0.72), "glass")
    )
    axle = length / 2 - max(0.8, length * 0.16)
    for x in (axle, -axle):
        for s in (1, -1):
            solids += _wheel(x, s * (width / 2 - 0.12), wheel_r, 0.22)
    _lights_and_plates(length, width, clearance + hood_h * 0.8, clearance + 0.5, lights_on, solids)
    return solids


def _truck(rng, length, width, height, color, lights_on) -> list[Solid]:
    clearance, wheel_r = 0.35, 0.5
    body_h = height - clearance
    cab_l = 2.2
    cab_h = min(body_h * 0.85, 2.6)
    solids = [_box((cab_l, width, cab_h), color, (length / 2 - cab_l / 2, 0, clearance + cab_h / 2), "paint")]
    solids.append(_box((0.04, width * 0.86, cab_h * 0.32), GLASS, (length / 2, 0, clearance + cab_h * 0.7), "glass"))
    solids.append(
        _box((0.05, width * 0.7, cab_h * 0.22), TRIM, (length / 2, 0, clearance + cab_h * 0.3), "plastic")
    )  # grille
    for s in (1, -1):
        solids.append(
            _box(
                (cab_l * 0.35, 0.03, cab_h * 0.28),
                GLASS,
                (length / 2 - cab_l * 0.3, s * (width / 2 + 0.005), clearance + cab_h * 0.7),
                "glass",
            )
        )
        solids.append(
            _box(
                (0.08, 0.06, 0.45),
                TRIM,
                (length / 2 - 0.2, s * (width / 2 + 0.18), clearance + cab_h * 0.65),
                "plastic",
            )
        )
        solids.append(
            Solid(
                "cylinder",
                (0.28, 1.0),
                (150, 150, 155),
                (length / 2 - cab_l - 0.8, s * (width / 2 - 0.35), clearance + 0.3),
                (0, math.pi / 2, 0),
                material="metal",
            )
        )
    cargo = (235, 235, 235) if rng.random() < 0.6 else _pick(rng, FLEET)
    cargo_l = length - cab_l - 0.2
    solids.append(_box((cargo_l, width, body_h), cargo, (-(cab_l + 0.2) / 2, 0, clearance + body_h / 2), "paint"))
    solids.append(
        _box((cargo_l, width * 0.9, 0.25), TRIM, (-(cab_l + 0.2) / 2, 0, clearance - 0.05), "metal")
    )  # chassis
    front = length / 2 - 1.2
    for x in (front, -length / 2 + 1.4, -length / 2 + 2.5):
        for s in (1, -1):
            solids += _wheel(x, s * (width / 2 - 0.18), wheel_r, 0.3)
    _lights_and_plates(length, width, clearance + 0.45, clearance + 0.3, lights_on, solids, lamp_w=0.35)
    return solids


def _bus(rng, length, width, height, color, lights_on) -> list[Solid]:
    clearance, wheel_r = 0.3, 0.5
    body_h = height - clearance
    solids = [_box((length, width, body_h), color, (0, 0, clearance + body_h / 2), "paint")]
    solids.append(_box((0.04, width * 0.92, body_h * 0.5), GLASS, (length / 2, 0, clearance + body_h * 0.55), "glass"))
    sign = (255, 170, 40) if lights_on else (40, 35, 25)
    solids.append(
        _box(
            (0.05, width * 0.7, 0.22),
            sign,
            (length / 2 + 0.005, 0, height - 0.2),
            "window_lit" if lights_on else "glass",
        )
    )
    for s in (1, -1):
        y = s * (width / 2 + 0.005)
        # a row of windows with pillars between
        n = 6
        pane = (length * 0.78) / n
        for i in range(n):
            x = -length * 0.42 + (i + 0.5) * pane
            solids.append(
                _box(
                    (pane * 0.85, 0.03, body_h * 0.32),
                    GLASS,
                    (x, y, clearance + body_h * 0.68),
                    "window_lit" if lights_on else "glass",
                )
            )
        solids.append(
            _box(
                (0.1, 0.06, 0.45),
                TRIM,
                (length / 2 - 0.05, s * (width / 2 + 0.15), clearance + body_h * 0.75),
                "plastic",
            )
        )
    # the door on the kerb (right) side, near the front
    solids.append(
        _box(
            (1.1, 0.03, body_h * 0.8),
            GLASS,
            (length / 2 - 1.0, -(width / 2 + 0.01), clearance + body_h * 0.45),
            "glass",
        )
    )
    solids.append(_box((0.04, width * 0.86, body_h * 0.3), GLASS, (-length / 2, 0, clearance + body_h * 0.7), "glass"))
    for x in (length / 2 - 2.3, -length / 2 + 3.0):
        for s in (1, -1):
            solids += _wheel(x, s * (width / 2 - 0.2), wheel_r, 0.3)
    _lights_and_plates(length, width, clearance + 0.45, clearance + 0.45, lights_on, solids, lamp_w=0.35)
    return solids


def _motorbike(rng, length, width, height, color, lights_on) -> list[Solid]:
    """Two wheels, a frame, a tank, a seat, handlebars with mirrors, a head and a tail light, an exhaust."""
    r = 0.31
    wheelbase = length - 2 * r - 0.05
    rear, front = np.array([-wheelbase / 2, 0, r]), np.array([wheelbase / 2, 0, r])
    turn = (math.pi / 2, 0.0, 0.0)
    solids = []
    for c in (rear, front):
        solids.append(Solid("cylinder", (r, 0.13), TYRE, tuple(c), turn, material="rubber"))
        solids.append(Solid("cylinder", (r * 0.65, 0.14), RIM, tuple(c), turn, material="metal"))
    head = front + np.array([-0.22, 0, height - 0.35 - r])
    seat = np.array([-0.2, 0, 0.8])
    engine = np.array([0.0, 0, 0.45])

    def seg(radius, col, a, b, material):
        return Solid(
            "segment", (radius,), col, a=tuple(float(v) for v in a), b=tuple(float(v) for v in b), material=material
        )

    solids.append(seg(0.03, (120, 120, 125), front, head, "metal"))  # fork
    solids.append(seg(0.035, TRIM, head, seat + np.array([0.1, 0, 0]), "metal"))
    solids.append(seg(0.035, TRIM, engine, rear, "metal"))  # swing arm
    solids.append(_box((0.42, 0.3, 0.3), (60, 60, 62), engine, "metal"))  # engine
    solids.append(_box((0.45, 0.3, 0.2), color, (0.12, 0, 0.85), "paint", (0, math.radians(-8), 0)))  # tank
    solids.append(_box((0.55, 0.26, 0.1), (25, 25, 25), tuple(seat), "plastic"))
    solids.append(_box((0.4, 0.22, 0.14), color, (-0.55, 0, 0.78), "paint", (0, math.radians(12), 0)))  # tail
    solids.append(seg(0.05, (170, 170, 175), np.array([-0.1, -0.2, 0.35]), np.array([-0.75, -0.2, 0.45]), "metal"))
    bar = head + np.array([-0.05, 0, 0.08])
    solids.append(
        seg(0.014, TRIM, bar + np.array([0, width / 2 - 0.05, 0]), bar - np.array([0, width / 2 - 0.05, 0]), "metal")
    )
    for s in (1, -1):
        solids.append(_box((0.03, 0.08, 0.05), TRIM, tuple(bar + np.array([0.02, s * 0.28, 0.22])), "plastic"))
    solids.append(
        Solid(
            "cylinder",
            (0.09, 0.08),
            HEAD_LIGHT[lights_on],
            tuple(head + np.array([0.1, 0, -0.05])),
            (0, math.pi / 2, 0),
            material="head_light",
        )
    )
    solids.append(_box((0.04, 0.14, 0.06), TAIL_LIGHT[lights_on], (-0.76, 0, 0.83), "tail_light"))
    solids.append(_box((0.02, 0.2, 0.13), PLATE, (-0.78, 0, 0.68), "plate"))
    return solids


def vehicle(kind: str, rng: np.random.Generator, position, heading: float, lights_on: bool = False) -> SceneObject:
    """A car (sedan, hatchback or SUV), van, truck, bus or motorbike with its bottom centre at
    ``position``, facing ``heading`` (radians)."""
    category, lr, wr, hr = VEHICLE_KINDS[kind]
    body = str(rng.choice(CAR_BODIES, p=[0.45, 0.3, 0.25])) if kind == "car" else kind
    length, width, height = (float(rng.uniform(*r)) for r in (lr, wr, hr))
    if body == "suv":
        height = float(rng.uniform(1.65, 1.85))
    color = _pick(rng, BUS_COLORS if kind == "bus" else FLEET)
    lights_on = bool(lights_on)
    if kind == "car":
        solids = _car(rng, length, width, height, color, lights_on, body)
    else:
        solids = {"van": _van, "truck": _truck, "bus": _bus, "motorbike": _motorbike}[kind](
            rng, length, width, height, color, lights_on
        )
    attributes = [("type", kind)]
    if kind == "car":
        attributes.append(("body", body))
    return SceneObject(
        name=kind,
        category=category,
        solids=tuple(solids),
        position=tuple(float(v) for v in position),
        heading=float(heading),
        dimensions=(length, width, height),
        attributes=tuple(attributes),
    )
