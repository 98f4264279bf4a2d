"""Label extensions: the labels that move with an image's pixels, behind one small protocol.

A geometric step (``augment/warp.py``, ``augment/elastic.py``) or a paste (``mix/copy_paste.py``)
never lists the label kinds or flattens their points by hand: it asks each label of an instance
(``extensions_of``) for its points, gives back the moved ones (``with_points``), then tells it what
happened to it: part of it left the image (``cut``) or a pasted object now hides some of its pixels
(``covered``). Each kind decides what that means for it (a keypoint outside the image becomes
unlabelled, a covered one hidden; a cut or covered word becomes illegible: the text domain's rule,
in its package), and the step puts the results back (``with_labels``).

Two sorts of extension:

* the geometric kinds of the core, plain fields of ``Instance`` and ``InstanceGeometry`` whose
  metadata names their adapter (``extension``: ``ADAPTERS``: ``keypoints``, a (K, 3) array; ``box3d``,
  which moves only between two cameras);
* a domain's labels, held in the generic slot ``Instance.extensions`` (and
  ``InstanceGeometry.extensions``): extension name -> a frozen dataclass of the domain that implements
  the protocol itself and whose fields name their codecs (``synthgen.types.codec``), so that the
  serialiser writes them into the instance record. The core lists them in ``DOMAIN_LABELS``, where
  they live and which record keys are theirs, and imports a domain's module only for an instance
  that holds its label (a driving run, whose instances hold no text, never imports the text domain).

A new moving label is a class with these methods registered under its name (``register_domain_label``);
no step, writer or reader of the core changes.

Coordinates are image pixels in the corner convention (pixel (i, j) covers [j, j+1) x [i, i+1)).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

from synthgen.registry import Registry
from synthgen.types import Box3D, Camera, Instance

# the field of ``Instance`` and ``InstanceGeometry`` that holds a domain's labels, by extension name
SLOT = "extensions"
T = TypeVar("T")


@dataclass(frozen=True)
class DomainLabel:
    """A domain's label extension as the core knows it, without importing the domain.

    Attributes:
        target: ``"module:Class"`` of its class: a frozen dataclass that implements ``LabelExtension``
            and whose fields name their codecs (written into the instance record in field order).
        keys: the record keys its fields are written under, in order (a test holds them equal to
            the class's own), so that a reader, a writer or the serialiser knows them unimported.
        flag: the name of what a label of this kind becomes when it is kept but flagged unusable
            (``illegible``: a word cut, covered or too faint to read), or "" for none; such labels
            are counted as ``<flag>_<reason>`` (``flag_prefix``) among a sample's ``meta.dropped``,
            which a run's summary and a mix's report list apart from the objects dropped.
        flag_note: what the flag means for the written labels, in a run's summary.
    """

    target: str
    keys: tuple[str, ...]
    flag: str = ""
    flag_note: str = ""

    @property
    def flag_prefix(self) -> str:
        """The prefix of its flagged counts (``illegible_``), or "" where it flags none."""
        return f"{self.flag}_" if self.flag else ""


# a domain's label extensions, by name: the key of an instance's ``extensions`` slot
DOMAIN_LABELS: dict[str, DomainLabel] = {}
_CLASSES: Registry[type] = Registry("label extension")


def register_domain_label(name: str, label: DomainLabel) -> None:
    """Add a domain's label extension ``name`` (a plugin's too); its module is imported on first use.

    Raises:
        ValueError: the name or one of its record keys is taken.
    """
    taken = {k for other in DOMAIN_LABELS.values() for k in other.keys}
    taken |= {f.metadata.get("key", f.name) for f in dataclasses.fields(Instance)}  # the core's own keys
    if name in ADAPTERS or taken & set(label.keys):
        raise ValueError(f"label extension {name!r}: the name or a record key of {label.keys} is taken")
    _CLASSES.register(name, label.target)
    DOMAIN_LABELS[name] = label


def domain_label_class(name: str) -> type:
    """The class of the domain label extension ``name`` (imports its module on first use)."""
    return _CLASSES.get(name, "extension")


def flag_prefixes() -> tuple[str, ...]:
    """The prefixes of the counts of labels kept but flagged (``illegible_``), by extension."""
    return tuple(d.flag_prefix for d in DOMAIN_LABELS.values() if d.flag)


@dataclass(frozen=True)
class Change:
    """What a cut or a cover did to one label.

    Attributes:
        label: the label after it (a domain's label itself; for a core field, its value: an
            adapter's array, not the adapter).
        attributes: the instance's attributes after it (the same dict when unchanged).
        counts: what is worth counting, by reason (``illegible_truncated``: a word flagged illegible).
    """

    label: Any
    attributes: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)


@runtime_checkable
class LabelExtension(Protocol):
    """A label that moves with the pixels."""

    def points(self, edge_points: int = 0) -> np.ndarray:
        """(N, 2) float32 points that move with the pixels, in a fixed order. ``edge_points`` > 0
        asks, for a warp that bends straight lines, for outlines with each edge cut into that many
        pieces (``with_points`` then fits the label to the bent outline)."""
        ...

    def with_points(self, points: np.ndarray, edge_points: int = 0) -> LabelExtension:
        """A copy at the moved ``points`` ((N, 2), as ``points(edge_points)`` gave them)."""
        ...

    def overlaps(self, width: int, height: int) -> bool | None:
        """Whether it still reaches into the image (after a move), or None where it cannot say."""
        ...

    def cut(self, width: int, height: int, attributes: dict[str, Any]) -> Change:
        """What is left of it inside the [0, width] x [0, height] image after a move."""
        ...

    def covered(self, hidden: np.ndarray, visible: np.ndarray, attributes: dict[str, Any]) -> Change:
        """What is left of it once the pixels ``hidden`` ((H, W) bool) are covered by a pasted object;
        ``visible`` ((H, W) bool) is its instance's mask before."""
        ...


@dataclass(frozen=True)
class Keypoints:
    """The extension of a (K, 3) float32 keypoint array (x, y, COCO visibility)."""

    array: np.ndarray

    def points(self, edge_points: int = 0) -> np.ndarray:
        return np.asarray(self.array, np.float32).reshape(-1, 3)[:, :2]

    def with_points(self, points: np.ndarray, edge_points: int = 0) -> Keypoints:
        out = np.asarray(self.array, np.float32).reshape(-1, 3).copy()
        out[:, :2] = points
        return Keypoints(out)

    def overlaps(self, width: int, height: int) -> bool | None:
        return None

    def cut(self, width: int, height: int, attributes: dict[str, Any]) -> Change:
        """A labelled keypoint outside the image becomes unlabelled (0, 0, 0)."""
        out = np.asarray(self.array, np.float32).reshape(-1, 3).copy()
        x, y = out[:, 0], out[:, 1]
        outside = (x < 0) | (x >= width) | (y < 0) | (y >= height)
        out[outside & (out[:, 2] > 0)] = 0
        return Change(out, attributes)

    def covered(self, hidden: np.ndarray, visible: np.ndarray, attributes: dict[str, Any]) -> Change:
        """A visible keypoint (v=2) over a covered pixel becomes hidden (v=1)."""
        kp = np.asarray(self.array, np.float32).copy()
        H, W = hidden.shape
        for row in kp:
            px, py = int(np.floor(row[0])), int(np.floor(row[1]))
            if row[2] == 2 and 0 <= px < W and 0 <= py < H and hidden[py, px]:
                row[2] = 1
        return Change(kp, attributes)


@dataclass(frozen=True)
class SeenBox3D:
    """The extension of a 3D box (``Box3D``) as an image shows it: seen through ``camera``, and,
    once moved in the image, placed where ``to_camera`` sees it there (a paste into another
    picture: the same object at the distance that gives it its new size, at the same angle to the
    line of sight, so that it looks as it did).

    Its points are the projection of its centre and of a point 1 m to the right of it (camera x):
    a paste's shift moves the first, its scale the distance between them.
    """

    box: Box3D
    camera: Camera
    to_camera: Camera

    def _centre(self) -> np.ndarray:
        """The box's centre in the camera's frame (not rectified): (3,) float64."""
        return np.asarray(self.box.center, np.float64) @ self.camera.rectification()

    def points(self, edge_points: int = 0) -> np.ndarray:
        centre = self._centre()
        return self.camera.project(np.stack([centre, centre + [1.0, 0.0, 0.0]])).astype(np.float32)

    def with_points(self, points: np.ndarray, edge_points: int = 0) -> SeenBox3D:
        before = self.points().astype(np.float64)
        after = np.asarray(points, np.float64).reshape(2, 2)
        scale = float(np.linalg.norm(after[1] - after[0]) / np.linalg.norm(before[1] - before[0]))
        centre = self._centre()
        k_to = np.asarray(self.to_camera.intrinsics, np.float64)
        depth = centre[2] * k_to[0, 0] / (scale * float(np.asarray(self.camera.intrinsics)[0, 0]))
        seen = depth * (np.linalg.inv(k_to) @ np.array([after[0, 0], after[0, 1], 1.0]))
        rect = seen @ self.to_camera.rectification().T
        old = np.asarray(self.box.center, np.float64)
        # the same angle to the line of sight (KITTI's observation angle alpha) as before
        yaw = self.box.yaw - np.arctan2(old[0], old[2]) + np.arctan2(rect[0], rect[2])
        yaw = float((yaw + np.pi) % (2 * np.pi) - np.pi)
        box = Box3D(rect + 0.0, np.asarray(self.box.dimensions, np.float64), yaw)
        return SeenBox3D(box, self.to_camera, self.to_camera)

    def overlaps(self, width: int, height: int) -> bool | None:
        return None

    def cut(self, width: int, height: int, attributes: dict[str, Any]) -> Change:
        """Unchanged: a 3D box is the whole object's, inside the image or not."""
        return Change(self.box, attributes)

    def covered(self, hidden: np.ndarray, visible: np.ndarray, attributes: dict[str, Any]) -> Change:
        """Unchanged: what hides the object is its occlusion, not its box's."""
        return Change(self.box, attributes)


# adapters of the extension fields whose values do not implement the protocol themselves
# (``extension`` metadata -> (value, cameras) -> extension, or None where it cannot move)
ADAPTERS: dict[str, Callable[[Any, tuple[Camera, Camera] | None], Any]] = {
    "keypoints": lambda value, cameras: Keypoints(value),
    "box3d": lambda value, cameras: SeenBox3D(value, *cameras) if cameras is not None else None,
}


# The text domain's label: transcription, word and char quads, polygon (``synthgen.text.label``).
register_domain_label(
    "text",
    DomainLabel(
        "synthgen.text.label:TextRecord",
        ("text", "quad", "chars", "char_quads", "polygon"),
        flag="illegible",
        flag_note="kept as ###, no recognition crop",
    ),
)


def extensions_of(obj: Any, cameras: tuple[Camera, Camera] | None = None) -> dict[str, LabelExtension]:
    """The label extensions an ``Instance`` or ``InstanceGeometry`` holds: extension name -> extension,
    in field order (a domain's, in ``DOMAIN_LABELS`` order, where the slot is), for those that have a
    value. ``with_labels`` puts them back.

    Args:
        obj: the instance.
        cameras: (the camera it is seen through, the camera of the image it moves into), where both
            pictures have one; a 3D box moves only with them (``SeenBox3D``), and is left as it is
            without.
    """
    out: dict[str, LabelExtension] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.name == SLOT:
            out.update((name, value[name]) for name in DOMAIN_LABELS if name in value)
            continue
        kind = f.metadata.get("extension")
        if kind is None or value is None:
            continue
        ext = ADAPTERS[kind](value, cameras)
        if ext is not None:
            out[kind] = ext
    return out


def with_labels(obj: T, labels: Mapping[str, Any], **values: Any) -> T:
    """A copy of an ``Instance`` or ``InstanceGeometry`` with ``labels`` (extension name -> the label
    after a move, a cut or a cover: ``Change.label``) in place of its own, and the other fields
    ``values``."""
    slot = dict(getattr(obj, SLOT))
    for name, label in labels.items():
        if name in DOMAIN_LABELS:
            slot[name] = label
        else:
            values[next(f.name for f in dataclasses.fields(obj) if f.metadata.get("extension") == name)] = label
    return dataclasses.replace(obj, **values, **({SLOT: slot} if labels.keys() & DOMAIN_LABELS.keys() else {}))


def label_points(labels: dict[Any, dict[str, LabelExtension]], edge_points: int = 0) -> np.ndarray:
    """(N, 2) every point of ``labels`` (instance -> field -> extension), in order: one batch for a warp."""
    chunks = [ext.points(edge_points) for exts in labels.values() for ext in exts.values()]
    return np.concatenate(chunks) if chunks else np.zeros((0, 2), np.float32)


def with_label_points(
    labels: dict[Any, dict[str, LabelExtension]], points: np.ndarray, edge_points: int = 0
) -> dict[Any, dict[str, LabelExtension]]:
    """``labels`` at the moved ``points`` (``label_points``' batch, moved)."""
    out: dict[Any, dict[str, LabelExtension]] = {}
    at = 0
    for k, exts in labels.items():
        out[k] = {}
        for name, ext in exts.items():
            n = len(ext.points(edge_points))
            out[k][name] = ext.with_points(points[at : at + n], edge_points)
            at += n
    return out


# --- geometry of points and the image ---------------------------------------------------------


def inside(points: np.ndarray, width: int, height: int) -> bool:
    """Whether every (..., 2) point lies in [0, width] x [0, height] (to 1e-3 px)."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    eps = 1e-3
    return bool(((pts >= -eps) & (pts <= np.array([width, height]) + eps)).all())


def clip_points(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """Clamp (..., 2) points (quad corners, polygon points) to [0, width] x [0, height]; float32."""
    clipped = np.empty(points.shape, np.float32)
    clipped[..., 0] = np.clip(points[..., 0], 0, width)
    clipped[..., 1] = np.clip(points[..., 1], 0, height)
    return clipped


def overlap_area(quad: np.ndarray, width: int, height: int) -> float:
    """Area of the part of a convex (4, 2) quad that lies inside the [0, W] x [0, H] image."""
    import cv2

    if not np.all(np.isfinite(quad)):
        return 0.0
    image = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32).reshape(4, 1, 2)
    poly = np.asarray(quad, np.float32).reshape(4, 1, 2)
    if abs(cv2.contourArea(poly)) == 0:
        return 0.0
    # Give both polygons the same orientation (a mirroring transform reverses a quad's).
    if (cv2.contourArea(poly, oriented=True) > 0) != (cv2.contourArea(image, oriented=True) > 0):
        poly = poly[::-1].copy()
    try:
        area, _ = cv2.intersectConvexConvex(poly, image)
    except cv2.error:  # not convex: fall back to the clamped quad's area
        area = abs(cv2.contourArea(clip_points(np.asarray(quad), width, height).reshape(4, 1, 2)))
    return float(area)


def densify(points: np.ndarray, pieces: int, closed: bool = True) -> np.ndarray:
    """(N, 2) points with each edge cut into ``pieces``: (N * pieces, 2), the originals first of each edge."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    nxt = np.roll(pts, -1, axis=0) if closed else pts[1:]
    start = pts if closed else pts[:-1]
    t = (np.arange(pieces) / pieces)[None, :, None]
    out = (start[:, None] + (nxt - start)[:, None] * t).reshape(-1, 2)
    return out if closed else np.vstack([out, pts[-1:]])


def rectangle_around(outline: np.ndarray) -> np.ndarray:
    """(4, 2) smallest rotated rectangle around ``outline`` (N, 2), clockwise, starting at the
    corner nearest ``outline[0]``."""
    import cv2

    rect = cv2.minAreaRect(outline.astype(np.float32))
    corners = cv2.boxPoints(rect).astype(np.float64)
    centre = corners.mean(axis=0)
    corners = corners[np.argsort(np.arctan2(corners[:, 1] - centre[1], corners[:, 0] - centre[0]))]
    start = int(np.argmin(np.linalg.norm(corners - outline[0], axis=1)))
    return np.roll(corners, -start, axis=0)
