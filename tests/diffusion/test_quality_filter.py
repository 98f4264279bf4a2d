"""The quality filter of the diffusion steps: a draw scoring below the threshold is redrawn, with
seeds derived from the sample's, at most ``tries`` times, the best kept; redraws are counted in
the sample's record and the run's manifest; scorers: a statistic, CLIP, a user's function."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("diffusers")

from label_lock import SMALL, WORDS, assert_labels_locked  # noqa: E402
from tiny_pipelines import build_tiny_checkpoints, build_tiny_clip  # noqa: E402

from synthgen.config import load_run_config  # noqa: E402
from synthgen.engine import generate, make_sample  # noqa: E402
from synthgen.errors import ConfigError  # noqa: E402

pytestmark = pytest.mark.slow  # runs the tiny random-weight pipelines


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny_sd")
    return {**build_tiny_checkpoints(root), "clip": build_tiny_clip(root)}


def inpaint(tiny, *extra: str) -> list[str]:
    return [*SMALL, "generate.g.kind=inpaint_background", f"generate.g.params.model={tiny['inpaint']}",
            "generate.g.params.steps=2", *extra]


def test_a_first_draw_that_passes_is_the_unfiltered_sample(tiny):
    plain = make_sample(load_run_config(WORDS, inpaint(tiny)), 0)
    passed = make_sample(load_run_config(WORDS, inpaint(tiny, "generate.g.params.filter.score=stats",
                                                        "generate.g.params.filter.threshold=0")), 0)
    assert (passed.image == plain.image).all()
    assert passed.meta["generate"]["g"]["filter"]["draws"] == 1
    assert "filter_redrawn" not in passed.meta["dropped"]


def test_below_the_threshold_a_sample_is_redrawn_deterministically_up_to_tries(tiny):
    from synthgen.diffusion.quality import stats_score

    config = load_run_config(WORDS, inpaint(tiny, "generate.g.params.filter.score=stats",
                                            "generate.g.params.filter.threshold=2", "generate.g.params.filter.tries=3"))
    plain = make_sample(load_run_config(WORDS, SMALL), 1)
    first = make_sample(load_run_config(WORDS, inpaint(tiny)), 1)
    sample = make_sample(config, 1)
    record = sample.meta["generate"]["g"]["filter"]
    assert record["draws"] == 3 and sample.meta["dropped"]["filter_redrawn"] == 2
    assert sample.meta["dropped"]["filter_below_threshold"] == 1  # no draw reaches 2: the best is kept
    assert record["score"] >= round(stats_score(first.image, plain.image, (first.image != plain.image).any(axis=2)), 4) - 1e-4
    assert (make_sample(config, 1).image == sample.image).all()  # the redraws' seeds derive from the sample's
    assert_labels_locked(plain, sample)


def test_a_users_scorer_picks_the_best_draw(tiny):
    import scorers

    scorers.CALLS.clear()
    config = load_run_config(WORDS, inpaint(tiny, "generate.g.params.filter.score=scorers:brightness",
                                            "generate.g.params.filter.threshold=1.5", "generate.g.params.filter.tries=4",
                                            "generate.g.params.prompt=a wall"))
    sample = make_sample(config, 2)
    assert len(scorers.CALLS) == 4 and {c[1] for c in scorers.CALLS} == {"a wall"}
    best = max(scorers.CALLS, key=lambda c: c[2])
    assert (sample.image == best[0]).all() and sample.meta["generate"]["g"]["filter"]["score"] == round(best[2], 4)
    assert len({c[2] for c in scorers.CALLS}) > 1  # each draw painted something else


def test_clip_scores_with_a_local_checkpoint(tiny):
    config = load_run_config(WORDS, inpaint(tiny, "generate.g.params.filter.score=clip",
                                            f"generate.g.params.filter.clip_model={tiny['clip']}",
                                            "generate.g.params.filter.threshold=-1"))
    record = make_sample(config, 0).meta["generate"]["g"]["filter"]
    assert record["draws"] == 1 and -1 <= record["score"] <= 1


def test_the_runs_manifest_counts_the_redraws(tiny, tmp_path, capsys):
    from synthgen.cli import main

    out = tmp_path / "out"
    code = main(["generate", str(WORDS), "-o", str(out), "--no-progress", "--num", "2",
                 *inpaint(tiny, "generate.g.params.filter.score=stats", "generate.g.params.filter.threshold=2",
                          "generate.g.params.filter.tries=2")])
    assert code == 0
    counts = json.loads((out / "manifest.json").read_text())["counts"]["dropped"]
    assert counts["filter_redrawn"] == 2 and counts["filter_below_threshold"] == 2
    assert "quality filter" in capsys.readouterr().out + capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "key", "words"),
    [(["generate.g.params.filter.score=no_such_module:f"], "generate.g.params.filter.score", "cannot import no_such_module"),
     (["generate.g.params.filter.score=scorers:missing"], "generate.g.params.filter.score", "scorers has no missing"),
     (["generate.g.params.filter.score=scorers:NOT_A_FUNCTION"], "generate.g.params.filter.score", "is not a function"),
     (["generate.g.params.filter.score=clip"], "generate.g.params.filter.clip_model", "needs a local CLIP folder"),
     (["generate.g.params.filter.tries=0"], "generate.g.params.filter.tries", "")],
)
def test_a_bad_filter_is_refused_at_load(tiny, extra, key, words):
    with pytest.raises(ConfigError) as err:
        load_run_config(WORDS, inpaint(tiny, *extra))
    assert str(err.value).startswith(key) and words in str(err.value) and "\n" not in str(err.value), str(err.value)
