"""The pre-annotation files of ``synthgen assist --task recognize``: one transcription per word crop.

- ``label_studio.json``: Label Studio tasks, each with a ``predictions`` entry holding a ``textarea``
  result (``value.text``: the transcription) with its score, for a project whose labelling config
  is ``label_studio_config.xml`` (an Image and a TextArea named ``transcription``, one per task).
- ``coco_cvat.json``: COCO with one ``text`` box per crop (the whole crop) whose ``attributes``
  hold the transcription and the score (CVAT's "COCO 1.0" import keeps annotation attributes).
- ``coco_results.json``: COCO results, the same boxes with ``score`` and ``attributes.text``.
- ``predictions.tsv``: ``crop path<TAB>transcription`` for every crop, whatever its score, in the
  layout of ``recognition/labels.tsv``: ``synthgen target DATASET --results predictions.tsv`` reads it
  back when IMAGES was the dataset's ``recognition/`` folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TEXT_CATEGORY = (1, "text")
FROM_NAME = "transcription"


@dataclass(frozen=True)
class Transcription:
    """What the recogniser read in one crop.

    Attributes:
        width, height: the crop's size in pixels.
        text: the transcription ('' where nothing was read).
        score: the recogniser's confidence, 0..1, rounded to 4 decimals.
    """

    width: int
    height: int
    text: str
    score: float


def coco_text_files(
    rel: list[str], transcriptions: list[Transcription], threshold: float
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(COCO with a text box and its transcription per crop, for CVAT; COCO results), crops scored
    below ``threshold`` left without an annotation."""
    images, annotations, results = [], [], []
    cat_id, name = TEXT_CATEGORY
    for n, (path, t) in enumerate(zip(rel, transcriptions), start=1):
        images.append({"id": n, "file_name": path, "width": t.width, "height": t.height})
        if t.score < threshold:
            continue
        bbox = [0.0, 0.0, float(t.width), float(t.height)]
        annotations.append(
            {
                "id": len(annotations) + 1,
                "image_id": n,
                "category_id": cat_id,
                "bbox": bbox,
                "area": float(t.width * t.height),
                "segmentation": [],
                "iscrowd": 0,
                "score": t.score,
                "attributes": {"text": t.text, "score": t.score, "occluded": False},
            }
        )
        results.append(
            {"image_id": n, "category_id": cat_id, "bbox": bbox, "score": t.score, "attributes": {"text": t.text}}
        )
    cvat = {
        "info": {"description": "synthgen assist transcriptions (review before use)"},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": [{"id": cat_id, "name": name, "supercategory": ""}],
    }
    return cvat, results


def label_studio_text_tasks(
    rel: list[str], transcriptions: list[Transcription], root_url: str, version: str, threshold: float
) -> list[dict[str, Any]]:
    """Label Studio import tasks: one per crop, its transcription as a ``textarea`` prediction (none
    below ``threshold``: the reviewer types that one)."""
    tasks = []
    for n, (path, t) in enumerate(zip(rel, transcriptions), start=1):
        task: dict[str, Any] = {"id": n, "data": {"image": f"{root_url}{path}"}}
        if t.score >= threshold:
            result = {
                "id": f"{n}_0",
                "type": "textarea",
                "from_name": FROM_NAME,
                "to_name": "image",
                "original_width": t.width,
                "original_height": t.height,
                "image_rotation": 0,
                "score": t.score,
                "value": {"text": [t.text]},
            }
            task["predictions"] = [{"model_version": version, "score": t.score, "result": [result]}]
        tasks.append(task)
    return tasks


def label_studio_text_config() -> str:
    """The labelling config the tasks' ``from_name``/``to_name`` refer to (Label Studio's OCR-of-a-crop template)."""
    return (
        '<View>\n  <Image name="image" value="$image"/>\n'
        f'  <TextArea name="{FROM_NAME}" toName="image" editable="true" perRegion="false" required="true"\n'
        '            maxSubmissions="1" rows="1" placeholder="the text in the crop"/>\n</View>\n'
    )


def predictions_tsv(rel: list[str], transcriptions: list[Transcription]) -> str:
    """``crop path<TAB>transcription`` lines, every crop, as ``recognition/labels.tsv`` writes them."""
    return "".join(f"{path}\t{t.text}\n" for path, t in zip(rel, transcriptions))
