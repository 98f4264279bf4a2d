"""``synthgen assist``: pre-label a folder of real images with a model trained on synthetic data.

Two tasks: ``detect`` (a torchvision detector: boxes, from a shapes, driving or text-detection
dataset such as ``ocr_wild``) and ``recognize`` (a CRNN: the text of word crops, from an
``ocr_recognition`` dataset). ``--task auto`` takes the dataset's kind or the checkpoint's task.
Writes into a new (or empty) OUT, so that nothing of the user's is replaced:

- ``label_studio.json``: Label Studio tasks with ``predictions`` (``rectanglelabels`` in percent of
  the image, or a ``textarea`` transcription; a score per result and per prediction), for its JSON
  import; the label config it expects is ``label_studio_config.xml``.
- ``coco_cvat.json``: COCO instances with a ``score`` and ``attributes.score`` per annotation (and
  ``attributes.text``, recognising), for CVAT's "COCO 1.0" import (and any COCO tool).
- ``coco_results.json``: COCO detection results (``image_id`` as in ``coco_cvat.json``).
- ``predictions.tsv`` (recognising): ``crop path<TAB>text`` of every crop, for ``synthgen target``.
- ``model.pt``: the checkpoint, when ``--model`` named a dataset to train on.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthgen.errors import InputError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
MAX_IMAGES = 1_000_000
FILES = {
    "label-studio": ("label_studio.json", "label_studio_config.xml"),
    "coco": ("coco_cvat.json", "coco_results.json"),
}
MODEL_FILE = "model.pt"
TASK_CHOICES = ("auto", "detect", "recognize")


@dataclass(frozen=True)
class AssistOptions:
    """Options of ``assist`` (the CLI's, with its defaults).

    Args:
        task: ``detect``, ``recognize`` or ``auto`` (default: the dataset's kind, the checkpoint's task).
        formats: ``label-studio`` and / or ``coco`` (recognising, ``predictions.tsv`` is always written).
        threshold: lowest score written, 0..1 (default 0.5).
        classes: category names to keep (None: all; detection only).
        steps, batch, size, lr, seed, arch: training, when ``model`` is a dataset (see ``Training`` and
            ``RecognizerTraining``); steps, batch, size and lr None take the task's defaults (detect:
            300 steps, 4, 320, 0.01; recognize: 1000 steps, 32, 512 (the widest crop after resizing to
            height 32), 0.003). A recogniser needs the longer run: at 300 steps it reads ~12 % of
            held-out crops exactly, at 1000 steps 61 % (README, Pre-labelling).
        device: ``cpu``, ``cuda[:N]`` or ``auto``.
        image_root_url: prefix of Label Studio's image URLs (its local-files serving by default).
        progress: progress on stderr.
    """

    task: str = "auto"
    formats: tuple[str, ...] = ("label-studio", "coco")
    threshold: float = 0.5
    classes: tuple[str, ...] | None = None
    steps: int | None = None
    batch: int | None = None
    size: int | None = None
    lr: float | None = None
    seed: int = 0
    arch: str = "fcos_small"
    device: str = "auto"
    image_root_url: str = "/data/local-files/?d="
    progress: bool = True

    def check(self) -> None:
        if self.task not in TASK_CHOICES:
            raise InputError(f"--task: {self.task!r}; valid: {', '.join(TASK_CHOICES)}")
        if not 0.0 <= self.threshold <= 1.0:
            raise InputError(f"--threshold: must be in [0, 1], got {self.threshold}")
        unknown = [f for f in self.formats if f not in FILES]
        if unknown or not self.formats:
            raise InputError(f"--format: {unknown[0] if unknown else '(none)'!r}; valid: label-studio, coco")
        if self.classes is not None and (not self.classes or not all(self.classes)):
            raise InputError("--classes: give comma-separated category names, none empty")

    def detector_training(self):
        from synthgen.loop.detector import Training

        return Training(self.steps or 300, self.batch or 4, self.size or 320, self.lr or 0.01, self.seed, self.arch)

    def recognizer_training(self):
        from synthgen.loop.recognizer import RecognizerTraining

        return RecognizerTraining(self.steps or 1000, self.batch or 32, self.lr or 0.003, self.seed, self.size or 512)


@dataclass(frozen=True)
class PredictedBox:
    """One detection kept for the pre-annotations.

    Attributes:
        category_id, name: the model's category.
        score: the detector's score, rounded to 4 decimals.
        bbox: (x, y, w, h) in pixels, clipped to the image, rounded to 2 decimals.
    """

    category_id: int
    name: str
    score: float
    bbox: tuple[float, float, float, float]


@dataclass(frozen=True)
class Prediction:
    """The detections kept on one image, and its size."""

    width: int
    height: int
    boxes: tuple[PredictedBox, ...]


@dataclass(frozen=True)
class AssistOutcome:
    """What ``assist`` did: images read, results written (boxes or transcriptions), files, whether it trained."""

    images: int
    boxes: int
    files: list[Path]
    trained: bool
    task: str = "detect"

    def line(self) -> str:
        how = "trained and " if self.trained else ""
        what = "boxes" if self.task == "detect" else "transcriptions"
        return f"{how}pre-labelled {self.images} images, {self.boxes} {what} -> {', '.join(str(f) for f in self.files)}"


def list_images(folder: Path) -> list[Path]:
    """The images under ``folder`` (recursively, sorted); InputError when there are none."""
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of images")
    found = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not found:
        raise InputError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)})")
    if len(found) > MAX_IMAGES:
        raise InputError(f"{folder}: more than {MAX_IMAGES} images")
    return found


def read_image(path: Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB; InputError for a file that does not decode."""
    import cv2

    data = np.fromfile(path, np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise InputError(f"{path}: not a readable image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _check_out(out: Path, images: Path) -> None:
    from synthgen.paths import check_output_dir

    check_output_dir(out, "-o")
    if out.exists() and any(out.iterdir()):
        raise InputError(f"-o: {out} is not empty; assist writes only into a new or empty folder")
    if out.resolve() == images.resolve():
        raise InputError(f"-o: {out} is the images folder")


def dataset_task(path: Path) -> str:
    """``recognize`` for a dataset of text crops (an ``ocr_recognition`` run, or a mix whose first
    sample is one: a text instance whose word quad is the whole image), else ``detect``."""
    try:
        manifest = json.loads((path / "manifest.json").read_bytes())
    except (OSError, ValueError, RecursionError):
        raise InputError(f"--model: {path / 'manifest.json'}: not a readable synthgen manifest") from None
    config = manifest.get("config") if isinstance(manifest, dict) else None
    scene = config.get("scene") if isinstance(config, dict) else None
    if isinstance(scene, dict) and isinstance(scene.get("kind"), str):
        return "recognize" if scene["kind"] == "ocr_recognition" else "detect"
    from synthgen.engine.source import DatasetSource
    from synthgen.records import instance_views

    source = DatasetSource.read(path)
    if len(source) == 0:
        return "detect"
    record = source.lazy[0].full_record()
    whole = np.array([[0, 0], [record["width"], 0], [record["width"], record["height"]], [0, record["height"]]])
    for inst in instance_views(record):
        text = inst.extensions.get("text")  # the text domain's label (a word's record)
        if text is not None and text.quad is not None:
            quad = np.asarray(text.quad, dtype=float).reshape(4, 2)
            return "recognize" if np.allclose(quad, whole, atol=0.5) else "detect"
    return "detect"


def assist(
    images: str | Path, model: str | Path, out: str | Path, options: AssistOptions = AssistOptions()
) -> AssistOutcome:
    """Train (or load) a detector or recogniser and write pre-annotations of ``images`` into ``out``.

    Args:
        images: the folder of images (word crops, recognising).
        model: a synthgen dataset (or mix split) to train on, or a checkpoint file.
        out: a new or empty folder.
        options: see AssistOptions.

    Returns:
        An AssistOutcome (counts and the files written).
    """
    from synthgen.loop.training import checkpoint_task, read_checkpoint, resolve_device

    images, model, out = Path(images), Path(model), Path(out)
    options.check()
    files = list_images(images)
    _check_out(out, images)
    checkpoint = None
    if model.is_dir():
        if not (model / "manifest.json").is_file():
            raise InputError(f"--model: {model}: not a synthgen dataset (no manifest.json) nor a checkpoint file")
        task = dataset_task(model)
        if options.task == "recognize" and task != "recognize":
            raise InputError(
                f"--task recognize: {model} is not a dataset of text crops (a recogniser trains on ocr_recognition)"
            )
        task = options.task if options.task != "auto" else task
        (options.recognizer_training() if task == "recognize" else options.detector_training()).check()
    elif not model.is_file():
        raise InputError(f"--model: {model}: no such dataset or checkpoint")
    device = resolve_device(options.device)
    if not model.is_dir():
        checkpoint = read_checkpoint(model, device)
        task = checkpoint_task(checkpoint)
        if options.task not in ("auto", task):
            raise InputError(f"--task {options.task}: {model} is a {task} checkpoint")
    rel = [f.relative_to(images).as_posix() for f in files]
    if task == "recognize":
        bad = next((r for r in rel if any(c in r for c in "\t\n\r")), None)
        if bad is not None:
            raise InputError(f"{images}: {bad!r}: a name with a tab or line break, which predictions.tsv cannot store")
        if options.classes is not None:
            raise InputError("--classes: a recogniser has no classes to choose from (detection only)")
        return _assist_recognize(files, rel, model, checkpoint, out, device, options)
    return _assist_detect(files, rel, model, checkpoint, out, device, options)


def _assist_detect(
    files, rel, model: Path, checkpoint, out: Path, device: str, options: AssistOptions
) -> AssistOutcome:
    from synthgen.loop.detector import detector_from_checkpoint, train_detector

    written: list[Path] = []
    if checkpoint is None:  # OUT is made with the first checkpoint, once the dataset has passed its checks
        detector = train_detector(model, options.detector_training(), device, out / MODEL_FILE, options.progress)
        written.append(out / MODEL_FILE)
    else:
        detector = detector_from_checkpoint(checkpoint, model, device)
    names = [name for _, name in detector.categories]
    if options.classes is not None:
        unknown = [c for c in options.classes if c not in names]
        if unknown:
            raise InputError(f"--classes: {unknown[0]!r} is not one of the model's classes ({', '.join(names)})")
    keep = set(options.classes) if options.classes is not None else set(names)
    predictions = _predict(detector, files, device, options.threshold, keep, options.progress)
    out.mkdir(parents=True, exist_ok=True)
    if "coco" in options.formats:
        cvat, results = coco_files(rel, predictions, detector.categories)
        written += [_write_json(out / "coco_cvat.json", cvat), _write_json(out / "coco_results.json", results)]
    if "label-studio" in options.formats:
        tasks = label_studio_tasks(rel, predictions, options.image_root_url, f"synthgen-assist {detector.arch}")
        written.append(_write_json(out / "label_studio.json", tasks))
        written.append(_write_text(out / "label_studio_config.xml", label_studio_config(names)))
    boxes = sum(len(p.boxes) for p in predictions)
    return AssistOutcome(len(files), boxes, written, checkpoint is None, "detect")


def _assist_recognize(
    files, rel, model: Path, checkpoint, out: Path, device: str, options: AssistOptions
) -> AssistOutcome:
    from synthgen.engine.progress import progress_bar
    from synthgen.loop import transcriptions as tx
    from synthgen.loop.recognizer import ARCH, recognize, recognizer_from_checkpoint, train_recognizer

    written: list[Path] = []
    if checkpoint is None:  # OUT is made with the first checkpoint, once the dataset has passed its checks
        recognizer = train_recognizer(model, options.recognizer_training(), device, out / MODEL_FILE, options.progress)
        written.append(out / MODEL_FILE)
    else:
        recognizer = recognizer_from_checkpoint(checkpoint, model, device)
    read: list[tx.Transcription] = []
    with progress_bar("assist", len(files), 0, options.progress) as bar:
        for path in files:
            crop = read_image(path)
            # one crop at a time: a crop's text does not depend on which others share its batch
            [(text, score)] = recognize(recognizer, [crop], device)
            read.append(tx.Transcription(crop.shape[1], crop.shape[0], text, round(score, 4)))
            bar.update(1)
    out.mkdir(parents=True, exist_ok=True)
    kept = sum(t.score >= options.threshold for t in read)
    if "coco" in options.formats:
        cvat, results = tx.coco_text_files(rel, read, options.threshold)
        written += [_write_json(out / "coco_cvat.json", cvat), _write_json(out / "coco_results.json", results)]
    if "label-studio" in options.formats:
        version = f"synthgen-assist {ARCH}"
        tasks = tx.label_studio_text_tasks(rel, read, options.image_root_url, version, options.threshold)
        written.append(_write_json(out / "label_studio.json", tasks))
        written.append(_write_text(out / "label_studio_config.xml", tx.label_studio_text_config()))
    written.append(_write_text(out / "predictions.tsv", tx.predictions_tsv(rel, read)))
    return AssistOutcome(len(files), kept, written, checkpoint is None, "recognize")


def _predict(
    detector, files: list[Path], device: str, threshold: float, keep: set[str], progress: bool
) -> list[Prediction]:
    from synthgen.engine.progress import progress_bar
    from synthgen.loop.detector import detect

    out = []
    with progress_bar("assist", len(files), 0, progress) as bar:
        for path in files:
            image = read_image(path)
            h, w = image.shape[:2]
            boxes = []
            for label, score, (x0, y0, x1, y1) in detect(detector, image, device):
                cat_id, name = detector.categories[label - 1]
                if score >= threshold and name in keep:
                    x0, y0 = max(0.0, x0), max(0.0, y0)
                    x1, y1 = min(float(w), x1), min(float(h), y1)
                    if x1 > x0 and y1 > y0:
                        bbox = (round(x0, 2), round(y0, 2), round(x1 - x0, 2), round(y1 - y0, 2))
                        boxes.append(PredictedBox(cat_id, name, round(score, 4), bbox))
            out.append(Prediction(w, h, tuple(boxes)))
            bar.update(1)
    return out


def coco_files(
    rel: list[str], predictions: list[Prediction], categories
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(COCO instances with scores, for CVAT; COCO detection results) of the predictions."""
    images, annotations, results = [], [], []
    for n, (name, pred) in enumerate(zip(rel, predictions), start=1):
        images.append({"id": n, "file_name": name, "width": pred.width, "height": pred.height})
        for box in pred.boxes:
            _, _, bw, bh = box.bbox
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": n,
                    "category_id": box.category_id,
                    "bbox": list(box.bbox),
                    "area": round(bw * bh, 2),
                    "segmentation": [],  # CVAT (datumaro) makes a box of an annotation without a polygon
                    "iscrowd": 0,
                    "score": box.score,
                    "attributes": {"score": box.score, "occluded": False},
                }
            )
            results.append({"image_id": n, "category_id": box.category_id, "bbox": list(box.bbox), "score": box.score})
    cats = [{"id": i, "name": name, "supercategory": ""} for i, name in categories]
    cvat = {
        "info": {"description": "synthgen assist pre-annotations (review before use)"},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": cats,
    }
    return cvat, results


def label_studio_tasks(
    rel: list[str], predictions: list[Prediction], root_url: str, version: str
) -> list[dict[str, Any]]:
    """Label Studio import tasks: one per image, its boxes as a prediction (percent coordinates)."""
    tasks = []
    for n, (name, pred) in enumerate(zip(rel, predictions), start=1):
        w, h = pred.width, pred.height
        result = []
        for k, box in enumerate(pred.boxes):
            x, y, bw, bh = box.bbox
            result.append(
                {
                    "id": f"{n}_{k}",
                    "type": "rectanglelabels",
                    "from_name": "label",
                    "to_name": "image",
                    "original_width": w,
                    "original_height": h,
                    "image_rotation": 0,
                    "score": box.score,
                    "value": {
                        "x": 100 * x / w,
                        "y": 100 * y / h,
                        "width": 100 * bw / w,
                        "height": 100 * bh / h,
                        "rotation": 0,
                        "rectanglelabels": [box.name],
                    },
                }
            )
        score = float(np.mean([b.score for b in pred.boxes])) if pred.boxes else 0.0
        tasks.append(
            {
                "id": n,
                "data": {"image": f"{root_url}{name}"},
                "predictions": [{"model_version": version, "score": round(score, 4), "result": result}],
            }
        )
    return tasks


def label_studio_config(names: list[str]) -> str:
    """The labelling config the tasks' ``from_name``/``to_name`` refer to."""
    from xml.sax.saxutils import quoteattr

    labels = "\n".join(f"    <Label value={quoteattr(n)}/>" for n in names)
    return (
        '<View>\n  <Image name="image" value="$image"/>\n  <RectangleLabels name="label" toName="image">\n'
        f"{labels}\n  </RectangleLabels>\n</View>\n"
    )


def _write_json(path: Path, data: Any) -> Path:
    return _write_text(path, json.dumps(data, indent=1) + "\n")


def _write_text(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, path)
    return path
