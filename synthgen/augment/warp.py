"""Apply one sampled geometric transform to every layer and every quad of a Layers, with kornia.

The transform is a kornia geometric augmentation replayed with parameters sampled from the
stage's numpy generator, inside ``kornia.augmentation.AugmentationSequential`` so that the image,
the label layers and the quad corners all go through the same matrix:

- ``rgb`` is resampled bilinearly; pixels brought in from outside the image get the ``fill`` grey.
- ``instance_id``, ``semantic_id`` and ``depth`` are resampled with nearest neighbour, so every
  output pixel carries the exact label of one input pixel, and masks, boxes and areas derived
  from ``instance_id`` afterwards follow the image.
- the points of every label extension (``synthgen.extensions``: quads, text outlines, keypoints)
  are moved as kornia keypoints, all in one batch. They use the corner convention (pixel
  (i, j) covers [j, j+1) x [i, i+1)); kornia puts pixel centres on integers, so points are
  shifted by 0.5 px into kornia's convention and back.

Labels are then made to fit the image, each by its own kind's rule (``LabelExtension.cut``):

- a quad (and a polygon) is clipped point by point: each corner is clamped to [0, W] x [0, H].
  The result is still a (4, 2) quad inside the image. For a quad that is partly outside and rotated, the clamped
  quad can miss some ink next to the border (clamping moves a corner along an axis, not along the
  quad's edges); quads wholly inside the image are unchanged. A character whose quad no longer
  overlaps the image is removed from ``chars``/``char_quads``; a word cut by the border becomes
  illegible (the text domain's rule, ``synthgen.text.label``); a keypoint outside the image becomes unlabelled.
- an instance with no pixel left in ``instance_id`` is removed from ``geometry`` and counted:
  ``augment_out_of_image`` when no label of it still overlaps the image (a word's quad), ``augment_too_small``
  when one does but resampling left it no pixel.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from synthgen.extensions import LabelExtension, extensions_of, label_points, with_label_points, with_labels
from synthgen.extensions import clip_points, overlap_area  # noqa: F401  (once defined here)
from synthgen.tensors import rgb_to_tensor, tensor_to_rgb, torch_module
from synthgen.types import InstanceGeometry, Layers

KORNIA = ("torch", "kornia")  # what a geometric kind needs (AugmentKind.needs)
MAX_EXACT_ID = 2**24  # nearest-neighbour warps run in float32, exact for integers below this

OUT_OF_IMAGE = "augment_out_of_image"
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
    labels = {k: extensions_of(layers.geometry[k]) for k in sorted(layers.geometry)}
    points = label_points(labels).astype(np.float32)
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

    moved = with_label_points(labels, out_points[0].numpy().astype(np.float64) + 0.5)
    geometry, dropped = fit_geometry(layers.geometry, moved, instance_id, width, height)
    out = replace(
        layers,
        rgb=rgb_out if border != "constant" else tensor_to_rgb(out_rgb),
        instance_id=instance_id,
        semantic_id=semantic_id,
        depth=depth,
        geometry=geometry,
    )
    return out, dropped


def fit_geometry(
    geometry: dict[int, InstanceGeometry],
    moved: dict[int, dict[str, LabelExtension]],
    instance_id: np.ndarray,
    width: int,
    height: int,
) -> tuple[dict[int, InstanceGeometry], dict[str, int]]:
    """Each instance's moved labels made to fit the image (``LabelExtension.cut``), and the
    instances left with no pixel dropped.

    Args:
        geometry: the instances before the move.
        moved: instance id -> its label extensions at their moved places (``extensions.with_points``).
        instance_id: (H, W) int32, the moved instance layer.
        width, height: the image's size.

    Returns:
        The new geometry and what was dropped or flagged, by reason.
    """
    present = set(np.unique(instance_id).tolist())
    out: dict[int, InstanceGeometry] = {}
    counts: dict[str, int] = {}
    for k in sorted(geometry):
        geo, labels = geometry[k], moved.get(k, {})
        if k not in present:
            reason = TOO_SMALL if any(label.overlaps(width, height) for label in labels.values()) else OUT_OF_IMAGE
            counts[reason] = counts.get(reason, 0) + 1
            continue
        attributes, values = geo.attributes, {}
        for name, label in labels.items():
            change = label.cut(width, height, attributes)
            values[name], attributes = change.label, change.attributes
            for reason, n in change.counts.items():
                counts[reason] = counts.get(reason, 0) + n
        out[k] = with_labels(geo, values, attributes=attributes)
    return out, counts
