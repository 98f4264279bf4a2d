"""The text label's rules: how a word (``synthgen.types.TextRecord``: transcription, word quad,
char quads, polygon) moves with the pixels and what becomes of it when a warp cuts it or a pasted
object covers it, in one place for both.

``TextLabel`` implements the label-extension protocol (``synthgen.extensions.LabelExtension``) for
the ``text`` field of an instance; ``synthgen.extensions.ADAPTERS`` finds it by name, and imports
this module only for an instance that holds a text label (a driving run never does).

The rule: a word that lost any of its pixels (cut by the image border, or covered) is no longer
what its transcription says. It is kept, with its geometry, as "don't care" (``legible: false``:
ICDAR ``###``, no recognition crop), with ``illegible_reason`` (``truncated`` also sets
``truncated: true``), and counted (``illegible_<reason>``) where it was legible before.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from synthgen.extensions import (
    ILLEGIBLE,
    Change,
    clip_points,
    densify,
    inside,
    overlap_area,
    rectangle_around,
)
from synthgen.types import TextRecord


# the label kinds (``synthgen.steps.LABEL_KINDS``) a text scene's samples carry
TEXT_LABELS = frozenset({"masks", "boxes", "quads", "polygons", "text"})


@dataclass(frozen=True)
class TextLabel:
    """The label extension of a text record (the value of ``Instance.text``)."""

    text: TextRecord

    def points(self, edge_points: int = 0) -> np.ndarray:
        """(N, 2) the word quad's corners, the char quads', then the polygon's points. With
        ``edge_points`` > 0 (a bending warp): each quad's outline with its edges cut into that many
        pieces, and the polygon's edges into half as many (its edges are short already)."""
        text = self.text
        quads = [q for q in (text.quad,) if q is not None]
        if text.char_quads is not None:
            quads.extend(np.asarray(text.char_quads, np.float32).reshape(-1, 4, 2))
        if not edge_points:
            chunks = [np.asarray(q, np.float32).reshape(-1, 2) for q in quads]
            if text.polygon is not None:
                chunks.append(np.asarray(text.polygon, np.float32).reshape(-1, 2))
            return np.concatenate(chunks) if chunks else np.zeros((0, 2), np.float32)
        chunks = [densify(np.asarray(q, np.float32).reshape(4, 2), edge_points) for q in quads]
        if text.polygon is not None:
            outline = densify(text.polygon, max(1, edge_points // 2)).astype(np.float32)
            chunks.append(outline.astype(np.float64))
        return np.concatenate(chunks) if chunks else np.zeros((0, 2))

    def with_points(self, points: np.ndarray, edge_points: int = 0) -> TextLabel:
        """A copy at moved ``points`` (as ``points(edge_points)`` gave them); a bent quad outline
        becomes the smallest rotated rectangle around it, so it still holds every pixel it held."""
        text = self.text
        per_quad = 4 * edge_points if edge_points else 4
        n_chars = 0 if text.char_quads is None else len(text.char_quads)
        n_quads = int(text.quad is not None) + n_chars
        quads = np.asarray(points)[: per_quad * n_quads].reshape(n_quads, per_quad, 2)
        if edge_points:
            quads = np.stack([rectangle_around(q) for q in quads]) if n_quads else quads.reshape(0, 4, 2)
        rest = np.asarray(points)[per_quad * n_quads :]
        moved = replace(
            text,
            quad=quads[0] if text.quad is not None else None,
            char_quads=quads[n_quads - n_chars :] if text.char_quads is not None else None,
            polygon=rest if text.polygon is not None else None,
        )
        return TextLabel(moved)

    def overlaps(self, width: int, height: int) -> bool | None:
        """Whether the word quad still reaches into the image; None without a quad."""
        return None if self.text.quad is None else overlap_area(self.text.quad, width, height) > 0

    def cut(self, width: int, height: int, attributes: dict[str, Any]) -> Change:
        """The part inside the image: quads and polygon clamped to it, the characters whose quad left
        it dropped (from ``chars`` and ``char_quads``); a word that lost any part is illegible."""
        text = self.text
        chars, char_quads = text.chars, text.char_quads
        lost = text.quad is not None and not inside(text.quad, width, height)
        if char_quads is not None:
            lost = not inside(char_quads, width, height)
            keep = [overlap_area(q, width, height) > 0 for q in char_quads]
            assert chars is None or len(chars) == len(keep), "chars and char_quads out of step"
            if chars is not None:
                chars = "".join(c for c, kept in zip(chars, keep) if kept)
            char_quads = clip_points(np.asarray(char_quads)[np.asarray(keep, bool)], width, height)
        clip = (lambda p: None if p is None else clip_points(np.asarray(p), width, height))  # noqa: E731
        cut = replace(text, quad=clip(text.quad), chars=chars, char_quads=char_quads, polygon=clip(text.polygon))
        return Change(cut, *illegible_if(text, lost, "truncated", attributes))

    def covered(self, hidden: np.ndarray, visible: np.ndarray, attributes: dict[str, Any]) -> Change:
        """A word some of whose pixels a pasted object covers is illegible, as a cut one is: its
        transcription no longer matches the pixels. Its geometry stays (where the word is)."""
        lost = bool((hidden & visible).any())
        return Change(self.text, *illegible_if(self.text, lost, "covered", attributes))


def illegible_if(
    text: TextRecord, lost: bool, reason: str, attributes: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, int]]:
    """The text rule, in one place for warps and pastes: (the instance's attributes, the counts)
    once ``text`` lost part of its pixels (``lost``) for ``reason`` (see the module doc). A word
    with no transcription (ICDAR ``###`` read as it is) has nothing left to lose."""
    if not (lost and text.transcription):
        return attributes, {}
    flags = {"legible": False, "truncated": True} if reason == "truncated" else {"legible": False}
    counts = {f"{ILLEGIBLE}{reason}": 1} if attributes.get("legible", True) is not False else {}
    return {**attributes, **flags, "illegible_reason": reason}, counts
