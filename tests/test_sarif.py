"""``--output-format sarif``: valid SARIF 2.1.0 (the official schema), rules, levels, locations,
fingerprints that survive unrelated edits, probe evidence, input errors."""

from __future__ import annotations

import io
import json
import os
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import findings_of, run_cli

from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Severity
from kerasrnnlint.ir import Arg, Location, RecurrentLayer, Span
from kerasrnnlint.probe import ProbeResult
from kerasrnnlint.reporters import ReportContext, get
from kerasrnnlint.reporters.sarif import sarif_log
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
        module = rule.check.__module__.rsplit(".", 1)[-1]
        assert descriptor["helpUri"].endswith(f"/kerasrnnlint/rules/{module}.py")
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
        "region": {"startLine": 1},  # the whole file; code scanning needs a start line
    }
    assert loc["logicalLocations"] == [
        {"name": "lstm_1", "fullyQualifiedName": "encoder/bidirectional/lstm_1", "kind": "object"}
    ]
    assert result["properties"]["layer_path"] == ["encoder", "bidirectional", "lstm_1"]


def test_notebook_result_names_the_cell() -> None:
    layer = lstm("train.ipynb", line=12, cell=4)
    (result,) = render([FileResult("train.ipynb", findings=findings_of(layer))])["runs"][0][
        "results"
    ]
    (loc,) = result["locations"]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "train.ipynb"
    region = loc["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (12, 25)
    assert region["properties"] == {"cell": 4}
    assert loc["logicalLocations"][0]["name"] == "cell 4"
    assert result["properties"]["cell"] == 4


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
