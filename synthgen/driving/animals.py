"""Procedural animals (deer, dog) and road props (tyres, boxes, cones)."""

from __future__ import annotations

import math

import numpy as np

from synthgen.driving.objects import SceneObject, Solid

ANIMALS = {"deer": (1.0, (150, 100, 55)), "dog": (0.45, (110, 80, 50))}  # shoulder height, coat


def animal(kind: str, rng: np.random.Generator, position, heading: float) -> SceneObject:
    """A deer or a dog: a body, four legs along a walking cycle, a neck, a head, ears or antlers, a tail."""
    shoulder, coat = ANIMALS[kind]
    s = shoulder * float(rng.uniform(0.85, 1.15))
    coat = tuple(int(np.clip(c * rng.uniform(0.8, 1.2), 0, 255)) for c in coat)
    body_l, body_r = 1.1 * s, 0.2 * s
    leg_r = 0.045 * s if kind == "deer" else 0.07 * s
    body_z = s * 0.85
    phase = float(rng.uniform(0, 2 * math.pi))
    solids = [Solid("segment", (body_r,), coat, a=(-body_l / 2, 0, body_z), b=(body_l / 2, 0, body_z + 0.05 * s))]
    for i, (x, y) in enumerate(((0.4, 1), (0.4, -1), (-0.4, 1), (-0.4, -1))):
        swing = math.radians(20) * math.sin(phase + (0 if i in (0, 3) else math.pi))
        top = np.array([x * body_l, y * body_r * 0.6, body_z])
        foot = top + (body_z) * np.array([math.sin(swing), 0, -math.cos(swing)])
        solids.append(Solid("segment", (leg_r,), coat, a=tuple(top), b=tuple(foot)))
    neck_base = np.array([body_l / 2, 0, body_z + 0.05 * s])
    head = neck_base + s * np.array([0.25, 0, 0.45 if kind == "deer" else 0.25])
    solids.append(Solid("segment", (body_r * 0.5,), coat, a=tuple(neck_base), b=tuple(head)))
    solids.append(
        Solid("segment", (body_r * 0.45,), coat, a=tuple(head), b=tuple(head + s * np.array([0.22, 0, -0.05])))
    )
    dark = (30, 25, 20)
    solids.append(Solid("sphere", (body_r * 0.15,), dark, tuple(head + s * np.array([0.23, 0, -0.04]))))
    for y in (1, -1):
        if kind == "deer":
            base = head + np.array([0, y * 0.05, 0.08 * s])
            solids.append(
                Solid(
                    "segment",
                    (0.015,),
                    (200, 180, 150),
                    a=tuple(base),
                    b=tuple(base + s * np.array([-0.05, y * 0.15, 0.3])),
                )
            )
            solids.append(
                Solid(
                    "segment",
                    (0.012,),
                    (200, 180, 150),
                    a=tuple(base + s * np.array([-0.02, y * 0.07, 0.15])),
                    b=tuple(base + s * np.array([0.1, y * 0.1, 0.25])),
                )
            )
        else:
            solids.append(
                Solid(
                    "segment",
                    (0.02 * s + 0.01,),
                    dark,
                    a=tuple(head + np.array([0, y * 0.05, 0.03])),
                    b=tuple(head + s * np.array([-0.05, y * 0.12, 0.15])),
                )
            )
    tail = np.array([-body_l / 2, 0, body_z + 0.05 * s])
    solids.append(
        Solid(
            "segment",
            (0.03 * s,),
            coat,
            a=tuple(tail),
            b=tuple(tail + s * np.array([-0.2, 0, 0.15 if kind == "dog" else 0.05])),
        )
    )
    return SceneObject(
        kind,
        "animal",
        tuple(solids),
        tuple(float(v) for v in position),
        float(heading),
        (1.0, 1.0, 1.0),
        attributes=(("type", kind),),
    )


def prop(kind: str, rng: np.random.Generator, position, heading: float) -> SceneObject:
    """Road debris (a lying ``tyre``, a cardboard ``box``) or a traffic ``cone``."""
    if kind == "tyre":
        r = float(rng.uniform(0.3, 0.45))
        solids = (
            Solid("cylinder", (r, 0.22), (25, 25, 25), (0, 0, 0.11)),
            Solid("cylinder", (r * 0.55, 0.23), (60, 60, 60), (0, 0, 0.11)),
        )
    elif kind == "box":
        size = tuple(float(v) for v in rng.uniform(0.3, 0.8, 3))
        color = (int(rng.integers(150, 200)), int(rng.integers(110, 150)), int(rng.integers(60, 90)))
        solids = (Solid("box", size, color, (0, 0, size[2] / 2), (0, 0, float(rng.uniform(0, math.pi)))),)
    elif kind == "cone":
        solids = (
            Solid("box", (0.4, 0.4, 0.04), (230, 80, 0), (0, 0, 0.02)),
            Solid("segment", (0.1,), (240, 90, 0), a=(0, 0, 0.04), b=(0, 0, 0.7)),
            Solid("segment", (0.105,), (245, 245, 245), a=(0, 0, 0.35), b=(0, 0, 0.5)),
        )
    else:
        raise ValueError(f"unknown prop {kind!r}")
    return SceneObject(
        kind,
        "obstacle",
        solids,
        tuple(float(v) for v in position),
        float(heading),
        (1.0, 1.0, 1.0),
        attributes=(("type", kind),),
    )
