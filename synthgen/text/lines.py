"""Text-line instances derived from the word instances of one image.

Words that a scene laid out on one line carry the same ``line`` attribute (and ``block``, and on
receipts the ``segment`` of the line they belong to). Each such group becomes one instance of
category ``line``, after the words:

- mask: the union of its words' visible masks (so bbox and area are those of the union);
- quad: the box around every word quad and outline point of the line in the line's own frame
  (x along the words' edges), clockwise from its top-left. It holds every word quad, so every
  pixel of ink of the line; for upright text it is the box around the words' quads. Corners are
  clamped to the image as word quads are, so a turned line at the border can lose a sliver of
  ink next to it. A line of one word takes that word's quad and outline (curved text included);
- text: the words' transcriptions in reading order (the scene's word order), joined by spaces;
- attributes: ``level: line``, the group's ``line`` / ``block`` / ``segment`` / ``role``,
  ``legible``: False when any word is (ICDAR's ``###`` for the whole line), and ``truncated``
  when an augmentation cut one of its words at the image border.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from synthgen.annotate.base import AnnotatorKind
from synthgen.text.label import EXTENSION, TextRecord, text_of
from synthgen.types import Instance, Layers, SceneSpec

LINE = "line"
GROUP_KEYS = ("block", "line", "segment")  # what identifies one line of words
CARRIED = ("block", "line", "segment", "role")  # copied from the words onto their line


def line_key(inst: Instance) -> tuple | None:
    """The line a word instance lies on, or None for an instance outside any line."""
    attrs = inst.attributes
    if text_of(inst) is None or inst.category == LINE or attrs.get("level") == LINE or attrs.get("line") is None:
        return None
    return tuple(attrs.get(k) for k in GROUP_KEYS)


def annotate_lines(instances: Sequence[Instance], layers: Layers, spec: SceneSpec) -> tuple[Instance, ...]:
    """The ``text_lines`` annotator: one line instance per line of words (see ``line_instances``)."""
    return line_instances(instances)


def line_instances(words: Sequence[Instance]) -> tuple[Instance, ...]:
    """One ``line`` Instance per group of words on the same line, in order of first appearance.

    Args:
        words: the image's instances; those without a ``line`` attribute are left out.

    Returns:
        The line instances (new objects; the words are not changed).
    """
    groups: dict[tuple, list[Instance]] = {}
    for inst in words:
        key = line_key(inst)
        if key is not None:
            groups.setdefault(key, []).append(inst)
    return tuple(_line(members) for members in groups.values())


def _line(members: list[Instance]) -> Instance:
    from pycocotools import mask as mask_utils

    rles = [{"size": m.rle["size"], "counts": m.rle["counts"].encode("ascii")} for m in members]
    merged = mask_utils.merge(rles, intersect=False) if len(rles) > 1 else rles[0]
    x, y, w, h = (int(v) for v in mask_utils.toBbox(merged))
    area = int(mask_utils.area(merged))
    first = members[0]
    if len(members) == 1:
        quad, polygon = text_of(first).quad, text_of(first).polygon
    else:
        height, width = (int(v) for v in merged["size"])
        quad, polygon = _line_quad(members, width, height), None
    attributes = {"level": LINE}
    attributes.update({k: first.attributes[k] for k in CARRIED if k in first.attributes})
    attributes["legible"] = all(m.attributes.get("legible", True) is not False for m in members)
    if any(m.attributes.get("truncated") for m in members):  # a word cut by the image border
        attributes["truncated"] = True
    transcription = " ".join(t for m in members if (t := text_of(m).transcription))
    return Instance(
        category=LINE,
        bbox=(x, y, w, h),
        area=area,
        rle={"size": [int(v) for v in merged["size"]], "counts": merged["counts"].decode("ascii")},
        attributes=attributes,
        extensions={EXTENSION: TextRecord(transcription, quad, polygon=polygon)},
    )


def _line_quad(members: list[Instance], width: int, height: int) -> np.ndarray | None:
    """(4, 2) float32 box of the words' quad and outline points in the line's own frame, or None.

    The frame's x axis is the mean direction of the words' top and bottom edges (the text runs
    along it), y is perpendicular, pointing down the glyphs; the box is the extent of every point
    along both, so it holds every word quad. Corners clockwise from the top-left of the upright
    line, clamped to the [0, width] x [0, height] image as word quads are.
    """
    texts = [text_of(m) for m in members]
    quads = [np.asarray(t.quad, np.float64).reshape(4, 2) for t in texts if t.quad is not None]
    if not quads:
        return None
    points = np.concatenate(
        quads + [np.asarray(t.polygon, np.float64).reshape(-1, 2) for t in texts if t.polygon is not None]
    )
    along = sum((q[1] - q[0]) + (q[2] - q[3]) for q in quads)
    norm = float(np.hypot(*along))
    u = along / norm if norm > 1e-9 else np.array([1.0, 0.0])
    v = np.array([-u[1], u[0]])  # u turned a quarter clockwise on screen (y down): down the glyphs
    s, t = points @ u, points @ v
    corners = [(s.min(), t.min()), (s.max(), t.min()), (s.max(), t.max()), (s.min(), t.max())]
    quad = np.array([a * u + b * v for a, b in corners])
    return np.clip(quad, 0, [width, height]).astype(np.float32)


ANNOTATOR = AnnotatorKind((LINE,), annotate_lines, labels=frozenset({"lines"}), needs=frozenset({"quads", "text"}))
