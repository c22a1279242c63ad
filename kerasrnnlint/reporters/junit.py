"""``--output-format junit``: JUnit XML for CI systems that read test reports (GitLab, Jenkins...).

``<testsuites name="kerasrnnlint">`` holds one ``<testsuite>`` per linted file (``name`` = the
path relative to the repository root, :mod:`kerasrnnlint.roots`). In it, each finding is a
``<testcase>`` (``classname`` and ``file`` = that path, ``line`` = its line in the file). A finding
at or above ``--fail-on`` has one ``<failure>`` (``type`` = the rule code, ``message`` = the
message, text = location, severity and risk factors); one below it is a passing test case with the
same text in ``<system-out>``, so an ``info`` finding never shows as a red test on a run that
exits 0. Most readers show only one failure per test case, so a finding is a test case of its own.
A clean file has one passing test case named ``kerasrnnlint``; a file that could not be linted has
one test case with an ``<error>``.

Test case names are stable across edits: the rule, the file, the function or class around the
layer (``Trainer.build``; ``<module>`` at top level; the layer path for saved models), the layer
and an ordinal among identical names, e.g. ``KRL001 src/model.py::build LSTM #1``. No row or
column: CI systems track a test by its name, and a finding keeps its identity when code above it
moves.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import TextIO

from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Finding, Severity
from kerasrnnlint.reporters import ReportContext
from kerasrnnlint.reporters.positions import Positions, Scopes
from kerasrnnlint.roots import display_path

# Characters XML 1.0 cannot hold, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def where(finding: Finding) -> str:
    """The location inside the file: ``12:5``, ``cell 4:12:5`` or ``encoder › lstm_1``."""
    loc = finding.location
    if loc.layer_path:
        return " › ".join(loc.layer_path)
    if loc.cell is not None:
        return f"cell {loc.cell}:{loc.line}:{loc.column}"
    return f"{loc.line}:{loc.column}"


def failure_text(finding: Finding) -> str:
    lines = [
        f"{finding.location.display()}: {finding.code} [{finding.severity}] {finding.message}",
        f"rule: {finding.code} ({finding.name}); layer: {finding.layer}",
    ]
    lines += [f"  {f.name} = {f.value}: {f.effect}" for f in finding.factors]
    if finding.probe is not None and hasattr(finding.probe, "to_json"):
        probe = finding.probe.to_json()
        lines.append(f"probe: {probe.get('verdict')} ({probe.get('message', '')})")
    return "\n".join(lines)


def subject(finding: Finding, scopes: Scopes) -> str:
    """``build LSTM``: the scope around the layer and the layer (its ``name=`` when given)."""
    loc = finding.location
    if loc.layer_path:
        return "/".join(loc.layer_path)
    layer = finding.subject
    label = finding.layer
    if layer is not None:
        label = layer.display_name + (f" {layer.name!r}" if layer.name else "")
    return f"{scopes.name(loc)} {label}"


def case_names(findings: Sequence[Finding], path: str, scopes: Scopes) -> list[str]:
    """Stable test case names (see the module docstring), in the order of ``findings``."""
    seen: dict[str, int] = {}
    names = []
    for finding in findings:
        base = f"{finding.code} {path}::{subject(finding, scopes)}"
        seen[base] = seen.get(base, 0) + 1
        names.append(f"{base} #{seen[base]}")
    return names


def testcase(
    parent: ET.Element,
    path: str,
    finding: Finding,
    name: str,
    fail_on: Severity,
    positions: Positions,
) -> bool:
    """Add the finding's test case; True when it is a failure."""
    attrs = {"name": clean(name), "classname": clean(path), "file": clean(path), "time": "0"}
    loc = finding.location
    if loc.span is not None and not loc.layer_path:
        attrs["line"] = str(positions.span(loc).line)
    case = ET.SubElement(parent, "testcase", attrs)
    failing = finding.severity >= fail_on
    if failing:
        failure = ET.SubElement(
            case,
            "failure",
            {"type": finding.code, "message": clean(f"[{finding.severity}] {finding.message}")},
        )
        failure.text = clean(failure_text(finding))
    else:
        ET.SubElement(case, "system-out").text = clean(failure_text(finding))
    return failing


def testsuite(
    result: FileResult,
    root: str | None = None,
    fail_on: Severity = Severity.LOW,
    positions: Positions | None = None,
    scopes: Scopes | None = None,
) -> ET.Element:
    positions = positions if positions is not None else Positions()
    scopes = scopes if scopes is not None else Scopes()
    path = display_path(result.path, root)
    errors = 1 if result.error else 0
    suite = ET.Element("testsuite", {"name": clean(path)})
    names = case_names(result.findings, path, scopes)
    failures = sum(
        testcase(suite, path, finding, name, fail_on, positions)
        for finding, name in zip(result.findings, names, strict=True)
    )
    if result.error:
        case = ET.SubElement(suite, "testcase", {"name": "kerasrnnlint", "classname": clean(path)})
        error = ET.SubElement(case, "error", {"type": "InputError", "message": clean(result.error)})
        error.text = clean(f"{result.path}: {result.error}")
    elif not result.findings:
        ET.SubElement(suite, "testcase", {"name": "kerasrnnlint", "classname": clean(path)})
    if result.notes:
        ET.SubElement(suite, "system-out").text = clean("\n".join(result.notes))
    suite.attrib.update(
        {
            "tests": str(max(len(result.findings) + errors, 1)),
            "failures": str(failures),
            "errors": str(errors),
            "skipped": "0",
            "time": "0",
        }
    )
    return suite


def document(
    results: Sequence[FileResult],
    root: str | None = None,
    fail_on: Severity = Severity.LOW,
    sources: dict[str, str] | None = None,
) -> ET.Element:
    positions, scopes = Positions(), Scopes(sources or {})
    suites = [testsuite(r, root, fail_on, positions, scopes) for r in results]
    top = ET.Element(
        "testsuites",
        {
            "name": "kerasrnnlint",
            "tests": str(sum(int(s.get("tests", "0")) for s in suites)),
            "failures": str(sum(int(s.get("failures", "0")) for s in suites)),
            "errors": str(sum(int(s.get("errors", "0")) for s in suites)),
            "time": "0",
        },
    )
    top.extend(suites)
    return top


def report(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    top = document(results, ctx.project_root, ctx.fail_on, dict(ctx.sources))
    ET.indent(top)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(top, encoding="unicode"))
    out.write("\n")
