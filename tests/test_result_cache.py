"""The result cache as a user meets it: a re-run over an unchanged tree parses nothing and prints
the same report; a change to a module, to the settings or to the file itself is seen; bad entries
are rebuilt; ``--no-cache`` leaves no trace; concurrent runs agree. Real files in temporary
projects, linted by the real command line (``KERASRNNLINT_STATISTICS=1`` makes it print how many
results it read from the cache and how many files it linted)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from helpers import run_cli

from kerasrnnlint.frontends.source import cache

STATS = re.compile(
    r"(\d+) module summaries parsed, (\d+) read from the cache.*"
    r"results: (\d+) read from the cache, (\d+) linted"
)

PROJECT = {
    "config.py": '"""Config."""\nACT = "relu"\nUNITS = 8\n',
    "train.py": (
        "import config\nfrom keras import layers\n\n"
        "a = layers.SimpleRNN(config.UNITS, activation=config.ACT)\n"
    ),
    "alone.py": (
        "from keras import Input, Sequential, layers\nfrom keras.optimizers import Adam\n\n"
        "m = Sequential([Input(shape=(100, 8)), layers.GRU(64, recurrent_dropout=0.5)])\n"
        'm.compile(optimizer=Adam(0.05), loss="mse")\n'
        'b = layers.LSTM(4, activation="relu")\n'
    ),
    "plain.py": "x = 1\n",
}


def make_project(root: Path, files: dict[str, str] = PROJECT, tool: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f'[project]\nname = "p"\nversion = "0"\n{tool}')
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def lint(root: Path, *args: str, output: str = "json") -> tuple[str, tuple[int, int, int, int]]:
    """(the report, (summaries parsed, summaries cached, results cached, files linted))."""
    done = run_cli(
        ".",
        "--output-format",
        output,
        "--exit-zero",
        "-j",
        "1",
        *args,
        cwd=root,
        env={"KERASRNNLINT_STATISTICS": "1"},
    )
    assert done.returncode == 0, done.stderr
    match = STATS.search(done.stderr)
    assert match, done.stderr
    return done.stdout, (int(match[1]), int(match[2]), int(match[3]), int(match[4]))


def codes(report: str) -> list[tuple[str, int, str]]:
    return sorted(
        (Path(f["filename"]).name, f["location"]["row"], f["code"]) for f in json.loads(report)
    )


def entries(root: Path) -> list[Path]:
    return sorted((root / cache.DIRECTORY / "results").glob("*.json"))


BASE = [("alone.py", 4, "KRL003"), ("alone.py", 6, "KRL001"), ("train.py", 4, "KRL001")]


def test_a_second_run_parses_nothing_and_prints_the_same_report(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    first, stats = lint(root, output="text")
    assert stats == (1, 0, 0, 2)  # config.py summarised; train.py and alone.py linted
    again, stats = lint(root, output="text")
    assert stats == (0, 0, 2, 0)  # nothing parsed, not even a summary
    assert again == first
    assert "SimpleRNN uses unbounded activation 'relu' (constant `ACT` in config.py)" in again

    fresh, _ = lint(root, "--no-cache")
    warm, stats = lint(root)
    assert stats == (0, 0, 2, 0)
    assert warm == fresh
    assert codes(warm) == BASE
    ignore = root / cache.DIRECTORY / ".gitignore"
    assert ignore.read_text().splitlines()[-1] == "*"


def test_a_changed_module_re_lints_its_importers(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    lint(root)
    (root / "config.py").write_text('"""Config."""\nACT = "tanh"\nUNITS = 8\n')
    report, stats = lint(root)
    assert codes(report) == BASE[:2]
    assert stats == (1, 0, 1, 1)  # config.py's summary and train.py; alone.py is cached
    (root / "config.py").write_text('"""Config."""\nACT = "elu"\nUNITS = 8\n')
    report, _ = lint(root)
    assert "unbounded activation 'elu'" in report


def test_a_new_module_that_an_import_now_finds_re_lints_the_importer(tmp_path: Path) -> None:
    files = {"train.py": PROJECT["train.py"]}
    root = make_project(tmp_path / "p", files)
    report, _ = lint(root)
    assert codes(report) == []
    (root / "config.py").write_text(PROJECT["config.py"])
    report, _ = lint(root)
    assert codes(report) == [("train.py", 4, "KRL001")]


def test_a_changed_caller_re_lints_the_builder(tmp_path: Path) -> None:
    files = {
        "models.py": (
            "from keras import layers\n\n\ndef build(units, act='tanh'):\n"
            "    return layers.LSTM(units, activation=act)\n"
        ),
        "train.py": "from models import build\n\nencoder = build(32, act='tanh')\n",
    }
    root = make_project(tmp_path / "p", files)
    report, _ = lint(root)
    assert codes(report) == []
    (root / "train.py").write_text("from models import build\n\nencoder = build(32, act='relu')\n")
    report, stats = lint(root)
    assert codes(report) == [("models.py", 5, "KRL001")]
    assert stats[3] == 1  # models.py: train.py itself holds no layer, the prefilter skips it


def test_the_settings_that_change_findings_change_the_result(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    lint(root)
    report, stats = lint(root, "--select", "KRL001")
    assert codes(report) == [("alone.py", 6, "KRL001"), ("train.py", 4, "KRL001")]
    assert stats[2:] == (0, 2)
    report, _ = lint(root, "--ignore", "KRL001")  # KRL101 is no longer folded into it
    assert codes(report) == [("alone.py", 4, "KRL003"), ("alone.py", 6, "KRL101")]
    report, _ = lint(root, "--per-file-ignores", "train.py:KRL001")
    assert codes(report) == BASE[:2]
    report, stats = lint(root)
    assert (codes(report), stats[2:]) == (BASE, (2, 0))

    # A rule option in pyproject.toml: KRL003's threshold above the rate of 0.05.
    (root / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "0"\n'
        "[tool.kerasrnnlint]\nrecurrent-dropout-max-lr = 0.1\n"
    )
    report, _ = lint(root)  # recurrent dropout's cuDNN fallback is reported on its own now
    assert codes(report) == [("alone.py", 4, "KRL101"), *BASE[1:]]


def test_a_corrupt_or_wrong_shape_entry_is_rebuilt(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    first, _ = lint(root)
    stored = entries(root)
    assert len(stored) == 2
    good = [json.loads(entry.read_text(encoding="utf-8")) for entry in stored]

    def spoil(index: int, change: str) -> None:
        data = json.loads(json.dumps(good[index]))
        if change == "finding":  # a finding that is a string
            data["result"]["findings"] = ["KRL001"]
        elif change == "severity":  # a severity that is no severity
            data["result"]["findings"][0]["severity"] = "boom"
        elif change == "field":  # a field no result has
            data["result"]["executable"] = "__import__('os').system('false')"
        elif change == "foreign":  # a well-formed entry, written under another key
            data["key"] = "0" * 64
        stored[index].write_text(json.dumps(data), encoding="utf-8")

    for first_change, second_change in (("finding", "severity"), ("field", "foreign")):
        spoil(0, first_change)
        spoil(1, second_change)
        again, stats = lint(root)
        assert again == first
        assert stats[2:] == (0, 2)
        assert [json.loads(entry.read_text(encoding="utf-8")) for entry in stored] == good
    stored[0].write_text('{"key": "', encoding="utf-8")  # truncated
    again, stats = lint(root)
    assert (again, stats[2:]) == (first, (1, 1))
    _, stats = lint(root)
    assert stats[2:] == (2, 0)


def test_a_well_formed_entry_is_trusted_but_no_cache_reads_and_writes_nothing(
    tmp_path: Path,
) -> None:
    root = make_project(tmp_path / "p")
    report, stats = lint(root, "--no-cache")
    assert codes(report) == BASE
    assert stats[2:] == (0, 0)
    assert not (root / cache.DIRECTORY).exists()

    lint(root)
    for entry in entries(root):  # each stored result loses its findings
        data = json.loads(entry.read_text(encoding="utf-8"))
        data["result"]["findings"] = []
        entry.write_text(json.dumps(data), encoding="utf-8")
    assert codes(lint(root)[0]) == []  # the cache is what answers...
    assert codes(lint(root, "--no-cache")[0]) == BASE  # ... but not with --no-cache


def test_fix_never_reports_a_stale_result(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    lint(root)
    done = run_cli("alone.py", "--fix", "--unsafe-fixes", "--exit-zero", cwd=root)
    assert done.returncode == 0, done.stderr
    assert 'activation="relu"' not in (root / "alone.py").read_text()
    report, stats = lint(root)
    assert stats[2:] == (1, 1)  # train.py from the cache, the rewritten alone.py linted
    assert codes(report) == codes(lint(root, "--no-cache")[0])
    assert ("alone.py", 6, "KRL001") not in codes(report)


def test_two_concurrent_runs_agree(tmp_path: Path) -> None:
    """Two runs filling the same cache at once, each with worker processes (more files than
    runner.PARALLEL_THRESHOLD), then a run that reads all of it."""
    files = dict(PROJECT)
    for index in range(70):
        files[f"m{index}.py"] = (
            f"import config\nfrom keras import layers\n\nl{index} = layers.GRU({index + 1}, "
            "activation=config.ACT)\n"
        )
    root = make_project(tmp_path / "p", files)
    command = [sys.executable, "-m", "kerasrnnlint", ".", "--output-format", "json"]
    command += ["--exit-zero", "-j", "2"]
    runs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=root) for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs)
    expected, _ = lint(root, "--no-cache")
    assert outputs[0] == outputs[1] == expected
    warm, stats = lint(root)
    assert warm == expected
    assert stats[2:] == (72, 0)


def test_fifos_in_the_cache_are_misses_not_hangs(tmp_path: Path) -> None:
    """A FIFO where an entry or the word index should be (planted, or left by a broken tool) is
    refused without blocking, like any input, and the run lints as if the cache were empty."""
    import os

    root = make_project(tmp_path / "p")
    cold, _ = lint(root, "--no-cache")
    lint(root)
    planted = [*entries(root), *sorted((root / cache.DIRECTORY / "summaries").glob("*.json"))]
    index = root / cache.DIRECTORY / "index.json"
    for path in [*planted, *([index] if index.exists() else [])]:
        path.unlink()
        os.mkfifo(path)
    assert planted
    report, (_, _, from_cache, linted) = lint(root)  # run_cli's timeout would catch a hang
    assert codes(report) == codes(cold)
    assert from_cache == 0 and linted > 0


def imported(stderr: str) -> set[str]:
    """The modules a run with ``-X importtime`` imported."""
    return {
        line.rsplit("|", 1)[1].strip()
        for line in stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_a_re_run_answered_by_the_cache_does_not_import_the_parser(tmp_path: Path) -> None:
    """What a re-run over an unchanged tree (or a pre-commit run over a file whose result is
    cached) costs is start-up: libcst's import, most of a cold start, is not part of it."""
    root = make_project(tmp_path / "p")
    lint(root)
    done = run_cli(".", "-j", "1", cwd=root, importtime=True, env={"KERASRNNLINT_STATISTICS": "1"})
    modules = imported(done.stderr)
    match = STATS.search(done.stderr)
    assert match and (int(match[3]), int(match[4])) == (2, 0), done.stderr[-2000:]
    assert "kerasrnnlint.cli" in modules and "kerasrnnlint.frontends.source.project" in modules
    assert "libcst" not in modules
    assert "KRL001" in done.stdout and "train.py" in done.stdout


BUILDER = {
    "models.py": (
        "from keras import layers\n\n\n"
        'def build(act="tanh"):\n'
        "    return layers.LSTM(8, activation=act)\n"
    ),
    "train.py": 'from models import build\n\nmodel = build(act="relu")\n',
}


def test_a_re_run_that_checks_a_builders_callers_does_not_import_the_parser(
    tmp_path: Path,
) -> None:
    """A builder's cached result depends on its callers in the whole project: checking that
    they did not change reads the project's word index, and that must not import the summaries
    (and with them libcst) just to name the index's cache entry."""
    root = make_project(tmp_path / "p", BUILDER)
    lint(root)
    done = run_cli(".", "-j", "1", cwd=root, importtime=True, env={"KERASRNNLINT_STATISTICS": "1"})
    modules = imported(done.stderr)
    match = STATS.search(done.stderr)
    assert match and (int(match[3]), int(match[4])) == (1, 0), done.stderr[-2000:]
    assert "via build(..., act='relu') in train.py:3" in done.stdout
    assert "libcst" not in modules


def test_the_cache_stays_bounded(tmp_path: Path) -> None:
    """Past its bound the cache drops its oldest entries; a run that writes as many entries as
    this one (16) always looks at the bound, and what it wrote stays."""
    model = 'from keras import layers\n\nlayer = layers.LSTM(4, activation="relu")  # {}\n'
    root = make_project(tmp_path / "p", {f"m{i}.py": model.format(i) for i in range(16)})
    results = root / cache.DIRECTORY / "results"
    results.mkdir(parents=True)
    for i in range(cache.MAX_ENTRIES + 10):
        old = results / f"old{i:05}.json"
        old.write_text("{}")
        os.utime(old, (1_000_000 + i, 1_000_000 + i))
    report, stats = lint(root)
    assert len(codes(report)) == 16 and stats[3] == 16
    left = {path.name for path in results.glob("*.json")}
    # Pruned once, when the first of them or the 16th was written: down to 4/5 of the bound.
    assert cache.MAX_ENTRIES * 4 // 5 <= len(left) <= cache.MAX_ENTRIES * 4 // 5 + 16
    assert len([name for name in left if not name.startswith("old")]) == 16
    assert "old00000.json" not in left and f"old{cache.MAX_ENTRIES + 9:05}.json" in left
