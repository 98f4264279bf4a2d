"""Augment kinds are steps of the shared protocol (``synthgen.steps``); their params are declared
with ``synthgen.config.params``."""

from __future__ import annotations

from synthgen.steps import Applied, Step, StepKind, draw

# Augment steps are steps of the shared protocol (synthgen.steps).
AugmentKind = StepKind
AugmentStep = Step

__all__ = ["GEOMETRIC_MOVES", "Applied", "AugmentKind", "AugmentStep", "draw"]

# What a geometric kind moves with the pixels (StepKind.moves), or carries unchanged (a word's
# transcription): not 3D boxes, cameras, depth or amodal boxes, whose values a 2D warp cannot keep true.
GEOMETRIC_MOVES = frozenset({"masks", "boxes", "quads", "polygons", "text", "keypoints"})

