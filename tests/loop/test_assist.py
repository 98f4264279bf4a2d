"""synthgen assist: a detector trained for a few steps on a tiny synthgen set, its checkpoint,
the pre-annotation files (read back by pycocotools and label-studio-converter) and bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

import synthgen
from synthgen.cli import main
from synthgen.loop.assist import AssistOptions, PredictedBox, Prediction, assist, coco_files, label_studio_tasks

pytest.importorskip("torchvision")
ROOT = Path(__file__).resolve().parents[2]
FAST = dict(steps=2, batch=2, size=64, threshold=0.0, device="cpu", progress=False)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(dataset, images folder, first run's output folder) of a 2-step training on 4 shapes images."""
    root = tmp_path_factory.mktemp("assist")
    data = root / "shapes"
    synthgen.generate_dataset(synthgen.load_config(ROOT / "configs" / "shapes.yaml", ["num_samples=4"]), data)
    images = root / "photos"
    (images / "sub").mkdir(parents=True)
    from skimage import data as skdata

    cv2.imwrite(str(images / "coins.png"), skdata.coins())
    cv2.imwrite(str(images / "sub" / "astronaut.jpg"), cv2.cvtColor(skdata.astronaut()[::4, ::4], cv2.COLOR_RGB2BGR))
    out = root / "out"
    outcome = assist(images, data, out, AssistOptions(**FAST))
    assert outcome.trained and outcome.images == 2
    return data, images, out


def test_train_write_and_reload(trained, tmp_path):
    from pycocotools.coco import COCO

    data, images, out = trained
    names = sorted(p.name for p in out.iterdir())
    assert names == ["coco_cvat.json", "coco_results.json", "label_studio.json", "label_studio_config.xml", "model.pt"]
    gt = COCO(str(out / "coco_cvat.json"))
    assert [gt.imgs[i]["file_name"] for i in sorted(gt.imgs)] == ["coins.png", "sub/astronaut.jpg"]
    assert (gt.imgs[1]["width"], gt.imgs[1]["height"]) == (384, 303)
    assert {c["name"] for c in gt.dataset["categories"]} == {
        "triangle",
        "square",
        "pentagon",
        "hexagon",
        "disc",
        "star",
        "ring",
    }
    results = json.loads((out / "coco_results.json").read_text())
    if results:
        gt.loadRes(str(out / "coco_results.json"))
    tasks = json.loads((out / "label_studio.json").read_text())
    assert [t["data"]["image"] for t in tasks] == [
        "/data/local-files/?d=coins.png",
        "/data/local-files/?d=sub/astronaut.jpg",
    ]
    assert sum(len(t["predictions"][0]["result"]) for t in tasks) == len(results) == len(gt.anns)
    # the checkpoint stands for the model: the same pre-labels again
    again = tmp_path / "again"
    outcome = assist(images, out / "model.pt", again, AssistOptions(**{**FAST, "threshold": 0.0}))
    assert not outcome.trained
    assert (again / "coco_results.json").read_bytes() == (out / "coco_results.json").read_bytes()
    assert not (again / "model.pt").exists()
    import torch

    assert torch.load(out / "model.pt", weights_only=True)["arch"] == "fcos_small"  # the default detector


def test_files_import_in_pycocotools_and_label_studio_converter(tmp_path):
    from label_studio_converter.imports.coco import convert_coco_to_ls
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    predictions = [
        Prediction(
            200,
            100,
            (
                PredictedBox(5, "disc", 0.9, (10.0, 20.0, 30.0, 40.0)),
                PredictedBox(2, "square", 0.6, (100.0, 0.0, 50.0, 50.0)),
            ),
        ),
        Prediction(64, 64, ()),
    ]
    cvat, results = coco_files(["a.png", "b/c.jpg"], predictions, ((2, "square"), (5, "disc")))
    (tmp_path / "cvat.json").write_text(json.dumps(cvat))
    coco = COCO(str(tmp_path / "cvat.json"))
    assert [a["bbox"] for a in coco.loadAnns(coco.getAnnIds(imgIds=[1]))] == [
        [10.0, 20.0, 30.0, 40.0],
        [100.0, 0.0, 50.0, 50.0],
    ]
    assert [a["attributes"]["score"] for a in coco.anns.values()] == [0.9, 0.6]
    # the results, evaluated against the same boxes as ground truth, are perfect
    ev = COCOeval(coco, coco.loadRes(results), "bbox")
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    assert ev.stats[0] == pytest.approx(1.0)
    # Label Studio: the rectangles label-studio-converter makes of the COCO file are ours
    tasks = label_studio_tasks(["a.png", "b/c.jpg"], predictions, "/data/local-files/?d=", "v1")
    convert_coco_to_ls(str(tmp_path / "cvat.json"), str(tmp_path / "ls.json"), out_type="predictions")
    theirs = json.loads((tmp_path / "ls.json").read_text())
    for ours, ref in zip(tasks, theirs):
        # the converter joins with os.path.join ("?d=/a.png"); Label Studio's local files take the path
        # relative to its document root ("?d=a.png"), as its docs write them
        assert ours["data"]["image"] == ref["data"]["image"].replace("?d=/", "?d=")
        mine = [r["value"] for r in ours["predictions"][0]["result"]]
        other = [r["value"] for r in ref["predictions"][0]["result"] if r["type"] == "rectanglelabels"]
        assert len(mine) == len(other)
        for m, o in zip(mine, other):
            assert m["rectanglelabels"] == o["rectanglelabels"]
            assert [m[k] for k in ("x", "y", "width", "height")] == pytest.approx(
                [o[k] for k in ("x", "y", "width", "height")]
            )
    assert tasks[0]["predictions"][0]["score"] == pytest.approx(0.75)
    assert [r["score"] for r in tasks[0]["predictions"][0]["result"]] == [0.9, 0.6]


def test_classes_and_threshold_filter(trained, tmp_path):
    _, images, out = trained
    everything = json.loads((out / "coco_results.json").read_text())
    assist(images, out / "model.pt", tmp_path / "f", AssistOptions(**{**FAST, "threshold": 0.0}, classes=("disc",)))
    discs = json.loads((tmp_path / "f" / "coco_results.json").read_text())
    assert discs == [r for r in everything if r["category_id"] == 5]
    scores = sorted({r["score"] for r in everything})  # written to 4 decimals: cut between two of them
    cut = (scores[len(scores) // 2 - 1] + scores[len(scores) // 2]) / 2 if len(scores) > 1 else 0.5
    assist(images, out / "model.pt", tmp_path / "t", AssistOptions(**{**FAST, "threshold": cut}))
    kept = json.loads((tmp_path / "t" / "coco_results.json").read_text())
    assert kept == [r for r in everything if r["score"] >= cut]


def test_bad_inputs_one_line_exit_2(trained, tmp_path, capsys):
    data, images, out = trained
    empty = tmp_path / "empty"
    empty.mkdir()
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "mine.txt").write_text("keep")
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    model = str(out / "model.pt")
    cases = [
        ([str(empty), "--model", model, "-o", str(tmp_path / "o1")], "no images"),
        ([str(images), "--model", model, "-o", str(tmp_path / "o2"), "--threshold", "1.5"], "--threshold"),
        ([str(images), "--model", model, "-o", str(busy)], "not empty"),
        ([str(images), "--model", model, "-o", str(tmp_path / "o3"), "--classes", "dog"], "'dog' is not one of"),
        ([str(images), "--model", str(garbage), "-o", str(tmp_path / "o4")], "not a readable checkpoint"),
        (
            [str(images), "--model", str(tmp_path / "nothing"), "-o", str(tmp_path / "o5")],
            "no such dataset or checkpoint",
        ),
        ([str(images), "--model", str(empty), "-o", str(tmp_path / "o6")], "not a synthgen dataset"),
        ([str(images), "--model", model, "-o", str(tmp_path / "o7"), "--device", "tpu"], "--device"),
        ([str(tmp_path / "nope"), "--model", model, "-o", str(tmp_path / "o8")], "not a folder of images"),
    ]
    for args, message in cases:
        try:
            code = main(["assist", *args, "--no-progress"])
        except SystemExit as exc:  # argparse's checks (--threshold) exit from the parser
            code = exc.code
        err = capsys.readouterr().err
        assert code == 2 and message in err and err.count("\n") == 1, (args, err)
    assert (busy / "mine.txt").read_text() == "keep" and sorted(p.name for p in busy.iterdir()) == ["mine.txt"]
    assert not any((tmp_path / f"o{k}").exists() for k in range(1, 9))
