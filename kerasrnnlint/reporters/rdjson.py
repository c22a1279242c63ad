"""``--output-format rdjson``: reviewdog's Diagnostic Format (``reviewdog -f=rdjson``).

One ``DiagnosticResult`` (``source`` = kerasrnnlint and its repository) whose ``diagnostics`` are
the findings: ``message``, ``severity`` (high → ``ERROR``, medium → ``WARNING``, low and info →
``INFO``), ``code`` (``value`` = the rule code, ``url`` = its page), ``location.path`` (absolute,
as ruff writes it: reviewdog makes it relative to the repository) and ``location.range`` with
1-based lines and columns counted in UTF-8 bytes, the end exclusive, as reviewdog's
``reviewdog.proto`` defines them. An automatic fix is a ``suggestions`` entry (the range it
replaces and the new text). A notebook finding points at the ``.ipynb`` file's line that holds
the code; a saved-model finding at ``1:1``, the layer path in the message.

Inputs that could not be linted are not diagnostics; the command line prints them to stderr.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any, TextIO

from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Finding, Severity
from kerasrnnlint.links import REPOSITORY_URL, rule_url
from kerasrnnlint.reporters import ReportContext
from kerasrnnlint.reporters.positions import Lines, Positions, source_text
from kerasrnnlint.reporters.sarif import result_fix
from kerasrnnlint.roots import is_pseudo

SEVERITIES: dict[Severity, str] = {
    Severity.HIGH: "ERROR",
    Severity.MEDIUM: "WARNING",
    Severity.LOW: "INFO",
    Severity.INFO: "INFO",
}


def _position(lines: Lines, path: str, line: int, column: int) -> dict[str, int]:
    return {"line": line, "column": lines.utf8_column(path, line, column)}


def _range(lines: Lines, path: str, region: dict[str, int]) -> dict[str, Any]:
    return {
        "start": _position(lines, path, region["startLine"], region["startColumn"]),
        "end": _position(lines, path, region["endLine"], region["endColumn"]),
    }


def diagnostic(
    finding: Finding, positions: Positions, lines: Lines, texts: dict[str, str | None]
) -> dict[str, Any]:
    loc = finding.location
    span = positions.span(loc)
    region = {
        "startLine": span.line,
        "startColumn": span.column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
    }
    message = finding.message
    if loc.layer_path:
        message = f"{'/'.join(loc.layer_path)}: {message}"
    elif loc.cell is not None:
        message = f"cell {loc.cell}:{loc.line}:{loc.column}: {message}"
    path = loc.path if is_pseudo(loc.path) else PurePath(os.path.abspath(loc.path)).as_posix()
    data: dict[str, Any] = {
        "message": message,
        "location": {"path": path, "range": _range(lines, loc.path, region)},
        "severity": SEVERITIES[finding.severity],
        "code": {"value": finding.code, "url": rule_url(finding.code)},
    }
    if finding.fix is not None and loc.cell is None and not loc.layer_path:
        if loc.path not in texts:
            texts[loc.path] = source_text(loc.path, lines.sources)
        fix = result_fix(finding, texts[loc.path], {})
        if fix is not None:
            data["suggestions"] = [
                {
                    "range": _range(lines, loc.path, r["deletedRegion"]),
                    "text": r["insertedContent"]["text"],
                }
                for r in fix["artifactChanges"][0]["replacements"]
            ]
    return data


def document(
    results: Sequence[FileResult], sources: dict[str, str] | None = None
) -> dict[str, Any]:
    positions, lines = Positions(), Lines(sources or {})
    texts: dict[str, str | None] = {}
    return {
        "source": {"name": "kerasrnnlint", "url": REPOSITORY_URL},
        "severity": "WARNING",
        "diagnostics": [
            diagnostic(f, positions, lines, texts) for r in results for f in r.findings
        ],
    }


def report(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    json.dump(document(results, dict(ctx.sources)), out, indent=2, ensure_ascii=False)
    out.write("\n")
