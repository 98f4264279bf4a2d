"""Procedural people: a posed skeleton (the 17 COCO keypoints and the joints between them) dressed
in a body of rounded solids: a head of real proportions (an ellipsoid skull narrower than it is
tall) with hair, eyes, nose, mouth and ears; a torso wider at the chest than at the waist, with a
chest and buttocks in profile; limbs of measured girths that narrow at the knee, ankle, elbow and
wrist; flat hands and low shoes; clothes (top, bottom, shoes) in colours drawn from published
frequencies; bags and, in rain, umbrellas.

Bodies vary in age (adult, child, elderly), height, girth and shoulder and hip widths; poses are
sampled along a gait cycle (walking, running, crossing with the head turned to the traffic),
standing, or riding a bicycle or a motorbike (the pedal cycle's phase).

Keypoints are the skeleton's joints: every solid is built around them, so they stay exact.
Local frame: x forward (the way the person faces), y to the left, z up, feet on z = 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synthgen.driving.objects import SceneObject, Solid

POSES = ("walking", "standing", "running", "crossing")
AGES = ("adult", "child", "elderly")

# skin tones, light to dark (roughly the Fitzpatrick types)
SKIN = ((241, 194, 167), (224, 172, 105), (198, 134, 66), (141, 85, 36), (92, 56, 30))


def _palette(entries) -> tuple[tuple[tuple[int, int, int], ...], np.ndarray]:
    colors = tuple(c for c, _ in entries)
    weights = np.array([w for _, w in entries], np.float64)
    return colors, weights / weights.sum()


# Clothing colours: dark and neutral dominate. Weights are rounded from the upper- and lower-body
# colour frequencies of pedestrian-attribute datasets (PETA, Deng et al., ACM MM 2014: black is the
# commonest upper colour at about a quarter to a third, then white, grey and blue; lower bodies are
# mostly black, blue (denim) and grey).
UPPER = _palette(
    (
        ((28, 28, 32), 30), ((235, 235, 232), 12), ((120, 120, 124), 13), ((30, 45, 95), 9), ((70, 100, 160), 5),
        ((150, 25, 30), 6), ((120, 90, 60), 6), ((200, 180, 140), 3), ((50, 85, 55), 5), ((215, 185, 40), 2),
        ((110, 60, 130), 2), ((220, 140, 170), 3), ((225, 110, 30), 2), ((60, 60, 64), 2),
    )
)  # fmt: skip
LOWER = _palette(
    (
        ((25, 25, 30), 40), ((40, 60, 110), 18), ((80, 105, 150), 8), ((110, 110, 115), 13), ((150, 125, 90), 7),
        ((90, 70, 50), 4), ((225, 225, 220), 4), ((60, 75, 50), 3), ((130, 30, 35), 2), ((50, 50, 55), 1),
    )
)  # fmt: skip
SHOES = _palette(
    (((20, 20, 22), 50), ((235, 235, 235), 20), ((90, 60, 40), 15), ((110, 110, 115), 10), ((30, 40, 80), 5))
)
HAIR = _palette((((20, 15, 12), 45), ((60, 40, 25), 25), ((110, 75, 40), 12), ((185, 150, 90), 8), ((140, 60, 30), 4)))
GREY_HAIR = ((150, 150, 150), (200, 200, 198), (110, 110, 110))
BAGS = _palette(
    (((25, 25, 28), 45), ((80, 55, 35), 20), ((50, 60, 90), 15), ((120, 30, 30), 10), ((150, 150, 150), 10))
)
UMBRELLAS = _palette(
    (((20, 20, 25), 50), ((30, 40, 100), 15), ((150, 20, 25), 15), ((200, 200, 200), 10), ((40, 90, 50), 10))
)
EYE = (25, 20, 20)
# The skull's semi-axes (forward, sideways, up) over the head radius (half the head's height, vertex
# to chin): an adult head is ~0.088 x height wide, ~0.11 deep and ~0.13 tall (anthropometric means),
# so a sphere of the head's height is half as wide again as a real head
HEAD_AXES = (0.85, 0.7, 0.86)
FACE_AXES = (0.62, 0.55, 0.56)  # cheeks, jaw and chin, below and ahead of the skull
# Limb radii along each limb over height, at a girth of 1 (from the mean circumferences of adults:
# mid-thigh ~55 cm, calf ~37 cm, ankle ~22 cm, upper arm ~32 cm, wrist ~17 cm; ANSUR II): the
# knee, ankle, elbow and wrist narrow as a real limb does, where a pose model looks for the joints
THIGH = (0.052, 0.047, 0.039, 0.03)
SHIN = (0.029, 0.034, 0.027, 0.019)
HEM = 0.027  # a trouser leg's hem, over height
UPPER_ARM = (0.031, 0.029, 0.023)
FOREARM = (0.024, 0.022, 0.016)
GLASS_VISOR = (30, 35, 45)
LIPS = (150, 80, 75)


def _pick(rng: np.random.Generator, palette) -> tuple[int, int, int]:
    """A colour of a weighted palette, its brightness varied by +-12 % (fabric and fading)."""
    colors, weights = palette
    base = np.asarray(colors[int(rng.choice(len(colors), p=weights))], np.float64)
    return tuple(int(v) for v in np.clip(base * rng.uniform(0.88, 1.12), 0, 255))


@dataclass(frozen=True)
class Build:
    """A body's proportions, metres.

    Attributes:
        height: standing height.
        age: ``adult``, ``child`` or ``elderly``.
        head_r: head radius.
        shoulder_w: half the distance between the shoulder joints.
        hip_w: half the distance between the hip joints.
        girth: limb and torso thickness relative to an average adult.
        stoop: forward lean of the trunk, radians (the elderly).
    """

    height: float
    age: str
    head_r: float
    shoulder_w: float
    hip_w: float
    girth: float
    stoop: float = 0.0

    @classmethod
    def sample(cls, rng: np.random.Generator, age: str) -> Build:
        """A random body of an age group: heights of adults by sex, girth 0.85-1.35, shoulders and
        hips varied independently (broad-shouldered, wide-hipped)."""
        female = rng.random() < 0.5
        if age == "child":
            height = float(rng.uniform(1.0, 1.45))
        elif age == "elderly":
            height = float(rng.uniform(1.5, 1.7) if female else rng.uniform(1.6, 1.82))
        else:
            height = float(rng.normal(1.63, 0.065) if female else rng.normal(1.77, 0.07))
            height = float(np.clip(height, 1.48, 2.0))
        # a child's head is larger relative to the body (about 1/5.5 of the height at 6 vs 1/7.5)
        head_r = (0.085 if age == "child" else 0.064) * height * float(rng.uniform(0.95, 1.05))
        # joint centres, not the body's outline (the shoulder and hip joints sit well inside it, as
        # COCO annotators and pose models place them: ~0.35 m between an adult man's shoulders)
        shoulder_w = (
            (0.095 if age == "child" else (0.092 if female else 0.102)) * height * float(rng.uniform(0.92, 1.08))
        )
        hip_w = (0.06 if age == "child" else (0.066 if female else 0.058)) * height * float(rng.uniform(0.92, 1.08))
        girth = float(rng.uniform(0.85, 1.35 if age != "child" else 1.1))
        stoop = math.radians(float(rng.uniform(5, 14))) if age == "elderly" else 0.0
        return cls(height, age, head_r, shoulder_w, hip_w, girth, stoop)


def _two_link(root: np.ndarray, end: np.ndarray, l1: float, l2: float, bend: np.ndarray) -> np.ndarray:
    """The middle joint of a two-link limb from ``root`` to ``end`` (knee, elbow), bent towards ``bend``."""
    d = float(np.linalg.norm(end - root))
    axis = (end - root) / max(d, 1e-9)
    d = min(d, l1 + l2 - 1e-6)
    along = (l1**2 - l2**2 + d**2) / (2 * d)
    up = math.sqrt(max(l1**2 - along**2, 0.0))
    perp = bend - axis * float(bend @ axis)
    perp /= max(float(np.linalg.norm(perp)), 1e-9)
    return root + axis * along + perp * up


def skeleton(
    height: float,
    child: bool,
    pose: str,
    phase: float,
    riding: bool = False,
    build: Build | None = None,
    stride: float = 1.0,
    head_turn: float = 0.0,
    mount: str = "bicycle",
    holding: bool = False,
) -> dict[str, np.ndarray]:
    """Named joints (metres, local frame) of a person ``height`` tall.

    Args:
        height: standing height, metres (ignored when ``build`` is given).
        child: child proportions (a larger head, shorter legs relative to the body).
        pose: ``walking``, ``running``, ``crossing`` (walking, the head turned by ``head_turn``)
            along the gait cycle at ``phase`` (radians), or ``standing``.
        riding: seated on a bicycle (hips at the saddle, hands on the bars, legs on the pedals at
            crank angle ``phase``).
        build: the body's proportions (default: an average adult or child of ``height``).
        stride: scales the swing of legs and arms (0.6 a shuffle, 1.3 a long stride).
        head_turn: radians the head is turned to the left (negative: right) about the neck.
        mount: what a rider sits on: ``bicycle`` (feet on the pedals) or ``motorbike`` (on the pegs).
        holding: the right hand held up in front of the chest (an umbrella's grip), the elbow down.

    Returns:
        The 17 COCO joints plus ``head``, ``neck``, ``pelvis``, ``chest`` and ``_head_r``
        (the head radius in its first entry).
    """
    if build is None:
        age = "child" if child else "adult"
        h = height
        build = Build(h, age, (0.085 if child else 0.065) * h, (0.095 if child else 0.1) * h, 0.06 * h, 1.0)
    h = build.height
    head_r = build.head_r
    hip_z = (0.47 if build.age == "child" else 0.52) * h
    shoulder_z = h - 2.3 * head_r - 0.04 * h
    shoulder_w, hip_w = build.shoulder_w, build.hip_w
    thigh = shin = (hip_z - 0.04 * h) / 2
    upper_arm, forearm = 0.17 * h, 0.15 * h
    running = pose == "running" and not riding
    gait = pose in ("walking", "crossing", "running") and not riding
    j: dict[str, np.ndarray] = {}
    amplitude = math.radians(34 if running else 25) * stride
    swing = amplitude * math.sin(phase) if gait else 0.0
    if riding:
        # seated: hips at the saddle, the legs bent forwards to the pedals (a motorbike: the pegs)
        hips = {s: np.array([-0.15, s * hip_w, 0.93]) for s in (1, -1)}
        for s, name in ((1, "left"), (-1, "right")):
            crank = phase + (0 if s > 0 else math.pi)
            pedal = np.array([0.17 * math.cos(crank), s * hip_w, 0.3 + 0.17 * math.sin(crank)])
            if mount == "motorbike":
                pedal = np.array([0.02, s * (hip_w + 0.06), 0.36])
            hip = hips[s]
            knee = _two_link(hip, pedal, thigh, shin, np.array([1.0, 0.0, 0.3]))
            j[f"{name}_hip"], j[f"{name}_knee"], j[f"{name}_ankle"] = hip, knee, pedal
        lean = math.radians(25)
    else:
        for s, name, angle in ((1, "left", swing), (-1, "right", -swing)):
            leg_phase = phase + (0 if s > 0 else math.pi)
            if running:
                bend = (0.2 + 0.8 * max(0.0, math.sin(leg_phase + 1.6))) * math.radians(85)
            elif gait:
                bend = max(0.0, math.sin(leg_phase + 0.8)) * math.radians(35) * stride
            else:
                bend = math.radians(3)
            hip = np.array([0.0, s * hip_w, hip_z])
            d1 = np.array([math.sin(angle), 0.0, -math.cos(angle)])
            knee = hip + thigh * d1
            a2 = angle - bend
            ankle = knee + shin * np.array([math.sin(a2), 0.0, -math.cos(a2)])
            if not gait:  # standing: feet a little apart
                ankle = ankle + np.array([0.0, s * 0.015 * h, 0.0])
            j[f"{name}_hip"], j[f"{name}_knee"], j[f"{name}_ankle"] = hip, knee, ankle
        # the stance foot stays on the ground: a swung or bent leg reaches less far down, so the
        # pelvis drops (as it does in a real stride) instead of the body floating above its shadow
        stance = hip_z - thigh - shin
        drop = min(float(j["left_ankle"][2]), float(j["right_ankle"][2])) - stance
        for name in ("left", "right"):
            for part in ("hip", "knee", "ankle"):
                j[f"{name}_{part}"] = j[f"{name}_{part}"] - np.array([0.0, 0.0, drop])
        lean = build.stoop + (math.radians(10) if running else 0.0)
    pelvis = (j["left_hip"] + j["right_hip"]) / 2
    trunk = np.array([math.sin(lean), 0.0, math.cos(lean)])
    torso_len = shoulder_z - hip_z
    neck = pelvis + trunk * torso_len
    for s, name in ((1, "left"), (-1, "right")):
        shoulder = neck + np.array([0.0, s * shoulder_w, 0.0])
        if riding:
            hand = np.array([0.42, s * 0.22, 0.95])
            elbow = _two_link(shoulder, hand, upper_arm, forearm, np.array([0.0, s * 0.6, -0.8]))
            wrist = hand
        elif holding and s < 0:
            d1 = np.array([0.25, 0.05, -0.97])
            elbow = shoulder + upper_arm * d1 / np.linalg.norm(d1)
            d2 = np.array([0.8, 0.25, 0.55])
            wrist = elbow + forearm * d2 / np.linalg.norm(d2)
        else:
            arm = -(swing if s > 0 else -swing) * (1.1 if running else 0.8) if gait else 0.0
            d1 = np.array([math.sin(arm), s * 0.16, -math.cos(arm)])
            d1 /= np.linalg.norm(d1)
            elbow = shoulder + upper_arm * d1
            # a relaxed arm hangs with the elbow bent ~15 degrees, the hand in front of the thigh
            fa = arm + math.radians(80 if running else 16)
            d2 = np.array([math.sin(fa), s * 0.05, -math.cos(fa)])
            wrist = elbow + forearm * d2 / np.linalg.norm(d2)
        j[f"{name}_shoulder"], j[f"{name}_elbow"], j[f"{name}_wrist"] = shoulder, elbow, wrist
    head = neck + trunk * (0.04 * h + head_r)
    c, s_ = math.cos(head_turn), math.sin(head_turn)
    fwd = np.array([math.cos(lean) * c, s_, -math.sin(lean) * c])
    left = np.array([-s_, c, 0.0])
    up = np.cross(fwd, left)
    j["head"] = head
    j["neck"] = neck
    j["pelvis"] = pelvis
    j["chest"] = pelvis + trunk * torso_len * 0.72
    j["nose"] = head + head_r * (0.98 * fwd - 0.15 * up)
    for s, name in ((1, "left"), (-1, "right")):
        # pupils ~6.3 cm apart; the ear canal on the skull's side (HEAD_AXES: the skull is
        # narrower than it is deep or tall)
        j[f"{name}_eye"] = head + head_r * (0.74 * fwd + s * 0.29 * left + 0.15 * up)
        j[f"{name}_ear"] = head + head_r * (HEAD_AXES[1] * s * left - 0.05 * fwd)
    j["_head_r"] = np.array([head_r, 0.0, 0.0])
    j["_fwd"], j["_up"] = fwd, up
    return j


def _seg(radius: float, color, a, b, material: str) -> Solid:
    return Solid(
        "segment",
        (float(radius),),
        color,
        a=tuple(float(v) for v in a),
        b=tuple(float(v) for v in b),
        material=material,
    )


def _ball(radius: float, color, center, material: str) -> Solid:
    return Solid("sphere", (float(radius),), color, tuple(float(v) for v in center), material=material)


def _frame_euler(fwd: np.ndarray, left: np.ndarray, up: np.ndarray) -> tuple[float, float, float]:
    """(roll, pitch, yaw) of ``Solid.rotation`` (static x, y, z) that turn x, y, z onto the unit
    axes ``fwd``, ``left``, ``up``."""
    rot = np.column_stack([fwd, left, up])
    pitch = -math.asin(float(np.clip(rot[2, 0], -1.0, 1.0)))
    return math.atan2(rot[2, 1], rot[2, 2]), pitch, math.atan2(rot[1, 0], rot[0, 0])


def _ellipsoid(axes, color, center, turn: tuple[float, float, float], material: str) -> Solid:
    return Solid(
        "sphere", tuple(float(v) for v in axes), color, tuple(float(v) for v in center), turn, material=material
    )


def _profiled(radii, color, a, b, material: str) -> list[Solid]:
    """A limb from ``a`` to ``b`` whose radius follows ``radii`` (at evenly spaced stations, the
    first at ``a``): one segment between each two stations, and a ball at ``a`` (the rounded joint)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    n = len(radii) - 1
    out = [_ball(radii[0], color, a, material)]
    for i in range(n):
        r = (radii[i] + radii[i + 1]) / 2
        out.append(_seg(r, color, a + (b - a) * i / n, a + (b - a) * (i + 1) / n, material))
    return out


def _hand(skin, elbow: np.ndarray, wrist: np.ndarray, h: float) -> Solid:
    """A hand: a flat ellipsoid from the wrist along the forearm, ~0.1 x height to the fingertips,
    the palm facing the body's side."""
    along = (wrist - elbow) / max(float(np.linalg.norm(wrist - elbow)), 1e-9)
    across = np.array([1.0, 0.0, 0.0]) - along * along[0]
    if np.linalg.norm(across) < 1e-6:
        across = np.array([0.0, 0.0, 1.0]) - along * along[2]
    across /= np.linalg.norm(across)
    turn = _frame_euler(along, across, np.cross(along, across))
    return _ellipsoid((0.05 * h, 0.024 * h, 0.012 * h), skin, wrist + 0.045 * h * along, turn, "skin")


def _head(j, head_r: float, skin, hair, style: str) -> list[Solid]:
    """Skull, jaw, ears, eyes, brows, nose, mouth and hair, facing ``_fwd``."""
    head, fwd, up = j["head"], j["_fwd"], j["_up"]
    left = np.cross(up, fwd)
    turn = _frame_euler(fwd, left, up)
    out = [_ellipsoid(np.multiply(HEAD_AXES, head_r), skin, head + 0.08 * head_r * up, turn, "skin")]
    face = head + head_r * (0.2 * fwd - 0.44 * up)  # cheeks, jaw and chin
    out.append(_ellipsoid(np.multiply(FACE_AXES, head_r), skin, face, turn, "skin"))
    for s in (1, -1):
        out.append(_ball(head_r * 0.17, skin, j["left_ear" if s > 0 else "right_ear"], "skin"))
        eye = j["left_eye" if s > 0 else "right_eye"]
        out.append(_ball(head_r * 0.12, (240, 240, 235), eye, "matte"))  # the white
        out.append(_ball(head_r * 0.075, EYE, eye + head_r * 0.07 * fwd, "matte"))
        brow = eye + head_r * (0.18 * up + 0.06 * fwd)
        out.append(_seg(head_r * 0.045, hair, brow - 0.11 * head_r * left, brow + 0.11 * head_r * left, "hair"))
    nose = j["nose"]
    out.append(
        _seg(head_r * 0.11, skin, nose - 0.08 * head_r * fwd + 0.25 * head_r * up, nose + 0.1 * head_r * fwd, "skin")
    )
    mouth = head + head_r * (0.8 * fwd - 0.5 * up)
    out.append(_seg(head_r * 0.05, LIPS, mouth - 0.2 * head_r * left, mouth + 0.2 * head_r * left, "skin"))
    if style != "bald":
        # a cap of hair over the back and top of the skull, clear of the forehead and the ears
        cap = np.multiply(HEAD_AXES, head_r) * np.array([1.04, 1.1, 1.04])
        out.append(_ellipsoid(cap, hair, head + head_r * (-0.1 * fwd + 0.17 * up), turn, "hair"))
    if style == "long":
        out.append(_seg(head_r * 0.62, hair, head - head_r * 0.4 * fwd, head - head_r * (0.5 * fwd + 1.5 * up), "hair"))
    elif style == "ponytail":
        tail = head - head_r * (1.05 * fwd - 0.1 * up)
        out.append(_seg(head_r * 0.22, hair, tail, tail - head_r * (0.25 * fwd + 1.3 * up), "hair"))
    return out


def person(
    rng: np.random.Generator,
    position,
    heading: float,
    child: bool = False,
    pose: str = "walking",
    riding: bool = False,
    age: str | None = None,
    umbrella: bool = False,
    mount: str = "bicycle",
) -> SceneObject:
    """A pedestrian (adult, child or elderly) or a rider, with the 17 COCO keypoints.

    Args:
        rng: the sample's generator (body, clothes, phase, bags are drawn from it).
        position: (x, y, z) world position of the feet.
        heading: radians about the world z axis.
        child: a child (the same as ``age="child"``).
        pose: one of POSES.
        riding: seated on a bicycle or motorbike (its own pose).
        age: ``adult``, ``child`` or ``elderly``; None: ``child`` if child, else an adult
            (one in eight elderly).
        umbrella: the right hand holds an umbrella's grip (``umbrella(rng, person)`` makes the umbrella).
        mount: a rider's ``bicycle`` or ``motorbike`` (a helmet with a visor hides the face).
    """
    from synthgen.driving.categories import COCO_KEYPOINTS

    if age is None:
        age = "child" if child else ("elderly" if rng.random() < 0.125 else "adult")
    build = Build.sample(rng, age)
    h, g = build.height, build.girth
    phase = float(rng.uniform(0, 2 * math.pi))
    stride = float(rng.uniform(0.6, 0.85) if age == "elderly" else rng.uniform(0.85, 1.2))
    turn = math.radians(float(rng.choice([-1, 1]) * rng.uniform(25, 60))) if pose == "crossing" else 0.0
    j = skeleton(h, age == "child", pose, phase, riding, build, stride, turn, mount, holding=umbrella and not riding)
    head_r = float(j.pop("_head_r")[0])
    skin = SKIN[int(rng.integers(len(SKIN)))]
    top, bottom, shoes = _pick(rng, UPPER), _pick(rng, LOWER), _pick(rng, SHOES)
    hair = GREY_HAIR[int(rng.integers(len(GREY_HAIR)))] if age == "elderly" else _pick(rng, HAIR)
    style = str(rng.choice(["short", "short", "long", "ponytail", "bald"], p=[0.4, 0.15, 0.25, 0.1, 0.1]))
    if style == "bald" and age == "child":
        style = "short"
    sleeves = str(rng.choice(["long", "short"], p=[0.7, 0.3]))
    legwear = "skirt" if rng.random() < 0.12 and not riding else ("shorts" if rng.random() < 0.1 else "trousers")

    solids = _head(j, head_r, skin, hair, style)
    if riding and mount == "motorbike":
        helmet = _pick(rng, UMBRELLAS)
        solids.append(_ball(head_r * 1.28, helmet, j["head"] + head_r * 0.12 * j["_up"], "paint"))
        visor = j["head"] + head_r * (0.95 * j["_fwd"] + 0.1 * j["_up"])
        solids.append(
            Solid("box", (0.4 * head_r, 1.6 * head_r, 0.7 * head_r), GLASS_VISOR, tuple(visor), material="glass")
        )
    pelvis, neck = j["pelvis"], j["neck"]
    trunk = (neck - pelvis) / np.linalg.norm(neck - pelvis)
    chest_r = 0.055 * h * g  # half the chest's front-to-back depth
    solids.append(_seg(head_r * 0.42 * g, skin, neck - 0.02 * h * trunk, j["head"] - 0.4 * head_r * j["_up"], "skin"))
    # torso: left and right halves from the waist (narrower) to the shoulders, and the shoulder line
    waist_w = max(build.hip_w * 1.05 * g, build.shoulder_w * 0.72) - chest_r * 0.6
    for s in (1, -1):
        side = np.array([0.0, s, 0.0])
        shoulder = j["left_shoulder" if s > 0 else "right_shoulder"]
        waist = pelvis + trunk * 0.08 * h + side * waist_w * 0.55
        chest = shoulder - trunk * chest_r * 0.9 - side * chest_r * 0.55
        solids.append(_seg(chest_r, top, waist, chest, "cloth"))
        solids.append(_ball(chest_r * 0.95, top, shoulder - side * chest_r * 0.2 - trunk * 0.02 * h, "cloth"))
    solids.append(_seg(chest_r * 1.05, top, pelvis + trunk * 0.1 * h, neck - trunk * chest_r, "cloth"))
    solids.append(_seg(chest_r * 0.85, bottom, j["left_hip"], j["right_hip"], "cloth"))  # hips
    # the neckline, a V of skin on the chest's front: which way a body faces shows on the torso
    # too, not only in a face a few pixels wide (MediaPipe read frontal bodies as turned away)
    front = np.array([math.cos(math.asin(float(np.clip(trunk[0], -1, 1)))), 0.0, -trunk[0]])
    collar = neck - trunk * (chest_r * 0.55) + front * chest_r * 0.98
    v_tip = collar - trunk * 0.07 * h + front * 0.012 * h
    for s in (1, -1):
        solids.append(_seg(0.012 * h, skin, collar + np.array([0.0, s * 0.035 * h, 0.0]), v_tip, "skin"))
    # the trunk's profile: the chest ahead of the shoulder line and the buttocks well behind the
    # hip joints, so that a body seen from the side is not a straight slab
    trunk_turn = _frame_euler(front, np.array([0.0, 1.0, 0.0]), trunk)
    chest = j["chest"] + front * 0.01 * h - trunk * 0.02 * h
    solids.append(_ellipsoid((chest_r, build.shoulder_w * 0.85, 0.07 * h), top, chest, trunk_turn, "cloth"))
    seat = pelvis - front * 0.03 * h * g - trunk * 0.015 * h
    solids.append(_ellipsoid((0.055 * h * g, build.hip_w + 0.03 * h * g, 0.06 * h), bottom, seat, trunk_turn, "cloth"))
    # legs: thigh and shin tapered, knee and hip rounded; trousers, shorts or a skirt
    ease = 0.004 * h  # cloth stands off the skin
    thigh = np.multiply(THIGH, h * g) + ease
    shin = np.multiply(SHIN, h * g)
    if legwear == "trousers":  # a trouser leg hangs straight from the knee to its hem
        shin = np.maximum(shin + ease, HEM * h)
    thigh_r, knee_r, ankle_r = float(thigh[0]), float(shin[0]), float(shin[-1])
    for side in ("left", "right"):
        hip, knee, ankle = j[f"{side}_hip"], j[f"{side}_knee"], j[f"{side}_ankle"]
        solids += _profiled(thigh, bottom, hip, knee, "cloth")
        lower = bottom if legwear == "trousers" else skin
        solids += _profiled(shin, lower, knee, ankle, "cloth" if lower == bottom else "skin")
        # a shoe: heel ~5 cm behind the ankle, toes ~0.12 x height ahead, along the body's forward
        # axis, its sole on the ground when the foot is; a collar round the ankle
        sole = np.array([0.085 * h, 0.028 * h, 0.02 * h])
        solids.append(_ellipsoid(sole, shoes, ankle + np.array([0.035 * h, 0.0, -0.02 * h]), (0, 0, 0), "rubber"))
        solids.append(_ball(0.019 * h, shoes, ankle - np.array([0.005 * h, 0, 0.02 * h]), "rubber"))
    if legwear == "skirt":
        length = 0.6 * (j["left_hip"][2] - j["left_knee"][2]) + 0.08 * h
        solids.append(
            Solid(
                "cylinder",
                (build.hip_w + thigh_r * 1.05, length),
                bottom,
                tuple(pelvis - np.array([0, 0, length / 2 - 0.05 * h])),
                material="cloth",
            )
        )
    # arms: upper arm (sleeve), forearm (sleeve or skin), a hand
    upper = np.multiply(UPPER_ARM, h * g) + ease
    forearm = np.multiply(FOREARM, h * g) + (ease if sleeves == "long" else 0.0)
    for side in ("left", "right"):
        shoulder, elbow, wrist = j[f"{side}_shoulder"], j[f"{side}_elbow"], j[f"{side}_wrist"]
        solids += _profiled(upper, top, shoulder, elbow, "cloth")
        fore = top if sleeves == "long" else skin
        solids += _profiled(forearm, fore, elbow, wrist, "cloth" if fore == top else "skin")
        solids.append(_hand(skin, elbow, wrist, h))
    arm_r, wrist_r = float(upper[-1]), float(forearm[-1])
    # carried things: a backpack, a shoulder bag or a handbag; an umbrella in the rain
    bag = str(rng.choice(["none", "backpack", "shoulder", "hand"], p=[0.55, 0.2, 0.15, 0.1]))
    if riding and bag == "hand":
        bag = "none"
    bag_color = _pick(rng, BAGS)
    if bag == "backpack":
        size = (0.12 * h, 0.17 * h * g, 0.24 * h)
        at = j["chest"] - np.array([chest_r + size[0] / 2, 0.0, 0.02 * h])
        lean = math.atan2(trunk[0], trunk[2])  # the trunk's forward lean: the pack lies on the back
        solids.append(Solid("box", size, bag_color, tuple(at), (0.0, lean, 0.0), material="cloth"))
    elif bag == "shoulder":
        hip_side = j["right_hip"] + np.array([0.0, -chest_r * 0.9, 0.04 * h])
        solids.append(Solid("box", (0.16 * h, 0.05 * h, 0.13 * h), bag_color, tuple(hip_side), material="cloth"))
        solids.append(_seg(0.006 * h, bag_color, hip_side + np.array([0, 0, 0.06 * h]), j["left_shoulder"], "cloth"))
    elif bag == "hand":
        wrist = j["left_wrist"]
        solids.append(
            Solid(
                "box",
                (0.17 * h, 0.05 * h, 0.13 * h),
                bag_color,
                tuple(wrist - np.array([0, 0, 0.1 * h])),
                material="plastic",
            )
        )
    for key in ("head", "neck", "pelvis", "chest", "_fwd", "_up"):
        j.pop(key)
    joints = tuple(tuple(float(v) for v in j[name]) for name in COCO_KEYPOINTS)
    torso_half = float(np.linalg.norm(j["left_shoulder"] - j["right_shoulder"])) * 0.5
    radius = {
        "shoulder": max(torso_half, chest_r),
        "elbow": arm_r,
        "wrist": wrist_r,
        "hip": max(thigh_r, chest_r, build.hip_w),
        "knee": knee_r,
        "ankle": max(ankle_r, 0.021 * h),
    }
    joint_radius = tuple(radius.get(name.split("_", 1)[-1], 0.02) for name in COCO_KEYPOINTS)
    name = "rider" if riding else ("child" if age == "child" else "pedestrian")
    attributes = [("type", name), ("pose", "riding" if riding else pose), ("age", age)]
    if umbrella and not riding:
        attributes.append(("umbrella", True))
    return SceneObject(
        name=name,
        category="rider" if riding else "person",
        solids=tuple(solids),
        position=tuple(float(v) for v in position),
        heading=float(heading),
        dimensions=(0.5, 0.6, h),
        joints=joints,
        joint_radius=joint_radius,
        attributes=tuple(attributes),
    )


def umbrella(rng: np.random.Generator, carrier: SceneObject) -> SceneObject:
    """An open umbrella held in the right hand of ``carrier`` (made with ``umbrella=True``), over its head.

    It is an object of its own, not part of the person's instance (as COCO and CityPersons label
    an umbrella apart from the person under it): backdrop of Cityscapes' ``dynamic`` class, in the
    carrier's local frame (same position and heading), so it hides what it covers.
    """
    from synthgen.driving.categories import COCO_KEYPOINTS

    wrist = np.asarray(carrier.joints[COCO_KEYPOINTS.index("right_wrist")], np.float64)
    height = carrier.dimensions[2]
    grip = wrist + np.array([0.0, 0.0, 0.02])
    radius = float(rng.uniform(0.45, 0.55))
    canopy = np.array([grip[0], grip[1] * 0.5, height + 0.25])
    color = _pick(rng, UMBRELLAS)
    solids = (
        _seg(0.008, (60, 60, 60), grip, canopy + np.array([0, 0, 0.08]), "metal"),
        _seg(0.012, (30, 30, 30), grip - np.array([0, 0, 0.1]), grip + np.array([0, 0, 0.02]), "plastic"),
        # a dome of three stacked discs, the widest at the rim
        Solid("cylinder", (radius, 0.03), color, tuple(canopy - np.array([0, 0, 0.05])), material="cloth"),
        Solid("cylinder", (radius * 0.78, 0.05), color, tuple(canopy - np.array([0, 0, 0.01])), material="cloth"),
        Solid("cylinder", (radius * 0.45, 0.05), color, tuple(canopy + np.array([0, 0, 0.04])), material="cloth"),
    )
    return SceneObject(
        name="umbrella",
        category="dynamic",
        solids=solids,
        position=carrier.position,
        heading=carrier.heading,
        dimensions=(2 * radius, 2 * radius, height + 0.35),
        instance=False,
        attributes=(("type", "umbrella"),),
    )


def bicycle(rng: np.random.Generator, position, heading: float) -> SceneObject:
    """A bicycle: two spoked wheels (tyres and rims), a frame, a saddle and handlebars."""
    frame = _pick(rng, UPPER)
    r = 0.34
    rear, front = np.array([-0.52, 0, r]), np.array([0.52, 0, r])
    crank = np.array([0.0, 0, 0.3])
    seat = np.array([-0.12, 0, 0.85])
    head = np.array([0.42, 0, 0.9])
    solids = []
    for c in (rear, front):
        solids.append(Solid("cylinder", (r, 0.05), (20, 20, 20), tuple(c), (math.pi / 2, 0, 0), material="rubber"))
        solids.append(
            Solid("cylinder", (r * 0.88, 0.055), (45, 45, 48), tuple(c), (math.pi / 2, 0, 0), material="matte")
        )
        solids.append(
            Solid("cylinder", (r * 0.84, 0.06), (170, 170, 175), tuple(c), (math.pi / 2, 0, 0), material="metal")
        )
        for k in range(4):  # spokes
            a = k * math.pi / 4
            d = r * 0.82 * np.array([math.cos(a), 0.0, math.sin(a)])
            solids.append(Solid("segment", (0.006,), (190, 190, 195), a=tuple(c - d), b=tuple(c + d), material="metal"))
    for a, b in ((rear, crank), (crank, seat), (seat, head), (crank, head), (head, front), (rear, seat)):
        solids.append(Solid("segment", (0.022,), frame, a=tuple(a), b=tuple(b), material="paint"))
    solids.append(
        Solid("box", (0.24, 0.12, 0.05), (20, 20, 20), tuple(seat + np.array([0, 0, 0.03])), material="plastic")
    )
    solids.append(
        Solid(
            "segment",
            (0.016,),
            (40, 40, 40),
            a=tuple(head + np.array([0, 0.25, 0.05])),
            b=tuple(head + np.array([0, -0.25, 0.05])),
            material="metal",
        )
    )
    return SceneObject(
        name="bicycle",
        category="bicycle",
        solids=tuple(solids),
        position=tuple(float(v) for v in position),
        heading=float(heading),
        dimensions=(1.8, 0.6, 1.0),
        attributes=(("type", "bicycle"),),
    )
