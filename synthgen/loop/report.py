"""The report of ``synthgen target``: ``report.json`` (everything), ``report.md`` (the tables) and
``error_by_parameter.png`` (error rate per value of each parameter, largest gaps first)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from synthgen.loop.breakdown import Parameter
from synthgen.loop.shift import Change

MAX_PLOTS = 12  # parameters in the figure (all of them are in the JSON and the tables)
FILES = ("report.json", "report.md", "error_by_parameter.png")


def report_data(
    header: dict[str, Any],
    overall: tuple[float, float, float],
    params: list[Parameter],
    changes: list[Change],
    kept: dict[str, str],
    unmapped: dict[str, str],
) -> dict[str, Any]:
    """The report as JSON-able data."""
    rate, low, high = overall
    return {
        **header,
        "overall": {"rate": rate, "low": low, "high": high},
        "parameters": [
            {
                "name": p.name,
                "numeric": p.numeric,
                "gap": p.gap,
                "significant": p.significant,
                "config_key": p.config_key,
                "slices": [{k: v for k, v in asdict(s).items() if v is not None} for s in p.slices],
            }
            for p in params
        ],
        "changes": [asdict(c) for c in changes],
        "left_alone": kept,
        "not_mapped": unmapped,
    }


def _markdown(data: dict[str, Any]) -> str:
    o = data["overall"]
    lines = [
        f"# synthgen target: {data['dataset']}",
        "",
        f"Results `{data['results']}` ({data['form']}): {data['failures']} of {data['units']} {data['unit']}s wrong, "
        f"error rate {o['rate']:.3f} (95 % Wilson interval {o['low']:.3f}..{o['high']:.3f}).",
        "",
        "## Changes to the config",
        "",
    ]
    if data["changes"]:
        lines += [f"- `{c['key']}`: `{c['before']}` -> `{c['after']}`  \n  {c['why']}" for c in data["changes"]]
    else:
        lines.append("None: no parameter the config draws has a significant gap.")
    lines += ["", "## Error rate by parameter (largest gaps first)", ""]
    for p in data["parameters"]:
        flag = "significant" if p["significant"] else "within noise"
        key = f", drawn from `{p['config_key']}`" if p["config_key"] else ""
        lines += [
            f"### {p['name']} (gap {p['gap']:.3f}, {flag}{key})",
            "",
            "| value | n | wrong | error | 95 % interval |",
            "|---|---:|---:|---:|---|",
        ]
        lines += [
            f"| {s['label']} | {s['count']} | {s['failures']} | {s['rate']:.3f} | {s['low']:.3f}..{s['high']:.3f} |"
            for s in p["slices"]
        ]
        lines.append("")
    return "\n".join(lines) + "\n"


def _figure(data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    params = data["parameters"][:MAX_PLOTS]
    overall = data["overall"]["rate"]
    cols = 2 if len(params) > 1 else 1
    rows = max(1, (len(params) + cols - 1) // cols)
    heights = [
        max(1.6, 0.32 * max((len(p["slices"]) for p in params[r * cols : (r + 1) * cols]), default=1) + 0.9)
        for r in range(rows)
    ]
    fig, axes = plt.subplots(
        rows, cols, figsize=(6.4 * cols, sum(heights)), gridspec_kw={"height_ratios": heights}, squeeze=False
    )
    for ax in axes.flat[len(params) :]:
        ax.axis("off")
    for ax, p in zip(axes.flat, params):
        slices = p["slices"]
        y = list(range(len(slices)))[::-1]
        rates = [s["rate"] for s in slices]
        err = [[s["rate"] - s["low"] for s in slices], [s["high"] - s["rate"] for s in slices]]
        colors = ["#c0392b" if s["low"] > overall else "#2e86c1" if s["high"] < overall else "#95a5a6" for s in slices]
        ax.barh(y, rates, xerr=err, color=colors, ecolor="#333333", capsize=2, height=0.7)
        ax.axvline(overall, color="black", linestyle="--", linewidth=1)
        ax.set_yticks(y, [f"{s['label'][:22]}  n={s['count']}" for s in slices], fontsize=8)
        ax.set_xlim(0, 1)
        ax.tick_params(axis="x", labelsize=8)
        note = " (significant)" if p["significant"] else ""
        ax.set_title(f"{p['name']}: gap {p['gap']:.2f}{note}", fontsize=9, loc="left")
    fig.suptitle(
        f"error rate per value, 95 % Wilson intervals; dashed: overall {overall:.3f} "
        f"({data['units']} {data['unit']}s); red / blue: above / below it",
        fontsize=9,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(data: dict[str, Any], folder: Path) -> list[Path]:
    """Write the report files into ``folder`` (made if missing); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / name for name in FILES]
    paths[0].write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    paths[1].write_text(_markdown(data), encoding="utf-8")
    if not data["parameters"]:
        return paths[:2]
    try:
        import matplotlib  # noqa: F401
    except ImportError:  # the tables are written; the figure needs the optional plotting library
        print("synthgen: warning: report figure skipped: pip install 'synthgen-cv[loop]' (matplotlib)", file=sys.stderr)
        return paths[:2]
    _figure(data, paths[2])
    return paths
