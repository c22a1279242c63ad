"""``--output-format azure``: Azure Pipelines logging commands, one per finding, as ruff writes
them::

    ##vso[task.logissue type=error;sourcepath=/abs/m.py;linenumber=3;columnnumber=22;code=KRL001;]…

Azure knows two types: high → ``error``, medium, low and info → ``warning``. ``sourcepath`` is
absolute (Azure resolves it whatever the step's directory). Property values and the message are
escaped by Azure's rules (``%`` → ``%AZP25``, ``;`` → ``%3B``, ``]`` → ``%5D``, CR and LF). A
notebook finding names its cell in the message (no line: a row of a cell is not a row of the
file); a saved-model finding its layer path. Inputs that could not be linted are ``type=error``
issues.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TextIO

from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Finding, Severity
from kerasrnnlint.reporters import ReportContext
from kerasrnnlint.reporters.positions import error_position
from kerasrnnlint.roots import is_pseudo

TYPES: dict[Severity, str] = {
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "warning",
    Severity.INFO: "warning",
}


def escape(text: str, property_value: bool = False) -> str:
    text = text.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(";", "%3B").replace("]", "%5D")
    return text


def command(properties: Sequence[tuple[str, object]], message: str) -> str:
    props = "".join(f"{key}={escape(str(value), True)};" for key, value in properties)
    return f"##vso[task.logissue {props}]{escape(message)}"


def _path(path: str) -> str:
    return path if is_pseudo(path) else os.path.abspath(path)


def issue(finding: Finding) -> str:
    loc = finding.location
    props: list[tuple[str, object]] = [
        ("type", TYPES[finding.severity]),
        ("sourcepath", _path(loc.path)),
    ]
    message = f"[{finding.severity}] {finding.message}"
    if loc.layer_path:
        message = f"{' › '.join(loc.layer_path)}: {message}"
    elif loc.cell is not None:
        message = f"cell {loc.cell}:{loc.line}:{loc.column}: {message}"
    elif loc.span is not None:
        props += [("linenumber", loc.span.line), ("columnnumber", loc.span.column)]
    props.append(("code", finding.code))
    return command(props, message)


def report(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    for result in results:
        if result.error:
            props: list[tuple[str, object]] = [
                ("type", "error"),
                ("sourcepath", _path(result.path)),
            ]
            where = error_position(result.error)
            if where is not None:
                props.append(("linenumber", where[0]))
                if where[1] is not None:
                    props.append(("columnnumber", where[1]))
            out.write(command(props, f"{result.path}: {result.error}") + "\n")
        for finding in result.findings:
            out.write(issue(finding) + "\n")
