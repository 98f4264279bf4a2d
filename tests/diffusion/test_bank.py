"""The background bank in batches: image i comes from its own seed whatever batch it is made in.

Batched CPU kernels round differently from unbatched ones (measured: the first linear layer of the
built-in UNet already differs by 2e-7 for the same input in a batch of 4 and alone), so a batched
bank image may differ from the unbatched one by one level on a few pixels (measured: at most 1
level, 4 pixels in 393,216 for 8 built-in images at 128 px and 25 steps; 1-9 pixels in 24,576-98,304
for the tiny pipelines). The tests allow exactly that: one level, on at most 0.1% of the values;
an image made from another image's noise differs almost everywhere."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("diffusers")

from tiny_pipelines import build_tiny_checkpoints  # noqa: E402

from synthgen.diffusion_models.bank import BankSchema, bank_from_config, bank_key, ensure_bank  # noqa: E402
from synthgen.errors import ConfigError  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_checkpoints(tmp_path_factory.mktemp("tiny_sd"))


def bank_images(spec) -> np.ndarray:
    import cv2

    folder = ensure_bank(spec)
    return np.stack([cv2.imread(str(folder / f"{i:05d}.png")) for i in range(spec["count"])])


def assert_same_up_to_rounding(one: np.ndarray, batched: np.ndarray) -> None:
    diff = np.abs(one.astype(np.int16) - batched)
    assert diff.max() <= 1 and np.count_nonzero(diff) <= one.size // 1000


@pytest.mark.slow  # builds two banks with the built-in model
@pytest.mark.parametrize("model", ["builtin", "base"])
def test_batch_of_4_makes_the_images_of_batch_1(tiny, tmp_path, model):
    settings = {"model": "builtin" if model == "builtin" else str(tiny[model]), "size": 32, "steps": 2, "count": 5,
                "dir": str(tmp_path)}  # 5: the last batch of 4 is partial
    one = bank_from_config(BankSchema(**settings, batch_size=1), "bank")
    four = bank_from_config(BankSchema(**settings, batch_size=4), "bank")
    assert bank_key(one) != bank_key(four)  # one level on a pixel may differ: two banks
    a, b = bank_images(one), bank_images(four)
    assert_same_up_to_rounding(a, b)
    for i in range(1, len(a)):  # each image from its own noise, not one stream cut in slices
        assert np.count_nonzero(a[i] != a[0]) > a[0].size // 2


def test_a_bank_made_one_at_a_time_keeps_the_key_it_had_before_batch_size():
    spec = bank_from_config(BankSchema(), "bank")
    assert spec["batch_size"] == 1
    assert bank_key(spec) == bank_key({k: v for k, v in spec.items() if k != "batch_size"})


def test_batch_size_is_checked_at_load():
    with pytest.raises(ConfigError, match=r"^bank\.batch_size: must be in 1\.\.256, got 0$"):
        bank_from_config(BankSchema(batch_size=0), "bank")


@pytest.mark.slow  # builds a bank twice with a tiny checkpoint
def test_a_bank_is_keyed_by_its_checkpoints_weights_not_its_path(tiny, tmp_path, monkeypatch):
    """New weights saved at the same path reused the old bank's images (the key held the path)."""
    import shutil

    from synthgen.diffusion_models import bank
    from synthgen import files

    model = tmp_path / "model"
    shutil.copytree(tiny["base"], model)
    settings = {"model": str(model), "size": 32, "steps": 2, "count": 2, "dir": str(tmp_path / "cache")}
    spec = bank_from_config(BankSchema(**settings), "bank")
    first = bank_images(spec)
    old_key = bank_key(spec)
    hashed = []
    real = files.file_sha256
    monkeypatch.setattr(files, "file_sha256", lambda p: hashed.append(p) or real(p))
    bank._fingerprints.clear()
    assert bank_key(spec) == old_key and hashed == []  # the weights unchanged: the stored hashes serve
    # other weights at the same path (a fine-tuned UNet saved over the old one)
    weights = model / "unet" / "diffusion_pytorch_model.safetensors"
    from safetensors.numpy import load_file, save_file

    tensors = load_file(str(weights))
    save_file({k: v * 1.5 for k, v in tensors.items()}, str(weights))
    new_key = bank_key(spec)
    assert new_key != old_key and [p.name for p in hashed] == [weights.name]  # only the changed file hashed
    second = bank_images(spec)
    assert (tmp_path / "cache" / "banks" / new_key / "bank.json").is_file()
    assert not np.array_equal(first, second)
