"""pytest plugin (entry point ``pytest11: synthgen``): regression tests of generator output.

    def test_words_dataset(synthgen_regress):
        synthgen_regress("configs/text_words.yaml", "tests/golden/text_words.json")

The test fails with the regression report when the run no longer matches its golden, or when the
golden is missing. ``pytest --synthgen-update-golden`` writes or refreshes the goldens instead.
Relative paths are taken from pytest's rootdir.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

UPDATE_OPTION = "--synthgen-update-golden"
# Set on a test whose regression report this plugin failed it with (see pytest_runtest_makereport).
_REPORTED = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("synthgen", "synthgen generator regression")
    group.addoption(
        UPDATE_OPTION,
        action="store_true",
        default=False,
        help="write or refresh the golden fingerprints used by the synthgen_regress fixture",
    )
    group.addoption(
        "--synthgen-report-dir",
        default=None,
        help="folder for the reports of regressed runs (default: <golden stem>_report/ beside each golden)",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    """Keep the short test summary of a regressed run to the report's first line.

    The failure section prints the whole report; pytest's short summary repeats the whole message
    where it sees a CI variable (``CI``, ``BUILD_NUMBER``), which printed the report twice in CI logs.
    """
    report = yield
    crash = getattr(report.longrepr, "reprcrash", None)
    if report.failed and item.stash.get(_REPORTED, False) and crash is not None:
        crash.message = crash.message.splitlines()[0]
    return report


def _rooted(root: Path, path: str | Path) -> Path:
    path = Path(path)
    return path if path.is_absolute() else root / path


@pytest.fixture
def synthgen_regress(request: pytest.FixtureRequest) -> Callable[..., object]:
    """``check(config, golden, overrides=(), workers=1)``: fail the test if the run regressed.

    Args (of the returned function):
        config: run config YAML (relative to pytest's rootdir) or a shipped config's name.
        golden: golden fingerprint JSON.
        overrides: ``key=value`` config overrides.
        workers: worker processes for generation.

    Returns (of the returned function):
        The ``synthgen.regress.RegressOutcome`` when the run matches or the golden was updated.
    """
    from synthgen.config import load_run_config
    from synthgen.errors import InputError
    from synthgen.regress import regress

    root = Path(request.config.rootpath)
    update = bool(request.config.getoption(UPDATE_OPTION))
    report_root = request.config.getoption("--synthgen-report-dir")

    def check(config: str | Path, golden: str | Path, overrides: Sequence[str] = (), workers: int = 1):
        request.node.stash[_REPORTED] = True
        config_path, golden_path = _rooted(root, config), _rooted(root, golden)
        if isinstance(config, str) and not config_path.exists():
            config_path = config  # a shipped config's name (``ocr_wild``); load_run_config says if it is none
        if not update and not golden_path.exists():
            pytest.fail(
                f"{golden}: golden fingerprint not found; create it with: "
                f"synthgen regress {config} --golden {golden} --update  (or run pytest {UPDATE_OPTION})",
                pytrace=False,
            )
        report_dir = Path(report_root) / Path(golden).stem if report_root else None
        try:
            run_config = load_run_config(config_path, list(overrides))
            outcome = regress(run_config, golden_path, update=update, report_dir=report_dir, workers=workers)
        except InputError as exc:
            pytest.fail(f"synthgen: error: {exc}", pytrace=False)
        if outcome.exit_code != 0:
            pytest.fail(outcome.text + f"(or run pytest {UPDATE_OPTION} to accept it)", pytrace=False)
        return outcome

    return check
