# cli: ready for integrations
"""The command line: ``kerasrnnlint [PATH...]`` and its subcommands.

``kerasrnnlint [check] [PATH...]`` lints (default ``.``; ``-`` reads stdin, named by
``--stdin-filename``). ``rules`` lists the rules, ``explain CODE|NAME|severity`` prints a rule's
documentation and the risk model, ``probe ...`` probes a layer at a line, ``server ...`` starts the
language server. A subcommand is recognised only as the first argument, so a path literally named
``rules`` is linted as ``./rules`` (or ``kerasrnnlint check rules``).

Exit status: 0 when nothing is at or above ``--fail-on``, 1 when something is, 2 for a usage or
configuration error, an input that could not be linted, or an internal error (after every other
input has been reported).

Only what a run needs is imported: no rich unless colour is on, no libcst when the prefilter rules
every file out, no process pool for a few files, never TensorFlow.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from kerasrnnlint.config import Settings
    from kerasrnnlint.engine import FileResult

PROG = "kerasrnnlint"
SUBCOMMANDS: tuple[str, ...] = ("check", "rules", "explain", "probe", "server")
FAIL_LEVELS: tuple[str, ...] = ("info", "low", "medium", "high")
EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A command line that cannot be run (exit status 2)."""


def eprint(text: str) -> None:
    print(text, file=sys.stderr)


# --------------------------------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------------------------------


def _list_arg(values: Sequence[str] | None) -> list[str] | None:
    """Repeatable, comma-separated flag values -> one list (None when the flag was not given)."""
    if values is None:
        return None
    from kerasrnnlint.config import split_list

    return [item for value in values for item in split_list(value)]


def check_parser() -> argparse.ArgumentParser:
    from kerasrnnlint.reporters import FORMATS

    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Find Keras recurrent layers whose configuration makes training diverge to NaN. "
            "Subcommands (first argument): rules, explain CODE, probe FILE:LINE, server, check."
        ),
        epilog="Exit status: 0 clean, 1 findings at or above --fail-on, 2 error.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default .)")
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")

    out = parser.add_argument_group("output")
    out.add_argument("--output-format", choices=sorted(FORMATS), default="text")
    out.add_argument("--output-file", metavar="PATH", help="write the report to PATH")
    out.add_argument("-q", "--quiet", action="store_true", help="only the finding lines")
    out.add_argument("--statistics", action="store_true", help="count findings per rule")
    out.add_argument("--show-factors", action="store_true", help="show the risk factors")
    out.add_argument(
        "--show-unknown", action="store_true", help="list layers with unresolved arguments"
    )
    out.add_argument("--no-show-source", action="store_true", help="no code frames")
    out.add_argument("--color", choices=("auto", "always", "never"), default="auto")

    sel = parser.add_argument_group("rule selection and configuration")
    sel.add_argument("--select", action="append", metavar="CODES", help="rules to check")
    sel.add_argument("--extend-select", action="append", metavar="CODES")
    sel.add_argument("--ignore", action="append", metavar="CODES", help="rules to skip")
    sel.add_argument(
        "--per-file-ignores", action="append", metavar="GLOB:CODES", help="e.g. 'tests/*:KRL001'"
    )
    sel.add_argument("--exclude", action="append", metavar="GLOBS")
    sel.add_argument("--extend-exclude", action="append", metavar="GLOBS")
    sel.add_argument(
        "--force-exclude",
        action="store_true",
        default=None,
        help="apply excludes to paths named on the command line too",
    )
    sel.add_argument("--fail-on", choices=FAIL_LEVELS, help="lowest severity that fails (low)")
    sel.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    sel.add_argument("--recurrent-dropout-max-lr", metavar="LR")
    sel.add_argument("--config", metavar="PATH", help="a pyproject.toml to read settings from")
    sel.add_argument("--isolated", action="store_true", help="ignore configuration files")
    sel.add_argument("--stdin-filename", metavar="PATH", help="name of the file read from stdin")
    sel.add_argument("-j", "--jobs", type=int, metavar="N", help="worker processes (default: CPUs)")

    probe = parser.add_argument_group("probe")
    probe.add_argument("--probe", action="store_true", help="confirm findings by a short training")
    probe.add_argument("--probe-mode", choices=("stress", "replay"))
    probe.add_argument("--probe-timeout", metavar="S")
    probe.add_argument("--probe-total-timeout", metavar="S")
    probe.add_argument("--probe-device", choices=("auto", "cpu", "gpu"))
    probe.add_argument(
        "--probe-backend",
        choices=("auto", "tensorflow", "jax", "torch"),
        help="the Keras backend to train on (auto: the one Keras would use)",
    )
    probe.add_argument("--probe-min-severity", choices=FAIL_LEVELS)
    probe.add_argument("--no-cache", action="store_true", help="do not use the probe cache")

    fix = parser.add_argument_group("autofix")
    fix.add_argument("--fix", action="store_true", help="apply safe fixes")
    fix.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes")
    fix.add_argument("--diff", action="store_true", help="print the fixes as a diff, write nothing")
    fix.add_argument("--add-noqa", action="store_true", help="add '# noqa: CODE' to findings")
    return parser


def _version() -> str:
    from kerasrnnlint import __version__

    return __version__


# --------------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------------


def build_settings(args: argparse.Namespace) -> Settings:
    from kerasrnnlint import config

    first = args.paths[0] if args.paths else "."
    if first == "-":
        first = args.stdin_filename or "."
    settings = config.discover_settings(
        start=Path(first),
        config=Path(args.config) if args.config else None,
        isolated=args.isolated,
    )
    overrides = config.Overrides(
        select=_list_arg(args.select),
        extend_select=_list_arg(args.extend_select),
        ignore=_list_arg(args.ignore),
        per_file_ignores=args.per_file_ignores,
        exclude=_list_arg(args.exclude),
        extend_exclude=_list_arg(args.extend_exclude),
        force_exclude=args.force_exclude,
        fail_on=args.fail_on,
        recurrent_dropout_max_lr=args.recurrent_dropout_max_lr,
        probe_timeout=args.probe_timeout,
        probe_min_severity=args.probe_min_severity,
        probe_backend=args.probe_backend,
    )
    return config.apply_overrides(settings, overrides)


# --------------------------------------------------------------------------------------------------
# Linting
# --------------------------------------------------------------------------------------------------


def lint_stdin(args: argparse.Namespace, settings: Settings) -> tuple[list[FileResult], str]:
    """Lint stdin as ``--stdin-filename``; nothing when ``--force-exclude`` excludes that name
    (an editor or hook that pipes every buffer gets what it gets for the file on disk)."""
    from kerasrnnlint import discovery, runner
    from kerasrnnlint.engine import FileResult
    from kerasrnnlint.files import Unreadable, decode_python

    name = args.stdin_filename or "<stdin>"
    data = sys.stdin.buffer.read()
    if args.stdin_filename and discovery.force_excluded(args.stdin_filename, settings):
        return [], ""
    if runner.kind_of(name) == "notebook":  # --stdin-filename train.ipynb: the notebook's JSON
        return [runner.lint_prepared(runner.Prepared(name, "notebook", data=data), settings)], ""
    text = decode_python(data)
    if isinstance(text, Unreadable):
        return [FileResult(path=name, error=text.cause)], ""
    return [runner.lint_text(text, name, settings)], text


def lint_paths(args: argparse.Namespace, settings: Settings) -> list[FileResult]:
    from kerasrnnlint import discovery, runner

    targets = discovery.discover(args.paths or ["."], settings)
    return runner.lint_targets(targets, settings, jobs=args.jobs)


def regroup(results: Sequence[FileResult], findings: Sequence[Any]) -> list[FileResult]:
    """Put findings returned by the probe back into their files' results (same order)."""
    by_path: dict[str, list[Any]] = {}
    for finding in findings:
        by_path.setdefault(finding.location.path, []).append(finding)
    return [replace(r, findings=tuple(by_path.get(r.path, ()))) for r in results]


def run_fixes(
    args: argparse.Namespace, results: list[FileResult], settings: Settings
) -> tuple[list[FileResult], str]:
    """Apply (or, with ``--diff``, only compute) the fixes; the re-linted results and the diff."""
    from kerasrnnlint.fixes import FixOptions, apply_fixes

    options = FixOptions(unsafe=args.unsafe_fixes, diff_only=args.diff, add_noqa=args.add_noqa)
    outcome = apply_fixes(results, settings, options)
    for message in outcome.messages:
        eprint(f"{PROG}: {message}")
    return list(outcome.results), outcome.diff


def emit_diff(diff: str, results: Sequence[FileResult]) -> int:
    """``--diff``, as in ruff: stdout holds only the diff (so it can be piped to ``git apply``);
    inputs that could not be linted go to stderr. Exit 1 when there is something to apply."""
    if diff:
        sys.stdout.write(diff if diff.endswith("\n") else diff + "\n")
    errors = [r for r in results if r.error is not None]
    for result in errors:
        eprint(f"{result.path}: error: {result.error}")
    if errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if diff else EXIT_OK


def run_probe(
    args: argparse.Namespace, results: list[FileResult], settings: Settings
) -> list[FileResult]:
    from kerasrnnlint.probe import ProbeOptions, run_probes

    values: dict[str, Any] = {"cache": not args.no_cache}
    if args.probe_mode:
        values["mode"] = args.probe_mode
    if settings.probe_timeout is not None:
        values["timeout"] = settings.probe_timeout
    if args.probe_total_timeout is not None:
        from kerasrnnlint.config import parse_seconds

        values["total_timeout"] = parse_seconds(args.probe_total_timeout, "--probe-total-timeout")
    if settings.probe_backend is not None:
        values["backend"] = settings.probe_backend
    if args.probe_device:
        values["device"] = args.probe_device
    if settings.probe_min_severity is not None:
        values["min_severity"] = settings.probe_min_severity
    findings = [f for r in results for f in r.findings]
    layers = [layer for r in results for layer in r.layers]
    probed, notes = run_probes(findings, ProbeOptions(**values), layers)
    for note in notes:
        eprint(f"{PROG}: note: {note}")
    return regroup(results, probed)


def exit_status(results: Sequence[FileResult], settings: Settings, exit_zero: bool) -> int:
    if any(r.error is not None for r in results):
        return EXIT_ERROR
    if exit_zero:
        return EXIT_OK
    failing = any(f.severity >= settings.fail_on for r in results for f in r.findings)
    return EXIT_FINDINGS if failing else EXIT_OK


# --------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------


def use_colour(choice: str, stream: TextIO) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def report_mode(path: str) -> int:
    """The mode of the existing ``path``, else that of a new file under the current umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix=".kerasrnnlint-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        # mkstemp creates the file 0600; give the report the mode open() would have given it.
        os.chmod(temp, report_mode(path))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def emit(args: argparse.Namespace, results: list[FileResult], sources: dict[str, str]) -> None:
    import io

    from kerasrnnlint import reporters
    from kerasrnnlint.reporters.text import summary_line

    text_format = args.output_format == "text"
    to_file = args.output_file is not None
    ctx = reporters.ReportContext(
        color=not to_file and text_format and use_colour(args.color, sys.stdout),
        show_factors=args.show_factors,
        show_unknown=args.show_unknown,
        statistics=args.statistics,
        quiet=args.quiet,
        show_source=not args.no_show_source,
        sources=sources,
    )
    # Inputs that could not be linted go to stderr unless the text report shows them.
    if not (text_format and not to_file and not args.quiet):
        for result in results:
            if result.error is not None:
                eprint(f"{result.path}: error: {result.error}")
    reporter = reporters.get(args.output_format)
    if to_file:
        buffer = io.StringIO()
        reporter(results, ctx, buffer)
        try:
            write_atomically(args.output_file, buffer.getvalue())
        except OSError as exc:
            cause = (exc.strerror or str(exc)).lower()
            raise UsageError(f"cannot write --output-file {args.output_file}: {cause}") from None
        print(f"{summary_line(results)} Report written to {args.output_file}.")
    else:
        reporter(results, ctx, sys.stdout)
        sys.stdout.flush()


def check_command(argv: Sequence[str]) -> int:
    from kerasrnnlint.config import ConfigError

    parser = check_parser()
    args = parser.parse_args(list(argv))
    if "-" in args.paths and len(args.paths) > 1:
        parser.error("'-' (stdin) cannot be combined with other paths")
    if args.stdin_filename is not None:
        # As in ruff: --stdin-filename means stdin, never a silent lint of the working directory.
        if args.paths and args.paths != ["-"]:
            parser.error("--stdin-filename names what is read from stdin: pass '-', not paths")
        args.paths = ["-"]
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    stdin = args.paths == ["-"]
    if stdin and (args.fix or args.diff or args.add_noqa):
        parser.error("--fix, --diff and --add-noqa need files on disk, not stdin")
    if args.add_noqa and (args.fix or args.diff):
        parser.error(
            "--add-noqa cannot be combined with --fix or --diff: run them one after the other"
        )
    try:
        settings = build_settings(args)
    except ConfigError as exc:
        eprint(f"{PROG}: error: {exc}")
        return EXIT_ERROR
    sources: dict[str, str] = {}
    if stdin:
        results, text = lint_stdin(args, settings)
        sources.update((result.path, text) for result in results)
    else:
        results = lint_paths(args, settings)
    try:
        if args.fix or args.diff or args.add_noqa:
            results, diff = run_fixes(args, results, settings)
            if args.diff:
                return emit_diff(diff, results)
        if args.probe:
            results = run_probe(args, results, settings)
    except ConfigError as exc:
        eprint(f"{PROG}: error: {exc}")
        return EXIT_ERROR
    emit(args, results, sources)
    return exit_status(results, settings, args.exit_zero)


# --------------------------------------------------------------------------------------------------
# Subcommands
# --------------------------------------------------------------------------------------------------


def rules_command(argv: Sequence[str]) -> int:
    import json

    from kerasrnnlint.rules import ALL_RULES

    parser = argparse.ArgumentParser(prog=f"{PROG} rules", description="List the rules.")
    parser.add_argument("--output-format", choices=("text", "json"), default="text")
    args = parser.parse_args(list(argv))
    if args.output_format == "json":
        data = [
            {
                "code": r.code,
                "name": r.name,
                "summary": r.summary,
                "default_severity": str(r.default_severity),
            }
            for r in ALL_RULES
        ]
        print(json.dumps(data, indent=2))
        return EXIT_OK
    width = max((len(r.name) for r in ALL_RULES), default=4)
    print(f"{'code':<7} {'name':<{width}}  summary")
    for rule in ALL_RULES:
        print(f"{rule.code:<7} {rule.name:<{width}}  {rule.summary}")
    return EXIT_OK


def severity_doc() -> str:
    import inspect

    from kerasrnnlint import severity

    return inspect.cleandoc(severity.__doc__ or "")


def explain_command(argv: Sequence[str]) -> int:
    import inspect

    from kerasrnnlint.rules import ALL_RULES, lookup

    parser = argparse.ArgumentParser(
        prog=f"{PROG} explain",
        description="Print a rule's documentation (by code or name), or the risk model.",
    )
    parser.add_argument("rule", metavar="CODE|NAME|severity")
    args = parser.parse_args(list(argv))
    if args.rule.lower() == "severity":
        print("# Severity\n")
        print(severity_doc())
        return EXIT_OK
    rule = lookup(args.rule)
    if rule is None:
        known = ", ".join(f"{r.code} ({r.name})" for r in ALL_RULES)
        eprint(f"{PROG} explain: error: unknown rule {args.rule!r}; known rules: {known}")
        return EXIT_ERROR
    print(inspect.cleandoc(rule.doc) if rule.doc else f"{rule.code} {rule.name}: {rule.summary}")
    print("\n# Severity\n")
    print(severity_doc())
    return EXIT_OK


def probe_command(argv: Sequence[str]) -> int:
    from kerasrnnlint.probe.command import main as probe_main

    return probe_main(list(argv))


def server_command(argv: Sequence[str]) -> int:
    from kerasrnnlint.integrations.lsp import main as server_main

    return server_main(list(argv))


def dispatch(argv: Sequence[str]) -> int:
    if argv and argv[0] in SUBCOMMANDS:
        command, rest = argv[0], argv[1:]
        if command == "rules":
            return rules_command(rest)
        if command == "explain":
            return explain_command(rest)
        if command == "probe":
            return probe_command(rest)
        if command == "server":
            return server_command(rest)
        return check_command(rest)
    return check_command(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return dispatch(args)
    except UsageError as exc:
        eprint(f"{PROG}: error: {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        eprint(f"{PROG}: interrupted")
        return 130
    except SystemExit:
        raise
    except BrokenPipeError:
        return _broken_pipe()
    except Exception as exc:  # a bug: say so without a traceback unless asked for one
        if os.environ.get("KERASRNNLINT_DEBUG"):
            raise
        eprint(
            f"{PROG}: internal error: {type(exc).__name__}: {exc} "
            "(set KERASRNNLINT_DEBUG=1 for a traceback; please report it)"
        )
        return EXIT_ERROR


def _broken_pipe() -> int:
    """The reader went away (``kerasrnnlint . | head``): stop quietly."""
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_FINDINGS
