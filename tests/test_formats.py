"""The output formats ruff also offers: ``json-lines``, ``gitlab``, ``rdjson``, ``pylint``,
``azure``, ``concise`` and ``grouped``, through the real command line. Each is checked against
what its consumer reads: reviewdog's published JSON schema (``tests/data/reviewdog``), GitLab's
documented Code Quality fields, Azure's logging-command grammar, and the shape ruff (installed
here) writes for the same format."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import run_cli

from kerasrnnlint.links import rule_url
from kerasrnnlint.reporters import FORMATS, get

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "fixtures" / "notebooks" / "train.ipynb"
SOURCE = (
    "from keras.layers import LSTM, GRU\n\n"
    "def build():\n"
    '    note = "é😀"; a = LSTM(8, activation="relu")\n'
    "    return GRU(4, recurrent_dropout=0.3, activation='relu')\n"
)
NEW_FORMATS = ("json-lines", "gitlab", "rdjson", "pylint", "azure", "concise", "grouped")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "model.py").write_text(SOURCE, encoding="utf-8")
    shutil.copy(NOTEBOOK, tmp_path / "pkg" / "train.ipynb")
    shutil.copy(REPO / "fixtures" / "models" / "classic.keras", tmp_path / "pkg" / "classic.keras")
    (tmp_path / "pkg" / "broken.py").write_text("import keras\nprint 'x'\nkeras.layers.LSTM(8)\n")
    return tmp_path


def lint(project: Path, fmt: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return run_cli("--isolated", "--output-format", fmt, *flags, "pkg", cwd=project)


def ruff(tmp_path: Path, fmt: str) -> str:
    """What ruff writes in the same format for an unused import (a real consumer's reference)."""
    if shutil.which("ruff") is None:
        pytest.skip("ruff is not installed")
    (tmp_path / "r.py").write_text("import os\n", encoding="utf-8")
    proc = subprocess.run(
        [
            "ruff",
            "check",
            "--isolated",
            "--no-cache",
            "--select",
            "F401",
            "--output-format",
            fmt,
            "r.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    return proc.stdout


def test_every_format_is_registered_and_offered_by_the_cli() -> None:
    for name in NEW_FORMATS:
        assert callable(get(name))
    help_text = run_cli("--help").stdout
    for name in FORMATS:
        assert name in help_text


def test_json_lines_holds_the_json_objects_one_per_line(project: Path) -> None:
    lines = lint(project, "json-lines").stdout.splitlines()
    assert lines == [
        json.dumps(item, ensure_ascii=False) for item in json.loads(lint(project, "json").stdout)
    ]
    assert len(lines) > 5 and all(
        json.loads(line)["url"] == rule_url(json.loads(line)["code"]) for line in lines
    )


def test_gitlab_code_quality_report(project: Path, tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / "ci").mkdir()
    proc = run_cli("--isolated", "--output-format", "gitlab", "../pkg", cwd=project / "ci")
    assert proc.returncode == 2, proc.stderr  # broken.py could not be linted: stderr, not an issue
    assert "broken.py: error:" in proc.stderr
    issues: list[dict[str, Any]] = json.loads(proc.stdout)
    for item in issues:
        # The fields GitLab documents, with its types and severity names.
        assert isinstance(item["description"], str) and item["description"].startswith(
            item["check_name"]
        )
        assert re.fullmatch(r"KRL\d{3}", item["check_name"])
        assert re.fullmatch(r"[0-9a-f]{32}", item["fingerprint"])
        assert item["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert isinstance(item["location"]["lines"]["begin"], int)
        assert not item["location"]["path"].startswith(("/", "."))
    assert len({item["fingerprint"] for item in issues}) == len(issues)
    paths = {item["location"]["path"] for item in issues}
    assert paths == {"pkg/model.py", "pkg/train.ipynb", "pkg/classic.keras"}  # repository paths
    krl001 = next(
        i for i in issues if i["location"]["path"] == "pkg/model.py" and i["check_name"] == "KRL001"
    )
    assert krl001["severity"] == "critical" and krl001["location"]["lines"]["begin"] == 4
    # The notebook's line is the .ipynb line that holds the code.
    notebook = NOTEBOOK.read_text(encoding="utf-8").splitlines()
    nb = next(
        i
        for i in issues
        if i["location"]["path"] == "pkg/train.ipynb" and i["check_name"] == "KRL001"
    )
    assert "relu" in notebook[nb["location"]["lines"]["begin"] - 1]
    # ruff's gitlab issues carry the same fields.
    reference = json.loads(ruff(tmp_path, "gitlab"))[0]
    assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(reference)
    assert set(reference) <= set(krl001) | {"positions"}
    # Stable fingerprints: moving the code keeps them.
    (project / "pkg" / "model.py").write_text('"""Doc."""\n\n' + SOURCE, encoding="utf-8")
    moved = json.loads(
        run_cli("--isolated", "--output-format", "gitlab", "../pkg", cwd=project / "ci").stdout
    )
    assert sorted(i["fingerprint"] for i in moved) == sorted(i["fingerprint"] for i in issues)


def apply_suggestion(text: str, suggestion: dict[str, Any]) -> str:
    """Apply an rdjson suggestion (columns in UTF-8 bytes, end exclusive) to ``text``."""
    data = text.encode("utf-8")
    starts = [0]
    for line in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    rng = suggestion["range"]
    start = starts[rng["start"]["line"] - 1] + rng["start"]["column"] - 1
    end = starts[rng["end"]["line"] - 1] + rng["end"]["column"] - 1
    return (data[:start] + suggestion["text"].encode("utf-8") + data[end:]).decode("utf-8")


def test_rdjson_matches_reviewdogs_schema_and_counts_columns_in_utf8_bytes(
    project: Path, tmp_path: Path
) -> None:
    schema = json.loads(
        (REPO / "tests" / "data" / "reviewdog" / "DiagnosticResult.json").read_text("utf-8")
    )
    proc = lint(project, "rdjson")
    data = json.loads(proc.stdout)
    jsonschema.validate(data, schema)
    assert data["source"]["name"] == "kerasrnnlint"
    diagnostics = data["diagnostics"]
    for item in diagnostics:
        assert item["message"] and item["severity"] in ("ERROR", "WARNING", "INFO")
        assert item["code"] == {
            "value": item["code"]["value"],
            "url": rule_url(item["code"]["value"]),
        }
        assert Path(item["location"]["path"]).is_absolute()
        assert {"start", "end"} <= set(item["location"]["range"])
    model = (project / "pkg" / "model.py").resolve().as_posix()
    krl001 = next(
        d for d in diagnostics if d["location"]["path"] == model and d["code"]["value"] == "KRL001"
    )
    line = SOURCE.splitlines()[3]
    byte_column = len(line[: line.index('"relu"')].encode("utf-8")) + 1
    assert krl001["location"]["range"]["start"] == {"line": 4, "column": byte_column}
    assert byte_column > line.index('"relu"') + 1  # é and 😀 are more than one byte each
    (suggestion,) = krl001["suggestions"]
    assert apply_suggestion(SOURCE, suggestion) == SOURCE.replace('"relu"', '"tanh"', 1)
    # ruff's rdjson has the same layout.
    reference = json.loads(ruff(tmp_path, "rdjson"))
    jsonschema.validate(reference, schema)
    assert set(reference) == set(data) and set(reference["diagnostics"][0]) <= set(krl001) | {
        "severity"
    }


PYLINT = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): \[(?P<code>[A-Z]+\d+)\] (?P<message>.+)$")


def test_pylint_lines_parse_as_rufs_do(project: Path, tmp_path: Path) -> None:
    lines = lint(project, "pylint").stdout.splitlines()
    parsed = [PYLINT.match(line) for line in lines]
    assert lines and all(parsed), lines
    assert PYLINT.match(ruff(tmp_path, "pylint").splitlines()[0])
    first = next(m for m in parsed if m and m["path"] == "pkg/model.py" and m["code"] == "KRL001")
    assert first["line"] == "4"
    assert any(
        m and m["path"] == "pkg/train.ipynb" and m["message"].startswith("cell 4: ") for m in parsed
    )
    assert any(
        m and m["path"] == "pkg/classic.keras" and m["message"].startswith("lstm: ") for m in parsed
    )


AZURE = re.compile(r"^##vso\[task\.logissue (?P<props>(?:[a-z]+=[^;\]]*;)*)\](?P<message>.*)$")


def azure_parse(line: str) -> tuple[dict[str, str], str]:
    """A logging command as the Azure agent reads it (its unescaping rules)."""
    match = AZURE.match(line)
    assert match, line

    def unescape(text: str) -> str:
        return (
            text.replace("%3B", ";")
            .replace("%5D", "]")
            .replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%AZP25", "%")
        )

    props = dict(item.split("=", 1) for item in match["props"].split(";") if item)
    return {k: unescape(v) for k, v in props.items()}, unescape(match["message"])


def test_azure_logging_commands(project: Path, tmp_path: Path) -> None:
    (project / "pkg" / "odd;name].py").write_text(
        SOURCE.replace("note = ", "note = 100% "), "utf-8"
    )
    lines = lint(project, "azure").stdout.splitlines()
    parsed = [azure_parse(line) for line in lines]
    assert {props["type"] for props, _ in parsed} == {"error", "warning"}  # Azure knows no other
    azure_parse(ruff(tmp_path, "azure").splitlines()[0])  # ruff's lines follow the same grammar
    model = str((project / "pkg" / "model.py").resolve())
    props, message = next(
        (p, m) for p, m in parsed if p["sourcepath"] == model and p["code"] == "KRL001"
    )
    assert (props["type"], props["linenumber"], props["columnnumber"]) == (
        "error",
        "4",
        str(SOURCE.splitlines()[3].index('"relu"') + 1),
    )
    assert message.startswith("[high] LSTM uses unbounded activation")
    odd = str((project / "pkg" / "odd;name].py").resolve())
    assert any(p["sourcepath"] == odd for p, _ in parsed)
    broken = next(p for p, m in parsed if p["sourcepath"].endswith("broken.py"))
    assert (broken["type"], broken["linenumber"]) == ("error", "2")


def test_concise_is_one_line_per_finding_without_frames(project: Path, tmp_path: Path) -> None:
    proc = lint(project, "concise")
    lines = proc.stdout.splitlines()
    (at,) = [n for n, line in enumerate(lines) if line.startswith("Found ")]
    findings, summary = lines[:at], lines[at]
    assert lines[at + 1 :] == ["[-] 6 fixable with `--fix --unsafe-fixes`."]  # as text says
    assert ": note: " not in proc.stdout  # notes go to stderr, as in every format
    assert findings and all(
        re.match(
            r"^pkg/\S+?:(cell \d+:)?\d+:\d+: KRL\d{3}( \[[*-]\])? \[\w+\] |^pkg/classic\.keras › ",
            f,
        )
        for f in findings
    )
    assert not any(" | " in line for line in lines)  # no code frame
    assert summary.startswith("Found ") and "1 file could not be linted" in summary
    assert "broken.py: error:" in proc.stderr and "broken.py" not in proc.stdout
    text = run_cli("--isolated", "--no-show-source", "pkg", cwd=project).stdout.splitlines()
    assert findings == [
        line
        for line in text
        if re.match(r"^pkg/\S+?(:| › )", line)
        and ": error: " not in line
        and ": note: " not in line
    ]
    quiet = lint(project, "concise", "--quiet").stdout.splitlines()
    assert quiet == findings


def test_grouped_by_file(project: Path) -> None:
    out = lint(project, "grouped").stdout
    *groups, summary = out.split("\n\n")
    assert summary.splitlines()[1:] == ["[-] 6 fixable with `--fix --unsafe-fixes`."]
    headings = [group.splitlines()[0] for group in groups]
    assert headings == ["pkg/classic.keras:", "pkg/model.py:", "pkg/train.ipynb:"]
    model = groups[headings.index("pkg/model.py:")].splitlines()[1:]
    assert any(line.startswith("  4:") and " KRL001 [-] [high] " in line for line in model)
    assert all(line.startswith("  ") for group in groups for line in group.splitlines()[1:])
    assert any(line.startswith("  cell 4:") for line in groups[2].splitlines())
    # A saved model is not fixed, so it has no fix mark.
    assert any(line.startswith("  lstm KRL001 [high]") for line in groups[0].splitlines())
    assert summary.startswith("Found ")
