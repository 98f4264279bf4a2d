"""The check in front of the render passes' use of pyrender's internals: a pyrender without them
stops with one line naming its version, at start-up and before a pass, never a fallback."""

from __future__ import annotations

import types
from types import SimpleNamespace

import pytest

from synthgen.driving import pyrender_passes
from synthgen.driving.pyrender_passes import RENDERER_METHODS, check_internals, render_passes, seg_ids_in
from synthgen.errors import InputError


def fake_pyrender(version: str | None = "9.1.0", methods=RENDERER_METHODS, uniform_lookup: bool = True):
    """A module shaped like pyrender with the Renderer ``methods`` (and shader_program's lookup) only."""
    module = types.ModuleType("pyrender")
    if version is not None:
        module.__version__ = version
    module.renderer = types.ModuleType("pyrender.renderer")
    module.renderer.Renderer = type("Renderer", (), {m: lambda self, *a: None for m in methods})
    module.shader_program = types.ModuleType("pyrender.shader_program")
    if uniform_lookup:
        module.shader_program.glGetUniformLocation = lambda program, name: 0
    module.RenderFlags = SimpleNamespace(SEG=1, OFFSCREEN=2)
    return module


def test_the_installed_pyrender_has_every_internal():
    pyrender = pytest.importorskip("pyrender")
    check_internals(pyrender)


def test_a_pyrender_with_every_internal_passes_the_check():
    check_internals(fake_pyrender())


def test_a_pyrender_without_the_internals_is_refused_naming_its_version():
    with pytest.raises(InputError) as err:
        check_internals(fake_pyrender("9.1.0", methods=()))
    message = str(err.value)
    assert message.startswith("render: mesh3d: pyrender 9.1.0 lacks the internals synthgen's render passes use (")
    assert all(f"Renderer.{m}" in message for m in RENDERER_METHODS)
    assert message.endswith(f"pip install '{pyrender_passes.TESTED_PYRENDER}'")
    assert "\n" not in message


@pytest.mark.parametrize("gone", RENDERER_METHODS)
def test_each_missing_method_is_named_alone(gone):
    with pytest.raises(InputError) as err:
        check_internals(fake_pyrender(methods=tuple(m for m in RENDERER_METHODS if m != gone)))
    assert f"(Renderer.{gone});" in str(err.value)


def test_a_missing_uniform_lookup_and_a_missing_version_are_named():
    with pytest.raises(InputError) as err:
        check_internals(fake_pyrender(version=None, uniform_lookup=False))
    assert "this pyrender (no __version__) lacks" in str(err.value)
    assert "(shader_program.glGetUniformLocation);" in str(err.value)


def test_passes_refuse_a_renderer_without_the_internals():
    """An OffscreenRenderer without ``_renderer`` (or whose Renderer lacks a framebuffer) is refused
    before any GL call, where pyrender's public render would have drawn other pixels."""
    pyrender = fake_pyrender("9.1.0")
    public_only = SimpleNamespace(render=lambda *a, **k: pytest.fail("no pass may run"), viewport_height=8)
    with pytest.raises(InputError, match=r"pyrender 9\.1\.0 lacks .*OffscreenRenderer\._renderer"):
        render_passes(public_only, pyrender, None, {})
    inner = SimpleNamespace(**{m: None for m in RENDERER_METHODS}, _main_fb=1, _main_fb_dims=(8, 8))
    no_ms = SimpleNamespace(render=public_only.render, viewport_height=8, _renderer=inner, _platform=object())
    with pytest.raises(InputError, match=r"\(Renderer\._main_fb_ms\);"):
        seg_ids_in(no_ms, pyrender, None, {}, (0, 0, 4, 4))


def test_the_renderer_start_up_check_runs_the_internals_check(monkeypatch):
    """``check_can_start`` (run at load, before OUT is touched) refuses a pyrender without the
    internals before it opens a context."""
    from synthgen.driving import render

    pyrender = fake_pyrender("9.1.0", methods=RENDERER_METHODS[1:])
    pyrender.OffscreenRenderer = lambda *a: pytest.fail("no context may be opened")
    monkeypatch.setattr(render, "import_pyrender", lambda: pyrender)
    with pytest.raises(InputError, match=r"^render: mesh3d: pyrender 9\.1\.0 lacks .*\(Renderer\._forward_pass\);"):
        render.check_can_start.__wrapped__()
