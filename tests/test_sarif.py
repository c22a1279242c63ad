"""``--output-format sarif``: valid SARIF 2.1.0 (the official schema), rules, levels, locations,
fingerprints that survive unrelated edits, probe evidence, input errors."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import findings_of, run_cli

from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Severity
from kerasrnnlint.ir import Arg, Location, RecurrentLayer, Span
from kerasrnnlint.links import rule_url
from kerasrnnlint.probe import ProbeResult
from kerasrnnlint.reporters import ReportContext, get
from kerasrnnlint.reporters.fingerprints import file_line_hashes, line_hashes
from kerasrnnlint.reporters.sarif import MAX_RESULTS, sarif_log
from kerasrnnlint.rules import ALL_RULES

REPO = Path(__file__).resolve().parents[1]
SCHEMA_PATH = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"

RISKY = 'from keras.layers import LSTM\n\nlayer = LSTM(8, activation="relu")\n'


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def lstm(
    path: str = "src/model.py",
    line: int = 3,
    activation: str | None = "relu",
    cell: int | None = None,
    layer_path: tuple[str, ...] = (),
) -> RecurrentLayer:
    saved = bool(layer_path)
    value_span = None if saved else Span(line, 25, line, 31)
    return RecurrentLayer(
        cls="LSTM",
        location=Location(
            path, span=None if saved else Span(line, 9, line, 35), layer_path=layer_path, cell=cell
        ),
        args=(
            ("units", Arg(8, keyword=False)),
            ("activation", Arg(activation, span=value_span)),
        ),
    )


def render(results: list[FileResult]) -> dict[str, Any]:
    out = io.StringIO()
    get("sarif")(results, ReportContext(), out)
    data: dict[str, Any] = json.loads(out.getvalue())
    return data


def test_registered_and_valid_against_the_official_schema(validator: Any) -> None:
    probed = replace(
        findings_of(lstm(line=7))[0],
        probe=ProbeResult(verdict="confirmed", tier="stress", step=12, max_abs_h=3e38),
    )
    results = [
        FileResult("src/model.py", findings=(*findings_of(lstm()), probed)),
        FileResult("train.ipynb", findings=findings_of(lstm("train.ipynb", line=2, cell=4))),
        FileResult(
            "model.keras",
            findings=findings_of(lstm("model.keras", layer_path=("encoder", "lstm_1"))),
        ),
        FileResult("broken.py", error="cannot parse: invalid syntax (line 3)"),
        FileResult("nb.ipynb", notes=("cell 2 is not Python (%%bash); skipped",)),
    ]
    data = render(results)
    validator.validate(data)  # raises with the offending path when invalid
    assert data["version"] == "2.1.0"
    assert len(data["runs"][0]["results"]) == 4


def test_rules_describe_every_rule_and_results_point_at_theirs() -> None:
    data = render([FileResult("src/model.py", findings=findings_of(lstm(activation=None)))])
    driver = data["runs"][0]["tool"]["driver"]
    assert driver["name"] == "kerasrnnlint"
    assert [r["id"] for r in driver["rules"]] == [r.code for r in ALL_RULES]
    for descriptor, rule in zip(driver["rules"], ALL_RULES, strict=True):
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"]
        assert descriptor["help"]["text"] == rule.doc.strip()
        assert descriptor["help"]["markdown"] == rule.doc.strip()
        assert descriptor["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert descriptor["helpUri"] == rule_url(rule.code)
        assert descriptor["helpUri"].endswith(f"/docs/rules/{rule.code}.md")
        properties = descriptor["properties"]
        assert properties["precision"] in ("very-high", "high", "medium", "low")
        assert properties["problem.severity"] in ("error", "warning", "recommendation")
        assert "keras" in properties["tags"] and len(properties["tags"]) <= 10
    krl001 = driver["rules"][[r.code for r in ALL_RULES].index("KRL001")]
    assert krl001["defaultConfiguration"]["level"] == "error"
    assert "What it does" not in krl001["fullDescription"]["text"]
    assert "unbounded" in krl001["fullDescription"]["text"]
    (result,) = data["runs"][0]["results"]
    assert result["ruleId"] == "KRL001"
    assert driver["rules"][result["ruleIndex"]]["id"] == "KRL001"


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (Severity.HIGH, "error"),
        (Severity.MEDIUM, "warning"),
        (Severity.LOW, "note"),
        (Severity.INFO, "note"),
    ],
)
def test_level_follows_severity(severity: Severity, level: str) -> None:
    finding = replace(findings_of(lstm())[0], severity=severity)
    (result,) = render([FileResult("src/model.py", findings=(finding,))])["runs"][0]["results"]
    assert result["level"] == level
    assert result["properties"]["severity"] == str(severity)


def test_physical_location_is_relative_and_one_based() -> None:
    (result,) = render([FileResult("src/model.py", findings=findings_of(lstm(line=3)))])["runs"][0][
        "results"
    ]
    (loc,) = result["locations"]
    physical = loc["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "src/model.py", "uriBaseId": "%SRCROOT%"}
    # KRL001 is reported on the activation value: row 3, columns 25..31 (end exclusive).
    assert physical["region"] == {"startLine": 3, "startColumn": 25, "endLine": 3, "endColumn": 31}
    assert "logicalLocations" not in loc


def test_absolute_path_under_the_working_directory_is_made_relative(tmp_path: Path) -> None:
    path = str(Path.cwd() / "pkg" / "m.py")
    (result,) = render([FileResult(path, findings=findings_of(lstm(path)))])["runs"][0]["results"]
    artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "pkg/m.py", "uriBaseId": "%SRCROOT%"}
    outside = str(tmp_path.resolve() / "odd name.py")
    if Path(outside).is_relative_to(Path.cwd().resolve()):
        pytest.skip("tmp_path is under the working directory")
    (result,) = render([FileResult(outside, findings=findings_of(lstm(outside)))])["runs"][0][
        "results"
    ]
    artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact["uri"].startswith("file:///") and artifact["uri"].endswith("odd%20name.py")


def test_saved_model_has_a_logical_location() -> None:
    layer = lstm("model.keras", layer_path=("encoder", "bidirectional", "lstm_1"))
    (result,) = render([FileResult("model.keras", findings=findings_of(layer))])["runs"][0][
        "results"
    ]
    (loc,) = result["locations"]
    assert loc["physicalLocation"] == {
        "artifactLocation": {"uri": "model.keras", "uriBaseId": "%SRCROOT%"},
        # The file as a whole: code scanning needs a region, and a full one places it exactly.
        "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1},
    }
    assert result["message"]["text"].startswith("encoder/bidirectional/lstm_1: LSTM uses ")
    assert loc["logicalLocations"] == [
        {"name": "lstm_1", "fullyQualifiedName": "encoder/bidirectional/lstm_1", "kind": "object"}
    ]
    assert result["properties"]["layer_path"] == ["encoder", "bidirectional", "lstm_1"]


def test_notebook_result_names_the_cell() -> None:
    # A notebook that is not on disk any more: the cell is still named, the region is line 1.
    layer = lstm("train.ipynb", line=12, cell=4)
    (result,) = render([FileResult("train.ipynb", findings=findings_of(layer))])["runs"][0][
        "results"
    ]
    (loc,) = result["locations"]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "train.ipynb"
    region = loc["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (1, 1)
    assert region["properties"] == {"cell": 4}
    assert loc["logicalLocations"][0]["name"] == "cell 4"
    assert result["properties"]["cell"] == 4
    assert result["properties"]["cellRegion"] == {
        "startLine": 12,
        "startColumn": 25,
        "endLine": 12,
        "endColumn": 31,
    }


@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_notebook_region_is_the_line_of_the_ipynb_file(tmp_path: Path, ensure_ascii: bool) -> None:
    # The flagged row of the cell, as written in the notebook's JSON (escaped quotes, non-ASCII
    # text before it, a source stored as a list of lines).
    cell_source = [
        '"""Modèle 😀."""\n',
        "from keras.layers import LSTM\n",
        'x = LSTM(8, activation="relu")',
    ]
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Title"]},
            {"cell_type": "code", "metadata": {}, "outputs": [], "source": cell_source},
        ],
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    raw = json.dumps(notebook, indent=1, ensure_ascii=ensure_ascii) + "\n"
    (tmp_path / "nb.ipynb").write_text(raw, encoding="utf-8")
    proc = run_cli("--select", "KRL001", "--output-format", "sarif", "nb.ipynb", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    (result,) = json.loads(proc.stdout)["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    line = raw.splitlines()[region["startLine"] - 1]
    assert region["endLine"] == region["startLine"]
    assert line[region["startColumn"] - 1 : region["endColumn"] - 1] == '\\"relu\\"'
    assert result["properties"]["cell"] == 2
    assert result["properties"]["cellRegion"]["startLine"] == 3
    hashes = line_hashes(raw)
    assert (
        result["partialFingerprints"]["primaryLocationLineHash"] == hashes[region["startLine"] - 1]
    )


def test_fingerprints_ignore_line_numbers_but_not_the_call() -> None:
    def fingerprint(*layers: RecurrentLayer) -> list[str]:
        results = render([FileResult("src/model.py", findings=findings_of(*layers))])
        return [r["partialFingerprints"]["kerasrnnlint/v1"] for r in results["runs"][0]["results"]]

    (moved,) = fingerprint(lstm(line=40))
    assert fingerprint(lstm(line=3)) == [moved]
    assert fingerprint(lstm(line=3, activation="elu")) != [moved]
    assert fingerprint(lstm(path="src/other.py", line=3)) != [moved]
    # However the path was spelled on the command line.
    absolute = str(Path.cwd() / "src" / "model.py")
    assert fingerprint(lstm(path="./src/model.py")) == fingerprint(lstm(path=absolute)) == [moved]
    twins = fingerprint(lstm(line=3), lstm(line=9))
    assert len(set(twins)) == 2 and twins[0] == moved


def test_probe_evidence_goes_into_properties() -> None:
    probe = ProbeResult(
        verdict="confirmed", tier="stress", step=17, max_abs_h=float("inf"), history=(1.0, 9.5)
    )
    finding = replace(findings_of(lstm())[0], probe=probe)
    (result,) = render([FileResult("src/model.py", findings=(finding,))])["runs"][0]["results"]
    evidence = result["properties"]["probe"]
    assert evidence["verdict"] == "confirmed"
    assert evidence["step"] == 17
    assert evidence["history"] == [1.0, 9.5]
    unprobed = render([FileResult("src/model.py", findings=findings_of(lstm()))])
    assert "probe" not in unprobed["runs"][0]["results"][0]["properties"]


def test_input_errors_are_tool_execution_notifications() -> None:
    data = render(
        [
            FileResult("ok.py"),
            FileResult("bad.py", error="cannot parse: Python 2 print statement? (line 1)"),
        ]
    )
    (invocation,) = data["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert "Python 2 print statement" in note["message"]["text"]
    uri = note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "bad.py"
    assert data["runs"][0]["results"] == []
    clean = render([FileResult("ok.py")])["runs"][0]["invocations"][0]
    assert clean == {"executionSuccessful": True, "toolExecutionNotifications": []}


def test_sarif_log_matches_report_output() -> None:
    results = [FileResult("src/model.py", findings=findings_of(lstm()))]
    assert render(results) == json.loads(json.dumps(sarif_log(results)))


# --------------------------------------------------------------------------------------------------
# End to end: the command line on real files
# --------------------------------------------------------------------------------------------------


def test_cli_writes_valid_sarif_to_a_file(tmp_path: Path, validator: Any) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "model.py").write_text(RISKY, encoding="utf-8")
    (src / "clean.py").write_text("from keras.layers import GRU\nGRU(4)\n", encoding="utf-8")
    broken = "import keras\nprint 'hello'\nkeras.layers.LSTM(\n"
    (src / "broken.py").write_text(broken, encoding="utf-8")
    proc = run_cli(
        "--select",
        "KRL001",
        "--output-format",
        "sarif",
        "--output-file",
        "results.sarif",
        "src/",
        cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr  # a finding, and an input that could not be linted
    data = json.loads((tmp_path / "results.sarif").read_text(encoding="utf-8"))
    validator.validate(data)
    assert '"runs"' not in proc.stdout  # the report went to the file, the summary to the terminal
    assert "Found 1 finding" in proc.stdout + proc.stderr
    (result,) = data["runs"][0]["results"]
    assert result["ruleId"] == "KRL001"
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "src/model.py"
    assert physical["region"]["startLine"] == 3
    assert physical["region"]["startColumn"] == RISKY.splitlines()[2].index('"relu"') + 1
    notes = data["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes] == [
        "src/broken.py"
    ]


def test_output_file_gets_the_mode_a_plain_write_would_give(tmp_path: Path) -> None:
    # The atomic write goes through a temporary file, created 0600; a CI step that uploads the
    # report as another user must still be able to read it.
    (tmp_path / "model.py").write_text(RISKY, encoding="utf-8")
    kept = tmp_path / "kept.sarif"
    kept.write_text("", encoding="utf-8")
    kept.chmod(0o664)
    for name in ("new.sarif", "kept.sarif"):
        proc = run_cli(
            "--output-format",
            "sarif",
            "--output-file",
            name,
            "model.py",
            cwd=tmp_path,
            preexec_fn=lambda: os.umask(0o022),
        )
        assert proc.returncode == 1, proc.stderr
        json.loads((tmp_path / name).read_text(encoding="utf-8"))
    assert stat.S_IMODE((tmp_path / "new.sarif").stat().st_mode) == 0o644
    assert stat.S_IMODE(kept.stat().st_mode) == 0o664


def test_cli_fingerprint_survives_an_unrelated_edit(tmp_path: Path) -> None:
    model = tmp_path / "model.py"

    def fingerprints() -> list[str]:
        proc = run_cli("--select", "KRL001", "--output-format", "sarif", "model.py", cwd=tmp_path)
        assert proc.returncode == 1, proc.stderr
        results = json.loads(proc.stdout)["runs"][0]["results"]
        return [r["partialFingerprints"]["kerasrnnlint/v1"] for r in results]

    model.write_text(RISKY, encoding="utf-8")
    before = fingerprints()
    edited = RISKY.replace("\n\n", '\n\n"""Models."""\nimport os\n\nSEED = 1\n\n')
    model.write_text(edited + 'other = LSTM(4, activation="elu")\n', encoding="utf-8")
    after = fingerprints()
    assert len(before) == 1 and len(after) == 2
    assert before[0] == after[0]
    assert after[1] != after[0]


# --------------------------------------------------------------------------------------------------
# GitHub's primaryLocationLineHash (a port of github/codeql-action's src/fingerprints.ts)
# --------------------------------------------------------------------------------------------------

CODEQL_DATA = REPO / "tests" / "data" / "codeql-action"


def codeql_vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CODEQL_DATA / "fingerprints.json").read_text("utf-8"))
    return data


@pytest.mark.parametrize(
    "case", codeql_vectors()["hash"], ids=lambda case: repr(case["input"][:20])
)
def test_line_hash_reproduces_the_codeql_action_test_vectors(case: dict[str, Any]) -> None:
    assert line_hashes(case["input"]) == case["hashes"]


@pytest.mark.parametrize("case", codeql_vectors()["addFingerprints"], ids=lambda case: case["file"])
def test_file_line_hash_reproduces_the_codeql_action_expected_sarif(case: dict[str, Any]) -> None:
    line = case["startLine"]
    found = file_line_hashes(CODEQL_DATA / case["file"], [line])
    assert found == {line: case["primaryLocationLineHash"]}


def test_file_line_hash_of_a_large_binary_file_reads_only_its_start(tmp_path: Path) -> None:
    # A saved model's region is line 1: hashing it must not depend on the rest of the file.
    head = b"PK\x03\x04\x14\x00" + bytes(range(256)) * 2
    big = tmp_path / "model.keras"
    big.write_bytes(head + b"\xff" * 3_000_000)
    other = tmp_path / "other.keras"
    other.write_bytes(head + b"\x00" * 3_000_000)
    assert file_line_hashes(big, [1]) == file_line_hashes(other, [1])
    text = head.decode("utf-8", "replace")
    assert file_line_hashes(big, [1])[1] == line_hashes(text + "\ufffd" * 1000, 1)[0]


# --------------------------------------------------------------------------------------------------
# Order, limits, fixes
# --------------------------------------------------------------------------------------------------


def test_results_are_ordered_by_severity_then_path() -> None:
    high = findings_of(lstm("b.py", line=9))[0]
    low = replace(findings_of(lstm("a.py", line=1))[0], severity=Severity.LOW)
    medium = replace(findings_of(lstm("c.py", line=2))[0], severity=Severity.MEDIUM)
    data = render(
        [
            FileResult("a.py", findings=(low,)),
            FileResult("b.py", findings=(high,)),
            FileResult("c.py", findings=(medium,)),
        ]
    )
    levels = [
        (r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        for r in data["runs"][0]["results"]
    ]
    assert levels == [("error", "b.py"), ("warning", "c.py"), ("note", "a.py")]


def test_at_githubs_result_limit_the_run_keeps_the_most_severe_and_says_so(validator: Any) -> None:
    base = findings_of(lstm())[0]
    many = [
        replace(base, severity=Severity.LOW, location=Location("src/model.py", Span(n, 1, n, 5)))
        for n in range(1, MAX_RESULTS + 1)
    ]
    severe = replace(
        base, location=Location("src/model.py", Span(MAX_RESULTS + 5, 1, MAX_RESULTS + 5, 5))
    )
    data = render([FileResult("src/model.py", findings=(*many, severe))])
    validator.validate(data)
    run = data["runs"][0]
    assert len(run["results"]) == MAX_RESULTS
    assert run["results"][0]["level"] == "error"  # the high finding was kept, a low one dropped
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning"
    assert note["message"]["text"].startswith(f"1 of {MAX_RESULTS + 1} results left out")
    assert (
        len(render([FileResult("src/model.py", findings=tuple(many))])["runs"][0]["results"])
        == MAX_RESULTS
    )


def apply_replacements(text: str, replacements: list[dict[str, Any]]) -> str:
    """Apply SARIF replacements (1-based lines and columns, end exclusive) as a viewer would."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    for item in sorted(
        replacements,
        key=lambda r: (r["deletedRegion"]["startLine"], r["deletedRegion"]["startColumn"]),
        reverse=True,
    ):
        region = item["deletedRegion"]
        start = offset(region["startLine"], region["startColumn"])
        end = offset(region["endLine"], region["endColumn"])
        text = text[:start] + item["insertedContent"]["text"] + text[end:]
    return text


def test_fixes_are_sarif_replacements_that_give_what_fix_writes(tmp_path: Path) -> None:
    source = (
        "from keras.layers import LSTM, GRU\n\n"
        "a = LSTM(8, activation='relu')\n"
        "b = GRU(4, recurrent_dropout=0.3, activation='relu')\n"
    )
    (tmp_path / "model.py").write_text(source, encoding="utf-8")
    proc = run_cli("--isolated", "--output-format", "sarif", "model.py", cwd=tmp_path)
    results = json.loads(proc.stdout)["runs"][0]["results"]
    fixed = [r for r in results if "fixes" in r]
    assert {r["ruleId"] for r in fixed} >= {"KRL001", "KRL003"}
    for item in fixed:
        (fix,) = item["fixes"]
        (change,) = fix["artifactChanges"]
        assert change["artifactLocation"] == {"uri": "model.py", "uriBaseId": "%SRCROOT%"}
        assert fix["description"]["text"] == item["properties"]["fix"]["title"]
        assert fix["properties"]["safe"] == item["properties"]["fix"]["safe"]
    krl001 = next(r for r in fixed if r["ruleId"] == "KRL001")
    (replacement,) = krl001["fixes"][0]["artifactChanges"][0]["replacements"]
    assert replacement == {
        "deletedRegion": {"startLine": 3, "startColumn": 25, "endLine": 3, "endColumn": 29},
        "insertedContent": {"text": "tanh"},
    }
    # Every replacement together is what --fix --unsafe-fixes writes (one fix per finding).
    everything = [rep for r in fixed for rep in r["fixes"][0]["artifactChanges"][0]["replacements"]]
    applied = apply_replacements(source, everything)
    assert run_cli(
        "--isolated", "--fix", "--unsafe-fixes", "model.py", cwd=tmp_path
    ).returncode in (0, 1)
    assert applied == (tmp_path / "model.py").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# Rooted at the repository, from a subdirectory
# --------------------------------------------------------------------------------------------------


def git_repo(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def test_from_a_subdirectory_uris_are_rooted_at_the_repository(
    tmp_path: Path, validator: Any
) -> None:
    repo = git_repo(tmp_path / "repo")
    package = repo / "services" / "train" / "pkg"
    package.mkdir(parents=True)
    (package / "model.py").write_text(RISKY, encoding="utf-8")
    (package / "broken.py").write_text("import keras\nprint 'x'\nkeras.layers.LSTM(8)\n", "utf-8")
    notebook = json.loads((REPO / "fixtures" / "notebooks" / "train.ipynb").read_text("utf-8"))
    (package / "train.ipynb").write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    job = repo / "services" / "train"
    proc = run_cli("--output-format", "sarif", "pkg", cwd=job)
    assert proc.returncode == 2, proc.stderr
    data = json.loads(proc.stdout)
    validator.validate(data)
    run = data["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": repo.resolve().as_uri() + "/"}}
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert uris == {"services/train/pkg/model.py", "services/train/pkg/train.ipynb"}
    for item in run["results"]:
        physical = item["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert set(physical["region"]) >= {"startLine", "startColumn", "endLine", "endColumn"}
        text = (repo / physical["artifactLocation"]["uri"]).read_text(encoding="utf-8")
        expected = line_hashes(text)[physical["region"]["startLine"] - 1]
        assert item["partialFingerprints"]["primaryLocationLineHash"] == expected
    assert any("fixes" in r for r in run["results"])
    (error,) = [
        n for n in run["invocations"][0]["toolExecutionNotifications"] if n["level"] == "error"
    ]
    physical = error["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "services/train/pkg/broken.py"
    assert physical["region"]["startLine"] == 2
    # --project-root overrides the git top level.
    proc = run_cli("--output-format", "sarif", "--project-root", ".", "pkg/model.py", cwd=job)
    run = json.loads(proc.stdout)["runs"][0]
    assert (
        run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "pkg/model.py"
    )
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == job.resolve().as_uri() + "/"


@pytest.mark.parametrize(
    "name", ["krl001_unbounded_activation.py", "classes_all.py", "context_optimizer.py"]
)
def test_fixes_from_the_call_alone_equal_fixes_of_the_whole_file(name: str) -> None:
    # result_fix parses only the layer's call (the whole file once per finding is slow); on the
    # fixtures it must give exactly the edit that fixing the whole file gives.
    from kerasrnnlint.config import Settings
    from kerasrnnlint.fixes import fix_source
    from kerasrnnlint.reporters.sarif import replacement, result_fix
    from kerasrnnlint.runner import lint_file

    path = REPO / "fixtures" / name
    text = path.read_text(encoding="utf-8")
    findings = [f for f in lint_file(str(path), Settings()).findings if f.fix is not None]
    assert findings
    compared = 0
    for finding in findings:
        fix = result_fix(finding, text, {})
        whole = fix_source(text, [finding], unsafe=True)
        expected = replacement(text, whole.text) if whole.applied else None
        got = fix["artifactChanges"][0]["replacements"][0] if fix else None
        assert got == expected, (finding.code, finding.location)
        compared += got is not None
    assert compared
