"""The command line through real subprocesses: exit codes, text and JSON output, noqa, stdin,
subcommands, output files, and what a one-file run imports."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import run_cli

RISKY = 'from keras.layers import LSTM\n\nlayer = LSTM(64, activation="relu")\n'
RISKY_ROW, RISKY_COL = 3, len("layer = LSTM(64, activation=") + 1  # where "relu" starts
CLEAN = "from keras.layers import LSTM\n\nlayer = LSTM(64)\n"
PLAIN = "import os\n\nprint(os.getcwd())\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def findings_json(stdout: str) -> list[dict[str, object]]:
    data = json.loads(stdout)
    assert isinstance(data, list)
    return data


# --------------------------------------------------------------------------------------------------
# Exit codes
# --------------------------------------------------------------------------------------------------


def test_clean_file_exits_0(tmp_path: Path) -> None:
    write(tmp_path / "clean.py", CLEAN)
    proc = run_cli("clean.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings in 1 file checked." in proc.stdout
    assert "Traceback" not in proc.stderr


def test_risky_file_exits_1_with_finding_line_and_frame(tmp_path: Path) -> None:
    write(tmp_path / "model.py", RISKY)
    proc = run_cli("model.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    header = f"model.py:{RISKY_ROW}:{RISKY_COL}: KRL001 [-] [high] "
    index = next(i for i, line in enumerate(lines) if line.startswith(header))
    assert "relu" in lines[index]
    # The code frame: the reported line, then carets under "relu".
    frame = lines[index + 1 : index + 6]
    assert any(line.endswith('layer = LSTM(64, activation="relu")') for line in frame)
    caret = next(line for line in frame if "^" in line)
    assert caret.index("^") - caret.index("|") - 1 == RISKY_COL
    assert caret.rstrip().endswith("^^^^^^ KRL001")
    assert lines[-2].startswith("Found ") and "1 high" in lines[-2] and "in 1 file" in lines[-2]
    assert lines[-1] == "[-] 1 fixable with `--fix --unsafe-fixes`."


def test_default_path_is_the_working_directory(tmp_path: Path) -> None:
    write(tmp_path / "pkg" / "model.py", RISKY)
    proc = run_cli(cwd=tmp_path)
    assert proc.returncode == 1
    assert f"pkg/model.py:{RISKY_ROW}:{RISKY_COL}: KRL001" in proc.stdout


def test_exit_zero(tmp_path: Path) -> None:
    write(tmp_path / "model.py", RISKY)
    proc = run_cli("model.py", "--exit-zero", cwd=tmp_path)
    assert proc.returncode == 0
    assert "KRL001" in proc.stdout


def test_fail_on(tmp_path: Path) -> None:
    write(tmp_path / "model.py", RISKY)
    # relu is high: fails at every level.
    assert run_cli("model.py", "--fail-on", "high", cwd=tmp_path).returncode == 1
    # KRL101 (cuDNN fallback) is info: it never fails the default --fail-on low.
    proc = run_cli("model.py", "--select", "KRL101", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert "KRL101 [-] [info]" in proc.stdout
    assert (
        run_cli("model.py", "--select", "KRL101", "--fail-on", "info", cwd=tmp_path).returncode == 1
    )


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    write(tmp_path / "model.py", RISKY)
    for args in (("--no-such-flag",), ("--fail-on", "severe"), ("--select", "KRL999"), ("-", "x")):
        proc = run_cli(*args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "error" in proc.stderr
        assert "Traceback" not in proc.stderr


# --------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------


def test_json_output(tmp_path: Path) -> None:
    write(tmp_path / "model.py", RISKY)
    proc = run_cli("model.py", "--output-format", "json", cwd=tmp_path)
    assert proc.returncode == 1
    items = findings_json(proc.stdout)
    krl001 = [item for item in items if item["code"] == "KRL001"]
    assert len(krl001) == 1
    item = krl001[0]
    for key in ("code", "name", "severity", "message", "filename", "location", "end_location"):
        assert key in item
    assert item["name"] == "unbounded-activation"
    assert item["severity"] == "high"
    assert item["filename"] == "model.py"
    assert item["layer"] == "LSTM"
    assert item["location"] == {"row": RISKY_ROW, "column": RISKY_COL}
    assert item["end_location"] == {"row": RISKY_ROW, "column": RISKY_COL + len('"relu"')}
    assert isinstance(item["message"], str) and "relu" in item["message"]
    assert "fix" in item and "factors" in item


def test_json_errors_go_to_stderr(tmp_path: Path) -> None:
    write(tmp_path / "model.py", RISKY)
    proc = run_cli("model.py", "missing.py", "--output-format", "json", cwd=tmp_path)
    assert proc.returncode == 2
    assert [i["filename"] for i in findings_json(proc.stdout) if i["code"] == "KRL001"] == [
        "model.py"
    ]
    assert "missing.py: error: no such file or directory" in proc.stderr


def test_clean_json_is_an_empty_array(tmp_path: Path) -> None:
    write(tmp_path / "clean.py", CLEAN)
    proc = run_cli("clean.py", "--output-format", "json", cwd=tmp_path)
    assert proc.returncode == 0
    assert findings_json(proc.stdout) == []


def test_quiet_statistics_factors_and_no_source(tmp_path: Path) -> None:
    write(tmp_path / "a.py", RISKY)
    write(tmp_path / "b.py", RISKY)
    quiet = run_cli(".", "--quiet", "--select", "KRL001", cwd=tmp_path)
    assert quiet.returncode == 1
    assert quiet.stdout.splitlines() == [
        line for line in quiet.stdout.splitlines() if ": KRL001 [-] [high] " in line
    ]
    assert len(quiet.stdout.splitlines()) == 2

    stats = run_cli(".", "--statistics", "--select", "KRL001", cwd=tmp_path)
    assert stats.returncode == 1
    assert "2  KRL001  [-]  unbounded-activation" in stats.stdout
    assert "a.py:" not in stats.stdout

    factors = run_cli("a.py", "--show-factors", "--select", "KRL001", cwd=tmp_path)
    assert "    factor: activation = relu" in factors.stdout

    bare = run_cli("a.py", "--no-show-source", "--select", "KRL001", cwd=tmp_path)
    assert " | " not in bare.stdout and "^" not in bare.stdout
    assert f"a.py:{RISKY_ROW}:{RISKY_COL}: KRL001" in bare.stdout


def test_show_unknown_lists_unresolved_layers(tmp_path: Path) -> None:
    source = "from keras.layers import LSTM\nfrom mylib import pick\n\nLSTM(8, activation=pick())\n"
    write(tmp_path / "m.py", source)
    proc = run_cli("m.py", "--show-unknown", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    unknown = [line for line in proc.stdout.splitlines() if ": unknown: " in line]
    assert len(unknown) == 1
    assert unknown[0].strip().startswith("m.py:4:") and "`activation` not checked" in unknown[0]
    assert "not checked: none" not in proc.stdout
    # Without the flag the layer is silently skipped.
    assert ": unknown: " not in run_cli("m.py", cwd=tmp_path).stdout
    # --quiet keeps the lines the user asked for, without the heading and the summary.
    quiet = run_cli("m.py", "--show-unknown", "--quiet", cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert quiet.stdout.splitlines() == [unknown[0].strip()]


def test_output_file_is_written_and_summary_printed(tmp_path: Path) -> None:
    write(tmp_path / "model.py", RISKY)
    proc = run_cli("model.py", "--output-format", "json", "--output-file", "out.json", cwd=tmp_path)
    assert proc.returncode == 1
    data = findings_json((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert any(item["code"] == "KRL001" for item in data)
    assert proc.stdout.startswith("Found ") and "out.json" in proc.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".kerasrnnlint-")]


def test_colour_only_when_asked_or_on_a_terminal(tmp_path: Path) -> None:
    write(tmp_path / "model.py", RISKY)
    plain = run_cli("model.py", cwd=tmp_path)
    assert "\x1b[" not in plain.stdout
    coloured = run_cli("model.py", "--color", "always", cwd=tmp_path)
    assert "\x1b[" in coloured.stdout
    assert "KRL001" in coloured.stdout


# --------------------------------------------------------------------------------------------------
# Suppression comments, stdin, discovery order, parallel runs
# --------------------------------------------------------------------------------------------------

MULTILINE = """from keras.layers import LSTM

layer = LSTM({first}
    64,{second}
    activation="relu",{third}
){fourth}
"""


# Built from parts so that this file holds no suppression comment of its own.
NOQA = "  # " + "noqa"


@pytest.mark.parametrize("where", ["first", "second", "third", "fourth"])
@pytest.mark.parametrize("comment", [NOQA, NOQA + ": KRL001", NOQA + ": KRL001, KRL101"])
def test_noqa_on_any_line_of_the_call(tmp_path: Path, where: str, comment: str) -> None:
    slots = {"first": "", "second": "", "third": "", "fourth": ""}
    slots[where] = comment
    write(tmp_path / "m.py", MULTILINE.format(**slots))
    proc = run_cli("m.py", "--select", "KRL001", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert "KRL001" not in proc.stdout


def test_noqa_for_another_code_does_not_suppress(tmp_path: Path) -> None:
    slots = {"first": "", "second": "", "third": NOQA + ": KRL002", "fourth": ""}
    write(tmp_path / "m.py", MULTILINE.format(**slots))
    proc = run_cli("m.py", "--select", "KRL001", cwd=tmp_path)
    assert proc.returncode == 1
    assert "m.py:5:" in proc.stdout and "KRL001" in proc.stdout


def test_stdin_with_stdin_filename(tmp_path: Path) -> None:
    proc = run_cli("-", "--stdin-filename", "pkg/model.py", cwd=tmp_path, stdin=RISKY)
    assert proc.returncode == 1, proc.stderr
    assert f"pkg/model.py:{RISKY_ROW}:{RISKY_COL}: KRL001" in proc.stdout
    assert 'layer = LSTM(64, activation="relu")' in proc.stdout  # code frame from stdin text
    clean = run_cli("-", "--stdin-filename", "pkg/model.py", cwd=tmp_path, stdin=CLEAN)
    assert clean.returncode == 0
    as_json = run_cli("-", "--output-format", "json", cwd=tmp_path, stdin=RISKY)
    assert {i["filename"] for i in findings_json(as_json.stdout)} == {"<stdin>"}


def test_stdin_filename_alone_reads_stdin_not_the_directory(tmp_path: Path) -> None:
    write(tmp_path / "on_disk.py", RISKY)  # what a silent lint of "." would report
    proc = run_cli("--stdin-filename", "piped.py", "-q", cwd=tmp_path, stdin=CLEAN)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "on_disk.py" not in proc.stdout
    risky = run_cli(
        "--stdin-filename", "piped.py", "-q", "--select", "KRL001", cwd=tmp_path, stdin=RISKY
    )
    assert risky.stdout.startswith(f"piped.py:{RISKY_ROW}:{RISKY_COL}: KRL001")
    # With paths it is ambiguous: a usage error, not a choice made behind the user's back.
    both = run_cli("--stdin-filename", "piped.py", "on_disk.py", cwd=tmp_path, stdin=RISKY)
    assert both.returncode == 2 and "--stdin-filename" in both.stderr and both.stdout == ""


def test_discovery_suffixes_excludes_and_order(tmp_path: Path) -> None:
    write(tmp_path / "b.py", RISKY)
    write(tmp_path / "a" / "z.pyi", RISKY)
    write(tmp_path / "a" / "notes.txt", RISKY)  # not discovered in a directory
    write(tmp_path / "build" / "gen.py", RISKY)  # default exclude
    write(tmp_path / "node_modules" / "x.py", RISKY)
    write(tmp_path / ".venv2" / "pyvenv.cfg", "home = /usr\n")  # a virtualenv by its marker
    write(tmp_path / ".venv2" / "lib" / "m.py", RISKY)
    proc = run_cli(".", "--select", "KRL001", "--quiet", cwd=tmp_path)
    files = [line.split(":", 1)[0] for line in proc.stdout.splitlines()]
    assert files == ["a/z.pyi", "b.py"]
    # A file named explicitly is linted whatever its suffix.
    named = run_cli("a/notes.txt", "--select", "KRL001", "--quiet", cwd=tmp_path)
    assert named.stdout.startswith("a/notes.txt:3:")
    # --extend-exclude adds globs; --exclude replaces the defaults.
    assert "a/z.pyi" not in run_cli(".", "--extend-exclude", "a", "-q", cwd=tmp_path).stdout
    replaced = run_cli(".", "--exclude", "a", "--select", "KRL001", "-q", cwd=tmp_path)
    assert "build/gen.py" in replaced.stdout and "a/z.pyi" not in replaced.stdout


def test_a_path_named_like_a_subcommand_can_be_linted(tmp_path: Path) -> None:
    write(tmp_path / "rules" / "m.py", RISKY)
    for args in (("./rules",), ("check", "rules")):
        proc = run_cli(*args, "--select", "KRL001", cwd=tmp_path)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        assert "rules/m.py:3:" in proc.stdout


def test_many_files_in_parallel_keep_their_order(tmp_path: Path) -> None:
    for i in range(80):
        write(tmp_path / f"m{i:03d}.py", RISKY if i % 3 == 0 else CLEAN)
    args = (".", "--select", "KRL001", "--output-format", "json")
    parallel = run_cli(*args, "--jobs", "2", cwd=tmp_path)
    serial = run_cli(*args, "--jobs", "1", cwd=tmp_path)
    assert parallel.returncode == serial.returncode == 1
    assert parallel.stdout == serial.stdout
    names = [item["filename"] for item in findings_json(parallel.stdout)]
    assert names == [f"m{i:03d}.py" for i in range(80) if i % 3 == 0]


# --------------------------------------------------------------------------------------------------
# Subcommands
# --------------------------------------------------------------------------------------------------


def test_rules_lists_every_rule(tmp_path: Path) -> None:
    proc = run_cli("rules", cwd=tmp_path)
    assert proc.returncode == 0
    rows = {line.split()[0]: line for line in proc.stdout.splitlines()[1:]}
    assert "unbounded-activation" in rows["KRL001"]
    assert "unbounded-recurrent-activation" in rows["KRL002"]
    data = json.loads(run_cli("rules", "--output-format", "json", cwd=tmp_path).stdout)
    assert {"code": "KRL001", "name": "unbounded-activation"}.items() <= data[0].items()


@pytest.mark.parametrize("name", ["KRL001", "krl001", "unbounded-activation"])
def test_explain_prints_the_rule_and_the_risk_model(tmp_path: Path, name: str) -> None:
    proc = run_cli("explain", name, cwd=tmp_path)
    assert proc.returncode == 0
    text = proc.stdout
    headings = ["What it does", "Why is this bad", "Example", "Use instead", "Severity"]
    positions = [text.index(heading) for heading in headings]
    assert positions == sorted(positions)
    assert "KRL001" in text and 'activation="relu"' in text


def test_explain_severity_and_unknown(tmp_path: Path) -> None:
    severity = run_cli("explain", "severity", cwd=tmp_path)
    assert severity.returncode == 0 and severity.stdout.startswith("# Severity")
    assert "What it does" not in severity.stdout
    unknown = run_cli("explain", "KRL999", cwd=tmp_path)
    assert unknown.returncode == 2
    assert "unknown rule 'KRL999'" in unknown.stderr and "KRL001" in unknown.stderr


def test_console_script_and_version(tmp_path: Path) -> None:
    exe = shutil.which("kerasrnnlint")
    if exe is None:
        pytest.skip("console script not installed (pip install -e .)")
    write(tmp_path / "model.py", RISKY)
    proc = subprocess.run(
        [exe, "model.py", "--select", "KRL001"], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 1 and "KRL001" in proc.stdout
    version = run_cli("--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("kerasrnnlint ")


# --------------------------------------------------------------------------------------------------
# Start-up cost: what a run imports
# --------------------------------------------------------------------------------------------------


def imported_modules(tmp_path: Path, *args: str) -> set[str]:
    proc = run_cli(*args, cwd=tmp_path, importtime=True)
    modules = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            modules.add(line.rsplit("|", 1)[1].strip())
    assert "kerasrnnlint.cli" in modules, proc.stderr[-2000:]
    return modules


def test_a_lint_run_never_imports_tensorflow_and_imports_only_what_it_needs(
    tmp_path: Path,
) -> None:
    write(tmp_path / "model.py", RISKY)
    write(tmp_path / "plain.py", PLAIN)
    risky = imported_modules(tmp_path, "model.py")
    assert "libcst" in risky
    for heavy in ("tensorflow", "keras", "rich", "concurrent.futures", "h5py"):
        assert heavy not in risky, heavy
    # A file the prefilter rules out is never parsed: no libcst at all.
    plain = imported_modules(tmp_path, "plain.py")
    assert "libcst" not in plain and "tensorflow" not in plain


def test_a_one_file_run_imports_no_project_machinery_the_file_does_not_use(
    tmp_path: Path,
) -> None:
    """A file that imports nothing of its project needs no module summaries and, without the
    caches, no hashing: neither is imported (they are a visible part of a one-file start-up)."""
    write(tmp_path / "pyproject.toml", '[project]\nname = "demo"\n')
    write(tmp_path / "helpers.py", "SIZE = 8\n")
    write(tmp_path / "model.py", RISKY)
    alone = imported_modules(tmp_path, "--no-cache", "model.py")
    assert "libcst" in alone
    for unneeded in ("kerasrnnlint.frontends.source.summary", "hashlib"):
        assert unneeded not in alone, unneeded
    # A file that takes a value from another module of its project gets the summary of it.
    write(tmp_path / "uses.py", RISKY + "from helpers import SIZE\n\nLSTM(SIZE)\n")
    project = imported_modules(tmp_path, "--no-cache", "uses.py")
    assert "kerasrnnlint.frontends.source.summary" in project


def test_main_called_with_arguments_leaves_the_callers_garbage_collector_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run as a program, a lint tunes the garbage collector for a process that ends with it; a
    caller of main(argv) in its own process (a test, an embedding tool) keeps its own settings."""
    import gc

    from kerasrnnlint.cli import main

    write(tmp_path / "model.py", RISKY)
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    assert main(["--no-cache", "--select", "KRL001", str(tmp_path / "model.py")]) == 1
    assert "KRL001" in capsys.readouterr().out
    assert gc.get_threshold() == threshold and gc.get_freeze_count() == frozen


# --------------------------------------------------------------------------------------------------
# Notebooks and model files found in directories
# --------------------------------------------------------------------------------------------------


def test_notebook_in_a_directory_is_linted_with_a_cell_frame(tmp_path: Path) -> None:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Training\n"]},
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": 1,
                "outputs": [],
                "source": RISKY.splitlines(keepends=True),
            },
        ],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    write(tmp_path / "nb" / "train.ipynb", json.dumps(notebook))
    proc = run_cli(".", "--select", "KRL001", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"nb/train.ipynb:cell 2:{RISKY_ROW}:{RISKY_COL}: KRL001 [-] [high]" in proc.stdout
    assert f'{RISKY_ROW} | layer = LSTM(64, activation="relu")' in proc.stdout


def test_model_json_is_found_in_a_directory_but_other_json_is_not(tmp_path: Path) -> None:
    fixture = Path(__file__).resolve().parent.parent / "fixtures" / "models" / "classic.json"
    if not fixture.is_file():
        pytest.skip("fixtures/models/classic.json is not there")
    shutil.copy(fixture, tmp_path / "classic.json")
    write(tmp_path / "package.json", '{"name": "web", "dependencies": {"LSTM": "1.0"}}')
    proc = run_cli(".", "--select", "KRL001", "--output-format", "json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    items = findings_json(proc.stdout)
    assert {item["filename"] for item in items} == {"classic.json"}
    assert all(item["layer_path"] for item in items)
    # Named explicitly, a JSON file that is not a model is an input error, not a silent skip.
    named = run_cli("package.json", cwd=tmp_path)
    assert named.returncode == 2
    assert named.stderr.startswith("package.json: error: ")
