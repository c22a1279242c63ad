"""Project analysis as a user meets it: the summary cache, bounded work, and unknowns that name
the module they come from. Real files in temporary projects, linted by the real command line
(``KERASRNNLINT_STATISTICS=1`` makes it print how many module summaries it parsed and how many it
read from the cache)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run_cli

from kerasrnnlint.engine import lint_source
from kerasrnnlint.frontends.source import cache, summary

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "projects"


def copy_project(source: Path, target: Path) -> None:
    """A fixture project without the cache an earlier run left in the checkout (a test that
    counts parses must start from an empty cache)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".kerasrnnlint_cache"))


STATS = re.compile(r"(\d+) module summaries parsed, (\d+) read from the cache")


def make_project(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def lint(*args: str | Path, cwd: Path | None = None) -> tuple[list[dict[str, object]], int, int]:
    """(findings as JSON, summaries parsed, summaries read from the cache).

    These tests are about the summaries' cache: the result cache (tests/test_result_cache.py),
    which would answer an unchanged file before any summary is read, is emptied first."""
    for arg in args:
        if isinstance(arg, Path):
            directory = arg if arg.is_dir() else arg.parent
            shutil.rmtree(directory / cache.DIRECTORY / "results", ignore_errors=True)
    done = run_cli(
        *args,
        "--output-format",
        "json",
        "--exit-zero",
        cwd=cwd,
        env={"KERASRNNLINT_STATISTICS": "1"},
    )
    assert done.returncode == 0, done.stderr
    match = STATS.search(done.stderr)
    assert match, done.stderr
    return json.loads(done.stdout), int(match[1]), int(match[2])


def rows(findings: list[dict[str, object]]) -> list[tuple[str, int, str]]:
    return sorted(
        (Path(str(f["filename"])).name, f["location"]["row"], str(f["code"]))  # type: ignore[index]
        for f in findings
    )


CONFIG_PROJECT = {
    "config.py": '"""Config."""\nACT = "relu"\nGATE = "sigmoid"\n',
    "extra.py": '"""Extra."""\nUNITS = 8\n',
    "train.py": (
        "import config\nimport extra\nfrom keras import layers\n\n"
        "a = layers.SimpleRNN(extra.UNITS, activation=config.ACT)\n"
        "b = layers.SimpleRNN(8, recurrent_activation=config.GATE)\n"
    ),
}


def test_second_run_parses_only_changed_files(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", CONFIG_PROJECT)
    first, parsed, cached = lint(root)
    assert rows(first) == [("train.py", 5, "KRL001")]
    assert (parsed, cached) == (2, 0)  # config.py and extra.py, read for their exports

    again, parsed, cached = lint(root)
    assert rows(again) == rows(first)
    assert (parsed, cached) == (0, 2)

    (root / "config.py").write_text('"""Config."""\nACT = "tanh"\nGATE = "sigmoid"\n')
    changed, parsed, cached = lint(root)
    assert rows(changed) == []
    assert (parsed, cached) == (1, 1)  # only the changed module is parsed again

    ignore = root / cache.DIRECTORY / ".gitignore"
    assert ignore.read_text().splitlines()[-1] == "*"


def test_one_changed_file_alone_uses_the_cache(tmp_path: Path) -> None:
    """What pre-commit does: lint only the changed file; its imports come from the cache."""
    root = make_project(tmp_path / "p", CONFIG_PROJECT)
    lint(root)
    (root / "train.py").write_text(
        CONFIG_PROJECT["train.py"] + "c = layers.GRU(4, activation=config.ACT)\n"
    )
    found, parsed, cached = lint(root / "train.py")
    assert rows(found) == [
        ("train.py", 5, "KRL001"),
        ("train.py", 7, "KRL001"),  # its KRL101 (the GRU's relu) is folded into it
    ]
    assert (parsed, cached) == (0, 2)


def test_a_corrupt_or_foreign_entry_is_rebuilt(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", CONFIG_PROJECT)
    first, parsed, _ = lint(root)
    entries = sorted((root / cache.DIRECTORY / "summaries").glob("*.json"))
    assert len(entries) == parsed == 2
    entries[0].write_text('{"key": "', encoding="utf-8")  # truncated
    # Valid JSON, but written for another key (another file, another tool): not trusted.
    entries[1].write_text(json.dumps({"key": "0" * 64, "summary": "{}"}), encoding="utf-8")
    again, parsed, cached = lint(root)
    assert rows(again) == rows(first)
    assert (parsed, cached) == (2, 0)
    for entry in entries:
        data = json.loads(entry.read_text(encoding="utf-8"))
        assert data["key"] == entry.stem
        summary.loads(data["summary"])


def test_two_concurrent_runs_agree(tmp_path: Path) -> None:
    files = {f"conf{i}.py": f'"""Config {i}."""\nACT = "relu"\n' for i in range(20)}
    files["train.py"] = "from keras import layers\n" + "".join(
        f"import conf{i}\nl{i} = layers.SimpleRNN(8, activation=conf{i}.ACT)\n" for i in range(20)
    )
    root = make_project(tmp_path / "p", files)
    command = [sys.executable, "-m", "kerasrnnlint", str(root), "--output-format", "json"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert all(run.returncode == 1 for run in runs)
    assert rows(json.loads(outputs[0])) == rows(json.loads(outputs[1]))
    assert len(json.loads(outputs[0])) == 20
    warm, parsed, cached = lint(root)
    assert rows(warm) == rows(json.loads(outputs[0]))
    assert (parsed, cached) == (0, 20)
    assert not list((root / cache.DIRECTORY / "summaries").glob(".tmp-*"))


def test_no_cache_reads_and_writes_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", CONFIG_PROJECT)
    found, parsed, cached = lint(root, "--no-cache")
    assert rows(found) == [("train.py", 5, "KRL001")]
    assert (parsed, cached) == (2, 0)
    assert not (root / cache.DIRECTORY).exists()

    # A well-formed entry under the right key is what the cache is for: it is used...
    lint(root)
    data = (root / "config.py").read_bytes()
    entry = root / cache.DIRECTORY / "summaries" / f"{cache.key('config', data)}.json"
    poisoned = summary.ModuleSummary(names={"ACT": summary.Const("tanh", "literal")})
    entry.write_text(json.dumps({"key": entry.stem, "summary": summary.dumps(poisoned)}))
    assert rows(lint(root)[0]) == []
    # ... and --no-cache does not read it.
    assert rows(lint(root, "--no-cache")[0]) == [("train.py", 5, "KRL001")]


def test_show_unknown_names_the_module_and_the_reason(tmp_path: Path) -> None:
    root = tmp_path / "config_module"
    copy_project(FIXTURES / "config_module", root)
    done = run_cli(root / "train.py", "--show-unknown", "--no-cache", "--no-show-source")
    assert "`config.MISSING`: `MISSING` is not defined in config.py" in done.stdout
    assert "`CHANGED` is changed in place in config.py" in done.stdout


def test_a_module_that_does_not_parse_is_unknown_to_its_importers(tmp_path: Path) -> None:
    root = make_project(
        tmp_path / "p",
        {
            "broken.py": "ACT = 'relu'\ndef oops(:\n",
            "train.py": "import broken\nfrom keras import layers\n"
            "a = layers.LSTM(8, activation=broken.ACT)\n",
        },
    )
    done = run_cli(root, "--show-unknown", "--no-cache", "--no-show-source")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "broken.py does not parse (cannot parse:" in done.stdout


def test_cycles_and_deep_re_export_chains_are_bounded(tmp_path: Path) -> None:
    files = {
        "a.py": "from b import *\n",
        "b.py": "from a import *\n",
        "m0.py": 'ACT = "relu"\n',
        "deep0.py": 'ACT = "relu"\n',
    }
    for i in range(1, 10):
        files[f"m{i}.py"] = f"from m{i - 1} import ACT\n"
    for i in range(1, 60):
        files[f"deep{i}.py"] = f"from deep{i - 1} import *\n"
    # A diamond of star imports, 25 levels deep: each module is visited once, not 2**25 times.
    for level in range(25):
        for side in "ab":
            files[f"d{level}{side}.py"] = (
                f"from d{level + 1}a import *\nfrom d{level + 1}b import *\n"
            )
    files["d25a.py"] = files["d25b.py"] = "OTHER = 1\n"
    files["train.py"] = (
        "import a\nimport m9\nimport deep59\nfrom d0a import *\nfrom keras import layers\n"
        "x = layers.SimpleRNN(8, activation=a.ACT)\n"
        "y = layers.SimpleRNN(8, activation=m9.ACT)\n"
        "z = layers.SimpleRNN(8, activation=deep59.ACT)\n"
        "w = layers.SimpleRNN(8, activation=MISSING)\n"
    )
    root = make_project(tmp_path / "p", files)
    done = run_cli(
        root / "train.py", "--show-unknown", "--no-cache", "--no-show-source", timeout=60
    )
    assert "train.py:7:36: KRL001" in done.stdout  # nine re-exports are followed
    assert "train.py:6:5: unknown: SimpleRNN `activation` not checked: `a.ACT`" in done.stdout
    assert "train.py:8:5: unknown: SimpleRNN `activation` not checked" in done.stdout
    assert "train.py:9:5: unknown: SimpleRNN `activation` not checked" in done.stdout


def test_the_language_server_entry_point_finds_the_project_from_the_path(tmp_path: Path) -> None:
    """``lint_source(text, path, settings)`` (what the language server calls with an unsaved
    buffer) reads the project's other modules from disk."""
    root = make_project(tmp_path / "p", CONFIG_PROJECT)
    text = CONFIG_PROJECT["train.py"]
    result = lint_source(text, str(root / "train.py"))
    assert [(f.location.line, f.code) for f in result.findings] == [(5, "KRL001")]
    assert "constant `ACT` in config.py" in result.findings[0].message
    alone = lint_source(text, "<stdin>")
    assert alone.findings == ()


def test_a_search_space_has_no_automatic_fix(tmp_path: Path) -> None:
    root = tmp_path / "keras_tuner"
    copy_project(FIXTURES / "keras_tuner", root)
    before = (root / "tuned.py").read_text()
    findings, _, _ = lint(root, "--no-cache")
    krl001 = [f for f in findings if f["code"] == "KRL001"]
    assert krl001 and all(f["fix"] is None for f in krl001)
    assert "includes 'relu' and 'elu'" in str(krl001[0]["message"])
    run_cli(root, "--fix", "--unsafe-fixes", "--no-cache")
    assert (root / "tuned.py").read_text() == before


def test_a_long_running_process_sees_a_saved_change(tmp_path: Path) -> None:
    """The language server lints in one long process: a config module saved in between is read
    again (summaries are checked against the file on every use)."""
    root = make_project(tmp_path / "p", CONFIG_PROJECT)
    text = CONFIG_PROJECT["train.py"]
    assert [f.code for f in lint_source(text, str(root / "train.py")).findings] == ["KRL001"]
    (root / "config.py").write_text('"""Config, edited."""\nACT = "tanh"\nGATE = "sigmoid"\n')
    assert lint_source(text, str(root / "train.py")).findings == ()


def test_module_names_map_to_files_as_the_import_system_would(tmp_path: Path) -> None:
    """``packages.find where``, a namespace package (no ``__init__.py``), and a script's own
    directory before the project root."""
    root = make_project(
        tmp_path / "p",
        {
            "lib/ns/sub/mod.py": 'ACT = "elu"\n',
            "config.py": 'ACT = "tanh"\n',
            "scripts/config.py": 'ACT = "relu"\n',
            "scripts/train.py": (
                "import config\nfrom ns.sub.mod import ACT\nfrom keras import layers\n"
                "a = layers.SimpleRNN(8, activation=config.ACT)\n"
                "b = layers.SimpleRNN(8, activation=ACT)\n"
            ),
        },
    )
    (root / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "0"\n\n[tool.setuptools.packages.find]\nwhere = ["lib"]\n'
    )
    result = lint_source((root / "scripts/train.py").read_text(), str(root / "scripts/train.py"))
    messages = {f.location.line: f.message for f in result.findings}
    assert sorted(messages) == [4, 5]
    assert "'relu' (constant `ACT` in scripts/config.py)" in messages[4]
    assert "'elu' (constant `ACT` in lib/ns/sub/mod.py)" in messages[5]


def test_a_notebook_that_gets_keras_from_a_project_module_is_checked(tmp_path: Path) -> None:
    cell = {
        "cell_type": "code",
        "metadata": {},
        "execution_count": None,
        "outputs": [],
        "source": ["from common import *\n", "\n", 'rnn = layers.LSTM(8, activation="relu")\n'],
    }
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    root = make_project(
        tmp_path / "p",
        {
            "common.py": "from tensorflow.keras import layers\n",
            "explore.ipynb": json.dumps(notebook),
        },
    )
    found, _, _ = lint("explore.ipynb", cwd=root)
    assert [(f["code"], f.get("cell")) for f in found] == [("KRL001", 1)]
    found, _, _ = lint(".", cwd=root)  # walked, too
    assert [(f["code"], f.get("cell")) for f in found] == [("KRL001", 1)]


BUILDER = (
    "from keras import layers\n\n\ndef build(units, act='tanh'):\n"
    "    return layers.LSTM(units, activation=act)\n"
)


def test_callers_of_a_vendored_copy_are_looked_for_only_where_an_import_can_reach_it(
    tmp_path: Path,
) -> None:
    """A package unpacked under a directory whose name no import can spell (``lib-1.0/``, as in a
    vendored copy or a corpus of downloaded packages) is reachable only from below that
    directory: its callers are found there, and a one-file run does not read (or index) the rest
    of the repository for them."""
    root = make_project(
        tmp_path / "repo",
        {
            "vendor/lib-1.0/lib/__init__.py": "",
            "vendor/lib-1.0/lib/models.py": BUILDER,
            "vendor/lib-1.0/train.py": "from lib.models import build\n\nbuild(8, act='relu')\n",
            # The import system would not find `lib` from here: not a caller, as before.
            "app/main.py": "from lib.models import build\n\nbuild(8, act='elu')\n",
            "app/run.py": "from models import build\n\nbuild(8, act='elu')\n",
        },
    )
    found, _, _ = lint(root / "vendor" / "lib-1.0" / "lib" / "models.py")
    assert rows(found) == [("models.py", 5, "KRL001")]
    assert "act='relu'" in str(found[0]["message"]) and "train.py" in str(found[0]["message"])
    index = json.loads((root / cache.DIRECTORY / "index.json").read_text())
    assert sorted(index["files"]) == [
        "vendor/lib-1.0/lib/__init__.py",
        "vendor/lib-1.0/lib/models.py",
        "vendor/lib-1.0/train.py",
    ]
    # A module every file of the project can import by name is searched for everywhere.
    (root / "app" / "models.py").write_text(BUILDER)
    found, _, _ = lint(root / "app" / "models.py")
    assert rows(found) == [("models.py", 5, "KRL001")]
    assert "act='elu'" in str(found[0]["message"]) and "run.py" in str(found[0]["message"])


def test_a_fifo_named_like_a_module_does_not_stop_the_search_for_callers(tmp_path: Path) -> None:
    """The callers' search reads every file of the project: a FIFO among them is passed over
    (opening it would wait for a writer forever)."""
    root = make_project(
        tmp_path / "p",
        {"models.py": BUILDER, "train.py": "from models import build\n\nbuild(8, act='relu')\n"},
    )
    os.mkfifo(root / "pipe.py")
    done = run_cli(
        root / "models.py", "--no-cache", "--output-format", "json", "--exit-zero", timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert rows(json.loads(done.stdout)) == [("models.py", 5, "KRL001")]


def test_a_builder_linted_alone_is_not_parsed_again_for_its_callers(tmp_path: Path) -> None:
    """Linting the builder's file alone (pre-commit with one changed file) reads its callers'
    summaries only: each call is resolved through the builder's own summary, made from the text
    being linted, not by parsing that file a second time."""
    root = tmp_path / "builder_call"
    copy_project(FIXTURES / "builder_call", root)
    found, parsed, cached = lint(root / "models.py")
    assert rows(found) == [("models.py", 7, "KRL001"), ("models.py", 11, "KRL001")]
    assert "via build_lstm(..., act='relu') in train.py:6" in str(found[0]["message"])
    assert (parsed, cached) == (1, 0)  # train.py
    again, parsed, cached = lint(root / "models.py")
    assert rows(again) == rows(found)
    assert (parsed, cached) == (0, 1)


@pytest.mark.parametrize(
    ("fixture", "linted"),
    [
        ("argparse_defaults", "model.py"),  # a builder called from train.py
        ("class_attributes", "base.py"),  # subclasses overriding class attributes elsewhere
    ],
)
def test_a_module_linted_alone_is_parsed_only_for_the_others(
    tmp_path: Path, fixture: str, linted: str
) -> None:
    root = tmp_path / fixture
    copy_project(FIXTURES / fixture, root)
    whole = [row for row in rows(lint(root, "--no-cache")[0]) if row[0] == linted]
    found, parsed, _ = lint(root / linted, "--no-cache")
    assert whole and rows(found) == whole
    assert parsed == 1  # the one other module of the project; the linted one never


def test_an_unsaved_builder_is_what_its_callers_are_resolved_through(tmp_path: Path) -> None:
    """The language server lints the buffer, not the file: a builder added but not saved yet
    is the one the calls of another module are matched to."""
    root = tmp_path / "builder_call"
    copy_project(FIXTURES / "builder_call", root)
    saved = (root / "models.py").read_text()
    (root / "models.py").write_text(saved.replace("def build_lstm(", "def old_build_lstm("))
    result = lint_source(saved, str(root / "models.py"))
    assert [(f.location.line, f.code) for f in result.findings] == [(7, "KRL001"), (11, "KRL001")]
    assert "via build_lstm(..., act='relu') in train.py:6" in result.findings[0].message


BUILDERS = """
from keras import layers
import keras


def build(units, act="tanh", gate="sigmoid", depth=1, *args, **kwargs):
    chosen = act
    cfg = {"recurrent_activation": gate}
    first = layers.LSTM(units, chosen, **cfg)

    def inner():
        return keras.layers.GRU(units, *args, **kwargs)

    return layers.Bidirectional(layers.LSTM(depth * 8)), first, inner


def dense(units, act="relu"):
    return layers.Dense(units, activation=act)


def configure(act):
    global ACT
    ACT = act


ACT = "tanh"
top = layers.SimpleRNN(4, activation=ACT)
"""


def test_a_summary_says_which_parameters_flow_into_which_recurrent_arguments() -> None:
    found = summary.summarize_text(BUILDERS, "builders.py")
    build = found.names["build"]
    assert isinstance(build, summary.Function)
    assert build.flows == (
        ("units", "LSTM", "units"),
        ("act", "LSTM", "activation"),  # by position, through a local name
        ("gate", "LSTM", "**"),  # in a dict passed with **
        ("units", "GRU", "units"),  # in a nested function
        ("args", "GRU", "*"),
        ("kwargs", "GRU", "**"),
        ("depth", "LSTM", "units"),
    )
    assert build.constructs == ("LSTM", "GRU")
    assert build.flows_into("act", "activation") and build.flows_into("gate", "activation")
    assert not build.flows_into("depth", "activation")
    dense = found.names["dense"]
    assert isinstance(dense, summary.Function)
    assert (dense.flows, dense.constructs) == ((), ())  # a Dense is not recurrent
    # A parameter assigned to a module constant the layer reads: it flows, though the layer is
    # not in the function.
    configure = found.names["configure"]
    assert isinstance(configure, summary.Function)
    assert configure.flows == (("act", "SimpleRNN", "activation"),)
    assert configure.constructs == ()
    assert summary.loads(summary.dumps(found)) == found
    # A function as the previous format wrote it (no flows) is not read as one without any.
    with pytest.raises(IndexError):
        summary.export_in(["f", ["x"], [], None])
