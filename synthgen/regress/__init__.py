"""Regression tests of generator output: fingerprint a small seeded run, compare it with a golden.

    fingerprint.py  what a golden holds (labels, thumbnails, statistics, provenance)
    pixels.py       thumbnails, SSIM (kornia, imported on first use), difference maps
    stats.py        dataset statistics and their tolerance
    provenance.py   config, environment and input files, listed as likely causes
    golden.py       the golden JSON file
    compare.py      golden vs new -> Differences
    report.py       text summary, PNG and HTML report
    run.py          ``regress``: the whole check, as ``synthgen regress`` and the pytest plugin run it
"""

from synthgen.regress.compare import Comparison, Difference, compare_fingerprints
from synthgen.regress.fingerprint import Fingerprint, SampleFingerprint, fingerprint_config, fingerprint_samples
from synthgen.regress.golden import load_golden, save_golden
from synthgen.regress.run import RegressOutcome, default_report_dir, regress

__all__ = [
    "Comparison",
    "Difference",
    "Fingerprint",
    "RegressOutcome",
    "SampleFingerprint",
    "compare_fingerprints",
    "default_report_dir",
    "fingerprint_config",
    "fingerprint_samples",
    "load_golden",
    "regress",
    "save_golden",
]
