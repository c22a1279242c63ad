"""Jupyter notebooks: code cells linted together, magics masked, findings located by cell and row
in every output format, ``# noqa`` in a cell, bad notebooks reported, cells written back.

The notebooks in ``fixtures/notebooks/`` carry their expectations like the ``.py`` fixtures: a
``# expect: KRL001[high] KRL101`` comment on the row (inside its cell) a finding is reported on.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli

from kerasrnnlint import engine
from kerasrnnlint.config import Settings
from kerasrnnlint.frontends import notebook
from kerasrnnlint.frontends.base import InputError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "notebooks"
NOTEBOOKS = sorted(FIXTURES.glob("*.ipynb"))
TRAIN = FIXTURES / "train.ipynb"

EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>[^#]*)")
CODE = re.compile(r"^(?P<code>[A-Z]+[0-9]+)(?:\[(?P<severity>info|low|medium|high)\])?$")


def expectations(nb: notebook.Notebook) -> list[tuple[int, int, str, str | None]]:
    """(cell, row, code, severity or None) for every ``# expect:`` comment in a code cell."""
    found = []
    for cell in nb.cells:
        text = notebook.cell_text(cell)  # magics masked, so it tokenizes
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            match = EXPECT.search(token.string) if token.type == tokenize.COMMENT else None
            for word in match["codes"].split() if match else ():
                parsed = CODE.match(word)
                assert parsed, f"cell {cell.number} row {token.start[0]}: bad expectation {word!r}"
                found.append((cell.number, token.start[0], parsed["code"], parsed["severity"]))
    return found


def lint(path: Path, settings: Settings | None = None) -> engine.FileResult:
    """What the command line does with a notebook."""
    return engine.from_frontend(str(path), notebook.analyze_file(path), settings or Settings())


def write_notebook(path: Path, cells: list[tuple[str, str]], language: str = "python") -> Path:
    doc = {
        "cells": [
            {"cell_type": kind, "metadata": {}, "source": text.splitlines(keepends=True)}
            | ({"outputs": [], "execution_count": None} if kind == "code" else {})
            for kind, text in cells
        ],
        "metadata": {"kernelspec": {"name": language, "language": language}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------------
# The fixture notebooks
# --------------------------------------------------------------------------------------------------


def test_there_are_notebook_fixtures() -> None:
    assert {p.name for p in NOTEBOOKS} >= {"train.ipynb", "clean.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_fixture(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["cells"][0]["cell_type"] == "markdown", "a fixture starts with what it covers"
    result = lint(path)
    assert result.error is None, result.error
    expected = expectations(notebook.read(path))
    actual = [(f.location.cell, f.location.line, f.code, str(f.severity)) for f in result.findings]
    want = Counter((cell, row, code) for cell, row, code, _ in expected)
    got = Counter((cell, row, code) for cell, row, code, _ in actual)
    assert sorted((want - got).elements()) == [], "missing findings"
    assert sorted((got - want).elements()) == [], "extra findings"
    for cell, row, code, severity in expected:
        if severity is not None:
            assert (cell, row, code, severity) in actual


def test_train_fixture_is_located_by_cell_counting_markdown_cells() -> None:
    result = lint(TRAIN)
    relu = next(f for f in result.findings if f.code == "KRL001" and f.location.cell == 4)
    # Cell 4 is the second code cell: markdown cells count, as in the notebook's own layout.
    assert relu.location.display() == f"{TRAIN}:cell 4:4:36"
    cell4 = next(c for c in notebook.read(TRAIN).cells if c.number == 4)
    row = cell4.source.splitlines()[relu.location.line - 1]
    assert row[relu.location.column - 1 :].startswith('"relu"')
    layer = relu.subject
    assert layer is not None and layer.location.cell == 4
    assert layer.arg("activation").span == relu.location.span
    assert result.notes == ("cell 6 is not Python (%%bash); skipped",)


def test_noqa_in_a_cell_suppresses_only_there(tmp_path: Path) -> None:
    text = TRAIN.read_text(encoding="utf-8")
    assert text.count("# noqa: KRL001") == 1 and text.count("# noqa\\n") == 0
    unsuppressed = tmp_path / "train.ipynb"
    unsuppressed.write_text(
        text.replace("  # noqa: KRL001", "").replace("  # noqa", ""), encoding="utf-8"
    )
    before = {(f.location.cell, f.location.line, f.code) for f in lint(TRAIN).findings}
    after = {(f.location.cell, f.location.line, f.code) for f in lint(unsuppressed).findings}
    # (7, 3) KRL101 stays folded into the KRL001 that is no longer suppressed there.
    assert after - before == {(4, 5, "KRL001"), (7, 3, "KRL001")}


def test_noqa_rows_are_per_cell(tmp_path: Path) -> None:
    # Row 2 of cell 1 has a noqa; row 2 of cell 2 has none and must still be reported.
    path = write_notebook(
        tmp_path / "nb.ipynb",
        [
            ("code", "from keras.layers import LSTM\nLSTM(8, activation='relu')  # noqa\n"),
            ("code", "x = 1\nLSTM(8, activation='relu')\n"),
            ("code", "LSTM(\n    8,\n    activation='relu',\n)  # noqa: KRL001\n"),
        ],
    )
    found = lint(path, Settings(select=frozenset({"KRL001"}))).findings
    assert [(f.location.cell, f.location.line) for f in found] == [(2, 2)]


def test_imports_reach_later_cells_and_magics_do_not_break_parsing(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "nb.ipynb",
        [
            ("code", "%load_ext autoreload\nimport tensorflow as tf\n"),
            ("code", "files = !ls\n%time x = 1\ntf.keras.layers.GRU?\n"),
            (
                "code",
                "def build(act='selu'):\n    !echo building\n"
                "    return tf.keras.layers.GRU(4, activation=act)\n",
            ),
        ],
    )
    result = lint(path, Settings(select=frozenset({"KRL001"})))
    assert result.error is None
    assert [(f.location.cell, f.location.line) for f in result.findings] == [(3, 3)]
    assert "default of parameter `act`" in result.findings[0].message


# --------------------------------------------------------------------------------------------------
# Bad notebooks
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "cause"),
    [
        ('{"cells": [', "invalid JSON"),
        ("[1, 2]", "not an object"),
        ('{"metadata": {}}', "no 'cells' list"),
        ('{"cells": [{"cell_type": "code", "source": 3}]}', "cell 1 has a source that is not text"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_bad_notebooks_raise_input_error(tmp_path: Path, content: str | bytes, cause: str) -> None:
    path = tmp_path / "bad.ipynb"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(cause)):
        notebook.analyze_file(path)


def test_cli_reports_a_bad_notebook_and_goes_on(tmp_path: Path) -> None:
    (tmp_path / "broken.ipynb").write_text('{"cells": ["keras.LSTM', encoding="utf-8")
    (tmp_path / "train.ipynb").write_bytes(TRAIN.read_bytes())
    proc = run_cli("--select", "KRL001", ".", cwd=tmp_path)
    assert proc.returncode == 2
    output = proc.stdout + proc.stderr
    assert "broken.ipynb" in output and "invalid JSON" in output
    assert "Traceback" not in output
    assert "train.ipynb:cell 4:4:36: KRL001" in output


def test_stdin_named_as_a_notebook_is_linted_as_one(tmp_path: Path) -> None:
    # An editor or script piping a notebook gets the same findings as for the file on disk.
    (tmp_path / "train.ipynb").write_bytes(TRAIN.read_bytes())
    on_disk = run_cli("-q", "train.ipynb", cwd=tmp_path)
    piped = run_cli(
        "-q", "--stdin-filename", "train.ipynb", "-", cwd=tmp_path, stdin=TRAIN.read_text("utf-8")
    )
    assert piped.returncode == on_disk.returncode == 1, piped.stdout + piped.stderr
    assert "train.ipynb:cell 4:4:36: KRL001" in piped.stdout
    assert piped.stdout == on_disk.stdout
    broken = run_cli("--stdin-filename", "x.ipynb", "-", cwd=tmp_path, stdin='{"cells": [')
    assert broken.returncode == 2
    assert "x.ipynb" in broken.stdout + broken.stderr
    assert "invalid JSON" in broken.stdout + broken.stderr


def test_a_cell_that_does_not_parse_is_skipped_with_a_note(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "nb.ipynb",
        [
            ("code", "from keras.layers import LSTM\n"),
            ("code", "def broken(:\n    pass\n"),
            ("code", "LSTM(8, activation='relu')\n"),
        ],
    )
    result = lint(path, Settings(select=frozenset({"KRL001"})))
    assert [(f.location.cell, f.location.line) for f in result.findings] == [(3, 1)]
    (note,) = result.notes
    assert note.startswith("cell 2 does not parse") and note.endswith("skipped")


def test_other_kernel_languages_are_skipped(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "r.ipynb", [("code", "LSTM <- 1\n")], language="R")
    result = lint(path)
    assert result.findings == () and result.notes == ("not a Python notebook (r); skipped",)


def test_nbformat_3_worksheets(tmp_path: Path) -> None:
    doc = {
        "nbformat": 3,
        "metadata": {},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "heading", "source": ["Old"], "level": 1},
                    {"cell_type": "code", "input": ["from keras.layers import LSTM\n"]},
                    {"cell_type": "code", "input": "LSTM(8, activation='relu')"},
                ]
            }
        ],
    }
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(doc), encoding="utf-8")
    found = lint(path, Settings(select=frozenset({"KRL001"}))).findings
    assert [(f.location.cell, f.location.line) for f in found] == [(3, 1)]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "bom"])
def test_fix_rewrites_only_the_source_text_of_the_fixed_cell(tmp_path: Path, bom: bytes) -> None:
    # Written by a tool that escapes non-ASCII, with CRLF line endings, a float written "1.50"
    # and non-ASCII outputs: a fix must not re-encode what it did not change (git diffs show it).
    doc = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
                "metadata": {"scale": 1.50},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": ["caf\u00e9\n"]}],
                "source": [
                    "import keras\n",
                    "m = keras.layers.LSTM(8, activation='relu')  # \u00e9",
                ],
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    text = json.dumps(doc, indent=2, ensure_ascii=True).replace("1.5", "1.50")
    before = bom + text.replace("\n", "\r\n").encode("ascii")
    path = tmp_path / "escaped.ipynb"
    path.write_bytes(before)
    done = run_cli("--fix", "--unsafe-fixes", "--isolated", "escaped.ipynb", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert path.read_bytes() == before.replace(b"activation='relu'", b"activation='tanh'")


# --------------------------------------------------------------------------------------------------
# Writing cells back (what autofix uses)
# --------------------------------------------------------------------------------------------------


def test_write_cells_changes_only_that_cell(tmp_path: Path) -> None:
    path = tmp_path / "train.ipynb"
    original = TRAIN.read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    cells = {c.number: c for c in notebook.read(path).cells}

    notebook.write_cells(path, {4: cells[4].source, 7: cells[7].source})
    assert path.read_text(encoding="utf-8") == original  # byte for byte: layout kept

    fixed = cells[7].source.replace("activation=None", 'activation="tanh"')
    notebook.write_cells(path, {7: fixed})
    before, after = json.loads(original), json.loads(path.read_text(encoding="utf-8"))
    assert after["cells"][6]["source"] == fixed.splitlines(keepends=True)
    after["cells"][6]["source"] = before["cells"][6]["source"]
    assert after == before
    found = lint(path).findings
    assert (7, 1, "KRL001") not in {(f.location.cell, f.location.line, f.code) for f in found}


# --------------------------------------------------------------------------------------------------
# Every output format shows the cell
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("nb")
    (root / "notebooks").mkdir()
    (root / "notebooks" / "train.ipynb").write_bytes(TRAIN.read_bytes())
    out = {}
    for fmt in ("text", "json", "sarif", "github", "junit"):
        proc = run_cli(
            "--select", "KRL001", "--output-format", fmt, "--no-show-source", "notebooks", cwd=root
        )
        assert proc.returncode == 1, proc.stderr
        out[fmt] = proc.stdout
    return out


def test_text_format_shows_the_cell(reports: dict[str, str]) -> None:
    assert "notebooks/train.ipynb:cell 4:4:36: KRL001" in reports["text"]
    assert "notebooks/train.ipynb:cell 7:1:40: KRL001" in reports["text"]


def test_json_format_shows_the_cell(reports: dict[str, str]) -> None:
    rows = [(d["filename"], d["cell"], d["location"]["row"]) for d in json.loads(reports["json"])]
    assert rows == [("notebooks/train.ipynb", 4, 4), ("notebooks/train.ipynb", 7, 1)]


def test_sarif_format_shows_the_cell(reports: dict[str, str]) -> None:
    results: list[dict[str, Any]] = json.loads(reports["sarif"])["runs"][0]["results"]
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in results]
    rows = [r["properties"]["cellRegion"]["startLine"] for r in results]
    assert [(r["properties"]["cell"], row) for r, row in zip(regions, rows, strict=True)] == [
        (4, 4),
        (7, 1),
    ]
    # The region itself is the line of the .ipynb file that holds the flagged code.
    lines = TRAIN.read_text(encoding="utf-8").splitlines()
    assert all(
        "relu" in lines[r["startLine"] - 1] or "None" in lines[r["startLine"] - 1] for r in regions
    )


def test_github_format_shows_the_cell(reports: dict[str, str]) -> None:
    lines = [line for line in reports["github"].splitlines() if line.startswith("::error")]
    assert len(lines) == 2
    assert "file=notebooks/train.ipynb" in lines[0]
    assert "::cell 4:4:36: [" in lines[0]


def test_junit_format_shows_the_cell(reports: dict[str, str]) -> None:
    root = ET.fromstring(reports["junit"].encode("utf-8"))
    names = [case.get("name") for case in root.iter("testcase")]
    assert names == [
        "KRL001 notebooks/train.ipynb::<module> LSTM #1",
        "KRL001 notebooks/train.ipynb::<module> SimpleRNN #1",
    ]
