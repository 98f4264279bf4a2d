"""The ``synthgen target`` and ``synthgen assist`` subcommands (their parsers and runners)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

TARGET_EXAMPLES = """examples:
  synthgen target out/val --results val_detections.json -o round1.yaml --report out/report
  synthgen target out/crops --results predictions.tsv -o round1.yaml --max-shift 3
  synthgen target out/val --results losses.jsonl -o round1.yaml --map scene.shapes_sampled=scene.params.shapes
  synthgen generate round1.yaml -o out/round1                    the targeted round

results: .json COCO detection results (image_id = sample index), .jsonl one {"index", "correct" |
"error" | "loss" | "score"} a line (add "instance": k for an instance), .tsv 'crop path<TAB>prediction'
with the crop paths of recognition/labels.tsv.
The same inputs give the same config, byte for byte.

"""

ASSIST_EXAMPLES = """examples:
  synthgen assist photos/ --model out/shapes -o prelabels --steps 300        train on a synthgen dataset, then label
  synthgen assist photos/ --model prelabels/model.pt -o prelabels2 --threshold 0.3 --classes disc,square
  synthgen assist photos/ --model out/shapes -o prelabels --format label-studio --device cuda
  synthgen assist word_crops/ --model out/ocr_recognition -o transcribed --steps 2000   train a recogniser, read crops
  synthgen assist out/val/recognition --model transcribed/model.pt -o round0 && \
    synthgen target out/val --results round0/predictions.tsv -o round1.yaml              close the loop

--task auto (the default) trains a recogniser (CRNN, CTC) on an ocr_recognition dataset and a
detector on any other (ocr_wild: a word detector); a checkpoint says its own task.
writes into OUT (a new or empty folder; nothing of yours is replaced): model.pt (when trained),
label_studio.json (predictions with scores, for Label Studio's import: boxes, or a transcription),
coco_cvat.json (COCO with a score per annotation, and the text as an attribute, for CVAT's "COCO
1.0" import), coco_results.json (COCO results); recognising, predictions.tsv (crop path<TAB>text,
every crop: synthgen target --results reads it).

"""


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {value}")
    return value


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def add_target_parser(sub, formatter: type, exit_codes: str, positive: Callable[[str], int]) -> None:
    tg = sub.add_parser(
        "target",
        help="break a model's errors down by the samples' parameters; write a config that draws more of them",
        description="Match a model's results to a synthgen dataset's labels, report the error rate per value of every "
        "recorded parameter (95 % Wilson intervals, largest gaps first) and write a run config whose distributions "
        "are shifted toward the failing values, within --max-shift and --min-weight.",
        epilog=TARGET_EXAMPLES + exit_codes,
        formatter_class=formatter,
    )
    tg.add_argument("dataset", help="the synthgen dataset (or mix split) the results are on")
    tg.add_argument("--results", required=True, help="the model's results: .json, .jsonl or .tsv (see below)")
    tg.add_argument("-o", "--out", required=True, help="the new run config (.yaml)")
    tg.add_argument("--report", help="folder for report.json, report.md and error_by_parameter.png")
    tg.add_argument("--config", help="the run config to shift when the dataset holds none (a mix)")
    tg.add_argument("--seed", type=int, help="the new config's seed (default: the dataset's + 1)")
    tg.add_argument(
        "--max-shift", type=_float, default=2.0, help="no probability moves by more than this factor (default 2)"
    )
    tg.add_argument("--min-weight", type=_float, default=0.02, help="no probability falls below this (default 0.02)")
    tg.add_argument("--strength", type=_float, default=1.0, help="exponent on slice error / overall error (default 1)")
    tg.add_argument("--bins", type=positive, default=5, help="bins of a numeric parameter (default 5)")
    tg.add_argument("--min-count", type=positive, default=10, help="smaller slices neither count nor move (default 10)")
    tg.add_argument("--iou", type=_float, default=0.5, help="detection: IoU of a match (default 0.5)")
    tg.add_argument(
        "--score-threshold", type=_float, default=0.5, help="detection: lower scores left out (default 0.5)"
    )
    tg.add_argument(
        "--max-cer", type=_float, default=0.0, help="recognition: right at most this CER (default 0: exact)"
    )
    tg.add_argument(
        "--quantile", type=_float, default=0.8, help="per-sample loss: failing above this quantile (default 0.8)"
    )
    tg.add_argument("--map", action="append", default=[], metavar="FIELD=KEY", help="recorded field -> config key")
    tg.add_argument("--overwrite", action="store_true", help="replace an existing -o file and report files")


def run_target(args: argparse.Namespace) -> int:
    from synthgen.loop.results import Matching
    from synthgen.loop.shift import Limits
    from synthgen.loop.target import parse_maps, target

    outcome = target(
        args.dataset,
        args.results,
        args.out,
        report=args.report,
        matching=Matching(args.iou, args.score_threshold, args.max_cer, args.quantile),
        limits=Limits(args.max_shift, args.min_weight, args.strength),
        bins=args.bins,
        min_count=args.min_count,
        seed=args.seed,
        maps=parse_maps(args.map),
        config=args.config,
        overwrite=args.overwrite,
    )
    for change in outcome.changes:
        print(f"{change.key}: {change.before} -> {change.after}")
        print(f"  {change.why}")
    print(outcome.line())
    return 0


def add_assist_parser(sub, formatter: type, exit_codes: str, positive: Callable[[str], int]) -> None:
    asg = sub.add_parser(
        "assist",
        help="pre-label real images (boxes, or the text of word crops) with a model trained on synthetic data",
        description="Train a small torchvision detector or a CRNN text recogniser on a synthgen dataset (or load a "
        "checkpoint), run it over a folder of images and write pre-annotations to review: Label Studio predictions, "
        "COCO for CVAT, COCO results (and a recognition TSV).",
        epilog=ASSIST_EXAMPLES + exit_codes,
        formatter_class=formatter,
    )
    asg.add_argument(
        "images", help="folder of images or word crops (.png, .jpg, .jpeg, .bmp, .tif, .webp; searched recursively)"
    )
    asg.add_argument(
        "--model", required=True, help="a synthgen dataset or mix split to train on, or a checkpoint (.pt)"
    )
    asg.add_argument("-o", "--out", required=True, help="output folder (new or empty)")
    asg.add_argument(
        "--task",
        choices=("auto", "detect", "recognize"),
        default="auto",
        help="detect (boxes) or recognize (the text of word crops); auto: the dataset's kind or the checkpoint's",
    )
    asg.add_argument(
        "--format", choices=("all", "label-studio", "coco"), default="all", help="what to write (default all)"
    )
    asg.add_argument("--threshold", type=_probability, default=0.5, help="lowest score written (default 0.5)")
    asg.add_argument("--classes", help="comma-separated category names to keep (default: all; detection)")
    asg.add_argument(
        "--steps", type=positive, default=None, help="training steps (default: 300 detecting, 1000 recognising)"
    )
    asg.add_argument("--batch", type=positive, help="training batch (default: detect 4, recognize 32)")
    asg.add_argument(
        "--size",
        type=positive,
        help="detect: the input's shorter side (default 320); recognize: the widest crop at height 32 (default 512)",
    )
    asg.add_argument("--lr", type=_float, help="learning rate (default: detect 0.01 (SGD), recognize 0.003 (Adam))")
    asg.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    asg.add_argument(
        "--arch",
        default="fcos_small",
        help="torchvision detector to train (default fcos_small; fasterrcnn_small, "
        "fasterrcnn_mobilenet_v3_large_fpn, fasterrcnn_resnet50_fpn, retinanet_resnet50_fpn, ...)",
    )
    asg.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto (default)")
    asg.add_argument("--image-root-url", default="/data/local-files/?d=", help="Label Studio image URL prefix")
    asg.add_argument("--no-progress", action="store_true", help="no progress bar")


def run_assist(args: argparse.Namespace) -> int:
    from synthgen.loop.assist import AssistOptions, assist

    options = AssistOptions(
        task=args.task,
        formats=("label-studio", "coco") if args.format == "all" else (args.format,),
        threshold=args.threshold,
        classes=tuple(c.strip() for c in args.classes.split(",")) if args.classes is not None else None,
        steps=args.steps,
        batch=args.batch,
        size=args.size,
        lr=args.lr,
        seed=args.seed,
        arch=args.arch,
        device=args.device,
        image_root_url=args.image_root_url,
        progress=not args.no_progress,
    )
    outcome = assist(args.images, args.model, args.out, options)
    print(outcome.line())
    return 0
