"""``--output-format sarif``: SARIF 2.1.0, as GitHub code scanning and other SARIF viewers read it.

One run whose ``tool.driver.rules`` lists every rule (``shortDescription`` = the rule's summary,
``fullDescription`` = its "What it does" section, ``help`` = its whole docstring as text and
markdown, ``defaultConfiguration.level`` from its default severity). Each finding is a result with:

- ``level`` from the severity: high → ``error``, medium → ``warning``, low and info → ``note``;
- a physical location: the file's uri relative to the working directory (``uriBaseId``
  ``%SRCROOT%``) and a 1-based region (``endColumn`` exclusive, columns in code points);
- saved models: a logical location whose ``fullyQualifiedName`` is the layer path
  (``encoder/lstm_1``), and the region ``{"startLine": 1}`` (the file as a whole: GitHub code
  scanning rejects a result without a start line);
- notebooks: the notebook's uri, a region whose rows are rows *inside the cell*, the cell number in
  ``region.properties.cell`` (and in ``result.properties.cell``), and a logical location named
  ``cell N`` (kind ``module``), because a region cannot name a cell;
- ``partialFingerprints["kerasrnnlint/v1"]``: a hash of the code, the path and the normalised text
  of the flagged layer call (class, wrappers and the arguments as written), or of the layer path for
  saved models, plus an occurrence number among identical ones. No line numbers: the fingerprint
  survives edits elsewhere in the file;
- ``properties``: severity, risk factors, the suggested fix and, once probed, the probe's evidence.

Inputs that could not be linted are ``invocations[0].toolExecutionNotifications`` (level
``error``, with the file as location); notes are notifications of level ``note``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import Any, TextIO
from urllib.parse import quote

from kerasrnnlint import __version__
from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Finding, Severity
from kerasrnnlint.ir import Location, RecurrentLayer, Span
from kerasrnnlint.reporters import ReportContext
from kerasrnnlint.rules import ALL_RULES, Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/kerasrnnlint/kerasrnnlint"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "kerasrnnlint/v1"
# A rule's documentation: its module (the same links as the language server's).
RULE_DOCS_URL = f"{INFORMATION_URI}/blob/main/kerasrnnlint/rules/{{module}}.py"

LEVELS: dict[Severity, str] = {
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}


def level(severity: Severity) -> str:
    return LEVELS[severity]


# --------------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------------


def _section(doc: str, heading: str) -> str:
    """The text of a ``## heading`` section of a rule docstring ('' when absent)."""
    match = re.search(rf"^##\s+{re.escape(heading)}\s*\n(.*?)(?=^##\s|\Z)", doc, re.M | re.S)
    return " ".join(match.group(1).split()) if match else ""


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    doc = rule.doc.strip()
    first_line = doc.splitlines()[0] if doc else rule.summary
    full = _section(doc, "What it does") or first_line
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": full},
        "help": {"text": doc or rule.summary, "markdown": doc or rule.summary},
        "helpUri": RULE_DOCS_URL.format(module=rule.check.__module__.rsplit(".", 1)[-1]),
        "defaultConfiguration": {"level": level(rule.default_severity)},
        "properties": {"tags": ["reliability", "keras"]},
    }


# --------------------------------------------------------------------------------------------------
# Locations
# --------------------------------------------------------------------------------------------------


def artifact_location(path: str, cwd: Path | None = None) -> dict[str, Any]:
    """A uri relative to the working directory when the file is under it, else a ``file:`` uri."""
    base = Path(cwd) if cwd is not None else Path.cwd()
    pure = Path(path)
    if pure.is_absolute():
        try:
            relative = pure.resolve().relative_to(base.resolve())
        except ValueError:
            return {"uri": pure.resolve().as_uri()}
        return {"uri": quote(relative.as_posix(), errors="surrogateescape"), "uriBaseId": SRCROOT}
    posix = PurePath(os.path.normpath(path)).as_posix()
    if posix.startswith("../"):
        return {"uri": (base / pure).resolve().as_uri()}
    return {"uri": quote(posix, errors="surrogateescape"), "uriBaseId": SRCROOT}


def region(span: Span, cell: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "startLine": span.line,
        "startColumn": span.column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
    }
    if cell is not None:
        data["properties"] = {"cell": cell}
    return data


def location(loc: Location, cwd: Path | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact_location(loc.path, cwd)}
    if loc.span is not None and not loc.layer_path:
        physical["region"] = region(loc.span, loc.cell)
    else:
        # A whole-file location. GitHub code scanning rejects results without a start line.
        physical["region"] = {"startLine": 1}
    data: dict[str, Any] = {"physicalLocation": physical}
    if loc.layer_path:
        data["logicalLocations"] = [
            {
                "name": loc.layer_path[-1],
                "fullyQualifiedName": "/".join(loc.layer_path),
                "kind": "object",
            }
        ]
    elif loc.cell is not None:
        data["logicalLocations"] = [
            {"name": f"cell {loc.cell}", "fullyQualifiedName": f"cell {loc.cell}", "kind": "module"}
        ]
    return data


# --------------------------------------------------------------------------------------------------
# Fingerprints
# --------------------------------------------------------------------------------------------------


def _normalised_value(value: object) -> str:
    return " ".join(repr(value).split())


def normalised_call(layer: RecurrentLayer) -> str:
    """The flagged layer call as text without positions: ``Bidirectional(LSTM(activation='relu'))``.

    Argument order and formatting do not matter; an unresolved argument reads as its origin.
    """
    args = ", ".join(
        f"{name}={_normalised_value(arg.value) if arg.known else '?' + arg.origin}"
        for name, arg in sorted(layer.args, key=lambda item: item[0])
    )
    text = f"{layer.cls}({args})"
    for wrapper in reversed(layer.wrappers):
        text = f"{wrapper}({text})"
    if layer.name:
        text += f" name={layer.name}"
    return text


def fingerprint_text(finding: Finding, cwd: Path | None = None) -> str:
    """What a fingerprint hashes: code, the file's uri (as in the result) and the subject."""
    loc = finding.location
    if loc.layer_path:
        subject = "/".join(loc.layer_path)
    elif finding.subject is not None:
        subject = normalised_call(finding.subject)
    else:
        subject = " ".join(finding.message.split())
    uri = str(artifact_location(loc.path, cwd)["uri"])
    return "\x00".join((finding.code, uri, subject))


def fingerprints(findings: Sequence[Finding], cwd: Path | None = None) -> list[str]:
    """One stable fingerprint per finding; identical ones are told apart by their occurrence."""
    seen: dict[str, int] = {}
    out = []
    for finding in findings:
        digest = hashlib.sha256(fingerprint_text(finding, cwd).encode("utf-8")).hexdigest()[:32]
        seen[digest] = seen.get(digest, 0) + 1
        out.append(f"{digest}:{seen[digest]}")
    return out


# --------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------


def result(finding: Finding, rule_index: int | None, fp: str, cwd: Path | None) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "severity": str(finding.severity),
        "layer": finding.layer,
        "factors": [f.to_json() for f in finding.factors],
    }
    if finding.location.cell is not None:
        properties["cell"] = finding.location.cell
    if finding.location.layer_path:
        properties["layer_path"] = list(finding.location.layer_path)
    if finding.fix is not None:
        properties["fix"] = finding.fix.to_json()
    if finding.probe is not None:
        probe = finding.probe
        properties["probe"] = probe.to_json() if hasattr(probe, "to_json") else str(probe)
    data: dict[str, Any] = {
        "ruleId": finding.code,
        "level": level(finding.severity),
        "message": {"text": finding.message},
        "locations": [location(finding.location, cwd)],
        "partialFingerprints": {FINGERPRINT_KEY: fp},
        "properties": properties,
    }
    if rule_index is not None:
        data["ruleIndex"] = rule_index
    if finding.related is not None:
        related = location(finding.related, cwd)
        related["id"] = 1
        related["message"] = {"text": "the layer that feeds it"}
        data["relatedLocations"] = [related]
    return data


def notification(text: str, path: str, note_level: str, cwd: Path | None) -> dict[str, Any]:
    return {
        "level": note_level,
        "message": {"text": f"{path}: {text}"},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(path, cwd)}}],
    }


def _directory_uri(path: Path) -> str:
    uri = path.resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def sarif_log(results: Sequence[FileResult], cwd: Path | None = None) -> dict[str, Any]:
    """The SARIF log of a run, as a JSON-ready dict."""
    base = Path(cwd) if cwd is not None else Path.cwd()
    index = {rule.code: i for i, rule in enumerate(ALL_RULES)}
    findings = [f for r in results for f in r.findings]
    prints = fingerprints(findings, base)
    notifications = [notification(r.error, r.path, "error", base) for r in results if r.error]
    notifications += [notification(n, r.path, "note", base) for r in results for n in r.notes]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "kerasrnnlint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [rule_descriptor(rule) for rule in ALL_RULES],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": not any(r.error for r in results),
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "originalUriBaseIds": {SRCROOT: {"uri": _directory_uri(base)}},
                "columnKind": "unicodeCodePoints",
                "results": [
                    result(f, index.get(f.code), fp, base)
                    for f, fp in zip(findings, prints, strict=True)
                ],
            }
        ],
    }


def report(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    json.dump(sarif_log(results), out, indent=2, ensure_ascii=False)
    out.write("\n")
