"""The ``synthgen`` command line. Exit codes: 0 done, 1 internal error, 2 bad input (config,
dataset, arguments, and the run's surroundings: a full disk, a read-only or forbidden folder);
``regress`` uses 1 for "regressed" and 3 for an internal error."""

from __future__ import annotations

import argparse
import signal
import sys
import traceback
from collections.abc import Sequence

from synthgen.errors import InputError

MAX_ERROR_CHARS = 1000
MAX_WORKERS = 256


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, no usage dump; the same prefix as every bad input
        command = self.prog.split(" ", 1)[1] + ": " if " " in self.prog else ""
        self.exit(2, f"synthgen: error: {command}{one_line(message)}\n")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def _at_most(limit: int):
    """An argparse type: a whole number in 1..limit (a worker count or a sheet size past it is a typo)."""

    def parse(text: str) -> int:
        value = _positive(text)
        if value > limit:
            raise argparse.ArgumentTypeError(f"must be <= {limit}, got {value}")
        return value

    return parse


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


EXIT_CODES = """exit codes:
  0  done
  1  internal error (a bug in synthgen)
  2  bad input: config, override, dataset, argument, or the run's surroundings (full disk,
     read-only or forbidden folder); one line on stderr, nothing written"""

GENERATE_EXAMPLES = """examples:
  synthgen generate ocr_wild -o out/wild --num 500 --workers 4      a shipped config by name
  synthgen generate configs/text_words.yaml scene.params.font_size='randint(20, 40)'
  synthgen generate my_run.yaml -o out/run                            rerun to resume or extend
  synthgen list                                                       the configs that ship

overrides are key=value (YAML values): quote values that hold spaces, [ ] { } , or :, e.g.
  scene.params.text.patterns='["[A-Z]{3}-[0-9]{4}"]'   scene.params.fonts.paths='[/my/fonts]'

progress: a bar on a terminal, plain lines otherwise (CI logs); --no-progress for neither.

"""

REGRESS_EXIT_CODES = """exit codes:
  0  the run matches its golden (or --update wrote it)
  1  regressed: the report says what changed and the likely cause
  2  bad input: config, golden or path
  3  internal error (a crash is never reported as a regression)"""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="synthgen",
        description="Labelled synthetic data for computer vision.",
        epilog="run 'synthgen COMMAND --help' for a command's options; " + EXIT_CODES.splitlines()[0][:-1]
        + ": 0 done, 1 internal error, 2 bad input (regress: 1 regressed, 3 internal error)",
    )
    from synthgen import __version__

    parser.add_argument("--version", action="version", version=f"synthgen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    raw = argparse.RawDescriptionHelpFormatter

    gen = sub.add_parser(
        "generate", help="generate a dataset from a run config", epilog=GENERATE_EXAMPLES + EXIT_CODES, formatter_class=raw
    )
    gen.add_argument("config", help="run config: a YAML path or a shipped config's name (synthgen list)")
    gen.add_argument("-o", "--out", help="dataset folder (default: out/<config name>)")
    gen.add_argument("--num", type=_positive, help="number of samples (overrides num_samples)")
    gen.add_argument("--seed", type=_int, help="run seed (overrides seed)")
    gen.add_argument("--workers", type=_at_most(MAX_WORKERS), default=1, help="worker processes (default 1)")
    gen.add_argument("--executor", default="process", help="serial, process or ray (default process)")
    gen.add_argument(
        "--ray-address",
        help="with --executor ray: the cluster to join (auto, host:port, ray://host:port); default: a local one",
    )
    gen.add_argument("--overwrite", action="store_true", help="replace a dataset of another config in OUT")
    gen.add_argument("--no-progress", action="store_true", help="no progress bar")
    gen.add_argument("overrides", nargs="*", metavar="key=value", help="optional config overrides")

    val = sub.add_parser(
        "validate",
        help="load and check a run or mix config, print the resolved one",
        description="Load and check a run config or a mix config (one with sources:); print the resolved config, "
        "overridden keys marked '# overridden'.",
        epilog=EXIT_CODES,
        formatter_class=raw,
    )
    val.add_argument("config", help="run or mix config: a YAML path or a shipped config's name")
    val.add_argument("overrides", nargs="*", metavar="key=value", help="optional config overrides")

    pre = sub.add_parser("preview", help="contact sheet of a dataset with its labels drawn")
    pre.add_argument(
        "dataset",
        help="a synthgen dataset (any outputs) or mix output folder; a COCO, KITTI, YOLO, ICDAR or recognition folder",
    )
    pre.add_argument("-o", "--out", help="PNG to write (default DATASET/preview.png)")
    pre.add_argument("-n", "--num", type=_at_most(1000), default=12, help="samples to show (default 12)")
    pre.add_argument("--columns", type=_at_most(64), default=4)
    pre.add_argument("--tile", type=_at_most(4096), default=384, help="tile size in pixels (default 384)")

    mx = sub.add_parser("mix", help="blend synthetic samples with real annotated datasets (a mix config)")
    mx.add_argument("config", help="mix config YAML (configs/mix_*.yaml)")
    mx.add_argument("-o", "--out", help="output folder (default: out/<config name>)")
    mx.add_argument("--workers", type=_at_most(MAX_WORKERS), default=1, help="worker processes (default 1)")
    mx.add_argument("--executor", default="process", help="serial, process or ray (default process), as generate's")
    mx.add_argument(
        "--ray-address",
        help="with --executor ray: the cluster to join (auto, host:port, ray://host:port); default: a local one",
    )
    mx.add_argument("--overwrite", action="store_true", help="replace a previous mix of another config in OUT")
    mx.add_argument("--no-progress", action="store_true", help="no progress bar (plain lines when not a terminal)")
    mx.add_argument("overrides", nargs="*", help="key=value config overrides")


    reg = sub.add_parser(
        "regress",
        help="regenerate a small seeded set and compare it with a golden fingerprint",
        epilog=REGRESS_EXIT_CODES,
        formatter_class=raw,
    )
    reg.add_argument("config", help="run config (path or shipped name); its regress: section holds the tolerances")
    reg.add_argument("--golden", required=True, help="golden fingerprint JSON (tests/golden/NAME.json)")
    reg.add_argument("--num", type=_positive, help="samples to fingerprint (overrides regress.num, default 8)")
    reg.add_argument("--update", action="store_true", help="write or refresh the golden and exit 0")
    reg.add_argument("--report", help="folder for the PNG/HTML report (default: <golden stem>_report/ beside it)")
    reg.add_argument("--workers", type=_at_most(MAX_WORKERS), default=1, help="worker processes (default 1)")
    reg.add_argument("overrides", nargs="*", metavar="key=value", help="optional config overrides")

    sub.add_parser("list", help="the run configs and scenes that ship with synthgen")
    return parser


def _overrides(args: argparse.Namespace) -> list[str]:
    items = list(args.overrides)
    if getattr(args, "num", None) is not None:
        items.append(f"num_samples={args.num}")
    if getattr(args, "seed", None) is not None:
        items.append(f"seed={args.seed}")
    if getattr(args, "ray_address", None) is not None:
        items.append(f"ray.address={args.ray_address}")
    return items


def _generate(args: argparse.Namespace) -> int:
    from synthgen.config import load_run_config
    from synthgen.engine import generate
    from synthgen.paths import check_output_dir

    config = load_run_config(args.config, _overrides(args))
    # None: out/<config name>, kept inside out/ by the engine
    out = check_output_dir(args.out, "-o") if args.out is not None else None
    summary = generate(
        config, out, workers=args.workers, executor=args.executor, overwrite=args.overwrite, progress=not args.no_progress
    )
    print(summary.line())
    return 0


MIX_CHECKS = (
    "# a mix config, checked: categories, every source (path, format's reader, label_map targets, count or weight,\n"
    "# unmapped, on_bad; a generate source's run config), strategy (ratio, fill_to, caps), splits, duplicates,\n"
    "# copy_paste and outputs. The datasets themselves are read by synthgen mix (bad records, unmapped categories).\n"
)


def _validate(args: argparse.Namespace) -> int:
    from synthgen.config import load_run_config, resolved_yaml
    from synthgen.mix.config import is_mix_config

    if is_mix_config(args.config):
        from synthgen.mix import load_mix_config

        mix_config = load_mix_config(args.config, list(args.overrides))
        sys.stdout.write(resolved_yaml(mix_config, list(args.overrides)) + MIX_CHECKS)
        return 0
    config = load_run_config(args.config, list(args.overrides))
    sys.stdout.write(resolved_yaml(config, list(args.overrides)))
    return 0


def _preview(args: argparse.Namespace) -> int:
    from synthgen.paths import check_output_file
    from synthgen.preview import write_preview

    if args.out is not None:
        check_output_file(args.out, "-o")
    path = write_preview(args.dataset, args.out, num=args.num, columns=args.columns, tile=args.tile)
    print(f"preview -> {path}")
    return 0


def _mix(args: argparse.Namespace) -> int:
    from synthgen.mix import load_mix_config, mix
    from synthgen.paths import check_output_dir

    config = load_mix_config(args.config, _overrides(args))
    out = check_output_dir(args.out if args.out is not None else f"out/{config.name}", "-o")
    summary = mix(
        config,
        out,
        overwrite=args.overwrite,
        progress=not args.no_progress,
        workers=args.workers,
        executor=args.executor,
    )
    print(summary.line())
    return 0


def _regress(args: argparse.Namespace) -> int:
    from synthgen.config import load_run_config
    from synthgen.regress import regress

    overrides = [*args.overrides, *([f"regress.num={args.num}"] if args.num is not None else [])]
    config = load_run_config(args.config, overrides)
    check_regress_paths(args.golden, args.report, args.update)
    outcome = regress(config, args.golden, update=args.update, report_dir=args.report, workers=args.workers)
    sys.stdout.write(outcome.text)
    return outcome.exit_code


def _list(args: argparse.Namespace) -> int:
    from synthgen.config.shipped import shipped_configs, shipped_scenes

    configs, scenes = shipped_configs(), shipped_scenes()
    width = max(len(s.name) for s in [*configs, *scenes])
    print("run configs (synthgen generate NAME):")
    for c in configs:
        print(f"  {c.name:<{width}}  {c.description}")
    print("scenes (scene: {include: NAME}):")
    for s in scenes:
        print(f"  {s.name:<{width}}  {s.description}")
    from synthgen.registries import by_key

    print("kinds (the kind: of each stage; listed without importing them):")
    for where, registry in by_key().items():
        print(f"  {where:<{width}}  {', '.join(registry.names())}")
    return 0


def check_regress_paths(golden: str, report: str | None, update: bool) -> None:
    """Before regenerating: with ``update`` the golden can be written, and a ``--report`` folder can be
    made (the default one beside the golden is only written on a regression, so a read-only
    checkout that matches its goldens still passes)."""
    from synthgen.paths import check_output_dir, check_output_file

    if not golden.strip():
        raise InputError("--golden: empty path")
    if update:
        check_output_file(golden, "--golden")
    if report is not None:
        check_output_dir(report, "--report")


def one_line(message: str) -> str:
    """``message`` as one printable line of at most MAX_ERROR_CHARS characters."""
    text = " ".join(str(message).splitlines())
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS] + "..."


COMMANDS = {"generate": _generate, "validate": _validate, "preview": _preview, "mix": _mix, "regress": _regress, "list": _list}


def _print_config_warnings() -> None:
    """A config warning is one line on stderr, ``synthgen: warning: ...``."""
    import warnings

    from synthgen.config.load import ConfigWarning

    show = warnings.showwarning
    if getattr(show, "synthgen", False):  # installed by an earlier main() in this process
        return

    def showwarning(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, ConfigWarning):
            print(f"synthgen: warning: {one_line(str(message))}", file=sys.stderr)
        else:
            show(message, category, filename, lineno, file, line)

    showwarning.synthgen = True  # type: ignore[attr-defined]
    warnings.showwarning = showwarning


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that a run stops as it does on Ctrl-C."""


def _on_sigterm(signum, frame):
    _on_sigterm.received = True  # type: ignore[attr-defined]
    raise Terminated()


# A library that runs Python's signal handlers from its own wait loop (Ray's ray.wait, ray.get)
# may raise a plain KeyboardInterrupt in place of the handler's Terminated: this says it was SIGTERM.
_on_sigterm.received = False  # type: ignore[attr-defined]


def main(argv: Sequence[str] | None = None) -> int:
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: leave signals alone
        previous = None
    _on_sigterm.received = False  # type: ignore[attr-defined]
    try:
        return _main(argv)
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Terminated) or _on_sigterm.received  # type: ignore[attr-defined]
        what = "terminated" if terminated else "interrupted"
        print(f"synthgen: {what}; rerun the same command to resume", file=sys.stderr)
        return 143 if terminated else 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:  # `synthgen` alone: what it can do
        parser.print_help()
        return 0
    _print_config_warnings()
    args, extra = parser.parse_known_args(argv)
    if args.command is None:
        parser.error("give a command: " + ", ".join(COMMANDS))
    # key=value overrides may come after options too (argparse stops a nargs="*" positional early).
    stray = [e for e in extra if e.startswith("-") or "=" not in e or not hasattr(args, "overrides")]
    if stray:
        parser.error(f"unrecognized arguments: {' '.join(stray)}")
    if extra:
        args.overrides = [*args.overrides, *extra]
    try:
        return COMMANDS[args.command](args)
    except InputError as exc:
        print(f"synthgen: error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except Exception as exc:
        from synthgen.paths import environment_error

        line = environment_error(exc)
        if line is not None:  # a full disk or a read-only folder is the user's to fix, not a crash
            print(f"synthgen: error: {one_line(line)}", file=sys.stderr)
            return 2
        if args.command != "regress":
            raise
        # exit 1 means "regressed" to CI: a crash must never look like one
        traceback.print_exc()
        print("synthgen: internal error (exit code 3); this is a bug in synthgen, not a regression", file=sys.stderr)
        return 3
