"""2D/3D labels of an object from its geometry and the camera: 3D box in rectified camera
coordinates (KITTI convention), amodal box (the projected 3D box), the pixels it covers drawn alone (in the
image and on an unbounded canvas), and its COCO keypoints with visibility from the depth test.

The renderer counts an object's pixels drawn alone with OpenGL itself (exact occlusion); the
silhouettes here give the share of an object beyond the image edge (truncation): its triangles,
clipped at the near plane, rasterised with OpenCV on a canvas reaching CANVAS_REACH image sizes
past each edge, at SUPERSAMPLE x the resolution (odd, so that a sample sits on each pixel centre)
and read at the pixel centres, OpenGL's rule; the samples on the outline, which OpenCV fills and
OpenGL does not, are peeled off first (within ~2 % of OpenGL's count on a 150 px pedestrian).
"""

from __future__ import annotations

import math

import numpy as np

from synthgen.driving.objects import SceneObject
from synthgen.types import Box3D, Camera

SUPERSAMPLE = 9  # odd: samples s // 2 + s * j sit on the pixel centres
CANVAS_REACH = 2  # the unbounded canvas reaches this many image sizes beyond each edge
MAX_CANVAS_SAMPLES = 24_000_000


def to_camera(camera: Camera, points_world: np.ndarray) -> np.ndarray:
    """(N, 3) world points -> (N, 3) camera coordinates."""
    e = np.asarray(camera.extrinsics, np.float64)
    return np.asarray(points_world, np.float64) @ e[:3, :3].T + e[:3, 3]


def box3d(obj: SceneObject, camera: Camera) -> Box3D:
    """The object's 3D box in rectified camera coordinates (``Camera.rectification``, KITTI's frame):
    centre, (length, width, height), yaw about rectified y; exact whatever the camera's pitch."""
    length, width, height = obj.dimensions
    rect = camera.rectification()
    center_world = np.asarray(obj.position, np.float64) + np.array([0.0, 0.0, height / 2])
    center = rect @ to_camera(camera, center_world[None])[0]
    heading = np.array([math.cos(obj.heading), math.sin(obj.heading), 0.0])
    h = rect @ (np.asarray(camera.extrinsics, np.float64)[:3, :3] @ heading)
    yaw = math.atan2(-h[2], h[0])
    return Box3D(center, np.array([length, width, height], np.float64), yaw)


def clip_triangles(tris: np.ndarray, znear: float) -> list[np.ndarray]:
    """Camera-frame triangles (T, 3, 3) clipped to z >= znear: a list of convex polygons (n, 3)."""
    z = tris[:, :, 2]
    front = (z >= znear).all(axis=1)
    out = list(tris[front])
    for tri in tris[~front & (z >= znear).any(axis=1)]:
        poly = []
        for i in range(3):
            a, b = tri[i], tri[(i + 1) % 3]
            if a[2] >= znear:
                poly.append(a)
            if (a[2] >= znear) != (b[2] >= znear):
                t = (znear - a[2]) / (b[2] - a[2])
                poly.append(a + t * (b - a))
        if len(poly) >= 3:
            out.append(np.array(poly))
    return out


def box_triangles(corners: np.ndarray) -> np.ndarray:
    """(12, 3, 3) triangles of a box from its 8 corners (Box3D.corners order)."""
    faces = ((0, 1, 2, 3), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7))
    tris = []
    for a, b, c, d in faces:
        tris += [corners[[a, b, c]], corners[[a, c, d]]]
    return np.array(tris)


def amodal_bbox(obj: SceneObject, camera: Camera, znear: float) -> tuple[float, float, float, float] | None:
    """(x, y, w, h) of the projected 3D box (the part in front of the near plane), unclipped by the image."""
    corners = to_camera(camera, obj.box_corners_world())
    polys = clip_triangles(box_triangles(corners), znear)
    if not polys:
        return None
    uv = camera.project(np.concatenate(polys))
    x0, y0 = uv.min(axis=0)
    x1, y1 = uv.max(axis=0)
    return (float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def silhouette_areas(triangles_world: np.ndarray, camera: Camera, znear: float) -> tuple[int, int]:
    """Pixels an object covers drawn alone: (inside the image, on an unbounded canvas).

    Args:
        triangles_world: (T, 3, 3) the object's triangles, world coordinates.
        camera: the camera.
        znear: the near clipping plane, metres.
    """
    import cv2

    tris = to_camera(camera, triangles_world.reshape(-1, 3)).reshape(-1, 3, 3)
    polys = clip_triangles(tris, znear)
    if not polys:
        return 0, 0
    width, height = camera.width, camera.height
    projected = [camera.project(p) for p in polys]
    allpts = np.concatenate(projected)
    lo = np.maximum(np.floor(allpts.min(axis=0)), [-CANVAS_REACH * width, -CANVAS_REACH * height]).astype(int)
    hi = np.minimum(np.ceil(allpts.max(axis=0)), [(CANVAS_REACH + 1) * width, (CANVAS_REACH + 1) * height]).astype(int)
    if (hi <= lo).any():
        return 0, 0
    s = SUPERSAMPLE
    while s > 1 and (hi - lo).prod() * s * s > MAX_CANVAS_SAMPLES:
        s -= 2
    size = (hi - lo) * s
    canvas = np.zeros((int(size[1]), int(size[0])), np.uint8)
    shift = 4
    for uv in projected:
        # sample (i, j) of the canvas sits at image point lo + (j + 0.5) / s; cv2's pixel j is at j
        pts = np.rint(((uv - lo) * s - 0.5) * (1 << shift)).astype(np.int32)
        cv2.fillConvexPoly(canvas, pts, 1, lineType=cv2.LINE_8, shift=shift)
    if s > 1:  # cv2 fills the samples its outline touches too: peel them off (see the module doc)
        canvas = cv2.erode(canvas, np.ones((3, 3), np.uint8))
    # the canvas sample at each image pixel's centre
    centres = canvas[s // 2 :: s, s // 2 :: s]
    total = int(np.count_nonzero(centres))
    rows = slice(max(0, -lo[1]), max(0, min(height, hi[1]) - lo[1]))
    cols = slice(max(0, -lo[0]), max(0, min(width, hi[0]) - lo[0]))
    inside = centres[rows, cols]
    return int(np.count_nonzero(inside)), total


def keypoints(
    obj: SceneObject, camera: Camera, znear: float, depth: np.ndarray, instance_id: np.ndarray, k: int
) -> np.ndarray | None:
    """(17, 3) float32 COCO keypoints of a person: x, y and visibility 2 (seen: the pixel belongs to
    instance ``k`` and its depth is within the limb radius in front of the joint), 1 (in the image,
    hidden) or 0 (outside the image or behind the camera, x = y = 0)."""
    joints = obj.joints_world()
    if joints is None:
        return None
    cam = to_camera(camera, joints)
    out = np.zeros((len(cam), 3), np.float32)
    radius = np.asarray(obj.joint_radius, np.float64)
    for i, p in enumerate(cam):
        if p[2] < znear:
            continue
        u, v = camera.project(p[None])[0]
        if not (0 <= u < camera.width and 0 <= v < camera.height):
            continue
        col, row = int(u), int(v)
        seen = instance_id[row, col] == k and depth[row, col] >= p[2] - radius[i] - 0.03
        out[i] = (u, v, 2 if seen else 1)
    return out
