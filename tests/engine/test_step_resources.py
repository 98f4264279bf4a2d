"""Worker resources are keyed by the step's name (``<stage>.<name>``): two steps of one kind with
different settings get their own, a worker's unpickled copy of the config finds them with its own
settings (no swap to the context's config), and a context never hands a step a resource built
from other settings."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

from synthgen.config import load_run_config
from synthgen.engine import make_sample
from synthgen.engine.context import WorkerContext
from synthgen.steps import Applied, Step, StepKind

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["scene.params.width=96", "scene.params.height=64", "scene.params.words=randint(1, 2)"]
SEEN: list = []  # (resource tag, the settings object apply received), in the order the steps ran


@dataclasses.dataclass(frozen=True)
class TagSettings:
    tag: str


@dataclasses.dataclass
class TagResource:
    tag: str
    closed: bool = False

    def close(self) -> None:
        self.closed = True


def _make_resource(s: TagSettings) -> TagResource:
    return TagResource(s.tag)


def _apply(s: TagSettings, layers, spec, rng, ctx) -> Applied:
    resource = ctx.resource(s)
    SEEN.append((resource.tag, s))
    return Applied(layers, {"resource": resource.tag})


TAGGED = StepKind(TagSettings, _apply, make_resource=_make_resource, name="tagged")  # settings built here, not loaded


def with_steps(config, *tags: tuple[str, str]):
    steps = tuple(Step(name, TAGGED, 1.0, TagSettings(tag)) for name, tag in tags)
    return dataclasses.replace(config, generate=steps)


@pytest.fixture
def config():
    SEEN.clear()
    return with_steps(load_run_config(ROOT / "configs/text_words.yaml", SMALL), ("first", "a"), ("second", "b"))


def test_two_steps_of_one_kind_get_their_own_resources_by_name(config):
    ctx = WorkerContext(config)
    assert sorted(ctx.steps) == ["generate.first", "generate.second"]
    assert ctx.steps["generate.first"].resource.tag == "a" and ctx.steps["generate.second"].resource.tag == "b"
    sample = make_sample(config, 0, ctx)
    assert sample.meta["generate"] == {"first": {"resource": "a"}, "second": {"resource": "b"}}
    resources = [s.resource for s in ctx.steps.values()]
    ctx.close()
    assert all(r.closed for r in resources) and ctx.steps == {}


def test_a_workers_copy_of_the_config_samples_with_its_own_settings(config):
    ctx = WorkerContext(config)
    copy = pickle.loads(pickle.dumps(config))  # what a worker process unpickles with each job
    make_sample(copy, 1, ctx)
    assert [tag for tag, _ in SEEN] == ["a", "b"]
    # the copy's own settings reached apply: the context did not swap in the config it was built for
    assert SEEN[0][1] is copy.generate[0].settings and SEEN[1][1] is copy.generate[1].settings
    assert make_sample(copy, 1, ctx).meta == make_sample(config, 1, ctx).meta
    ctx.close()


def test_a_step_is_never_handed_a_resource_of_other_settings(config):
    ctx = WorkerContext(config)
    assert ctx.step("generate", "first").resource(TagSettings("a")).tag == "a"
    with pytest.raises(ValueError, match="generate.first: the worker context was built for other settings"):
        ctx.step("generate", "first").resource(TagSettings("z"))
    with pytest.raises(KeyError, match="augment.first"):
        ctx.step("augment", "first").resource(TagSettings("a"))  # a generate step's name, another stage
    ctx.close()


def test_a_context_of_another_config_is_refused(config):
    ctx = WorkerContext(config)
    other = dataclasses.replace(config, seed=config.seed + 1, resolved={**config.resolved, "seed": config.seed + 1})
    with pytest.raises(ValueError, match="another run config"):
        make_sample(other, 0, ctx)
    ctx.close()
