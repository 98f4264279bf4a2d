"""Procedural vehicles: a body, a cabin with windows, wheels and lights, sized by kind."""

from __future__ import annotations

import numpy as np

from synthgen.driving.objects import SceneObject, Solid

# kind -> (category, length, width, height ranges, cabin share of the length, cabin position)
VEHICLE_KINDS = {
    "car": ("car", (3.9, 4.8), (1.7, 1.9), (1.4, 1.6)),
    "van": ("car", (4.8, 5.6), (1.9, 2.1), (1.9, 2.4)),
    "truck": ("truck", (6.5, 9.0), (2.3, 2.5), (3.0, 3.6)),
    "bus": ("bus", (10.5, 12.5), (2.5, 2.55), (3.0, 3.3)),
}
BODY_COLORS = (
    (200, 200, 205), (30, 30, 35), (160, 20, 25), (20, 50, 140), (235, 235, 230),
    (90, 95, 100), (180, 150, 40), (30, 90, 50),
)  # fmt: skip
GLASS = (40, 55, 70)
TYRE = (25, 25, 25)
RIM = (150, 150, 155)


def vehicle(kind: str, rng: np.random.Generator, position, heading: float, lights_on: bool = False) -> SceneObject:
    """A car, van, truck or bus with its bottom centre at ``position``, facing ``heading`` (radians)."""
    category, lr, wr, hr = VEHICLE_KINDS[kind]
    length, width, height = (float(rng.uniform(*r)) for r in (lr, wr, hr))
    color = BODY_COLORS[int(rng.integers(len(BODY_COLORS)))]
    wheel_r = {"car": 0.32, "van": 0.36, "truck": 0.5, "bus": 0.5}[kind]
    clearance = wheel_r * 0.5
    solids: list[Solid] = []
    if kind == "car":
        body_h = height * 0.5
        solids.append(Solid("box", (length, width, body_h), color, (0, 0, clearance + body_h / 2)))
        cab_l, cab_h = length * 0.5, height - clearance - body_h
        solids.append(
            Solid("box", (cab_l, width * 0.9, cab_h), color, (-length * 0.05, 0, clearance + body_h + cab_h / 2))
        )
        # windscreen and rear window: thin dark boxes on the cabin's faces; side windows
        for sign in (1, -1):
            solids.append(
                Solid(
                    "box",
                    (0.04, width * 0.8, cab_h * 0.75),
                    GLASS,
                    (-length * 0.05 + sign * cab_l / 2, 0, clearance + body_h + cab_h * 0.5),
                )
            )
            solids.append(
                Solid(
                    "box",
                    (cab_l * 0.8, 0.04, cab_h * 0.7),
                    GLASS,
                    (-length * 0.05, sign * width * 0.45, clearance + body_h + cab_h * 0.5),
                )
            )
    elif kind == "van":
        body_h = height - clearance
        solids.append(Solid("box", (length, width, body_h), color, (0, 0, clearance + body_h / 2)))
        solids.append(
            Solid("box", (0.04, width * 0.85, body_h * 0.35), GLASS, (length / 2, 0, clearance + body_h * 0.72))
        )
        for sign in (1, -1):
            solids.append(
                Solid(
                    "box",
                    (length * 0.2, 0.04, body_h * 0.3),
                    GLASS,
                    (length * 0.33, sign * width / 2, clearance + body_h * 0.72),
                )
            )
    else:  # truck, bus: a cab and a box body, or one long body with a row of windows
        body_h = height - clearance
        if kind == "truck":
            cab_l = 2.2
            solids.append(
                Solid("box", (cab_l, width, body_h * 0.8), color, (length / 2 - cab_l / 2, 0, clearance + body_h * 0.4))
            )
            solids.append(
                Solid("box", (0.04, width * 0.85, body_h * 0.3), GLASS, (length / 2, 0, clearance + body_h * 0.6))
            )
            cargo = (235, 235, 235) if rng.random() < 0.6 else color
            solids.append(
                Solid(
                    "box", (length - cab_l - 0.2, width, body_h), cargo, (-(cab_l + 0.2) / 2, 0, clearance + body_h / 2)
                )
            )
        else:
            solids.append(Solid("box", (length, width, body_h), color, (0, 0, clearance + body_h / 2)))
            solids.append(
                Solid("box", (0.04, width * 0.9, body_h * 0.45), GLASS, (length / 2, 0, clearance + body_h * 0.6))
            )
            for sign in (1, -1):
                solids.append(
                    Solid(
                        "box",
                        (length * 0.8, 0.04, body_h * 0.3),
                        GLASS,
                        (-length * 0.05, sign * width / 2, clearance + body_h * 0.65),
                    )
                )
    # wheels: axis along y
    axle_x = length / 2 - max(0.8, length * 0.17)
    for x in (axle_x, -axle_x):
        for sign in (1, -1):
            y = sign * (width / 2 - 0.12)
            solids.append(Solid("cylinder", (wheel_r, 0.24), TYRE, (x, y, wheel_r), (np.pi / 2, 0, 0)))
            solids.append(Solid("cylinder", (wheel_r * 0.55, 0.26), RIM, (x, y, wheel_r), (np.pi / 2, 0, 0)))
    # head and tail lights
    lamp = (255, 250, 220) if lights_on else (220, 220, 210)
    for sign in (1, -1):
        solids.append(Solid("box", (0.05, 0.25, 0.12), lamp, (length / 2, sign * (width / 2 - 0.25), clearance + 0.35)))
        solids.append(
            Solid("box", (0.05, 0.22, 0.12), (170, 10, 10), (-length / 2, sign * (width / 2 - 0.25), clearance + 0.4))
        )
    return SceneObject(
        name=kind,
        category=category,
        solids=tuple(solids),
        position=tuple(float(v) for v in position),
        heading=float(heading),
        dimensions=(length, width, height),
        attributes=(("type", kind),),
    )
