"""``synthgen preview``: a contact sheet of a dataset with masks, boxes, 3D boxes, keypoints, quads and text drawn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

from synthgen.errors import DatasetError
from synthgen.formats.icdar import is_line
from synthgen.records import InstanceView
from synthgen.text import fonts, shaping
from synthgen.text.label import text_of
from synthgen.types import Box3D, Sample


def _palette(k: int) -> tuple[int, int, int]:
    rng = np.random.default_rng(k)
    return tuple(int(v) for v in rng.integers(64, 256, 3))  # type: ignore[return-value]


def _dashed_rectangle(draw, box: tuple[float, float, float, float], color, dash: float = 4.0) -> None:
    """A rectangle outline of dashes ``dash`` pixels long with gaps as long."""
    x0, y0, x1, y1 = box
    for (ax, ay), (bx, by) in (((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)), ((x1, y1), (x0, y1)), ((x0, y1), (x0, y0))):
        length = max(abs(bx - ax), abs(by - ay))
        for t in np.arange(0.0, length, 2 * dash):
            u, w = t / max(length, 1e-9), min(t + dash, length) / max(length, 1e-9)
            draw.line([(ax + (bx - ax) * u, ay + (by - ay) * u), (ax + (bx - ax) * w, ay + (by - ay) * w)], fill=color)


# the 12 edges of a box between its Box3D.corners (bottom 0..3, top 4..7)
BOX3D_EDGES = ((0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4), (0, 4), (1, 5), (2, 6), (3, 7))
NEAR = 0.05  # metres: edges are clipped in front of the camera before they are projected


def box3d_segments(box3d: Box3D | dict, camera: dict) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The image segments ((u, v), (u, v)) of a 3D box's 12 edges, clipped at NEAR in front of the camera.

    Args:
        box3d: the box (rectified camera frame), or its record (``center``, ``dimensions``, ``yaw``).
        camera: the sample's camera record (``intrinsics`` [9], ``extrinsics`` [16]); with a
            ``distortion`` (OpenCV's k1, k2, p1, p2, k3, a driving scene's ``sensor.distortion``,
            and the image size) each edge is bent through the lens as short segments, drawn where
            the image sees them.
    """
    from synthgen.records import camera_from_record

    distortion = camera.get("distortion")
    cam = camera_from_record({"width": 0, "height": 0, **{k: v for k, v in camera.items() if k != "distortion"}})
    if isinstance(box3d, Box3D):
        box = box3d
    else:
        center, dimensions = np.asarray(box3d["center"], np.float64), np.asarray(box3d["dimensions"], np.float64)
        box = Box3D(center, dimensions, float(box3d["yaw"]))
    corners = box.corners() @ cam.rectification()  # camera coordinates
    segments = []
    for a, b in BOX3D_EDGES:
        p, q = corners[a], corners[b]
        if p[2] < NEAR and q[2] < NEAR:
            continue
        if p[2] < NEAR or q[2] < NEAR:
            t = (NEAR - p[2]) / (q[2] - p[2])
            p, q = (p + t * (q - p), q) if p[2] < NEAR else (p, p + t * (q - p))
        if distortion is None:
            uv = cam.project(np.stack([p, q]))
            segments.append((tuple(uv[0]), tuple(uv[1])))
        else:
            segments += _bent_segments(p, q, cam.intrinsics, distortion, camera["width"], camera["height"])
    return segments


def _bent_segments(p, q, intrinsics, distortion, width: int, height: int) -> list:
    """A camera-frame edge through a distorting lens: 24 segments, those whose rays the image sees
    (the lens's polynomial turns back farther out and would fold far points into the picture)."""
    import cv2

    dist = np.asarray(distortion, np.float64)
    corners = np.array([[0, 0], [width, 0], [0, height], [width, height], [width / 2, 0], [0, height / 2]], np.float64)
    seen = np.hypot(*cv2.undistortPoints(corners[:, None], intrinsics, dist)[:, 0].T).max() * 1.05
    points = p + np.linspace(0.0, 1.0, 25)[:, None] * (q - p)
    xy = points[:, :2] / points[:, 2:3]
    uv = cv2.projectPoints(points, np.zeros(3), np.zeros(3), intrinsics, dist)[0][:, 0]
    inside = np.hypot(xy[:, 0], xy[:, 1]) <= seen
    return [(tuple(uv[i]), tuple(uv[i + 1])) for i in range(24) if inside[i] and inside[i + 1]]


def draw_labels(
    image: np.ndarray,
    annotations: list[dict],
    scale: float = 1.0,
    categories: list[dict] | None = None,
    camera: dict | None = None,
) -> "Image.Image":  # noqa: F821
    """The image, resized by ``scale``, with each annotation's mask tinted, bbox, quads and
    transcription drawn (labels at a fixed size, so small crops stay readable when enlarged);
    text lines (``level: line``) as a yellow quad only; an amodal box as a dashed rectangle;
    a 3D box (``box3d``, with the sample's ``camera`` record) as its projected 12-edge wireframe;
    keypoints as dots (filled: visible, hollow: hidden) joined by their category's skeleton
    (``categories``: the COCO categories, for the skeletons); each in the instance's colour."""
    import cv2
    from PIL import Image, ImageDraw
    from pycocotools import mask as mask_utils

    h, w = image.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    out = (image if size == (w, h) else cv2.resize(image, size, interpolation=interpolation)).astype(np.float32)
    # a COCO annotation holds the model's fields beside COCO's own under their record keys: read them
    # through the record's typed view
    views = [InstanceView(ann) for ann in annotations]
    lines = [v for v in views if is_line(v)]
    annotations = [ann for ann, v in zip(annotations, views) if not is_line(v)]
    views = [v for v in views if not is_line(v)]
    for k, ann in enumerate(annotations):
        seg = ann["segmentation"]
        if isinstance(seg, list):  # polygons (the COCO writer's default)
            m = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(seg, h, w))) if seg else np.zeros((h, w), np.uint8)
        elif isinstance(seg["counts"], list):  # uncompressed RLE: a real crowd's, which a mix writes as read
            m = mask_utils.decode(mask_utils.frPyObjects(seg, h, w))
        else:
            m = mask_utils.decode({"size": seg["size"], "counts": seg["counts"].encode("ascii")})
        if size != (w, h):
            m = cv2.resize(m, size, interpolation=cv2.INTER_NEAREST)
        m = m.astype(bool)
        out[m] = 0.45 * out[m] + 0.55 * np.asarray(_palette(k), np.float32)
    pil = Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(pil)
    label_font = fonts.load_font(str(fonts.bundled_font_dir() / "DejaVuSans-Bold.ttf"), 13)

    skeletons = {c["id"]: c.get("skeleton", ()) for c in categories or ()}

    def points(flat) -> list[tuple[float, float]]:
        return [tuple(p) for p in np.asarray(flat, np.float64).reshape(-1, 2) * scale]

    for line in lines:  # under the words' labels: a yellow quad per text line, no tint or box
        line_text = text_of(line)
        if line_text is not None and line_text.quad is not None:
            draw.polygon(points(line_text.quad), outline=(255, 220, 0))
    for k, (ann, inst) in enumerate(zip(annotations, views)):
        color = _palette(k)
        if inst.box3d is not None and camera is not None:  # under the 2D boxes
            for (ua, va), (ub, vb) in box3d_segments(inst.box3d, camera):
                draw.line([(ua * scale, va * scale), (ub * scale, vb * scale)], fill=color, width=1)
        x, y, bw, bh = (v * scale for v in inst.bbox)
        draw.rectangle([x, y, x + bw - 1, y + bh - 1], outline=(255, 0, 0))
        text = text_of(inst)
        for q in text.char_quads if text is not None and text.char_quads is not None else ():
            draw.polygon(points(q), outline=(0, 200, 255))
        if text is not None and text.quad is not None:
            draw.polygon(points(text.quad), outline=(0, 255, 0))
        if inst.amodal_bbox is not None:
            ax, ay, aw, ah = (v * scale for v in inst.amodal_bbox)
            _dashed_rectangle(draw, (ax, ay, ax + aw, ay + ah), color)
        if inst.keypoints is not None:
            kp = np.asarray(inst.keypoints, np.float64).reshape(-1, 3)
            for a, b in skeletons.get(ann.get("category_id"), ()):
                if 0 < a <= len(kp) and 0 < b <= len(kp) and kp[a - 1, 2] > 0 and kp[b - 1, 2] > 0:
                    draw.line([tuple(kp[a - 1, :2] * scale), tuple(kp[b - 1, :2] * scale)], fill=color, width=1)
            for px, py, v in kp:
                if v > 0:
                    px, py = px * scale, py * scale
                    draw.ellipse([px - 3, py - 3, px + 3, py + 3], fill=color if v == 2 else None, outline=(0, 0, 0))
        if text is not None and text.transcription:
            tx, ty = x, max(0, y - 15)
            font = _shaped_label_font() if shaping.needs_shaping(text.transcription) else label_font
            box = draw.textbbox((tx, ty), text.transcription, font=font)
            draw.rectangle(box, fill=(0, 0, 0))
            draw.text((tx, ty), text.transcription, font=font, fill=color)
    return pil


def _shaped_label_font():
    """The label font with Pillow's raqm layout where Pillow has it, so right-to-left and joined
    transcriptions read as they are drawn (DejaVu has Arabic and Hebrew; other scripts show boxes)."""
    from PIL import ImageFont, features

    engine = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(fonts.bundled_font_dir() / "DejaVuSans-Bold.ttf"), 13, layout_engine=engine)


# The formats a folder that is not a synthgen dataset may hold, richest labels first (COCO: masks and
# keypoints; KITTI: 3D boxes and a camera; YOLO: boxes or polygons; ICDAR and recognition: text),
# each with the names that mark it, as its reader finds them (in the folder or in its own subfolder).
PLAIN_FORMATS = (
    ("kitti", ("label_2", "kitti/label_2")),
    ("yolo", ("data.yaml", "yolo/data.yaml")),
    ("icdar", ("icdar",)),
    ("recognition", ("labels.tsv", "recognition/labels.tsv")),
)


class Tile(NamedTuple):
    """What one tile shows: the image ((H, W, 3) uint8), its COCO-style annotations, the COCO
    categories (for keypoint skeletons), the camera record (for 3D boxes) or None, and where its
    annotations come from (for an error)."""

    image: np.ndarray
    annotations: list[dict]
    categories: list[dict]
    camera: dict | None
    where: str


def write_preview(dataset: str | Path, out: str | Path | None = None, num: int = 12, columns: int = 4, tile: int = 384) -> Path:
    """Write a contact sheet PNG of the first ``num`` samples of a dataset.

    Args:
        dataset: a synthgen dataset folder, whatever its writers (its sample records, the richest
            labels, read by ``read_dataset``); a ``synthgen mix`` output (its train, val and test
            splits in turn); or a folder of another tool in COCO (``annotations/coco.json``),
            KITTI, YOLO, ICDAR or recognition layout.
        out: PNG path; default ``DATASET/preview.png``.
        num: samples to show.
        columns: tiles per row.
        tile: the longer side of each tile in pixels (rows are as tall as their tallest tile).

    Returns:
        The path written.
    """
    from PIL import Image

    root = Path(dataset)
    tiles = []
    for shown in _tiles(root, num):
        # fit the tile; small images (recognition crops) are enlarged up to 4x
        scale = min(tile / shown.image.shape[1], tile / shown.image.shape[0], 4.0)
        try:
            tiles.append(draw_labels(shown.image, shown.annotations, scale, shown.categories, shown.camera))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            problem = f"{type(exc).__name__}: {str(exc)[:80]}"
            raise DatasetError(f"{shown.where}: an annotation is malformed ({problem})") from None
    cols = min(columns, len(tiles))
    gap = 4
    row_heights = [max(t.height for t in tiles[i : i + cols]) for i in range(0, len(tiles), cols)]
    sheet = Image.new("RGB", (cols * (tile + gap) + gap, sum(row_heights) + gap * (len(row_heights) + 1)), (32, 32, 32))
    y = gap
    for r, height in enumerate(row_heights):
        for c, t in enumerate(tiles[r * cols : (r + 1) * cols]):
            sheet.paste(t, (gap + c * (tile + gap), y))
        y += height + gap
    dest = Path(out) if out else root / "preview.png"
    dest.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(dest)
    return dest


def _tiles(root: Path, num: int) -> list[Tile]:
    """The first ``num`` samples of the dataset at ``root``, from its richest label source."""
    import itertools

    from synthgen.dataset import read_dataset

    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder")
    if (root / "manifest.json").is_file():
        return _sample_tiles(root, read_dataset(root), num)
    from synthgen.mix.plan import SPLITS

    splits = [root / split for split in SPLITS if (root / split / "manifest.json").is_file()]
    if splits:  # a mix output: its splits are synthgen datasets
        return _sample_tiles(root, itertools.chain.from_iterable(read_dataset(s) for s in splits), num)
    if (root / "annotations" / "coco.json").is_file():
        return _coco_tiles(root, num)
    for name, marks in PLAIN_FORMATS:
        if any((root / mark).exists() for mark in marks):
            return _reader_tiles(root, name, num)
    raise DatasetError(
        f"{root}: not a dataset (no manifest.json, annotations/coco.json, KITTI label_2/, YOLO data.yaml, "
        "icdar/ or labels.tsv)"
    )


def _sample_tiles(root: Path, samples, num: int) -> list[Tile]:
    """Tiles of typed samples (``read_dataset``'s, a reader's materialised ones)."""
    tiles = []
    try:
        for sample in samples:
            if len(tiles) == num:
                break
            tiles.append(_sample_tile(sample, f"{root}: sample {len(tiles)}"))
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise DatasetError(f"{root}: a sample record is malformed ({type(exc).__name__}: {str(exc)[:80]})") from None
    if not tiles:
        raise DatasetError(f"{root}: holds no samples")
    return tiles


def _sample_tile(sample: Sample, where: str) -> Tile:
    """A sample's tile: its visible instances as the COCO writer writes them (masks as RLE, exact)."""
    from synthgen.formats.coco import CocoOptions, coco_annotations, coco_categories
    from synthgen.records import camera_to_record, instance_to_record

    labels = sample.labels
    record = {"index": 0, "instances": [instance_to_record(i) for i in labels.instances]}
    annotations = coco_annotations(record, labels.categories, 1, CocoOptions(segmentation="rle"))
    camera = camera_to_record(labels.camera) if labels.camera is not None else None
    distortion = ((sample.meta or {}).get("scene") or {}).get("sensor", {}).get("distortion")
    if camera is not None and distortion is not None:  # a driving camera's lens: the wireframes bend with it
        camera = {**camera, "distortion": distortion}
    return Tile(sample.image, annotations, coco_categories(labels.categories), camera, where)


def _reader_tiles(root: Path, name: str, num: int) -> list[Tile]:
    """Tiles of a folder in another tool's layout, read by synthgen's reader of that format."""
    from synthgen.formats import READERS
    from synthgen.formats.base import ReadOptions

    result = READERS.get(name).read(root, ReadOptions())
    return _sample_tiles(root, (lazy.materialize() for lazy in result.samples), num)


def _coco_tiles(root: Path, num: int) -> list[Tile]:
    """Tiles of a COCO folder (``annotations/coco.json``, images relative to the folder)."""
    from PIL import Image

    coco_path = root / "annotations" / "coco.json"
    try:
        coco = json.loads(coco_path.read_text(encoding="utf-8"))
        images = coco["images"][:num]
        by_image: dict[int, list[dict]] = {}
        for ann in coco["annotations"]:
            by_image.setdefault(ann["image_id"], []).append(ann)
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise DatasetError(f"{coco_path}: not a COCO file ({exc})") from None
    if not images:
        raise DatasetError(f"{coco_path}: holds no images")
    categories = coco.get("categories") if isinstance(coco.get("categories"), list) else []
    tiles = []
    for i, info in enumerate(images):
        if not isinstance(info, dict) or not isinstance(info.get("file_name"), str) or "id" not in info:
            raise DatasetError(f"{coco_path}: images[{i}] needs a file_name and an id")
        path = root / info["file_name"]
        try:
            with Image.open(path) as im:
                rgb = np.asarray(im.convert("RGB"))
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            raise DatasetError(f"{path}: cannot read image ({type(exc).__name__})") from None
        tiles.append(Tile(rgb, by_image.get(info["id"], []), categories, None, f"{coco_path}: {info['file_name']}"))
    return tiles
