"""``--output-format github``: GitHub Actions workflow commands (annotations), escaped by the rules
of the Actions toolkit, with notebook cells and saved-model layer paths shown."""

from __future__ import annotations

import io
import re
import subprocess
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


def render_all(results: list[FileResult], root: str | None = None) -> list[str]:
    out = io.StringIO()
    get("github")(results, ReportContext(project_root=root), out)
    return out.getvalue().splitlines()


def render(results: list[FileResult], root: str | None = None) -> list[str]:
    """The annotation lines, without the summary notice that ends a report with findings."""
    lines = render_all(results, root)
    if any(r.findings or r.error for r in results):
        *lines, last = lines
        assert parse(last)[1] == {"title": "kerasrnnlint"}, last
    return lines


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
    assert "line" not in props  # not on disk: rows inside a cell are not rows of the .ipynb file
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
    assert error[1]["line"] == "2" and "col" not in error[1]
    assert error[2] == "bad.py: cannot parse: invalid syntax (line 2)"
    assert note[0] == "notice" and note[2].endswith("cell 2 is not Python (%%bash); skipped")


def test_cli_prints_annotations(tmp_path: Path) -> None:
    text = 'from keras.layers import LSTM, GRU\n\nx = LSTM(8, activation="relu")\ny = GRU(4)\n'
    (tmp_path / "model.py").write_text(text, encoding="utf-8")
    proc = run_cli("--select", "KRL001", "--output-format", "github", "model.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    *annotations, summary = [parse(line) for line in proc.stdout.splitlines()]
    assert [(name, props["file"], props["line"]) for name, props, _ in annotations] == [
        ("error", "model.py", "3")
    ]
    assert summary == ("notice", {"title": "kerasrnnlint"}, "1 finding: 1 high in 1 file")
    assert annotations[0][1]["col"] == str(text.splitlines()[2].index('"relu"') + 1)


def test_input_error_with_a_column_and_a_notebook_cell_error() -> None:
    lines = render(
        [
            FileResult("bad.py", error="cannot parse: invalid syntax (line 3:7)"),
            FileResult("nb.ipynb", error="cannot parse: invalid syntax (cell 4, line 2:1)"),
        ]
    )
    bad, notebook = (parse(line)[1] for line in lines)
    assert (bad["line"], bad["col"]) == ("3", "7")
    assert "line" not in notebook  # a row of a cell is not a row of the file


def test_ordered_by_severity_then_path_and_summed_up_at_the_end() -> None:
    low = replace(findings_of(lstm("a.py", line=1))[0], severity=Severity.LOW)
    high = findings_of(lstm("b.py", line=9))[0]
    medium = replace(findings_of(lstm("c.py", line=2))[0], severity=Severity.MEDIUM)
    info = replace(findings_of(lstm("a.py", line=5))[0], severity=Severity.INFO)
    lines = render_all(
        [
            FileResult("a.py", findings=(low, info)),
            FileResult("b.py", findings=(high,)),
            FileResult("c.py", findings=(medium,)),
            FileResult("d.py", error="cannot decode: invalid start byte"),
        ]
    )
    parsed = [parse(line) for line in lines]
    assert [(name, props.get("file")) for name, props, _ in parsed] == [
        ("error", "d.py"),  # an input that could not be linted comes first
        ("error", "b.py"),
        ("warning", "c.py"),
        ("notice", "a.py"),
        ("notice", "a.py"),
        ("notice", None),
    ]
    assert parsed[3][2].startswith("[low]") and parsed[4][2].startswith("[info]")
    assert parsed[-1][2] == (
        "4 findings: 1 high, 1 medium, 1 low, 1 info in 3 files; 1 file could not be linted"
    )
    assert render_all([FileResult("a.py")]) == []  # a clean run adds no annotation


def git_repo(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def test_from_a_subdirectory_files_are_repository_paths(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    job = repo / "services" / "train"
    (job / "pkg").mkdir(parents=True)
    text = 'from keras.layers import LSTM\n\nx = LSTM(8, activation="relu")\n'
    (job / "pkg" / "model.py").write_text(text, encoding="utf-8")
    (job / "pkg" / "broken.py").write_text(
        "import keras\nprint 'x'\nkeras.layers.LSTM(8)\n", "utf-8"
    )
    notebook = (Path(__file__).parent.parent / "fixtures" / "notebooks" / "train.ipynb").read_text(
        encoding="utf-8"
    )
    (job / "pkg" / "train.ipynb").write_text(notebook, encoding="utf-8")
    proc = run_cli("--select", "KRL001", "--output-format", "github", "pkg", cwd=job)
    assert proc.returncode == 2, proc.stderr
    parsed = [parse(line) for line in proc.stdout.splitlines()]
    files = {props["file"] for _, props, _ in parsed if "file" in props}
    assert files == {
        "services/train/pkg/broken.py",
        "services/train/pkg/model.py",
        "services/train/pkg/train.ipynb",
    }
    error = next(props for name, props, _ in parsed if props.get("file", "").endswith("broken.py"))
    assert error["line"] == "2"
    # The notebook's annotation is on the line of the .ipynb file that holds the flagged code.
    nb = next(props for _, props, _ in parsed if props.get("file", "").endswith(".ipynb"))
    line = notebook.splitlines()[int(nb["line"]) - 1]
    assert line[int(nb["col"]) - 1 : int(nb["endColumn"]) - 1] == '\\"relu\\"'
    assert "in cell 4:" in nb["title"]
    proc = run_cli("--output-format", "github", "--project-root", "pkg", "pkg/model.py", cwd=job)
    assert parse(proc.stdout.splitlines()[0])[1]["file"] == "model.py"
