"""What the models of synthgen assist see: the recogniser's standardised crops (either polarity reads
the same), its checkpoint's record of them, and the detector's training items (boxes that move with
the augmented image, no masks decoded unless the model needs them). No training: milliseconds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import synthgen
from synthgen.errors import InputError

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")
ROOT = Path(__file__).resolve().parents[2]


def _ink(rng: np.random.Generator, h: int = 32, w: int = 90) -> np.ndarray:
    """(h, w) 0..1: a few thin dark strokes (the minority) on a light ground."""
    crop = np.ones((h, w))
    for _ in range(6):
        x, y = rng.integers(5, w - 5), rng.integers(6, h - 12)
        crop[y : y + 10, x : x + 2] = 0.0
        crop[y + 8 : y + 10, x : x + 6] = 0.0
    return crop


def test_standardise_reads_either_polarity_and_contrast():
    from synthgen.loop.recognizer import standardise

    rng = np.random.default_rng(0)
    dark = _ink(rng)
    light = 0.2 + 0.5 * (1 - dark)  # light text on a darker, low-contrast ground
    images = torch.zeros((2, 1, 32, 120))
    images[0, 0, :, :90] = torch.from_numpy(dark)
    images[1, 0, :, :90] = torch.from_numpy(light)
    widths = torch.tensor([90, 90])
    out = standardise(images, widths)
    valid = out[:, :, :, :90]
    # the same input whatever the polarity and contrast (up to the 0.01 floor on the deviation)
    assert torch.corrcoef(valid.reshape(2, -1))[0, 1] > 0.9999
    assert torch.allclose(valid.mean((1, 2, 3)), torch.zeros(2), atol=1e-5)
    assert torch.allclose(valid.std((1, 2, 3), unbiased=False), torch.ones(2), atol=0.1)
    assert (out[:, :, :, 90:] == 0).all()  # padding stays 0 (the crop's mean)
    ink = torch.from_numpy(dark == 0)
    assert (valid[0, 0][ink] < 0).all() and (valid[0, 0][~ink] > 0).all()  # text dark


def test_checkpoint_says_how_crops_are_read(tmp_path):
    from synthgen.loop.recognizer import Recognizer, build_crnn, crop_batch, recognizer_from_checkpoint

    data = Recognizer(build_crnn(4), "abc").checkpoint()
    assert data["input"] == "standardised"
    assert recognizer_from_checkpoint(dict(data), tmp_path / "m.pt", "cpu").standardised
    old = {k: v for k, v in data.items() if k != "input"}  # saved before standardise: raw grey
    assert not recognizer_from_checkpoint(old, tmp_path / "m.pt", "cpu").standardised
    with pytest.raises(InputError, match="input 'inverted'; valid: standardised, raw"):
        recognizer_from_checkpoint({**data, "input": "inverted"}, tmp_path / "m.pt", "cpu")
    crop = np.full((16, 40, 3), 200, np.uint8)
    crop[4:12, 10:12] = 20
    raw, frames = crop_batch([crop], standardised=False)
    assert float(raw.max()) == pytest.approx(200 / 255, abs=0.02) and frames.tolist() == [80 // 4]
    std, _ = crop_batch([crop])
    assert float(std.mean()) == pytest.approx(0.0, abs=1e-5) and float(std.min()) < -1


def test_training_items_move_boxes_with_the_image(tmp_path):
    from torchvision.transforms import v2

    from synthgen.loop.detector import _TrainingItems
    from synthgen.torch import DatasetOnDisk

    config = synthgen.load_config(
        ROOT / "configs" / "shapes.yaml",
        ["num_samples=1", "scene.params.width=96", "scene.params.height=64", "scene.params.radius=uniform(8, 16)"],
    )
    synthgen.generate_dataset(config, tmp_path / "d")
    data = DatasetOnDisk(tmp_path / "d")
    sample = data[0]
    visible = [i for i in sample.labels.instances if i.visible]
    flip = v2.Compose([v2.RandomHorizontalFlip(p=1.0), v2.ToDtype(torch.float32, scale=True)])
    image, target = _TrainingItems(data, flip, with_masks=False)[0]
    assert set(target) == {"boxes", "labels"}  # a box detector's item: no mask decoded
    assert torch.allclose(image[:, :, 0], torch.from_numpy(sample.image[:, -1].T.astype(np.float32) / 255))
    expected = [[96 - (x + w), y, 96 - x, y + h] for x, y, w, h in (i.bbox for i in visible)]
    assert np.allclose(target["boxes"].numpy(), expected)
    assert target["labels"].tolist() == [data.label_map.label(i.category) for i in visible]
    _, with_masks = _TrainingItems(data, flip, with_masks=True)[0]
    assert set(with_masks) == {"boxes", "labels", "masks"}
    for mask, box in zip(with_masks["masks"].numpy(), with_masks["boxes"].numpy()):
        ys, xs = np.nonzero(mask)  # the flipped mask's pixels lie inside the flipped box
        assert xs.min() >= box[0] - 1e-3 and xs.max() + 1 <= box[2] + 1e-3
        assert ys.min() >= box[1] - 1e-3 and ys.max() + 1 <= box[3] + 1e-3


def test_weights_that_do_not_fit_the_checkpoints_model_are_one_line(tmp_path):
    """A checkpoint whose weights were saved for another class count or charset: one line naming the
    file and what the weights were meant for, not torch's many-line state-dict report."""
    from synthgen.errors import InputError
    from synthgen.loop.detector import build_model, detector_from_checkpoint
    from synthgen.loop.recognizer import build_crnn, recognizer_from_checkpoint

    path = tmp_path / "model.pt"
    two_classes = build_model("fcos_small", 3, 192).state_dict()
    data = {"arch": "fcos_small", "categories": [[1, "a"], [2, "b"], [3, "c"]], "size": 192}
    with pytest.raises(InputError, match=r"model\.pt: the weights do not fit fcos_small with 3 classes") as err:
        detector_from_checkpoint({**data, "state_dict": two_classes}, path, "cpu")
    assert "\n" not in str(err.value)
    fits = detector_from_checkpoint({**data, "state_dict": build_model("fcos_small", 4, 192).state_dict()}, path, "cpu")
    assert not fits.model.training

    crnn = {"charset": "abc", "state_dict": build_crnn(3).state_dict()}  # 2 characters + blank
    with pytest.raises(InputError, match=r"the weights do not fit a CRNN over 3 characters") as err:
        recognizer_from_checkpoint(crnn, path, "cpu")
    assert "\n" not in str(err.value)
