# cli: ready for integrations
"""The command line: ``kerasrnnlint [PATH...]`` and its subcommands.

``kerasrnnlint [check] [PATH...]`` lints (default ``.``; ``-`` reads stdin, named by
``--stdin-filename``). ``rules`` lists the rules, ``rule CODE|NAME|severity`` (or ``explain``)
prints a rule's documentation, what folds into it, and the risk model (``rule --all``: every
rule), ``probe ...`` probes a layer at a line, ``server ...`` starts the
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
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from kerasrnnlint.config import Settings
    from kerasrnnlint.engine import FileResult

PROG = "kerasrnnlint"
SUBCOMMANDS: tuple[str, ...] = ("check", "rules", "rule", "explain", "probe", "server")
FAIL_LEVELS: tuple[str, ...] = ("info", "low", "medium", "high")
EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A command line that cannot be run (exit status 2)."""


def eprint(text: str) -> None:
    """One line on stderr; file names in it may hold terminal escapes or newlines: escaped."""
    from kerasrnnlint.reporters._escape import printable

    if sys.stderr is not None:  # started with stderr closed (`2>&-`): nowhere to say it
        print(printable(text), file=sys.stderr)


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
            "Subcommands (first argument): rules, rule CODE (or explain CODE), rule --all, "
            "probe FILE:LINE, server, check."
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
    sel.add_argument(
        "--project-root",
        metavar="DIR",
        help="reports name files relative to DIR (default: the git top level, else the "
        "configuration's directory)",
    )
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
    probe.add_argument(
        "--no-cache",
        action="store_true",
        help="do not read or write the caches (module summaries, probe results)",
    )

    fix = parser.add_argument_group("autofix")
    fix.add_argument("--fix", action="store_true", help="apply safe fixes")
    fix.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes")
    fix.add_argument("--diff", action="store_true", help="print the fixes as a diff, write nothing")
    fix.add_argument(
        "--show-fixes", action="store_true", help="list what --fix did (or, without it, would do)"
    )
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
    if sys.stdin is None:  # started with stdin closed (`<&-`)
        return [FileResult(path=name, error="cannot read stdin: it is closed")], ""
    try:
        data = sys.stdin.buffer.read()
    except (OSError, ValueError) as exc:  # ValueError: a closed file object
        return [FileResult(path=name, error=f"cannot read stdin: {exc}")], ""
    if args.stdin_filename and discovery.force_excluded(args.stdin_filename, settings):
        return [], ""
    kind = runner.kind_of(name) if args.stdin_filename else "python"
    if kind in ("notebook", "model"):  # the file's bytes, dispatched by suffix as files are
        return [runner.lint_prepared(runner.Prepared(name, kind, data=data), settings)], ""
    text = decode_python(data)
    if isinstance(text, Unreadable):
        return [FileResult(path=name, error=text.cause)], ""
    return [runner.lint_text(text, name, settings)], text


def lint_paths(args: argparse.Namespace, settings: Settings) -> list[FileResult]:
    from kerasrnnlint import discovery, runner

    targets = discovery.discover(args.paths or ["."], settings)
    refuse_output_among(args.output_file, [t.path for t in targets if t.error is None])
    return runner.lint_targets(targets, settings, jobs=args.jobs)


def refuse_output_among(output: str | None, inputs: Sequence[str]) -> None:
    """``--output-file`` naming one of the inputs would replace that source with the report:
    refused before anything is linted or written."""
    import stat

    if output is None:
        return
    try:
        out = os.stat(output)
    except OSError:
        return
    if not stat.S_ISREG(out.st_mode):
        return
    for path in inputs:
        try:
            info = os.stat(path)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) == (out.st_dev, out.st_ino):
            raise UsageError(
                f"--output-file {output} is one of the inputs ({path}); "
                "it would be replaced by the report: write the report elsewhere"
            )


def regroup(results: Sequence[FileResult], findings: Sequence[Any]) -> list[FileResult]:
    """Put findings returned by the probe back into their files' results (same order)."""
    by_path: dict[str, list[Any]] = {}
    for finding in findings:
        by_path.setdefault(finding.location.path, []).append(finding)
    return [replace(r, findings=tuple(by_path.get(r.path, ()))) for r in results]


def run_fixes(
    args: argparse.Namespace, results: list[FileResult], settings: Settings
) -> tuple[list[FileResult], str, tuple[Any, ...]]:
    """Apply (or, with ``--diff``, only compute) the fixes; the re-linted results, the diff and
    the findings that were fixed."""
    from kerasrnnlint.fixes import FixOptions, apply_fixes

    options = FixOptions(
        unsafe=args.unsafe_fixes,
        diff_only=args.diff,
        add_noqa=args.add_noqa,
        root=report_root(args, settings),
    )
    outcome = apply_fixes(results, settings, options)
    for message in outcome.messages:
        eprint(f"{PROG}: {message}")
    return list(outcome.results), outcome.diff, outcome.applied


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


def write_report(path: str, text: str) -> None:
    """Write the report to ``path``: in place to anything that is not a regular file (a device,
    a FIFO, ``/dev/stdout``), else atomically to the file a symbolic link leads to (the link
    stays a link)."""
    import stat

    try:
        mode: int | None = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with open(path, "w", encoding="utf-8", errors="backslashreplace", newline="") as out:
            out.write(text)
        return
    write_atomically(os.path.realpath(path), text)


def write_atomically(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix=".kerasrnnlint-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="") as out:
            out.write(text)
        # mkstemp creates the file 0600; give the report the mode open() would have given it.
        os.chmod(temp, report_mode(path))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def emit_diagnostics(results: Sequence[FileResult], quiet: bool) -> None:
    """Findings go to stdout; ``path: error: cause`` (always) and ``path: note: ...`` (unless
    ``-q``) go to stderr, whatever the format, so that stdout stays a pure report."""
    for result in results:
        if result.error is not None:
            eprint(f"{result.path}: error: {result.error}")
        if not quiet:
            for note in result.notes:
                eprint(f"{result.path}: note: {note}")


def report_root(args: argparse.Namespace, settings: Settings) -> str:
    """The directory reports name files from (:mod:`kerasrnnlint.roots`)."""
    from kerasrnnlint.roots import project_root

    first = args.paths[0] if args.paths and args.paths[0] != "-" else None
    if first is None:
        first = args.stdin_filename or "."
    return str(project_root(Path(first), settings.root, args.project_root))


def emit(
    args: argparse.Namespace,
    results: list[FileResult],
    sources: dict[str, str],
    fixed: tuple[Any, ...] | None = None,
    settings: Settings | None = None,
) -> None:
    import io

    from kerasrnnlint import reporters
    from kerasrnnlint.reporters._escape import display_path
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
        unsafe_fixes=args.unsafe_fixes,
        show_fixes=args.show_fixes,
        fixed=fixed,
        project_root=report_root(args, settings) if settings is not None else None,
        fail_on=settings.fail_on if settings is not None else reporters.ReportContext.fail_on,
    )
    emit_diagnostics(results, quiet=args.quiet)
    reporter = reporters.get(args.output_format)
    if to_file:
        buffer = io.StringIO()
        reporter(results, ctx, buffer)
        try:
            write_report(args.output_file, buffer.getvalue())
        except OSError as exc:
            cause = (exc.strerror or str(exc)).lower()
            raise UsageError(f"cannot write --output-file {args.output_file}: {cause}") from None
        print(f"{summary_line(results)} Report written to {display_path(args.output_file)}.")
    else:
        # A file name that is not UTF-8 (a lone surrogate in Python) cannot be encoded: written as
        # its escape (``\udcff``, valid in JSON), never an internal error that loses the report.
        with contextlib.suppress(AttributeError, ValueError):
            sys.stdout.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        reporter(results, ctx, sys.stdout)
        sys.stdout.flush()


def check_command(argv: Sequence[str]) -> int:
    from kerasrnnlint.config import ConfigError

    parser = check_parser()
    args = parser.parse_args(list(argv))
    try:  # paths, globs and configuration are all relative to it
        os.getcwd()
    except OSError as exc:
        raise UsageError(f"cannot use the working directory: {exc.strerror or exc}") from None
    if "-" in args.paths and len(args.paths) > 1:
        parser.error("'-' (stdin) cannot be combined with other paths")
    if args.stdin_filename is not None:
        # As in ruff: --stdin-filename means stdin, never a silent lint of the working directory.
        if args.paths and args.paths != ["-"]:
            parser.error("--stdin-filename names what is read from stdin: pass '-', not paths")
        args.paths = ["-"]
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if args.project_root is not None and not os.path.isdir(args.project_root):
        parser.error(f"--project-root {args.project_root}: not a directory")
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
    for warning in settings.warnings:
        eprint(f"{PROG}: warning: {warning}")
    sources: dict[str, str] = {}
    from kerasrnnlint.frontends import project_options

    project_options.cache = not args.no_cache
    if stdin:
        refuse_output_among(args.output_file, [args.stdin_filename or "-"])
        results, text = lint_stdin(args, settings)
        sources.update((result.path, text) for result in results)
    else:
        results = lint_paths(args, settings)
    fixed: tuple[Any, ...] | None = None
    if os.environ.get("KERASRNNLINT_STATISTICS"):
        from kerasrnnlint.frontends.source import project

        eprint(f"{PROG}: statistics: {project.STATISTICS.describe()}")
    try:
        if args.fix or args.diff or args.add_noqa:
            results, diff, applied = run_fixes(args, results, settings)
            if args.diff:
                return emit_diff(diff, results)
            if args.fix:
                fixed = applied
        if args.probe:
            results = run_probe(args, results, settings)
    except ConfigError as exc:
        eprint(f"{PROG}: error: {exc}")
        return EXIT_ERROR
    emit(args, results, sources, fixed, settings)
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


def rule_doc(rule: Any) -> str:
    """A rule's page: its docstring, then which findings fold into it (or it into which)."""
    import inspect
    import textwrap

    from kerasrnnlint.folding import describe_rule

    text = inspect.cleandoc(rule.doc) if rule.doc else f"{rule.code} {rule.name}: {rule.summary}"
    folds = describe_rule(rule.code)
    if folds:
        items = (textwrap.fill(x, 100, initial_indent="- ", subsequent_indent="  ") for x in folds)
        text += "\n\n## One finding per cause\n\n" + "\n".join(items)
    from kerasrnnlint.links import rule_url

    return f"{text}\n\nDocumentation: {rule_url(rule.code)}"


def rule_command(argv: Sequence[str], verb: str = "rule") -> int:
    """``rule CODE`` (ruff's verb; ``explain CODE`` is the same) and ``rule --all``."""
    from kerasrnnlint.rules import ALL_RULES, lookup

    parser = argparse.ArgumentParser(
        prog=f"{PROG} {verb}",
        description="Print a rule's documentation (by code or name), or the risk model.",
    )
    parser.add_argument("rule", nargs="?", metavar="CODE|NAME|severity")
    parser.add_argument("--all", action="store_true", help="every rule's documentation")
    parser.add_argument(
        "--format",
        choices=("text", "markdown"),
        default="text",
        help="markdown: the rule pages of docs/rules/ (docs/generate_rule_pages.py writes them)",
    )
    args = parser.parse_args(list(argv))
    if args.all == (args.rule is not None):
        parser.error("give one rule (CODE, NAME or severity) or --all")
    if args.format == "markdown" and (args.rule or "").lower() != "severity":
        from kerasrnnlint.rule_pages import page

        chosen = list(ALL_RULES) if args.all else [lookup(args.rule)]
        if None in chosen:
            known = ", ".join(f"{r.code} ({r.name})" for r in ALL_RULES)
            eprint(f"{PROG} {verb}: error: unknown rule {args.rule!r}; known rules: {known}")
            return EXIT_ERROR
        print("\n".join(page(rule) for rule in chosen if rule is not None), end="")
        return EXIT_OK
    if args.all:
        print("\n\n".join(rule_doc(rule) for rule in ALL_RULES))
    elif args.rule.lower() == "severity":
        print("# Severity\n")
        print(severity_doc())
        return EXIT_OK
    else:
        rule = lookup(args.rule)
        if rule is None:
            known = ", ".join(f"{r.code} ({r.name})" for r in ALL_RULES)
            eprint(f"{PROG} {verb}: error: unknown rule {args.rule!r}; known rules: {known}")
            return EXIT_ERROR
        print(rule_doc(rule))
    print("\n# Severity\n")
    print(severity_doc())
    return EXIT_OK


def explain_command(argv: Sequence[str]) -> int:
    return rule_command(argv, verb="explain")


def probe_command(argv: Sequence[str]) -> int:
    from kerasrnnlint.probe.command import main as probe_main

    return probe_main(list(argv))


SERVER_INSTALL_HINT = "pip install 'pygls>=2'"


def server_command(argv: Sequence[str]) -> int:
    try:
        from kerasrnnlint.integrations.lsp import main as server_main
    except ImportError as exc:  # the ``lsp`` extra (pygls 2, lsprotocol) is not installed
        if not (exc.name or "").startswith(("pygls", "lsprotocol", "cattrs")):
            raise
        eprint(
            f"{PROG} server: error: the language server needs pygls 2 or newer, which is not "
            f"installed: {SERVER_INSTALL_HINT} (or the lsp extra: pip install 'kerasrnnlint[lsp]')"
        )
        return EXIT_ERROR
    return server_main(list(argv))


def dispatch(argv: Sequence[str]) -> int:
    if argv and argv[0] in SUBCOMMANDS:
        command, rest = argv[0], argv[1:]
        if command == "rules":
            return rules_command(rest)
        if command == "rule":
            return rule_command(rest)
        if command == "explain":
            return explain_command(rest)
        if command == "probe":
            return probe_command(rest)
        if command == "server":
            return server_command(rest)
        return check_command(rest)
    return check_command(argv)


# The cyclic garbage collector's first threshold during a lint run as a program (Python's default
# is 700): parsing builds hundreds of thousands of short-lived objects, almost none in cycles, and
# at the default every 700 of them start a collection that finds nothing to free.
GC_THRESHOLD = 20_000


@contextlib.contextmanager
def for_the_process(active: bool) -> Iterator[None]:
    """Garbage collection tuned for a run that ends the process (``active``: ``main()`` called
    as the program, for a lint): collections are rarer while it runs, and at the end everything
    left is frozen, so that the interpreter's exit does not traverse it in a last collection
    (only memory the process is about to return anyway stays uncollected). A caller of
    :func:`main` with its own ``argv`` (a test, a tool embedding it) keeps its settings."""
    if not active:
        yield
        return
    import gc

    first, *older = gc.get_threshold()
    gc.set_threshold(max(first, GC_THRESHOLD), *older)
    try:
        yield
    finally:
        gc.freeze()


def main(argv: Sequence[str] | None = None) -> int:
    from kerasrnnlint import children

    args = list(sys.argv[1:] if argv is None else argv)
    if sys.stdout is None:  # started with stdout closed (`>&-`): the run still gives its status
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the process
        eprint(f"{PROG}: warning: stdout is closed; the report is not shown (see --output-file)")
    # The language server and the probe run long or start children: Python's defaults for them.
    linting = argv is None and not (args and args[0] in ("server", "probe"))
    try:
        with children.stopped_by_signals(), for_the_process(linting):
            return dispatch(args)
    except UsageError as exc:
        eprint(f"{PROG}: error: {exc}")
        return EXIT_ERROR
    except children.Terminated as exc:  # SIGTERM, SIGHUP: children killed, die of the signal
        return children.exit_by_signal(exc.signum)
    except KeyboardInterrupt:
        children.kill_all()
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
