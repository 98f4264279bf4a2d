"""Reports of a comparison: a concise text summary for the terminal or a failed test, and a folder
with a side-by-side PNG (golden | new | difference, boxes drawn, changed instances in red) and an
HTML page for the samples that changed most.
"""

from __future__ import annotations

import base64
import html
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthgen.formats.base import write_atomic
from synthgen.records import InstanceView
from synthgen.regress.compare import LABELS, PIXELS, SAMPLES, STATS, Comparison, Difference
from synthgen.regress.fingerprint import Fingerprint, SampleFingerprint
from synthgen.regress.pixels import difference_map, fit_to

MAX_LINES = 12  # per section of the text summary
WORST = 8  # samples shown in the PNG and HTML report
TILE = 192  # pixels of the longest side of each picture in the report
_TITLES = {SAMPLES: "samples", LABELS: "labels", PIXELS: "pixels", STATS: "statistics"}


@dataclass(frozen=True)
class ReportFiles:
    """What ``write_report`` wrote."""

    folder: Path
    html: Path
    png: Path


def _grouped(diffs: list[Difference]) -> list[str]:
    """One line per subject (an instance's field changes joined with '; ')."""
    lines: list[str] = []
    subjects: dict[tuple, int] = {}
    for d in diffs:
        key = (d.subject, d.sample, d.instance)
        if key in subjects:
            lines[subjects[key]] += f"; {d.detail}"
        else:
            subjects[key] = len(lines)
            lines.append(d.message)
    return lines


def summary_text(
    comparison: Comparison,
    config: str,
    golden: str,
    report: ReportFiles | None = None,
    max_lines: int = MAX_LINES,
) -> str:
    """The text report: verdict, then changes by kind, likely causes, where the pictures are."""
    n = len(comparison.ssim)
    if not comparison.regressed:
        within = n - comparison.identical_pixels
        low = min(comparison.ssim.values())
        tail = f"; {within} with pixel differences within tolerance (min SSIM {low:.3f})" if within else ""
        return f"synthgen regress: ok: {config} matches {golden} ({n} samples{tail})\n"
    labels = {d.sample for d in comparison.of_kind(LABELS)}
    pixels = {d.sample for d in comparison.of_kind(PIXELS)}
    parts = [f"{len(labels)} with label changes", f"{len(pixels)} with pixel changes"]
    if comparison.of_kind(STATS):
        parts.append(f"{len(comparison.of_kind(STATS))} statistics moved")
    lines = [f"synthgen regress: REGRESSED: {config} differs from {golden} ({n} samples compared: {', '.join(parts)})"]
    lines += _section("samples", _grouped(comparison.of_kind(SAMPLES)), max_lines)
    # the likely cause first: what differs from when the golden was made
    configs = [c.removeprefix("config: ") for c in comparison.causes if c.startswith("config: ")]
    font_changes = [c.removeprefix("font: ") for c in comparison.causes if c.startswith("font: ")]
    deps = [c for c in comparison.causes if not c.startswith(("config: ", "font: "))]
    if configs:
        lines += _section("config diff (the likely cause; a changed parameter reshuffles every later draw, so most "
                          "changes below follow from it)", configs, max_lines)
    if font_changes:
        lines += _section("font diff (a likely cause: these font files differ from the ones the golden was made "
                          "with, e.g. system fonts of another machine; glyphs, boxes and draws move with them)",
                          font_changes, max_lines)
    if deps:
        lines += _section("dependency diff (packages, FreeType, input files)", deps, max_lines)
    if not configs and not deps and not font_changes:
        lines.append("config diff: none; dependency diff: none (same config, packages and input files: "
                     "the likely cause is a change in the code)")
    # once a cause is known, a few examples of its consequences say enough
    shown = min(max_lines, 3) if configs or deps or font_changes else max_lines
    for kind in (LABELS, PIXELS, STATS):
        diffs = comparison.of_kind(kind)
        if not diffs:
            continue
        title = _TITLES[kind]
        if kind != STATS:
            fields = Counter(d.what for d in diffs)
            counts = ", ".join(f"{what} {count}" for what, count in fields.most_common())
            samples = len({d.sample for d in diffs})
            title += f": {samples} sample{'s' if samples != 1 else ''} ({counts})"
        lines += _section(title, _grouped(diffs), shown)
    if report is not None:
        lines.append(f"report: {report.html}")
    lines.append(f"if the change is intended: synthgen regress {config} --golden {golden} --update")
    return "\n".join(lines) + "\n"


def _section(title: str, items: list[str], limit: int) -> list[str]:
    if not items:
        return []
    lines = [title if ":" in title else f"{title}:", *(f"  {item}" for item in items[:limit])]
    if len(items) > limit:
        lines.append(f"  ... and {len(items) - limit} more")
    return lines


def _tile(thumb: np.ndarray, sample: SampleFingerprint | None, changed: set[int]):
    """A thumbnail scaled up to TILE with the boxes of ``sample`` drawn (changed instances in red)."""
    from PIL import Image, ImageDraw

    h, w = thumb.shape[:2]
    scale = TILE / max(h, w)
    pil = Image.fromarray(thumb).resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.NEAREST)
    if sample is not None:
        draw = ImageDraw.Draw(pil)
        sx, sy = pil.width / sample.width, pil.height / sample.height
        for k, inst in enumerate(sample.instances):
            x, y, bw, bh = InstanceView(inst).bbox
            colour = (255, 40, 40) if k in changed else (40, 220, 40)
            box = [x * sx, y * sy, (x + bw) * sx, (y + bh) * sy]
            # a dark rim keeps the box visible on a background of its own colour
            draw.rectangle([box[0] - 1, box[1] - 1, box[2] + 1, box[3] + 1], outline=(0, 0, 0), width=1)
            draw.rectangle(box, outline=colour, width=1)
    return pil


def sample_strip(golden: SampleFingerprint, new: SampleFingerprint | None, comparison: Comparison):
    """PIL image: caption above golden | new | difference for one sample."""
    from PIL import Image, ImageDraw

    changed = {d.instance for d in comparison.differences if d.sample == golden.index and d.instance is not None}
    changed |= {k for k, inst in enumerate(golden.instances) if new is not None and inst not in new.instances}
    new_changed = {k for k, inst in enumerate(new.instances) if inst not in golden.instances} if new else set()
    new_thumb = fit_to(new.thumbnail, golden.thumbnail) if new is not None else np.zeros_like(golden.thumbnail)
    tiles = [
        _tile(golden.thumbnail, golden, changed),
        _tile(new_thumb, new, new_changed),
        _tile(difference_map(golden.thumbnail, new_thumb), None, set()),
    ]
    gap, caption = 6, 16
    width = sum(t.width for t in tiles) + gap * 4
    strip = Image.new("RGB", (width, max(t.height for t in tiles) + caption + gap), "white")
    x = gap
    for t in tiles:
        strip.paste(t, (x, caption))
        x += t.width + gap
    score = comparison.ssim.get(golden.index)
    text = f"sample {golden.index}: golden | new | difference" + (f"   SSIM {score:.3f}" if score is not None else "")
    ImageDraw.Draw(strip).text((gap, 2), text, fill=(0, 0, 0))
    return strip


def _png_bytes(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def write_report(
    folder: str | Path, golden: Fingerprint, new: Fingerprint, comparison: Comparison, summary: str
) -> ReportFiles:
    """Write ``worst.png`` (the worst samples stacked) and ``index.html`` into ``folder``.

    Args:
        folder: created if missing; files of an earlier report are replaced.
        golden, new: the compared fingerprints.
        comparison: their Comparison.
        summary: the text summary, shown at the top of the page.
    """
    from PIL import Image

    folder = Path(folder)
    new_by_index = {s.index: s for s in new.samples}
    gold_by_index = {s.index: s for s in golden.samples}
    worst = [i for i in comparison.worst_samples(WORST) if i in gold_by_index]
    strips = [(i, sample_strip(gold_by_index[i], new_by_index.get(i), comparison)) for i in worst]
    if strips:
        sheet = Image.new("RGB", (max(s.width for _, s in strips), sum(s.height for _, s in strips)), "white")
        y = 0
        for _, s in strips:
            sheet.paste(s, (0, y))
            y += s.height
    else:  # only dataset-level changes: nothing to show side by side
        sheet = Image.new("RGB", (TILE, 24), "white")
    png = folder / "worst.png"
    write_atomic(png, _png_bytes(sheet))

    rows = []
    for i, s in strips:
        items = "".join(
            f"<li>{html.escape(d.message)}</li>" for d in comparison.differences if d.sample == i
        )
        img = base64.b64encode(_png_bytes(s)).decode("ascii")
        picture = f'<img src="data:image/png;base64,{img}" alt="sample {i}">'
        rows.append(f"<tr><td>{picture}</td><td><ul>{items}</ul></td></tr>")
    page = (
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>synthgen regress report</title>"
        "<style>body{font-family:sans-serif;margin:1em}pre{background:#f4f4f4;padding:.5em;white-space:pre-wrap}"
        "td{vertical-align:top;padding:4px}img{image-rendering:pixelated}</style></head><body>\n"
        "<h1>synthgen regress report</h1>\n"
        f"<pre>{html.escape(summary)}</pre>\n"
        "<h2>Samples that changed most</h2>\n<p>Boxes: green = unchanged instance, red = changed, dropped or added. "
        "Difference: brighter = larger pixel change.</p>\n"
        f"<table>{''.join(rows) or '<tr><td>no sample-level changes</td></tr>'}</table>\n</body></html>\n"
    )
    page_path = folder / "index.html"
    write_atomic(page_path, page.encode("utf-8"))
    return ReportFiles(folder=folder, html=page_path, png=png)
