"""Lens distortion (OpenCV's k1, k2, p1, p2, k3 model) of the driving camera: the image and every label.

The scene is drawn by a pinhole camera of the same focal length on a canvas wide enough to hold every
ray the distorting lens sees (``Lens.wide``), then each layer is resampled onto the output image:
``rgb`` bilinearly, the id layers, depth and normals by their nearest pixel (no blended ids, no depth
between two surfaces). A 3D point lands where OpenCV's ``projectPoints(K, dist)`` puts it: the
keypoints go through the same distortion, the amodal box is that of the distorted 3D box's edges, and
the boxes and masks are read off the resampled id layer. Occlusion and truncation keep their ratios:
the pixels an object covers drawn alone are rescaled by the local change of pixel area.

The labels' camera is the pinhole ``K`` of the output image and the coefficients are in the scene
params (``sensor.distortion``): ``cv2.projectPoints(X, rvec, tvec, K, dist)`` gives a point's pixel in
the labels' convention (``Lens.project``). KITTI's calib (a pinhole P2) cannot carry a distortion: a
run with one refuses the kitti writer at load.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from synthgen.errors import ConfigError
from synthgen.types import Box3D, Camera, Layers, SceneSpec

MAX_CANVAS = 4096  # pixels a side of the wide render
MAX_ITERATIONS = 40


def distort_normalized(xy: np.ndarray, dist: np.ndarray, r_limit: float = math.inf) -> np.ndarray:
    """(N, 2) undistorted normalized coordinates -> distorted ones (OpenCV's model).

    Beyond ``r_limit`` (the largest radius the image sees) the point is distorted as the one at
    ``r_limit`` on its ray and moved out in proportion: the polynomial turns back far outside the
    image, which would fold far points into it.
    """
    k1, k2, p1, p2, k3 = (float(v) for v in dist)
    xy = np.asarray(xy, np.float64).reshape(-1, 2)
    r = np.hypot(xy[:, 0], xy[:, 1])
    far = r > r_limit
    scale = np.where(far, r / np.where(far, r_limit, 1.0), 1.0)
    x, y = xy[:, 0] / scale, xy[:, 1] / scale
    r2 = x * x + y * y
    radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2
    xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
    yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
    return np.stack([xd * scale, yd * scale], axis=1)


def undistort_normalized(xy_d: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """(N, 2) distorted normalized coordinates -> undistorted ones, by Newton's method on the model
    (converges to ~1e-12 where the lens does not fold; ``Lens`` checks that at load)."""
    xy_d = np.asarray(xy_d, np.float64).reshape(-1, 2)
    xy = xy_d.copy()
    eps = 1e-7
    for _ in range(MAX_ITERATIONS):
        f = distort_normalized(xy, dist) - xy_d
        jx = (distort_normalized(xy + [eps, 0], dist) - distort_normalized(xy - [eps, 0], dist)) / (2 * eps)
        jy = (distort_normalized(xy + [0, eps], dist) - distort_normalized(xy - [0, eps], dist)) / (2 * eps)
        det = jx[:, 0] * jy[:, 1] - jy[:, 0] * jx[:, 1]
        det = np.where(np.abs(det) < 1e-12, 1e-12, det)
        step_x = (jy[:, 1] * f[:, 0] - jy[:, 0] * f[:, 1]) / det
        step_y = (-jx[:, 1] * f[:, 0] + jx[:, 0] * f[:, 1]) / det
        xy -= np.stack([step_x, step_y], axis=1)
        if np.abs(f).max() < 1e-13:
            break
    return xy


@dataclass(frozen=True, eq=False)
class Lens:
    """A distorting lens in front of the driving camera; a spec item the renderer draws through.

    Attributes:
        camera: the output camera (pinhole ``K`` of the distorted image, its extrinsics and size).
        distortion: (5,) float64 k1, k2, p1, p2, k3.
        wide: the pinhole camera the scene is drawn with (same focal length and pose, a canvas
            that holds every ray of the output image).
        map_x, map_y: (H, W) float32 where each output pixel centre samples the wide image
            (OpenCV's remap convention: pixel centres at integers).
        coverage: (H_wide, W_wide) bool, the wide pixels some output pixel samples.
        r_limit: the largest undistorted normalized radius the output image sees.
    """

    camera: Camera
    distortion: np.ndarray
    wide: Camera
    map_x: np.ndarray
    map_y: np.ndarray
    coverage: np.ndarray
    r_limit: float

    def project(self, points_camera: np.ndarray) -> np.ndarray:
        """(N, 3) camera-frame points (z > 0) -> (N, 2) distorted pixel coordinates, corner
        convention (pixel (0, 0) covers [0, 1)); ``cv2.projectPoints`` with ``K`` and the
        distortion gives the same numbers (both read the principal point from ``K``)."""
        p = np.asarray(points_camera, np.float64).reshape(-1, 3)
        return self.to_pixels(distort_normalized(p[:, :2] / p[:, 2:3], self.distortion, self.r_limit))

    def to_pixels(self, xy_d: np.ndarray) -> np.ndarray:
        k = self.camera.intrinsics
        return np.stack([k[0, 0] * xy_d[:, 0] + k[0, 2], k[1, 1] * xy_d[:, 1] + k[1, 2]], axis=1)

    def wide_to_output(self, uv_wide: np.ndarray) -> np.ndarray:
        """(N, 2) wide-image pixel coordinates -> output pixel coordinates (corner convention)."""
        k = self.wide.intrinsics
        xy = np.stack([(uv_wide[:, 0] - k[0, 2]) / k[0, 0], (uv_wide[:, 1] - k[1, 2]) / k[1, 1]], axis=1)
        return self.to_pixels(distort_normalized(xy, self.distortion, self.r_limit))

    def area_scale(self, uv_wide: np.ndarray) -> np.ndarray:
        """(N,) output pixels per wide pixel at each wide-image point (the map's Jacobian determinant)."""
        eps = 0.5
        dx = (self.wide_to_output(uv_wide + [eps, 0]) - self.wide_to_output(uv_wide - [eps, 0])) / (2 * eps)
        dy = (self.wide_to_output(uv_wide + [0, eps]) - self.wide_to_output(uv_wide - [0, eps])) / (2 * eps)
        return np.abs(dx[:, 0] * dy[:, 1] - dx[:, 1] * dy[:, 0])


def make_lens(camera: Camera, distortion, key: str) -> Lens | None:
    """The Lens of a camera and its distortion coefficients (None when all are 0); ConfigError at
    ``key`` where the lens folds the image over itself or needs too wide a canvas."""
    dist = np.asarray(distortion, np.float64)
    if not dist.any():
        return None
    k = camera.intrinsics
    width, height = camera.width, camera.height
    cols, rows = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    xy_d = np.stack([(cols.ravel() - k[0, 2]) / k[0, 0], (rows.ravel() - k[1, 2]) / k[1, 1]], axis=1)
    xy_u = undistort_normalized(xy_d, dist)
    r_image = float(np.hypot(xy_u[:, 0], xy_u[:, 1]).max())
    # the radial polynomial must grow over the whole image, or two rays land on one pixel
    r = np.linspace(0, r_image * 1.02, 2048)
    k1, k2, _, _, k3 = dist
    slope = 1 + 3 * k1 * r**2 + 5 * k2 * r**4 + 7 * k3 * r**6
    residual = np.abs(distort_normalized(xy_u, dist) - xy_d).max()
    if (slope <= 0.05).any() or not np.isfinite(residual) or residual > 1e-9:
        where = float(r[np.argmax(slope <= 0.05)]) if (slope <= 0.05).any() else r_image
        raise ConfigError(
            key,
            f"{list(map(float, dist))} folds the image over itself (the lens turns back at {where:.2f} focal lengths)",
        )
    half_w = math.ceil(float(np.abs(xy_u[:, 0]).max()) * k[0, 0]) + 2
    half_h = math.ceil(float(np.abs(xy_u[:, 1]).max()) * k[1, 1]) + 2
    if 2 * max(half_w, half_h) > MAX_CANVAS:
        raise ConfigError(
            key, f"{list(map(float, dist))} needs a {2 * half_w}x{2 * half_h} render, over {MAX_CANVAS} px a side"
        )
    wide_k = np.array([[k[0, 0], 0, half_w], [0, k[1, 1], half_h], [0, 0, 1]], np.float64)
    wide = Camera(wide_k, camera.extrinsics, 2 * half_w, 2 * half_h)
    map_x = (xy_u[:, 0] * k[0, 0] + half_w - 0.5).reshape(height, width).astype(np.float32)
    map_y = (xy_u[:, 1] * k[1, 1] + half_h - 0.5).reshape(height, width).astype(np.float32)
    coverage = _seen_region(k, dist, width, height, wide_k, (2 * half_h, 2 * half_w))
    for array in (map_x, map_y, coverage):
        array.flags.writeable = False
    return Lens(camera, dist, wide, map_x, map_y, coverage, r_image)


def _seen_region(k: np.ndarray, dist: np.ndarray, width: int, height: int, wide_k: np.ndarray, shape) -> np.ndarray:
    """(h, w) bool: the wide pixels whose centres lie inside the output image's outline (its four
    edges, densely sampled, undistorted onto the wide canvas)."""
    import cv2

    t = np.linspace(0, 1, 257)[:-1]
    outline = np.concatenate(
        [np.stack([t * width, 0 * t], 1), np.stack([0 * t + width, t * height], 1),
         np.stack([(1 - t) * width, 0 * t + height], 1), np.stack([0 * t, (1 - t) * height], 1)]
    )  # fmt: skip
    xy = undistort_normalized((outline - k[:2, 2]) / [k[0, 0], k[1, 1]], dist)
    uv = xy * [wide_k[0, 0], wide_k[1, 1]] + wide_k[:2, 2]
    region = np.zeros(shape, np.uint8)
    shift = 4  # wide pixel (i, j)'s centre is at (j + 0.5, i + 0.5): cv2's pixel j sits at j
    cv2.fillPoly(region, [np.rint((uv - 0.5) * (1 << shift)).astype(np.int32)], 1, cv2.LINE_8, shift)
    return region.astype(bool)


def lens_of(spec: SceneSpec) -> Lens | None:
    return next((i for i in spec.items if isinstance(i, Lens)), None)


def _remap(layer: np.ndarray, lens: Lens, linear: bool) -> np.ndarray:
    import cv2

    mode = cv2.INTER_LINEAR if linear else cv2.INTER_NEAREST
    if layer.dtype == np.int32:  # remap takes no int32: ids < 2**24 are exact in float32
        out = cv2.remap(layer.astype(np.float32), lens.map_x, lens.map_y, mode, borderMode=cv2.BORDER_REPLICATE)
        return out.astype(np.int32)
    return cv2.remap(layer, lens.map_x, lens.map_y, mode, borderMode=cv2.BORDER_REPLICATE)


def distorted_amodal_bbox(box: Box3D, lens: Lens, znear: float) -> tuple[float, float, float, float] | None:
    """(x, y, w, h) of the distorted 3D box: its 12 edges sampled densely (a straight edge bends)
    and the part in front of the near plane projected through the lens."""
    corners = box.corners() @ lens.camera.rectification()  # rectified -> camera frame
    edges = ((0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4), (0, 4), (1, 5), (2, 6), (3, 7))
    t = np.linspace(0.0, 1.0, 65)[:, None]
    points = np.concatenate([corners[a] + t * (corners[b] - corners[a]) for a, b in edges])
    points = points[points[:, 2] >= znear]
    if not len(points):
        return None
    uv = lens.project(points)
    x0, y0 = uv.min(axis=0)
    x1, y1 = uv.max(axis=0)
    return (float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def distort_layers(layers: Layers, lens: Lens, znear: float) -> Layers:
    """The wide pinhole render resampled through the lens onto the output image, labels and all.

    Args:
        layers: the render of ``lens.wide``: rgb (h, w, 3) uint8, instance_id (h, w) int32, depth,
            semantic_id, normals (optional), geometry per instance id.
        lens: the lens.
        znear: the renderer's near plane, metres.

    Returns:
        Layers of the output size (H, W); the geometry of instances the output does not see is dropped.
    """
    width, height = lens.camera.width, lens.camera.height
    ids_wide = layers.instance_id
    ids = _remap(ids_wide, lens, linear=False)
    n = int(max(ids_wide.max(initial=0), max(layers.geometry, default=0))) + 1
    seen_wide = np.bincount(ids_wide.ravel(), minlength=n)
    seen_covered = np.bincount(ids_wide[lens.coverage].ravel(), minlength=n)
    seen_out = np.bincount(ids.ravel(), minlength=n)
    geometry = {}
    for k, geo in layers.geometry.items():
        amodal = distorted_amodal_bbox(geo.box3d, lens, znear) if geo.box3d is not None else None
        if amodal is not None and not (amodal[0] < width and amodal[1] < height and amodal[0] + amodal[2] > 0
                                       and amodal[1] + amodal[3] > 0):  # fmt: skip
            continue
        moved = {"amodal_bbox": amodal if geo.box3d is not None else geo.amodal_bbox}
        if geo.area_alone is not None:
            if seen_out[k] > 0:
                inside, scale = seen_covered[k] / seen_wide[k], seen_out[k] / seen_covered[k]
            else:  # hidden (or outside): the share of its amodal box the output sees, the area change there
                box = geo.amodal_bbox or (0, 0, 0, 0)
                centre = np.array([[box[0] + box[2] / 2, box[1] + box[3] / 2]])
                uv = lens.wide_to_output(centre)[0]
                inside = float(0 <= uv[0] < width and 0 <= uv[1] < height)
                scale = float(lens.area_scale(centre)[0])
            alone = max(round(geo.area_alone * inside * scale), int(seen_out[k]))
            if alone == 0:
                continue  # the wide canvas saw it, the output image does not
            total = max(round((geo.area_alone_total or geo.area_alone) * scale), alone)
            moved.update(area_alone=alone, area_alone_total=total)
        if geo.keypoints is not None:
            kp = np.array(geo.keypoints, np.float32)
            labelled = kp[:, 2] > 0
            if labelled.any():
                kp[labelled, :2] = lens.wide_to_output(kp[labelled, :2].astype(np.float64))
            outside = (kp[:, 0] < 0) | (kp[:, 0] >= width) | (kp[:, 1] < 0) | (kp[:, 1] >= height)
            kp[outside | ~labelled] = 0
            moved["keypoints"] = kp
        geometry[k] = replace(geo, **moved)
    return Layers(
        rgb=_remap(layers.rgb, lens, linear=True),
        instance_id=ids,
        geometry=geometry,
        depth=None if layers.depth is None else _remap(layers.depth, lens, linear=False),
        semantic_id=None if layers.semantic_id is None else _remap(layers.semantic_id, lens, linear=False),
        normals=None if layers.normals is None else _remap(layers.normals, lens, linear=False),
    )


def render_through_lens(render):
    """A mesh3d render function that draws a spec holding a Lens on its wide canvas and distorts the
    result; specs without one are drawn as they are."""

    def rendered(spec: SceneSpec, settings, resource) -> Layers:
        lens = lens_of(spec)
        if lens is None:
            return render(spec, settings, resource)
        wide = replace(spec, width=lens.wide.width, height=lens.wide.height, camera=lens.wide)
        return distort_layers(render(wide, settings, resource), lens, settings.znear)

    rendered.__doc__ = render.__doc__
    rendered.__name__ = getattr(render, "__name__", "render")
    return rendered
