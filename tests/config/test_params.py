"""A kind declared once (synthgen.config.params): schema, settings and key-path errors from one dataclass."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from synthgen.config.distributions import Choice, Constant, Distribution, RandInt, Uniform
from synthgen.config.params import (
    Params,
    choice,
    derived,
    from_config,
    integer,
    named_sections,
    nested,
    number,
    one_of,
    param,
    section,
    within,
)
from synthgen.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
KEY = "augment.probe.params"


class ProbeSettings(Params):
    """One field per rule, and a check across fields."""

    sigma: Distribution = param("uniform(0.5, 1.5)", number(0.1, 20), "standard deviation in pixels")
    count: Distribution = param("randint(1, 3)", integer(1, 10), "how many")
    texture: Distribution = param("choice([paper, stone])", choice("paper", "stone"), "what it looks like")
    size: int = param(64, within(16, 1024, multiple_of=8), "working size, px")
    margin: int = param(2, within(0, 256), "pixels kept")
    mode: str = param("fast", one_of("fast", "slow"), "speed")
    airlight: tuple[int, ...] = param([200, 202, 205], None, "a list kept as written")
    flag: bool = param(True, None, "a plain switch")

    def check(self, key: str) -> None:
        if self.mode == "slow" and self.size > 512:
            raise ConfigError(f"{key}.size", f"must be <= 512 with mode slow, got {self.size}")


def test_the_defaults_are_written_as_in_yaml_and_held_converted():
    settings = ProbeSettings()
    assert settings.sigma == Uniform(0.5, 1.5) and settings.count == RandInt(1, 3)
    assert settings.texture == Choice(("paper", "stone")) and settings.airlight == (200, 202, 205)
    assert (settings.size, settings.margin, settings.mode, settings.flag) == (64, 2, "fast", True)
    schema = ProbeSettings.schema()()
    assert dataclasses.asdict(schema) == {
        "sigma": "uniform(0.5, 1.5)",
        "count": "randint(1, 3)",
        "texture": "choice([paper, stone])",
        "size": 64,
        "margin": 2,
        "mode": "fast",
        "airlight": [200, 202, 205],
        "flag": True,
    }
    assert from_config(ProbeSettings, None, KEY) == settings
    given = from_config(ProbeSettings, {"sigma": 2, "texture": "stone", "size": 128}, KEY)
    assert (given.sigma, given.texture, given.size, given.count) == (Constant(2), Constant("stone"), 128, RandInt(1, 3))
    with pytest.raises(dataclasses.FrozenInstanceError):
        given.size = 8  # type: ignore[misc]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        # range of a number or a distribution
        ({"sigma": 30}, "augment.probe.params.sigma: values must be <= 20, got 30"),
        ({"sigma": "uniform(0.01, 1)"}, "augment.probe.params.sigma: values must be >= 0.1, uniform(0.01, 1.0) allows 0.01"),
        ({"count": "randint(0, 4)"}, "augment.probe.params.count: values must be >= 1, randint(0, 4) allows 0"),
        ({"margin": 300}, "augment.probe.params.margin: must be in 0..256, got 300"),
        ({"size": 20}, "augment.probe.params.size: must be a multiple of 8 in 16..1024, got 20"),
        # type
        ({"count": "uniform(1, 2)"}, "augment.probe.params.count: expected an integer, randint(a, b) or choice([...]), got uniform(1.0, 2.0)"),
        ({"sigma": "choice([a, b])"}, "augment.probe.params.sigma: expected a number or a distribution, got 'a'"),
        ({"size": "big"}, "augment.probe.params.size: Value 'big' of type 'str' could not be converted to Integer"),
        ({"flag": "maybe"}, "augment.probe.params.flag: Value 'maybe' is not a valid bool (type str)"),
        ({"airlight": 3}, "augment.probe.params.airlight: expected a list, got 3; write it in brackets, quoted for the shell: augment.probe.params.airlight='[3]'"),
        # choice
        ({"texture": "brick"}, "augment.probe.params.texture: 'brick' is not one of paper, stone"),
        ({"texture": "choice([paper, brick])"}, "augment.probe.params.texture: 'brick' is not one of paper, stone"),
        ({"mode": "medium"}, "augment.probe.params.mode: 'medium' is not one of fast, slow"),
        # distribution
        ({"sigma": "uniform(5, 1)"}, "augment.probe.params.sigma: uniform low 5 > high 1"),
        ({"sigma": "gauss(1, 2)"}, "augment.probe.params.sigma: unknown distribution 'gauss'; valid: uniform, normal, randint, choice, loguniform"),
        ({"count": "randint(4, 2)"}, "augment.probe.params.count: randint low 4 > high 2"),
        # an unknown key, with its path
        ({"sigmaa": 1}, "augment.probe.params.sigmaa: unknown key 'sigmaa'. Did you mean: 'sigma'?"),
        # the check across fields
        ({"mode": "slow", "size": 1024}, "augment.probe.params.size: must be <= 512 with mode slow, got 1024"),
    ],
)
def test_every_rule_reports_its_key_path(given, message):
    with pytest.raises(ConfigError) as err:
        from_config(ProbeSettings, given, KEY)
    assert str(err.value) == message


class OuterSettings(Params):
    """A section of another kind's params inside this one's."""

    probe: ProbeSettings = nested(ProbeSettings, "the probe's section")
    scale: float = param(1.0, within(0, 2), "a plain number")


def test_a_nested_section_keeps_the_whole_key_path():
    assert OuterSettings().probe == ProbeSettings()
    assert dataclasses.asdict(OuterSettings.schema()())["probe"]["sigma"] == "uniform(0.5, 1.5)"
    inner = from_config(OuterSettings, {"probe": {"count": 4}}, "scene.params")
    assert inner.probe.count == Constant(4) and inner.scale == 1.0
    for given, message in (
        ({"probe": {"sigma": 50}}, "scene.params.probe.sigma: values must be <= 20, got 50"),
        ({"probe": {"colour": 1}}, "scene.params.probe.colour: unknown key 'colour'. Did you mean: 'count'?"),
        ({"probe": {"mode": "slow", "size": 1024}}, "scene.params.probe.size: must be <= 512 with mode slow, got 1024"),
        ({"probe": 3}, "scene.params.probe: expected a mapping, got a single value (3)"),
    ):
        with pytest.raises(ConfigError) as err:
            from_config(OuterSettings, given, "scene.params")
        assert str(err.value) == message


class HolderSettings(Params):
    """Sections with defaults of their own, a mapping, an optional value and derived values."""

    probe: ProbeSettings = nested(ProbeSettings, "the probe, slower here", mode="slow", sigma=2)
    weights: dict[str, float] = param({"a": 1.0}, None, "a mapping kept as written")
    folder: Optional[str] = param(None, None, "may be null")
    found: tuple[str, ...] = derived((), "what check found")

    def check(self, key: str) -> HolderSettings:
        return dataclasses.replace(self, found=tuple(sorted(self.weights)))


def test_a_section_takes_the_defaults_of_the_kind_that_holds_it():
    held = HolderSettings()
    assert held.probe.mode == "slow" and held.probe.sigma == Constant(2) and held.probe.count == RandInt(1, 3)
    assert ProbeSettings().mode == "fast"  # the class's own defaults are untouched
    schema = dataclasses.asdict(HolderSettings.schema()())
    assert schema["probe"]["mode"] == "slow" and schema["probe"]["sigma"] == 2 and "found" not in schema
    given = from_config(HolderSettings, {"probe": {"size": 256}, "weights": {"b": 2}, "folder": "x"}, "scene.params")
    assert given.weights == {"a": 1.0, "b": 2.0} and given.folder == "x" and given.found == ("a", "b")
    for bad, message in (
        ({"weights": {"b": "heavy"}}, "scene.params.weights.b: Value 'heavy' of type 'str' could not be converted"),
        ({"found": ["x"]}, "scene.params.found: unknown key 'found'"),  # a derived value is no config key
    ):
        with pytest.raises(ConfigError) as err:
            from_config(HolderSettings, bad, "scene.params")
        assert str(err.value).startswith(message)
    # the section's check sees the kind's default (mode slow)
    with pytest.raises(ConfigError, match=r"^scene\.params\.probe\.size: must be <= 512 with mode slow, got 1024$"):
        from_config(HolderSettings, {"probe": {"size": 1024}, "weights": {}}, "scene.params")
    with pytest.raises(TypeError, match="no such parameter colour"):
        nested(ProbeSettings, colour="red")


class MaybeSettings(Params):
    probe: Optional[ProbeSettings] = nested(ProbeSettings, "a section that may be absent", optional=True)


def test_an_optional_section_is_none_unless_given():
    assert MaybeSettings().probe is None and from_config(MaybeSettings, None, "k").probe is None
    assert from_config(MaybeSettings, {"probe": None}, "k").probe is None
    given = from_config(MaybeSettings, {"probe": {"count": 4}}, "k").probe
    assert given == dataclasses.replace(ProbeSettings(), count=Constant(4))
    with pytest.raises(ConfigError, match=r"^k\.probe\.sigma: values must be <= 20, got 30$"):
        from_config(MaybeSettings, {"probe": {"sigma": 30}}, "k")


class GroupsSettings(Params):
    groups: dict[str, ProbeSettings] = named_sections(ProbeSettings, "named probes, in config order")


def test_named_sections_keep_their_order_and_name_their_path():
    assert GroupsSettings().groups == {}
    given = from_config(GroupsSettings, {"groups": {"b": {"count": 2}, "a": {}}}, "scene.params")
    assert list(given.groups) == ["b", "a"] and given.groups["b"].count == Constant(2)
    assert given.groups["a"] == ProbeSettings()
    for bad, message in (
        ({"groups": {"b": {"count": 99}}}, "scene.params.groups.b.count: values must be <= 10, got 99"),
        ({"groups": {"b": {"cont": 2}}}, "scene.params.groups.b.cont: unknown key 'cont'"),
        ({"groups": {"b": {"mode": "slow", "size": 1024}}}, "scene.params.groups.b.size: must be <= 512"),
    ):
        with pytest.raises(ConfigError) as err:
            from_config(GroupsSettings, bad, "scene.params")
        assert str(err.value).startswith(message)


@dataclasses.dataclass
class PlainSchema:
    """A section declared the plain omegaconf way, by another package."""

    count: int = 3


class PlainHolderSettings(Params):
    plain: PlainSchema = param(PlainSchema(), section(PlainSchema), "a plain section")


def test_a_plain_section_is_merged_and_checked_by_omegaconf():
    assert PlainHolderSettings().plain == PlainSchema(3)
    assert from_config(PlainHolderSettings, {"plain": {"count": 5}}, "k").plain == PlainSchema(5)
    with pytest.raises(ConfigError, match=r"^k\.plain\.cont: unknown key 'cont'. Did you mean: 'count'\?$"):
        from_config(PlainHolderSettings, {"plain": {"cont": 5}}, "k")


def test_a_normal_is_clipped_to_the_range_of_its_field():
    settings = from_config(ProbeSettings, {"sigma": "normal(1, 50)"}, KEY)
    assert (settings.sigma.low, settings.sigma.high) == (0.1, 20)


def test_a_converted_kind_reports_its_key_path_through_the_loader():
    from synthgen.config import load_run_config

    words = ROOT / "configs" / "text_words.yaml"
    with pytest.raises(ConfigError) as err:
        load_run_config(words, ["augment.blur.kind=gaussian_blur", "augment.blur.params.sigma=30"])
    assert str(err.value) == "augment.blur.params.sigma: values must be <= 20, got 30"
    with pytest.raises(ConfigError) as err:
        load_run_config(words, ["augment.blur.kind=gaussian_blur", "augment.blur.params.sigmma=3"])
    assert str(err.value) == "augment.blur.params.sigmma: unknown key 'sigmma'. Did you mean: 'sigma'?"
    with pytest.raises(ConfigError) as err:
        load_run_config(words, ["writers.dense.depth_scale=0.5", "outputs=[coco]"])
    assert str(err.value) == "writers.dense.depth_scale: must be in 1.0..100000.0, got 0.5"
    config = load_run_config(words, ["augment.blur.kind=gaussian_blur", "augment.blur.params.sigma=uniform(1, 2)"])
    (step,) = config.augment
    assert step.settings.sigma == Uniform(1.0, 2.0) and step.kind.name == "gaussian_blur"
    assert config.resolved["augment"]["blur"]["params"] == {"sigma": "uniform(1, 2)"}


PROBE_KIND = '''
from synthgen.augment.base import Applied, AugmentKind
from synthgen.config.distributions import Distribution
from synthgen.config.params import Params, number, param


class ProbeSettings(Params):
    strength: Distribution = param("uniform(0, 1)", number(0, 1), "how strong")


def apply(settings, layers, spec, rng, ctx=None):
    return Applied(layers, {"strength": float(settings.strength.sample(rng))})


KIND = AugmentKind(ProbeSettings, apply)
'''


@pytest.mark.slow  # another process
def test_a_new_kind_is_listed_without_being_imported_and_checked_when_used(tmp_path):
    (tmp_path / "probe_augment.py").write_text(PROBE_KIND)
    code = f"""
import contextlib, io, json, sys
sys.path.insert(0, {str(tmp_path)!r})
from synthgen.augment import AUGMENTATIONS
from synthgen.cli import main
AUGMENTATIONS.register("probe", "probe_augment")
shown = io.StringIO()
with contextlib.redirect_stdout(shown):
    code = main(["list"])
listed = [line for line in shown.getvalue().splitlines() if line.lstrip().startswith("augment.*.kind")]
from synthgen.registries import by_key
kinds = {{reg.target(n).split(":")[0] for reg in by_key().values() for n in reg.names()}}
imported = sorted(m for m in sys.modules if m in kinds)
from synthgen.config import load_run_config
from synthgen.errors import ConfigError
try:
    load_run_config({str(ROOT / "configs" / "text_words.yaml")!r}, ["augment.p.kind=probe", "augment.p.params.strength=2"])
except ConfigError as exc:
    error = str(exc)
print(json.dumps([code, listed, imported, error, "probe_augment" in sys.modules]))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    code, listed, imported, error, used = json.loads(done.stdout.strip().splitlines()[-1])
    assert code == 0 and len(listed) == 1 and "probe" in listed[0].replace(",", " ").split()
    # listing every kind imported no kind's module (the executors are their registry's own module;
    # the bank's schema is imported by backgrounds.sample, whatever the registry does)
    assert set(imported) <= {"synthgen.engine.executors", "synthgen.diffusion_models.bank"}, imported
    assert error == "augment.p.params.strength: values must be <= 1, got 2" and used
