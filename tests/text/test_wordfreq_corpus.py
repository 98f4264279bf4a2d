"""corpus.wordfreq (an optional extra): the top-N words of a language from the wordfreq package,
sampled uniformly or by frequency; bad values and a missing package name their key."""

from __future__ import annotations

import builtins
import importlib.util
from collections import Counter

import numpy as np
import pytest
from ocr_helpers import ocr_config

from synthgen.engine import make_sample
from synthgen.errors import ConfigError
from synthgen.text import corpus
from synthgen.text.corpus import CorpusSettings, corpus_sampler, draw_word, wordfreq_words

needs_wordfreq = pytest.mark.skipif(
    importlib.util.find_spec("wordfreq") is None, reason="wordfreq not installed (pip install 'synthgen-cv[wordfreq]')"
)


@pytest.mark.slow  # reads wordfreq's lists
@needs_wordfreq
def test_top_words_come_with_their_frequencies_most_frequent_first():
    import wordfreq

    words = wordfreq_words("en", 2000, "corpus")
    assert len(words) == 2000 and words[0][0] == "the"
    freqs = [f for _, f in words]
    assert freqs == sorted(freqs, reverse=True)
    for w, f in words[:50]:  # the package's own figure, to its centibel rounding
        assert f == pytest.approx(wordfreq.word_frequency(w, "en"), rel=0.03)
    assert all(any(c.isalpha() for c in w) and not any(c.isdigit() for c in w) for w, _ in words)
    assert "don't" in dict(words)  # contractions stay


@needs_wordfreq
def test_frequency_sampling_follows_the_frequencies():
    p = CorpusSettings(builtin=False, wordfreq="en", top=5000, sampling="frequency", temperature=1)
    words = tuple(w for w, _ in wordfreq_words("en", 5000, "corpus"))
    cumulative = corpus_sampler(p, words, "corpus")
    rng = np.random.default_rng(0)
    drawn = Counter(draw_word(words, cumulative, rng) for _ in range(20000))
    table = dict(wordfreq_words("en", 5000, "corpus"))
    share_the = table["the"] / sum(table.values())
    assert drawn["the"] / 20000 == pytest.approx(share_the, rel=0.1)
    assert drawn["the"] > 20 * max(drawn[w] for w in words[-1000:])
    # uniform sampling draws exactly as the scenes did before (one integer per word)
    rng_a, rng_b = np.random.default_rng(1), np.random.default_rng(1)
    uniform = corpus_sampler(CorpusSettings(wordfreq="en", sampling="uniform"), words, "corpus")
    assert uniform is None
    before = [words[int(rng_b.integers(len(words)))] for _ in range(5)]
    assert [draw_word(words, None, rng_a) for _ in range(5)] == before


@needs_wordfreq
def test_recognition_and_wild_draw_from_wordfreq(tmp_path):
    corpus = {"builtin": False, "wordfreq": "en", "top": 3000, "sampling": "frequency", "case": "lower"}
    cfg = ocr_config(tmp_path, "recognition", {"corpus": corpus, "text": {"source": "word", "words": 1}})
    known = set(w for w, _ in wordfreq_words("en", 3000, "corpus"))
    texts = [make_sample(cfg, i).labels.instances[0].extensions["text"].transcription for i in range(40)]
    assert all(t in known for t in texts)
    assert len(set(texts)) < len(texts)  # frequent words come again
    cfg = ocr_config(tmp_path, "wild", {"corpus": {"builtin": False, "wordfreq": "de", "top": 2000, "case": "lower"}})
    german = set(w for w, _ in wordfreq_words("de", 2000, "corpus"))
    words = [i.extensions["text"].transcription for i in make_sample(cfg, 0).labels.instances if i.category == "word"]
    assert words and all(w in german for w in words)


@needs_wordfreq
def test_charset_filters_wordfreq_words(tmp_path):
    corpus = {"builtin": False, "wordfreq": "en", "top": 3000}
    cfg = ocr_config(tmp_path, "recognition", {"corpus": corpus, "text": {"source": "word", "charset": "upper"}})
    assert cfg.scene.settings.corpus_words and all(w.isupper() and w.isalpha() for w in cfg.scene.settings.corpus_words)


@needs_wordfreq
@pytest.mark.parametrize(
    "scene, corpus, key",
    [
        ("recognition", {"wordfreq": "xx"}, "scene.params.corpus.wordfreq"),
        ("recognition", {"wordfreq": "en", "top": 0}, "scene.params.corpus.top"),
        ("recognition", {"sampling": "zipf"}, "scene.params.corpus.sampling"),
        ("recognition", {"temperature": 0}, "scene.params.corpus.temperature"),
        ("document", {"temperature": -1}, "scene.params.corpus.temperature"),
    ],
)
def test_bad_corpus_values_name_their_key(tmp_path, scene, corpus, key):
    params = {"corpus": corpus}
    if scene == "recognition":
        params["text"] = {"source": "word"}
    with pytest.raises(ConfigError) as err:
        ocr_config(tmp_path, scene, params)
    assert str(err.value).startswith(key + ": ") and "\n" not in str(err.value), str(err.value)


def test_a_missing_wordfreq_says_what_to_install(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_wordfreq(name, *args, **kwargs):
        if name == "wordfreq":
            raise ImportError("No module named 'wordfreq'")
        return real_import(name, *args, **kwargs)

    corpus._wordfreq_top.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_wordfreq)
    with pytest.raises(ConfigError) as err:
        ocr_config(tmp_path, "recognition", {"corpus": {"wordfreq": "en"}, "text": {"source": "word"}})
    assert str(err.value).startswith("scene.params.corpus.wordfreq: needs the wordfreq package: pip install")
    corpus._wordfreq_top.cache_clear()
