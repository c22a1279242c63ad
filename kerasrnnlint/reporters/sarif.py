"""``--output-format sarif``: SARIF 2.1.0, as GitHub code scanning and other SARIF viewers read it.

One run whose ``tool.driver.rules`` lists every rule (``shortDescription`` = the rule's summary,
``fullDescription`` = its "What it does" section, ``help`` = its whole docstring as text and
markdown, ``helpUri`` = its page (:func:`kerasrnnlint.links.rule_url`),
``defaultConfiguration.level`` from its default severity, and ``properties.precision``,
``properties["problem.severity"]`` and ``properties.tags`` as GitHub reads them). Each finding is
a result with:

- ``level`` from the severity: high → ``error``, medium → ``warning``, low and info → ``note``;
- a physical location: the file's uri relative to the repository root (:mod:`kerasrnnlint.roots`)
  with ``uriBaseId`` ``%SRCROOT%`` (the run's ``originalUriBaseIds`` gives that root as a ``file:``
  uri; a file outside it gets a ``file:`` uri of its own), and a full region (start and end line
  and column, 1-based, ``endColumn`` exclusive, columns in code points);
- saved models: the region ``1:1-1:1`` (the file as a whole), the layer path at the start of the
  message and as a logical location (``fullyQualifiedName`` ``encoder/lstm_1``);
- notebooks: the region is the line and columns of the ``.ipynb`` file's text that hold the
  flagged code (inside the JSON string of the cell's source); the cell number is in
  ``region.properties.cell`` and ``result.properties.cell``, the rows inside the cell in
  ``result.properties.cellRegion``, and a logical location is named ``cell N``;
- ``partialFingerprints.primaryLocationLineHash``: the hash of the region's first line computed
  exactly as GitHub's uploader does (:mod:`kerasrnnlint.reporters.fingerprints`), so an upload
  through ``upload-sarif`` and one through the REST API agree; and ``kerasrnnlint/v1``: a hash of
  the code, the path and the normalised text of the flagged layer call (or the layer path of a
  saved model), plus an occurrence number, which survives edits to the flagged line's neighbours;
- ``fixes``: the rule's automatic fix as ``artifactChanges[].replacements`` (a deleted region and
  the inserted text), for source files; ``properties.safe`` says whether ``--fix`` applies it
  without ``--unsafe-fixes``;
- ``properties``: severity, risk factors, the suggested fix and, once probed, the probe's evidence.

Results are ordered by severity (high first), then path and position. GitHub keeps at most
:data:`MAX_RESULTS` results per run (the most severe ones): beyond that the log keeps those and
says how many it left out in a notification instead of being rejected.

Inputs that could not be linted are ``invocations[0].toolExecutionNotifications`` (level
``error``, with the file, and its line when the error names one, as location); notes are
notifications of level ``note``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from kerasrnnlint import __version__
from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Finding, Severity
from kerasrnnlint.ir import Location, RecurrentLayer, Span
from kerasrnnlint.links import REPOSITORY_URL, rule_url
from kerasrnnlint.reporters import ReportContext
from kerasrnnlint.reporters.fingerprints import file_line_hashes, line_hashes
from kerasrnnlint.reporters.positions import Positions, error_position, source_text
from kerasrnnlint.roots import rooted
from kerasrnnlint.rules import ALL_RULES, Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = REPOSITORY_URL
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "kerasrnnlint/v1"
LINE_HASH_KEY = "primaryLocationLineHash"
# GitHub code scanning rejects a run with more than 25,000 results and keeps only the 5,000 most
# severe ones; more than 10 tags per rule are dropped.
MAX_RESULTS = 5000
MAX_TAGS = 10

LEVELS: dict[Severity, str] = {
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub's "problem.severity" of a rule: error, warning or recommendation.
PROBLEM_SEVERITY: dict[Severity, str] = {
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "recommendation",
    Severity.INFO: "recommendation",
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


def rule_tags(rule: Rule) -> list[str]:
    """``reliability`` for rules about training that diverges, ``performance`` for speed rules."""
    kind = "performance" if rule.code.startswith("KRL1") else "reliability"
    return [kind, "keras", "recurrent"][:MAX_TAGS]


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
        "helpUri": rule_url(rule.code),
        "defaultConfiguration": {"level": level(rule.default_severity)},
        "properties": {
            "tags": rule_tags(rule),
            # Each rule reads the layer's arguments as written: what it reports is there.
            "precision": "high",
            "problem.severity": PROBLEM_SEVERITY[rule.default_severity],
        },
    }


# --------------------------------------------------------------------------------------------------
# Locations
# --------------------------------------------------------------------------------------------------


def artifact_location(path: str, root: Path | str | None = None) -> dict[str, Any]:
    """A uri relative to the root (``%SRCROOT%``) when the file is under it, else a ``file:``
    uri."""
    rel = rooted(path, root)
    if rel is None:
        return {"uri": Path(path).resolve().as_uri()}
    return {"uri": quote(rel, errors="surrogateescape"), "uriBaseId": SRCROOT}


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


def location(
    loc: Location, root: Path | str | None = None, positions: Positions | None = None
) -> dict[str, Any]:
    positions = positions if positions is not None else Positions()
    physical: dict[str, Any] = {
        "artifactLocation": artifact_location(loc.path, root),
        "region": region(positions.span(loc), None if loc.layer_path else loc.cell),
    }
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


def fingerprint_text(finding: Finding, root: Path | str | None = None) -> str:
    """What a fingerprint hashes: code, the file's uri (as in the result) and the subject."""
    loc = finding.location
    if loc.layer_path:
        subject = "/".join(loc.layer_path)
    elif finding.subject is not None:
        subject = normalised_call(finding.subject)
    else:
        subject = " ".join(finding.message.split())
    uri = str(artifact_location(loc.path, root)["uri"])
    return "\x00".join((finding.code, uri, subject))


def fingerprints(findings: Sequence[Finding], root: Path | str | None = None) -> list[str]:
    """One stable fingerprint per finding; identical ones are told apart by their occurrence."""
    seen: dict[str, int] = {}
    out = []
    for finding in findings:
        digest = hashlib.sha256(fingerprint_text(finding, root).encode("utf-8")).hexdigest()[:32]
        seen[digest] = seen.get(digest, 0) + 1
        out.append(f"{digest}:{seen[digest]}")
    return out


def line_hash_lookup(
    findings: Sequence[Finding], positions: Positions, sources: Mapping[str, str]
) -> dict[tuple[str, int], str]:
    """GitHub's ``primaryLocationLineHash`` of each (file, first line of its region) needed."""
    lines: dict[str, set[int]] = {}
    for finding in findings:
        lines.setdefault(finding.location.path, set()).add(positions.span(finding.location).line)
    found: dict[tuple[str, int], str] = {}
    for path, wanted in lines.items():
        if path in sources:
            hashes = line_hashes(sources[path], max(wanted))
            got = {n: hashes[n - 1] for n in wanted if n <= len(hashes)}
        else:
            got = file_line_hashes(Path(path), wanted)
        found.update(((path, line), value) for line, value in got.items())
    return found


# --------------------------------------------------------------------------------------------------
# Fixes
# --------------------------------------------------------------------------------------------------

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line, start = 1, 0
    for match in _LINE_BREAK.finditer(text, 0, offset):
        line, start = line + 1, match.end()
    return line, offset - start + 1


def replacement(old: str, new: str) -> dict[str, Any]:
    """The smallest SARIF replacement that turns ``old`` into ``new``."""
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    start = _line_column(old, prefix)
    end = _line_column(old, len(old) - suffix)
    return {
        "deletedRegion": {
            "startLine": start[0],
            "startColumn": start[1],
            "endLine": end[0],
            "endColumn": end[1],
        },
        "insertedContent": {"text": new[prefix : len(new) - suffix]},
    }


def call_only(text: str, span: Span) -> str | None:
    """``text`` with everything but the layer call at ``span`` blanked out, rows and columns kept:
    the rows above become empty, the columns before the call are ``(`` and spaces (so its
    indentation is inside brackets), and a ``)`` closes it. A fix edits only its layer's call, so
    it is computed on this small text instead of parsing the whole file once per finding."""
    lines = text.splitlines(keepends=True)
    if not 1 <= span.line <= span.end_line <= len(lines):
        return None
    first, last = lines[span.line - 1], lines[span.end_line - 1]
    if span.line == span.end_line:
        call = first[span.column - 1 : span.end_column - 1]
    else:
        call = first[span.column - 1 :] + "".join(lines[span.line : span.end_line - 1])
        call += last[: span.end_column - 1]
    if span.column == 1:
        return "\n" * (span.line - 1) + call + "\n"
    return "\n" * (span.line - 1) + "(" + " " * (span.column - 2) + call + "\n)\n"


def result_fix(
    finding: Finding, text: str | None, artifact: dict[str, Any]
) -> dict[str, Any] | None:
    """The finding's automatic fix as a SARIF fix (source files only), or None."""
    loc = finding.location
    if finding.fix is None or text is None or loc.layer_path or loc.cell is not None:
        return None
    from kerasrnnlint.fixes import fix_source

    span = finding.subject.location.span if finding.subject is not None else None
    small = call_only(text, span) if span is not None else None
    edit = None
    for candidate in (small, text):  # the whole file only when the call alone does not do
        if candidate is None:
            continue
        try:
            outcome = fix_source(candidate, [finding], unsafe=True)
        except Exception:  # a fix that cannot be computed leaves the result without one
            continue
        if outcome.applied and outcome.text != candidate:
            edit = replacement(candidate, outcome.text)
            break
        if not any("not found" in why for _, why in outcome.skipped):
            break  # declined for a reason of its own: the whole file would decline it too
    if edit is None:
        return None
    return {
        "description": {"text": finding.fix.title},
        "artifactChanges": [{"artifactLocation": artifact, "replacements": [edit]}],
        "properties": {"safe": finding.fix.safe},
    }


# --------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------


def result(
    finding: Finding,
    rule_index: int | None,
    fp: str,
    root: Path | str | None,
    positions: Positions | None = None,
    line_hash: str | None = None,
    text: str | None = None,
) -> dict[str, Any]:
    positions = positions if positions is not None else Positions()
    loc = finding.location
    properties: dict[str, Any] = {
        "severity": str(finding.severity),
        "layer": finding.layer,
        "factors": [f.to_json() for f in finding.factors],
    }
    if loc.cell is not None:
        properties["cell"] = loc.cell
        if loc.span is not None:
            properties["cellRegion"] = region(loc.span)
    if loc.layer_path:
        properties["layer_path"] = list(loc.layer_path)
    if finding.fix is not None:
        properties["fix"] = finding.fix.to_json()
    if finding.probe is not None:
        probe = finding.probe
        properties["probe"] = probe.to_json() if hasattr(probe, "to_json") else str(probe)
    message = finding.message
    if loc.layer_path:
        message = f"{'/'.join(loc.layer_path)}: {message}"
    primary = location(loc, root, positions)
    partial = {FINGERPRINT_KEY: fp}
    if line_hash is not None:
        partial = {LINE_HASH_KEY: line_hash, **partial}
    data: dict[str, Any] = {
        "ruleId": finding.code,
        "level": level(finding.severity),
        "message": {"text": message},
        "locations": [primary],
        "partialFingerprints": partial,
        "properties": properties,
    }
    if rule_index is not None:
        data["ruleIndex"] = rule_index
    fix = result_fix(finding, text, primary["physicalLocation"]["artifactLocation"])
    if fix is not None:
        data["fixes"] = [fix]
    if finding.related:
        data["relatedLocations"] = related_locations(finding, root, positions)
    return data


def related_locations(
    finding: Finding, root: Path | str | None, positions: Positions | None
) -> list[dict[str, Any]]:
    """``relatedLocations``: the places a finding names (KRL004's producer) and the findings
    folded into it, each with its message (a folded one's starts with its rule code)."""
    out = []
    for number, entry in enumerate(finding.related, start=1):
        related = location(entry.location, root, positions)
        related["id"] = number
        related["message"] = {"text": entry.text}
        out.append(related)
    return out


def notification(
    text: str, path: str, note_level: str, root: Path | str | None, with_position: bool = False
) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact_location(path, root)}
    where = error_position(text) if with_position else None
    if where is not None:
        line, column = where
        physical["region"] = {"startLine": line, **({"startColumn": column} if column else {})}
    return {
        "level": note_level,
        "message": {"text": f"{path}: {text}"},
        "locations": [{"physicalLocation": physical}],
    }


def _directory_uri(path: Path) -> str:
    uri = path.resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def result_order(
    finding: Finding, root: Path | str | None, positions: Positions
) -> tuple[object, ...]:
    """Most severe first, then by file and position."""
    span = positions.span(finding.location)
    return (
        -finding.severity,
        rooted(finding.location.path, root) or finding.location.path,
        span.line,
        span.column,
        finding.code,
    )


def sarif_log(
    results: Sequence[FileResult],
    root: Path | str | None = None,
    sources: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The SARIF log of a run, as a JSON-ready dict. Paths are relative to ``root`` (default:
    the working directory)."""
    base = Path(root) if root is not None else Path.cwd()
    sources = sources if sources is not None else {}
    positions = Positions()
    index = {rule.code: i for i, rule in enumerate(ALL_RULES)}
    findings = [f for r in results for f in r.findings]
    prints = dict(zip(map(id, findings), fingerprints(findings, base), strict=True))
    ordered = sorted(findings, key=lambda f: result_order(f, base, positions))
    kept, omitted = ordered[:MAX_RESULTS], ordered[MAX_RESULTS:]
    hashes = line_hash_lookup(kept, positions, sources)
    texts: dict[str, str | None] = {}
    for finding in kept:
        path = finding.location.path
        if finding.fix is not None and path not in texts and finding.location.cell is None:
            texts[path] = None if finding.location.layer_path else source_text(path, sources)
    notifications = [
        notification(r.error, r.path, "error", base, with_position=True) for r in results if r.error
    ]
    notifications += [notification(n, r.path, "note", base) for r in results for n in r.notes]
    if omitted:
        notifications.append(
            {
                "level": "warning",
                "message": {
                    "text": f"{len(omitted)} of {len(ordered)} results left out: GitHub code "
                    f"scanning keeps at most {MAX_RESULTS} results per run; these are the "
                    f"{MAX_RESULTS} most severe"
                },
            }
        )
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
                    result(
                        f,
                        index.get(f.code),
                        prints[id(f)],
                        base,
                        positions,
                        hashes.get((f.location.path, positions.span(f.location).line)),
                        texts.get(f.location.path),
                    )
                    for f in kept
                ],
            }
        ],
    }


def report(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    json.dump(sarif_log(results, ctx.project_root, ctx.sources), out, indent=2, ensure_ascii=False)
    out.write("\n")
