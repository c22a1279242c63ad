"""The text reporter: ``path:line:col: CODE [severity] message``, a code frame, a summary.

Colour (through rich) only when ``ctx.color`` is set, i.e. on a terminal; otherwise plain text
without importing rich, so that a one-file run stays fast.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Finding, Severity
from kerasrnnlint.ir import RecurrentLayer
from kerasrnnlint.reporters import ReportContext
from kerasrnnlint.reporters._escape import escaped_items

CONTEXT_LINES = 1  # lines shown above and below the reported line
CHECKED_ARGS: tuple[str, ...] = ("activation", "recurrent_activation", "recurrent_dropout")

# Colours by severity: the rule code, the severity and the carets of a finding (info is not red).
SEVERITY_STYLE: dict[Severity, str] = {
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "green",
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


SAFE_MARK = "[*]"  # --fix applies the fix (as ruff marks it)
UNSAFE_MARK = "[-]"  # the fix needs --unsafe-fixes (it changes what the model computes)


def fixability(finding: Finding, unsafe: bool = False) -> str | None:
    """``"safe"`` when ``--fix`` applies the finding's fix (``--unsafe-fixes`` counts unsafe fixes
    as applied), ``"unsafe"`` when it needs ``--unsafe-fixes``, None when there is no automatic
    fix (KRL004's new layer, a saved model)."""
    fix = finding.fix
    if fix is None or fix.normalize_input or not fix.changes or finding.location.layer_path:
        return None
    return "safe" if fix.safe or unsafe else "unsafe"


def fix_mark(finding: Finding, unsafe: bool = False) -> str:
    kind = fixability(finding, unsafe)
    return SAFE_MARK if kind == "safe" else UNSAFE_MARK if kind == "unsafe" else ""


def header(finding: Finding, unsafe: bool = False) -> str:
    """``path:line:col: CODE [*] [severity] message`` (the mark only when there is a fix)."""
    mark = fix_mark(finding, unsafe)
    code = f"{finding.code} {mark}" if mark else finding.code
    return f"{finding.location.display()}: {code} [{finding.severity}] {finding.message}"


def fixable_line(results: Sequence[FileResult], unsafe: bool = False) -> str | None:
    """``[*] 2 fixable with `--fix` (3 more with `--unsafe-fixes`).``, or None."""
    kinds = Counter(fixability(f, unsafe) for r in results for f in r.findings)
    safe, more = kinds["safe"], kinds["unsafe"]
    if safe and more:
        return f"{SAFE_MARK} {safe} fixable with `--fix` ({more} more with `--unsafe-fixes`)."
    if safe:
        return f"{SAFE_MARK} {safe} fixable with `--fix`."
    if more:
        return f"{UNSAFE_MARK} {more} fixable with `--fix --unsafe-fixes`."
    return None


def fixed_summary(results: Sequence[FileResult], fixed: int) -> str:
    """After ``--fix``: ``Fixed 3, 2 remaining (1 high, 1 info).``"""
    remaining = [f for r in results for f in r.findings]
    text = f"Fixed {fixed}, {len(remaining)} remaining"
    if remaining:
        by_severity = Counter(f.severity for f in remaining)
        text += " (" + ", ".join(f"{by_severity[s]} {s}" for s in sorted(by_severity, reverse=True))
        text += ")"
    errors = sum(1 for r in results if r.error is not None)
    if errors:
        text += f"; {plural(errors, 'file')} could not be linted"
    return text + "."


def show_fixes_lines(findings: Sequence[Finding], done: bool) -> list[str]:
    """``--show-fixes``: what ``--fix`` did (``done``) or would do, per file and rule, as ruff."""
    if not findings:
        return ["No findings fixed." if done else "Nothing to fix with `--fix`."]
    verb = "Fixed" if done else "Would fix"
    lines = [f"{verb} {plural(len(findings), 'finding')}:"]
    by_file: dict[str, Counter[tuple[str, str]]] = {}
    for finding in findings:
        by_file.setdefault(finding.location.path, Counter())[(finding.code, finding.name)] += 1
    for path, counts in by_file.items():
        lines.append(f"- {path}:")
        for (code, name), count in sorted(counts.items()):
            lines.append(f"    {count} × {code} ({name})")
    return lines


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


@dataclass(frozen=True)
class Label:
    """One finding's mark in a code frame: the span's first line, its columns, its text."""

    line: int
    start: int
    end: int  # exclusive; on ``line``
    text: str
    severity: Severity


# A frame line: gutter, then (text, severity) parts (None: the code's default colour), and kind:
# "code" (a source line), "label" (carets and labels), "edge" or "gap" (lines left out).
Part = tuple[str, Severity | None]
FrameLine = tuple[str, tuple[Part, ...], str]


def label_of(finding: Finding, lines: Sequence[str]) -> Label | None:
    span = finding.location.span
    if span is None or not 1 <= span.line <= len(lines):
        return None
    text = lines[span.line - 1].replace("\t", " ")
    start = max(1, span.column)
    if span.end_line == span.line and span.end_column > start:
        end = span.end_column
    else:
        end = max(start + 1, len(text.rstrip()) + 1)
    return Label(span.line, start, end, finding.code, finding.severity)


def _place(items: Sequence[tuple[int, str, Severity | None]]) -> tuple[Part, ...]:
    """Texts at 1-based columns (sorted, not overlapping) as parts separated by spaces."""
    parts: list[Part] = []
    column = 1
    for at, text, severity in items:
        if at > column:
            parts.append((" " * (at - column), None))
            column = at
        parts.append((text, severity))
        column += len(text)
    return tuple(parts)


def label_rows(labels: Sequence[Label]) -> list[tuple[Part, ...]]:
    """The rows under one source line, rustc style: carets under every label's span, the last
    label's text after its carets and the others' below, each hanging from a ``|``. Labels of one
    span share a text; overlapping spans get a caret row each."""
    merged: dict[tuple[int, int], Label] = {}
    for label in labels:
        key = (label.start, label.end)
        if key in merged:
            old = merged[key]
            merged[key] = Label(
                old.line,
                old.start,
                old.end,
                f"{old.text} {label.text}",
                max(old.severity, label.severity),
            )
        else:
            merged[key] = label
    items = sorted(merged.values(), key=lambda x: (x.start, x.end))
    overlap = any(b.start < a.end for a, b in itertools.pairwise(items))
    if overlap:  # a caret row each, the highest severity first
        ordered = sorted(items, key=lambda x: (-x.severity, x.start, x.end))
        return [
            _place([(x.start, "^" * (x.end - x.start) + " " + x.text, x.severity)]) for x in ordered
        ]
    *rest, last = items
    carets = [(x.start, "^" * (x.end - x.start), x.severity) for x in items]
    rows = [_place([*carets, (last.end + 1, last.text, last.severity)])]
    if rest:
        rows.append(_place([(x.start, "|", x.severity) for x in rest]))
        for index in range(len(rest) - 1, -1, -1):
            hanging = [(x.start, "|", x.severity) for x in rest[:index]]
            rows.append(
                _place([*hanging, (rest[index].start, rest[index].text, rest[index].severity)])
            )
    return rows


def frame(lines: Sequence[str], labels: Sequence[Label]) -> Iterator[FrameLine]:
    """One code frame for all ``labels`` (the findings of one layer call): each labelled line
    with :data:`CONTEXT_LINES` around it, distant lines left out as ``...``."""
    by_line: dict[int, list[Label]] = {}
    for label in labels:
        by_line.setdefault(label.line, []).append(label)
    if not by_line:
        return
    windows: list[list[int]] = []
    for line in sorted(by_line):
        first, last = max(1, line - CONTEXT_LINES), min(len(lines), line + CONTEXT_LINES)
        if windows and first <= windows[-1][1] + 1:
            windows[-1][1] = max(windows[-1][1], last)
        else:
            windows.append([first, last])
    width = len(str(windows[-1][1]))
    blank = " " * width + " |"
    yield blank, (), "edge"
    for index, (first, last) in enumerate(windows):
        if index:
            yield "." * width + " |", (), "gap"
        for number in range(first, last + 1):
            text = lines[number - 1].replace("\t", " ")
            yield f"{number:>{width}} |", ((text, None),), "code"
            for row in label_rows(by_line.get(number, [])) if number in by_line else ():
                yield blank, row, "label"
    yield blank, (), "edge"


def frame_text(line: FrameLine) -> str:
    gutter, parts, _ = line
    return (gutter + " " + "".join(text for text, _ in parts)).rstrip()


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


def statistics_lines(results: Sequence[FileResult], unsafe: bool = False) -> list[str]:
    """``count  code  [*]  name`` per rule, most frequent first; the mark says whether
    ``--fix`` applies the rule's fixes (``[-]``: with ``--unsafe-fixes``; ``[ ]``: none)."""
    counts = Counter((f.code, f.name) for r in results for f in r.findings)
    if not counts:
        return []
    rank = {SAFE_MARK: 2, UNSAFE_MARK: 1, "[ ]": 0}
    marks: dict[str, str] = {}
    for finding in (f for r in results for f in r.findings):
        mark = fix_mark(finding, unsafe) or "[ ]"
        if rank[mark] >= rank[marks.get(finding.code, "[ ]")]:
            marks[finding.code] = mark
    width = len(str(max(counts.values())))
    return [
        f"{count:>{width}}  {code}  {marks[code]}  {name}"
        for (code, name), count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


# --------------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------------


def layer_groups(findings: Sequence[Finding]) -> list[list[Finding]]:
    """The findings of one file grouped by layer call (first appearance first, each group in
    the engine's order: line, then highest severity first)."""
    groups: dict[object, list[Finding]] = {}
    for finding in findings:
        layer = finding.subject
        key: object = (
            (layer.location, layer.cls, layer.wrappers) if layer is not None else id(finding)
        )
        groups.setdefault(key, []).append(finding)
    return list(groups.values())


def report_items(results: Sequence[FileResult], ctx: ReportContext) -> Iterator[tuple[str, Any]]:
    """The report as (kind, payload) items; the writers below turn them into plain or colour text.

    Kinds: ``finding`` (a Finding), ``frame`` (a :data:`FrameLine`), ``plain`` and ``summary``
    (a str). Errors and notes are not in it: the command line prints them on stderr.
    """
    cache: dict[str, list[str] | None] = {}
    for result in results:
        if ctx.statistics:
            continue
        for group in layer_groups(result.findings):
            for finding in group:
                yield "finding", finding
                if ctx.quiet:
                    continue
                if ctx.show_factors:
                    for line in factor_lines(finding):
                        yield "plain", line
                for line in probe_lines(finding):
                    yield "plain", line
            if ctx.quiet or not ctx.show_source:
                continue
            location = group[0].location
            if location.layer_path or location.span is None:
                continue
            if location.cell is None:
                lines = read_source(location.path, ctx, cache)
            else:
                lines = read_cell(location.path, location.cell, cache)
            labels = [label for f in group if (label := label_of(f, lines)) is not None]
            for frame_line in frame(lines, labels):
                yield "frame", frame_line
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
        for line in statistics_lines(results, ctx.unsafe_fixes):
            yield "plain", line
    if ctx.show_fixes:
        if ctx.fixed is not None:
            shown = list(ctx.fixed)
        else:
            shown = [
                f for r in results for f in r.findings if fixability(f, ctx.unsafe_fixes) == "safe"
            ]
        for line in show_fixes_lines(shown, done=ctx.fixed is not None):
            yield "plain", line
    if ctx.fixed is not None:
        yield "summary", fixed_summary(results, len(ctx.fixed))
    else:
        yield "summary", summary_line(results)
    fixable = fixable_line(results, ctx.unsafe_fixes)
    if fixable is not None:
        yield "summary", fixable


def _plain(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    for kind, payload in escaped_items(report_items(results, ctx)):  # names may hold escapes
        if kind == "finding":
            out.write(header(payload, ctx.unsafe_fixes) + "\n")
        elif kind == "frame":
            out.write(frame_text(payload) + "\n")
        else:
            out.write(str(payload) + "\n")


def _colour(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    from rich.console import Console
    from rich.text import Text

    # Colour was asked for (--color always, or a terminal): an inherited NO_COLOR does not undo it.
    console = Console(
        file=out, force_terminal=True, no_color=False, highlight=False, soft_wrap=True
    )
    for kind, payload in escaped_items(report_items(results, ctx)):  # names may hold escapes
        if kind == "finding":
            finding: Finding = payload
            style = SEVERITY_STYLE[finding.severity]
            line = Text()
            line.append(finding.location.display(), style="bold")
            line.append(": ")
            line.append(finding.code, style=style)
            mark = fix_mark(finding, ctx.unsafe_fixes)
            if mark:
                line.append(" ")
                line.append(mark, style="cyan")
            line.append(" [")
            line.append(str(finding.severity), style=style)
            line.append("] ")
            line.append(finding.message)
            console.print(line)
        elif kind == "frame":
            gutter, parts, _ = payload
            line = Text()
            line.append(gutter, style="blue")
            if parts:
                line.append(" ")
            for text, severity in parts:
                if severity is None:
                    line.append(text)  # the code in the terminal's default colour
                else:
                    line.append(text, style=SEVERITY_STYLE[severity])
            line.rstrip()
            console.print(line)
        elif kind == "summary":
            console.print(Text(payload, style="bold"))
        else:
            console.print(Text(payload))


def report(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    if ctx.color:
        _colour(results, ctx, out)
    else:
        _plain(results, ctx, out)
