"""Apply one sampled geometric transform to every layer and every quad of a Layers, with kornia.

The transform is a kornia geometric augmentation replayed with parameters sampled from the
stage's numpy generator, inside ``kornia.augmentation.AugmentationSequential`` so that the image,
the label layers and the quad corners all go through the same matrix:

- ``rgb`` is resampled bilinearly; pixels brought in from outside the image get the ``fill`` grey.
- ``instance_id``, ``semantic_id`` and ``depth`` are resampled with nearest neighbour, so every
  output pixel carries the exact label of one input pixel, and masks, boxes and areas derived
  from ``instance_id`` afterwards follow the image.
- quads (word and character) and text outlines (``InstanceGeometry.polygon``) are moved as
  keypoints. Quads use the corner convention (pixel
  (i, j) covers [j, j+1) x [i, i+1)); kornia puts pixel centres on integers, so corners are
  shifted by 0.5 px into kornia's convention and back.

Labels are then made to fit the image:

- a quad (and a polygon) is clipped point by point: each corner is clamped to [0, W] x [0, H].
  The result is still a (4, 2) quad inside the image. For a quad that is partly outside and rotated, the clamped
  quad can miss some ink next to the border (clamping moves a corner along an axis, not along the
  quad's edges); quads wholly inside the image are unchanged.
- a character whose quad no longer overlaps the image is removed from ``chars``/``char_quads``
  (``chars`` lists the characters that have a quad).
- an instance with no pixel left in ``instance_id`` is removed from ``geometry`` and counted:
  ``augment_out_of_image`` when its transformed quad does not overlap the image (or it has no
  quad), ``augment_too_small`` when it overlaps but resampling left it no pixel.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from synthgen.tensors import rgb_to_tensor, tensor_to_rgb, torch_module
from synthgen.types import InstanceGeometry, Layers

KORNIA = ("torch", "kornia")  # what a geometric kind needs (AugmentKind.needs)
MAX_EXACT_ID = 2**24  # nearest-neighbour warps run in float32, exact for integers below this

OUT_OF_IMAGE = "augment_out_of_image"
ILLEGIBLE_TRUNCATED = "illegible_truncated"  # kept, flagged legible: false (### / no crop), counted
TOO_SMALL = "augment_too_small"


BORDERS = ("constant", "replicate", "reflect")  # how pixels from outside the image are filled


def warp_layers(
    layers: Layers, transform: Any, params: dict[str, Any], fill: float, border: str = "constant"
) -> tuple[Layers, dict[str, int]]:
    """Warp every layer and quad of ``layers`` with one kornia geometric augmentation.

    Args:
        layers: rgb (H, W, 3) uint8, instance_id (H, W) int32, optional semantic_id (H, W) int32
            and depth (H, W) float32 (inf where empty), geometry with (4, 2) / (N, 4, 2) quads.
        transform: a kornia 2D geometric augmentation (``RandomAffine``, ``RandomPerspective``)
            built with ``p=1``; its own random ranges are not used.
        params: that augmentation's parameters for one image (batch 1) as float32 tensors,
            e.g. ``{"translations", "center", "scale", "angle", "shear_x", "shear_y"}``.
        fill: grey level 0..255 for pixels that come from outside the input image.
        border: ``constant`` (``fill``), ``replicate`` (the nearest edge pixel) or ``reflect``
            (mirrored about the edge, OpenCV's reflect-101) for the image's outside pixels; the
            label layers are always 0 (no instance) there. Not constant, the image is warped by
            OpenCV with the same matrix kornia applied to the labels.

    Returns:
        The warped Layers (new arrays) and the instances dropped, by reason.
    """
    torch = torch_module()
    from kornia.augmentation import AugmentationSequential
    from kornia.augmentation.container.params import ParamItem

    height, width = layers.instance_id.shape
    if layers.instance_id.size and int(layers.instance_id.max()) >= MAX_EXACT_ID:
        raise ValueError(f"instance ids must be < {MAX_EXACT_ID} to be warped exactly")

    # A fourth, all-ones channel measures how much of each output pixel came from inside the image.
    rgb = rgb_to_tensor(layers.rgb)
    image = torch.cat([rgb, torch.ones_like(rgb[:, :1])], dim=1)
    planes = [layers.instance_id.astype(np.float32)]
    if layers.semantic_id is not None:
        planes.append(layers.semantic_id.astype(np.float32))
    if layers.depth is not None:
        # Zero padding must read as "empty"; depth 0 is never a valid distance, so it stands for inf.
        planes.append(np.where(np.isfinite(layers.depth), layers.depth, 0.0).astype(np.float32))
    masks = torch.from_numpy(np.stack(planes)).unsqueeze(0)
    ids, points = _quad_points(layers.geometry)
    keypoints = torch.from_numpy(points - 0.5).unsqueeze(0)

    shape = torch.tensor([1, image.shape[1], height, width])
    replay = {**params, "batch_prob": torch.ones(1), "forward_input_shape": shape}
    # AugmentationSequential's public ``params=`` argument takes a list of ParamItem, the type its
    # signature documents (defined in kornia.augmentation.container.params, not re-exported).
    # kornia has no other public way to replay parameters sampled elsewhere (our numpy generator,
    # for determinism) over image, masks and keypoints at once; calling each augmentation's
    # transform_masks / transform_keypoints by hand would re-implement what the container does.
    item = ParamItem(f"{type(transform).__name__}_0", replay)
    sequential = AugmentationSequential(transform, data_keys=["input", "mask", "keypoints"])
    out_image, out_masks, out_points = sequential(image, masks, keypoints, params=[item])

    coverage = out_image[:, 3:4]
    out_rgb = out_image[:, :3] + (1.0 - coverage) * (fill / 255.0)
    if border != "constant":
        import cv2

        matrix = sequential.transform_matrix[0].numpy().astype(np.float64)  # pixel centres on integers
        mode = cv2.BORDER_REPLICATE if border == "replicate" else cv2.BORDER_REFLECT_101
        rgb_out = cv2.warpPerspective(layers.rgb, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=mode)
    warped = out_masks[0].round().numpy()
    instance_id = warped[0].astype(np.int32)
    semantic_id = warped[1].astype(np.int32) if layers.semantic_id is not None else None
    depth = None
    if layers.depth is not None:
        plane = out_masks[0, -1].numpy().astype(np.float32)  # not rounded: depth is metric
        depth = np.where(plane > 0, plane, np.inf).astype(np.float32)

    moved = out_points[0].numpy().astype(np.float64) + 0.5
    geometry, dropped = _fit_geometry(layers.geometry, ids, moved, instance_id, width, height)
    out = replace(
        layers,
        rgb=rgb_out if border != "constant" else tensor_to_rgb(out_rgb),
        instance_id=instance_id,
        semantic_id=semantic_id,
        depth=depth,
        geometry=geometry,
    )
    return out, dropped


def _quad_points(geometry: dict[int, InstanceGeometry]) -> tuple[list[int], np.ndarray]:
    """Every point that moves with the pixels, (K, 2) float32, in instance order: word quad, char
    quads, text outline, then keypoints."""
    ids = sorted(geometry)
    chunks = []
    for k in ids:
        geo, text = geometry[k], geometry[k].text
        if text is not None:
            if text.quad is not None:
                chunks.append(np.asarray(text.quad, np.float32).reshape(4, 2))
            if text.char_quads is not None:
                chunks.append(np.asarray(text.char_quads, np.float32).reshape(-1, 2))
            if text.polygon is not None:
                chunks.append(np.asarray(text.polygon, np.float32).reshape(-1, 2))
        if geo.keypoints is not None:
            chunks.append(np.asarray(geo.keypoints, np.float32).reshape(-1, 3)[:, :2])
    points = np.concatenate(chunks) if chunks else np.zeros((0, 2), np.float32)
    return ids, points.astype(np.float32)


def _fit_geometry(
    geometry: dict[int, InstanceGeometry],
    ids: list[int],
    moved: np.ndarray,
    instance_id: np.ndarray,
    width: int,
    height: int,
) -> tuple[dict[int, InstanceGeometry], dict[str, int]]:
    """Put the moved points back, clip them, drop characters and instances that left the image."""
    present = set(np.unique(instance_id).tolist())
    out: dict[int, InstanceGeometry] = {}
    dropped: dict[str, int] = {}
    at = 0

    def take(n: int) -> np.ndarray:
        nonlocal at
        at += n
        return moved[at - n : at]

    for k in ids:
        geo, text = geometry[k], geometry[k].text
        quad = char_quads = polygon = None
        if text is not None:
            quad = take(4) if text.quad is not None else None
            if text.char_quads is not None:
                char_quads = take(4 * len(text.char_quads)).reshape(-1, 4, 2)
            polygon = clip_points(take(len(text.polygon)), width, height) if text.polygon is not None else None
        keypoints = None
        if geo.keypoints is not None:
            keypoints = _moved_keypoints(geo.keypoints, take(len(geo.keypoints)), width, height)
        if k not in present:
            reason = TOO_SMALL if quad is not None and overlap_area(quad, width, height) > 0 else OUT_OF_IMAGE
            dropped[reason] = dropped.get(reason, 0) + 1
            continue
        attributes = geo.attributes
        if text is not None:
            chars = text.chars
            cut = quad is not None and not _inside(quad, width, height)
            if char_quads is not None:
                cut = not _inside(char_quads, width, height)
                keep = [overlap_area(q, width, height) > 0 for q in char_quads]
                assert chars is None or len(chars) == len(keep), "chars and char_quads out of step"
                if chars is not None:
                    chars = "".join(c for c, kept in zip(chars, keep) if kept)
                char_quads = clip_points(char_quads[np.asarray(keep, bool)], width, height)
            if cut and text.transcription:
                # Part of the text left the image: the transcription no longer matches the pixels,
                # so the instance becomes "don't care" (ICDAR ###; no recognition crop).
                attributes = {**attributes, "legible": False, "truncated": True, "illegible_reason": "truncated"}
                if geo.attributes.get("legible", True) is not False:  # counted once, where it became illegible
                    dropped[ILLEGIBLE_TRUNCATED] = dropped.get(ILLEGIBLE_TRUNCATED, 0) + 1
            text = replace(
                text,
                quad=None if quad is None else clip_points(quad, width, height),
                chars=chars,
                char_quads=char_quads,
                polygon=polygon,
            )
        out[k] = replace(geo, text=text, keypoints=keypoints, attributes=attributes)
    return out, dropped


def _moved_keypoints(keypoints: np.ndarray, moved: np.ndarray, width: int, height: int) -> np.ndarray:
    """(K, 3) keypoints at their moved places; one moved out of the image becomes unlabelled (0, 0, 0)."""
    out = np.asarray(keypoints, np.float32).reshape(-1, 3).copy()
    out[:, :2] = moved
    outside = (moved[:, 0] < 0) | (moved[:, 0] >= width) | (moved[:, 1] < 0) | (moved[:, 1] >= height)
    out[outside & (out[:, 2] > 0)] = 0
    return out


def _inside(points: np.ndarray, width: int, height: int) -> bool:
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
