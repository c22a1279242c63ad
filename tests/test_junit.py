"""``--output-format junit``: JUnit XML read back with ``xml.etree``: a suite per file, a failing
test case per finding, a passing one per clean file, an error per input that could not be linted."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

from helpers import findings_of, lstm, run_cli

from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Factor, Severity


def render(
    results: list[FileResult], fail_on: Severity = Severity.LOW, root: str | None = None
) -> ET.Element:
    out = io.StringIO()
    from kerasrnnlint.reporters import ReportContext, get

    get("junit")(results, ReportContext(fail_on=fail_on, project_root=root), out)
    text = out.getvalue()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(text.encode("utf-8"))


def test_suite_per_file_and_failure_per_finding() -> None:
    risky = findings_of(lstm(line=3), lstm(line=9))
    root = render([FileResult("src/model.py", findings=risky), FileResult("src/clean.py")])
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "2", "0")
    model, clean = root.findall("testsuite")
    assert model.get("name") == "src/model.py"
    assert (model.get("tests"), model.get("failures")) == ("2", "2")
    cases = model.findall("testcase")
    # Stable names: rule, file, scope and layer, ordinal; no row or column.
    assert [c.get("name") for c in cases] == [
        "KRL001 src/model.py::<module> LSTM #1",
        "KRL001 src/model.py::<module> LSTM #2",
    ]
    assert {c.get("classname") for c in cases} == {"src/model.py"}
    assert cases[0].get("line") == "3"
    failure = cases[0].find("failure")
    assert failure is not None
    assert failure.get("type") == "KRL001"
    assert (failure.get("message") or "").startswith("[high] LSTM uses unbounded activation")
    assert (failure.text or "").startswith("src/model.py:3:25: KRL001 [high] ")
    (passing,) = clean.findall("testcase")
    assert list(passing) == [] and clean.get("failures") == "0"


def test_notebook_cell_and_saved_model_layer_path_show() -> None:
    root = render(
        [
            FileResult("train.ipynb", findings=findings_of(lstm("train.ipynb", 12, cell=4))),
            FileResult(
                "model.keras",
                findings=findings_of(lstm("model.keras", layer_path=("encoder", "lstm_1"))),
            ),
        ]
    )
    notebook, model = root.findall("testsuite")
    (case,) = notebook.findall("testcase")
    assert case.get("name") == "KRL001 train.ipynb::<module> LSTM #1"
    assert "train.ipynb:cell 4:12:25: KRL001" in (case.findtext("failure") or "")
    (case,) = model.findall("testcase")
    assert case.get("name") == "KRL001 model.keras::encoder/lstm_1 #1"
    assert case.get("line") is None
    assert "model.keras › encoder › lstm_1: KRL001" in (case.findtext("failure") or "")


def test_input_error_is_a_junit_error_and_notes_go_to_system_out() -> None:
    root = render(
        [
            FileResult("bad.py", error="cannot decode: invalid start byte"),
            FileResult("nb.ipynb", notes=("cell 2 is not Python (%%bash); skipped",)),
        ]
    )
    assert (root.get("tests"), root.get("errors"), root.get("failures")) == ("2", "1", "0")
    bad, notebook = root.findall("testsuite")
    error = bad.find("testcase/error")
    assert error is not None and error.get("message") == "cannot decode: invalid start byte"
    assert notebook.findtext("system-out") == "cell 2 is not Python (%%bash); skipped"


def test_text_that_xml_cannot_hold_is_replaced_not_fatal() -> None:
    finding = replace(
        findings_of(lstm())[0],
        message="odd \x00 byte & <tag> \x1b[31m",
        factors=(Factor("learning_rate", "4e-3", "+1"),),
    )
    root = render([FileResult("src/model.py", findings=(finding,))])
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == "[high] odd \ufffd byte & <tag> \ufffd[31m"
    assert "learning_rate = 4e-3: +1" in (failure.text or "")


def test_cli_junit_report(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text(
        'from keras.layers import LSTM\nLSTM(8, activation="relu")\n', encoding="utf-8"
    )
    (tmp_path / "clean.py").write_text("from keras.layers import GRU\nGRU(4)\n", encoding="utf-8")
    proc = run_cli(
        "--select",
        "KRL001",
        "--output-format",
        "junit",
        "--output-file",
        "report.xml",
        "clean.py",
        "model.py",
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stderr
    root = ET.parse(tmp_path / "report.xml").getroot()
    assert [s.get("name") for s in root.findall("testsuite")] == ["clean.py", "model.py"]
    assert [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None] == [
        "KRL001 model.py::<module> LSTM #1"
    ]


def test_only_findings_at_or_above_fail_on_are_failures() -> None:
    high = findings_of(lstm(line=3))[0]
    info = replace(findings_of(lstm(line=9))[0], severity=Severity.INFO)
    results = [FileResult("src/model.py", findings=(high, info))]
    root = render(results)  # --fail-on low (the default): info passes
    assert (root.get("tests"), root.get("failures")) == ("2", "1")
    failing, passing = root.iter("testcase")
    assert failing.find("failure") is not None
    assert passing.find("failure") is None
    assert (passing.findtext("system-out") or "").startswith("src/model.py:9:25: KRL001 [info] ")
    root = render(results, fail_on=Severity.INFO)
    assert root.get("failures") == "2"
    root = render(results, fail_on=Severity.HIGH)
    assert root.get("failures") == "1"


def test_cli_junit_follows_fail_on_and_names_survive_edits(tmp_path: Path) -> None:
    model = tmp_path / "model.py"
    body = (
        "from keras.layers import LSTM\n\n"
        "class Trainer:\n"
        "    def build(self):\n"
        "        a = LSTM(8, activation='relu')\n"
        "        b = LSTM(8, activation='relu')\n"
        "        return LSTM(4, activation='relu', name='head')\n"
    )

    def report(*flags: str) -> tuple[int, list[tuple[str | None, bool]]]:
        proc = run_cli(
            "--select", "KRL001", "--output-format", "junit", *flags, "model.py", cwd=tmp_path
        )
        cases = ET.fromstring(proc.stdout.encode("utf-8")).iter("testcase")
        return proc.returncode, [(c.get("name"), c.find("failure") is not None) for c in cases]

    model.write_text(body, encoding="utf-8")
    status, before = report()
    assert status == 1
    assert before == [
        ("KRL001 model.py::Trainer.build LSTM #1", True),
        ("KRL001 model.py::Trainer.build LSTM #2", True),
        ("KRL001 model.py::Trainer.build LSTM 'head' #1", True),
    ]
    model.write_text('"""Models."""\nimport os\n\n' + body, encoding="utf-8")
    assert report()[1] == before  # code above moved: the same names
    # KRL101 findings are info: the run exits 0 and no test case fails.
    proc = run_cli("--select", "KRL101", "--output-format", "junit", "model.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    cases = list(ET.fromstring(proc.stdout.encode("utf-8")).iter("testcase"))
    assert len(cases) == 3 and all(c.find("failure") is None for c in cases)
    assert all("KRL101 [info]" in (c.findtext("system-out") or "") for c in cases)


def test_from_a_subdirectory_file_attributes_are_repository_paths(tmp_path: Path) -> None:
    import subprocess

    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    job = repo / "ml"
    job.mkdir()
    (job / "model.py").write_text(
        'from keras.layers import LSTM\nLSTM(8, activation="relu")\n', encoding="utf-8"
    )
    proc = run_cli("--select", "KRL001", "--output-format", "junit", "model.py", cwd=job)
    assert proc.returncode == 1, proc.stderr
    root = ET.fromstring(proc.stdout.encode("utf-8"))
    (suite,) = root.findall("testsuite")
    (case,) = suite.findall("testcase")
    assert suite.get("name") == "ml/model.py"
    assert (case.get("file"), case.get("classname"), case.get("line")) == (
        "ml/model.py",
        "ml/model.py",
        "2",
    )
