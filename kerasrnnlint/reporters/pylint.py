"""``--output-format pylint``: ``path:line: [CODE] message``, pylint's parseable format as ruff
writes it, for tools that read pylint output (Jenkins Warnings, editors' problem matchers).

A notebook finding names its cell in the message (the line is the row inside the cell), a
saved-model finding its layer path (line 1). Inputs that could not be linted are not findings; the
command line prints them to stderr.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Finding
from kerasrnnlint.reporters import ReportContext


def line(finding: Finding) -> str:
    loc = finding.location
    message = finding.message
    if loc.layer_path:
        message = f"{' › '.join(loc.layer_path)}: {message}"
    elif loc.cell is not None:
        message = f"cell {loc.cell}: {message}"
    return f"{loc.path}:{loc.line}: [{finding.code}] {message}"


def report(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    for result in results:
        for finding in result.findings:
            out.write(line(finding) + "\n")
