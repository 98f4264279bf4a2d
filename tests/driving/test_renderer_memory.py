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
        for i in range(100):
            make_sample(config, i, ctx)
        after_100 = rss_mb()
        for i in range(100, 1000):
            make_sample(config, i, ctx)
        after_1000 = rss_mb()
    finally:
        ctx.close()
    # a renderer rebuilt per frame, or OSMesa's ~3 MB a draw call, would grow by hundreds of MB
    assert after_1000 - after_100 < 8, f"RSS grew {after_1000 - after_100:.1f} MB from frame 100 to 1000"
