"""Which parts of synthgen may import which (DESIGN.md: "a stage never imports another stage"; domain
code plugs into the stages through their registries), checked two ways:

* statically, over every import statement under synthgen/ (module level and inside functions), so a
  new edge fails here whether or not a test happens to run it;
* at run time: a driving run and a shapes run, each in a fresh process, import no text module and no
  text writer (nor a driving module for shapes).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "synthgen"

# Every module and package directly under synthgen/, by layer. A new one must be placed here.
NEUTRAL = {
    "types", "errors", "registry", "records", "paths", "lazy", "image_codec", "steps", "files",
    "cityscapes", "tensors", "diffusion_models", "extensions",
}  # fmt: skip
CONFIG = {"config"}
STAGES = {"scene", "render", "diffusion", "augment", "annotate", "formats", "backgrounds"}
DOMAINS = {"text", "shapes", "driving"}
APPS = {"engine", "mix", "regress", "loop", "cli", "preview", "torch", "dataset", "registries", "pytest_plugin", "__main__"}
TOP = "__init__"  # synthgen/__init__.py: the Python API
DATA = {"configs", "scenes"}  # YAML only
# what a neutral module may use of the config package: how values and a kind's parameters are declared
CONFIG_LANGUAGE = {"synthgen.config.distributions", "synthgen.config.params"}
LAYERS = {"neutral": NEUTRAL, "config": CONFIG, "stage": STAGES, "domain": DOMAINS, "app": APPS | {TOP}}


@dataclass(frozen=True)
class Edge:
    source: str  # importing module, dotted (synthgen.text.scenes.words)
    target: str  # imported module or name, dotted
    in_function: bool  # inside a function (imported when it runs)
    line: int

    @property
    def source_part(self) -> str:
        parts = self.source.split(".")
        return parts[1] if len(parts) > 1 else TOP

    @property
    def target_part(self) -> str:
        return self.target.split(".")[1]

    def __str__(self) -> str:
        return f"{self.source} (line {self.line}) imports {self.target}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _edges(path: Path) -> list[Edge]:
    source = _module_name(path)
    package = source if path.name == "__init__.py" else source.rpartition(".")[0]
    edges: list[Edge] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue  # annotations only: never imported at run time
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:  # relative: resolved against this module's package
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                # ``from synthgen import x`` / ``from synthgen.a import b``: b may be a module or a name
                names = [f"{base}.{a.name}" if base == "synthgen" else base for a in child.names]
            else:
                visit(child, inside)
                continue
            edges.extend(Edge(source, n, inside, child.lineno) for n in names if n.startswith("synthgen."))

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return edges


def _all_edges() -> list[Edge]:
    return [e for path in sorted(PACKAGE.rglob("*.py")) for e in _edges(path)]


def _layer(part: str) -> str | None:
    return next((name for name, members in LAYERS.items() if part in members), None)


def _problem(edge: Edge) -> str | None:
    src, dst = edge.source_part, edge.target_part
    if src == dst or dst == "__version__":
        return None
    source_layer = _layer(src)
    target_layer = _layer(dst) or "app"  # a name of synthgen/__init__ (generate_dataset, _config)
    if source_layer == "neutral":
        if target_layer == "neutral" or edge.target in CONFIG_LANGUAGE:
            return None
        return "a neutral module imports only neutral modules (and the config language: distributions, params)"
    if source_layer == "stage":
        if target_layer == "stage":
            return "a stage never imports another stage: move the shared piece to a neutral module"
        if target_layer == "domain":
            registration = edge.in_function and edge.source == f"synthgen.{src}"
            if not registration:
                return (
                    "a stage never imports a domain; only its __init__'s registration list names domain "
                    "modules, inside functions (imported when the kind is first used)"
                )
        if target_layer == "app":
            return "a stage never imports the engine, the mixer or another application module"
        return None
    if source_layer == "domain":
        if target_layer == "domain":
            return "a domain never imports another domain"
        if target_layer == "app" and not edge.in_function:
            return "a domain imports an application module only inside the function that needs it"
    return None


def test_every_part_of_the_package_has_a_layer():
    """A new module or package directly under synthgen/ is given a layer above, so the rules apply to it."""
    # a folder counts when it holds files other than compiled ones (a renamed package leaves __pycache__)
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and any(f.suffix != ".pyc" for f in p.rglob("*") if f.is_file())}
    parts = {p.stem for p in PACKAGE.glob("*.py")} | folders
    parts -= {"__pycache__"} | DATA
    placed = [name for name in parts if _layer(name) is not None]
    assert sorted(parts - set(placed)) == [], "place these in a layer of tests/test_import_layers.py"
    every = [m for members in LAYERS.values() for m in members]
    assert len(every) == len(set(every)), "a part is in two layers"
    assert set(every) - parts == set(), "a layer names a part that does not exist"


def test_no_stage_imports_a_domain_or_another_stage_and_neutral_modules_import_neither():
    problems = [f"{edge}: {why}" for edge in _all_edges() if (why := _problem(edge)) is not None]
    assert problems == []


def test_the_checker_finds_each_kind_of_forbidden_edge(tmp_path):
    """The rules above flag what they name (the edges that were in the code before they were moved)."""
    cases = {
        ("synthgen.annotate", "synthgen.text.lines", False): "stage never imports a domain",
        ("synthgen.formats.dense", "synthgen.driving.categories", True): "stage never imports a domain",
        ("synthgen.backgrounds.sample", "synthgen.diffusion.bank", False): "another stage",
        ("synthgen.diffusion.fog", "synthgen.augment.base", False): "another stage",
        ("synthgen.diffusion.bank", "synthgen.formats.base", True): "another stage",
        ("synthgen.formats.coco", "synthgen.engine.run", True): "the engine",
        ("synthgen.records", "synthgen.formats.coco", True): "neutral module",
        ("synthgen.text.page", "synthgen.driving.camera", False): "another domain",
        ("synthgen.driving.scenario", "synthgen.engine.run", False): "only inside the function",
    }
    for (source, target, in_function), words in cases.items():
        assert words in (_problem(Edge(source, target, in_function, 1)) or ""), (source, target)
    allowed = [
        ("synthgen.render", "synthgen.text.render2d", True),  # a registration list
        ("synthgen.text.scenes.words", "synthgen.scene.base", False),  # a domain plugs into a stage
        ("synthgen.backgrounds.sample", "synthgen.diffusion_models.bank", False),
        ("synthgen.steps", "synthgen.config.distributions", True),
        ("synthgen.formats.coco", "synthgen.__version__", False),
    ]
    assert [_problem(Edge(*a, 1)) for a in allowed] == [None] * len(allowed)
    # and the parser sees imports inside functions, relative ones, and skips TYPE_CHECKING blocks
    module = tmp_path / "synthgen" / "render" / "probe.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from synthgen.text import fonts\n"
        "from ..driving import camera\ndef f():\n    import synthgen.shapes.scene\n",
        encoding="utf-8",
    )
    global ROOT
    root, ROOT = ROOT, tmp_path
    try:
        found = [(e.source, e.target, e.in_function) for e in _edges(module)]
    finally:
        ROOT = root
    assert found == [
        ("synthgen.render.probe", "synthgen.driving", False),
        ("synthgen.render.probe", "synthgen.shapes.scene", True),
    ]


RUN = """
import json, sys, tempfile
from pathlib import Path
import synthgen
config = synthgen.load_config(sys.argv[1], sys.argv[2:])
with tempfile.TemporaryDirectory() as tmp:
    summary = synthgen.generate(config, Path(tmp) / "out", workers=1, executor="serial")
    assert summary.samples == config.num_samples
print(json.dumps(sorted(m for m in sys.modules if m == "synthgen" or m.startswith("synthgen."))))
"""
TEXT_WRITERS = ("synthgen.formats.icdar", "synthgen.formats.recognition", "synthgen.formats.text_readers",
                "synthgen.formats.lmdb_dataset")  # fmt: skip


def _modules_of_a_run(config: str, *overrides: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", RUN, str(ROOT / "configs" / config), *overrides],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _of(modules: list[str], prefix: str) -> list[str]:
    return [m for m in modules if m == prefix or m.startswith(prefix + ".")]


@pytest.mark.slow  # a run in a fresh process
def test_a_driving_run_imports_no_text_module_and_no_text_writer():
    small = ["num_samples=2", "shard_size=1", "scene.params.width=160", "scene.params.height=96"]
    modules = _modules_of_a_run("driving.yaml", *small)
    assert _of(modules, "synthgen.driving.render") and _of(modules, "synthgen.formats.kitti")  # it did run
    assert _of(modules, "synthgen.text") == []
    assert [m for m in modules if m in TEXT_WRITERS] == []
    assert _of(modules, "synthgen.shapes") == []


@pytest.mark.slow  # a run in a fresh process
def test_a_shapes_run_imports_no_text_or_driving_module():
    modules = _modules_of_a_run("shapes.yaml", "num_samples=2", "shard_size=1")
    assert _of(modules, "synthgen.shapes.render") and _of(modules, "synthgen.formats.coco")
    assert _of(modules, "synthgen.text") == [] and _of(modules, "synthgen.driving") == []
    assert [m for m in modules if m in TEXT_WRITERS] == []


@pytest.mark.parametrize("name", ["coco", "icdar", "icdar_lines", "recognition", "yolo", "kitti", "dense"])
def test_the_writer_entries_known_without_import_are_the_writers_own(name):
    from synthgen.formats import WRITERS, writer_entries

    assert sorted(writer_entries()) == WRITERS.names()
    assert writer_entries()[name] == WRITERS.get(name).entries
