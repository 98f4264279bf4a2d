"""Plain data types that the stages pass to each other.

A stage never imports another stage; they talk only through these types:
``SceneSpec`` (what to draw) -> ``Layers`` (what was drawn) -> ``Labels``/``Sample`` (what is written).
One serialiser beside them, ``synthgen.records`` (``to_record`` / ``from_record``), turns a Sample
into the JSON-able record that shards, regress and every writer and reader use. It is derived from
the dataclass fields below: each label field names its codec in its metadata (``codec``), so a new
field is a new line here (and a new codec in ``synthgen.records`` if its type is new).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def codec(name: str, **options: Any) -> dict[str, Any]:
    """The field metadata that says how ``synthgen.records`` writes a label field and reads it back.

    Args:
        name: the codec of the field's type (``synthgen.records.CODECS``: ``text``, ``int``, ``ints``,
            ``floats``, ``ratio``, ``json``, ``points``, ``point_groups``, ``keypoints``, ``box3d``,
            ``original``; ``extensions`` for the slot of a domain's labels, each a dataclass whose
            own fields are written into the record).
        **options: ``key`` (the record key, default the field's name), ``omit_empty`` (leave an empty
            value out, as None always is), ``with_key`` (write it only when that key is written too),
            and the codec's own (``decimals``, ``shape``, ``dtype``).
    """
    return {"codec": name, **options}


@dataclass(frozen=True)
class SceneSpec:
    """A sampled scene: pure data, enough for a renderer to draw it with no randomness left.

    Attributes:
        kind: the scene builder that made it (``text_words``).
        width, height: image size in pixels.
        background: renderer-specific description of the background (JSON-able).
        items: the objects to draw, in drawing order (renderer-specific frozen dataclasses).
        categories: category names this scene can emit (a subset of the run's CategoryTable).
        params: the sampled scene parameters, JSON-able, recorded in each sample's meta.
        dropped: what the builder sampled but could not place, by reason (``{"no_room": 2}``).
        camera: the camera the scene is seen through, where it has one (3D scenes).
    """

    kind: str
    width: int
    height: int
    background: dict[str, Any]
    items: tuple[Any, ...]
    categories: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    camera: Camera | None = None


@dataclass(frozen=True)
class Category:
    """One entry of a run's category table.

    Attributes:
        id: stable id (COCO ``category_id``, semantic-layer value), > 0.
        name: category name.
        keypoints: keypoint names of the category (COCO ``keypoints``), () for none.
        skeleton: pairs of 1-based keypoint indices joined by a limb (COCO ``skeleton``).
        color: (r, g, b) of the category in colour semantic images, or None.
    """

    id: int
    name: str
    keypoints: tuple[str, ...] = ()
    skeleton: tuple[tuple[int, int], ...] = ()
    color: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class CategoryTable:
    """A run's categories: declared by the scene (and its annotators) or the config, identical in
    every shard and every writer; never numbered by first appearance.

    Attributes:
        categories: the entries, in id order.
    """

    categories: tuple[Category, ...]

    def __post_init__(self):
        ids = [c.id for c in self.categories]
        names = [c.name for c in self.categories]
        if len(set(ids)) != len(ids) or len(set(names)) != len(names):
            raise ValueError(f"category ids and names must be unique: {list(zip(ids, names))}")

    @classmethod
    def of_names(cls, names: Sequence[str]) -> CategoryTable:
        """Ids 1, 2, ... in the order given."""
        return cls(tuple(Category(i + 1, n) for i, n in enumerate(names)))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.categories)

    def get(self, name: str) -> Category:
        for c in self.categories:
            if c.name == name:
                return c
        raise KeyError(f"category {name!r} is not in the run's table {list(self.names)}")

    def id_of(self, name: str) -> int:
        return self.get(name).id

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __len__(self) -> int:
        return len(self.categories)


@dataclass(frozen=True)
class Camera:
    """A pinhole camera (OpenCV convention: x right, y down, z forward).

    Attributes:
        intrinsics: (3, 3) float64 K; pixel (u, v) = K @ (x/z, y/z, 1) with pixel centres at +0.5.
        extrinsics: (4, 4) float64 world -> camera transform.
        width, height: image size in pixels.
    """

    intrinsics: np.ndarray = field(metadata=codec("floats", decimals=6, shape=(3, 3), dtype="float64"))
    extrinsics: np.ndarray = field(metadata=codec("floats", decimals=6, shape=(4, 4), dtype="float64"))
    width: int = field(metadata=codec("int"))
    height: int = field(metadata=codec("int"))

    def project(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) camera-frame points -> (N, 2) pixel coordinates (corner convention)."""
        pts = np.asarray(points, np.float64).reshape(-1, 3)
        uvw = pts @ np.asarray(self.intrinsics, np.float64).T
        return uvw[:, :2] / uvw[:, 2:3]

    def rectification(self) -> np.ndarray:
        """(3, 3) rotation camera frame -> rectified frame (KITTI's ``R0_rect``): the same origin,
        y down along gravity (world -z: the world of a 3D scene is z up), z the camera's viewing
        direction levelled (the image's up direction levelled for a camera that looks straight up or
        down), x = y cross z. Identity for a level camera (no pitch, no roll), so that a
        ground-standing box turns about rectified y only, whatever the camera's pitch."""
        rot = np.asarray(self.extrinsics, np.float64)[:3, :3]
        down = -rot[:, 2]  # world -z in camera coordinates
        for axis in ([0.0, 0.0, 1.0], [0.0, -1.0, 0.0]):
            forward = np.asarray(axis) - float(np.dot(axis, down)) * down
            norm = np.linalg.norm(forward)
            if norm > 1e-6:
                break
        forward /= norm
        return np.stack([np.cross(down, forward), down, forward]) + 0.0  # + 0.0: no -0.0 in the records

    def project_rectified(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) rectified-frame points (``Box3D`` corners) -> (N, 2) pixel coordinates."""
        pts = np.asarray(points, np.float64).reshape(-1, 3)
        return self.project(pts @ self.rectification())


@dataclass(frozen=True)
class Box3D:
    """An oriented 3D box in rectified camera coordinates (KITTI's convention): the camera frame
    turned so that y points down along gravity (``Camera.rectification``, KITTI's ``R0_rect``);
    the camera frame itself when the camera is level. Project its corners with
    ``Camera.project_rectified``.

    Attributes:
        center: (3,) float64 metres, the centre of the box.
        dimensions: (3,) float64 metres: length (along the heading), width, height.
        yaw: radians, rotation about the rectified y axis (KITTI ``rotation_y``).
    """

    center: np.ndarray
    dimensions: np.ndarray
    yaw: float

    def corners(self) -> np.ndarray:
        """(8, 3) corners in rectified camera coordinates: the 4 bottom ones (y + h/2), then the 4 top ones."""
        length, width, height = (float(v) for v in self.dimensions)
        x = np.array([1, 1, -1, -1, 1, 1, -1, -1]) * length / 2
        z = np.array([1, -1, -1, 1, 1, -1, -1, 1]) * width / 2
        y = np.array([1, 1, 1, 1, -1, -1, -1, -1]) * height / 2
        c, s = np.cos(self.yaw), np.sin(self.yaw)
        rx = c * x + s * z
        rz = -s * x + c * z
        return np.stack([rx, y, rz], axis=1) + np.asarray(self.center, np.float64)


@dataclass(frozen=True)
class InstanceGeometry:
    """What the renderer knows of one instance besides its pixels, in image pixel coordinates
    (x right, y down, corner convention: pixel (i, j) covers [j, j+1) x [i, i+1)).

    Attributes:
        category: category name.
        extensions: a domain's labels of it, by extension name (``synthgen.extensions.DOMAIN_LABELS``:
            ``text``, the text record of a word, ``synthgen.text.label.TextRecord``).
        keypoints: (K, 3) float32 x, y, visibility (COCO: 0 not labelled, 1 hidden, 2 visible), or None.
        amodal_bbox: (x, y, w, h) floats of the whole object, hidden and outside parts included, or None.
        area_alone: pixels the object covers inside the image when drawn alone (nothing in front),
            or None where the renderer does not know; gives ``Instance.occlusion``.
        area_alone_total: pixels it covers drawn alone on an unbounded canvas; gives
            ``Instance.truncation``.
        box3d: the object's 3D box in rectified camera coordinates (see ``Box3D``), or None.
        attributes: JSON-able attributes copied onto the Instance (``legible``, ``line``, ...).
    """

    category: str
    extensions: dict[str, Any] = field(default_factory=dict)
    keypoints: np.ndarray | None = field(default=None, metadata={"extension": "keypoints"})
    amodal_bbox: tuple[float, float, float, float] | None = None
    area_alone: int | None = None
    area_alone_total: int | None = None
    box3d: Box3D | None = field(default=None, metadata={"extension": "box3d"})
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Layers:
    """What a renderer drew.

    Attributes:
        rgb: (H, W, 3) uint8 image.
        instance_id: (H, W) int32, 0 = background, k = the pixels of instance k.
        geometry: instance id -> InstanceGeometry for every instance that was drawn.
        depth: optional (H, W) float32 metres (camera z), inf where empty.
        semantic_id: optional (H, W) int32 category ids of the run's table, 0 = background.
        normals: optional (H, W, 3) float32 unit surface normals in camera coordinates.
    """

    rgb: np.ndarray
    instance_id: np.ndarray
    geometry: dict[int, InstanceGeometry]
    depth: np.ndarray | None = None
    semantic_id: np.ndarray | None = None
    normals: np.ndarray | None = None


@dataclass(frozen=True)
class OriginalLabels:
    """An instance's labels exactly as a real dataset holds them (``Instance.original``).

    Real annotations are the ground truth their users paid for: a writer gives back each value
    found here as it was read (floats unrounded, polygons as polygons, a crowd's uncompressed RLE
    as it is) instead of the one derived from the instance's rasterised mask, and derives only
    what the source lacked. Each attribute is None where the source did not have it.

    Attributes:
        bbox: [x, y, w, h] as read (COCO: floats, not necessarily the mask's tight box).
        area: as read (COCO: the annotator's area, not necessarily the mask's pixel count).
        segmentation: as read: COCO polygons ``[[x1, y1, ...], ...]`` or an RLE dict.
        iscrowd: 0 or 1 as read.
        keypoints: [x, y, v] * K as read.
        num_keypoints: as read.
    """

    bbox: list[float] | None = None
    area: float | None = None
    segmentation: list[list[float]] | dict[str, Any] | None = None
    iscrowd: int | None = None
    keypoints: list[float] | None = None
    num_keypoints: int | None = None


@dataclass(frozen=True)
class Instance:
    """One labelled object, derived from render layers (or read from a dataset).

    Attributes:
        category: category name (its id is in the run's CategoryTable).
        bbox: (x, y, w, h) pixel extent of the visible mask; x, y of the top-left pixel;
            (0, 0, 0, 0) for an object with no visible pixel.
        area: number of visible pixels.
        rle: visible mask as COCO compressed RLE ``{"size": [H, W], "counts": str}``.
        extensions: a domain's labels of it, by extension name (``synthgen.extensions.DOMAIN_LABELS``:
            ``text``, the text record of a word, ``synthgen.text.label.TextRecord``), each written
            into the record by its own fields' codecs; empty for none.
        attributes: extra JSON-able attributes (``legible``, ``line``, ``level``, ...).
        amodal_bbox: (x, y, w, h) of the whole object (hidden and out-of-image parts included), or None.
        occlusion: 1 - visible pixels / pixels of the object drawn alone in the image, 0..1, or None.
        truncation: fraction of the object (drawn alone) outside the image, 0..1, or None.
        keypoints: (K, 3) float32 x, y, visibility (COCO), or None.
        box3d: 3D box in rectified camera coordinates (see ``Box3D``), or None.
        original: a real instance's labels as its dataset holds them, which writers keep rather
            than derive from the mask; None for a synthetic instance, and for a real one whose
            labels the mix changed (covered by a pasted object).
    """

    # The declaration order is the record's key order (``synthgen.records``); each field's codec
    # (its metadata) says how it is written and read back.
    category: str = field(metadata=codec("text"))
    bbox: tuple[int, int, int, int] = field(metadata=codec("ints"))
    area: int = field(metadata=codec("int"))
    rle: dict[str, Any] = field(metadata=codec("json", key="segmentation"))
    extensions: dict[str, Any] = field(default_factory=dict, metadata=codec("extensions"))
    attributes: dict[str, Any] = field(default_factory=dict, metadata=codec("json", omit_empty=True))
    amodal_bbox: tuple[float, float, float, float] | None = field(default=None, metadata=codec("floats"))
    occlusion: float | None = field(default=None, metadata=codec("ratio"))
    truncation: float | None = field(default=None, metadata=codec("ratio"))
    keypoints: np.ndarray | None = field(default=None, metadata=codec("keypoints", extension="keypoints"))
    box3d: Box3D | None = field(default=None, metadata=codec("box3d", extension="box3d"))
    original: OriginalLabels | None = field(default=None, metadata=codec("original"))

    @property
    def visible(self) -> bool:
        """Whether any pixel of it is visible (writers export only visible instances)."""
        return self.area > 0

    def visible_mask(self) -> np.ndarray:
        """Decode the RLE into a (H, W) bool mask."""
        from pycocotools import mask as mask_utils

        rle = {"size": self.rle["size"], "counts": self.rle["counts"].encode("ascii")}
        return mask_utils.decode(rle).astype(bool)


@dataclass(frozen=True)
class Labels:
    """All labels of one image.

    Attributes:
        instances: the instances, in instance-id order (then derived ones, e.g. text lines).
        categories: the run's category table.
        camera: the camera, where the scene has one.
        depth: optional (H, W) float32 metres, inf where empty.
        semantic: optional (H, W) int32 category ids, 0 = background.
    """

    instances: tuple[Instance, ...]
    categories: CategoryTable
    camera: Camera | None = None
    depth: np.ndarray | None = None
    semantic: np.ndarray | None = None


@dataclass(frozen=True)
class Sample:
    """One generated (or read) sample.

    Attributes:
        image: (H, W, 3) uint8.
        labels: its Labels (instances, category table, camera and dense layers).
        meta: JSON-able: ``index``, ``seed``, ``source`` (``synthetic`` / ``real:<name>``),
            ``generator``, ``version``, ``scene`` params, ``dropped`` counts, ``augment`` values.
    """

    image: np.ndarray
    labels: Labels
    meta: dict[str, Any]
