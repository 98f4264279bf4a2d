"""The ``synthgen`` command line. Exit codes: 0 done, 1 internal error, 2 bad input."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence

from synthgen.errors import InputError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, no usage dump
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="synthgen", description="Labelled synthetic data for computer vision.")
    from synthgen import __version__

    parser.add_argument("--version", action="version", version=f"synthgen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    gen = sub.add_parser("generate", help="generate a dataset from a run config")
    gen.add_argument("config", help="run config YAML (configs/*.yaml)")
    gen.add_argument("-o", "--out", help="dataset folder (default: out/<config name>)")
    gen.add_argument("--num", type=_positive, help="number of samples (overrides num_samples)")
    gen.add_argument("--seed", type=_int, help="run seed (overrides seed)")
    gen.add_argument("--workers", type=_positive, default=1, help="worker processes (default 1)")
    gen.add_argument("--executor", default="process", help="serial or process (default process)")
    gen.add_argument("--overwrite", action="store_true", help="replace a dataset of another config in OUT")
    gen.add_argument("--no-progress", action="store_true", help="no progress bar")
    gen.add_argument("overrides", nargs="*", help="key=value config overrides")

    val = sub.add_parser("validate", help="load and check a config, print the resolved one")
    val.add_argument("config")
    val.add_argument("overrides", nargs="*", help="key=value config overrides")

    pre = sub.add_parser("preview", help="contact sheet of a dataset with its labels drawn")
    pre.add_argument("dataset", help="dataset folder")
    pre.add_argument("-o", "--out", help="PNG to write (default DATASET/preview.png)")
    pre.add_argument("-n", "--num", type=_positive, default=12, help="samples to show (default 12)")
    pre.add_argument("--columns", type=_positive, default=4)
    pre.add_argument("--tile", type=_positive, default=384, help="tile size in pixels (default 384)")

    reg = sub.add_parser("regress", help="regenerate a small seeded set and compare it with a golden fingerprint")
    reg.add_argument("config", help="run config YAML; its regress: section holds the tolerances")
    reg.add_argument("--golden", required=True, help="golden fingerprint JSON (tests/golden/NAME.json)")
    reg.add_argument("--num", type=_positive, help="samples to fingerprint (overrides regress.num, default 8)")
    reg.add_argument("--update", action="store_true", help="write or refresh the golden and exit 0")
    reg.add_argument("--report", help="folder for the PNG/HTML report (default: <golden stem>_report/ beside it)")
    reg.add_argument("--workers", type=_positive, default=1, help="worker processes (default 1)")
    reg.add_argument("overrides", nargs="*", help="key=value config overrides")
    return parser


def _overrides(args: argparse.Namespace) -> list[str]:
    items = list(args.overrides)
    if getattr(args, "num", None) is not None:
        items.append(f"num_samples={args.num}")
    if getattr(args, "seed", None) is not None:
        items.append(f"seed={args.seed}")
    return items


def _generate(args: argparse.Namespace) -> int:
    from synthgen.config import load_run_config
    from synthgen.engine import generate

    config = load_run_config(args.config, _overrides(args))
    out = args.out  # None: out/<config name>, kept inside out/ by the engine
    summary = generate(
        config, out, workers=args.workers, executor=args.executor, overwrite=args.overwrite, progress=not args.no_progress
    )
    print(summary.line())
    return 0


def _validate(args: argparse.Namespace) -> int:
    from synthgen.config import load_run_config, resolved_yaml

    config = load_run_config(args.config, list(args.overrides))
    sys.stdout.write(resolved_yaml(config))
    return 0


def _preview(args: argparse.Namespace) -> int:
    from synthgen.preview import write_preview

    path = write_preview(args.dataset, args.out, num=args.num, columns=args.columns, tile=args.tile)
    print(f"preview -> {path}")
    return 0


def _regress(args: argparse.Namespace) -> int:
    from synthgen.config import load_run_config
    from synthgen.regress import regress

    overrides = [*args.overrides, *([f"regress.num={args.num}"] if args.num is not None else [])]
    config = load_run_config(args.config, overrides)
    outcome = regress(config, args.golden, update=args.update, report_dir=args.report, workers=args.workers)
    sys.stdout.write(outcome.text)
    return outcome.exit_code


COMMANDS = {"generate": _generate, "validate": _validate, "preview": _preview, "regress": _regress}


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that a run stops as it does on Ctrl-C."""


def _on_sigterm(signum, frame):
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: leave signals alone
        previous = None
    try:
        return _main(argv)
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        print(f"synthgen: {what}; rerun the same command to resume", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # key=value overrides may come after options too (argparse stops a nargs="*" positional early).
    stray = [e for e in extra if e.startswith("-") or "=" not in e or not hasattr(args, "overrides")]
    if stray:
        parser.error(f"unrecognized arguments: {' '.join(stray)}")
    if extra:
        args.overrides = [*args.overrides, *extra]
    try:
        return COMMANDS[args.command](args)
    except InputError as exc:
        print(f"synthgen: error: {exc}", file=sys.stderr)
        return 2
