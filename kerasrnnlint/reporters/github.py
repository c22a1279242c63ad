"""``--output-format github``: GitHub Actions workflow commands, shown as annotations on the diff.

One line per finding::

    ::error file=m.py,line=3,col=22,endLine=3,endColumn=28,title=KRL001 (unbounded-activation)::…

high → ``error``, medium → ``warning``, low and info → ``notice``. Values are escaped by the
workflow command rules: ``%``, CR and LF in the message; also ``:`` and ``,`` in properties.

A notebook finding names the notebook and puts ``cell 4:12:5`` in the title and the message, with no
``line``: rows inside a cell are not rows of the ``.ipynb`` file, and a wrong line is worse than
none. A saved-model finding names the model file and puts the layer path in the message. Inputs
that could not be linted are ``::error`` lines, notes are ``::notice`` lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Finding, Severity
from kerasrnnlint.reporters import ReportContext
from kerasrnnlint.reporters._escape import printable

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


def annotation(finding: Finding) -> str:
    loc = finding.location
    title = f"{finding.code} ({finding.name})"
    message = f"[{finding.severity}] {finding.message}"
    props: list[tuple[str, object]] = [("file", loc.path)]
    if loc.layer_path:
        message = f"{' › '.join(loc.layer_path)}: {message}"
    elif loc.cell is not None:
        where = f"cell {loc.cell}:{loc.line}:{loc.column}"
        title = f"{title} in {where}"
        message = f"{where}: {message}"
    elif loc.span is not None:
        span = loc.span
        props += [
            ("line", span.line),
            ("col", span.column),
            ("endLine", span.end_line),
            ("endColumn", span.end_column),
        ]
    props.append(("title", title))
    return command(COMMANDS[finding.severity], props, message)


def lines(results: Sequence[FileResult]) -> list[str]:
    out = []
    for result in results:
        if result.error:
            props = [("file", result.path), ("title", "kerasrnnlint: cannot lint this file")]
            out.append(command("error", props, f"{result.path}: {result.error}"))
        out += [annotation(f) for f in result.findings]
        for note in result.notes:
            props = [("file", result.path), ("title", "kerasrnnlint")]
            out.append(command("notice", props, f"{result.path}: {note}"))
    return out


def report(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    for line in lines(results):
        out.write(line + "\n")
