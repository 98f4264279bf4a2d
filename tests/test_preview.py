"""``synthgen preview``'s drawing of 3D boxes: the projected wireframe lands on the box's edges."""

from __future__ import annotations

import math

import numpy as np
import pytest

from synthgen.driving.camera import CameraRig
from synthgen.preview import BOX3D_EDGES, _palette, box3d_segments, draw_labels
from synthgen.records import camera_to_record
from synthgen.types import Box3D

W, H = 200, 120


def _camera(pitch_deg: float) -> dict:
    return camera_to_record(CameraRig(W, H, 110.0, 1.5, math.radians(pitch_deg)).camera())


def _annotation(box: Box3D) -> dict:
    from pycocotools import mask as mask_utils

    nothing = mask_utils.encode(np.zeros((H, W), np.uint8, order="F"))["counts"].decode()
    return {
        "category_id": 26,
        "bbox": [0, 0, 1, 1],
        "segmentation": {"size": [H, W], "counts": nothing},
        "box3d": {"center": list(box.center), "dimensions": list(box.dimensions), "yaw": box.yaw},
    }


@pytest.mark.parametrize("pitch, scale", [(0.0, 1.0), (8.0, 1.0), (8.0, 2.0)])
def test_preview_draws_the_projected_3d_box_edges(pitch, scale):
    cam = _camera(pitch)
    box = Box3D(np.array([0.5, 0.6, 9.0]), np.array([4.0, 1.8, 1.5]), 0.4)
    out = np.asarray(draw_labels(np.zeros((H, W, 3), np.uint8), [_annotation(box)], scale, None, cam))
    color = _palette(0)
    # the corners projected independently: K @ (R0_rect^T @ corner)
    k = np.reshape(cam["intrinsics"], (3, 3))
    rot = np.reshape(cam["extrinsics"], (4, 4))[:3, :3]
    down = -rot[:, 2]
    forward = np.array([0, 0, 1.0]) - down[2] * down
    forward /= np.linalg.norm(forward)
    r0 = np.stack([np.cross(down, forward), down, forward])
    uvw = box.corners() @ r0 @ k.T
    uv = uvw[:, :2] / uvw[:, 2:] * scale
    hits = 0
    for a, b in BOX3D_EDGES:
        for t in (0.3, 0.5, 0.7):
            x, y = uv[a] + t * (uv[b] - uv[a])
            if 2 <= x < out.shape[1] - 2 and 2 <= y < out.shape[0] - 2:
                patch = out[int(y) - 1 : int(y) + 2, int(x) - 1 : int(x) + 2].reshape(-1, 3)
                assert (patch == color).all(axis=1).any(), ((a, b), t, (x, y))
                hits += 1
    assert hits >= 24
    # and nothing else: away from the edges the image stays black (the 2D box is the 1 px corner)
    drawn = (out != 0).any(axis=2)
    near = np.zeros_like(drawn)
    for a, b in BOX3D_EDGES:
        for t in np.linspace(0, 1, 200):
            x, y = uv[a] + t * (uv[b] - uv[a])
            if -2 <= x < out.shape[1] + 2 and -2 <= y < out.shape[0] + 2:
                near[max(0, int(y) - 2) : int(y) + 3, max(0, int(x) - 2) : int(x) + 3] = True
    near[: round(2 * scale), : round(2 * scale)] = True
    assert not (drawn & ~near).any()


def test_edges_behind_the_camera_are_clipped():
    cam = _camera(0.0)
    # 12 m long along camera z, from z = -4 to 8: the 4 back edges are behind the camera and left out,
    # the 4 long ones end at the near plane, the 4 front ones are whole
    long_box = {"center": [0.0, 0.6, 2.0], "dimensions": [12.0, 1.8, 1.5], "yaw": math.pi / 2}
    segments = np.array(box3d_segments(long_box, cam))
    assert segments.shape == (8, 2, 2) and np.isfinite(segments).all()
    k = np.reshape(cam["intrinsics"], (3, 3))
    front = [s for s in segments if np.abs(s - k[:2, 2]).max() < 100]
    assert len(front) == 4
    behind = {"center": [0.0, 0.6, -5.0], "dimensions": [4.0, 1.8, 1.5], "yaw": 0.0}
    assert box3d_segments(behind, cam) == []
    # no camera (a COCO folder alone): the 2D labels only, no wireframe
    box = Box3D(np.array([0.5, 0.6, 9.0]), np.array([4.0, 1.8, 1.5]), 0.4)
    out = np.asarray(draw_labels(np.zeros((H, W, 3), np.uint8), [_annotation(box)]))
    assert (out != 0).any(axis=2).sum() <= 4
