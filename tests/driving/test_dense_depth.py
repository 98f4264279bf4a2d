"""The dense writer's 16-bit depth PNG: millimetres by default, 0 beyond 65.535 m (and where empty);
``writers.dense.depth_scale`` keeps far depth at a coarser step; the .npy keeps every metre."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

pytest.importorskip("pyrender")

from driving_helpers import ground, render, rig, spec_of

from synthgen.config import load_run_config
from synthgen.driving.objects import SceneObject, Solid
from synthgen.errors import ConfigError
from synthgen.formats import WRITERS
from synthgen.records import to_record
from synthgen.types import Sample

WALL_AT = 100.0  # metres: beyond the 65.535 m that millimetres hold


def wall(distance: float) -> SceneObject:
    """A wall facing the camera, its front face the plane x = distance (camera depth ``distance``)."""
    return SceneObject(
        "wall",
        "building",
        (Solid("box", (2.0, 400.0, 80.0), (120, 120, 120), (distance + 1.0, 0.0, 0.0)),),
        (0.0, 0.0, 0.0),
        0.0,
        (2.0, 400.0, 80.0),
        instance=False,
    )


def written_depth(tmp_path, sample: Sample, **options) -> tuple[np.ndarray, np.ndarray]:
    writer = WRITERS.get("dense")
    if options:
        writer = writer.with_options(writer.options(**options))
    writer.write_sample(sample, to_record(sample, "images/000000000.png", "0"), tmp_path)
    png = cv2.imread(str(tmp_path / "labels/depth/000000000.png"), cv2.IMREAD_UNCHANGED)
    return png, np.load(tmp_path / "labels/depth/000000000.npy")


@pytest.fixture(scope="module")
def far_wall():
    layers, labels = render(spec_of(rig(), [ground(), wall(WALL_AT)]))
    return Sample(layers.rgb, labels, {"index": 0}), layers.semantic_id


def test_depth_beyond_65_m_is_0_in_millimetres_and_kept_at_scale_256(tmp_path, far_wall):
    sample, semantic = far_wall
    on_wall = semantic == 11  # the camera sees the wall straight ahead: depth = its distance
    assert on_wall.sum() > 1000
    np.testing.assert_allclose(sample.labels.depth[on_wall], WALL_AT, rtol=1e-4)
    mm, npy = written_depth(tmp_path / "default", sample)
    assert mm.dtype == np.uint16 and (mm[on_wall] == 0).all()  # too far for millimetres
    np.testing.assert_array_equal(npy, sample.labels.depth)  # the .npy keeps it
    near = np.isfinite(npy) & (npy < 65.5)
    np.testing.assert_array_equal(mm[near], np.rint(npy[near].astype(np.float64) * 1000))
    units, _ = written_depth(tmp_path / "kitti", sample, depth_scale=256.0)
    np.testing.assert_allclose(units[on_wall] / 256.0, WALL_AT, atol=0.5 / 256 + 0.01)
    np.testing.assert_array_equal(units[near], np.rint(npy[near].astype(np.float64) * 256))
    assert (units[~np.isfinite(npy)] == 0).all()  # the sky is still 0


def test_depth_scale_is_checked_at_load():
    from synthgen.formats.dense import DenseOptions

    config = load_run_config("driving", ["writers.dense.depth_scale=256"])
    assert config.writer_options["dense"] == DenseOptions(256.0)
    for bad in ("0", "-5", "nan", "1e9"):
        with pytest.raises(ConfigError) as err:
            load_run_config("driving", [f"writers.dense.depth_scale={bad}"])
        assert str(err.value).startswith("writers.dense.depth_scale: "), str(err.value)
