"""The ``mesh3d`` renderer: a driving SceneSpec -> Layers with pyrender, offscreen through EGL.

Two passes per sample: a lit, anti-aliased RGB pass, and a flat SEG pass (multisampling off, so
every pixel holds one object's colour) from which depth, instance ids and semantic ids are read.
One OffscreenRenderer per worker (``make_resource``) is reused for every sample; the pyrender
Scene is rebuilt per sample (scripts/bench_render.py measures the cost against bare pyrender).
"""

from __future__ import annotations

import functools
import math
import os

import numpy as np

from synthgen.config.params import Params, custom, param, within
from synthgen.driving import labels as geometry
from synthgen.driving.categories import SEMANTIC_ID, SKY
from synthgen.driving import atmosphere
from synthgen.driving.lens import render_through_lens
from synthgen.driving.lights import Environment, Light
from synthgen.driving.materials import MATERIALS
from synthgen.driving.materials import material as material_named
from synthgen.driving.materials import texture
from synthgen.driving.meshes import flat_arrays, material_groups, object_mesh, triangles_world
from synthgen.driving.objects import SceneObject
from synthgen.driving.pyrender_passes import check_internals, render_passes, seg_ids_in
from synthgen.errors import ConfigError, InputError
from synthgen.render.base import RendererKind
from synthgen.types import InstanceGeometry, Layers, SceneSpec

# OpenCV camera axes (x right, y down, z forward) -> OpenGL's (x right, y up, z backward)
CV_TO_GL = np.diag([1.0, -1.0, -1.0, 1.0])


SHADOW_MAP_SIZES = (512, 1024, 2048, 4096)


def _shadow_map_size(value, key: str) -> int:
    if isinstance(value, bool) or value not in SHADOW_MAP_SIZES:
        raise ConfigError(key, f"must be one of {', '.join(map(str, SHADOW_MAP_SIZES))}, got {value!r}")
    return int(value)


class Mesh3DSettings(Params):
    """``render.params`` of the ``mesh3d`` renderer."""

    znear: float = param(0.3, within(0.05, 5), "near clipping plane, metres")
    zfar: float = param(500.0, None, "far clipping plane, metres (> znear)")
    normals: bool = param(
        False, None, "also produce the surface-normal layer (from the depth layer's central differences: "
        "exact on flat faces, blended across the edges between objects)"
    )
    textures: bool = param(
        True, None, "procedural textures and per-material roughness, metalness and glow (driving/materials.py); "
        "false: every surface a flat matte colour"
    )
    shadows: bool = param(True, None, "the sun casts shadows (a directional shadow map), by day and at dusk")
    shadow_extent: float = param(80.0, within(10, 400), "metres of road ahead the sun's shadow map covers")
    shadow_map: int = param(
        1024,
        custom(lambda v, key: _shadow_map_size(v, key), int, "512 | 1024 | 2048 | 4096"),
        "texels along each side of the sun's shadow map: 512, 1024, 2048 or 4096 (1024 over 80 m: 9 cm each)",
    )
    sky: bool = param(True, None, "a sky with a gradient and clouds where nothing was drawn; false: a flat colour")
    bloom: float = param(0.6, within(0, 3), "strength of the glow around bright lights at dusk and night (0: none)")
    wet: bool = param(True, None, "in rain, the road mirrors bright lights in blurred vertical streaks")

    def check(self, key: str) -> None:
        if self.zfar <= self.znear:
            raise ConfigError(f"{key}.zfar", f"must be > znear ({self.znear}), got {self.zfar}")


def import_pyrender():
    """pyrender, with PyOpenGL on EGL (headless) unless the caller chose a platform.

    Mesa's llvmpipe rasterises on one thread per worker (``LP_NUM_THREADS``), unless set: work is
    parallel by worker process, as for OpenCV and torch (``engine.context.set_thread_policies``).
    """
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    os.environ.setdefault("LP_NUM_THREADS", "1")
    try:
        import pyrender
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "the mesh3d renderer needs pyrender and trimesh: pip install 'synthgen-cv[3d]' "
            "(and Debian's libegl1 libegl-mesa0 libgl1-mesa-dri)"
        ) from exc
    return pyrender


HEADLESS_HINT = (
    "headless rendering needs EGL: apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri, "
    "with PYOPENGL_PLATFORM=egl or unset"
)


@functools.cache
def check_can_start() -> None:
    """Import pyrender and open an 8x8 offscreen context once in this process, or raise InputError
    in one line saying what is missing (a driving run with no EGL, pyrender or trimesh, or an
    unusable ``PYOPENGL_PLATFORM`` printed a traceback after writing files)."""
    platform = os.environ.get("PYOPENGL_PLATFORM", "egl")
    try:
        import trimesh  # noqa: F401

        pyrender = import_pyrender()
    except ImportError:
        raise InputError("render: mesh3d needs pyrender and trimesh: pip install 'synthgen-cv[3d]'") from None
    except Exception as exc:  # noqa: BLE001  PyOpenGL refuses an unknown platform on import
        raise InputError(
            f"render: mesh3d cannot use PYOPENGL_PLATFORM={platform} ({_first_line(exc)}); {HEADLESS_HINT}"
        ) from None
    check_internals(pyrender)
    try:
        release_renderer(pyrender.OffscreenRenderer(8, 8))
    except Exception as exc:  # noqa: BLE001  no EGL/OSMesa library, no display, no driver
        raise InputError(
            f"render: mesh3d cannot open an OpenGL context with PYOPENGL_PLATFORM={platform} ({_first_line(exc)}); "
            f"{HEADLESS_HINT}"
        ) from None


def release_renderer(renderer) -> None:
    """Free an OffscreenRenderer's GL objects and its context, leaving the process's EGL display
    initialised. pyrender's ``delete()`` also calls ``eglTerminate`` on the display, which is one per
    process: every other renderer alive in the process (a caller's, the renderer check's, a test
    helper's) then fails with EGL_BAD_DISPLAY. Other platforms are deleted as pyrender does."""
    platform = getattr(renderer, "_platform", None)
    if platform is None or getattr(platform, "_egl_display", None) is None or renderer._renderer is None:
        renderer.delete()
        return
    from OpenGL.EGL import EGL_NO_CONTEXT, EGL_NO_SURFACE, eglDestroyContext, eglMakeCurrent

    platform.make_current()
    renderer._renderer.delete()
    eglMakeCurrent(platform._egl_display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT)
    eglDestroyContext(platform._egl_display, platform._egl_context)
    platform._egl_context = None
    platform._egl_display = None  # else the platform's __del__ terminates the display after all
    renderer._renderer = None
    renderer._platform = None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:160]}" if text else type(exc).__name__


class SurfaceCache:
    """One renderer's pyrender materials, textures and sun light, made once and reused by every
    scene it draws: a texture is uploaded to the GPU once (pyrender keeps the textures of the
    meshes it drew last), and the sun keeps its shadow map. They belong to that renderer's GL
    context: a new renderer gets a new cache."""

    def __init__(self):
        self.textures: dict[str, object] = {}
        self.materials: dict[tuple, object] = {}
        self.sun = None
        self.keeper = None

    def texture_keeper(self, pyrender):
        """An invisible mesh (never drawn, in no pass) holding every material's textures, added to
        every scene: pyrender frees the textures no mesh of a scene uses and uploads them again when
        a later scene does (a 1024-texel facade and its mipmaps: ~4 MB and milliseconds each time),
        so with it each texture is uploaded once per renderer, all in its first frame."""
        if self.keeper is None:
            triangle = np.zeros((3, 3), np.float32)
            uv = np.zeros((3, 2), np.float32)
            primitives = []
            for name in sorted({t for m in MATERIALS.values() for t in (m.texture, m.emission) if t is not None}):
                holder = pyrender.MetallicRoughnessMaterial(baseColorTexture=self.texture(pyrender, name))
                primitives.append(pyrender.Primitive(positions=triangle, texcoord_0=uv, material=holder))
            self.keeper = pyrender.Mesh(primitives)
            self.keeper.is_visible = False
        return self.keeper

    def texture(self, pyrender, name: str):
        if name not in self.textures:
            self.textures[name] = pyrender.Texture(source=texture(name), source_channels="RGB")
        return self.textures[name]

    def material(self, pyrender, name: str, time_of_day: str, wet: bool, textured: bool):
        """The pyrender material of material ``name`` at a time of day, wet or dry; with ``textured``
        False, the flat matte one everything had before materials."""
        key = (name, time_of_day, wet) if textured else ("flat",)
        if key in self.materials:
            return self.materials[key]
        if not textured:
            made = pyrender.MetallicRoughnessMaterial(metallicFactor=0.0, roughnessFactor=0.8)
        else:
            m = material_named(name)
            roughness = m.wet_roughness if wet and m.wet_roughness is not None else m.roughness
            glow = math.sqrt(m.glow_at(time_of_day))  # pyrender's shader applies the factor twice
            made = pyrender.MetallicRoughnessMaterial(
                metallicFactor=m.metallic,
                roughnessFactor=roughness,
                baseColorTexture=None if m.texture is None else self.texture(pyrender, m.texture),
                emissiveFactor=[glow] * 3 if glow > 0 else None,
                emissiveTexture=None if glow == 0 or m.emission is None else self.texture(pyrender, m.emission),
            )
        self.materials[key] = made
        return made

    def sun_light(self, pyrender, color, intensity: float, shadow_map: int = 1024):
        """The one shadow-casting directional light, recoloured for this scene, with a
        ``shadow_map``-texel square shadow map."""
        if self.sun is not None and self.sun.shadow_texture.width != shadow_map:
            self.sun = None  # another size: a new light (pyrender frees the old map with the scene's)
        if self.sun is None:
            from OpenGL.GL import GL_CLAMP_TO_BORDER

            self.sun = pyrender.DirectionalLight(color=np.asarray(color), intensity=intensity)
            self.sun._generate_shadow_texture(shadow_map)
            # past the map's edge, its border (depth 1: lit), not the map repeated (pyrender's default)
            self.sun.shadow_texture.sampler.wrapS = self.sun.shadow_texture.sampler.wrapT = GL_CLAMP_TO_BORDER
        self.sun.color = np.asarray(color)
        self.sun.intensity = intensity
        return self.sun


class OffscreenResource:
    """One worker's OffscreenRenderer (rebuilt only when the image size changes) and its
    ``SurfaceCache``."""

    def __init__(self):
        self.renderer = None
        self.size: tuple[int, int] | None = None
        self.surfaces = SurfaceCache()

    def get(self, width: int, height: int):
        pyrender = import_pyrender()
        if self.size != (width, height):
            self.close()
            self.renderer = pyrender.OffscreenRenderer(width, height)
            self.size = (width, height)
        return self.renderer

    def close(self) -> None:
        if self.renderer is not None:
            release_renderer(self.renderer)
        self.renderer = None
        self.size = None
        self.surfaces = SurfaceCache()


def make_resource(settings: Mesh3DSettings) -> OffscreenResource:
    return OffscreenResource()


def light_pose(position, direction) -> np.ndarray:
    """A pose whose -z axis points along ``direction`` (pyrender's lights shine along -z)."""
    d = np.asarray(direction, np.float64)
    z = -d / np.linalg.norm(d)
    up = np.array([0.0, 0.0, 1.0]) if abs(z[2]) < 0.99 else np.array([1.0, 0.0, 0.0])
    x = np.cross(up, z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = x, y, z, position
    return pose


def split_items(spec: SceneSpec) -> tuple[list[SceneObject], list[Light], Environment]:
    objects = [i for i in spec.items if isinstance(i, SceneObject)]
    lights = [i for i in spec.items if isinstance(i, Light)]
    env = next(i for i in spec.items if isinstance(i, Environment))
    return objects, lights, env


_NODE_TYPES: dict[int, type] = {}


def ordered_node_type(pyrender) -> type:
    """A pyrender Node whose hash is its place in the scene.

    pyrender keeps nodes in sets and draws them in set order (ties of its depth sort, lights), and
    a plain Node hashes by its address: draw and light order, and so the edge pixels where two
    surfaces meet and the last bits of the shading, would change from run to run. Numbered nodes
    keep one order, so the same scene gives the same bytes.
    """
    key = id(pyrender)
    if key not in _NODE_TYPES:

        class OrderedNode(pyrender.Node):
            def __init__(self, order: int, **kwargs):
                super().__init__(**kwargs)
                self.order = order

            def __hash__(self) -> int:
                return self.order

            def __eq__(self, other) -> bool:
                return self is other

        _NODE_TYPES[key] = OrderedNode
    return _NODE_TYPES[key]


def is_wet(spec: SceneSpec) -> bool:
    """Whether the scene's road is wet (its weather is rain)."""
    return (spec.params or {}).get("weather") == "rain"


def object_primitives(pyrender, mesh, surfaces: SurfaceCache, time_of_day: str, wet: bool, textured: bool) -> list:
    """One pyrender Primitive per material of an object's mesh (its faces of that material, with
    texture coordinates where the material has a texture), or one flat one when not ``textured``."""
    if not textured:
        positions, normals, colors = flat_arrays(mesh)
        flat = surfaces.material(pyrender, "matte", time_of_day, wet, False)
        return [pyrender.Primitive(positions=positions, normals=normals, color_0=colors, material=flat)]
    out = []
    for name, faces in material_groups(mesh):
        positions, normals, colors = flat_arrays(mesh, faces)
        m = material_named(name)
        uv = None
        if m.texture is not None and mesh.face_uv is not None:
            uv = (mesh.face_uv[faces].reshape(-1, 2) / np.asarray(m.tile, np.float32)).astype(np.float32)
        made = surfaces.material(pyrender, name, time_of_day, wet, True)
        out.append(
            pyrender.Primitive(positions=positions, normals=normals, color_0=colors, texcoord_0=uv, material=made)
        )
    return out


def build_scene(
    pyrender,
    spec: SceneSpec,
    znear: float,
    zfar: float,
    meshes: list | None = None,
    surfaces: SurfaceCache | None = None,
    textured: bool = False,
    shadow_map: int = 1024,
):
    """The pyrender Scene of a spec and its SEG colours: (scene, {node: (semantic, id hi, id lo)}).

    Args:
        meshes: the objects' trimesh meshes in item order (built here when None).
        surfaces: the renderer's materials and textures (a new cache when None).
        textured: draw each object's materials (textures, roughness, glow); else one flat
            material for every surface. The SEG pass draws ids either way.
        shadow_map: texels along a side of the sun's shadow map.
    """
    objects, lights, env = split_items(spec)
    meshes = [object_mesh(o) for o in objects] if meshes is None else meshes
    surfaces = SurfaceCache() if surfaces is None else surfaces
    wet = is_wet(spec)
    for name in dict.fromkeys(n for m in meshes for n in m.materials):
        try:
            material_named(name)
        except ValueError as exc:
            raise InputError(f"render: mesh3d: {exc}") from None
    scene = pyrender.Scene(bg_color=[*(c / 255 for c in env.sky), 1.0], ambient_light=list(env.ambient))
    node_type = ordered_node_type(pyrender)
    order = iter(range(1, 1 << 30))

    def add(pose, **what):
        node = node_type(next(order), matrix=pose, **what)
        scene.add_node(node)
        return node

    seg = {}
    instance = 0
    if textured:
        add(np.eye(4), mesh=surfaces.texture_keeper(pyrender))  # no SEG colour: the SEG passes skip it
    for obj, mesh in zip(objects, meshes):
        primitives = object_primitives(pyrender, mesh, surfaces, env.time_of_day, wet, textured)
        node = add(obj.pose(), mesh=pyrender.Mesh(primitives))
        k = 0
        if obj.instance:
            instance += 1
            k = instance
        seg[node] = (SEMANTIC_ID[obj.category], k >> 8, k & 255)
    cam = spec.camera
    k = cam.intrinsics
    camera = pyrender.IntrinsicsCamera(k[0, 0], k[1, 1], k[0, 2], k[1, 2], znear=znear, zfar=zfar)
    add(np.linalg.inv(cam.extrinsics) @ CV_TO_GL, camera=camera)
    sun = next((light for light in lights if light.kind == "directional"), None)
    for light in lights:
        color = np.asarray(light.color)
        if light is sun:  # the first directional light is the sun: the one that casts shadows
            source = surfaces.sun_light(pyrender, color, light.intensity, shadow_map)
        elif light.kind == "directional":
            source = pyrender.DirectionalLight(color=color, intensity=light.intensity)
        elif light.kind == "point":
            source = pyrender.PointLight(color=color, intensity=light.intensity, range=light.range)
        else:
            source = pyrender.SpotLight(
                color=color, intensity=light.intensity, range=light.range,
                innerConeAngle=light.cone[0], outerConeAngle=light.cone[1],
            )  # fmt: skip
        add(light_pose(light.position, light.direction), light=source)
    return scene, seg


def sun_view(pyrender, scene, light_node, extent: float) -> tuple[np.ndarray, np.ndarray]:
    """(V, P) of a directional light's shadow map: an orthographic box along the light that covers
    ``extent`` metres of ground ahead of the camera (and a little beside and behind it)."""
    pose = scene.get_pose(light_node)
    direction = -pose[:3, 2]
    camera_pose = scene.get_pose(scene.main_camera_node)
    forward = -camera_pose[:3, 2].copy()
    forward[2] = 0.0
    norm = np.linalg.norm(forward)
    forward = forward / norm if norm > 1e-9 else np.array([1.0, 0.0, 0.0])
    focus = camera_pose[:3, 3] + forward * extent * 0.45
    focus[2] = 0.0
    reach = extent * 1.5  # the light's eye: far enough up the beam to see the tallest building's top
    view = pose.copy()
    view[:3, 3] = focus - direction * reach
    half = extent * 0.6
    projection = pyrender.OrthographicCamera(xmag=half, ymag=half, znear=0.5, zfar=2 * reach).get_projection_matrix()
    return np.linalg.inv(view), projection


def light_effects(
    rgb: np.ndarray, empty: np.ndarray, semantic: np.ndarray, spec: SceneSpec, env: Environment, settings
) -> np.ndarray:
    """(H, W, 3) uint8: the rendered ``rgb`` with the 2D light effects the settings ask for (the sky
    where ``empty``, wet-road reflections in rain, bloom at dusk and night); ids and depth never
    see them."""
    weather = (spec.params or {}).get("weather")
    if settings.sky and empty.any():
        rows = atmosphere.sky_rows(empty)
        sky = atmosphere.sky_image(env, spec.camera, spec.width, rows, weather in ("rain", "snow", "fog"))
        rgb = atmosphere.composite_sky(rgb, empty, sky)
    # people only reflect light: however white the headlights make them, no glare and no mirror streak
    people = (semantic == SEMANTIC_ID["person"]) | (semantic == SEMANTIC_ID["rider"])
    if settings.wet and weather == "rain":
        road = (semantic == SEMANTIC_ID["road"]) | (semantic == SEMANTIC_ID["sidewalk"])
        strength = 0.6 if env.time_of_day in ("dusk", "night") else 0.35
        rgb = atmosphere.wet_reflections(rgb, road, strength, lit_only=people)
    if settings.bloom > 0 and env.time_of_day in ("dusk", "night"):
        rgb = atmosphere.bloom(rgb, settings.bloom, lit_only=people)
    return rgb


def normals_from_depth(depth: np.ndarray, intrinsics: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 unit normals in camera coordinates from the depth layer's central differences:
    exact on flat faces, blended across depth edges between objects, 0 at the sky and beside it."""
    height, width = depth.shape
    u = (np.arange(width) + 0.5 - intrinsics[0, 2]) / intrinsics[0, 0]
    v = (np.arange(height) + 0.5 - intrinsics[1, 2]) / intrinsics[1, 1]
    z = np.where(np.isfinite(depth), depth, 0.0).astype(np.float64)
    pts = np.stack([u[None, :] * z, v[:, None] * z, z], axis=-1)
    dx = np.gradient(pts, axis=1)
    dy = np.gradient(pts, axis=0)
    n = np.cross(dy, dx)
    norm = np.linalg.norm(n, axis=-1, keepdims=True)
    n = np.where(norm > 0, n / np.maximum(norm, 1e-12), 0.0)
    finite = np.isfinite(depth)
    edge = ~finite
    edge[1:] |= ~finite[:-1]
    edge[:-1] |= ~finite[1:]
    edge[:, 1:] |= ~finite[:, :-1]
    edge[:, :-1] |= ~finite[:, 1:]
    n[edge] = 0.0  # the sky and the pixels beside it, whose differences would reach into it
    return n.astype(np.float32)


def group_rect(boxes: list[tuple[float, float, float, float]], width: int, height: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) pixel rows and columns that hold every pixel centre inside the (x, y, w, h)
    boxes, with a 2 px margin, clipped to the image."""
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return (
        max(0, math.floor(x0) - 2),
        max(0, math.floor(y0) - 2),
        min(width, math.ceil(x1) + 2),
        min(height, math.ceil(y1) + 2),
    )


def alone_groups(boxes: dict[int, tuple[float, float, float, float]], width: int, height: int) -> list[list[int]]:
    """Actors whose projected 3D boxes (clipped to the image) do not overlap, grouped greedily:
    drawn together in one pass, each still covers exactly the pixels it covers alone."""
    groups: list[tuple[list[int], list[tuple[float, float, float, float]]]] = []
    for k, (x, y, w, h) in boxes.items():
        box = (max(x, 0.0) - 1, max(y, 0.0) - 1, min(x + w, width) + 1, min(y + h, height) + 1)
        for members, taken in groups:
            if all(box[2] <= t[0] or t[2] <= box[0] or box[3] <= t[1] or t[3] <= box[1] for t in taken):
                members.append(k)
                taken.append(box)
                break
        else:
            groups.append(([k], [box]))
    return [members for members, _ in groups]


def render_layers(spec: SceneSpec, settings: Mesh3DSettings, resource: OffscreenResource | None) -> Layers:
    """Render a driving SceneSpec.

    Besides the RGB and SEG passes, the actors are drawn alone in a few more SEG passes (actors whose
    projected boxes do not overlap share a pass, read back within their boxes: ``seg_ids_in``),
    so an object's pixels drawn alone come from the
    same rasteriser as its visible ones and occlusion is exact. An object that reaches past the
    image edge gets its truncation from its silhouette rasterised on an unbounded canvas
    (``labels.silhouette_areas``).

    Returns:
        Layers: rgb (H, W, 3) uint8; depth (H, W) float32 metres of camera z, inf where empty (sky);
        instance_id (H, W) int32 (actors 1..N in item order, 0 elsewhere); semantic_id (H, W) int32
        Cityscapes ids (sky 23 where empty); normals (H, W, 3) float32 when asked; geometry per
        actor that covers a pixel of the image when drawn alone.
    """
    pyrender = import_pyrender()
    own = resource is None
    resource = OffscreenResource() if own else resource
    camera = spec.camera
    width, height = spec.width, spec.height
    try:
        renderer = resource.get(width, height)
        objects = [o for o in spec.items if isinstance(o, SceneObject)]
        meshes = [object_mesh(o) for o in objects]
        scene, seg = build_scene(
            pyrender, spec, settings.znear, settings.zfar, meshes, resource.surfaces, settings.textures,
            settings.shadow_map,
        )  # fmt: skip
        env = next(i for i in spec.items if isinstance(i, Environment))
        flags, view = 0, None
        if settings.shadows and env.time_of_day != "night" and scene.directional_light_nodes:
            flags = pyrender.RenderFlags.SHADOWS_DIRECTIONAL
            views: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # asked for once a draw: made once a pass

            def view(light_node):
                if id(light_node) not in views:
                    views[id(light_node)] = sun_view(pyrender, scene, light_node, settings.shadow_extent)
                return views[id(light_node)]
        rgb, colors, depth = render_passes(renderer, pyrender, scene, seg, flags, view)
        actors = [(o, m) for o, m in zip(objects, meshes) if o.instance]
        nodes = {(c[1] << 8) | c[2]: node for node, c in seg.items() if c[1] or c[2]}
        boxes = {}
        for k, (obj, _) in enumerate(actors, start=1):
            box = geometry.amodal_bbox(obj, camera, settings.znear)
            if box is not None and box[0] < width and box[1] < height and box[0] + box[2] > 0 and box[1] + box[3] > 0:
                boxes[k] = box
        alone = np.zeros(len(actors) + 1, np.int64)
        for group in alone_groups(boxes, width, height):
            rect = group_rect([boxes[k] for k in group], width, height)
            ids = seg_ids_in(renderer, pyrender, scene, {nodes[k]: seg[nodes[k]] for k in group}, rect)
            counts = np.bincount(ids.ravel(), minlength=len(actors) + 1)
            alone[group] = counts[group]
    finally:
        if own:
            resource.close()
    empty = depth <= 0
    depth = np.where(empty, np.inf, depth).astype(np.float32)
    semantic = colors[:, :, 0].astype(np.int32)
    semantic[empty] = SKY
    rgb = light_effects(rgb, empty, semantic, spec, env, settings)
    instance_id = (colors[:, :, 1].astype(np.int32) << 8) | colors[:, :, 2].astype(np.int32)
    geometry_by_id: dict[int, InstanceGeometry] = {}
    for k, box in boxes.items():
        if alone[k] == 0:
            continue  # its box reaches into the image, but not the object
        obj, mesh = actors[k - 1]
        x, y, w, h = box
        total = int(alone[k])
        if x < 0 or y < 0 or x + w > width or y + h > height:  # may reach past the edge
            in_image, on_canvas = geometry.silhouette_areas(triangles_world(obj, mesh), camera, settings.znear)
            if in_image > 0:
                total = max(total, round(alone[k] * on_canvas / in_image))
        geometry_by_id[k] = InstanceGeometry(
            category=obj.category,
            keypoints=geometry.keypoints(obj, camera, settings.znear, depth, instance_id, k),
            amodal_bbox=box,
            area_alone=int(alone[k]),
            area_alone_total=total,
            box3d=geometry.box3d(obj, camera),
            attributes=dict(obj.attributes),
        )
    normals = normals_from_depth(depth, camera.intrinsics) if settings.normals else None
    return Layers(
        rgb=rgb, instance_id=instance_id, geometry=geometry_by_id, depth=depth, semantic_id=semantic, normals=normals
    )


RENDERER = RendererKind(
    render_through_lens(render_layers),
    Mesh3DSettings,
    make_resource,
    fork_safe=False,
    check_environment=check_can_start,
)
