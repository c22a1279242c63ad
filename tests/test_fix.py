"""Autofix through the real command line: ``--fix``, ``--unsafe-fixes``, ``--diff``, ``--add-noqa``.

Every fixed file is checked by linting it again (a real ``kerasrnnlint`` subprocess), and the text
around each edit (comments, layout, quotes, line endings, encoding) must stay as it was.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest
from helpers import run_cli

from kerasrnnlint.engine import lint_source
from kerasrnnlint.findings import Fix
from kerasrnnlint.fixes import add_noqa_source, fix_source


def relint(path: Path) -> list[dict[str, object]]:
    done = run_cli("--output-format", "json", "--isolated", path.name, cwd=path.parent)
    assert done.returncode in (0, 1), done.stderr
    findings: list[dict[str, object]] = json.loads(done.stdout)
    return findings


def codes(findings: list[dict[str, object]]) -> list[str]:
    return sorted(str(f["code"]) for f in findings)


RISKY = """\
from keras.layers import LSTM

encoder = LSTM(
    128,  # units
    activation='relu',  # tuned by hand
    return_sequences=True,
)
"""


def test_fix_alone_leaves_unsafe_fixes_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text(RISKY, encoding="utf-8")
    done = run_cli("--fix", "--isolated", "model.py", cwd=tmp_path)
    assert done.returncode == 1
    assert path.read_text(encoding="utf-8") == RISKY
    assert "model.py:5:16: KRL001 fixable with --unsafe-fixes" in done.stderr
    assert "KRL001" in done.stdout  # still reported: it remains


def test_unsafe_fixes_keep_comments_layout_and_quotes(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text(RISKY, encoding="utf-8")
    done = run_cli("--fix", "--unsafe-fixes", "--isolated", "model.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert path.read_text(encoding="utf-8") == RISKY.replace("'relu'", "'tanh'")
    assert relint(path) == []


def test_safe_fix_is_applied_by_fix_alone(tmp_path: Path) -> None:
    path = tmp_path / "forced.py"
    path.write_text(
        "from keras.layers import LSTM\n\nlayer = LSTM(8, recurrent_dropout=0.2, use_cudnn=True)\n",
        encoding="utf-8",
    )
    done = run_cli("--fix", "--isolated", "forced.py", cwd=tmp_path)
    assert 'use_cudnn="auto"' in path.read_text(encoding="utf-8")
    assert "KRL102" not in codes(relint(path))
    # What remains is the info-level KRL101 (recurrent_dropout still blocks cuDNN), whose fix is
    # unsafe: it does not fail the run.
    assert codes(relint(path)) == ["KRL101"]
    assert done.returncode == 0, done.stdout + done.stderr


def test_values_from_elsewhere_are_fixed_only_where_correct(tmp_path: Path) -> None:
    source = """\
from keras.layers import GRU, LSTM, RNN, Bidirectional, LSTMCell

ACT = "relu"
CFG = {"activation": "elu", "units": 4}


def build(act="relu"):
    return LSTM(8, activation=act)


a = LSTM(8, activation=ACT)
b = LSTM(8, **{"activation": "relu"})
c = LSTM(**CFG)
d = Bidirectional(GRU(8, "selu", return_sequences=True))
e = RNN(LSTMCell(8, activation=None))
"""
    path = tmp_path / "values.py"
    path.write_text(source, encoding="utf-8")
    done = run_cli("--fix", "--unsafe-fixes", "--isolated", "values.py", cwd=tmp_path)
    assert done.returncode == 1
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[2] == 'ACT = "relu"'  # the constant may serve other layers: edited at the call
    assert lines[7] == "    return LSTM(8, activation=act)"  # a parameter default: left
    assert lines[10] == 'a = LSTM(8, activation="tanh")'
    assert lines[11] == 'b = LSTM(8, **{"activation": "tanh"})'
    assert lines[12] == "c = LSTM(**CFG)"  # adding activation= would pass it twice: left
    assert lines[13] == 'd = Bidirectional(GRU(8, "tanh", return_sequences=True))'
    assert lines[14] == 'e = RNN(LSTMCell(8, activation="tanh"))'
    assert "values.py:8:31: KRL001 not fixed: `activation` is the default of parameter" in (
        done.stderr
    )
    assert "values.py:13:12: KRL001 not fixed: `activation` is set by `**CFG`" in done.stderr
    remaining = relint(path)
    assert sorted({(f["code"], f["location"]["row"]) for f in remaining}) == [  # type: ignore[index]
        ("KRL001", 8),
        ("KRL001", 13),
    ]  # each with its KRL101 folded into it


def test_a_value_passed_by_a_caller_is_not_fixed_at_the_layer_call(tmp_path: Path) -> None:
    source = """\
from keras.layers import LSTM


def build(act="tanh"):
    return LSTM(8, activation=act)


model = build("relu")
"""
    path = tmp_path / "called.py"
    path.write_text(source, encoding="utf-8")
    done = run_cli("--fix", "--unsafe-fixes", "--isolated", "called.py", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == source  # tanh at the call would ignore the caller
    assert "called.py:5:31: KRL001 not fixed: `activation` is the value of parameter `act`" in (
        done.stderr
    )


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text(RISKY, encoding="utf-8")
    before = path.stat().st_mtime_ns
    done = run_cli("--diff", "--unsafe-fixes", "--isolated", "model.py", cwd=tmp_path)
    assert "--- a/model.py\n+++ b/model.py\n" in done.stdout
    assert "-    activation='relu',  # tuned by hand\n" in done.stdout
    assert "+    activation='tanh',  # tuned by hand\n" in done.stdout
    assert path.read_text(encoding="utf-8") == RISKY
    assert path.stat().st_mtime_ns == before
    assert done.returncode == 1  # nothing was fixed on disk


def test_diff_stdout_is_only_the_diff_so_git_apply_can_take_it(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text(RISKY, encoding="utf-8")
    done = run_cli("--diff", "--unsafe-fixes", "--isolated", "model.py", cwd=tmp_path)
    assert done.stdout.startswith("--- a/model.py\n")
    assert "KRL001 [" not in done.stdout and "Found" not in done.stdout
    assert done.returncode == 1


def test_diff_with_nothing_to_apply_prints_nothing_and_exits_0(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text(RISKY, encoding="utf-8")
    done = run_cli("--diff", "--isolated", "model.py", cwd=tmp_path)  # only unsafe fixes exist
    assert done.stdout == ""
    assert done.returncode == 0


def test_add_noqa_with_fix_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text(RISKY, encoding="utf-8")
    for flags in (("--add-noqa", "--fix"), ("--add-noqa", "--diff")):
        done = run_cli(*flags, "--isolated", "model.py", cwd=tmp_path)
        assert done.returncode == 2
        assert "--add-noqa cannot be combined" in done.stderr
    assert (tmp_path / "model.py").read_text(encoding="utf-8") == RISKY


def test_add_noqa_merges_and_never_breaks_a_string_or_a_continuation(tmp_path: Path) -> None:
    source = """\
from keras.layers import GRU, LSTM

a = LSTM(8, activation="relu")  # noqa: KRL101
b = LSTM(8, activation="relu", name=\"\"\"first
second\"\"\")
c = GRU(8, \\
        activation="elu")  # keep me
"""
    path = tmp_path / "legacy.py"
    path.write_text(source, encoding="utf-8")
    assert codes(relint(path)) == ["KRL001", "KRL001", "KRL001"]  # b's and c's KRL101 folded
    done = run_cli("--add-noqa", "--isolated", "legacy.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert path.read_text(encoding="utf-8") == (
        """\
from keras.layers import GRU, LSTM

a = LSTM(8, activation="relu")  # noqa: KRL101, KRL001
b = LSTM(8, activation="relu", name=\"\"\"first
second\"\"\")  # noqa: KRL001, KRL101
c = GRU(8, \\
        activation="elu")  # keep me  # noqa: KRL001, KRL101
"""
    )
    assert relint(path) == []


def test_line_endings_bom_encoding_and_permissions_are_kept(tmp_path: Path) -> None:
    crlf = tmp_path / "crlf.py"
    crlf.write_bytes(
        b"\xef\xbb\xbffrom keras.layers import LSTM\r\n\r\nx = LSTM(8, activation='elu')\r\n"
    )
    os.chmod(crlf, 0o640)
    latin = tmp_path / "latin.py"
    latin.write_bytes(
        b"# -*- coding: latin-1 -*-\nfrom keras.layers import GRU\n"
        b"y = GRU(8, activation='relu')  # caf\xe9\n"
    )
    done = run_cli("--fix", "--unsafe-fixes", "--isolated", "crlf.py", "latin.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert crlf.read_bytes() == (
        b"\xef\xbb\xbffrom keras.layers import LSTM\r\n\r\nx = LSTM(8, activation='tanh')\r\n"
    )
    assert crlf.stat().st_mode & 0o777 == 0o640
    assert latin.read_bytes().endswith(b"y = GRU(8, activation='tanh')  # caf\xe9\n")
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != ".kerasrnnlint_cache")
    assert left == ["crlf.py", "latin.py"]  # no temp left


def test_fixed_result_that_would_not_compile_is_not_written(tmp_path: Path) -> None:
    # libcst (and so the linter) accepts this file, but Python cannot compile it: a fixed version
    # would not compile either, so nothing is written, and the message says the file is the cause.
    source = "from keras.layers import LSTM\n\nlayer = LSTM(8, activation='relu')\nbreak\n"
    path = tmp_path / "broken.py"
    path.write_text(source, encoding="utf-8")
    done = run_cli("--fix", "--unsafe-fixes", "--isolated", "broken.py", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == source
    assert "broken.py: not written: the file itself does not compile with the running Python" in (
        done.stderr
    )
    assert "'break' outside loop (line 4)" in done.stderr
    assert "the fixed source would not compile" not in done.stderr
    assert done.returncode == 1


def test_python_exported_from_a_notebook_keeps_its_shell_lines(tmp_path: Path) -> None:
    source = (
        "!pip install keras\nfrom keras.layers import LSTM\n%matplotlib inline\n"
        "x = LSTM(8, activation='relu')\n"
    )
    path = tmp_path / "exported.py"
    path.write_text(source, encoding="utf-8")
    done = run_cli("--fix", "--unsafe-fixes", "--isolated", "exported.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert path.read_text(encoding="utf-8") == source.replace("'relu'", "'tanh'")


def test_notebook_fix_writes_only_the_cell_source(tmp_path: Path) -> None:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Model"]},
            {
                "cell_type": "code",
                "execution_count": 1,
                "metadata": {"tags": ["setup"]},
                "outputs": [],
                "source": ["!pip install keras\n", "from keras.layers import LSTM\n"],
            },
            {
                "cell_type": "code",
                "execution_count": 2,
                "metadata": {},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": ["ok\n"]}],
                "source": ["m = LSTM(\n", "    8,\n", "    activation='relu',  # why\n", ")"],
            },
        ],
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "train.ipynb"
    path.write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")
    done = run_cli("--fix", "--unsafe-fixes", "--isolated", "train.ipynb", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    expected = json.loads(json.dumps(notebook))
    expected["cells"][2]["source"][2] = "    activation='tanh',  # why\n"
    assert json.loads(path.read_text(encoding="utf-8")) == expected
    assert relint(path) == []


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("LSTM(8, activation=None)", "LSTM(8, activation=None, unroll=False)"),
        (
            "LSTM(\n    8,  # units\n    activation=None,  # keep\n)",
            "LSTM(\n    8,  # units\n    activation=None,  # keep\n    unroll=False,\n)",
        ),
        (
            "LSTM(\n    8,\n    activation=None  # keep\n)",
            "LSTM(\n    8,\n    activation=None,  # keep\n    unroll=False\n)",
        ),
        (
            "LSTM(8,\n     activation=None)  # keep",
            "LSTM(8,\n     activation=None,\n     unroll=False)  # keep",
        ),
    ],
)
def test_an_absent_argument_is_added_in_the_calls_own_layout(call: str, expected: str) -> None:
    # No shipped rule needs to add an argument today (flagged values are written somewhere), so
    # this gives a real finding a fix that does, to check the layout of the added keyword.
    text = f"from keras.layers import LSTM\nlayer = {call}\n"
    finding = next(f for f in lint_source(text, "x.py").findings if f.code == "KRL001")
    finding = dataclasses.replace(
        finding, fix=Fix(title="unroll", changes=(("unroll", False),), safe=True)
    )
    fixed = fix_source(text, [finding]).text
    assert fixed == f"from keras.layers import LSTM\nlayer = {expected}\n"
    compile(fixed, "x.py", "exec")


def test_noqa_is_placed_in_the_comment_not_in_a_string() -> None:
    text = 'x = f("# noqa: E1")\n'
    assert add_noqa_source(text, [(1, "KRL001")]) == 'x = f("# noqa: E1")  # noqa: KRL001\n'


def test_krl004_is_explained_as_never_fixed_automatically_and_is_not(tmp_path: Path) -> None:
    source = (
        "from keras import Input, Sequential\n"
        "from keras.layers import LSTM, Conv1D\n\n"
        'model = Sequential([Input(shape=(100, 8)), Conv1D(32, 3, activation="relu"), LSTM(64)])\n'
    )
    path = tmp_path / "model.py"
    path.write_text(source, encoding="utf-8")
    explained = run_cli("explain", "KRL004")
    assert explained.returncode == 0, explained.stderr
    text = " ".join(explained.stdout.split())
    assert "not applied automatically, not even with ``--unsafe-fixes``" in text
    assert "applied only with ``--unsafe-fixes``" not in text
    done = run_cli("--fix", "--unsafe-fixes", "--isolated", "model.py", cwd=tmp_path)
    assert done.returncode == 1
    assert "KRL004 not fixed" in done.stderr
    assert path.read_text(encoding="utf-8") == source
