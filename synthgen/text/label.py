"""The text label: a word's record (``TextRecord``: transcription, word quad, char quads, polygon),
how it moves with the pixels and what becomes of it when a warp cuts it or a pasted object covers
it, in one place for both.

``TextRecord`` is the label extension ``text`` (``synthgen.extensions.DOMAIN_LABELS``): it sits in
an instance's ``extensions`` slot (``inst.extensions["text"]``), implements the label-extension
protocol (``synthgen.extensions.LabelExtension``), and its fields name the codecs that write it into
the instance record. The core imports this module only for an instance that holds a text label (a
driving run never does).

The rule: a word that lost any of its pixels (cut by the image border, or covered) is no longer
what its transcription says. It is kept, with its geometry, as "don't care" (``legible: false``:
ICDAR ``###``, no recognition crop), with ``illegible_reason`` (``truncated`` also sets
``truncated: true``), and counted (``illegible_<reason>``, ``ILLEGIBLE``) where it was legible before.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from synthgen.extensions import (
    DOMAIN_LABELS,
    Change,
    clip_points,
    densify,
    inside,
    overlap_area,
    rectangle_around,
)
from synthgen.types import codec

# the label kinds (``synthgen.steps.LABEL_KINDS``) a text scene's samples carry
TEXT_LABELS = frozenset({"masks", "boxes", "quads", "polygons", "text"})
# the name of the extension and the prefix of the counts of words kept but flagged illegible (a word
# cut, covered, too small or too faint: ``illegible_truncated``), as registered in the core
EXTENSION = "text"
ILLEGIBLE = DOMAIN_LABELS[EXTENSION].flag_prefix


@dataclass(frozen=True)
class TextRecord:
    """What a text instance adds (its ``extensions["text"]``): transcription and the geometry of its
    glyphs, image pixels. The serialiser writes its fields into the instance record, by their codecs.

    Attributes:
        transcription: the text, in logical order; None where the source gives none (an ICDAR ``###``
            word: where illegible text is, but not what it says).
        quad: (4, 2) float32 word quad, clockwise from the top-left of the upright word, or None.
        chars: the characters that have a quad (whitespace excluded), or None.
        char_quads: (len(chars), 4, 2) float32, or None.
        polygon: (N, 2) float32 outline with more than 4 points where a quad is too coarse (curved
            text: the upper edge left to right, then the lower edge right to left), or None.
    """

    transcription: str | None = field(default=None, metadata=codec("text", key="text"))
    quad: np.ndarray | None = field(default=None, metadata=codec("points", shape=(4, 2)))
    # written only beside char_quads: characters without their quads say nothing of where they are
    chars: str | None = field(default=None, metadata=codec("text", with_key="char_quads"))
    char_quads: np.ndarray | None = field(default=None, metadata=codec("point_groups", shape=(-1, 4, 2)))
    polygon: np.ndarray | None = field(default=None, metadata=codec("points", shape=(-1, 2)))

    def points(self, edge_points: int = 0) -> np.ndarray:
        """(N, 2) the word quad's corners, the char quads', then the polygon's points. With
        ``edge_points`` > 0 (a bending warp): each quad's outline with its edges cut into that many
        pieces, and the polygon's edges into half as many (its edges are short already)."""
        quads = [q for q in (self.quad,) if q is not None]
        if self.char_quads is not None:
            quads.extend(np.asarray(self.char_quads, np.float32).reshape(-1, 4, 2))
        if not edge_points:
            chunks = [np.asarray(q, np.float32).reshape(-1, 2) for q in quads]
            if self.polygon is not None:
                chunks.append(np.asarray(self.polygon, np.float32).reshape(-1, 2))
            return np.concatenate(chunks) if chunks else np.zeros((0, 2), np.float32)
        chunks = [densify(np.asarray(q, np.float32).reshape(4, 2), edge_points) for q in quads]
        if self.polygon is not None:
            outline = densify(self.polygon, max(1, edge_points // 2)).astype(np.float32)
            chunks.append(outline.astype(np.float64))
        return np.concatenate(chunks) if chunks else np.zeros((0, 2))

    def with_points(self, points: np.ndarray, edge_points: int = 0) -> TextRecord:
        """A copy at moved ``points`` (as ``points(edge_points)`` gave them); a bent quad outline
        becomes the smallest rotated rectangle around it, so it still holds every pixel it held."""
        per_quad = 4 * edge_points if edge_points else 4
        n_chars = 0 if self.char_quads is None else len(self.char_quads)
        n_quads = int(self.quad is not None) + n_chars
        quads = np.asarray(points)[: per_quad * n_quads].reshape(n_quads, per_quad, 2)
        if edge_points:
            quads = np.stack([rectangle_around(q) for q in quads]) if n_quads else quads.reshape(0, 4, 2)
        rest = np.asarray(points)[per_quad * n_quads :]
        return replace(
            self,
            quad=quads[0] if self.quad is not None else None,
            char_quads=quads[n_quads - n_chars :] if self.char_quads is not None else None,
            polygon=rest if self.polygon is not None else None,
        )

    def overlaps(self, width: int, height: int) -> bool | None:
        """Whether the word quad still reaches into the image; None without a quad."""
        return None if self.quad is None else overlap_area(self.quad, width, height) > 0

    def cut(self, width: int, height: int, attributes: dict[str, Any]) -> Change:
        """The part inside the image: quads and polygon clamped to it, the characters whose quad left
        it dropped (from ``chars`` and ``char_quads``); a word that lost any part is illegible."""
        chars, char_quads = self.chars, self.char_quads
        lost = self.quad is not None and not inside(self.quad, width, height)
        if char_quads is not None:
            lost = not inside(char_quads, width, height)
            keep = [overlap_area(q, width, height) > 0 for q in char_quads]
            assert chars is None or len(chars) == len(keep), "chars and char_quads out of step"
            if chars is not None:
                chars = "".join(c for c, kept in zip(chars, keep) if kept)
            char_quads = clip_points(np.asarray(char_quads)[np.asarray(keep, bool)], width, height)
        clip = (lambda p: None if p is None else clip_points(np.asarray(p), width, height))  # noqa: E731
        cut = replace(self, quad=clip(self.quad), chars=chars, char_quads=char_quads, polygon=clip(self.polygon))
        return Change(cut, *illegible_if(self, lost, "truncated", attributes))

    def covered(self, hidden: np.ndarray, visible: np.ndarray, attributes: dict[str, Any]) -> Change:
        """A word some of whose pixels a pasted object covers is illegible, as a cut one is: its
        transcription no longer matches the pixels. Its geometry stays (where the word is)."""
        lost = bool((hidden & visible).any())
        return Change(self, *illegible_if(self, lost, "covered", attributes))


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


def text_of(obj: Any) -> TextRecord | None:
    """The text record of an ``Instance``, ``InstanceGeometry`` or ``InstanceView``, or None."""
    return obj.extensions.get(EXTENSION)
