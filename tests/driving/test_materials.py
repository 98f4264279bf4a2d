"""Materials and light of the driving renderer: texture coordinates, the named materials, and the
light effects (textures, shadows, sky, bloom, wet roads) that change the RGB layer and nothing else."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from synthgen.driving.materials import MATERIALS, material, texture
from synthgen.driving.meshes import material_groups, object_mesh
from synthgen.driving.objects import SceneObject, Solid

# the names actors may use on Solids (the contract between the world, actors and camera branches)
ACTOR_MATERIALS = (
    "matte", "paint", "glass", "rubber", "metal", "plastic", "skin", "cloth", "hair", "plate",
    "head_light", "tail_light", "window_lit",
)  # fmt: skip


def _object(*solids: Solid) -> SceneObject:
    return SceneObject("box", "obstacle", solids, (0.0, 0.0, 0.0), 0.0, (1.0, 1.0, 1.0))


def test_every_contract_material_exists_and_an_unknown_name_lists_the_known():
    for name in ACTOR_MATERIALS:
        assert material(name).name == name
    with pytest.raises(ValueError, match="unknown material 'velvet'; known: .*asphalt"):
        material("velvet")


def test_texture_coordinates_are_metres_on_each_face_of_a_box():
    """A 4 x 2 x 1 m box: its top face spans u 0..4, v 0..2; its side faces v 0..1 (height) with u
    along the face, running left to right seen from outside (negative on the -x and +y faces)."""
    mesh = object_mesh(_object(Solid("box", (4.0, 2.0, 1.0), (200, 200, 200), (5.0, 1.0, 0.5))))
    tris = mesh.vertices[mesh.faces]
    normals = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    for axis, sign, u_span, v_span in (
        (2, 1, (0, 4), (0, 2)),
        (0, 1, (0, 2), (0, 1)),
        (0, -1, (-2, 0), (0, 1)),
        (1, -1, (0, 4), (0, 1)),
        (1, 1, (-4, 0), (0, 1)),
    ):
        faces = np.sign(normals[:, axis]) == sign
        faces &= np.abs(normals[:, axis]) > 0.5 * np.linalg.norm(normals, axis=1)
        uv = mesh.face_uv[faces].reshape(-1, 2)
        assert (uv[:, 0].min(), uv[:, 0].max()) == pytest.approx(u_span)
        assert (uv[:, 1].min(), uv[:, 1].max()) == pytest.approx(v_span)
    # on a vertical face, v is the height above the box's bottom
    side = np.abs(normals[:, 0]) > 0.5 * np.linalg.norm(normals, axis=1)
    heights = tris[side][:, :, 2].ravel()
    np.testing.assert_allclose(mesh.face_uv[side][:, :, 1].ravel(), heights, atol=1e-6)


def test_an_object_groups_its_faces_by_material_in_first_use_order():
    obj = _object(
        Solid("box", (1.0, 1.0, 1.0), (10, 10, 10), material="paint"),
        Solid("cylinder", (0.3, 0.2), (20, 20, 20), material="rubber"),
        Solid("box", (0.5, 0.5, 0.5), (30, 30, 30), (1.0, 0.0, 0.0), material="paint"),
    )
    mesh = object_mesh(obj)
    groups = dict(material_groups(mesh))
    assert list(groups) == ["paint", "rubber"]
    box_faces = len(object_mesh(_object(Solid("box", (1, 1, 1), (0, 0, 0)))).faces)
    assert len(groups["paint"]) == 2 * box_faces
    assert len(groups["paint"]) + len(groups["rubber"]) == len(mesh.faces)
    np.testing.assert_array_equal(mesh.face_colors[groups["rubber"], 0], 20)


def test_textures_are_the_same_bytes_every_time_and_read_only():
    for m in MATERIALS.values():
        for name in filter(None, (m.texture, m.emission)):
            image = texture(name)
            assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
            assert not image.flags.writeable
    texture.cache_clear()
    first = texture("asphalt").copy()
    texture.cache_clear()
    np.testing.assert_array_equal(texture("asphalt"), first)


# --- rendered ----------------------------------------------------------------------------------

pytest.importorskip("pyrender")

from synthgen.driving import atmosphere  # noqa: E402
from synthgen.driving.lights import Environment, Light  # noqa: E402
from synthgen.driving.render import Mesh3DSettings, OffscreenResource, render_layers  # noqa: E402
from synthgen.errors import InputError  # noqa: E402
from driving_helpers import TABLE, crate, rig  # noqa: E402

PLAIN = Mesh3DSettings(textures=False, shadows=False, sky=False, bloom=0.0, wet=False)
FULL = Mesh3DSettings()
_resource = OffscreenResource()


def _road(material_name: str = "asphalt") -> SceneObject:
    top = Solid("box", (400.0, 400.0, 0.2), (90, 90, 90), (0.0, 0.0, -0.1), material=material_name)
    return SceneObject("road", "road", (top,), (0.0, 0.0, 0.0), 0.0, (400.0, 400.0, 0.2), instance=False)


def _spec(objects, time_of_day="day", lights=None, weather="clear", width=160, height=96):
    from synthgen.types import SceneSpec

    camera_rig = rig(width, height)
    env = {
        "day": Environment((190, 212, 235), (0.5, 0.55, 0.65), "day", (70, 125, 205), 0.5, (0.3, 0.6)),
        "night": Environment((14, 16, 30), (0.006, 0.006, 0.01), "night", (2, 3, 9), 0.3, (0.1, 0.2)),
    }[time_of_day]
    if lights is None:
        lights = [Light("directional", (1.0, 1.0, 1.0), 3.5, direction=(0.5, 0.6, -0.6))]
    items = (*objects, env, *lights)
    return SceneSpec(
        "driving", width, height, {}, items, TABLE.names, params={"weather": weather}, camera=camera_rig.camera()
    )


def _layers(spec, settings):
    return render_layers(spec, settings, _resource)


def _painted(obj: SceneObject, name: str) -> SceneObject:
    return replace(obj, solids=tuple(replace(s, material=name) for s in obj.solids))


@pytest.mark.slow  # renders driving frames
@pytest.mark.parametrize("time_of_day, weather", [("day", "clear"), ("night", "rain")])
def test_materials_and_light_change_the_colours_and_no_label_layer(time_of_day, weather):
    lamp = Light("spot", (1.0, 0.8, 0.55), 24.0, (12.0, 2.0, 6.0), (0.0, 0.0, -1.0), (0.5, 1.05), 25.0)
    lights = None if time_of_day == "day" else [lamp]
    objects = [
        _road(),
        _painted(crate((10.0, 1.0, 0.0)), "paint"),
        _painted(crate((14.0, -1.5, 0.0), size=(0.4, 0.4, 0.4), name="light"), "head_light"),
    ]
    spec = _spec(objects, time_of_day, lights, weather)
    plain, full = _layers(spec, PLAIN), _layers(spec, FULL)
    np.testing.assert_array_equal(full.instance_id, plain.instance_id)
    np.testing.assert_array_equal(full.semantic_id, plain.semantic_id)
    np.testing.assert_array_equal(full.depth, plain.depth)
    assert full.geometry.keys() == plain.geometry.keys()
    for k in full.geometry:
        assert full.geometry[k].area_alone == plain.geometry[k].area_alone
    assert np.abs(full.rgb.astype(int) - plain.rgb.astype(int)).mean() > 3


def test_the_sky_fills_only_where_nothing_was_drawn_and_is_lighter_at_the_horizon():
    spec = _spec([_road(), crate((10.0, 0.0, 0.0))])
    no_sky = _layers(spec, replace(FULL, sky=False))
    sky = _layers(spec, FULL)
    empty = ~np.isfinite(sky.depth)
    assert empty[:10].all() and not empty[-10:].any()
    np.testing.assert_array_equal(sky.rgb[~empty], no_sky.rgb[~empty])
    assert (sky.rgb[empty] != no_sky.rgb[empty]).any()
    # the gradient: the top row (towards the zenith) is bluer-darker than the row just above the horizon
    horizon_row = int(np.argmax(~empty[:, 0])) - 1
    assert sky.rgb[0, :, 0].astype(int).mean() < sky.rgb[horizon_row, :, 0].astype(int).mean()


def test_the_sun_casts_a_shadow_on_the_ground_behind_a_box():
    """A 1.5 m box lit from behind-left and above: the road just beyond it, on the far side from the
    sun, is darker with shadows on; the road far to the side is not."""
    sun = Light("directional", (1.0, 1.0, 1.0), 3.5, direction=(1.0, -0.6, -0.7))
    spec = _spec([_road("matte"), crate((10.0, 0.5, 0.0), size=(1.5, 1.5, 1.5))], lights=[sun], width=320, height=192)
    on = _layers(spec, replace(PLAIN, shadows=True))
    off = _layers(spec, PLAIN)
    camera = spec.camera

    def pixel(x, y):
        point = camera.extrinsics @ np.array([x, y, 0.0, 1.0])
        u, v = camera.project(point[None, :3])[0]
        return int(v), int(u)

    behind = pixel(11.0, -0.9)  # inside the box's footprint swept along the light to the ground
    aside = pixel(10.0, 4.5)
    assert on.instance_id[behind] == 0 and on.instance_id[aside] == 0
    assert on.rgb[behind].astype(int).sum() < 0.8 * off.rgb[behind].astype(int).sum()  # the sky light alone
    assert abs(on.rgb[aside].astype(int).sum() - off.rgb[aside].astype(int).sum()) <= 6


def test_at_night_an_object_far_from_any_light_is_dark_and_a_lit_head_light_glows():
    far = crate((40.0, 12.0, 0.0), size=(2.0, 2.0, 2.0))
    lamp = _painted(crate((12.0, -2.0, 0.0), size=(0.5, 0.5, 0.5), name="lamp"), "head_light")
    day = _layers(_spec([_road(), far, lamp]), FULL)
    night = _layers(_spec([_road(), far, lamp], "night", lights=[]), FULL)
    far_id, lamp_id = 1, 2
    day_far = day.rgb[day.instance_id == far_id].mean()
    assert day_far > 60
    assert night.rgb[night.instance_id == far_id].mean() < 0.2 * day_far
    assert night.rgb[night.instance_id == lamp_id].mean() > 120  # its own glow, with no light on it


def test_bloom_spreads_light_only_around_bright_pixels():
    image = np.full((64, 64, 3), 20, np.uint8)
    image[30:34, 30:34] = 255
    out = atmosphere.bloom(image, 1.0)
    assert (out >= image).all()
    assert out[28, 32].sum() > image[28, 32].sum()  # next to the light
    np.testing.assert_array_equal(out[:8, :8], image[:8, :8])  # far from it
    np.testing.assert_array_equal(atmosphere.bloom(image, 0.0), image)


def test_bloom_comes_from_lights_not_from_a_brightly_lit_person():
    """A person's pixels clipped white by the headlights reflect light and give no glare; a lamp as
    bright in the 8-bit picture does."""
    image = np.full((64, 96, 3), 20, np.uint8)
    image[20:44, 20:28] = 255  # a person's legs in the beam
    image[20:44, 68:76] = 255  # a lamp
    person = np.zeros((64, 96), bool)
    person[20:44, 20:28] = True
    out = atmosphere.bloom(image, 1.0, lit_only=person)
    np.testing.assert_array_equal(out[:, :44], image[:, :44])  # no glow round the person
    assert out[32, 64].sum() > image[32, 64].sum() + 30  # beside the lamp
    np.testing.assert_array_equal(out[:, 48:], atmosphere.bloom(image, 1.0)[:, 48:])


def test_a_wet_road_mirrors_a_light_below_it_and_nothing_off_the_road():
    image = np.full((96, 64, 3), 30, np.uint8)
    image[36:40, 30:34] = 255  # a light above the road
    road = np.zeros((96, 64), bool)
    road[48:, :] = True
    out = atmosphere.wet_reflections(image, road)
    np.testing.assert_array_equal(out[~road], image[~road])
    assert out[52, 32].sum() > image[52, 32].sum() + 30  # the streak below the light
    assert out[52, 32].sum() > out[60, 32].sum() > image[60, 32].sum()  # fading down the road
    assert out[52, 5].sum() <= image[52, 5].sum() + 3  # not beside it
    person = np.zeros((96, 64), bool)
    person[36:40, 30:34] = True  # the same white pixels, a person's in the headlights: no mirror streak
    np.testing.assert_array_equal(atmosphere.wet_reflections(image, road, lit_only=person), image)


def test_an_unknown_material_stops_the_render_with_one_line():
    spec = _spec([_road(), _painted(crate((10.0, 0.0, 0.0)), "velvet")])
    with pytest.raises(InputError, match=r"^render: mesh3d: unknown material 'velvet'; known: ") as err:
        _layers(spec, FULL)
    assert "\n" not in str(err.value)
