"""synthgen assist --task recognize: a CRNN trained for a few steps on a tiny ocr_recognition set,
its checkpoint, the transcription files (Label Studio's TextArea predictions read by
label-studio-converter, COCO read by pycocotools, a TSV that ``synthgen target`` reads back) and
bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import synthgen
from synthgen.cli import main
from synthgen.formats.recognition import read_recognition_tsv
from synthgen.loop.assist import AssistOptions, assist, dataset_task
from synthgen.loop.transcriptions import Transcription, label_studio_text_config, label_studio_text_tasks

torch = pytest.importorskip("torch")
ROOT = Path(__file__).resolve().parents[2]
WORDS = ["scene.params.text.source=word", "scene.params.text.words=1", "scene.params.max_width=160"]
FAST = dict(steps=2, batch=4, threshold=0.0, device="cpu", progress=False)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(dataset, first run's output folder) of a 2-step training on 12 word crops, read back over the
    dataset's own recognition/ folder."""
    root = tmp_path_factory.mktemp("assist_recognize")
    data = root / "words"
    config = synthgen.load_config(ROOT / "configs" / "ocr_recognition.yaml", ["num_samples=12", *WORDS])
    synthgen.generate_dataset(config, data)
    out = root / "out"
    outcome = assist(data / "recognition", data, out, AssistOptions(**FAST))
    assert outcome.trained and outcome.task == "recognize" and outcome.images == 12 == outcome.boxes
    return data, out


def test_dataset_kind_chooses_the_task(trained, tmp_path):
    data, _ = trained
    assert dataset_task(data) == "recognize"
    shapes = tmp_path / "shapes"
    synthgen.generate_dataset(synthgen.load_config(ROOT / "configs" / "shapes.yaml", ["num_samples=1"]), shapes)
    assert dataset_task(shapes) == "detect"


def test_files_checkpoint_and_the_loop_back_to_target(trained, tmp_path):
    from pycocotools.coco import COCO

    from synthgen.loop.target import target

    data, out = trained
    assert sorted(p.name for p in out.iterdir()) == [
        "coco_cvat.json",
        "coco_results.json",
        "label_studio.json",
        "label_studio_config.xml",
        "model.pt",
        "predictions.tsv",
    ]
    truth = read_recognition_tsv(data / "recognition")
    predicted = read_recognition_tsv(out / "predictions.tsv")
    assert [p for p, _ in predicted] == [p for p, _ in truth]  # every crop, by the dataset's own paths
    checkpoint = torch.load(out / "model.pt", weights_only=True)
    assert checkpoint["task"] == "recognize" and checkpoint["steps"] == 2
    assert set(checkpoint["charset"]) == {c for _, t in truth for c in t}  # every character of the labels
    assert set("".join(t for _, t in predicted)) <= set(checkpoint["charset"])
    # COCO: one whole-crop text box per crop, the transcription and score as attributes, as the TSV says
    coco = COCO(str(out / "coco_cvat.json"))
    assert [coco.imgs[i]["file_name"] for i in sorted(coco.imgs)] == [p for p, _ in truth]
    for ann in coco.anns.values():
        img = coco.imgs[ann["image_id"]]
        assert ann["bbox"] == [0.0, 0.0, float(img["width"]), float(img["height"])]
        assert ann["attributes"]["text"] == predicted[ann["image_id"] - 1][1]
        assert ann["attributes"]["score"] == ann["score"] and 0.0 <= ann["score"] <= 1.0
    results = coco.loadRes(str(out / "coco_results.json"))
    assert [a["attributes"]["text"] for a in results.anns.values()] == [t for _, t in predicted]
    # the checkpoint stands for the model: the same transcriptions again
    again = tmp_path / "again"
    outcome = assist(data / "recognition", out / "model.pt", again, AssistOptions(**FAST))
    assert not outcome.trained and outcome.task == "recognize"
    for name in ("predictions.tsv", "label_studio.json", "coco_cvat.json"):
        assert (again / name).read_bytes() == (out / name).read_bytes()
    # closing the loop: target matches the TSV to the dataset's crops (a 2-step model reads no word right)
    done = target(data, out / "predictions.tsv", tmp_path / "round1.yaml", min_count=2)
    wrong = sum(p != t for (_, p), (_, t) in zip(predicted, truth))
    assert (done.units, done.failures) == (len(truth), wrong)


def test_threshold_leaves_low_scores_to_the_reviewer(trained, tmp_path):
    data, out = trained
    tasks = json.loads((out / "label_studio.json").read_text())
    scores = sorted({t["predictions"][0]["score"] for t in tasks})
    cut = (scores[0] + scores[-1]) / 2 if len(scores) > 1 else scores[0] + 1e-4
    assist(data / "recognition", out / "model.pt", tmp_path / "t", AssistOptions(**{**FAST, "threshold": cut}))
    kept = json.loads((tmp_path / "t" / "label_studio.json").read_text())
    assert len(kept) == len(tasks)  # every crop stays a task; the ones below the cut carry no prediction
    for mine, full in zip(kept, tasks):
        assert ("predictions" in mine) == (full["predictions"][0]["score"] >= cut)
    results = json.loads((tmp_path / "t" / "coco_results.json").read_text())
    assert len(results) == sum("predictions" in t for t in kept)
    # the TSV keeps every crop whatever its score: target needs them all
    assert (tmp_path / "t" / "predictions.tsv").read_bytes() == (out / "predictions.tsv").read_bytes()


def test_label_studio_predictions_import(tmp_path):
    """The documented predictions schema (a ``textarea`` result under ``predictions``), and
    label-studio-converter reading it with the labelling config we write: the text a reviewer
    accepts is the transcription."""
    from label_studio_converter import Converter
    from label_studio_converter.utils import parse_config

    read = [Transcription(120, 32, "Kettle", 0.91), Transcription(40, 32, "#12", 0.4)]
    tasks = label_studio_text_tasks(["a.png", "sub/b.png"], read, "/data/local-files/?d=", "v1", 0.0)
    schema = parse_config(label_studio_text_config())
    assert schema["transcription"]["type"] == "TextArea" and schema["transcription"]["to_name"] == ["image"]
    assert [(i["type"], i["value"]) for i in schema["transcription"]["inputs"]] == [("Image", "image")]
    for task, t in zip(tasks, read):
        (prediction,) = task["predictions"]
        (result,) = prediction["result"]
        assert set(prediction) == {"model_version", "score", "result"} and prediction["score"] == t.score
        assert (result["type"], result["from_name"], result["to_name"]) == ("textarea", "transcription", "image")
        assert result["value"] == {"text": [t.text]} and result["score"] == t.score
        assert (result["original_width"], result["original_height"]) == (t.width, t.height)
    # a reviewer who accepts every prediction: label-studio-converter's JSON-min export of those annotations
    accepted = [{**t, "annotations": [{"id": t["id"], "result": t["predictions"][0]["result"]}]} for t in tasks]
    (tmp_path / "tasks.json").write_text(json.dumps(accepted))
    Converter(label_studio_text_config(), str(tmp_path)).convert_to_json_min(
        str(tmp_path / "tasks.json"), str(tmp_path / "export"), is_dir=False
    )
    exported = json.loads((tmp_path / "export" / "result.json").read_text())
    assert [(e["image"], e["transcription"]) for e in exported] == [
        ("/data/local-files/?d=a.png", "Kettle"),
        ("/data/local-files/?d=sub/b.png", "#12"),
    ]


def test_ctc_decoding_merges_repeats_and_drops_blanks():
    from synthgen.loop.recognizer import decode

    charset = "ab"
    frames = [1, 1, 0, 1, 2, 2, 0, 0]  # a a _ a b b _ _ -> "aab"
    confidence = [0.9, 0.5, 0.8, 0.7, 0.6, 0.2, 0.9, 0.9]
    log_probs = torch.full((len(frames), 1, 3), -30.0)
    for t, (k, p) in enumerate(zip(frames, confidence)):
        log_probs[t, 0, k] = float(np.log(p))
    [(text, score)] = decode(log_probs, charset)
    assert text == "aab"
    assert score == pytest.approx(np.mean([0.9, 0.7, 0.6]))  # each kept character's first frame
    [(short, _)] = decode(log_probs, charset, torch.tensor([3]))  # only the first 3 frames: "a"
    assert short == "a"


def test_bad_inputs_one_line_exit_2(trained, tmp_path, capsys):
    data, out = trained
    shapes = tmp_path / "shapes"
    synthgen.generate_dataset(synthgen.load_config(ROOT / "configs" / "shapes.yaml", ["num_samples=1"]), shapes)
    crops = str(data / "recognition")
    model = str(out / "model.pt")
    bad_charset = tmp_path / "tab.pt"
    torch.save({**torch.load(out / "model.pt", weights_only=True), "charset": "a\tb"}, bad_charset)
    cases = [
        ([crops, "--model", model, "-o", str(tmp_path / "o1"), "--task", "detect"], "is a recognize checkpoint"),
        ([crops, "--model", str(shapes), "-o", str(tmp_path / "o2"), "--task", "recognize"], "not a dataset of text"),
        ([crops, "--model", model, "-o", str(tmp_path / "o3"), "--classes", "word"], "--classes: a recogniser"),
        ([crops, "--model", str(bad_charset), "-o", str(tmp_path / "o4")], "charset holds a tab"),
        ([crops, "--model", str(data), "-o", str(tmp_path / "o5"), "--size", "4"], "--size"),
        ([crops, "--model", model, "-o", str(out)], "not empty"),
    ]
    for args, message in cases:
        code = main(["assist", *args, "--no-progress"])
        err = capsys.readouterr().err
        assert code == 2 and message in err and err.count("\n") == 1, (args, err)
    assert not any((tmp_path / f"o{k}").exists() for k in range(1, 6))
