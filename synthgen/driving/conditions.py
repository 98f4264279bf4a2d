"""Lighting conditions: day, dusk and night (street lamps, headlights as spot lights)."""

from __future__ import annotations

import math

import numpy as np

from synthgen.driving.lights import Environment, Light
from synthgen.driving.objects import SceneObject

TIMES_OF_DAY = ("day", "dusk", "night")
LIT_LAMPS = 2  # pyrender draws at most 4 lights of each kind: 2 lamps and the 2 ego headlights


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
    # the sky's light is ambient (bluish by day): the sun is the scene's one directional light, the
    # one that casts shadows
    if time_of_day == "day":
        sun = Light(
            "directional",
            (1.0, 0.98, 0.92),
            float(rng.uniform(3.0, 4.5)),
            direction=_sun(float(rng.uniform(25, 70)), azimuth),
        )
        env = _with_clouds(Environment((190, 212, 235), (0.5, 0.55, 0.65), "day", (70, 125, 205)), rng)
        return env, [sun]
    lights: list[Light] = []
    if time_of_day == "dusk":
        env = Environment((235, 150, 95), (0.2, 0.17, 0.2), "dusk", (55, 70, 125), cloud_color=(250, 170, 140))
        lights.append(
            Light(
                "directional",
                (1.0, 0.6, 0.35),
                float(rng.uniform(1.5, 2.5)),
                direction=_sun(float(rng.uniform(3, 10)), azimuth),
            )
        )
        lights += headlights(0.0, 0.0, 0.0, intensity=30.0)
    else:
        # the shader's output is gamma-encoded: a linear 0.05 is already a visible grey, so night
        # light is weak; lamps light pools (inverse square) and the headlights the road ahead
        env = Environment((14, 16, 30), (0.006, 0.006, 0.01), "night", (2, 3, 9), cloud_color=(34, 34, 44))
        lights.append(Light("directional", (0.5, 0.55, 0.8), 0.03, direction=(0.3, 0.2, -1.0)))
        # street lamps are hooded: spot lights aimed down light a pool of road and pavement, not the
        # facades (pyrender takes 4 spot lights: the two nearest lamps ahead and the ego headlights)
        for lamp in sorted((p for p in lamps if p[0] > 2.0), key=lambda p: p[0])[:LIT_LAMPS]:
            lights.append(Light("spot", (1.0, 0.8, 0.55), 24.0, lamp, (0.0, 0.0, -1.0), (0.5, 1.05), 25.0))
        lights += headlights(0.0, 0.0, 0.0, intensity=120.0)
    for v in vehicles[:1]:  # the nearest vehicle's headlights: a light on the road in front of it
        length = v.dimensions[0]
        c, s = math.cos(v.heading), math.sin(v.heading)
        if time_of_day == "dusk":
            bumper = (v.position[0] + c * length / 2, v.position[1] + s * length / 2)
            lights += headlights(*bumper, v.heading, intensity=60.0)
        else:  # the spot lights are taken (lamps, ego): a point light over the road in front of it
            front = (v.position[0] + c * (length / 2 + 1.5), v.position[1] + s * (length / 2 + 1.5), 0.6)
            lights.append(Light("point", (1.0, 0.95, 0.85), 3.0, front, range=15.0))
    return _with_clouds(env, rng), lights


def _with_clouds(env: Environment, rng: np.random.Generator) -> Environment:
    """The environment with a sampled cloud cover and the place of its sky on the cloud texture (drawn
    last from the scene's generator, after everything else the scene samples)."""
    from dataclasses import replace

    cover = float(rng.uniform(0.05, 0.6))
    return replace(env, clouds=cover, cloud_shift=(float(rng.random()), float(rng.random())))
