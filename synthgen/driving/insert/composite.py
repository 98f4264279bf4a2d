"""The ``mesh3d_insert`` renderer: the actors of a ``driving_insert`` spec drawn by the mesh3d
renderer through the frame's camera, then laid into the frame.

Occlusion, pixel by pixel: a labelled real object stands at the depth where the pixel's ray meets
its 3D box (the nearest corner's depth for the rest of its 2D box; with no 3D box, the depth of
its 2D box's foot on the ground, over the whole box), inside its 2D box only (the box of pixels
KITTI's reader gives it). An actor's pixel is kept where it is nearer than every real object there
(``real_depth``); the actors' occlusion is then counted against their pixels drawn alone, as in a
full render. The ``insert_real`` annotator takes the real objects' pixels that a kept actor pixel
nearer than them covers (``covered``).

Look: the key and fill lights come from the frame (``match.lights_for``); the edges are
anti-aliased by a soft matte (the hard mask blurred to ~1 px, with the actors' colours spread
outward under it); the actors get the blur, among ``match.BLUR_SIGMAS``, that gives them the
frame's blur effect around them, the frame's noise level, and, in a JPEG frame, a JPEG pass at its
quality over the 16x16 blocks they touch (the rest of the frame keeps its own bytes' pixels). A
soft contact shadow (the actor's footprint, enlarged and blurred) darkens the ground under it,
where no real object nearer hides it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from synthgen.driving import render as mesh3d
from synthgen.driving.insert.frames import Frame, RealObject, load_pixels
from synthgen.driving.insert.ground import Ground
from synthgen.driving.insert.match import blur_like
from synthgen.driving.insert.scene import FrameItem, world_to_frame
from synthgen.driving.objects import SceneObject
from synthgen.render.base import RendererKind
from synthgen.types import Layers, SceneSpec

JPEG_BLOCK = 16  # a 4:2:0 JPEG's coding unit
WINDOW_MARGIN = 16  # pixels around the actors that their soft edge and blur may reach
LUMA = np.array([0.299, 0.587, 0.114], np.float32)
SHADOW_GROWTH = 1.25  # the shadow's footprint against the 3D box's


def frame_item(spec: SceneSpec) -> FrameItem:
    return next(i for i in spec.items if isinstance(i, FrameItem))


def box_pixels(o: RealObject, width: int, height: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the pixels of a real object's 2D box, as KITTI's reader rasterises it."""
    x0, y0, x1, y1 = np.clip(np.rint(o.kitti.bbox), 0, (width, height, width, height)).astype(int).tolist()
    return x0, y0, x1, y1


def object_depth(o: RealObject, frame: Frame, ground: Ground) -> tuple[tuple[int, int, int, int], np.ndarray] | None:
    """A real object's box of pixels and the camera z (metres) it stands at in each, or None for an
    object that hides nothing (``DontCare``, an empty box, one behind the camera)."""
    width, height = frame.entry.width, frame.entry.height
    if o.kitti.type == "DontCare":
        return None
    x0, y0, x1, y1 = box_pixels(o, width, height)
    if x1 <= x0 or y1 <= y0:
        return None
    cam = frame.camera
    depth_dir = cam.rotation[2]  # camera z of a frame point p is depth_dir . p
    if o.box3d is None:
        foot = cam.rays(np.array([(x0 + x1) / 2]), np.array([float(y1)]))[0]
        # the foot's ray meets the ground: (d_y - a d_x - b d_z) t = c
        denom = foot[1] - ground.a * foot[0] - ground.b * foot[2]
        if denom <= 1e-9:
            return None
        z = float(depth_dir @ (foot * ground.c / denom))
        return (x0, y0, x1, y1), np.full((y1 - y0, x1 - x0), z, np.float32)
    b = o.box3d
    corners = b.corners()
    nearest = float(min(corners @ depth_dir))
    if nearest <= 0:
        return None
    u, v = np.meshgrid(np.arange(x0, x1) + 0.5, np.arange(y0, y1) + 0.5)
    d = cam.rays(u.ravel(), v.ravel())
    c, s = np.cos(b.yaw), np.sin(b.yaw)
    # into the box's frame (Box3D.corners turns local (x, z) by [[c, s], [-s, c]]; this is the inverse)
    def local(p):
        return np.stack([c * p[..., 0] - s * p[..., 2], p[..., 1], s * p[..., 0] + c * p[..., 2]], axis=-1)

    origin = local(-np.asarray(b.center, np.float64))
    dl = local(d)
    half = np.array([b.dimensions[0], b.dimensions[2], b.dimensions[1]]) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (-half - origin) / dl
        t2 = (half - origin) / dl
    t_near = np.nanmax(np.minimum(t1, t2), axis=1)
    t_far = np.nanmin(np.maximum(t1, t2), axis=1)
    hit = (t_near <= t_far) & (t_far > 0)
    z = np.where(hit, np.maximum(t_near, 0) * (d @ depth_dir), nearest)
    return (x0, y0, x1, y1), z.reshape(y1 - y0, x1 - x0).astype(np.float32)


def real_depth(frame: Frame, ground: Ground) -> np.ndarray:
    """(H, W) float32 camera z of the nearest real labelled object at each pixel, inf where none."""
    out = np.full((frame.entry.height, frame.entry.width), np.inf, np.float32)
    for o in frame.objects:
        found = object_depth(o, frame, ground)
        if found is not None:
            (x0, y0, x1, y1), z = found
            np.minimum(out[y0:y1, x0:x1], z, out=out[y0:y1, x0:x1])
    return out


def covered(o: RealObject, frame: Frame, ground: Ground, actor_depth: np.ndarray) -> np.ndarray | None:
    """(H, W) bool: the pixels of a real object's box that a kept actor pixel nearer than it covers,
    or None where it covers none (``actor_depth``: the kept actors' camera z, inf elsewhere)."""
    found = object_depth(o, frame, ground)
    if found is None:
        return None
    (x0, y0, x1, y1), z = found
    hit = actor_depth[y0:y1, x0:x1] < z
    if not hit.any():
        return None
    out = np.zeros(actor_depth.shape, bool)
    out[y0:y1, x0:x1] = hit
    return out


def _contact_shadow(actors: list[SceneObject], item: FrameItem, real: np.ndarray) -> np.ndarray:
    """(H, W) float32 0..1 shadow strength on the ground under the actors (before darkening), drawn
    and blurred in a window around each footprint only."""
    import cv2

    height, width = real.shape
    out = np.zeros((height, width), np.float32)
    for obj in actors:
        corners = obj.box_corners_world()[:4]
        centre = corners.mean(axis=0)
        f = world_to_frame(centre + (corners - centre) * SHADOW_GROWTH, item.ground)
        cam = f @ item.frame.camera.rotation.T
        if (cam[:, 2] <= 0.1).any():
            continue
        uv = item.frame.camera.project(f)
        extent = max(2.0, 0.15 * float(np.sqrt(max(cv2.contourArea(uv.astype(np.float32)), 1.0))))
        reach = int(np.ceil(3 * extent)) + 2
        x0, y0 = np.maximum(np.floor(uv.min(axis=0)).astype(int) - reach, 0)
        x1, y1 = np.minimum(np.ceil(uv.max(axis=0)).astype(int) + reach, (width, height))
        if x1 <= x0 or y1 <= y0:
            continue
        mask = np.zeros((y1 - y0, x1 - x0), np.float32)
        pts = np.rint((uv - 0.5 - (x0, y0)) * 16).astype(np.int32)
        cv2.fillConvexPoly(mask, cv2.convexHull(pts), 1.0, lineType=cv2.LINE_AA, shift=4)
        mask = cv2.GaussianBlur(mask, (0, 0), extent)
        mask[real[y0:y1, x0:x1] < float(cam[:, 2].min())] = 0.0  # a real object in front hides the shadow
        np.maximum(out[y0:y1, x0:x1], mask, out=out[y0:y1, x0:x1])
    return out


def _window(mask: np.ndarray, margin: int) -> tuple[slice, slice] | None:
    """Rows and columns around the True pixels of ``mask``, ``margin`` px wider, on the JPEG block grid."""
    ys, xs = np.nonzero(mask)
    if not len(ys):
        return None
    height, width = mask.shape
    y0, x0 = (max(int(v) - margin, 0) // JPEG_BLOCK * JPEG_BLOCK for v in (ys.min(), xs.min()))
    y1, x1 = min(int(ys.max()) + 1 + margin, height), min(int(xs.max()) + 1 + margin, width)
    return slice(y0, y1), slice(x0, x1)


def _matte(visible: np.ndarray, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A soft matte (H, W) float32 of a hard mask, and the colours (H, W, 3) float32 under it: the
    rendered ones inside, spread from the nearest inside pixels in the band outside."""
    import cv2

    hard = visible.astype(np.float32)
    alpha = cv2.GaussianBlur(hard, (3, 3), 0.6)
    weight = cv2.GaussianBlur(hard, (5, 5), 1.0)
    spread = cv2.GaussianBlur(rgb.astype(np.float32) * hard[..., None], (5, 5), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = spread / weight[..., None]
    colors = np.where(visible[..., None], rgb.astype(np.float32), np.nan_to_num(spread))
    return alpha, colors


def _jpeg_blocks(composite: np.ndarray, touched: np.ndarray, quality: int) -> np.ndarray:
    """The composite with the 16x16 blocks that ``touched`` reaches passed through JPEG at
    ``quality`` (a crop on the block grid is encoded, so its blocks are the frame's)."""
    from synthgen.image_codec import encode_jpeg
    from synthgen.lazy import decode_rgb

    window = _window(touched, 0)
    if window is None:
        return composite
    rows, cols = window
    crop = composite[rows, cols]
    h, w = touched[rows, cols].shape
    nb_r, nb_c = -(-h // JPEG_BLOCK), -(-w // JPEG_BLOCK)
    padded = np.zeros((nb_r * JPEG_BLOCK, nb_c * JPEG_BLOCK), bool)
    padded[:h, :w] = touched[rows, cols]
    blocks = padded.reshape(nb_r, JPEG_BLOCK, nb_c, JPEG_BLOCK).any(axis=(1, 3))
    keep = np.repeat(np.repeat(blocks, JPEG_BLOCK, axis=0), JPEG_BLOCK, axis=1)[:h, :w]
    recoded = decode_rgb(encode_jpeg(np.ascontiguousarray(crop), quality), "the JPEG pass")
    out = composite.copy()
    out[rows, cols] = np.where(keep[..., None], recoded, crop)
    return out


def render_layers(spec: SceneSpec, settings, resource) -> Layers:
    """Render a driving_insert spec into its frame (see the module doc).

    Returns:
        Layers: rgb (H, W, 3) uint8 the frame with the actors; instance_id (H, W) int32 the actors'
        kept pixels (1..N in item order), 0 elsewhere; depth (H, W) float32 the actors' camera z,
        inf elsewhere (the frame's own depth is not known); semantic_id (H, W) int32 Cityscapes ids
        of the actors, 0 (unlabelled) elsewhere; geometry per actor as the mesh3d renderer gives it.
    """
    import cv2

    item = frame_item(spec)
    frame = item.frame
    width, height = spec.width, spec.height
    frame_rgb = load_pixels(frame.path, width, height)
    actors = [o for o in spec.items if isinstance(o, SceneObject)]
    real = real_depth(frame, item.ground)
    if not actors:
        empty = np.zeros((height, width), np.int32)
        return Layers(frame_rgb, empty, {}, np.full((height, width), np.inf, np.float32), empty.copy())
    drawn = mesh3d.render_layers(replace(spec, items=tuple(i for i in spec.items if i is not item)), settings, resource)
    visible = (drawn.instance_id > 0) & (drawn.depth < real)
    instance_id = np.where(visible, drawn.instance_id, 0).astype(np.int32)
    depth = np.where(visible, drawn.depth, np.inf).astype(np.float32)
    semantic = np.where(visible, drawn.semantic_id, 0).astype(np.int32)

    out = frame_rgb.astype(np.float32)
    touched = np.zeros((height, width), bool)
    if item.shadow > 0:
        shade = _contact_shadow(actors, item, real)
        out *= (1.0 - item.shadow * shade)[..., None]
        touched |= shade > 1e-3
    window = _window(visible, WINDOW_MARGIN)
    if window is not None:  # the actors' pixels and their soft edge, worked on in a window around them
        rows, cols = window
        vis = visible[rows, cols]
        alpha, colors = _matte(vis, drawn.rgb[rows, cols])
        blur_on, noise_on, _ = item.match
        if blur_on:
            luma = frame_rgb[rows, cols].astype(np.float32) @ LUMA / 255
            from skimage.measure import blur_effect

            sigma = 0.0
            if min(luma.shape) >= 8:
                sigma = blur_like(np.where(vis, colors @ LUMA / 255, luma), float(blur_effect(luma)))
            if sigma > 0:
                colors = cv2.GaussianBlur(colors, (0, 0), sigma)
                alpha = cv2.GaussianBlur(alpha, (0, 0), sigma)
        # the soft edge stops at a nearer real object
        alpha = np.where(~vis & (real[rows, cols] < _near(depth[rows, cols])), 0, alpha)
        if noise_on and item.look.noise_sigma > 0.05:
            noise = np.random.default_rng(item.noise_seed).normal(0.0, item.look.noise_sigma, colors.shape)
            colors = colors + noise.astype(np.float32)
        out[rows, cols] = out[rows, cols] * (1 - alpha[..., None]) + colors * alpha[..., None]
        touched[rows, cols] |= alpha > 0
    composite = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    if item.match[2] and item.look.jpeg_quality is not None:
        composite = _jpeg_blocks(composite, touched, item.look.jpeg_quality)
    geometry = {}
    for k, geo in drawn.geometry.items():
        if geo.keypoints is not None:  # a joint seen in the actors' render may be behind a real object
            kp = geo.keypoints.copy()
            for row in kp:
                if row[2] == 2 and instance_id[int(row[1]), int(row[0])] != k:
                    row[2] = 1
            geo = replace(geo, keypoints=kp)
        geometry[k] = geo
    return Layers(composite, instance_id, geometry, depth, semantic)


def _near(depth: np.ndarray) -> np.ndarray:
    """The nearest kept actor depth around each pixel (3x3), for the matte's outer band."""
    import cv2

    finite = np.where(np.isfinite(depth), depth, 1e9).astype(np.float32)
    return cv2.erode(finite, np.ones((3, 3), np.uint8))


# the mesh3d renderer's params (znear, zfar, normals) and worker resource (one OffscreenRenderer)
RENDERER = RendererKind(
    render_layers, mesh3d.Mesh3DSettings, mesh3d.make_resource, fork_safe=False,
    check_environment=mesh3d.check_can_start,
)  # fmt: skip
