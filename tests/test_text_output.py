"""The text report a person reads (issue 10): line order with the highest severity first, one
code frame per layer call with a label per finding, colours by severity, fixability marks and
counts, ``--statistics``, ``--fix`` and ``--show-fixes``. Through the real command line."""

from __future__ import annotations

from pathlib import Path

from helpers import run_cli

MIXED = """\
from keras.layers import GRU, LSTM

a = LSTM(8, recurrent_dropout=0.2, use_cudnn=True)
b = LSTM(8, activation="relu", unroll=True)
c = GRU(8, use_cudnn=True, unroll=True)
"""


def lint(tmp_path: Path, text: str, *args: str, name: str = "m.py") -> list[str]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    proc = run_cli(name, "--isolated", *args, cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout.splitlines()


def headers(lines: list[str]) -> list[str]:
    return [line.split(" [")[0].split(": ", 1)[1] for line in lines if line.startswith("m.py:")]


def test_on_one_line_the_highest_severity_comes_first(tmp_path: Path) -> None:
    lines = lint(tmp_path, MIXED)
    assert headers(lines) == ["KRL102", "KRL001", "KRL101", "KRL102"]
    located = [line.split(": ", 1)[0] for line in lines if line.startswith("m.py:")]
    assert located[1:3] == ["m.py:4:24", "m.py:4:5"]  # KRL001 (high) before KRL101 (info)


def test_several_findings_on_one_call_share_one_frame_with_rustc_labels(tmp_path: Path) -> None:
    text = (
        'from keras.layers import LSTM\n\nx = LSTM(8, activation="relu", recurrent_dropout=0.3)\n'
    )
    lines = lint(tmp_path, text)
    assert sum(1 for line in lines if line.endswith(text.splitlines()[2])) == 1  # one frame
    start = next(i for i, line in enumerate(lines) if line.endswith(text.splitlines()[2]))
    assert lines[start + 1 : start + 4] == [
        "  |                        ^^^^^^                    ^^^ KRL003",
        "  |                        |",
        "  |                        KRL001",
    ]
    assert headers(lines) == ["KRL001", "KRL003"]


def test_overlapping_labels_get_a_row_each_highest_severity_first(tmp_path: Path) -> None:
    lines = lint(tmp_path, MIXED)
    start = next(
        i
        for i, line in enumerate(lines[:-1])
        if line.startswith("4 | b = LSTM") and "^" in lines[i + 1]
    )
    assert lines[start + 1] == "  |                        ^^^^^^ KRL001"
    assert lines[start + 2] == "  |     " + "^" * len('LSTM(8, activation="relu", unroll=True)') + (
        " KRL101"
    )
    assert sum(1 for line in lines if line.endswith("KRL101")) == 1  # one frame for the call


def test_a_multi_line_call_gets_one_frame(tmp_path: Path) -> None:
    text = (
        "from keras.layers import LSTM\n\nx = LSTM(\n    8,\n    activation='relu',\n"
        + "\n" * 6
        + "    recurrent_dropout=0.3,\n)\n"
    )
    lines = lint(tmp_path, text)
    assert sum(1 for line in lines if line.endswith("activation='relu',")) == 1
    assert any(line.startswith("..") and line.endswith("|") for line in lines)  # gap elided
    assert any(line.endswith("^^^ KRL003") for line in lines)
    assert any(line.endswith("^^^^^^ KRL001") for line in lines)


def test_colours_follow_severity_and_code_stays_default(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(MIXED, encoding="utf-8")
    out = run_cli("m.py", "--isolated", "--color", "always", cwd=tmp_path).stdout
    info = next(line for line in out.splitlines() if "KRL101" in line and "info" in line)
    assert "\x1b[1;31mKRL101" not in info  # info is not red
    assert "\x1b[32mKRL101" in info and "\x1b[32minfo" in info
    high = next(line for line in out.splitlines() if "KRL102" in line and "high" in line)
    assert "\x1b[1;31mKRL102" in high
    code = next(line for line in out.splitlines() if "a = LSTM(8" in line)
    assert code.split("|", 1)[1].startswith("\x1b[0m a = LSTM(8")  # gutter styled, code not
    assert "\x1b[" not in code.split("\x1b[0m", 1)[1]


def test_fixability_marks_and_summary(tmp_path: Path) -> None:
    lines = lint(tmp_path, MIXED)
    assert any(line.startswith("m.py:3:46: KRL102 [*] [high] ") for line in lines)
    assert any(line.startswith("m.py:4:24: KRL001 [-] [high] ") for line in lines)
    assert lines[-2] == "Found 4 findings (3 high, 1 info) in 1 file."
    assert lines[-1] == "[*] 2 fixable with `--fix` (2 more with `--unsafe-fixes`)."
    unsafe = lint(tmp_path, MIXED, "--unsafe-fixes")
    assert any(line.startswith("m.py:4:24: KRL001 [*] [high] ") for line in unsafe)
    assert unsafe[-1] == "[*] 4 fixable with `--fix`."
    fed = "from keras import Sequential, Input\nfrom keras.layers import LSTM, Dense\n"
    fed += "m = Sequential([Input((9, 2)), Dense(4), LSTM(8)])\n"
    plain = lint(tmp_path, fed)
    assert any(": KRL004 [low] " in line for line in plain)  # no automatic fix: no mark
    assert plain[-1].startswith("Found ")


def test_statistics_has_a_fixable_column(tmp_path: Path) -> None:
    lines = lint(tmp_path, MIXED, "--statistics")
    assert lines[:3] == [
        "2  KRL102  [*]  cudnn-forced-ineligible",
        "1  KRL001  [-]  unbounded-activation",
        "1  KRL101  [-]  cudnn-fallback",
    ]


def test_show_fixes_says_what_fix_would_do_and_did(tmp_path: Path) -> None:
    would = lint(tmp_path, MIXED, "--show-fixes")
    at = would.index("Would fix 2 findings:")
    assert would[at + 1 : at + 3] == ["- m.py:", "    2 × KRL102 (cudnn-forced-ineligible)"]
    assert (tmp_path / "m.py").read_text(encoding="utf-8") == MIXED
    did = lint(tmp_path, MIXED, "--fix", "--show-fixes")
    at = did.index("Fixed 2 findings:")
    assert did[at + 1 : at + 3] == ["- m.py:", "    2 × KRL102 (cudnn-forced-ineligible)"]
    assert did[-2] == "Fixed 2, 4 remaining (1 high, 3 info)."
    assert did[-1] == "[-] 4 fixable with `--fix --unsafe-fixes`."


def test_fix_summary_counts_fixed_and_remaining(tmp_path: Path) -> None:
    lines = lint(tmp_path, MIXED, "--fix", "--unsafe-fixes")
    assert lines[-1] == "Fixed 6, 0 remaining."  # a fix can reveal another: a second pass
