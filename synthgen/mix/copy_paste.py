"""Copy-paste: instances of synthetic samples pasted into real images, with every label updated.

A paste takes an instance's visible pixels (its mask, cropped to its box), scales them, and places
them in the target image. Labels stay exact: a pasted instance's mask is the pixels the paste
changed (minus later pastes over it), and its label extensions (``synthgen.extensions``: text quads
and polygon, keypoints) move with its pixels; its 3D box moves into the target's camera where both
pictures have a camera (the same object at the distance that gives it its pasted size), and is
left out where either has none (a 3D box needs a camera to be relative to). A real instance loses
the pasted pixels from its mask, box and area, and each of its labels is told it was covered
(``LabelExtension.covered``): its covered keypoints become hidden (v=1), a word some of whose
pixels are covered becomes illegible (``legible: false``, ``illegible_reason: covered``), as a word
cut by a warp does; it is dropped when nothing of it is left visible. Such a covered real
instance is written with the box, area, mask and keypoints of its pixels left visible (its
dataset's own values, ``Instance.original``, described the uncovered object; only its ``iscrowd``
stays); a real instance that no paste touches keeps its dataset's labels exactly. Blending: ``alpha`` (the pixels replaced), ``feather`` (the mask's edge blended over
``feather_px`` pixels inside it, so no pixel outside the mask changes) or ``poisson``
(OpenCV's ``seamlessClone``; its solution keeps the mask's outer ring at the target's values,
so the label is the mask's interior).

Placement: a scale from ``scale`` and a position anywhere the object fits; with a ``horizon``
row (a fraction of the height), the object's bottom row is drawn below the horizon and its scale
is multiplied by (bottom - horizon) / (height - horizon), as on a flat ground plane seen by a
level pinhole camera (image size falls as 1/depth, as does the distance to the horizon).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthgen.extensions import extensions_of, with_labels
from synthgen.types import Instance, Labels, OriginalLabels, Sample

BLENDS = ("alpha", "feather", "poisson")


@dataclass(frozen=True)
class Placement:
    """Where one instance goes.

    Attributes:
        x, y: the target pixel of the top-left corner of the instance's (scaled) box.
        width, height: the scaled box's size in pixels (>= 1).
    """

    x: int
    y: int
    width: int
    height: int


def _rle(mask: np.ndarray) -> dict[str, Any]:
    from pycocotools import mask as mask_utils

    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    if not len(xs):
        return (0, 0, 0, 0)
    return (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))


def sample_placement(
    rng: np.random.Generator,
    box: tuple[int, int, int, int],
    image_size: tuple[int, int],
    scale: tuple[float, float],
    horizon: float | None = None,
) -> Placement | None:
    """A placement of an instance with box (x, y, w, h) in a (width, height) image, or None if it cannot fit."""
    width, height = image_size
    s = float(rng.uniform(*scale))
    if horizon is not None:
        row = horizon * height
        bottom = float(rng.uniform(row + 1, height))
        s *= (bottom - row) / (height - row)
        w, h = max(1, round(box[2] * s)), max(1, round(box[3] * s))
        if w > width or h > bottom:
            return None
        y = round(bottom) - h
        x = int(rng.integers(0, width - w + 1))
        return Placement(x, max(0, y), w, h)
    w, h = max(1, round(box[2] * s)), max(1, round(box[3] * s))
    if w > width or h > height:
        return None
    return Placement(int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1)), w, h)


def _moved_points(points: np.ndarray, box, place: Placement) -> np.ndarray:
    """Corner coordinates of the donor image -> those of the target (scale of the box, then shift)."""
    sx, sy = place.width / box[2], place.height / box[3]
    p = np.asarray(points, np.float32).reshape(-1, 2)
    return np.stack([(p[:, 0] - box[0]) * sx + place.x, (p[:, 1] - box[1]) * sy + place.y], axis=1)


def _blend(
    target: np.ndarray, patch: np.ndarray, mask: np.ndarray, how: str, feather_px: float
) -> tuple[np.ndarray, np.ndarray]:
    """The target with the patch blended in where mask is set; and the pixels changed (the label)."""
    import cv2

    out = target.copy()
    if how == "poisson":
        # seamlessClone needs the mask clear of the border; it places the mask's bounding box centre at `center`
        mask = mask.copy()
        mask[0, :] = mask[-1, :] = False
        mask[:, 0] = mask[:, -1] = False
        if mask.sum() < 4:
            how = "alpha"
        else:
            x, y, w, h = cv2.boundingRect(mask.astype(np.uint8))
            center = (x + w // 2, y + h // 2)
            cloned = cv2.seamlessClone(patch, target, mask.astype(np.uint8) * 255, center, cv2.NORMAL_CLONE)
            # The solve keeps the mask's outer ring at the target's values (its boundary condition):
            # the label is the interior, and only it is copied, so no other pixel changes.
            inner = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8), borderValue=0).astype(bool)
            out[inner] = cloned[inner]
            return out, inner
    if how == "feather" and feather_px > 0:
        inside = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 3)[1:-1, 1:-1]
        alpha = np.clip(inside / float(feather_px), 0, 1)[:, :, None]
        alpha[~mask] = 0
        out = np.where(mask[:, :, None], np.rint(alpha * patch + (1 - alpha) * target), target).astype(np.uint8)
        return out, mask
    out[mask] = patch[mask]
    return out, mask


def paste(
    target: Sample, donor: Sample, k: int, place: Placement, blend: str = "alpha", feather_px: float = 3.0
) -> tuple[Sample, Counter]:
    """Paste instance ``k`` of ``donor`` into ``target`` at ``place``.

    Args:
        target: the (real) sample; its image (H, W, 3) uint8 and labels are not modified.
        donor: the sample the instance comes from.
        k: the instance's position in ``donor.labels.instances`` (it must be visible).
        place: where and how large (see ``sample_placement``).
        blend: ``alpha``, ``feather`` or ``poisson``.
        feather_px: the width of the feathered edge.

    Returns:
        The new sample (the pasted instance last, categories as the target's table), and what the
        paste did, by reason: ``covered_by_paste``, the target's instances dropped for having no
        visible pixel left; and the labels' own counts (``Change.counts``: ``illegible_covered``,
        the words it made illegible, the pasted word's included where the blend left part of it out).
    """
    import cv2

    inst = donor.labels.instances[k]
    box = inst.bbox
    H, W = target.image.shape[:2]
    x0, y0, bw, bh = box
    src_rgb = donor.image[y0 : y0 + bh, x0 : x0 + bw]
    src_mask = inst.visible_mask()[y0 : y0 + bh, x0 : x0 + bw]
    rgb = cv2.resize(src_rgb, (place.width, place.height), interpolation=cv2.INTER_LINEAR)
    small = cv2.resize(src_mask.astype(np.uint8), (place.width, place.height), interpolation=cv2.INTER_NEAREST).astype(
        bool
    )
    patch = np.zeros_like(target.image)
    mask = np.zeros((H, W), bool)
    patch[place.y : place.y + place.height, place.x : place.x + place.width] = rgb
    mask[place.y : place.y + place.height, place.x : place.x + place.width] = small
    image, changed = _blend(target.image, patch, mask, blend, feather_px)

    instances, counts = [], Counter()
    for old in target.labels.instances:
        if not old.visible:
            instances.append(old)
            continue
        old_mask = old.visible_mask()
        covered = old_mask & changed
        if not covered.any():
            instances.append(old)
            continue
        left = old_mask & ~changed
        area = int(left.sum())
        if area == 0:
            counts["covered_by_paste"] += 1
            continue
        # each label of it decides what being covered means for it (extensions.LabelExtension.covered):
        # its keypoints under the paste become hidden, a word loses its legibility, as one cut by a warp
        attributes, values = old.attributes, {}
        for name, label in extensions_of(old).items():
            change = label.covered(changed, old_mask, attributes)
            values[name], attributes = change.label, change.attributes
            counts.update(change.counts)
        occlusion = None if old.occlusion is None else 1 - (1 - old.occlusion) * area / old.area
        # its dataset's geometry described the uncovered object: from here on it is the pixels' (a
        # crowd stays a crowd)
        original = old.original
        if original is not None:
            original = OriginalLabels(iscrowd=original.iscrowd) if original.iscrowd is not None else None
        instances.append(
            with_labels(
                old,
                values,
                bbox=_box(left),
                area=area,
                rle=_rle(left),
                occlusion=occlusion,
                original=original,
                attributes=attributes,
            )
        )

    # the donor's labels moved with its pixels (scaled, shifted), a 3D box into the target's camera
    # where both pictures have one; then what the paste did not bring (its mask's pixels that the
    # blend left as they were) counts as covered: a keypoint there is hidden
    cameras = (donor.labels.camera, target.labels.camera)
    labels = extensions_of(inst, cameras if None not in cameras else None)
    attributes, values = {**inst.attributes, "pasted": True}, {}
    for name, label in labels.items():
        moved = label.with_points(_moved_points(label.points(), box, place))
        change = moved.covered(~changed, changed, attributes)
        values[name], attributes = change.label, change.attributes
        counts.update(change.counts)
    amodal = (float(place.x), float(place.y), float(place.width), float(place.height))
    pasted = with_labels(
        Instance(
            category=inst.category,
            bbox=_box(changed),
            area=int(changed.sum()),
            rle=_rle(changed),
            amodal_bbox=amodal,
            occlusion=0.0,
            truncation=0.0,
            attributes=attributes,
        ),
        values,
    )
    labels = Labels(tuple(instances) + (pasted,), target.labels.categories, target.labels.camera)
    return Sample(image, labels, target.meta), counts
