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
LINE = "paint_line"
FACADES = ("facade_plaster", "facade_plaster", "facade_brick", "facade_glass")
SHOP_HEIGHT = 3.5
# sign faces drawn on white: (material, shape, roll) -- round signs are discs facing the road
SIGNS = (("sign_prohibit", "disc", 0.0), ("sign_mandatory", "disc", 0.0), ("sign_priority", "box", np.pi / 4),
         ("sign_info", "box", 0.0))  # fmt: skip


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


def building(
    detail: np.random.Generator,
    tint: tuple[int, int, int],
    x: float,
    y: float,
    width: float,
    depth: float,
    height: float,
) -> list[Solid]:
    """A building's solids, centred on (x, y): a facade material (plaster, brick or glass, tinted
    with ``tint``) above a ground floor that is a row of shop fronts or more of the facade.

    Args:
        detail: the generator of the backdrop's details (``backdrop_objects``).
    """
    facade = FACADES[int(detail.integers(len(FACADES)))]
    lift = 255 - max(tint)  # the textures carry the shading: a lighter tint of the same hue
    color = tuple(min(255, v + lift) for v in tint) if facade != "facade_plaster" else tint
    shops = detail.random() < 0.6 and height > SHOP_HEIGHT + 3
    if not shops:
        return [Solid("box", (width, depth, height), color, (x, y, height / 2), material=facade)]
    upper = height - SHOP_HEIGHT
    return [
        Solid("box", (width, depth, SHOP_HEIGHT), (235, 235, 232), (x, y, SHOP_HEIGHT / 2), material="shopfront"),
        Solid("box", (width, depth, upper), color, (x, y, SHOP_HEIGHT + upper / 2), material=facade),
    ]


def tree(
    detail: np.random.Generator, green: tuple[int, int, int], x: float, y: float, radius: float, trunk: float
) -> list[Solid]:
    """A tree: a trunk with two branches and a crown of five to eight overlapping leaf clumps of
    about ``radius`` in all, tinted around ``green``."""
    rng = detail
    out = [Solid("cylinder", (0.15, trunk), (90, 65, 40), (x, y, trunk / 2), material="bark")]
    centre = np.array([x, y, trunk + radius * 0.8])
    for _ in range(2):
        angle = float(rng.uniform(0, 2 * np.pi))
        tip = centre + radius * 0.6 * np.array([np.cos(angle), np.sin(angle), 0.2])
        out.append(Solid("segment", (0.06,), (90, 65, 40), a=(x, y, trunk * 0.85), b=tuple(float(v) for v in tip),
                         material="bark"))  # fmt: skip
    for _ in range(int(rng.integers(5, 9))):
        offset = rng.normal(0, 1, 3) * np.array([0.5, 0.5, 0.35]) * radius
        r = radius * float(rng.uniform(0.45, 0.7))
        tint = tuple(int(np.clip(c * rng.uniform(0.85, 1.15), 0, 255)) for c in green)
        out.append(Solid("sphere", (r,), tint, tuple(float(v) for v in centre + offset), material="foliage"))
    return out


def sign(detail: np.random.Generator, center: tuple[float, float, float]) -> Solid:
    """A road sign's face, 0.7 m across, facing along x (the road)."""
    name, shape, roll = SIGNS[int(detail.integers(len(SIGNS)))]
    if shape == "disc":  # a thin cylinder turned to face along x
        return Solid("cylinder", (0.35, 0.04), (255, 255, 255), center, (0.0, float(np.pi / 2), 0.0), material=name)
    return Solid("box", (0.04, 0.7, 0.7), (255, 255, 255), center, (float(roll), 0.0, 0.0), material=name)


def road_objects(layout: RoadLayout) -> list[SceneObject]:
    """Road surface, markings, crosswalk, sidewalks and curbs."""
    objs = []
    width = layout.left_edge - layout.right_edge
    mid_y = (layout.left_edge + layout.right_edge) / 2
    length = ROAD_END - ROAD_START
    road = [Solid("box", (length, width, 0.1), ASPHALT, (ROAD_START + length / 2, mid_y, -0.05), material="asphalt")]
    cross_half = width / 2 + layout.sidewalk_width
    if layout.intersection_at is not None:
        c = layout.intersection_at
        road.append(Solid("box", (width, 2 * (ROAD_END - 0), 0.1), ASPHALT, (c, mid_y, -0.05), material="asphalt"))
    objs.append(_thing("road", "road", road))
    marks = []
    gap = cross_half + 0.5
    # edge lines, solid (the right one between the ego lane and the parking strip)
    for y in (-layout.lane_width / 2 + (0.0 if layout.parking else 0.2), layout.left_edge - 0.2):
        for a, b in _spans(layout, ROAD_START, ROAD_END, gap):
            marks.append(Solid("box", (b - a, 0.15, 0.01), WHITE, ((a + b) / 2, y, 0.005), material=LINE))
    # lane lines, dashed (3 m of 9); the middle of a two-way road: solid yellow
    middle = layout.lanes // 2 if layout.two_way and layout.lanes >= 2 else None
    for k in range(1, layout.lanes):
        y = -layout.lane_width / 2 + k * layout.lane_width
        for a, b in _spans(layout, ROAD_START, ROAD_END, gap):
            if k == middle:
                marks.append(Solid("box", (b - a, 0.15, 0.01), YELLOW, ((a + b) / 2, y, 0.005), material=LINE))
                continue
            x = a
            while x + 3 <= b:
                marks.append(Solid("box", (3.0, 0.12, 0.01), WHITE, (x + 1.5, y, 0.005), material=LINE))
                x += 9.0
    if layout.crosswalk_at is not None:
        c = layout.crosswalk_at
        y = layout.right_edge + 0.3
        while y + 0.5 <= layout.left_edge - 0.3:
            marks.append(Solid("box", (3.0, 0.5, 0.012), WHITE, (c, y + 0.25, 0.006), material=LINE))
            y += 1.0
    if marks:
        objs.append(_thing("marking", "road", marks))
    if layout.sidewalk_width > 0:
        walks = []
        for side in (-1, 1):
            edge = layout.right_edge if side < 0 else layout.left_edge
            y = edge + side * layout.sidewalk_width / 2
            for a, b in _spans(layout, ROAD_START, ROAD_END, cross_half):
                middle = (a + b) / 2
                size = (b - a, layout.sidewalk_width, 0.15)
                walks.append(Solid("box", size, SIDEWALK, (middle, y, 0.075), material="pavement"))
                walks.append(Solid("box", (b - a, 0.2, 0.16), CURB, (middle, edge + side * 0.1, 0.08), material="kerb"))
        objs.append(_thing("sidewalk", "sidewalk", walks))
    # terrain beyond, a little below the road
    grass = Solid("box", (400.0, 400.0, 0.1), (95, 110, 70), (80.0, mid_y, -0.12), material="grass")
    objs.append(_thing("terrain", "terrain", [grass]))
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
    # the looks (facade, shops, leaf clumps, sign faces) come from a child generator: spawning one
    # leaves the scene's own draws, and so its layout and actors, as they were
    detail = rng.spawn(1)[0]
    poles, lights, signs, veg, buildings, rails = [], [], [], [], [], []
    for side in (-1, 1):
        edge = layout.right_edge if side < 0 else layout.left_edge
        walk_out = edge + side * layout.sidewalk_width
        if layout.highway:
            y = edge + side * 1.0
            for a, b in _spans(layout, ROAD_START, ROAD_END, 0):
                rails.append(Solid("box", (b - a, 0.1, 0.3), (170, 170, 170), ((a + b) / 2, y, 0.55), material="metal"))
                for x in np.arange(a, b, 4.0):
                    rails.append(Solid("box", (0.1, 0.1, 0.7), (120, 120, 120), (float(x), y, 0.35), material="metal"))
        elif layout.buildings:
            x = ROAD_START + float(rng.uniform(0, 6))
            while x < ROAD_END:  # buildings set back from the sidewalk, with rows of windows
                w = float(rng.uniform(8, 20))
                if not layout.on_intersection(x + w / 2, w / 2):
                    depth, height = float(rng.uniform(8, 15)), float(rng.uniform(6, 25))
                    grey = int(rng.integers(90, 200))
                    tint = (grey, int(grey * rng.uniform(0.85, 1.0)), int(grey * rng.uniform(0.7, 1.0)))
                    y = walk_out + side * (depth / 2 + float(rng.uniform(0.5, 2)))
                    buildings += building(detail, tint, x + w / 2, y, w, depth, height)
                x += w + float(rng.uniform(0, 4))
        # trees and street lamps on the sidewalk (or the verge)
        y_kerb = edge + side * (max(layout.sidewalk_width, 2.0) - 0.6)
        x = ROAD_START + float(rng.uniform(0, 10))
        while x < ROAD_END:
            if not layout.on_intersection(x, 2.0) and rng.random() < density and not layout.highway:
                r = float(rng.uniform(1.2, 2.2))
                trunk = float(rng.uniform(2.0, 3.0))
                veg += tree(detail, (50, int(rng.integers(90, 130)), 40), x, y_kerb, r, trunk)
            x += float(rng.uniform(8, 16))
        for x in np.arange(ROAD_START + 5 + (0 if side < 0 else 12), ROAD_END, 25.0):
            if layout.on_intersection(float(x), 2.0):
                continue
            y_pole = edge + side * 0.5
            poles.append(Solid("cylinder", (0.08, 8.0), (110, 110, 115), (float(x), y_pole, 4.0), material="metal"))
            arm_end = (float(x), y_pole - side * 1.5, 7.9)
            grey = (110, 110, 115)
            poles.append(Solid("segment", (0.05,), grey, a=(float(x), y_pole, 7.9), b=arm_end, material="metal"))
            head = (arm_end[0], arm_end[1], 7.8)
            poles.append(Solid("box", (0.6, 0.3, 0.15), (200, 200, 190), head, material="lamp"))
            lamps.append((arm_end[0], arm_end[1], 7.6))
        if rng.random() < 0.6 * density + 0.2:  # a sign
            x = float(rng.uniform(10, 60))
            if not layout.on_intersection(x, 3.0):
                y_pole = edge + side * 0.5
                poles.append(Solid("cylinder", (0.04, 2.6), (140, 140, 145), (x, y_pole, 1.3), material="metal"))
                rng.integers(3), rng.random()  # what chose the old flat sign: keep the scene's draws
                signs.append(sign(detail, (x - 0.04, y_pole, 2.6)))
    if layout.intersection_at is not None and not layout.highway:  # traffic lights at the corners
        c = layout.intersection_at
        half = (layout.left_edge - layout.right_edge) / 2 + layout.sidewalk_width
        for dx, y in ((-half - 0.5, layout.right_edge - 0.5), (half + 0.5, layout.left_edge + 0.5)):
            poles.append(Solid("cylinder", (0.1, 3.5), (60, 60, 60), (c + dx, y, 1.75)))
            lights.append(Solid("box", (0.3, 0.35, 1.0), (30, 30, 30), (c + dx, y, 3.9)))
            state = int(rng.integers(3))
            for k, col in enumerate(((220, 30, 20), (230, 170, 20), (30, 200, 60))):
                lit = col if k == state else tuple(v // 4 for v in col)
                glow = "signal_lit" if k == state else "plastic"
                lights.append(Solid("sphere", (0.1,), lit, (c + dx - 0.16, y, 4.25 - 0.3 * k), material=glow))
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
