import numpy as np
import pytest

from synthgen.config.distributions import Choice, Constant, RandInt, check_range, parse_checked, parse_value
from synthgen.errors import ConfigError


def _draws(text, kind="float", n=2000):
    rng = np.random.default_rng(0)
    d = parse_value(text, "k", kind)
    return d, [d.sample(rng) for _ in range(n)]


def test_uniform_range_and_spread():
    _, xs = _draws("uniform(-10, 10)")
    assert min(xs) >= -10 and max(xs) <= 10
    assert min(xs) < -9 and max(xs) > 9


def test_randint_includes_both_ends():
    d, xs = _draws("randint(18, 20)", "int")
    assert isinstance(d, RandInt) and set(xs) == {18, 19, 20}


def test_normal_moments():
    _, xs = _draws("normal(5, 2)", n=5000)
    assert abs(np.mean(xs) - 5) < 0.15 and abs(np.std(xs) - 2) < 0.15


def test_loguniform_is_uniform_in_log():
    _, xs = _draws("loguniform(1, 100)", n=5000)
    assert min(xs) >= 1 and max(xs) <= 100
    assert 0.4 < np.mean(np.log10(xs) < 1) < 0.6


def test_choice_of_words_and_weights():
    d, xs = _draws("choice([solid, gradient], [0.9, 0.1])", "str")
    assert isinstance(d, Choice) and set(xs) == {"solid", "gradient"}
    assert 0.85 < xs.count("solid") / len(xs) < 0.95


def test_constants():
    assert parse_value(3, "k", "int") == Constant(3)
    assert parse_value("solid", "k", "str", ("solid",)) == Constant("solid")


@pytest.mark.parametrize(
    "text,kind,fragment",
    [
        ("randint(64, 18)", "int", "randint low 64 > high 18"),
        ("uniform(1)", "float", "uniform takes 2 numbers"),
        ("normal(0, -1)", "float", "sigma -1"),
        ("loguniform(0, 1)", "float", "0 < low"),
        ("choice([])", "str", "non-empty list"),
        ("choice([a, b], [1])", "str", "weights must be 2"),
        ("uniform(1, 2)", "int", "expected an integer"),
        ("randint(1.5, 3)", "int", "randint takes integers"),
        ("pareto(1, 2)", "float", "unknown distribution 'pareto'"),
        ("choice([1, x])", "float", "expected a number"),
    ],
)
def test_errors_name_key(text, kind, fragment):
    with pytest.raises(ConfigError) as err:
        parse_value(text, "scene.params.x", kind)
    assert str(err.value).startswith("scene.params.x: ") and fragment in str(err.value)


def test_check_range():
    check_range(parse_value("randint(1, 5)", "k", "int"), "k", 0, 10)
    with pytest.raises(ConfigError, match="k: values must be >= 4"):
        check_range(parse_value("randint(1, 5)", "k", "int"), "k", 4, 10)


def test_normal_in_a_bounded_field_is_clipped_to_it():
    # normal() has no bounds to check at load time; where the field has a range, samples stay in it.
    dist = parse_checked("normal(0.5, 2)", "k", "float", 0.1, 1.0)
    values = [dist.sample(np.random.default_rng(s)) for s in range(200)]
    assert min(values) == 0.1 and max(values) == 1.0  # sigma 2: both bounds are hit
    assert str(dist) == "normal(0.5, 2.0)"  # the resolved config shows what was written
    with pytest.raises(ConfigError, match="k: values must be >= 0.1, uniform"):
        parse_checked("uniform(0, 1)", "k", "float", 0.1, 1.0)


@pytest.mark.parametrize(
    "weights", [(0.7, 0.3), (0.4, 0.3, 0.2, 0.1), (0.2, 0.2, 0.2, 0.3, 0.1), (0.9999, 0.0001), (0.25, 0.0, 0.75)]
)
def test_weighted_choice_draws_what_numpy_choice_draws(weights):
    # Choice samples by bisect on its cdf, without rng.choice's per-call checks: the same values
    # from the same stream, so configs sample as they did with rng.choice(n, p=weights).
    dist = Choice(tuple(range(len(weights))), weights)
    for seed in range(50):
        ours, theirs = np.random.default_rng(seed), np.random.default_rng(seed)
        assert [dist.sample(ours) for _ in range(20)] == [
            int(theirs.choice(len(weights), p=weights)) for _ in range(20)
        ]
        assert ours.random() == theirs.random()  # and the stream is left where numpy leaves it


@pytest.mark.parametrize(
    "text, message",
    [
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        ("uniform(.nan, 1)", "finite"),
        ("normal(0, .inf)", "finite"),
        ("randint(1, 100000000000000000000)", "magnitude"),
        ("choice([1, .nan])", "finite"),
        ("choice([a, b], [true, false])", "choice weights"),
        ("choice([a, b], [.nan, 1])", "choice weights"),
        ("choice([a, b], [1.0e+308, 1.0e+308])", "choice weights"),  # the sum overflows
        ("choice(" + "[" * 5000 + "1" + "]" * 5000 + ")", "nested more than 8 deep"),
        ("uniform(" + "9" * 10_000 + ", 1)", "cannot read a number"),
    ],
)
def test_unusable_numbers_are_one_config_error(text, message):
    kind = "str" if "[a, b]" in str(text) else "float"
    with pytest.raises(ConfigError) as err:
        parse_value(text, "scene.params.x", kind)
    assert str(err.value).startswith("scene.params.x: ") and message in str(err.value)
    assert len(str(err.value)) < 300
