"""One finding per cause, through the real command line: folding, ``related``, file-level noqa,
``rule``, and where the output goes (issue 10)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from helpers import ROOT, run_cli

from kerasrnnlint import folding

STACKED = ROOT / "fixtures" / "fold_stacked_relu.py"
NOQA = "#" + " no" + "qa"  # split so that linters of this file do not read it as a directive

STACK = """\
import keras
from keras import layers

model = keras.Sequential(
    [
        keras.Input(shape=(100, 8)),
        layers.LayerNormalization(),
        layers.LSTM(64, activation="relu", return_sequences=True){producer}
        layers.GRU(32),{consumer}
    ]
)
"""


def stack(producer: str = ",", consumer: str = "") -> str:
    return STACK.format(producer=producer, consumer=consumer)


def lint_json(tmp_path: Path, text: str, *args: str) -> list[dict[str, Any]]:
    (tmp_path / "model.py").write_text(text, encoding="utf-8")
    proc = run_cli("model.py", "--isolated", "--output-format", "json", *args, cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    data: list[dict[str, Any]] = json.loads(proc.stdout)
    return data


def codes(items: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(item["code"], item["location"]["row"]) for item in items]


def test_stacked_relu_gives_one_krl001_whose_related_names_the_consumer(tmp_path: Path) -> None:
    items = lint_json(tmp_path, stack())
    assert codes(items) == [("KRL001", 8)]
    root = items[0]
    assert "feeds GRU on line 9 with no normalisation" in root["message"]
    assert "activation='relu' also disables the fused cuDNN kernel" in root["message"]
    related = {entry["code"]: entry for entry in root["related"]}
    assert set(related) == {"KRL004", "KRL101"}
    assert related["KRL004"]["filename"] == "model.py"
    assert related["KRL004"]["location"] == {"row": 9, "column": 9}
    assert related["KRL004"]["message"].startswith("GRU is fed by LSTM(activation='relu')")
    assert related["KRL101"]["location"]["row"] == 8


def test_ignoring_the_root_brings_the_consequences_back(tmp_path: Path) -> None:
    for flags in (
        ("--ignore", "KRL001"),
        ("--select", "KRL004,KRL101"),
        ("--per-file-ignores", "model.py:KRL001"),
    ):
        items = lint_json(tmp_path, stack(), *flags)
        assert sorted(codes(items)) == [("KRL004", 9), ("KRL101", 8)], flags
        assert all(item["related"] == [] or item["code"] == "KRL004" for item in items)


def test_noqa_of_the_root_brings_its_consequences_back_not_others(tmp_path: Path) -> None:
    noqa = "  " + NOQA + ": KRL001"
    items = lint_json(tmp_path, stack(producer="," + noqa))
    assert sorted(codes(items)) == [("KRL004", 9), ("KRL101", 8)]
    # Suppressing a layer's own KRL001 does not hide its KRL004 of another cause (a relu Dense).
    relu_lstm = 'layers.LSTM(64, activation="relu", return_sequences=True)'
    dense = stack().replace(relu_lstm, 'layers.Dense(8, activation="relu")')
    dense = dense.replace("layers.GRU(32),", 'layers.GRU(32, activation="elu"),' + noqa)
    items = lint_json(tmp_path, dense)
    assert sorted(codes(items)) == [("KRL004", 9), ("KRL101", 9)]
    assert "fed by Dense(activation='relu')" in items[0]["message"]


def test_krl101_for_unroll_stays_naming_only_that_cause(tmp_path: Path) -> None:
    text = 'from keras.layers import LSTM\n\nx = LSTM(8, activation="relu", unroll=True)\n'
    items = lint_json(tmp_path, text)
    assert codes(items) == [("KRL001", 3), ("KRL101", 3)]
    cudnn = items[1]
    assert "because of unroll=True:" in cudnn["message"]
    assert cudnn["fix"]["changes"] == {"unroll": False}


def test_krl102_and_krl101_on_one_layer_give_only_krl102(tmp_path: Path) -> None:
    text = "from keras.layers import LSTM\n\nx = LSTM(8, unroll=True, use_cudnn=True)\n"
    assert codes(lint_json(tmp_path, text)) == [("KRL102", 3)]


def test_sarif_has_the_folded_findings_as_related_locations(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text(stack(), encoding="utf-8")
    proc = run_cli("model.py", "--isolated", "--output-format", "sarif", cwd=tmp_path)
    (result,) = json.loads(proc.stdout)["runs"][0]["results"]
    texts = [entry["message"]["text"] for entry in result["relatedLocations"]]
    lines = [e["physicalLocation"]["region"]["startLine"] for e in result["relatedLocations"]]
    assert any(text.startswith("KRL004: GRU is fed by") for text in texts)
    assert 9 in lines
    assert [entry["id"] for entry in result["relatedLocations"]] == [1, 2]


def test_add_noqa_suppresses_the_folded_findings_too(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text(stack(), encoding="utf-8")
    done = run_cli("--add-noqa", "--isolated", "model.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    text = path.read_text(encoding="utf-8")
    assert "# noqa: KRL001, KRL101" in text.splitlines()[7]
    assert "# noqa: KRL004" in text.splitlines()[8]
    assert "kerasrnnlint: noqa" not in text  # never a file-level directive
    assert lint_json(tmp_path, text) == []


def test_the_fixture_run_reports_each_cause_once() -> None:
    proc = run_cli(STACKED, "--isolated", "--output-format", "json")
    items = json.loads(proc.stdout)
    assert [item["code"] for item in items].count("KRL004") == 0
    ignored = run_cli(STACKED, "--isolated", "--output-format", "json", "--ignore", "KRL001")
    assert [item["code"] for item in json.loads(ignored.stdout)].count("KRL004") == 3


# --------------------------------------------------------------------------------------------------
# File-level suppression
# --------------------------------------------------------------------------------------------------


def test_file_level_noqa_suppresses_the_whole_file(tmp_path: Path) -> None:
    directive = "# kerasrnnlint: " + "noqa"
    assert lint_json(tmp_path, directive + "\n" + stack()) == []
    assert lint_json(tmp_path, stack() + "# KerasRNNLint: NOQA\n") == []
    # A plain line-level suppression comment elsewhere does not suppress the file.
    assert codes(lint_json(tmp_path, NOQA + "\n" + stack())) == [("KRL001", 9)]


def test_file_level_noqa_with_codes_suppresses_only_those(tmp_path: Path) -> None:
    directive = "# kerasrnnlint: " + "noqa: KRL101"
    layer = 'x = LSTM(8, unroll=True, activation="elu")\n'
    text = directive + "\nfrom keras.layers import LSTM\n" + layer
    assert codes(lint_json(tmp_path, text)) == [("KRL001", 3)]
    both = text.replace("KRL101", "KRL101, KRL001")
    assert lint_json(tmp_path, both) == []


def test_file_level_noqa_in_a_notebook_cell_covers_every_cell(tmp_path: Path) -> None:
    source = ROOT / "fixtures" / "notebooks" / "train.ipynb"
    notebook = json.loads(source.read_text(encoding="utf-8"))
    before = run_cli(source, "--isolated", "--output-format", "json")
    assert json.loads(before.stdout)
    notebook["cells"].append(
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["# kerasrnnlint: " + "noqa\n"]}
    )  # fmt: skip
    path = tmp_path / "train.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    after = run_cli(path, "--isolated", "--output-format", "json")
    assert json.loads(after.stdout) == []


# --------------------------------------------------------------------------------------------------
# `rule`
# --------------------------------------------------------------------------------------------------


def test_rule_is_explain_and_documents_folding() -> None:
    rule = run_cli("rule", "KRL001")
    explain = run_cli("explain", "KRL001")
    assert rule.returncode == 0 and rule.stdout == explain.stdout
    assert "## One finding per cause" in rule.stdout
    assert "KRL004 folds into KRL001" in rule.stdout
    assert "KRL101 folds into KRL001" in rule.stdout
    cudnn = run_cli("rule", "cudnn-fallback").stdout
    assert "KRL101 and KRL102 on one layer: only KRL102" in cudnn


def test_rule_all_prints_every_rule_once() -> None:
    proc = run_cli("rule", "--all")
    assert proc.returncode == 0
    assert proc.stdout.count("## What it does") == 6
    assert proc.stdout.count("\n# Severity\n") == 1
    assert run_cli("rule").returncode == 2
    assert run_cli("rule", "KRL999").returncode == 2


def test_fold_table_names_real_rules() -> None:
    from kerasrnnlint.rules import BY_CODE

    for item in folding.FOLDS:
        assert item.root in BY_CODE and item.consequence in BY_CODE


# --------------------------------------------------------------------------------------------------
# Where things go
# --------------------------------------------------------------------------------------------------


def test_errors_and_notes_go_to_stderr_in_every_format(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(stack(), encoding="utf-8")
    (tmp_path / "broken.py").write_text("import keras\nLSTM(\n", encoding="utf-8")
    shutil.copy(ROOT / "fixtures" / "notebooks" / "train.ipynb", tmp_path / "train.ipynb")
    for fmt in ("text", "json", "sarif", "github", "junit"):
        for quiet in ((), ("-q",)):
            proc = run_cli(".", "--isolated", "--output-format", fmt, *quiet, cwd=tmp_path)
            assert proc.returncode == 2
            assert "broken.py: error: " in proc.stderr, (fmt, quiet)
            assert ": error: " not in proc.stdout or fmt == "github", (fmt, quiet)
            assert ": note: " not in proc.stdout, (fmt, quiet)
            if not quiet:
                assert "train.ipynb: note: cell 6 is not Python" in proc.stderr, (fmt, quiet)
            if fmt == "json":
                assert isinstance(json.loads(proc.stdout), list)  # a pure JSON array
