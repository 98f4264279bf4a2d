"""Augment kinds are steps of the shared protocol (``synthgen.steps``); the checks their configs share."""

from __future__ import annotations

from synthgen.steps import Applied, Integer, Number, Step, StepKind, draw, number

# Augment steps are steps of the shared protocol (synthgen.steps).
AugmentKind = StepKind
AugmentStep = Step

__all__ = ["GEOMETRIC_MOVES", "Applied", "AugmentKind", "AugmentStep", "Integer", "Number", "draw", "number"]

# What a geometric kind moves with the pixels (StepKind.moves), or carries unchanged (a word's
# transcription): not 3D boxes, cameras, depth or amodal boxes, whose values a 2D warp cannot keep true.
GEOMETRIC_MOVES = frozenset({"masks", "boxes", "quads", "polygons", "text", "keypoints"})
