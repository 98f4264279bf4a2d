#!/usr/bin/env python
"""Train a small CRNN text recogniser for a few minutes on streamed synthetic crops mixed with a
real recognition set, and report word accuracy and character error rate on held-out real crops.

The synthetic crops are made on the fly by ``synthgen.torch.SyntheticDataset`` over
``configs/ocr_recognition.yaml`` (a DataLoader worker; nothing written to disk). The real set is
read by a reader (``recognition``: a labels.tsv folder, or ``recognition_lmdb``); a seeded 20 %
of it is held out. Each batch takes ``--synthetic-share`` of its crops from the stream and the
rest from the real training crops. ``--compare`` also trains on the real crops alone, with the
same time budget, for the baseline.

    synthgen generate configs/ocr_recognition.yaml -o out/real_crops --num 800 --seed 99 \\
        scene.params.text.source=word scene.params.text.words=1 scene.params.max_width=160   # stand-in for a real set
    python scripts/train_recognizer.py --real out/real_crops/recognition --minutes 11 --compare

Without ``--real``, the script makes that stand-in set itself in --work.
"""

from __future__ import annotations

import argparse
import string
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORDS = ["scene.params.text.source=word", "scene.params.text.words=1", "scene.params.max_width=160"]
MAX_WIDTH = 160
# the model, its CTC coding and the CER are synthgen assist's (synthgen/loop/recognizer.py)
from synthgen.loop.recognizer import build_crnn, decode, encode, frames_of, grey, standardise  # noqa: E402
from synthgen.loop.results import edit_distance  # noqa: E402


def evaluate(model, samples, charset, batch=64):
    import torch

    from synthgen.torch import recognition_collate

    model.eval()
    correct = errors = chars = 0
    with torch.no_grad():
        for i in range(0, len(samples), batch):
            images, widths, texts = recognition_collate(samples[i : i + batch], max_width=MAX_WIDTH)
            inputs = standardise(grey(images), widths)
            for (pred, _), text in zip(decode(model(inputs), charset, frames_of(widths)), texts):
                correct += pred == text
                errors += edit_distance(pred, text)
                chars += len(text)
    model.train()
    return correct / len(samples), errors / max(chars, 1)


def train(real_train, held_out, charset, minutes: float, share: float, seed: int, stream_config, batch: int = 32):
    import torch

    from synthgen.torch import SyntheticDataset, recognition_collate

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = build_crnn(len(charset) + 1)
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    stream = None
    if share > 0:
        dataset = SyntheticDataset(stream_config)
        stream = iter(torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=1, prefetch_factor=64))
    n_syn = round(share * batch)
    steps, seen_syn, start = 0, 0, time.perf_counter()
    while time.perf_counter() - start < minutes * 60:
        samples = [next(stream) for _ in range(n_syn)] if stream is not None else []
        samples += [real_train[i] for i in rng.integers(0, len(real_train), batch - len(samples))]
        seen_syn += n_syn
        images, widths, texts = recognition_collate(samples, max_width=MAX_WIDTH)
        log_probs = model(standardise(grey(images), widths))
        targets, lengths = encode(texts, charset)
        loss = ctc(log_probs, targets, frames_of(widths), lengths)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        steps += 1
        if steps % 100 == 0:
            print(f"  step {steps}: loss {loss.item():.3f}", flush=True)
    accuracy, cer = evaluate(model, held_out, charset)
    return {"steps": steps, "synthetic_seen": seen_syn, "accuracy": accuracy, "cer": cer}


def stand_in_real_set(work: Path) -> Path:
    from synthgen.config import load_run_config
    from synthgen.engine import generate

    out = work / "real_crops"
    config = load_run_config(ROOT / "configs/ocr_recognition.yaml", ["num_samples=800", "seed=99", *WORDS])
    generate(config, out, workers=2, progress=False)
    return out / "recognition"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--real", help="a real recognition set (labels.tsv folder or LMDB); default: a stand-in made in --work"
    )
    parser.add_argument("--real-format", default="recognition", help="recognition or recognition_lmdb")
    parser.add_argument("--minutes", type=float, default=11.0, help="training time of each run")
    parser.add_argument(
        "--synthetic-share", type=float, default=0.5, help="share of each batch from the synthetic stream"
    )
    parser.add_argument("--compare", action="store_true", help="also train on the real crops alone (same time)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the training loop")
    parser.add_argument("--work", default="out/train_recognizer")
    args = parser.parse_args()

    import torch

    from synthgen.config import load_run_config
    from synthgen.formats import READERS
    from synthgen.formats.base import ReadOptions

    torch.set_num_threads(args.threads)
    work = Path(args.work)
    real_path = Path(args.real) if args.real else stand_in_real_set(work)
    result = READERS.get(args.real_format).read(real_path, ReadOptions())
    samples = [lazy.materialize() for lazy in result.samples]  # crops are small: decode once
    order = np.random.default_rng(args.seed).permutation(len(samples))
    n_held = max(1, len(samples) // 5)
    held_out = [samples[i] for i in order[:n_held]]
    real_train = [samples[i] for i in order[n_held:]]
    texts = [i.extensions["text"].transcription for s in samples for i in s.labels.instances if "text" in i.extensions]
    charset = "".join(sorted(set(string.ascii_letters + string.digits + string.punctuation) | set("".join(texts))))
    stream_config = load_run_config(ROOT / "configs/ocr_recognition.yaml", ["num_samples=10000000", "seed=1", *WORDS])
    print(f"real set: {len(samples)} crops from {real_path} ({len(real_train)} train, {len(held_out)} held out)")
    runs = [(f"real + synthetic stream ({args.synthetic_share:.0%} of each batch)", args.synthetic_share)]
    if args.compare:
        runs.append(("real only", 0.0))
    for label, share in runs:
        print(f"training: {label}, {args.minutes} min")
        r = train(real_train, held_out, charset, args.minutes, share, args.seed, stream_config)
        print(
            f"{label}: {r['steps']} steps, {r['synthetic_seen']} synthetic crops seen; "
            f"held-out word accuracy {r['accuracy']:.1%}, CER {r['cer']:.1%}"
        )


if __name__ == "__main__":
    main()
