"""The mesh3d renderer's fast passes: pyrender's forward pass with a few of its private steps swapped
for cheaper ones that give the same pixels (scripts/bench_render.py measures what they save).

This module is the one place that reaches into pyrender's internals: the Renderer methods and
framebuffers of ``RENDERER_INTERNALS``, the OffscreenRenderer's ``_renderer`` and ``_platform``,
and ``pyrender.shader_program.glGetUniformLocation``. ``check_internals`` checks they exist (the
renderer's start-up check calls it) and ``fast_path_internals`` checks a renderer before each pass,
so a pyrender release that renames them stops the run with one line naming its version, rather
than drawing other pixels or failing inside OpenGL.
"""

from __future__ import annotations

from contextlib import contextmanager
from types import ModuleType

import numpy as np

from synthgen.errors import InputError

# The Renderer methods patched or called here, and the attributes read, by where they live.
RENDERER_METHODS = (
    "_forward_pass",
    "_read_main_framebuffer",
    "_configure_forward_pass_viewport",
    "_bind_lighting",
    "_compute_max_n_lights",
    "_get_light_cam_matrices",
    "_configure_shadow_mapping_viewport",
)
RENDERER_ATTRIBUTES = ("_main_fb", "_main_fb_ms", "_main_fb_dims")
OFFSCREEN_ATTRIBUTES = ("_renderer", "_platform")
RENDERER_INTERNALS = RENDERER_METHODS + RENDERER_ATTRIBUTES
TESTED_PYRENDER = "pyrender2==0.2.2"  # what the passes were written and tested against


def _version(pyrender: ModuleType) -> str:
    version = getattr(pyrender, "__version__", None)
    return f"pyrender {version}" if version else "this pyrender (no __version__)"


def _refuse(pyrender: ModuleType, missing: list[str]) -> InputError:
    return InputError(
        f"render: mesh3d: {_version(pyrender)} lacks the internals synthgen's render passes use "
        f"({', '.join(missing)}); install the version synthgen is tested with: pip install '{TESTED_PYRENDER}'"
    )


def check_internals(pyrender: ModuleType) -> None:
    """Raise InputError naming pyrender's version when the module lacks an internal the passes use:
    a Renderer method of ``RENDERER_METHODS`` or ``shader_program.glGetUniformLocation``."""
    renderer_cls = getattr(getattr(pyrender, "renderer", None), "Renderer", None)
    missing = [f"Renderer.{m}" for m in RENDERER_METHODS if not callable(getattr(renderer_cls, m, None))]
    if not callable(getattr(getattr(pyrender, "shader_program", None), "glGetUniformLocation", None)):
        missing.append("shader_program.glGetUniformLocation")
    if missing:
        raise _refuse(pyrender, missing)


def fast_path_internals(renderer, pyrender: ModuleType):
    """pyrender's Renderer behind the OffscreenRenderer ``renderer``, having every internal the passes
    use; else InputError naming pyrender's version (``check_internals``'s)."""
    missing = [f"OffscreenRenderer.{a}" for a in OFFSCREEN_ATTRIBUTES if getattr(renderer, a, None) is None]
    inner = getattr(renderer, "_renderer", None)
    missing += [f"Renderer.{a}" for a in RENDERER_INTERNALS if inner is not None and not hasattr(inner, a)]
    if missing:
        raise _refuse(pyrender, missing)
    return inner


@contextmanager
def pass_steps(inner, read, single_sample: bool, light_view=None):
    """For the passes inside: ``read(width, height)`` reads the framebuffer instead of pyrender's
    ``_read_main_framebuffer`` and, with ``single_sample``, the pass draws into the single-sample
    framebuffer instead of the 4x multisampled one (instance attributes shadow the methods).
    ``light_view(light_node)``, when given, gives a directional light's shadow-map view and
    projection ``(V, P)`` instead of pyrender's (a box as large as the whole scene: 30 cm texels for
    a 400 m ground, so a pedestrian's shadow would be a blur), and the shadow pass draws into the
    light's map at the map's own size (pyrender's viewport is always its default 2048 px).

    Two of pyrender's per-draw costs are paid once a pass instead (the same GL state, so the same
    pixels):

    * its lights are bound once per shader program, not once per primitive: the uniforms a program
      holds stay set between its draws, and unless a scene has more lights of a kind than a shader
      takes (then pyrender picks the nearest ones for each node) they are the same for every node;
      the shadow maps lighting binds take the first texture units and stay bound there, the
      material's textures going to the units after them (as pyrender's own order gives);
    * a uniform's location is looked up once per program and name (pyrender asks the driver on
      every ``set_uniform``; the programs live as long as the renderer, which keeps the table).
    """
    from OpenGL import GL
    from pyrender import shader_program

    configure = inner._configure_forward_pass_viewport
    bind_lighting = inner._bind_lighting
    lit: set[int] = set()

    def configure_single(flags):
        configure(flags)
        GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, inner._main_fb)

    shadow_units = [0]

    def bind_lighting_once(scene, program, node, flags):
        if id(program) in lit:
            # the shadow maps stay bound to the first texture units: the material's go after them
            inner._texture_alloc_idx = shadow_units[0]
            return
        first_unit = inner._texture_alloc_idx
        bind_lighting(scene, program, node, flags)
        limits = inner._compute_max_n_lights(flags)
        counts = (len(scene.directional_light_nodes), len(scene.spot_light_nodes), len(scene.point_light_nodes))
        if first_unit == 0 and all(n <= m for n, m in zip(counts, limits)):
            lit.add(id(program))
            shadow_units[0] = inner._texture_alloc_idx

    locations = inner.__dict__.setdefault("_synthgen_uniform_locations", {})
    get_location = shader_program.glGetUniformLocation

    def uniform_location(program_id, name):
        key = (int(program_id), name)
        loc = locations.get(key)
        if loc is None:
            loc = locations[key] = get_location(program_id, name)
        return loc

    inner._read_main_framebuffer = lambda scene, flags: read(*inner._main_fb_dims)
    inner._bind_lighting = bind_lighting_once
    shader_program.glGetUniformLocation = uniform_location
    if single_sample:
        inner._configure_forward_pass_viewport = configure_single
    if light_view is not None:
        configure_shadow = inner._configure_shadow_mapping_viewport

        def configure_shadow_sized(light, flags):
            configure_shadow(light, flags)
            size = light.shadow_texture.width  # pyrender's viewport is its default size, whatever the map's
            GL.glViewport(0, 0, size, size)

        inner._get_light_cam_matrices = lambda scene, light_node, flags: light_view(light_node)
        inner._configure_shadow_mapping_viewport = configure_shadow_sized
    try:
        yield
    finally:
        shader_program.glGetUniformLocation = get_location
        del inner._read_main_framebuffer
        del inner._bind_lighting
        if single_sample:
            del inner._configure_forward_pass_viewport
        if light_view is not None:
            del inner._get_light_cam_matrices
            del inner._configure_shadow_mapping_viewport


def read_rows(x0: int, y0: int, width: int, height: int, fmt, dtype, channels: int) -> np.ndarray:
    """(height, width[, channels]) pixels of the bound read framebuffer, top row first."""
    from OpenGL import GL

    gl_type = GL.GL_FLOAT if dtype == np.float32 else GL.GL_UNSIGNED_BYTE
    buf = np.frombuffer(GL.glReadPixels(x0, y0, width, height, fmt, gl_type), dtype)
    shape = (height, width, channels) if channels > 1 else (height, width)
    return buf.reshape(shape)[::-1]


def linear_depth(window_z: np.ndarray, znear: float, zfar: float) -> np.ndarray:
    """(H, W) float32 camera z in metres of depth-buffer values (0 where nothing was drawn): the
    perspective division undone in float32 as pyrender does."""
    ndc = 2.0 * window_z - 1.0
    with np.errstate(divide="ignore"):
        z = (2.0 * znear * zfar) / (zfar + znear - ndc * (zfar - znear))
    z[window_z == 1.0] = 0.0
    return z


def render_passes(
    renderer, pyrender, scene, seg, rgb_flags: int = 0, light_view=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rgb (H, W, 3) uint8, seg colours (H, W, 3) uint8, depth (H, W) float32 metres, 0 where empty).

    ``rgb_flags`` are more pyrender RenderFlags for the RGB pass alone (``SHADOWS_DIRECTIONAL``),
    ``light_view`` the shadow maps' view (``pass_steps``).

    The RGB pass is pyrender's (4x multisampled, lit) with its colour alone resolved and read: the
    public render also resolves, reads and linearises a depth buffer the labels do not use (~9 ms at
    640x384 on llvmpipe). The SEG pass, drawn without multisampling anyway, is drawn into the
    single-sample framebuffer and read there, colour and depth, with no resolve: the same colours,
    and depth from the fragment at the pixel centre (the multisampled buffer's resolve gave a
    sample's depth, up to 14 mm off far away).
    """
    inner = fast_path_internals(renderer, pyrender)
    from OpenGL import GL

    def read_rgb(width, height):
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, inner._main_fb_ms)
        GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, inner._main_fb)
        GL.glBlitFramebuffer(0, 0, width, height, 0, 0, width, height, GL.GL_COLOR_BUFFER_BIT, GL.GL_LINEAR)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, inner._main_fb)
        return np.ascontiguousarray(read_rows(0, 0, width, height, GL.GL_RGB, np.uint8, 3)), None

    camera = scene.main_camera_node.camera

    def read_seg(width, height):
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, inner._main_fb)
        window_z = read_rows(0, 0, width, height, GL.GL_DEPTH_COMPONENT, np.float32, 1)
        colors = np.ascontiguousarray(read_rows(0, 0, width, height, GL.GL_RGB, np.uint8, 3))
        return colors, linear_depth(window_z, camera.znear, camera.zfar)

    with pass_steps(inner, read_rgb, single_sample=False, light_view=light_view):
        rgb, _ = renderer.render(scene, flags=pyrender.RenderFlags.NONE | rgb_flags)
    with pass_steps(inner, read_seg, single_sample=True):
        colors, depth = renderer.render(scene, flags=pyrender.RenderFlags.SEG, seg_node_map=seg)
    return rgb, colors, depth


def seg_ids_in(renderer, pyrender, scene, seg_node_map: dict, rect: tuple[int, int, int, int]) -> np.ndarray:
    """(h, w) int64 instance ids of a SEG pass of the ``seg_node_map`` nodes, read in the image rows
    and columns ``rect`` = (x0, y0, x1, y1) only (nothing the nodes cover may lie outside it).

    An alone pass needs the ids in its actors' boxes only, while pyrender's render clears, resolves,
    reads back and converts the whole colour and depth buffers (~15 ms at 640x384 on llvmpipe): the
    same forward pass here is scissored to ``rect`` (fragments inside it are rasterised as without
    the scissor), drawn into the single-sample framebuffer as ``render_passes`` draws the SEG pass,
    and only its colour in ``rect`` is read. This calls pyrender's Renderer internals
    (``_forward_pass`` and its framebuffer steps), right after a full render of the same scene (so
    its meshes are on the GPU).
    """
    x0, y0, x1, y1 = rect
    if x1 <= x0 or y1 <= y0:
        return np.zeros((0, 0), np.int64)
    inner = fast_path_internals(renderer, pyrender)
    from OpenGL import GL

    gl_y0 = renderer.viewport_height - y1  # OpenGL rows count from the bottom

    def read_colors(width, height):
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, inner._main_fb)
        return read_rows(x0, gl_y0, x1 - x0, y1 - y0, GL.GL_RGB, np.uint8, 3)

    renderer._platform.make_current()
    GL.glEnable(GL.GL_SCISSOR_TEST)
    GL.glScissor(x0, gl_y0, x1 - x0, y1 - y0)
    try:
        with pass_steps(inner, read_colors, single_sample=True):
            flags = pyrender.RenderFlags.SEG | pyrender.RenderFlags.OFFSCREEN
            colors = inner._forward_pass(scene, flags, seg_node_map=seg_node_map)
    finally:
        GL.glDisable(GL.GL_SCISSOR_TEST)
    return (colors[:, :, 1].astype(np.int64) << 8) | colors[:, :, 2]
