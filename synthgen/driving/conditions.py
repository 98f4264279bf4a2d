"""Lighting conditions: day, dusk and night (street lamps, headlights as spot lights)."""

from __future__ import annotations

import math

import numpy as np

from synthgen.driving.lights import Environment, Light
from synthgen.driving.objects import SceneObject

TIMES_OF_DAY = ("day", "dusk", "night")
MAX_LAMPS = 4  # pyrender draws at most 4 lights of each kind


def _sun(elevation_deg: float, azimuth_deg: float) -> tuple[float, float, float]:
    el, az = math.radians(elevation_deg), math.radians(azimuth_deg)
    return (-math.cos(el) * math.cos(az), -math.cos(el) * math.sin(az), -math.sin(el))


def headlights(
    x: float, y: float, heading: float, z: float = 0.7, width: float = 1.5, intensity: float = 60.0
) -> list[Light]:
    """Two spot lights at a vehicle's front corners, aimed along its heading, a little down."""
    c, s = math.cos(heading), math.sin(heading)
    direction = (c * 0.995, s * 0.995, -0.1)
    out = []
    for side in (1, -1):
        px = x - s * side * width / 2
        py = y + c * side * width / 2
        out.append(Light("spot", (1.0, 0.95, 0.85), intensity, (px, py, z), direction, (0.15, 0.45), 80.0))
    return out


def lighting(
    time_of_day: str,
    rng: np.random.Generator,
    lamps: list[tuple[float, float, float]],
    vehicles: list[SceneObject],
) -> tuple[Environment, list[Light]]:
    """The environment and lights of a time of day.

    Args:
        time_of_day: ``day``, ``dusk`` or ``night``.
        rng: the scene's generator.
        lamps: bulb positions of the street lamps (night: the nearest are lit).
        vehicles: vehicles that may have their headlights on (dusk, night), nearest first.
    """
    azimuth = float(rng.uniform(-120, 120))
    if time_of_day == "day":
        env = Environment((135, 180, 230), (0.35, 0.35, 0.38), "day")
        sun = Light(
            "directional",
            (1.0, 0.98, 0.92),
            float(rng.uniform(3.0, 4.5)),
            direction=_sun(float(rng.uniform(25, 70)), azimuth),
        )
        sky = Light("directional", (0.6, 0.7, 0.9), 1.0, direction=(0.0, 0.0, -1.0))
        return env, [sun, sky]
    lights: list[Light] = []
    if time_of_day == "dusk":
        env = Environment((225, 145, 100), (0.18, 0.14, 0.14), "dusk")
        lights.append(
            Light(
                "directional",
                (1.0, 0.6, 0.35),
                float(rng.uniform(1.5, 2.5)),
                direction=_sun(float(rng.uniform(3, 10)), azimuth),
            )
        )
        lights.append(Light("directional", (0.4, 0.4, 0.6), 0.5, direction=(0.0, 0.0, -1.0)))
        lights += headlights(0.0, 0.0, 0.0, intensity=30.0)
    else:
        env = Environment((8, 10, 22), (0.04, 0.04, 0.06), "night")
        lights.append(Light("directional", (0.5, 0.55, 0.8), 0.15, direction=(0.3, 0.2, -1.0)))
        for lamp in sorted(lamps, key=lambda p: abs(p[0] - 15.0))[:MAX_LAMPS]:
            if lamp[0] > -5:
                lights.append(Light("point", (1.0, 0.85, 0.6), 90.0, lamp, range=30.0))
        lights += headlights(0.0, 0.0, 0.0, intensity=70.0)
    for v in vehicles[:1]:  # one more pair of spot lights: the nearest vehicle's headlights
        length = v.dimensions[0]
        c, s = math.cos(v.heading), math.sin(v.heading)
        lights += headlights(v.position[0] + c * length / 2, v.position[1] + s * length / 2, v.heading, intensity=60.0)
    return env, lights
