"""``regress``: fingerprint a run, then compare it with its golden (or write the golden)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from synthgen.config.schema import RunConfig
from synthgen.errors import InputError
from synthgen.regress.compare import Comparison, compare_fingerprints
from synthgen.regress.fingerprint import fingerprint_config
from synthgen.regress.golden import load_golden, save_golden
from synthgen.regress.report import ReportFiles, summary_text, write_report

MATCH, REGRESSED, UPDATED = "match", "regressed", "updated"


@dataclass(frozen=True)
class RegressOutcome:
    """Result of ``regress``.

    Attributes:
        status: ``match``, ``regressed`` or ``updated``.
        text: the text report (what the command prints).
        golden: the golden file.
        comparison: the Comparison (None when a golden was written where none could be read).
        report: the report folder's files, written when the run regressed.
    """

    status: str
    text: str
    golden: Path
    comparison: Comparison | None = None
    report: ReportFiles | None = None

    @property
    def exit_code(self) -> int:
        """0 match or updated, 1 regressed."""
        return 1 if self.status == REGRESSED else 0


def default_report_dir(golden: str | Path) -> Path:
    """``<golden folder>/<golden stem>_report``."""
    golden = Path(golden)
    return golden.with_name(f"{golden.stem}_report")


def update_command(config_label: str, golden: str | Path) -> str:
    return f"synthgen regress {config_label} --golden {golden} --update"


REPORT_FILES = ("index.html", "worst.png")  # what write_report writes


def remove_stale_report(folder: Path) -> str:
    """Remove a report folder that ``write_report`` made for the golden just replaced.

    Only a folder holding nothing but the report's own files is removed (synthgen never deletes
    what it did not write). Returns a line saying what was done, or "" when there was no report.
    """
    if not folder.is_dir():
        return ""
    entries = list(folder.iterdir())
    if any(e.name not in REPORT_FILES or not e.is_file() or e.is_symlink() for e in entries):
        return f"kept {folder}/: it holds files that are not a synthgen report\n"
    for entry in entries:
        entry.unlink()
    folder.rmdir()
    return f"removed the stale report {folder}/\n"


def check_same_config(provenance: dict, config: RunConfig, golden: Path) -> None:
    """Raise InputError when the golden was made from a config of another name or scene kind:
    comparing them would report every sample as regressed."""
    made_from = provenance.get("config") if isinstance(provenance.get("config"), dict) else {}
    scene = made_from.get("scene") if isinstance(made_from.get("scene"), dict) else {}
    name, kind = made_from.get("name"), scene.get("kind")
    if (name is not None and name != config.name) or (kind is not None and kind != config.scene.kind):
        raise InputError(
            f"{golden}: this golden was made from another config (name {name!r}, scene kind {kind!r}; "
            f"this config: name {config.name!r}, scene kind {config.scene.kind!r}); "
            f"give the config's own golden, or replace this one with --update"
        )


def regress(
    config: RunConfig,
    golden: str | Path,
    update: bool = False,
    report_dir: str | Path | None = None,
    workers: int = 1,
) -> RegressOutcome:
    """Generate ``config.regress.num`` samples and compare them with the golden fingerprint.

    Args:
        config: the loaded run config (its ``regress:`` section holds the tolerances).
        golden: golden JSON file.
        update: write (or refresh) the golden instead of failing; the outcome is ``updated``.
        report_dir: where to write the PNG/HTML report on regression (default
            ``default_report_dir(golden)``).
        workers: worker processes used to generate (the fingerprint does not depend on it).

    Returns:
        A RegressOutcome. A missing or corrupt golden without ``update`` raises InputError naming it.
    """
    golden = Path(golden)
    label = config.source
    existing = None
    if golden.exists() and not golden.is_file():
        raise InputError(f"{golden}: is not a file; give the path of a golden .json file")
    if not update:
        if not golden.is_file():
            raise InputError(f"{golden}: golden fingerprint not found; create it with: {update_command(label, golden)}")
        existing = load_golden(golden)
    elif golden.is_file():
        try:
            existing = load_golden(golden)
        except InputError:  # refreshing a corrupt golden is what --update is for
            existing = None
    if existing is not None and not update:
        check_same_config(existing.provenance, config, golden)
    if existing is not None and existing.thumbnail_px != config.regress.thumbnail_px and not update:
        # compare at the golden's thumbnail size; --update rewrites it at the configured size
        config = dataclasses.replace(
            config, regress=dataclasses.replace(config.regress, thumbnail_px=existing.thumbnail_px)
        )
    new = fingerprint_config(config, workers=workers)
    comparison = compare_fingerprints(existing, new, config.regress) if existing is not None else None

    if update:
        save_golden(new, golden)
        size_kb = golden.stat().st_size / 1024
        text = f"synthgen regress: wrote {golden} ({len(new.samples)} samples, {size_kb:.0f} KB)\n"
        text += remove_stale_report(Path(report_dir) if report_dir is not None else default_report_dir(golden))
        if comparison is not None and comparison.regressed:
            accepted = summary_text(comparison, label, str(golden)).splitlines()
            text += "accepted these changes:\n" + "\n".join(f"  {line}" for line in accepted[1:-1]) + "\n"
        elif comparison is not None:
            text += "(no changes beyond tolerance since the previous golden)\n"
        return RegressOutcome(UPDATED, text, golden, comparison)

    assert comparison is not None and existing is not None
    if not comparison.regressed:
        return RegressOutcome(MATCH, summary_text(comparison, label, str(golden)), golden, comparison)
    folder = Path(report_dir) if report_dir is not None else default_report_dir(golden)
    files = write_report(folder, existing, new, comparison, summary_text(comparison, label, str(golden)))
    return RegressOutcome(REGRESSED, summary_text(comparison, label, str(golden), files), golden, comparison, files)
