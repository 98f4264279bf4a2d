"""``synthgen target``: a model's results on a synthgen dataset -> a report of where it fails and
a run config that draws more of it."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from synthgen.errors import ConfigError, InputError
from synthgen.loop.breakdown import break_down
from synthgen.loop.knobs import config_knobs, map_fields
from synthgen.loop.report import FILES, report_data, write_report
from synthgen.loop.results import Matching, match_results, results_form
from synthgen.loop.shift import FONT_WEIGHTS, Limits, shift_config, shift_font_weights


@dataclass(frozen=True)
class TargetOutcome:
    """What ``target`` wrote and found."""

    config: Path
    report: list[Path]
    units: int
    failures: int
    changes: list[Any] = field(default_factory=list)

    def line(self) -> str:
        rate = self.failures / self.units
        return (
            f"{self.failures}/{self.units} wrong ({rate:.1%}); "
            f"{len(self.changes)} config value(s) shifted -> {self.config}"
            + (f"; report -> {self.report[0].parent}" if self.report else "")
        )


def parse_maps(items: list[str]) -> dict[str, str]:
    """``--map FIELD=CONFIG.KEY`` items as a dict; InputError for a malformed one."""
    out = {}
    for item in items:
        name, sep, key = item.partition("=")
        if not sep or not name.strip() or not key.strip():
            raise InputError(
                f"--map: expected FIELD=CONFIG.KEY (scene.shapes_sampled=scene.params.shapes), got {item!r}"
            )
        out[name.strip()] = key.strip()
    return out


def _manifest_config(dataset: Path) -> dict[str, Any] | None:
    manifest = dataset / "manifest.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None  # read_dataset has said what is wrong with it by now
    config = data.get("config") if isinstance(data, dict) else None
    if isinstance(config, dict) and isinstance(config.get("sources"), dict):
        return _mix_source_config(config["sources"])
    return config if isinstance(config, dict) and isinstance(config.get("scene"), dict) else None


def _mix_source_config(sources: dict[str, Any]) -> dict[str, Any] | None:
    """The run config of a mix's one ``generate`` source, with its overrides; None when there is
    not exactly one (then ``--config`` says which to shift)."""
    generated = [s for s in sources.values() if isinstance(s, dict) and s.get("format") == "generate"]
    if len(generated) != 1 or not isinstance(generated[0].get("path"), str):
        return None
    from synthgen.config import load_run_config, resolved_yaml

    source = generated[0]
    overrides = [str(o) for o in source.get("overrides") or []]
    return yaml.safe_load(resolved_yaml(load_run_config(source["path"], overrides)))


def _run_config_data(config_path: str) -> dict[str, Any]:
    from synthgen.config import load_run_config, resolved_yaml

    return yaml.safe_load(resolved_yaml(load_run_config(config_path, [])))


def _check_outputs(out: Path, report: Path | None, overwrite: bool) -> None:
    from synthgen.paths import check_output_dir, check_output_file

    check_output_file(out, "-o")
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise InputError(f"-o: {out}: a run config is a .yaml file")
    if out.exists() and not overwrite:
        raise InputError(f"-o: {out} exists; give another path or --overwrite")
    if report is not None:
        check_output_dir(report, "--report")
        present = [name for name in FILES if (report / name).exists()]
        if present and not overwrite:
            raise InputError(f"--report: {report} already holds {present[0]}; give another folder or --overwrite")


def target(
    dataset: str | Path,
    results: str | Path,
    out: str | Path,
    report: str | Path | None = None,
    matching: Matching = Matching(),
    limits: Limits = Limits(),
    bins: int = 5,
    min_count: int = 10,
    seed: int | None = None,
    maps: dict[str, str] | None = None,
    config: str | None = None,
    overwrite: bool = False,
) -> TargetOutcome:
    """Judge ``results`` against ``dataset``, write the report and the shifted run config.

    Args:
        dataset: a synthgen dataset folder (``generate``'s output or a mix split).
        results: the model's results (``.json`` COCO detections, ``.jsonl`` per-sample, ``.tsv``
            recognition; see ``synthgen.loop.results``).
        out: the new run config (``.yaml``).
        report: the report folder (``report.json``, ``report.md``, ``error_by_parameter.png``), or None.
        matching: IoU, score threshold, CER and quantile of the matching.
        limits: how far the config may move.
        bins: bins of a numeric parameter (default 5).
        min_count: slices of fewer units neither count towards a gap nor move a weight (default 10).
        seed: the new config's seed (default: the dataset's seed + 1, so round 1 draws new samples).
        maps: recorded field -> config key, for fields the name rule does not find.
        config: the run config to shift where the dataset holds none (a mix); default: the dataset's own.
        overwrite: replace an existing ``out`` and report files.

    Returns:
        A TargetOutcome. The same inputs give the same config and report, byte for byte.
    """
    from synthgen.dataset import read_dataset

    dataset, results, out = Path(dataset), Path(results), Path(out)
    report_dir = Path(report) if report is not None else None
    matching.check()
    limits.check()
    if not 2 <= bins <= 50:
        raise InputError(f"--bins: must be in 2..50, got {bins}")
    if not 1 <= min_count <= 1_000_000:
        raise InputError(f"--min-count: must be in 1..1000000, got {min_count}")
    results_form(results)
    if not results.is_file():
        raise InputError(f"--results: {results}: no such file")
    _check_outputs(out, report_dir, overwrite)
    samples = list(read_dataset(dataset))
    if not samples:
        raise InputError(f"{dataset}: the dataset has no samples")
    run_config = _run_config_data(config) if config is not None else _manifest_config(dataset)
    if run_config is None:
        raise InputError(
            f"{dataset}: its manifest holds no run config (a mix of several generated sources?); "
            "give the one to shift with --config"
        )
    matched = match_results(samples, results, matching)
    units = matched.units
    fields: dict[str, list[Any]] = {}
    for u in units:
        for name, value in u.fields.items():
            fields.setdefault(name, []).append(value)
    knobs = config_knobs(run_config)
    mapped, unmapped = map_fields(fields, knobs, maps or {})
    overall, params = break_down(units, mapped, bins=bins, min_count=min_count)
    new, changes, kept = shift_config(run_config, params, overall[0], limits, min_count=min_count)
    fonts = shift_font_weights(run_config, new, params, limits, min_count=min_count)
    if isinstance(fonts, str):
        kept[FONT_WEIGHTS] = fonts
    elif fonts is not None:
        changes.append(fonts)
    base_seed = run_config.get("seed", 0)
    new["seed"] = seed if seed is not None else int(base_seed) + 1
    new["name"] = f"{run_config.get('name', 'run')}_target"
    if isinstance(new.get("scene"), dict):
        new["scene"].pop("include", None)  # the manifest's config is resolved: the scene is whole
    failures = sum(u.failed for u in units)
    header = {
        "dataset": str(dataset),
        "results": str(results),
        "form": matched.form,
        "unit": matched.unit,
        "units": len(units),
        "failures": failures,
        "matching": matched.notes,
        "limits": {"max_shift": limits.max_shift, "min_weight": limits.min_weight, "strength": limits.strength},
        "config": str(out),
        "seed": new["seed"],
    }
    data = report_data(header, overall, params, changes, kept, unmapped)
    text = _config_text(new, data)
    _write_config(text, out)
    written = write_report(data, report_dir) if report_dir is not None else []
    return TargetOutcome(out, written, len(units), failures, changes)


def _config_text(config: dict[str, Any], data: dict[str, Any]) -> str:
    o = data["overall"]
    lines = [
        f"# Written by synthgen target from {data['dataset']} and {data['results']}:",
        f"# {data['failures']} of {data['units']} {data['unit']}s wrong "
        f"(error {o['rate']:.3f}, 95 % {o['low']:.3f}..{o['high']:.3f}).",
        f"# Limits: max shift x{data['limits']['max_shift']:g}, min weight {data['limits']['min_weight']:g}.",
    ]
    for c in data["changes"]:
        lines += [f"# changed {c['key']}:", f"#   was {c['before']}", f"#   {c['why']}"]
    for key, why in data["left_alone"].items():
        lines.append(f"# left alone {key}: {why}")
    body = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=1000)
    return "\n".join(lines) + "\n" + body


def _write_config(text: str, out: Path) -> None:
    """Check that the new config loads, then move it into place (never a half-written file)."""
    from synthgen.config import load_run_config

    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".target-", suffix=".yaml", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        try:
            load_run_config(tmp, [])
        except ConfigError as exc:  # a shifted config that does not load is synthgen's bug
            raise RuntimeError(f"synthgen target wrote a config that does not load: {exc}") from None
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
