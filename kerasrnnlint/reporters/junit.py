"""``--output-format junit``: JUnit XML for CI systems that read test reports (GitLab, Jenkins...).

``<testsuites name="kerasrnnlint">`` holds one ``<testsuite>`` per linted file (``name`` = the
path). In it, each finding is a ``<testcase>`` with one ``<failure>`` (``type`` = the rule code,
``message`` = the message, text = location, severity and risk factors); most readers show only one
failure per test case, so a finding is a test case of its own. A clean file has one passing test
case named ``kerasrnnlint``; a file that could not be linted has one test case with an ``<error>``.
The test case name carries the location (``KRL001 at 12:5``, ``KRL001 at cell 4:12:5``,
``KRL001 at encoder › lstm_1``), so notebook cells and saved-model layers show in every reader.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import TextIO

from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Finding
from kerasrnnlint.reporters import ReportContext

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


def testcase(parent: ET.Element, result: FileResult, finding: Finding) -> None:
    attrs = {
        "name": clean(f"{finding.code} at {where(finding)}"),
        "classname": clean(result.path),
        "file": clean(result.path),
        "time": "0",
    }
    loc = finding.location
    if loc.span is not None and loc.cell is None and not loc.layer_path:
        attrs["line"] = str(loc.span.line)
    case = ET.SubElement(parent, "testcase", attrs)
    failure = ET.SubElement(
        case,
        "failure",
        {"type": finding.code, "message": clean(f"[{finding.severity}] {finding.message}")},
    )
    failure.text = clean(failure_text(finding))


def testsuite(result: FileResult) -> ET.Element:
    failures = len(result.findings)
    errors = 1 if result.error else 0
    suite = ET.Element(
        "testsuite",
        {
            "name": clean(result.path),
            "tests": str(max(failures + errors, 1)),
            "failures": str(failures),
            "errors": str(errors),
            "skipped": "0",
            "time": "0",
        },
    )
    for finding in result.findings:
        testcase(suite, result, finding)
    if result.error:
        case = ET.SubElement(
            suite, "testcase", {"name": "kerasrnnlint", "classname": clean(result.path)}
        )
        error = ET.SubElement(case, "error", {"type": "InputError", "message": clean(result.error)})
        error.text = clean(f"{result.path}: {result.error}")
    elif not result.findings:
        ET.SubElement(suite, "testcase", {"name": "kerasrnnlint", "classname": clean(result.path)})
    if result.notes:
        ET.SubElement(suite, "system-out").text = clean("\n".join(result.notes))
    return suite


def document(results: Sequence[FileResult]) -> ET.Element:
    suites = [testsuite(r) for r in results]
    root = ET.Element(
        "testsuites",
        {
            "name": "kerasrnnlint",
            "tests": str(sum(int(s.get("tests", "0")) for s in suites)),
            "failures": str(sum(int(s.get("failures", "0")) for s in suites)),
            "errors": str(sum(int(s.get("errors", "0")) for s in suites)),
            "time": "0",
        },
    )
    root.extend(suites)
    return root


def report(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    root = document(results)
    ET.indent(root)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(root, encoding="unicode"))
    out.write("\n")
