"""``--output-format github``: GitHub Actions workflow commands, shown as annotations on the diff.

One line per finding::

    ::error file=m.py,line=3,col=22,endLine=3,endColumn=28,title=KRL001 (unbounded-activation)::…

high → ``error``, medium → ``warning``, low and info → ``notice``. ``file`` is relative to the
repository root (:mod:`kerasrnnlint.roots`), so the annotation lands on the right file whatever
directory the step ran in. Values are escaped by the workflow command rules: ``%``, CR and LF in
the message; also ``:`` and ``,`` in properties.

A notebook finding points at the line of the ``.ipynb`` file that holds the flagged code and puts
``cell 4:12:5`` (the row inside the cell) in the title and the message. A saved-model finding names
the model file and puts the layer path in the message. Inputs that could not be linted come first,
as ``::error`` lines (with ``line``/``col`` when the error names them); then the findings, most
severe first, by path and position; then notes as ``::notice`` lines. GitHub shows only 10
annotations of each type per step, so when there is anything to report the last line is a
``::notice`` that sums the run up (``3 findings: 2 high, 1 medium in 2 files``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TextIO

from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Finding, Severity
from kerasrnnlint.reporters import ReportContext
from kerasrnnlint.reporters._escape import printable
from kerasrnnlint.reporters.positions import Positions, error_position
from kerasrnnlint.reporters.text import plural
from kerasrnnlint.roots import display_path

COMMANDS: dict[Severity, str] = {
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
    Severity.INFO: "notice",
}


NEWLINES = "\r\n"  # escaped by the workflow command rules, not as other control characters


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: Sequence[tuple[str, object]], message: str) -> str:
    message = printable(message, NEWLINES)  # terminal escapes in a file name: escaped
    props = ",".join(
        f"{key}={escape_property(printable(str(value), NEWLINES))}" for key, value in properties
    )
    return (
        f"::{name} {props}::{escape_data(message)}"
        if props
        else f"::{name}::{escape_data(message)}"
    )


def annotation(
    finding: Finding, root: str | None = None, positions: Positions | None = None
) -> str:
    loc = finding.location
    title = f"{finding.code} ({finding.name})"
    message = f"[{finding.severity}] {finding.message}"
    props: list[tuple[str, object]] = [("file", display_path(loc.path, root))]
    span = None
    if loc.layer_path:
        message = f"{' › '.join(loc.layer_path)}: {message}"
    elif loc.cell is not None:
        where = f"cell {loc.cell}:{loc.line}:{loc.column}"
        title = f"{title} in {where}"
        message = f"{where}: {message}"
        if loc.span is not None:
            positions = positions if positions is not None else Positions()
            span = positions.notebook_span(loc.path, loc.cell, loc.span)
    else:
        span = loc.span
    if span is not None:
        props += [
            ("line", span.line),
            ("col", span.column),
            ("endLine", span.end_line),
            ("endColumn", span.end_column),
        ]
    props.append(("title", title))
    return command(COMMANDS[finding.severity], props, message)


def input_error(result: FileResult, root: str | None = None) -> str:
    error = result.error or ""
    props: list[tuple[str, object]] = [("file", display_path(result.path, root))]
    where = error_position(error)
    if where is not None:
        props.append(("line", where[0]))
        if where[1] is not None:
            props.append(("col", where[1]))
    props.append(("title", "kerasrnnlint: cannot lint this file"))
    return command("error", props, f"{result.path}: {error}")


def summary(results: Sequence[FileResult]) -> str:
    """``3 findings: 2 high, 1 medium in 2 files; 1 file could not be linted``."""
    findings = [f for r in results for f in r.findings]
    errors = sum(1 for r in results if r.error is not None)
    if findings:
        counts = Counter(f.severity for f in findings)
        parts = ", ".join(f"{counts[s]} {s}" for s in sorted(counts, reverse=True))
        files = sum(1 for r in results if r.findings)
        text = f"{plural(len(findings), 'finding')}: {parts} in {plural(files, 'file')}"
    else:
        checked = sum(1 for r in results if r.error is None)
        text = f"0 findings in {plural(checked, 'file')}"
    if errors:
        text += f"; {plural(errors, 'file')} could not be linted"
    return text


def lines(results: Sequence[FileResult], root: str | None = None) -> list[str]:
    positions = Positions()
    out = [input_error(r, root) for r in results if r.error]
    findings = [f for r in results for f in r.findings]

    def order(finding: Finding) -> tuple[object, ...]:
        loc = finding.location
        return (
            -finding.severity,
            display_path(loc.path, root),
            loc.cell or 0,
            loc.line,
            loc.column,
            loc.layer_path,
            finding.code,
        )

    out += [annotation(f, root, positions) for f in sorted(findings, key=order)]
    for result in results:
        for note in result.notes:
            props = [("file", display_path(result.path, root)), ("title", "kerasrnnlint")]
            out.append(command("notice", props, f"{result.path}: {note}"))
    if any(r.findings or r.error for r in results):  # a clean run adds no annotation
        out.append(command("notice", [("title", "kerasrnnlint")], summary(results)))
    return out


def report(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    for line in lines(results, ctx.project_root):
        out.write(line + "\n")
