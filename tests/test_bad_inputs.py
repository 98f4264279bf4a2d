"""Bad inputs, one case a line: each is one line on stderr naming the key or file, exit code 2, no
traceback, and nothing written or deleted (issue #10).

A case is ``(id, command line, expected fragment of the error, files to make first)``. In the
command line ``{base}`` is a copy of configs/text_words.yaml (include made absolute, 4 samples),
``{root}`` the repository and ``{tmp}`` the test's folder, which is also the working directory;
the whole folder must be byte-for-byte the same after the run.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from cli_process import CLI

pytestmark = pytest.mark.slow  # one synthgen process per case (forked from one that imported the CLI)

ROOT = Path(__file__).resolve().parents[1]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
DEEP = "[" * 5000 + "1" + "]" * 5000
LONG_INT = "9" * 10_000


def _png(size=(40, 30)) -> bytes:
    import io

    import numpy as np
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (*size[::-1], 3), np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def _jpg() -> bytes:
    import io

    import numpy as np
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (120, 160, 3), np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


def _bomb() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buf, "PNG")  # 400 megapixels in ~50 KB
    return buf.getvalue()


def _golden(**changes: Any) -> str:
    data = json.loads((ROOT / "tests/golden/text_words.json").read_text())
    data.update(changes)
    return json.dumps(data)


class Case(NamedTuple):
    id: str
    args: str
    expect: str
    files: dict[str, Any] = {}  # noqa: RUF012 (a NamedTuple default, never mutated)
    needs_non_root: bool = False


IMAGE = "scene.params.background.kind=image scene.params.background.image_dir={tmp}/photos"
PATTERN = "validate {root}/configs/ocr_recognition.yaml scene.params.text.source=pattern"
SCENE = "kind: text_words\nparams:\n  width: 64\n  height: 64\n"
CJK = {"cjk.txt": "漢字 中文 日本語\n"}

CASES = [
    # 1. distributions and numbers
    Case("rotation-nan", "validate {base} scene.params.rotation=.nan", "scene.params.rotation"),
    Case("rotation-inf", "validate {base} scene.params.rotation=-.inf", "scene.params.rotation"),
    Case("rotation-nan-in-file", "validate {tmp}/c.yaml", "scene.params.rotation",
         {"c.yaml": "BASE\n  params:\n    rotation: .nan\n"}),
    Case("uniform-nan", "validate {base} 'scene.params.rotation=uniform(.nan, 1)'", "scene.params.rotation"),
    Case("normal-inf", "validate {base} 'scene.params.rotation=normal(0, .inf)'", "scene.params.rotation"),
    Case("randint-inf", "validate {base} 'scene.params.font_size=randint(10, .inf)'", "scene.params.font_size"),
    Case("loguniform-nan", "validate {base} 'scene.params.rotation=loguniform(.nan, 2)'", "scene.params.rotation"),
    Case("choice-option-nan", "validate {base} 'scene.params.rotation=choice([1, .nan])'", "scene.params.rotation"),
    Case("choice-weights-nan", "validate {base} 'scene.params.corpus.case=choice([lower, upper], [.nan, 1])'",
         "scene.params.corpus.case"),
    Case("choice-weights-inf", "validate {base} 'scene.params.corpus.case=choice([lower, upper], [.inf, 1])'",
         "scene.params.corpus.case"),
    Case("choice-weights-bool", "validate {base} 'scene.params.corpus.case=choice([lower, upper], [true, false])'",
         "scene.params.corpus.case"),
    Case("float-overflow", "validate {base} scene.params.rotation=1.0e+999", "scene.params.rotation"),
    Case("deep-brackets", f"validate {{base}} 'scene.params.rotation=choice({DEEP})'", "scene.params.rotation"),
    Case("deep-brackets-in-file", "validate {tmp}/c.yaml", "scene.params.rotation",
         {"c.yaml": f"BASE\n  params:\n    rotation: 'choice({DEEP})'\n"}),
    Case("long-int-override", f"validate {{base}} scene.params.rotation={LONG_INT}", "scene.params.rotation"),
    Case("long-int-in-distribution", f"validate {{base}} 'scene.params.rotation=uniform({LONG_INT}, 1)'",
         "scene.params.rotation"),
    Case("long-int-in-file", "validate {tmp}/c.yaml", "more than 4300 digits", {"c.yaml": f"BASE\n  params:\n    rotation: {LONG_INT}\n"}),
    Case("huge-randint", "validate {base} 'scene.params.words=randint(1, 100000000000000000000)'",
         "scene.params.words"),
    Case("regress-tolerance-nan", "validate {base} regress.stats_tolerance=.nan", "regress.stats_tolerance"),
    # 2. config loading
    Case("empty-config", "validate {tmp}/empty.yaml", "empty.yaml", {"empty.yaml": ""}),
    Case("comment-only-config", "generate {tmp}/c.yaml -o {tmp}/out", "c.yaml", {"c.yaml": "# nothing here\n"}),
    Case("interpolation-unknown", "validate {base} 'name=${{nope}}'", "name"),
    Case("interpolation-unknown-in-file", "validate {tmp}/c.yaml", "scene.params.rotation",
         {"c.yaml": "BASE\n  params:\n    rotation: ${nope.deeper}\n"}),
    Case("oc-env-override", "validate {base} 'name=${{oc.env:HOME}}'", "name"),
    Case("oc-env-in-file", "generate {tmp}/c.yaml -o {tmp}/out --num 2", "scene.params.corpus.file",
         {"c.yaml": "BASE\n  params:\n    corpus:\n      file: ${oc.env:HOME}/words.txt\n"}),
    Case("oc-env-in-scene-file", "validate {tmp}/c.yaml", "scene.params.rotation",
         {"c.yaml": "name: x\nscene:\n  include: {tmp}/s.yaml\n",
          "s.yaml": SCENE + "  rotation: ${oc.env:SHELL}\n"}),
    Case("seed-negative", "validate {base} seed=-1", "seed"),
    Case("seed-negative-cli", "generate {base} --seed -5 -o {tmp}/out", "seed"),
    Case("seed-2-63", "validate {base} seed=9223372036854775808", "seed"),
    Case("png-filter-unknown", "validate {base} image.png_filter=fastest", "image.png_filter"),
    Case("outputs-empty", "generate {base} -o {tmp}/out --num 2 'outputs=[]'", "outputs"),
    Case("nested-include", "validate {tmp}/c.yaml", "scene.include",
         {"c.yaml": "name: x\nscene:\n  include: {tmp}/a.yaml\n", "a.yaml": "include: {tmp}/b.yaml\n",
          "b.yaml": SCENE}),
    Case("num-samples-huge", "validate {base} num_samples=1000000000000", "num_samples"),
    Case("num-cli-huge", "generate {base} -o {tmp}/out --num 1000000000000", "num_samples"),
    Case("too-many-shards", "validate {base} num_samples=1000000000 shard_size=1", "num_samples"),
    Case("shard-size-huge", "validate {base} shard_size=100000000", "shard_size"),
    Case("placement-attempts-words", "validate {base} scene.params.placement_attempts=1000000000",
         "scene.params.placement_attempts"),
    Case("crumple-scale-huge", "validate {root}/configs/ocr_receipt.yaml scene.params.warp.crumple_scale=1000000000000",
         "scene.params.warp.crumple_scale"),
    Case("placement-attempts-wild", "validate {root}/configs/ocr_wild.yaml scene.params.placement_attempts=1000000000",
         "scene.params.placement_attempts"),
    Case("name-escapes", "generate {base} --num 2 name=../../escaped", "name"),
    Case("name-slash", "generate {base} --num 2 name=a/b", "name"),
    Case("name-dotdot", "generate {base} --num 2 name=..", "name"),
    Case("name-nul", "generate {tmp}/c.yaml --num 2", "name", {"c.yaml": 'name: "a\\0b"\nBASE-NAME\n'}),
    Case("name-newline", "generate {tmp}/c.yaml --num 2", "name", {"c.yaml": 'name: "a\\nb"\nBASE-NAME\n'}),
    Case("name-control", "generate {tmp}/c.yaml --num 2", "name", {"c.yaml": 'name: "a\\x1bb"\nBASE-NAME\n'}),
    Case("name-10000-chars", "generate {base} --num 2 name=" + "n" * 10_000, "name"),
    Case("config-huge", "validate {tmp}/big.yaml", "big.yaml", {"big.yaml": ("sparse", 17 * 2**20)}),
    Case("regress-num-huge", "regress {base} --golden {tmp}/g.json --num 1000000000", "regress.num"),
    Case("workers-huge", "generate {base} -o {tmp}/out --num 2 --workers 100000", "--workers"),
    Case("override-unparsable", "validate {base} 'scene.params.font_size=[1'", "scene.params.font_size"),
    # 3. patterns
    Case("pattern-repeat-huge", PATTERN + " 'scene.params.text.patterns=[\"A{{100000000}}\"]'",
         "scene.params.text.patterns[0]"),
    Case("pattern-nested-repeat", PATTERN + " 'scene.params.text.patterns=[\"((A{{1000}}){{1000}}){{1000}}\"]'",
         "scene.params.text.patterns[0]"),
    Case("pattern-date-3000-fields", PATTERN + " 'scene.params.text.patterns=[\"{{date:" + "%d" * 3000 + "}}\"]'",
         "scene.params.text.patterns[0]"),
    Case("pattern-deep-groups", PATTERN + " 'scene.params.text.patterns=[\"" + "(" * 3000 + "A" + ")" * 3000 + "\"]'",
         "scene.params.text.patterns[0]"),
    Case("pattern-int-digits", PATTERN + " 'scene.params.text.patterns=[\"{{int:" + "9" * 5000 + "}}\"]'",
         "scene.params.text.patterns[0]"),
    Case("pattern-repeat-digits", PATTERN + " 'scene.params.text.patterns=[\"A{{" + "9" * 5000 + "}}\"]'",
         "scene.params.text.patterns[0]"),
    # 4. corpus and fonts
    Case("corpus-directory", "validate {base} scene.params.corpus.file={tmp}/adir", "scene.params.corpus.file",
         {"adir/": None}),
    Case("corpus-not-utf8", "validate {base} scene.params.corpus.file={tmp}/latin1.txt", "scene.params.corpus.file",
         {"latin1.txt": b"caf\xe9 na\xefve\n"}),
    Case("corpus-huge", "validate {base} scene.params.corpus.file={tmp}/huge.txt", "scene.params.corpus.file",
         {"huge.txt": ("sparse", 65 * 2**20)}),
    Case("corpus-etc-shadow", "generate {base} -o {tmp}/out --num 2 scene.params.corpus.file=/etc/shadow",
         "scene.params.corpus.file"),
    Case("corpus-etc-passwd", "validate {base} scene.params.corpus.file=/etc/passwd", "scene.params.corpus.file"),
    Case("corpus-proc", "validate {base} scene.params.corpus.file=/proc/self/environ", "scene.params.corpus.file"),
    Case("corpus-link-to-etc", "validate {base} scene.params.corpus.file={tmp}/link.txt", "scene.params.corpus.file",
         {"link.txt": ("symlink", "/etc/passwd")}),
    Case("corpus-fifo", "validate {base} scene.params.corpus.file={tmp}/fifo", "scene.params.corpus.file",
         {"fifo": ("fifo",)}),
    Case("font-fifo", "validate {base} 'scene.params.fonts.paths=[{tmp}/font.ttf]'", "scene.params.fonts.paths[0]",
         {"font.ttf": ("fifo",)}),
    Case("font-not-a-font", "validate {base} 'scene.params.fonts.paths=[{tmp}/font.ttf]'",
         "scene.params.fonts.paths[0]", {"font.ttf": "not a font\n"}),
    Case("corpus-unreadable", "validate {base} scene.params.corpus.file={tmp}/secret.txt", "scene.params.corpus.file",
         {"secret.txt": ("mode", "a b c\n", 0o000)}, needs_non_root=True),
    Case("corpus-only-invisible", "validate {base} scene.params.corpus.file={tmp}/zw.txt scene.params.corpus.builtin=false",
         "scene.params.corpus.file", {"zw.txt": "\u200b \u200e\u202e \ufeff\n"}),
    Case("corpus-no-font-covers", "generate {base} -o {tmp}/out --num 2 scene.params.corpus.file={tmp}/cjk.txt "
         "scene.params.corpus.builtin=false", "scene.params.corpus", CJK),
    Case("corpus-no-font-covers-wild", "generate {root}/configs/ocr_wild.yaml -o {tmp}/out --num 2 "
         "scene.params.corpus.file={tmp}/cjk.txt scene.params.corpus.builtin=false", "scene.params.corpus", CJK),
    Case("corpus-no-font-covers-document", "validate {root}/configs/ocr_document.yaml "
         "scene.params.corpus.file={tmp}/cjk.txt scene.params.corpus.builtin=false", "scene.params.corpus", CJK),
    Case("corpus-word-huge", "generate {base} -o {tmp}/out --num 2 scene.params.corpus.file={tmp}/long.txt",
         "scene.params.corpus.file", {"long.txt": "short " + "w" * 1_000_000 + "\n"}),
    # 5. background image folders
    Case("image-truncated-png", "generate {base} -o {tmp}/out --num 2 " + IMAGE, "photos/b.png",
         {"photos/a.png": "PNG", "photos/b.png": "PNG[:600]"}),
    Case("image-truncated-jpg", "validate {base} " + IMAGE, "photos/b.jpg",
         {"photos/a.png": "PNG", "photos/b.jpg": "JPG[:2000]"}),
    Case("image-not-an-image", "validate {base} " + IMAGE, "photos/c.png",
         {"photos/a.png": "PNG", "photos/c.png": "hello, not a PNG\n"}),
    Case("image-decompression-bomb", "validate {base} " + IMAGE, "photos/bomb.png",
         {"photos/a.png": "PNG", "photos/bomb.png": "BOMB"}),
    Case("image-dir-proc", "validate {base} scene.params.background.kind=image scene.params.background.image_dir=/proc",
         "scene.params.background.image_dir"),
    Case("image-fifo", "validate {base} " + IMAGE, "photos/f.png", {"photos/a.png": "PNG", "photos/f.png": ("fifo",)}),
    Case("image-unreadable", "validate {base} " + IMAGE, "photos/b.png",
         {"photos/a.png": "PNG", "photos/b.png": ("mode", "PNG", 0o000)}, needs_non_root=True),
    # 6. command line and paths
    Case("out-empty", "generate {base} -o '' --num 2", "-o"),
    Case("out-under-a-file", "generate {base} -o {tmp}/afile/sub --num 2", "afile", {"afile": "x\n"}),
    Case("out-is-a-file", "generate {base} -o {tmp}/afile --num 2", "afile", {"afile": "x\n"}),
    Case("out-name-too-long", "generate {base} --num 2 -o {tmp}/" + "d" * 300, "-o"),
    Case("out-not-empty", "generate {base} -o {tmp}/full --num 2", "full", {"full/keep.txt": "mine\n"}),
    Case("out-no-permission", "generate {base} -o {tmp}/ro/sub --num 2", "ro", {"ro/": ("mode", None, 0o555)},
         needs_non_root=True),
    Case("preview-out-is-a-folder", "preview {tmp}/ds -o {tmp}/ds", "ds", {"ds/": None}),
    Case("preview-out-under-a-file", "preview {tmp}/ds -o {tmp}/afile/p.png", "afile", {"ds/": None, "afile": "x\n"}),
    Case("preview-tile-huge", "preview {tmp}/ds --tile 1000000", "--tile", {"ds/": None}),
    Case("preview-coco-nested-deep", "preview {tmp}/ds", "coco.json", {"ds/annotations/coco.json": "[" * 100_000}),
    Case("preview-coco-images-not-dicts", "preview {tmp}/ds", "coco.json",
         {"ds/annotations/coco.json": '{"images": [1, 2], "annotations": []}'}),
    Case("preview-image-corrupt", "preview {tmp}/ds", "x.png",
         {"ds/annotations/coco.json": '{"images": [{"id": 1, "file_name": "x.png"}], "annotations": []}',
          "ds/x.png": "PNG[:300]"}),
    Case("preview-bad-segmentation", "preview {tmp}/ds", "coco.json",
         {"ds/annotations/coco.json": '{"images": [{"id": 1, "file_name": "x.png"}], '
          '"annotations": [{"image_id": 1, "segmentation": 7, "bbox": [0, 0, 1, 1]}]}', "ds/x.png": "PNG"}),
    Case("preview-not-a-dataset", "preview {tmp}/ds", "ds: not a dataset", {"ds/": None}),
    Case("preview-not-a-folder", "preview {tmp}/nothing", "nothing: not a folder"),
    Case("preview-incomplete-dataset", "preview {tmp}/ds", "the dataset is incomplete",
         {"ds/manifest.json": '{"status": "running", "shards": []}'}),
    Case("preview-yolo-label-bad", "preview {tmp}/ds", "ds/labels/x.txt",
         {"ds/data.yaml": "names: [a]\ntrain: images\n", "ds/images/x.png": "PNG", "ds/labels/x.txt": "0 nope\n"}),
    # 7. regress
    Case("golden-samples-number", "regress {base} --golden {tmp}/g.json", "g.json", {"g.json": _golden(samples=5)}),
    Case("golden-list-for-dict", "regress {base} --golden {tmp}/g.json", "g.json",
         {"g.json": _golden(samples=[[1, 2]])}),
    Case("golden-stats-list", "regress {base} --golden {tmp}/g.json", "g.json", {"g.json": _golden(stats=[1, 2])}),
    Case("golden-provenance-list", "regress {base} --golden {tmp}/g.json", "g.json",
         {"g.json": _golden(provenance=[1])}),
    Case("golden-top-level-list", "regress {base} --golden {tmp}/g.json", "g.json", {"g.json": "[1, 2, 3]"}),
    Case("golden-nested-deep", "regress {base} --golden {tmp}/g.json", "g.json",
         {"g.json": "[" * 100_000 + "]" * 100_000}),
    Case("golden-truncated", "regress {base} --golden {tmp}/g.json", "g.json", {"g.json": _golden()[:5000]}),
    Case("golden-of-another-config", "regress {root}/configs/ocr_wild.yaml --golden {tmp}/g.json",
         "another config", {"g.json": _golden()}),
    Case("regress-report-is-a-file", "regress {base} --golden {tmp}/g.json --report {tmp}/afile", "afile",
         {"g.json": _golden(), "afile": "x\n"}),
    Case("regress-update-under-a-file", "regress {base} --golden {tmp}/afile/g.json --update", "afile",
         {"afile": "x\n"}),
    Case("regress-update-no-permission", "regress {base} --golden {tmp}/ro/g.json --update", "ro",
         {"ro/": ("mode", None, 0o555)}, needs_non_root=True),
    # 8. a list, a mapping or a single value where another is expected (issue #20)
    Case("fonts-list-in-file", "generate {tmp}/c.yaml -o {tmp}/out --num 2",
         "scene.params.fonts: expected a mapping, got a list", {"c.yaml": "BASE\n  params:\n    fonts: [a, b]\n"}),
    Case("params-list-in-file", "generate {tmp}/c.yaml -o {tmp}/out --num 2",
         "scene.params: expected a mapping, got a list", {"c.yaml": "BASE\n  params: [1, 2]\n"}),
    Case("params-value-in-file", "validate {tmp}/c.yaml", "scene.params: expected a mapping, got 3",
         {"c.yaml": "BASE\n  params: 3\n"}),
    Case("font-paths-mapping-in-file", "validate {tmp}/c.yaml", "scene.params.fonts.paths: expected a list",
         {"c.yaml": "BASE\n  params:\n    fonts:\n      paths: {a: 1}\n"}),
    Case("fonts-list-in-scene-file", "generate {tmp}/c.yaml -o {tmp}/out --num 2",
         "scene.params.fonts: expected a mapping, got a list",
         {"c.yaml": "name: x\nscene:\n  include: {tmp}/s.yaml\n", "s.yaml": SCENE + "  fonts: [a, b]\n"}),
    Case("params-list-in-scene-file", "validate {tmp}/c.yaml", "scene.params: expected a mapping, got a list",
         {"c.yaml": "name: x\nscene:\n  include: {tmp}/s.yaml\n", "s.yaml": "kind: text_words\nparams: [1, 2]\n"}),
    Case("fonts-list-beside-kind", "validate {tmp}/c.yaml", "scene.params.fonts: expected a mapping, got a list",
         {"c.yaml": "name: x\nscene:\n  kind: ocr_wild\n  params:\n    fonts: [a]\n"}),
    Case("scene-list-included-by-override", "validate {tmp}/c.yaml scene.include=text/words",
         "scene: expected a mapping, got a list", {"c.yaml": "name: x\nscene: [1, 2]\n"}),
    Case("fonts-list-override", "generate {base} -o {tmp}/out --num 2 'scene.params.fonts=[a, b]'",
         "scene.params.fonts: expected a mapping, got a list"),
    Case("params-list-override", "validate {base} 'scene.params=[1, 2]'", "scene.params: expected a mapping"),
    Case("fonts-value-override", "validate {base} scene.params.fonts=3", "scene.params.fonts: expected a mapping"),
    Case("font-paths-mapping-override", "validate {base} 'scene.params.fonts.paths={{a: 1}}'",
         "scene.params.fonts.paths: expected a list, got a mapping"),
    Case("image-list-override", "validate {base} 'image=[png]'", "image: expected a mapping, got a list"),
    Case("seed-list-in-file", "generate {tmp}/c.yaml -o {tmp}/out", "seed: expected a whole number, got a list",
         {"c.yaml": "name: x\nseed: [1]\nscene:\n  include: {tmp}/s.yaml\n", "s.yaml": SCENE}),
    Case("name-mapping-override", "validate {base} 'name={{a: 1}}'", "name: expected text, got a mapping"),
    Case("bool-list-in-scene-file", "validate {tmp}/c.yaml",
         "scene.params.fonts.bundled: expected true or false, got a list",
         {"c.yaml": "name: x\nscene:\n  include: {tmp}/s.yaml\n", "s.yaml": SCENE + "  fonts:\n    bundled: [1]\n"}),
    Case("categories-list-override", "validate {base} 'categories=[text]'",
         "categories: expected a mapping, got a list"),
    Case("augment-step-list", "validate {base} 'augment.blur=[1]'", "augment.blur: expected a mapping, got a list"),
    Case("annotate-value", "validate {base} annotate=3", "annotate: expected a mapping, got a single value"),
    # 9. a writer whose labels the scene does not produce, the wrong command for a config (issue #20)
    Case("kitti-dense-of-text", "generate {root}/configs/ocr_wild.yaml -o {tmp}/out --num 2 'outputs=[kitti,dense]'",
         "outputs: kitti needs 3D boxes and a camera, which scene 'ocr_wild' does not produce"),
    Case("dense-of-text", "generate {base} -o {tmp}/out --num 2 'outputs=[coco,dense]'",
         "outputs: dense needs a depth layer, which scene 'text_words' does not produce"),
    Case("icdar-of-shapes", "generate shapes -o {tmp}/out --num 2 'outputs=[coco,icdar]'",
         "outputs: icdar needs text quads and transcriptions, which scene 'shapes' does not produce"),
    Case("recognition-of-driving", "validate driving 'outputs=[recognition]'",
         "outputs: recognition needs text quads and transcriptions, which scene 'driving' does not produce"),
    Case("icdar-lines-in-file", "generate {tmp}/c.yaml -o {tmp}/out", "outputs: icdar_lines needs text lines",
         {"c.yaml": "name: x\noutputs: [coco, icdar_lines]\nscene:\n  include: {tmp}/s.yaml\n", "s.yaml": SCENE}),
    Case("generate-a-mix-config", "generate mix_words -o {tmp}/out",
         "mix_words: this is a mix config: use `synthgen mix`"),
    Case("regress-a-mix-config", "regress {root}/configs/mix_words.yaml --golden {tmp}/g.json --update",
         "mix_words.yaml: this is a mix config: use `synthgen mix`"),
    Case("mix-a-run-config", "mix {base} -o {tmp}/out", "base.yaml: this is a run config: use `synthgen generate`"),
]


def _base_text(name: bool = True) -> str:
    """configs/text_words.yaml with 4 samples, an absolute include and ``scene:`` last, so that a
    case can append ``  params:`` to it (``name=False``: without its ``name:`` line)."""
    text = (ROOT / "configs/text_words.yaml").read_text()
    text = text.replace("../scenes/text/words.yaml", str(ROOT / "scenes/text/words.yaml"))
    text = text.replace("num_samples: 200", "num_samples: 4").replace("outputs: [coco]\n", "")
    text = text.replace("scene:\n", "outputs: [coco]\nscene:\n")
    return text if name else text.replace("name: text_words\n", "")


def _content(spec: Any) -> bytes:
    if isinstance(spec, bytes):
        return spec
    for name, make in (("PNG", _png), ("JPG", _jpg), ("BOMB", _bomb)):
        if spec == name:
            return make()
        if spec.startswith(name + "[:"):
            return make()[: int(spec[len(name) + 2 : -1])]
    return spec.encode("utf-8")


def make_files(tmp: Path, files: dict[str, Any]) -> list[Path]:
    """Write a case's files; returns paths whose mode must be restored before cleanup."""
    locked = []
    base = _base_text()
    (tmp / "base.yaml").write_text(base)
    for name, spec in files.items():
        path = tmp / name.rstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith("/") and not isinstance(spec, tuple):
            path.mkdir(exist_ok=True)
        elif isinstance(spec, tuple) and spec[0] == "sparse":
            with open(path, "wb") as f:
                f.truncate(spec[1])
        elif isinstance(spec, tuple) and spec[0] == "symlink":
            path.symlink_to(spec[1])
        elif isinstance(spec, tuple) and spec[0] == "fifo":
            os.mkfifo(path)
        elif isinstance(spec, tuple) and spec[0] == "mode":
            if spec[1] is None:
                path.mkdir()
            else:
                path.write_bytes(_content(spec[1]))
            path.chmod(spec[2])
            locked.append(path)
        else:
            text = spec.replace("BASE-NAME\n", _base_text(False)).replace("BASE\n", base) if isinstance(spec, str) else spec
            text = text.replace("{tmp}", str(tmp)) if isinstance(text, str) else text
            path.write_bytes(_content(text))
    return locked


def snapshot(root: Path) -> dict[str, Any]:
    """Every path under ``root`` with its kind and content (large files by size and mtime)."""
    state: dict[str, Any] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            rel = str(path.relative_to(root))
            if path.is_symlink() or not (path.is_file() or path.is_dir()):
                state[rel] = ("special", st.st_mode)
            elif path.is_dir():
                state[rel] = ("dir", st.st_mode)
            elif st.st_size > 2**20 or not os.access(path, os.R_OK) or st.st_mode & 0o444 == 0:
                state[rel] = ("file", st.st_size, st.st_mtime_ns)
            else:
                state[rel] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
    return state


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """``python -m synthgen *args`` in ``cwd``: a process of its own, forked from a helper that has
    imported the command line once (``cli_process``: ~0.3 s of CPU saved on each of ~140 runs)."""
    return CLI.run(args, cwd, timeout=60)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path):
    if case.needs_non_root and IS_ROOT:
        pytest.skip("permissions do not bind root")
    locked = make_files(tmp_path, case.files)
    try:
        line = case.args.format(base=tmp_path / "base.yaml", root=ROOT, tmp=tmp_path)
        before = snapshot(tmp_path)
        proc = run_cli(shlex.split(line), tmp_path)
        after = snapshot(tmp_path)
    finally:
        for path in locked:
            path.chmod(0o755)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), proc.stderr[-3000:]
    assert lines[0].startswith("synthgen: error: "), lines[0]
    assert case.expect in lines[0], lines[0]
    assert proc.returncode == 2, (proc.returncode, lines[0])
    assert before == after, "the run wrote or deleted files"
    assert "root:" not in proc.stderr  # contents of a refused file are never echoed


def test_corpus_has_enough_cases_per_class():
    assert len(CASES) >= 60


# --- the checks behind the cases, in process ------------------------------------------------------


def test_invisible_characters_are_stripped_from_corpus_words(tmp_path):
    from synthgen.config import load_run_config

    corpus = tmp_path / "words.txt"
    corpus.write_text("hel\u200blo w\u202eor\u2066ld\u2069 \ufeffsoft\u00adhyphen \u200f\n", encoding="utf-8")
    (tmp_path / "base.yaml").write_text(_base_text())
    config = load_run_config(
        tmp_path / "base.yaml", [f"scene.params.corpus.file={corpus}", "scene.params.corpus.builtin=false"]
    )
    assert config.scene.settings.corpus_words == ("hello", "world", "softhyphen")


def test_invisible_characters_never_reach_a_transcription(tmp_path):
    corpus = tmp_path / "words.txt"
    corpus.write_text("zero\u200bwidth bidi\u202eword \u2067isolated\u2069 plain\n", encoding="utf-8")
    (tmp_path / "base.yaml").write_text(_base_text())
    out = tmp_path / "ds"
    proc = run_cli(
        ["generate", str(tmp_path / "base.yaml"), "-o", str(out), "--num", "2", "--no-progress",
         "scene.params.width=128", "scene.params.height=128", "scene.params.words=4",
         f"scene.params.corpus.file={corpus}", "scene.params.corpus.builtin=false"],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    texts = [a["text"] for a in json.loads((out / "annotations/coco.json").read_text())["annotations"]]
    assert texts and not [t for t in texts if any(ch in t for ch in "\u200b\u202e\u2067\u2069")]


def test_output_on_a_read_only_file_system_is_refused(tmp_path, monkeypatch):
    from synthgen import paths
    from synthgen.errors import InputError

    monkeypatch.setattr(paths, "_read_only", lambda path: True)
    with pytest.raises(InputError, match="read-only file system"):
        paths.check_output_dir(tmp_path / "out")
    with pytest.raises(InputError, match="read-only file system"):
        paths.check_output_file(tmp_path / "golden.json")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "error, words",
    [
        (OSError(errno.ENOSPC, "No space left on device", "/data/out/images/000000001.png"), "no space left"),
        (OSError(errno.EROFS, "Read-only file system", "/data/out/manifest.json"), "read-only file system"),
        (PermissionError(errno.EACCES, "Permission denied", "/data/out/labels"), "permission denied"),
    ],
    ids=["enospc", "erofs", "eacces"],
)
def test_environment_errors_during_a_run_are_one_line(tmp_path, monkeypatch, capsys, error, words):
    import synthgen.engine
    from synthgen.cli import main

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(synthgen.engine, "generate", fail)
    (tmp_path / "base.yaml").write_text(_base_text())
    assert main(["generate", str(tmp_path / "base.yaml"), "-o", str(tmp_path / "out"), "--num", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("synthgen: error: ") and words in err and error.filename in err


# What py-lmdb raises when the disk fills: the first is what LMDB 0.9 said on a full 256 KiB tmpfs
# (reproduced; the errno is not kept), the others what other write paths and versions say.
LMDB_DISK_FULL = (
    "mdb_txn_commit: Input/output error",
    "/data/out/recognition/lmdb: Input/output error: I/O error (No space left on device)",
    "mdb_put: MDB_MAP_FULL: Environment mapsize limit reached",
    "mdb_env_open: No space left on device",
)


@pytest.mark.parametrize("message", LMDB_DISK_FULL)
def test_lmdb_disk_full_is_one_line(tmp_path, monkeypatch, capsys, message):
    lmdb = pytest.importorskip("lmdb")
    import synthgen.engine
    from synthgen.cli import main

    def fail(*args, **kwargs):
        raise lmdb.Error(message)

    monkeypatch.setattr(synthgen.engine, "generate", fail)
    (tmp_path / "base.yaml").write_text(_base_text())
    assert main(["generate", str(tmp_path / "base.yaml"), "-o", str(tmp_path / "out"), "--num", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("synthgen: error: lmdb:")


def test_regress_internal_error_exits_3_never_1(tmp_path, monkeypatch, capsys):
    import synthgen.regress
    from synthgen.cli import main

    def crash(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(synthgen.regress, "regress", crash)
    (tmp_path / "base.yaml").write_text(_base_text())
    assert main(["regress", str(tmp_path / "base.yaml"), "--golden", str(tmp_path / "g.json")]) == 3
    assert "internal error" in capsys.readouterr().err


def test_other_internal_errors_still_raise(tmp_path, monkeypatch):
    import synthgen.engine
    from synthgen.cli import main

    def crash(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(synthgen.engine, "generate", crash)
    (tmp_path / "base.yaml").write_text(_base_text())
    with pytest.raises(ZeroDivisionError):
        main(["generate", str(tmp_path / "base.yaml"), "-o", str(tmp_path / "out"), "--num", "2"])
