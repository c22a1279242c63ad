"""``--output-format github``: GitHub Actions workflow commands (annotations), escaped by the rules
of the Actions toolkit, with notebook cells and saved-model layer paths shown."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

import pytest
from helpers import findings_of, lstm, run_cli

from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Severity
from kerasrnnlint.reporters import ReportContext, get

# ::command key=value,key=value::message, as the Actions runner splits it.
COMMAND = re.compile(r"^::(?P<name>\w+)(?: (?P<props>[^:]*))?::(?P<message>.*)$")


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command line split and unescaped the way the runner does."""
    match = COMMAND.match(line)
    assert match, line
    props = {}
    for item in (match.group("props") or "").split(","):
        if item:
            key, _, value = item.partition("=")
            props[key] = unquote(value)
    return match.group("name"), props, unquote(match.group("message"))


def render(results: list[FileResult]) -> list[str]:
    out = io.StringIO()
    get("github")(results, ReportContext(), out)
    return out.getvalue().splitlines()


def test_one_annotation_per_finding_with_its_range_and_title() -> None:
    (line,) = render([FileResult("src/model.py", findings=findings_of(lstm(line=3)))])
    name, props, message = parse(line)
    assert name == "error"
    assert props == {
        "file": "src/model.py",
        "line": "3",
        "col": "25",
        "endLine": "3",
        "endColumn": "31",
        "title": "KRL001 (unbounded-activation)",
    }
    assert message.startswith("[high] LSTM uses unbounded activation 'relu'")
    assert line.startswith(
        "::error file=src/model.py,line=3,col=25,endLine=3,endColumn=31,"
        "title=KRL001 (unbounded-activation)::"
    )


@pytest.mark.parametrize(
    ("severity", "command"),
    [
        (Severity.HIGH, "error"),
        (Severity.MEDIUM, "warning"),
        (Severity.LOW, "notice"),
        (Severity.INFO, "notice"),
    ],
)
def test_command_follows_severity(severity: Severity, command: str) -> None:
    finding = replace(findings_of(lstm())[0], severity=severity)
    (line,) = render([FileResult("src/model.py", findings=(finding,))])
    assert parse(line)[0] == command


def test_escaping_follows_the_workflow_command_rules() -> None:
    finding = replace(
        findings_of(lstm("dir,with:odd%name.py"))[0], message="100% sure:\nline two\r, three"
    )
    (line,) = render([FileResult("dir,with:odd%name.py", findings=(finding,))])
    assert "\n" not in line and "\r" not in line
    assert "file=dir%2Cwith%3Aodd%25name.py," in line
    assert line.endswith("::[high] 100%25 sure:%0Aline two%0D, three")
    _name, props, message = parse(line)
    assert props["file"] == "dir,with:odd%name.py"
    assert message == "[high] 100% sure:\nline two\r, three"


def test_notebook_annotation_names_the_cell() -> None:
    (line,) = render(
        [FileResult("train.ipynb", findings=findings_of(lstm("train.ipynb", 12, cell=4)))]
    )
    _name, props, message = parse(line)
    assert props["file"] == "train.ipynb"
    assert "line" not in props  # rows inside a cell are not rows of the .ipynb file
    assert props["title"] == "KRL001 (unbounded-activation) in cell 4:12:25"
    assert message.startswith("cell 4:12:25: [high] ")


def test_saved_model_annotation_names_the_layer_path() -> None:
    layer = lstm("model.keras", layer_path=("encoder", "lstm_1"))
    (line,) = render([FileResult("model.keras", findings=findings_of(layer))])
    _name, props, message = parse(line)
    assert props == {"file": "model.keras", "title": "KRL001 (unbounded-activation)"}
    assert message.startswith("encoder › lstm_1: [high] ")


def test_input_errors_and_notes() -> None:
    lines = render(
        [
            FileResult("bad.py", error="cannot parse: invalid syntax (line 2)"),
            FileResult("nb.ipynb", notes=("cell 2 is not Python (%%bash); skipped",)),
        ]
    )
    (error, note) = (parse(line) for line in lines)
    assert error[0] == "error" and error[1]["file"] == "bad.py"
    assert error[2] == "bad.py: cannot parse: invalid syntax (line 2)"
    assert note[0] == "notice" and note[2].endswith("cell 2 is not Python (%%bash); skipped")


def test_cli_prints_annotations(tmp_path: Path) -> None:
    text = 'from keras.layers import LSTM, GRU\n\nx = LSTM(8, activation="relu")\ny = GRU(4)\n'
    (tmp_path / "model.py").write_text(text, encoding="utf-8")
    proc = run_cli("--select", "KRL001", "--output-format", "github", "model.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    annotations = [parse(line) for line in proc.stdout.splitlines() if line.startswith("::")]
    assert [(name, props["file"], props["line"]) for name, props, _ in annotations] == [
        ("error", "model.py", "3")
    ]
    assert annotations[0][1]["col"] == str(text.splitlines()[2].index('"relu"') + 1)
