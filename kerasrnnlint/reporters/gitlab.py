"""``--output-format gitlab``: a GitLab Code Quality report (``artifacts:reports:codequality``).

A JSON array with one issue per finding, with the fields GitLab documents: ``description`` (the
rule code and the message), ``check_name`` (the rule code), ``fingerprint`` (unique in the
report, stable across runs: the code, the repository path and the flagged call, as SARIF's
``kerasrnnlint/v1``, never a line number), ``severity`` (GitLab's names: high → ``critical``,
medium → ``major``, low → ``minor``, info → ``info``) and ``location``: ``path`` relative to the
repository root (:mod:`kerasrnnlint.roots`; GitLab requires it) and ``lines.begin``/``lines.end``
(a notebook: the lines of the ``.ipynb`` file that hold the code; a saved model: line 1, the layer
path in the description). ``categories`` (Code Climate's) is ``Bug Risk`` or ``Performance``.

Inputs that could not be linted are not issues; the command line prints them to stderr.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, TextIO

from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Finding, Severity
from kerasrnnlint.reporters import ReportContext
from kerasrnnlint.reporters.positions import Positions
from kerasrnnlint.reporters.sarif import fingerprints
from kerasrnnlint.roots import display_path

SEVERITIES: dict[Severity, str] = {
    Severity.HIGH: "critical",
    Severity.MEDIUM: "major",
    Severity.LOW: "minor",
    Severity.INFO: "info",
}


def issue(
    finding: Finding, fingerprint: str, root: str | None, positions: Positions
) -> dict[str, Any]:
    loc = finding.location
    span = positions.span(loc)
    where = f"{'/'.join(loc.layer_path)}: " if loc.layer_path else ""
    if loc.cell is not None:
        where = f"cell {loc.cell}:{loc.line}:{loc.column}: "
    return {
        "description": f"{finding.code}: {where}{finding.message}",
        "check_name": finding.code,
        "fingerprint": hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()[:32],
        "severity": SEVERITIES[finding.severity],
        "categories": ["Performance" if finding.code.startswith("KRL1") else "Bug Risk"],
        "location": {
            "path": display_path(loc.path, root),
            "lines": {"begin": span.line, "end": span.end_line},
        },
    }


def issues(results: Sequence[FileResult], root: str | None = None) -> list[dict[str, Any]]:
    findings = [f for r in results for f in r.findings]
    positions = Positions()
    prints = fingerprints(findings, root)
    return [issue(f, fp, root, positions) for f, fp in zip(findings, prints, strict=True)]


def report(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    json.dump(issues(results, ctx.project_root), out, indent=2, ensure_ascii=False)
    out.write("\n")
