"""The pattern language: samples match the equivalent regular expression; errors name the key."""

from __future__ import annotations

import re

import numpy as np
import pytest

from synthgen.errors import ConfigError
from synthgen.text.patterns import compile_pattern, format_datetime

REGEX_PATTERNS = [
    "[A-Z]{3}-[0-9]{4}",
    r"\d{2,4}",
    r"[A-HJ-NP-Z]{1,3} \d{1,4}",
    r"(AB|CD|E)[0-9a-f]{2}",
    r"x?y+z*",
    r"[^a-z ]{5}",
    r"\w{3}\.\w",
    r"(\d{3}|[A-Z]{2})-(\d|[xy]){1,2}",
    "plain literal",
    r"[\-\]a]{4}",
    r"0|1|2",
]


@pytest.mark.parametrize("pattern", REGEX_PATTERNS)
def test_samples_match_python_regex(pattern):
    compiled = compile_pattern(pattern, "k")
    rng = np.random.default_rng(0)
    samples = [compiled.sample(rng) for _ in range(200)]
    for s in samples:
        assert re.fullmatch(pattern, s), (pattern, s)
        assert set(s) <= compiled.alphabet()
    assert len(set(samples)) > 1 or pattern == "plain literal"


def test_repetition_counts_cover_the_range():
    compiled = compile_pattern(r"\d{2,4}", "k")
    rng = np.random.default_rng(1)
    assert {len(compiled.sample(rng)) for _ in range(300)} == {2, 3, 4}


def test_named_generators():
    rng = np.random.default_rng(2)
    date = compile_pattern("{date}", "k")
    for _ in range(50):
        assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", date.sample(rng))
    iso = compile_pattern("{date:%Y-%m-%d} {time:%H:%M:%S}", "k")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", iso.sample(rng))
    price = compile_pattern("{price:20}", "k")
    values = [price.sample(rng) for _ in range(100)]
    assert all(re.fullmatch(r"\d{1,2}\.\d{2}", v) and float(v) <= 20.99 for v in values)
    words = compile_pattern("{word}-{int:9}", "k", words=["apple", "pear"])
    assert all(re.fullmatch(r"(apple|pear)-\d", words.sample(rng)) for _ in range(20))
    assert words.alphabet() == frozenset("aplerp-0123456789")
    assert compile_pattern("{date:%d %b %y}", "k").alphabet() >= frozenset("JanDec 09")


def test_same_generator_state_gives_same_strings():
    p = compile_pattern("[A-Z]{3}-{date}", "k")
    a = [p.sample(np.random.default_rng(5)) for _ in range(3)]
    assert a[0] == a[1] == a[2]


def test_format_datetime_is_locale_independent():
    import datetime

    when = datetime.datetime(2021, 3, 7, 14, 5, 9)
    assert format_datetime("%d %b %Y, %H:%M:%S (%y) 100%%", when) == "07 Mar 2021, 14:05:09 (21) 100%"


@pytest.mark.parametrize(
    "pattern, message",
    [
        ("[A-Z", "missing ']'"),
        ("(ab", "missing ')'"),
        ("ab)", "unbalanced ')'"),
        ("{3}", "nothing to repeat"),
        ("+a", "nothing to repeat"),
        ("a{4,2}", "min > max"),
        ("[z-a]", "reversed"),
        (r"\q", "unknown escape"),
        ("{colour}", "unknown generator {colour}"),
        ("{word}", "needs a corpus"),
        ("{date:%Q}", "unknown date field %Q"),
        ("{price:x}", "whole number"),
        ("", "empty"),
        ("ab\\", "lone backslash"),
    ],
)
def test_errors_name_the_key(pattern, message):
    with pytest.raises(ConfigError) as err:
        compile_pattern(pattern, "scene.params.text.patterns[0]")
    assert str(err.value).startswith("scene.params.text.patterns[0]: ")
    assert message in str(err.value)


@pytest.mark.parametrize(
    "pattern, message",
    [
        ("A{100000000}", "repetition count above 1000"),
        ("A{2000}", "above 1000"),
        ("((A{1000}){1000}){1000}", "can produce 1,000,000 characters"),
        ("(A{200})+", "can produce 1,600 characters"),
        ("{date:" + "%Y" * 300 + "}", "can produce 1,200 characters"),
        ("(" * 40 + "A" + ")" * 40, "nested more than 32 deep"),
        ("{int:" + "9" * 5000 + "}", "at most 15 digits"),
        ("A{" + "9" * 5000 + "}", "repetition count above 1000"),
        ("A" * 10_001, "longer than 10,000 characters"),
    ],
)
def test_patterns_that_explode_are_refused_at_compile_time(pattern, message):
    with pytest.raises(ConfigError) as err:
        compile_pattern(pattern, "scene.params.text.patterns[0]")
    assert str(err.value).startswith("scene.params.text.patterns[0]: ") and message in str(err.value)
    assert len(str(err.value)) < 300  # the pattern is quoted cut short


@pytest.mark.parametrize(
    "pattern", ["[A-Z]{3}-[0-9]{4}", "{date:%d %b %Y} {time:%H:%M:%S}", "(ab|c){1,5}x*", "{price:50}", "A{1000}"]
)
def test_max_length_bounds_every_sample(pattern):
    compiled = compile_pattern(pattern, "k")
    rng = np.random.default_rng(0)
    assert max(len(compiled.sample(rng)) for _ in range(200)) <= compiled.root.max_length() <= 1000
