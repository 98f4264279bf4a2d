"""Actors from the user's own meshes (``kind: asset``): meshes made here with trimesh, exported to GLB
and OBJ, read back and labelled by the same passes as the built-in actors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from driving_helpers import crate, ground, render, rig, spec_of

from synthgen.driving.categories import COCO_KEYPOINTS
from synthgen.driving.labels import to_camera
from synthgen.driving.mesh_assets import AssetSettings, asset_actor, load_library
from synthgen.driving.meshes import fitted
from synthgen.errors import ConfigError

trimesh = pytest.importorskip("trimesh")

# a box in glTF axes (y up, z forward): 0.8 m wide (x), 1.6 m high (y), 2.0 m long (z)
EXTENTS_GLTF = (0.8, 1.6, 2.0)


def box_file(folder, name: str, extents=EXTENTS_GLTF, center=(0.3, 5.0, -2.0), color=(200, 40, 40, 255)):
    """A box mesh saved as ``name`` (its suffix picks the format), centred away from the origin."""
    folder.mkdir(parents=True, exist_ok=True)
    mesh = trimesh.creation.box(extents=extents)
    mesh.apply_translation(center)
    mesh.visual.face_colors = color
    path = folder / name
    mesh.export(path)
    return path


def library(folder, **kwargs):
    fields = {"folder": str(folder), "category": "obstacle", "height": 1.6, **kwargs}
    key = "scene.params.scenario.actors.mine.asset"
    return load_library(AssetSettings.from_config(fields, key), key)


@pytest.mark.parametrize("suffix", [".glb", ".obj"])
def test_an_asset_box_is_labelled_as_the_same_box_built_in(tmp_path, suffix):
    box_file(tmp_path, f"crate{suffix}")
    lib = library(tmp_path)
    (asset,) = lib.assets
    assert asset.name == "crate"
    # turned to x forward, z up: 2.0 long, 0.8 wide, 1.6 high; standing on the ground
    actor = fitted(asset_actor(lib, np.random.default_rng(0), (9.0, 0.5, 0.0), 0.3))
    assert actor.dimensions == pytest.approx((2.0, 0.8, 1.6))
    from synthgen.driving.meshes import triangles_world

    assert triangles_world(actor)[..., 2].min() == pytest.approx(0.0, abs=1e-9)  # ground contact
    same = crate((9.0, 0.5, 0.0), (2.0, 0.8, 1.6), heading=0.3)
    camera_rig = rig()
    layers, labels = render(spec_of(camera_rig, [ground(), actor]))
    ref_layers, ref_labels = render(spec_of(camera_rig, [ground(), same]))
    (inst,), (ref,) = labels.instances, ref_labels.instances
    # the same box drawn by the same passes: the same pixels, box, amodal box and 3D box
    mask, ref_mask = layers.instance_id == 1, ref_layers.instance_id == 1
    assert mask.sum() > 500 and (mask != ref_mask).sum() <= 2  # at most an edge pixel of a diagonal
    assert inst.bbox == pytest.approx(ref.bbox, abs=1)
    assert inst.amodal_bbox == pytest.approx(ref.amodal_bbox, abs=1e-4)  # the file holds float32
    np.testing.assert_allclose(inst.box3d.center, ref.box3d.center, atol=1e-6)
    np.testing.assert_allclose(inst.box3d.dimensions, ref.box3d.dimensions, atol=1e-6)
    assert inst.box3d.yaw == pytest.approx(ref.box3d.yaw, abs=1e-9)
    assert inst.occlusion == 0 and inst.truncation == 0
    assert inst.attributes["type"] == "crate" and inst.attributes["asset"] == "crate"
    # the mesh's own colour, not a default
    r, g, b = layers.rgb[mask].mean(axis=0)
    assert r > 2 * g and r > 2 * b


def test_the_mask_is_the_known_projection_of_the_box(tmp_path):
    box_file(tmp_path, "c.glb")
    actor = fitted(asset_actor(library(tmp_path), np.random.default_rng(0), (8.0, 0.0, 0.0), 0.0))
    camera_rig = rig()
    cam = camera_rig.camera()
    layers, labels = render(spec_of(camera_rig, [ground(), actor]))
    # the face towards the camera: x = 7 m, y in [-0.4, 0.4], z in [0, 1.6]; its projection is the mask's box
    face = np.array([[7.0, y, z] for y in (-0.4, 0.4) for z in (0.0, 1.6)])
    uv = cam.project(to_camera(cam, face))
    (inst,) = labels.instances
    x, y, w, h = inst.bbox
    assert x == pytest.approx(uv[:, 0].min(), abs=1) and x + w == pytest.approx(uv[:, 0].max(), abs=1)
    assert y == pytest.approx(uv[:, 1].min(), abs=1) and y + h == pytest.approx(uv[:, 1].max(), abs=1)
    assert inst.area == pytest.approx(np.ptp(uv[:, 0]) * np.ptp(uv[:, 1]), rel=0.03)


def test_height_scales_evenly_and_dimensions_per_axis(tmp_path):
    box_file(tmp_path, "c.obj")
    rng = np.random.default_rng(0)
    tall = asset_actor(library(tmp_path, height=3.2), rng, (5.0, 0.0, 0.0), 0.0)
    assert tall.dimensions == pytest.approx((4.0, 1.6, 3.2))
    sized = asset_actor(library(tmp_path, height=None, dimensions=[3.0, 1.0, 2.0]), rng, (5.0, 0.0, 0.0), 0.0)
    assert sized.dimensions == pytest.approx((3.0, 1.0, 2.0))
    ranged = library(tmp_path, height="uniform(1.0, 2.0)")
    heights = {round(asset_actor(ranged, rng, (5.0, 0.0, 0.0), 0.0).dimensions[2], 6) for _ in range(5)}
    assert len(heights) == 5 and all(1.0 <= h <= 2.0 for h in heights)


def test_each_actor_draws_one_file_of_the_folder(tmp_path):
    for i in range(3):
        box_file(tmp_path, f"m{i}.glb", extents=(0.8, 1.6, 1.0 + i))
    lib = library(tmp_path)
    assert [a.name for a in lib.assets] == ["m0", "m1", "m2"]
    rng = np.random.default_rng(3)
    drawn = {asset_actor(lib, rng, (5.0, 0.0, 0.0), 0.0).name for _ in range(30)}
    assert drawn == {"m0", "m1", "m2"}


def test_keypoints_of_a_sidecar_land_on_their_pixels(tmp_path):
    path = box_file(tmp_path, "statue.glb", extents=(0.5, 1.7, 0.3), center=(0.0, 0.85, 0.0))
    # keypoints on the front face (z = +0.15 in glTF axes: the face towards the camera once turned back)
    points = {name: [0.2 - 0.4 * (i % 5) / 4, 0.1 + 1.5 * i / 16, 0.15] for i, name in enumerate(COCO_KEYPOINTS)}
    path.with_name("statue.keypoints.json").write_text(json.dumps(points))
    lib = library(tmp_path, category="person", height=1.7)
    actor = fitted(asset_actor(lib, np.random.default_rng(0), (6.0, 0.0, 0.0), math.pi))  # facing the camera
    camera_rig = rig(640, 384)
    cam = camera_rig.camera()
    layers, labels = render(spec_of(camera_rig, [ground(), actor]))
    (inst,) = labels.instances
    assert inst.category == "person"
    expected = cam.project(to_camera(cam, actor.joints_world()))
    np.testing.assert_allclose(inst.keypoints[:, :2], expected, atol=1e-3)
    assert (inst.keypoints[:, 2] == 2).all()  # on the surface facing the camera: all seen
    for x, y, _ in inst.keypoints:
        assert layers.instance_id[int(y), int(x)] == 1


@pytest.mark.parametrize(
    ("setup", "kwargs", "message"),
    [
        ("none", {}, "asset.folder: no folder"),
        ("empty", {}, "asset.folder: "),
        ("corrupt", {}, "not a readable mesh"),
        ("box", {"up_axis": "y", "forward_axis": "-y"}, "asset.forward_axis: must be across up_axis"),
        ("box", {"up_axis": "w"}, "asset.up_axis: 'w' is not one of"),
        ("box", {"category": "tree"}, "asset.category: 'tree' is not one of"),
        ("box", {"height": None}, "give the real-world size as either height or dimensions"),
        ("box", {"height": 50}, "asset.height: values must be <= 30"),
        ("box", {"height": None, "dimensions": [1.6, 2.0, 0.8]}, "asset.dimensions: "),
        ("keypoints", {"category": "person"}, "lacks keypoint 'left_eye'"),
        ("keypoints", {}, "this category has no keypoints"),
    ],
)
def test_bad_assets_are_refused_at_load_with_their_key(tmp_path, setup, kwargs, message):
    folder = tmp_path / "assets"
    if setup == "empty":
        folder.mkdir()
        (folder / "readme.txt").write_text("not a mesh")
    elif setup == "corrupt":
        folder.mkdir()
        (folder / "broken.glb").write_bytes(b"glTF\x02\x00\x00\x00 secret contents " * 3)
    elif setup == "box":
        box_file(folder, "flatish.glb", extents=(0.8, 1.6, 2.0))
    elif setup == "keypoints":
        path = box_file(folder, "k.glb")
        path.with_name("k.keypoints.json").write_text(json.dumps({"nose": [0, 1, 0]}))
    with pytest.raises(ConfigError) as err:
        library(folder, **kwargs)
    text = str(err.value)
    assert text.startswith("scene.params.scenario.actors.mine.asset") and message in text, text
    assert "\n" not in text and "secret" not in text


def test_a_wrong_up_axis_is_caught_by_the_shape(tmp_path):
    # a thin panel whose thin axis is y: read y up, 22x longer than high
    box_file(tmp_path, "panel.glb", extents=(1.8, 0.2, 4.5))
    with pytest.raises(ConfigError, match=r"asset\.up_axis: .*is the up axis right"):
        library(tmp_path, up_axis="y", forward_axis="z")


ASSET_SCENE = """
name: mine
num_samples: 2
scene:
  kind: driving
  params:
    width: 160
    height: 96
    scenario:
      name: mine
      time_of_day: day
      traffic: {{parked: 0, ahead: 0, oncoming: 0}}
      actors:
        statue:
          kind: {kind}
          distance: 8
          asset: {{folder: {folder}, category: obstacle, height: "uniform(1.0, 1.5)"}}
render:
  kind: mesh3d
outputs: [coco, kitti]
"""


@pytest.mark.slow  # a driving run
def test_a_run_with_asset_actors_labels_them(tmp_path):
    from synthgen import load_config, make_sample

    box_file(tmp_path / "meshes", "thing.glb")
    cfg_path = tmp_path / "run.yaml"
    cfg_path.write_text(ASSET_SCENE.format(kind="asset", folder=tmp_path / "meshes"))
    config = load_config(str(cfg_path))
    sample = make_sample(config, 0)
    (inst,) = [i for i in sample.labels.instances if i.attributes.get("role") == "statue"]
    assert inst.category == "obstacle" and inst.attributes["type"] == "thing" and inst.area > 0
    assert 1.0 <= inst.box3d.dimensions[2] <= 1.5
    assert sample.meta["scene"]["actors"][0]["kind"] == "asset"
    again = make_sample(config, 0)
    assert np.array_equal(sample.image, again.image)


def test_a_bad_asset_folder_stops_the_cli_before_out_is_touched(tmp_path, capsys):
    from synthgen.cli import main

    cfg_path = tmp_path / "run.yaml"
    cfg_path.write_text(ASSET_SCENE.format(kind="asset", folder=tmp_path / "missing"))
    out = tmp_path / "out"
    assert main(["generate", str(cfg_path), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "scene.params.scenario.actors.statue.asset.folder: no folder" in err[0], err
    assert not out.exists()
    cfg_path.write_text(ASSET_SCENE.format(kind="car", folder=tmp_path / "missing"))
    assert main(["generate", str(cfg_path), "-o", str(out)]) == 2
    assert "actors.statue.asset: is given but the kind is never asset" in capsys.readouterr().err
    assert not out.exists()


def test_driving_insert_places_asset_actors_in_its_frames(tmp_path):
    from synthgen import load_config, make_sample

    box_file(tmp_path / "meshes", "thing.glb")
    cfg_path = tmp_path / "insert.yaml"
    cfg_path.write_text(f"""
name: mine
num_samples: 1
scene:
  kind: driving_insert
  params:
    scenario:
      actors:
        statue: {{kind: asset, distance: 10, asset: {{folder: {tmp_path / "meshes"}, height: 1.2}}}}
render: {{kind: mesh3d_insert}}
outputs: [coco]
""")
    sample = make_sample(load_config(str(cfg_path)), 0)
    (inst,) = [i for i in sample.labels.instances if i.attributes.get("role") == "statue"]
    assert inst.attributes["inserted"] and inst.attributes["type"] == "thing" and inst.area > 0
    assert inst.box3d.dimensions[2] == pytest.approx(1.2)


def rig_file(path, names):
    """A rig export: a body mesh and an empty node per keypoint name (on the body's front face)."""
    scene = trimesh.Scene()
    body = trimesh.creation.box(extents=(0.5, 1.7, 0.3))
    body.apply_translation((0.0, 0.85, 0.0))
    scene.add_geometry(body, node_name="body")
    points = {name: [0.2 - 0.4 * (i % 5) / 4, 0.1 + 1.5 * i / 16, 0.15] for i, name in enumerate(names)}
    for name, point in points.items():
        pose = np.eye(4)
        pose[:3, 3] = point
        scene.graph.update(frame_from=scene.graph.base_frame, frame_to=name, matrix=pose)
    path.parent.mkdir(parents=True, exist_ok=True)
    scene.export(path)
    return points


def test_keypoints_from_named_gltf_nodes(tmp_path):
    points = rig_file(tmp_path / "full" / "rigged.glb", COCO_KEYPOINTS)
    (asset,) = library(tmp_path / "full", category="person", height=1.7).assets
    # turned to x forward, z up: glTF (x, y, z) -> (z, x, y)
    expected = np.array([[p[2], p[0], p[1]] for p in points.values()])
    np.testing.assert_allclose(asset.keypoints, expected, atol=1e-6)
    rig_file(tmp_path / "part" / "rigged.glb", COCO_KEYPOINTS[:5])
    with pytest.raises(ConfigError, match=r"has nodes for 5 of 17 keypoints \(lacks 'left_shoulder'\)"):
        library(tmp_path / "part", category="person", height=1.7)
