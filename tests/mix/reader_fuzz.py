"""The reader fuzz loop of ``test_reader_fuzz.py``, run in ONE child process under a memory limit.

``python reader_fuzz.py WORKDIR ITERATIONS SEED [MEMORY_GB]``: builds a small valid dataset per
format (COCO, YOLO segment, KITTI, ICDAR, recognition labels.tsv) in WORKDIR, then for each
iteration copies one, applies one seeded mutation to one of its files (a value of the wrong type,
NaN/inf, a huge or 5,000-digit number, deep nesting, a deleted key or field, a duplicated id or
line, a truncated file, a wrong encoding, a corrupt image) and runs ``synthgen mix`` in this
process (``synthgen.cli.main``) twice on it: ``on_bad: error`` and ``on_bad: skip``. It prints
``start <i>`` before an iteration and one JSON line of results after it, so that a crash (a
segfault, the memory limit) names the iteration it died in.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import re
import resource
import shutil
import sys
import traceback
from pathlib import Path

import cv2
import numpy as np
from coco_sets import write_coco

PNG = cv2.imencode(".png", np.zeros((1, 1, 3), np.uint8))[1]  # warms OpenCV's PNG codec
EVIL_NUMBERS = [
    "nan", "NaN", "inf", "-inf", "1e308", "-1e308", "1e999", "9" * 5000, "-0", "1e-320",
    "123456789012345678901234567890", "0x1F", "1_000", "", "-1", "1.5", "\u0663", "-99999999",
]  # fmt: skip
# JSON values put where another was (placeholders for what json.dumps cannot write are replaced in the text)
EVIL_JSON = [
    "@NAN@", "@INF@", "@NINF@", "@BIG@", "@DEEP@", "@E400@", 1e308, -1e308, -1, 0, 2**70, True, False, None,
    "x", "", [], {}, [1, 2], [[1, 2, 3]], {"a": 1}, [0] * 2000, "y" * 20000, 3.5,
]  # fmt: skip
TEXT_OF = {
    '"@NAN@"': "NaN",
    '"@INF@"': "Infinity",
    '"@NINF@"': "-Infinity",
    '"@BIG@"': "9" * 5000,
    '"@DEEP@"': "[" * 100000 + "]" * 100000,
    '"@E400@"': "1e400",
}
CONFIG = """\
name: fuzz
categories: [{categories}]
sources:
  real: {{path: {path}, format: {format}, on_bad: {on_bad}, unmapped: drop}}
splits: {{val: 0, test: 0}}
"""


def image(path: Path, rng: np.random.Generator, size=(32, 24)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), rng.integers(0, 256, (size[1], size[0], 3), np.uint8))


def build_coco(root: Path) -> Path:
    folder = write_coco(root / "coco", [["car"], ["car", "person"], ["bike"], ["car", "person"]], tag=7)
    path = folder / "annotations/coco.json"
    coco = json.loads(path.read_text())
    anns = coco["annotations"]
    anns[0]["segmentation"] = [[2, 2, 8, 2, 8, 7, 2, 7]]
    anns[1].update(attributes={"occluded": 1, "tags": ["a", "b"]}, amodal_bbox=[1, 1, 8, 7], occlusion=0.2, truncation=0.0)
    anns[2].update(text="ab", quad=[5, 4, 11, 4, 11, 9, 5, 9], box3d={"center": [1, 2, 3], "dimensions": [1, 1, 1], "yaw": 0.5})
    counts = [0] * 0 + [24 * 2 + 2, 5, 24 * 32 - 24 * 2 - 2 - 5]
    anns[3].update(iscrowd=1, segmentation={"size": [24, 32], "counts": counts})
    anns[4].update(keypoints=[3, 3, 2, 5, 5, 1], num_keypoints=2)
    coco["categories"][1].update(keypoints=["head", "foot"], skeleton=[[1, 2]])
    path.write_text(json.dumps(coco))
    return folder


def build_yolo(root: Path, rng: np.random.Generator) -> Path:
    folder = root / "yolo"
    (folder / "labels").mkdir(parents=True)
    (folder / "data.yaml").write_text("names: [car, person]\ntask: segment\ntrain: images\n")
    for k in range(3):
        image(folder / f"images/{k}.png", rng)
        (folder / f"labels/{k}.txt").write_text(
            f"0 0.1 0.1 0.4 0.1 0.4 0.5 0.1 0.5\n1 0.5 0.5 0.9 0.5 0.{k + 6} 0.9\n"
        )
    return folder


def build_kitti(root: Path, rng: np.random.Generator) -> Path:
    folder = root / "kitti"
    for k in range(3):
        stem = f"{k:06d}"
        image(folder / f"image_2/{stem}.png", rng, (64, 48))
        (folder / "label_2").mkdir(exist_ok=True)
        (folder / f"label_2/{stem}.txt").write_text(
            f"Car 0.00 0 -1.57 2.00 3.00 30.00 20.00 1.50 1.60 3.90 1.00 1.50 {10 + k}.00 -1.50\n"
            "Pedestrian 0.50 1 0.20 40.00 10.00 50.00 40.00 1.70 0.60 0.80 -1.00 1.60 8.00 0.10\n"
            "DontCare -1 -1 -10 5.00 5.00 9.00 9.00 -1 -1 -1 -1000 -1000 -1000 -10\n"
        )
        (folder / "calib").mkdir(exist_ok=True)
        (folder / f"calib/{stem}.txt").write_text(
            "P2: 50 0 32 4.5 0 50 24 0.2 0 0 1 0.003\nR0_rect: 1 0 0 0 1 0 0 0 1\n"
            "Tr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 0 0\n"
        )
    return folder


def build_icdar(root: Path, rng: np.random.Generator) -> Path:
    folder = root / "icdar_set"
    (folder / "icdar").mkdir(parents=True)
    for stem in ("a", "b", "c"):
        image(folder / f"images/{stem}.png", rng)
        (folder / f"icdar/gt_{stem}.txt").write_text("1,1,10,1,10,8,1,8,word\n12,3,30,3,30,12,12,12,###\n2,14,20,14,20,22,2,22,\"a,b\"\n")
    return folder


def build_recognition(root: Path, rng: np.random.Generator) -> Path:
    folder = root / "rec"
    for k in range(3):
        image(folder / f"crops/{k}.png", rng, (20, 8))
    (folder / "labels.tsv").write_text("crops/0.png\thello\ncrops/1.png\twörld\ncrops/2.png\t42\n")
    return folder


FORMATS = {  # format -> (builder, target categories)
    "coco": (lambda root, rng: build_coco(root), "car, person, bike"),
    "yolo": (build_yolo, "car, person"),
    "kitti": (build_kitti, "Car, Pedestrian"),
    "icdar": (build_icdar, "text"),
    "recognition": (build_recognition, "text"),
}


def mutate_text(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One mutation of a text file's bytes, and what it was."""
    text = data.decode("utf-8")
    numbers = list(re.finditer(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text))
    lines = text.splitlines(keepends=True)
    kind = rng.choice(["number", "number", "number", "truncate", "encoding", "drop_token", "dup_line", "garbage", "separator"])
    if kind == "number" and numbers:
        m = rng.choice(numbers)
        evil = rng.choice(EVIL_NUMBERS)
        return (text[: m.start()] + evil + text[m.end() :]).encode(), f"number -> {evil[:12]!r}"
    if kind == "truncate" and data:
        cut = rng.randrange(len(data))
        return data[:cut], f"truncated at {cut}"
    if kind == "encoding":
        if rng.random() < 0.5:
            return text.encode("utf-16"), "utf-16"
        at = rng.randrange(len(data) + 1)
        return data[:at] + b"\xff\xc3(" + data[at:], "invalid utf-8"
    if kind == "drop_token":
        tokens = text.split(" " if " " in text else ",")
        if len(tokens) > 1:
            del tokens[rng.randrange(len(tokens))]
        return (" " if " " in text else ",").join(tokens).encode(), "token dropped"
    if kind == "dup_line" and lines:
        k = rng.randrange(len(lines))
        return "".join(lines[: k + 1] + lines[k:]).encode(), "line duplicated"
    if kind == "garbage":
        at = rng.randrange(len(data) + 1)
        return data[:at] + bytes(rng.randrange(256) for _ in range(16)) + data[at:], "binary garbage"
    sep = rng.choice([" ", ",", "\t", ":"])
    return text.replace(sep, rng.choice([";", "", "\t\t", "  "])).encode(), f"separator {sep!r} replaced"


def json_paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from json_paths(v, (*path, k))
    elif isinstance(value, list):
        for k, v in enumerate(value):
            yield from json_paths(v, (*path, k))


def mutate_json(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One mutation of a JSON file: a value replaced, a key deleted, a list item duplicated, or the text cut."""
    doc = json.loads(data)
    kind = rng.choice(["replace", "replace", "replace", "replace", "delete", "duplicate", "truncate", "encoding", "top"])
    paths = [p for p in json_paths(doc) if p]
    path = rng.choice(paths)
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    if kind == "replace":
        evil = rng.choice(EVIL_JSON)
        parent[path[-1]] = evil
        what = f"{'/'.join(map(str, path))} -> {str(evil)[:12]!r}"
    elif kind == "delete":
        del parent[path[-1]]
        what = f"{'/'.join(map(str, path))} deleted"
    elif kind == "duplicate":
        lists = [p for p in paths if isinstance(_at(doc, p), list) and _at(doc, p)]
        target = _at(doc, rng.choice(lists))
        target.append(json.loads(json.dumps(rng.choice(target))))
        what = "list item duplicated"
    elif kind == "truncate":
        cut = rng.randrange(len(data))
        return data[:cut], f"truncated at {cut}"
    elif kind == "encoding":
        return data.decode().encode("utf-16"), "utf-16"
    else:
        doc, what = [doc], "top level in a list"
    text = json.dumps(doc)
    for placeholder, replacement in TEXT_OF.items():
        text = text.replace(placeholder, replacement)
    return text.encode(), what


def _at(doc, path):
    for k in path:
        doc = doc[k]
    return doc


def mutate_image(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    kind = rng.choice(["truncate", "flip", "zeros", "text"])
    if kind == "truncate":
        cut = rng.randrange(8, len(data) - 1)
        return data[:cut], f"image truncated at {cut}"
    if kind == "flip":
        b = bytearray(data)
        for _ in range(8):
            b[rng.randrange(40, len(b))] ^= 0xFF
        return bytes(b), "image bytes flipped"
    if kind == "zeros":
        return data[:33] + bytes(len(data) - 33), "image body zeroed"
    return b"not an image\n", "image replaced by text"


def mutate(folder: Path, rng: random.Random) -> tuple[Path, str]:
    """Mutate one file of a dataset folder (labels more often than images); (the file, what was done)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    images = [p for p in files if p.suffix == ".png"]
    labels = [p for p in files if p.suffix != ".png"]
    target = rng.choice(images) if rng.random() < 0.15 else rng.choice(labels)
    data = target.read_bytes()
    if target.suffix == ".png":
        new, what = mutate_image(data, rng)
    elif target.suffix == ".json":
        new, what = mutate_json(data, rng)
    else:
        new, what = mutate_text(data, rng)
    target.write_bytes(new)
    return target, what


def run_mix(work: Path, fmt: str, dataset: Path, on_bad: str) -> dict:
    """``synthgen mix`` in this process; its exit code, stderr, and what it wrote."""
    from synthgen.cli import main

    out = work / f"out_{on_bad}"
    config = work / f"mix_{on_bad}.yaml"
    config.write_text(CONFIG.format(categories=FORMATS[fmt][1], path=dataset, format=fmt, on_bad=on_bad))
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            rc = main(["mix", str(config), "-o", str(out), "--no-progress", "--workers", "1", "--executor", "serial"])
        except SystemExit as exc:
            rc = exc.code
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            rc = "exception"
            print(f"{type(exc).__name__}\n{traceback.format_exc()[-2000:]}", file=err)
    result = {"rc": rc, "stderr": err.getvalue()[-3000:], "out_exists": out.exists()}
    if rc == 0:
        try:
            report = json.loads((out / "report.json").read_text())
            result["skips"] = report["before"]["real"]["skipped"]
            coco = out / "train/annotations/coco.json"
            json.loads(coco.read_text(), parse_constant=refuse)  # strict JSON: no NaN or Infinity written
        except (OSError, ValueError, KeyError) as exc:
            result["rc"] = f"exit 0, but its output is not readable: {type(exc).__name__}: {str(exc)[:200]}"
    shutil.rmtree(out, ignore_errors=True)
    return result


def refuse(constant: str):
    raise ValueError(f"{constant} in a JSON file")


def main(work: Path, iterations: int, seed: int) -> None:
    pristine = work / "pristine"
    np_rng = np.random.default_rng(seed)
    built = {fmt: builder(pristine, np_rng) for fmt, (builder, _) in FORMATS.items()}
    for i in range(iterations):
        fmt = list(FORMATS)[i % len(FORMATS)]
        rng = random.Random(seed * 100003 + i)
        case = work / f"case{i}"
        dataset = case / built[fmt].name
        shutil.copytree(built[fmt], dataset)
        target, what = mutate(dataset, rng)
        print(f"start {i} {fmt} {target.relative_to(case)}: {what}", flush=True)
        result = {"i": i, "format": fmt, "file": str(target.relative_to(case)), "mutation": what}
        for on_bad in ("error", "skip"):
            result[on_bad] = run_mix(case, fmt, dataset, on_bad)
        print(json.dumps(result), flush=True)
        shutil.rmtree(case)


if __name__ == "__main__":
    work, iterations, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    limit = int(float(sys.argv[4] if len(sys.argv) > 4 else 4) * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))  # a runaway allocation is a MemoryError, not the OOM killer
    main(work, iterations, seed)
