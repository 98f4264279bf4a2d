"""synthgen.torch: streamed samples equal make_sample's (2 DataLoader workers, each index once),
the seeded shuffle buffer, the synthetic-share schedule, detection and recognition batches, a
dataset over a mix split."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import synthgen
from synthgen.torch import (
    DatasetOnDisk,
    SyntheticDataset,
    SyntheticShareSampler,
    buffered_shuffle,
    detection_collate,
    recognition_collate,
    synthetic_share,
)

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["num_samples=7", "scene.params.width=96", "scene.params.height=64", "scene.params.font_size=randint(10, 14)"]


def test_import_synthgen_does_not_import_torch():
    code = "import sys, synthgen, synthgen.mix, synthgen.formats, synthgen.torch; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.strip() == "False", out.stderr


@pytest.mark.slow  # another process without torchvision
def test_without_torchvision_the_streams_work_and_targets_say_what_to_install():
    code = (
        "import sys; sys.modules['torchvision'] = None\n"  # as if not installed
        "import synthgen, synthgen.torch as st\n"
        "config = synthgen.load_config('configs/text_words.yaml', " + repr(SMALL) + ")\n"
        "dataset = st.SyntheticDataset(config, stop=2, transform=lambda s: s.meta['index'], shuffle_buffer=2)\n"
        "print(sorted(dataset), dataset.label_map.num_classes)\n"
        "try:\n"
        "    st.detection_item(synthgen.make_sample(config, 0))\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "[0, 1] 2",
        "synthgen.torch's detection targets need torchvision: pip install 'synthgen-cv[torch]'",
    ]


def _as_pair(sample):
    return sample.meta["index"], sample


def test_synthetic_dataset_two_workers_each_index_once_same_as_make_sample():
    config = synthgen.load_config(ROOT / "configs/text_words.yaml", SMALL)
    dataset = SyntheticDataset(config, transform=_as_pair)
    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=2)
    got = list(loader)
    indices = [i for i, _ in got]
    assert sorted(indices) == list(range(7))
    for index, sample in got:
        expected = synthgen.make_sample(config, index)
        np.testing.assert_array_equal(sample.image, expected.image)
        assert [i.rle for i in sample.labels.instances] == [i.rle for i in expected.labels.instances]
        assert sample.meta == expected.meta
    # the workers took interleaved indices: worker 0 the even ones
    assert [i for i, _ in got[0::2]][:3] == [0, 2, 4] or [i for i, _ in got[1::2]][:3] == [0, 2, 4]


def _index(sample):
    return sample.meta["index"]


def test_shuffle_buffer_is_a_seeded_permutation_the_same_for_any_worker_count():
    config = synthgen.load_config(ROOT / "configs/text_words.yaml", SMALL)
    long = SyntheticDataset(config, stop=60, shuffle_buffer=8, seed=3)
    order = list(long.order())
    assert sorted(order) == list(range(60)) and order != list(range(60))
    assert order == list(SyntheticDataset(config, stop=60, shuffle_buffer=8, seed=3).order())
    assert order != list(SyntheticDataset(config, stop=60, shuffle_buffer=8, seed=4).order())
    # a buffer of 8 holds back at most 8: index i leaves no earlier than position i - 7
    assert all(position >= index - 7 for position, index in enumerate(order))
    long.set_epoch(1)
    assert sorted(long.order()) == list(range(60)) and list(long.order()) != order
    assert list(SyntheticDataset(config, stop=60).order()) == list(range(60))
    assert list(SyntheticDataset(config, stop=60, shuffle_buffer=1, seed=3).order()) == list(range(60))
    assert sorted(SyntheticDataset(config, stop=60, shuffle_buffer=100, seed=3).order()) == list(range(60))

    # the samples themselves, in that order, from 0 and from 2 DataLoader workers
    stream = SyntheticDataset(config, shuffle_buffer=4, transform=_index)  # seed: the config's
    expected = list(stream.order())
    assert expected != list(range(7)) and sorted(expected) == list(range(7))
    assert list(stream) == expected
    loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=2)
    assert list(loader) == expected


def test_buffered_shuffle_and_bad_arguments():
    draws = [list(buffered_shuffle(range(20), 5, np.random.default_rng(s))) for s in (0, 0, 1)]
    assert draws[0] == draws[1] != draws[2] and sorted(draws[2]) == list(range(20))
    assert list(buffered_shuffle(iter([]), 5, np.random.default_rng(0))) == []
    config = synthgen.load_config(ROOT / "configs/text_words.yaml", SMALL)
    with pytest.raises(ValueError, match="shuffle_buffer must be an int >= 0, got -1"):
        SyntheticDataset(config, shuffle_buffer=-1)
    with pytest.raises(ValueError, match="seed must be"):
        SyntheticDataset(config, shuffle_buffer=4, seed=1.5)


def test_schedule_and_sampler_counts_are_exact_and_deterministic():
    assert synthetic_share(0, 5, 0.8, 0.2) == pytest.approx(0.8)
    assert synthetic_share(4, 5, 0.8, 0.2) == pytest.approx(0.2)
    assert synthetic_share(2, 5, 0.8, 0.2) == pytest.approx(0.5)
    synthetic = [True] * 30 + [False] * 10
    sampler = SyntheticShareSampler(synthetic, num_samples=20, start=0.8, end=0.2, epochs=4, seed=1)
    for epoch, expected in enumerate([16, 12, 8, 4]):
        sampler.set_epoch(epoch)
        drawn = list(sampler)
        assert len(drawn) == 20 and sum(synthetic[i] for i in drawn) == expected
        assert drawn == list(sampler)
    sampler.set_epoch(0)
    drawn = list(sampler)
    assert len({i for i in drawn if synthetic[i]}) == 16  # without replacement while the pool lasts


def test_detection_and_recognition_batches():
    config = synthgen.load_config(ROOT / "configs/text_words.yaml", SMALL)
    samples = [synthgen.make_sample(config, i) for i in range(3)]
    images, targets = detection_collate(samples)
    for s, image, target in zip(samples, images, targets):
        assert image.shape == (3, 64, 96) and image.dtype == torch.float32
        visible = [i for i in s.labels.instances if i.visible]
        assert target["boxes"].tolist() == [[x, y, x + w, y + h] for x, y, w, h in (i.bbox for i in visible)]
        assert target["labels"].tolist() == [1] * len(visible)
        assert target["masks"].shape == (len(visible), 64, 96)
        assert (target["masks"].sum((1, 2)) == torch.tensor([i.area for i in visible])).all()
    crops = synthgen.load_config(ROOT / "configs/ocr_recognition.yaml", ["num_samples=4"])
    batch = [synthgen.make_sample(crops, i) for i in range(4)]
    images, widths, texts = recognition_collate(batch, height=32)
    assert images.shape[:3] == (4, 3, 32) and images.shape[3] == int(widths.max())
    assert texts == [
        next(i.extensions["text"].transcription for i in s.labels.instances if "text" in i.extensions) for s in batch
    ]


def test_dataset_on_disk_over_a_mix_split(tmp_path):
    out = tmp_path / "ds"
    synthgen.generate_dataset(synthgen.load_config(ROOT / "configs/text_words.yaml", SMALL), out)
    dataset = DatasetOnDisk(out)
    assert len(dataset) == 7 and all(dataset.synthetic)
    loader = torch.utils.data.DataLoader(dataset, batch_size=3, collate_fn=detection_collate)
    images, targets = next(iter(loader))
    assert len(images) == 3 and targets[0]["image_id"] == 0
