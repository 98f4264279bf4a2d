"""One worker renders many frames with one reused OffscreenRenderer; its memory stays flat."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pyrender")

from synthgen.config import load_run_config
from synthgen.engine.context import WorkerContext
from synthgen.engine.pipeline import make_sample

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "driving.yaml"


def rss_mb() -> float:
    import os

    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_the_renderer_is_built_once_and_reused():
    config = load_run_config(CONFIG, ["scene.params.width=96", "scene.params.height=64"])
    ctx = WorkerContext(config)
    try:
        make_sample(config, 0, ctx)
        renderer = ctx.render_resource.renderer
        make_sample(config, 1, ctx)
        assert ctx.render_resource.renderer is renderer
    finally:
        ctx.close()
    assert ctx.render_resource is None


@pytest.mark.slow
def test_memory_stays_flat_over_many_frames():
    config = load_run_config(CONFIG, ["scene.params.width=96", "scene.params.height=64"])
    ctx = WorkerContext(config)
    try:
        for i in range(50):
            make_sample(config, i, ctx)
        after_50 = rss_mb()
        for i in range(50, 300):
            make_sample(config, i, ctx)
        after_300 = rss_mb()
    finally:
        ctx.close()
    assert after_300 - after_50 < 8, f"RSS grew {after_300 - after_50:.1f} MB from frame 50 to 300"
