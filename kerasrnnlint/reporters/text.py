"""The text reporter: ``path:line:col: CODE [severity] message``, a code frame, a summary.

Colour (through rich) only when ``ctx.color`` is set, i.e. on a terminal; otherwise plain text
without importing rich, so that a one-file run stays fast.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Finding, Severity
from kerasrnnlint.ir import RecurrentLayer, Span
from kerasrnnlint.reporters import ReportContext
from kerasrnnlint.reporters._escape import escaped_items

CONTEXT_LINES = 1  # lines shown above and below the reported line
CHECKED_ARGS: tuple[str, ...] = ("activation", "recurrent_activation", "recurrent_dropout")

SEVERITY_STYLE: dict[Severity, str] = {
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(results: Sequence[FileResult]) -> str:
    """``Found 3 findings (2 high, 1 medium) in 2 files; 1 file could not be linted.``"""
    findings = [f for r in results for f in r.findings]
    errors = sum(1 for r in results if r.error is not None)
    checked = sum(1 for r in results if r.error is None)
    if findings:
        by_severity = Counter(f.severity for f in findings)
        parts = ", ".join(
            f"{by_severity[s]} {s}" for s in sorted(by_severity, reverse=True) if by_severity[s]
        )
        with_findings = sum(1 for r in results if r.findings)
        text = (
            f"Found {plural(len(findings), 'finding')} ({parts}) in {plural(with_findings, 'file')}"
        )
    else:
        text = f"No findings in {plural(checked, 'file')} checked"
    if errors:
        text += f"; {plural(errors, 'file')} could not be linted"
    return text + "."


# --------------------------------------------------------------------------------------------------
# Pieces
# --------------------------------------------------------------------------------------------------


def header(finding: Finding) -> str:
    return f"{finding.location.display()}: {finding.code} [{finding.severity}] {finding.message}"


def read_source(path: str, ctx: ReportContext, cache: dict[str, list[str] | None]) -> list[str]:
    """The lines of ``path`` (from ``ctx.sources`` or the disk), for code frames."""
    if path not in cache:
        text = ctx.sources.get(path)
        if text is None:
            from kerasrnnlint.files import Unreadable, decode_python, read_bytes

            data = read_bytes(path)
            decoded = decode_python(data) if isinstance(data, bytes) else data
            text = None if isinstance(decoded, Unreadable) else decoded
        cache[path] = None if text is None else text.splitlines()
    return cache[path] or []


def read_cell(path: str, cell: int, cache: dict[str, list[str] | None]) -> list[str]:
    """The lines of a notebook's cell (numbered among all cells, 1-based), for code frames."""
    key = f"{path}\0cell {cell}"
    if key not in cache:
        cache[key] = None
        try:
            from pathlib import Path

            from kerasrnnlint.frontends import notebook

            for item in notebook.read(Path(path)).cells:
                if item.number == cell:
                    cache[key] = item.source.splitlines()
        except Exception:  # no frame is better than no report
            cache[key] = None
    return cache[key] or []


def frame_lines(lines: Sequence[str], span: Span, code: str) -> Iterator[tuple[str, str, str]]:
    """A ruff-style code frame as (gutter, code, kind) triples; kind is ``"code"``, ``"focus"``
    (the reported line), ``"caret"`` or ``"edge"``."""
    if not 1 <= span.line <= len(lines):
        return
    first = max(1, span.line - CONTEXT_LINES)
    last = min(len(lines), span.line + CONTEXT_LINES)
    width = len(str(last))
    yield " " * width + " |", "", "edge"
    for number in range(first, last + 1):
        text = lines[number - 1].replace("\t", " ")
        kind = "focus" if number == span.line else "code"
        yield f"{number:>{width}} |", text, kind
        if number == span.line:
            start = max(1, span.column)
            if span.end_line == span.line and span.end_column > start:
                end = span.end_column
            else:
                end = max(start + 1, len(text.rstrip()) + 1)
            carets = " " * (start - 1) + "^" * (end - start) + f" {code}"
            yield " " * width + " |", carets, "caret"
    yield " " * width + " |", "", "edge"


def factor_lines(finding: Finding) -> list[str]:
    return [f"    factor: {f.name} = {f.value} ({f.effect})" for f in finding.factors]


def probe_lines(finding: Finding) -> list[str]:
    """The probe's evidence under a finding (rendered by :mod:`kerasrnnlint.probe.render`)."""
    probe: Any = finding.probe
    if probe is None:
        return []
    try:
        from kerasrnnlint.probe.render import text_lines

        lines = list(text_lines(probe))
    except ImportError:
        lines = [str(probe.to_json() if hasattr(probe, "to_json") else probe)]
    return [f"    {line}" for line in lines]


def unknown_args(layer: RecurrentLayer) -> list[tuple[str, str]]:
    """The checked arguments of ``layer`` that could not be resolved, with why."""
    from kerasrnnlint.ir import KERAS_DEFAULTS

    missing = []
    for name in CHECKED_ARGS:
        if not layer.has_arg(name) and name not in KERAS_DEFAULTS.get(layer.cls, {}):
            continue  # not an argument of this class (SimpleRNN has no recurrent_activation)
        arg = layer.arg(name)
        if not arg.known:
            missing.append((name, arg.origin))
    return missing


def unknown_lines(results: Sequence[FileResult]) -> list[str]:
    lines = []
    for result in results:
        for layer in result.layers:
            for name, why in unknown_args(layer):
                where = layer.location.display()
                lines.append(f"{where}: unknown: {layer.display_name} `{name}` not checked: {why}")
    return lines


def statistics_lines(results: Sequence[FileResult]) -> list[str]:
    counts = Counter((f.code, f.name) for r in results for f in r.findings)
    if not counts:
        return []
    width = len(str(max(counts.values())))
    return [
        f"{count:>{width}}  {code}  {name}"
        for (code, name), count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


# --------------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------------


def report_items(results: Sequence[FileResult], ctx: ReportContext) -> Iterator[tuple[str, Any]]:
    """The report as (kind, payload) items; the writers below turn them into plain or colour text.

    Kinds: ``error``/``note``/``plain`` (a str), ``finding`` (a Finding), ``frame`` (a frame
    triple), ``summary`` (a str).
    """
    cache: dict[str, list[str] | None] = {}
    for result in results:
        if result.error is not None and not ctx.quiet:
            yield "error", f"{result.path}: error: {result.error}"
        if not ctx.quiet:
            for note in result.notes:
                yield "note", f"{result.path}: note: {note}"
        if ctx.statistics:
            continue
        for finding in result.findings:
            yield "finding", finding
            if ctx.quiet:
                continue
            span = finding.location.span
            location = finding.location
            if ctx.show_source and span is not None and not location.layer_path:
                if location.cell is None:
                    lines = read_source(location.path, ctx, cache)
                else:
                    lines = read_cell(location.path, location.cell, cache)
                for triple in frame_lines(lines, span, finding.code):
                    yield "frame", triple
            if ctx.show_factors:
                for line in factor_lines(finding):
                    yield "plain", line
            for line in probe_lines(finding):
                yield "plain", line
    if ctx.show_unknown and ctx.quiet:
        # Asked for explicitly: --quiet keeps the lines (like the finding lines), not the heading.
        for line in unknown_lines(results):
            yield "plain", line
    if ctx.quiet:
        return
    if ctx.show_unknown:
        unknown = unknown_lines(results)
        yield (
            "plain",
            (
                f"Recurrent layers not fully checked ({len(unknown)}):"
                if unknown
                else "Recurrent layers not fully checked: none."
            ),
        )
        for line in unknown:
            yield "plain", f"  {line}"
    if ctx.statistics:
        for line in statistics_lines(results):
            yield "plain", line
    yield "summary", summary_line(results)


def _plain(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    for kind, payload in escaped_items(report_items(results, ctx)):  # names may hold escapes
        if kind == "finding":
            out.write(header(payload) + "\n")
        elif kind == "frame":
            gutter, code, _ = payload
            out.write(f"{gutter} {code}".rstrip() + "\n")
        else:
            out.write(str(payload) + "\n")


def _colour(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    from rich.console import Console
    from rich.syntax import Syntax
    from rich.text import Text

    console = Console(file=out, force_terminal=True, highlight=False, soft_wrap=True)
    syntax = Syntax("", "python", theme="ansi_dark")
    for kind, payload in escaped_items(report_items(results, ctx)):  # names may hold escapes
        if kind == "finding":
            finding: Finding = payload
            line = Text()
            line.append(finding.location.display(), style="bold")
            line.append(": ")
            line.append(finding.code, style="bold red")
            line.append(" [")
            line.append(str(finding.severity), style=SEVERITY_STYLE[finding.severity])
            line.append("] ")
            line.append(finding.message)
            console.print(line)
        elif kind == "frame":
            gutter, code, frame_kind = payload
            line = Text(gutter + " ", style="blue")
            if frame_kind == "caret":
                line.append(code, style="bold red")
            elif code:
                highlighted = syntax.highlight(code)
                highlighted.rstrip()
                line.append_text(highlighted)
            console.print(line)
        elif kind == "error":
            console.print(Text(payload, style="bold red"))
        elif kind == "note":
            console.print(Text(payload, style="cyan"))
        elif kind == "summary":
            console.print(Text(payload, style="bold"))
        else:
            console.print(Text(payload))


def report(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    if ctx.color:
        _colour(results, ctx, out)
    else:
        _plain(results, ctx, out)
