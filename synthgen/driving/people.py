"""Procedural people: a posed skeleton (the 17 COCO keypoints and the joints between them) dressed
in limbs, torso and head, with human proportions (heads are larger relative to the body for
children), posed along a walking cycle, standing, or riding a bicycle.

Local frame: x forward (the way the person faces), y to the left, z up, feet on z = 0.
"""

from __future__ import annotations

import math

import numpy as np

from synthgen.driving.objects import SceneObject, Solid

SKIN = ((241, 194, 167), (224, 172, 105), (198, 134, 66), (141, 85, 36), (92, 56, 30))
CLOTHES = (
    (200, 30, 30), (30, 60, 160), (240, 240, 240), (25, 25, 30), (60, 120, 60), (230, 180, 20),
    (120, 60, 140), (255, 120, 0), (90, 90, 95), (160, 120, 80),
)  # fmt: skip
HAIR = ((20, 15, 10), (80, 50, 20), (180, 140, 70), (120, 120, 120))
POSES = ("walking", "standing")


def skeleton(height: float, child: bool, pose: str, phase: float, riding: bool = False) -> dict[str, np.ndarray]:
    """Named joints (metres, local frame) of a person ``height`` tall.

    Args:
        height: standing height, metres.
        child: child proportions (a larger head, shorter legs relative to the body).
        pose: ``walking`` (phase in radians along the gait cycle) or ``standing``.
        riding: seated on a bicycle (hips at the saddle, hands on the bars, legs on the pedals).
    """
    h = height
    head_r = (0.085 if child else 0.065) * h
    hip_z = (0.47 if child else 0.52) * h
    shoulder_z = h - 2.3 * head_r - 0.04 * h
    shoulder_w = (0.11 if child else 0.125) * h
    hip_w = 0.085 * h
    thigh = shin = (hip_z - 0.04 * h) / 2
    upper_arm, forearm = 0.17 * h, 0.15 * h
    j: dict[str, np.ndarray] = {}
    swing = 0.0
    if pose == "walking" and not riding:
        swing = math.radians(25) * math.sin(phase)

    def leg(side: float, angle: float, knee_bend: float, hip: np.ndarray):
        d1 = np.array([math.sin(angle), 0.0, -math.cos(angle)])
        knee = hip + thigh * d1
        a2 = angle - knee_bend
        ankle = knee + shin * np.array([math.sin(a2), 0.0, -math.cos(a2)])
        return knee, ankle

    if riding:
        # seated: hips at the saddle (about the standing hip height), legs bent to the pedals
        base = 0.0
        hips = {s: np.array([-0.15, s * hip_w, 0.93]) for s in (1, -1)}
        for s, name in ((1, "left"), (-1, "right")):
            crank = phase + (0 if s > 0 else math.pi)
            pedal = np.array([0.17 * math.cos(crank), s * hip_w, 0.3 + 0.17 * math.sin(crank)])
            hip = hips[s]
            # knee: the two-link solution bending forwards
            d = np.linalg.norm(pedal - hip)
            mid = (hip + pedal) / 2
            up = math.sqrt(max(thigh**2 - (min(d, thigh + shin) / 2) ** 2, 0.0))
            axis = (pedal - hip) / max(d, 1e-6)
            perp = np.array([-axis[2], 0.0, axis[0]])  # in the x-z plane, forwards
            if perp[0] < 0:
                perp = -perp
            j[f"{name}_hip"], j[f"{name}_knee"], j[f"{name}_ankle"] = hip, mid + up * perp, pedal
        lean = math.radians(25)
    else:
        base = 0.0
        for s, name, angle in ((1, "left", swing), (-1, "right", -swing)):
            bend = (
                max(0.0, math.sin(phase + (0 if s > 0 else math.pi) + 0.8)) * math.radians(35)
                if pose == "walking"
                else 0.0
            )
            hip = np.array([0.0, s * hip_w, hip_z])
            knee, ankle = leg(s, angle, bend, hip)
            j[f"{name}_hip"], j[f"{name}_knee"], j[f"{name}_ankle"] = hip, knee, ankle
        lean = 0.0
    pelvis = (j["left_hip"] + j["right_hip"]) / 2
    trunk = np.array([math.sin(lean), 0.0, math.cos(lean)])
    torso_len = shoulder_z - hip_z
    neck = pelvis + trunk * torso_len
    for s, name in ((1, "left"), (-1, "right")):
        shoulder = neck + np.array([0.0, s * shoulder_w, 0.0])
        if riding:
            hand = np.array([0.42, s * 0.22, 0.95])
            d = np.linalg.norm(hand - shoulder)
            mid = (shoulder + hand) / 2
            up = math.sqrt(max(upper_arm**2 - (min(d, upper_arm + forearm) / 2) ** 2, 0.0))
            elbow = mid + np.array([0.0, s * up * 0.6, -up * 0.8])
            wrist = hand
        else:
            arm = -(swing if s > 0 else -swing) * 0.8 if pose == "walking" else 0.0
            d1 = np.array([math.sin(arm), s * 0.12, -math.cos(arm)])
            d1 /= np.linalg.norm(d1)
            elbow = shoulder + upper_arm * d1
            fa = arm + math.radians(15 if pose == "walking" else 5)
            d2 = np.array([math.sin(fa), s * 0.05, -math.cos(fa)])
            wrist = elbow + forearm * d2 / np.linalg.norm(d2)
        j[f"{name}_shoulder"], j[f"{name}_elbow"], j[f"{name}_wrist"] = shoulder, elbow, wrist
    head = neck + trunk * (0.04 * h + head_r)
    fwd = np.array([math.cos(lean), 0.0, -math.sin(lean)])
    j["head"] = head
    j["neck"] = neck
    j["nose"] = head + head_r * (0.98 * fwd + np.array([0, 0, -0.15]))
    for s, name in ((1, "left"), (-1, "right")):
        j[f"{name}_eye"] = head + head_r * (0.85 * fwd + np.array([0, s * 0.38, 0.2]))
        j[f"{name}_ear"] = head + head_r * np.array([0.0, s * 0.98, 0.0])
    j["_head_r"] = np.array([head_r, base, 0.0])
    return j


def person(
    rng: np.random.Generator,
    position,
    heading: float,
    child: bool = False,
    pose: str = "walking",
    riding: bool = False,
) -> SceneObject:
    """A pedestrian (adult or child) or a bicycle rider, with the 17 COCO keypoints."""
    from synthgen.driving.categories import COCO_KEYPOINTS

    height = float(rng.uniform(1.05, 1.4) if child else rng.uniform(1.55, 1.95))
    phase = float(rng.uniform(0, 2 * math.pi))
    j = skeleton(height, child, pose, phase, riding)
    head_r = float(j.pop("_head_r")[0])
    skin = SKIN[int(rng.integers(len(SKIN)))]
    shirt = CLOTHES[int(rng.integers(len(CLOTHES)))]
    trousers = CLOTHES[int(rng.integers(len(CLOTHES)))]
    hair = HAIR[int(rng.integers(len(HAIR)))]
    limb = 0.045 * height
    arm_r = 0.032 * height
    solids = [Solid("sphere", (head_r,), skin, tuple(j["head"]))]
    solids.append(
        Solid("sphere", (head_r * 1.02,), hair, tuple(j["head"] + np.array([-0.25 * head_r, 0, 0.25 * head_r])))
    )
    pelvis = (j["left_hip"] + j["right_hip"]) / 2
    shoulders = (j["left_shoulder"] + j["right_shoulder"]) / 2
    torso_w = np.linalg.norm(j["left_shoulder"] - j["right_shoulder"]) * 0.55
    solids.append(Solid("segment", (torso_w,), shirt, a=tuple(pelvis + np.array([0, 0, 0.02])), b=tuple(shoulders)))
    solids.append(Solid("segment", (head_r * 0.45,), skin, a=tuple(j["neck"]), b=tuple(j["head"])))
    for side in ("left", "right"):
        solids.append(Solid("segment", (limb,), trousers, a=tuple(j[f"{side}_hip"]), b=tuple(j[f"{side}_knee"])))
        solids.append(
            Solid("segment", (limb * 0.85,), trousers, a=tuple(j[f"{side}_knee"]), b=tuple(j[f"{side}_ankle"]))
        )
        foot = j[f"{side}_ankle"] + np.array([0.08 * height / 1.75, 0, -0.03])
        solids.append(Solid("segment", (limb * 0.75,), (30, 30, 30), a=tuple(j[f"{side}_ankle"]), b=tuple(foot)))
        solids.append(Solid("segment", (arm_r,), shirt, a=tuple(j[f"{side}_shoulder"]), b=tuple(j[f"{side}_elbow"])))
        solids.append(Solid("segment", (arm_r * 0.85,), skin, a=tuple(j[f"{side}_elbow"]), b=tuple(j[f"{side}_wrist"])))
    joints = tuple(tuple(float(v) for v in j[name]) for name in COCO_KEYPOINTS)
    radius = {
        "shoulder": torso_w,
        "elbow": arm_r,
        "wrist": arm_r,
        "hip": max(limb, torso_w),
        "knee": limb,
        "ankle": limb,
    }
    joint_radius = tuple(radius.get(name.split("_", 1)[-1], 0.02) for name in COCO_KEYPOINTS)
    name = "rider" if riding else ("child" if child else "pedestrian")
    return SceneObject(
        name=name,
        category="rider" if riding else "person",
        solids=tuple(solids),
        position=tuple(float(v) for v in position),
        heading=float(heading),
        dimensions=(0.5, 0.6, height),
        joints=joints,
        joint_radius=joint_radius,
        attributes=(("type", name), ("pose", "riding" if riding else pose)),
    )


def bicycle(rng: np.random.Generator, position, heading: float) -> SceneObject:
    """A bicycle: two wheels, a frame, a saddle and handlebars."""
    frame = CLOTHES[int(rng.integers(len(CLOTHES)))]
    r = 0.34
    rear, front = np.array([-0.52, 0, r]), np.array([0.52, 0, r])
    crank = np.array([0.0, 0, 0.3])
    seat = np.array([-0.12, 0, 0.85])
    head = np.array([0.42, 0, 0.9])
    solids = []
    for c in (rear, front):
        solids.append(Solid("cylinder", (r, 0.05), (20, 20, 20), tuple(c), (math.pi / 2, 0, 0)))
        solids.append(Solid("cylinder", (r * 0.8, 0.06), (170, 170, 175), tuple(c), (math.pi / 2, 0, 0)))
    for a, b in ((rear, crank), (crank, seat), (seat, head), (crank, head), (head, front), (rear, seat)):
        solids.append(Solid("segment", (0.022,), frame, a=tuple(a), b=tuple(b)))
    solids.append(Solid("box", (0.24, 0.12, 0.05), (20, 20, 20), tuple(seat + np.array([0, 0, 0.03]))))
    solids.append(
        Solid(
            "segment",
            (0.016,),
            (40, 40, 40),
            a=tuple(head + np.array([0, 0.25, 0.05])),
            b=tuple(head + np.array([0, -0.25, 0.05])),
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
