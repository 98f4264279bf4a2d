"""Lights of the scene graph: plain data, world frame."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Light:
    """A light.

    Attributes:
        kind: ``directional`` (sun, moon), ``point`` (street lamp bulb) or ``spot`` (headlight).
        color: (r, g, b) 0..1.
        intensity: W/m^2 for directional, candela-like for point and spot (pyrender's units).
        position: (x, y, z) world (point, spot).
        direction: (x, y, z) the direction the light travels (directional, spot).
        cone: (inner, outer) half-angles in radians (spot).
        range: metres of influence (point, spot), or None.
    """

    kind: str
    color: tuple[float, float, float]
    intensity: float
    position: tuple[float, float, float] = (0.0, 0.0, 0.0)
    direction: tuple[float, float, float] = (0.0, 0.0, -1.0)
    cone: tuple[float, float] = (0.2, 0.5)
    range: float | None = None


@dataclass(frozen=True)
class Environment:
    """What lights the scene besides its lights.

    Attributes:
        sky: (r, g, b) 0..255 of the sky at the horizon (the empty background).
        ambient: (r, g, b) 0..1 ambient light.
        time_of_day: ``day``, ``dusk`` or ``night``.
        zenith: (r, g, b) 0..255 of the sky overhead (the gradient's other end), or None: a darker
            ``sky``.
        clouds: cloud cover 0..1.
        cloud_shift: (u, v) 0..1 where the scene's sky lies on the cloud texture.
        cloud_color: (r, g, b) 0..255 of the clouds' lit side.
    """

    sky: tuple[int, int, int]
    ambient: tuple[float, float, float]
    time_of_day: str
    zenith: tuple[int, int, int] | None = None
    clouds: float = 0.0
    cloud_shift: tuple[float, float] = (0.0, 0.0)
    cloud_color: tuple[int, int, int] = (240, 240, 245)
