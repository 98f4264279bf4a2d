"""The procedural road and its backdrop: lanes and markings, sidewalks with curbs, a crosswalk, an
optional intersection; buildings, trees, street lamps, traffic lights and signs. All backdrop
(``SceneObject.instance = False``): it gets a semantic id, never an instance id.

The ego lane is the rightmost lane (right-hand traffic), centred on y = 0; the road runs along x.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthgen.driving.objects import SceneObject, Solid

ROAD_START, ROAD_END = -10.0, 160.0
ASPHALT = (70, 70, 74)
WHITE = (225, 225, 220)
YELLOW = (225, 190, 40)
SIDEWALK = (150, 148, 142)
CURB = (175, 173, 168)


@dataclass(frozen=True)
class RoadLayout:
    """A sampled road.

    Attributes:
        lanes: number of lanes (the ego lane is the rightmost; lanes to its left run the other way
            when ``two_way``).
        lane_width: metres.
        sidewalk_width: metres (0: none, as on a highway, where a guard rail stands instead).
        two_way: whether the lanes left of the middle carry oncoming traffic.
        crosswalk_at: distance (x) of a zebra crossing, or None.
        intersection_at: distance (x) of the centre of a crossing road, or None.
        highway: a highway look: no buildings, trees and guard rails instead.
        parking: width of the parking strip (or the hard shoulder) right of the ego lane, metres.
        buildings: whether buildings line the road (a town) or not (the countryside).
    """

    lanes: int
    lane_width: float
    sidewalk_width: float
    two_way: bool
    crosswalk_at: float | None
    intersection_at: float | None
    highway: bool = False
    parking: float = 0.0
    buildings: bool = True

    @property
    def right_edge(self) -> float:
        return -self.lane_width / 2 - self.parking

    @property
    def kerb_lane(self) -> float:
        """y of the middle of the parking strip."""
        return -self.lane_width / 2 - self.parking / 2

    @property
    def left_edge(self) -> float:
        return self.lane_width / 2 + (self.lanes - 1) * self.lane_width

    def lane_center(self, index: int) -> float:
        """y of lane ``index`` (0 = ego lane, 1 = the one to its left, ...)."""
        return index * self.lane_width

    def on_intersection(self, x: float, margin: float = 0.0) -> bool:
        if self.intersection_at is None:
            return False
        half = self.lanes * self.lane_width / 2 + self.sidewalk_width + margin
        return abs(x - self.intersection_at) < half


def _thing(name, category, solids, position=(0.0, 0.0, 0.0)) -> SceneObject:
    return SceneObject(name, category, tuple(solids), position, 0.0, (1.0, 1.0, 1.0), instance=False)


def _spans(layout: RoadLayout, start: float, end: float, gap: float) -> list[tuple[float, float]]:
    """[start, end] split around the intersection (gap metres either side of its centre)."""
    if layout.intersection_at is None:
        return [(start, end)]
    c = layout.intersection_at
    return [(a, b) for a, b in ((start, c - gap), (c + gap, end)) if b > a]


def road_objects(layout: RoadLayout) -> list[SceneObject]:
    """Road surface, markings, crosswalk, sidewalks and curbs."""
    objs = []
    width = layout.left_edge - layout.right_edge
    mid_y = (layout.left_edge + layout.right_edge) / 2
    length = ROAD_END - ROAD_START
    road = [Solid("box", (length, width, 0.1), ASPHALT, (ROAD_START + length / 2, mid_y, -0.05))]
    cross_half = width / 2 + layout.sidewalk_width
    if layout.intersection_at is not None:
        c = layout.intersection_at
        road.append(Solid("box", (width, 2 * (ROAD_END - 0), 0.1), ASPHALT, (c, mid_y, -0.05)))
    objs.append(_thing("road", "road", road))
    marks = []
    gap = cross_half + 0.5
    # edge lines, solid (the right one between the ego lane and the parking strip)
    for y in (-layout.lane_width / 2 + (0.0 if layout.parking else 0.2), layout.left_edge - 0.2):
        for a, b in _spans(layout, ROAD_START, ROAD_END, gap):
            marks.append(Solid("box", (b - a, 0.15, 0.01), WHITE, ((a + b) / 2, y, 0.005)))
    # lane lines, dashed (3 m of 9); the middle of a two-way road: solid yellow
    middle = layout.lanes // 2 if layout.two_way and layout.lanes >= 2 else None
    for k in range(1, layout.lanes):
        y = -layout.lane_width / 2 + k * layout.lane_width
        for a, b in _spans(layout, ROAD_START, ROAD_END, gap):
            if k == middle:
                marks.append(Solid("box", (b - a, 0.15, 0.01), YELLOW, ((a + b) / 2, y, 0.005)))
                continue
            x = a
            while x + 3 <= b:
                marks.append(Solid("box", (3.0, 0.12, 0.01), WHITE, (x + 1.5, y, 0.005)))
                x += 9.0
    if layout.crosswalk_at is not None:
        c = layout.crosswalk_at
        y = layout.right_edge + 0.3
        while y + 0.5 <= layout.left_edge - 0.3:
            marks.append(Solid("box", (3.0, 0.5, 0.012), WHITE, (c, y + 0.25, 0.006)))
            y += 1.0
    if marks:
        objs.append(_thing("marking", "road", marks))
    if layout.sidewalk_width > 0:
        walks = []
        for side in (-1, 1):
            edge = layout.right_edge if side < 0 else layout.left_edge
            y = edge + side * layout.sidewalk_width / 2
            for a, b in _spans(layout, ROAD_START, ROAD_END, cross_half):
                walks.append(Solid("box", (b - a, layout.sidewalk_width, 0.15), SIDEWALK, ((a + b) / 2, y, 0.075)))
                walks.append(Solid("box", (b - a, 0.2, 0.16), CURB, ((a + b) / 2, edge + side * 0.1, 0.08)))
        objs.append(_thing("sidewalk", "sidewalk", walks))
    # terrain beyond, a little below the road
    objs.append(_thing("terrain", "terrain", [Solid("box", (400.0, 400.0, 0.1), (95, 110, 70), (80.0, mid_y, -0.12))]))
    return objs


def backdrop_objects(
    layout: RoadLayout, rng: np.random.Generator, density: float
) -> tuple[list[SceneObject], list[tuple[float, float, float]]]:
    """Buildings, trees, lamps, traffic lights, signs and guard rails along the road.

    Returns:
        (objects, lamp positions (x, y, z) of the street lamps' bulbs)
    """
    objs: list[SceneObject] = []
    lamps: list[tuple[float, float, float]] = []
    poles, lights, signs, veg, buildings, rails = [], [], [], [], [], []
    for side in (-1, 1):
        edge = layout.right_edge if side < 0 else layout.left_edge
        walk_out = edge + side * layout.sidewalk_width
        if layout.highway:
            y = edge + side * 1.0
            for a, b in _spans(layout, ROAD_START, ROAD_END, 0):
                rails.append(Solid("box", (b - a, 0.1, 0.3), (170, 170, 170), ((a + b) / 2, y, 0.55)))
                for x in np.arange(a, b, 4.0):
                    rails.append(Solid("box", (0.1, 0.1, 0.7), (120, 120, 120), (float(x), y, 0.35)))
        elif layout.buildings:
            x = ROAD_START + float(rng.uniform(0, 6))
            while x < ROAD_END:  # buildings set back from the sidewalk, with rows of windows
                w = float(rng.uniform(8, 20))
                if not layout.on_intersection(x + w / 2, w / 2):
                    depth, height = float(rng.uniform(8, 15)), float(rng.uniform(6, 25))
                    grey = int(rng.integers(90, 200))
                    color = (grey, int(grey * rng.uniform(0.85, 1.0)), int(grey * rng.uniform(0.7, 1.0)))
                    y = walk_out + side * (depth / 2 + float(rng.uniform(0.5, 2)))
                    buildings.append(Solid("box", (w, depth, height), color, (x + w / 2, y, height / 2)))
                    face = y - side * depth / 2
                    for z in np.arange(3.0, height - 1.5, 3.0):
                        buildings.append(Solid("box", (w * 0.8, 0.06, 1.3), (50, 60, 75), (x + w / 2, face, float(z))))
                x += w + float(rng.uniform(0, 4))
        # trees and street lamps on the sidewalk (or the verge)
        y_kerb = edge + side * (max(layout.sidewalk_width, 2.0) - 0.6)
        x = ROAD_START + float(rng.uniform(0, 10))
        while x < ROAD_END:
            if not layout.on_intersection(x, 2.0) and rng.random() < density and not layout.highway:
                r = float(rng.uniform(1.2, 2.2))
                trunk = float(rng.uniform(2.0, 3.0))
                veg.append(Solid("cylinder", (0.15, trunk), (90, 65, 40), (x, y_kerb, trunk / 2)))
                veg.append(Solid("sphere", (r,), (50, int(rng.integers(90, 130)), 40), (x, y_kerb, trunk + r * 0.8)))
            x += float(rng.uniform(8, 16))
        for x in np.arange(ROAD_START + 5 + (0 if side < 0 else 12), ROAD_END, 25.0):
            if layout.on_intersection(float(x), 2.0):
                continue
            y_pole = edge + side * 0.5
            poles.append(Solid("cylinder", (0.08, 8.0), (110, 110, 115), (float(x), y_pole, 4.0)))
            arm_end = (float(x), y_pole - side * 1.5, 7.9)
            poles.append(Solid("segment", (0.05,), (110, 110, 115), a=(float(x), y_pole, 7.9), b=arm_end))
            poles.append(Solid("box", (0.6, 0.3, 0.15), (200, 200, 190), (arm_end[0], arm_end[1], 7.8)))
            lamps.append((arm_end[0], arm_end[1], 7.6))
        if rng.random() < 0.6 * density + 0.2:  # a sign
            x = float(rng.uniform(10, 60))
            if not layout.on_intersection(x, 3.0):
                y_pole = edge + side * 0.5
                poles.append(Solid("cylinder", (0.04, 2.6), (140, 140, 145), (x, y_pole, 1.3)))
                color = ((200, 20, 20), (20, 60, 180), (240, 240, 240))[int(rng.integers(3))]
                signs.append(
                    Solid(
                        "box",
                        (0.05, 0.7, 0.7),
                        color,
                        (x - 0.04, y_pole, 2.6),
                        (float(np.pi / 4) if rng.random() < 0.3 else 0.0, 0, 0),
                    )
                )
    if layout.intersection_at is not None and not layout.highway:  # traffic lights at the corners
        c = layout.intersection_at
        half = (layout.left_edge - layout.right_edge) / 2 + layout.sidewalk_width
        for dx, y in ((-half - 0.5, layout.right_edge - 0.5), (half + 0.5, layout.left_edge + 0.5)):
            poles.append(Solid("cylinder", (0.1, 3.5), (60, 60, 60), (c + dx, y, 1.75)))
            lights.append(Solid("box", (0.3, 0.35, 1.0), (30, 30, 30), (c + dx, y, 3.9)))
            state = int(rng.integers(3))
            for k, col in enumerate(((220, 30, 20), (230, 170, 20), (30, 200, 60))):
                lit = col if k == state else tuple(v // 4 for v in col)
                lights.append(Solid("sphere", (0.1,), lit, (c + dx - 0.16, y, 4.25 - 0.3 * k)))
    for name, cat, solids in (
        ("building", "building", buildings),
        ("vegetation", "vegetation", veg),
        ("pole", "pole", poles),
        ("traffic light", "traffic light", lights),
        ("traffic sign", "traffic sign", signs),
        ("guard rail", "guard rail", rails),
    ):
        if solids:
            objs.append(_thing(name, cat, solids))
    return objs, lamps
