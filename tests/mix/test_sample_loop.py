"""One sample loop: generate, make_sample, mix (its generate sources and its planned samples),
synthgen.torch and regress all make their samples through ``Source.samples`` (by way of
``synthgen.engine.source.stream``), each sample once, in whatever process makes it; and any Source
(here one that counts) runs on the shard producer and in the DataLoader dataset alike."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from coco_sets import mix_yaml, write_coco

from synthgen.config import load_run_config
from synthgen.engine import generate, make_sample
from synthgen.engine.executors import process
from synthgen.engine.shards import ShardJob
from synthgen.engine.source import GeneratedSource, Source
from synthgen.mix import load_mix_config, mix
from synthgen.mix.run import MixedSource
from synthgen.regress.fingerprint import fingerprint_config

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["num_samples=6", "shard_size=2", "scene.params.width=96", "scene.params.height=64",
         "scene.params.font_size=randint(10, 14)"]
MADE = 6
BODY = f"""\
name: loop
seed: 3
shard_size: 3
categories: [car, person, bike, text]
sources:
  real: {{path: real, format: coco}}
  made: {{path: {ROOT / "configs/text_words.yaml"}, format: generate, real: false, count: 4,
          overrides: [num_samples={MADE}, shard_size=2, scene.params.width=96, scene.params.height=64,
                      "scene.params.font_size=randint(10, 14)"]}}
splits: {{val: 0.2, test: 0.2}}
outputs: [coco]
"""


@pytest.fixture
def made(tmp_path, monkeypatch):
    """Every sample a GeneratedSource or a MixedSource makes, in any process (workers are forked
    with the patch in place), as lines ``<class> <index>`` of a log; returns a reader of the log
    (a Counter of (class, index)) that empties it."""
    log = tmp_path / "made.log"

    def counting(cls):
        original = cls.samples

        def samples(self, indices, ctx=None):
            for sample in original(self, indices, ctx):
                with open(log, "a") as f:
                    f.write(f"{cls.__name__} {sample.meta['index']}\n")
                yield sample

        monkeypatch.setattr(cls, "samples", samples)

    counting(GeneratedSource)
    counting(MixedSource)

    def read() -> Counter:
        lines = log.read_text().split("\n") if log.exists() else []
        log.unlink(missing_ok=True)
        return Counter(tuple((kind, int(i))) for kind, i in (line.split() for line in lines if line))

    return read


def once(kind: str, indices) -> Counter:
    return Counter((kind, i) for i in indices)


@pytest.fixture
def config():
    return load_run_config(ROOT / "configs/text_words.yaml", SMALL)


def test_generate_and_make_sample_go_through_the_source(tmp_path, made, config):
    generate(config, tmp_path / "w2", workers=2, progress=False)
    assert made() == once("GeneratedSource", range(6))
    make_sample(config, 3)
    assert made() == once("GeneratedSource", [3])


def test_regress_goes_through_the_source(made, config):
    one = fingerprint_config(config, num=3)
    assert made() == once("GeneratedSource", range(3))
    two = fingerprint_config(config, num=3, workers=2)
    assert made() == once("GeneratedSource", range(3))
    assert [s.pixel_hash for s in one.samples] == [s.pixel_hash for s in two.samples]


def test_torch_goes_through_the_source(made, config):
    torch = pytest.importorskip("torch")
    from synthgen.torch import SyntheticDataset

    loader = torch.utils.data.DataLoader(SyntheticDataset(config), batch_size=None, num_workers=2,
                                         collate_fn=lambda s: s)
    streamed = list(loader)
    assert made() == once("GeneratedSource", range(6))
    assert [s.meta["index"] for s in streamed] == list(range(6))


@pytest.mark.slow  # a mix end to end
def test_mix_goes_through_the_source(tmp_path, made):
    write_coco(tmp_path / "real", [["car"]] * 10, tag=1)
    mix_yaml(tmp_path, BODY)
    summary = mix(load_mix_config(tmp_path / "mix.yaml"), tmp_path / "out", progress=False, workers=2)
    counts = made()
    # the generate source's samples once each, and every split's samples once each (their split
    # indices: 0.. in each split)
    generated = Counter({k: v for k, v in counts.items() if k[0] == "GeneratedSource"})
    assert generated == once("GeneratedSource", range(MADE))
    mixed = sorted(i for kind, i in counts.elements() if kind == "MixedSource")
    assert mixed == sorted(i for n in summary.counts.values() for i in range(n))


class CountingSource:
    """A Source of plain images whose pixels are their index; writes each index it makes to a log."""

    fork_safe = True
    context_key = "counting"

    def __init__(self, categories, n: int, log: Path):
        self.categories, self.n, self.log, self.seed = categories, n, log, 0

    def __len__(self) -> int:
        return self.n

    def make_context(self):
        from synthgen.engine.context import NoResources

        return NoResources()

    def samples(self, indices, ctx):
        from synthgen.types import Labels, Sample

        for index in indices:
            with open(self.log, "a") as f:
                f.write(f"{os.getpid()} {index}\n")
            image = np.full((8, 8, 3), index, np.uint8)
            yield Sample(image, Labels((), self.categories), {"index": index, "source": "counting"})


def test_any_source_runs_on_the_shard_producer_and_in_the_dataloader(tmp_path, config):
    log = tmp_path / "counting.log"
    source = CountingSource(config.categories, 8, log)
    assert isinstance(source, Source)
    jobs = (ShardJob(config, str(tmp_path / "out"), k, 2 * k, 2, source) for k in range(4))
    produced = list(process(jobs, 2))
    assert [p.shard for p in produced] == [0, 1, 2, 3] and sum(p.count for p in produced) == 8
    indices = [int(line.split()[1]) for line in log.read_text().split("\n") if line]
    assert sorted(indices) == list(range(8))
    makers = {int(line.split()[0]) for line in log.read_text().split("\n") if line}
    # the pool's workers made them, not this process (which worker takes which shard is the pool's business)
    assert makers and os.getpid() not in makers
    log.unlink()

    torch = pytest.importorskip("torch")
    from synthgen.torch import SyntheticDataset

    dataset = SyntheticDataset(source, start=2, stop=6)
    batches = list(torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=2, collate_fn=lambda s: s))
    assert [int(s.image[0, 0, 0]) for s in batches] == [2, 3, 4, 5]
    assert sorted(int(line.split()[1]) for line in log.read_text().split("\n") if line) == [2, 3, 4, 5]


def test_an_index_outside_a_source_is_refused_not_wrapped(tmp_path):
    from synthgen.engine.source import DatasetSource

    write_coco(tmp_path / "real", [["car"]] * 3, tag=1)
    source = DatasetSource.read(tmp_path / "real", "coco")
    assert len(source) == 3 and [s.image.shape for s in source.samples([2, 0])] == [(24, 32, 3)] * 2
    with pytest.raises(IndexError, match="index -1 is not in the dataset's 0..2"):
        next(source.samples([-1]))
    with pytest.raises(IndexError, match="index 3 is not in the dataset's 0..2"):
        next(source.samples([3]))
