"""``[tool.kerasrnnlint]`` in pyproject.toml, and flags over it, through the real command line;
plus the pure selector and glob functions the configuration is built from."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import run_cli

from kerasrnnlint import config
from kerasrnnlint.findings import Severity

RISKY = 'from keras.layers import LSTM\n\nlayer = LSTM(64, activation="relu")\n'
GATES = 'from keras.layers import GRU\n\nlayer = GRU(64, recurrent_activation="relu")\n'


def codes(proc: subprocess.CompletedProcess[str]) -> list[tuple[str, str]]:
    """(file, code) of each finding line of a ``--quiet`` run."""
    found = []
    for line in proc.stdout.splitlines():
        location, _, rest = line.partition(": ")
        found.append((location.split(":")[0], rest.split(" ")[0]))
    return found


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "model.py").write_text(RISKY, encoding="utf-8")
    (tmp_path / "gates.py").write_text(GATES, encoding="utf-8")
    return tmp_path


def configure(project: Path, body: str) -> None:
    text = '[project]\nname = "demo"\n\n[tool.kerasrnnlint]\n' + body
    (project / "pyproject.toml").write_text(text, encoding="utf-8")


def test_select_and_ignore_from_pyproject(project: Path) -> None:
    configure(project, 'select = ["KRL002"]\n')
    assert codes(run_cli("-q", cwd=project)) == [("gates.py", "KRL002")]
    configure(project, 'select = ["KRL0"]\nignore = ["unbounded-recurrent-activation"]\n')
    assert codes(run_cli("-q", cwd=project)) == [("model.py", "KRL001")]
    configure(project, 'ignore = ["KRL"]\n')
    proc = run_cli(cwd=project)
    assert proc.returncode == 0 and "No findings" in proc.stdout


def test_per_file_ignores_and_exclude(project: Path) -> None:
    (project / "legacy").mkdir()
    (project / "legacy" / "old.py").write_text(RISKY, encoding="utf-8")
    (project / "generated").mkdir()
    (project / "generated" / "gen.py").write_text(RISKY, encoding="utf-8")
    configure(
        project,
        'select = ["KRL001"]\nexclude = ["generated"]\n'
        '[tool.kerasrnnlint.per-file-ignores]\n"legacy/*.py" = ["KRL001"]\n',
    )
    assert codes(run_cli("-q", cwd=project)) == [("model.py", "KRL001")]
    # extend-exclude keeps the defaults and adds to them.
    configure(project, 'select = ["KRL001"]\nextend-exclude = ["legacy", "model.py"]\n')
    assert codes(run_cli("-q", cwd=project)) == [("generated/gen.py", "KRL001")]


def test_fail_on_from_pyproject_and_flag_override(project: Path) -> None:
    configure(project, 'select = ["KRL101"]\nfail-on = "info"\n')
    assert run_cli(cwd=project).returncode == 1
    assert run_cli("--fail-on", "low", cwd=project).returncode == 0
    configure(project, 'select = ["KRL001"]\nfail-on = "high"\n')
    assert run_cli(cwd=project).returncode == 1


def test_flags_override_configuration(project: Path) -> None:
    configure(project, 'select = ["KRL002"]\nignore = ["KRL101"]\n')
    assert codes(run_cli("-q", "--select", "KRL001", cwd=project)) == [("model.py", "KRL001")]
    assert codes(run_cli("-q", "--extend-select", "KRL001", cwd=project)) == [
        ("gates.py", "KRL002"),
        ("model.py", "KRL001"),
    ]
    assert codes(run_cli("-q", "--ignore", "KRL002", cwd=project)) == []
    per_file = run_cli(
        "-q", "--select", "KRL001,KRL002", "--per-file-ignores", "model.py:KRL001", cwd=project
    )
    assert codes(per_file) == [("gates.py", "KRL002")]
    assert codes(run_cli("-q", "--isolated", "--select", "KRL002", cwd=project)) == [
        ("gates.py", "KRL002")
    ]


def test_nearest_pyproject_upward_and_explicit_config(project: Path) -> None:
    configure(project, 'select = ["KRL002"]\n')
    sub = project / "pkg" / "deep"
    sub.mkdir(parents=True)
    (sub / "m.py").write_text(RISKY, encoding="utf-8")
    # Run from inside the tree: the config above applies (KRL001 not selected).
    proc = run_cli(".", cwd=sub)
    assert proc.returncode == 0, proc.stdout
    # The first path decides where to look, not the working directory.
    other = project.parent / (project.name + "-other")
    other.mkdir()
    (other / "pyproject.toml").write_text('[tool.kerasrnnlint]\nselect = ["KRL001"]\n')
    assert codes(run_cli("-q", str(sub), cwd=other)) == []
    assert codes(run_cli("-q", "m.py", "--config", str(other / "pyproject.toml"), cwd=sub)) == [
        ("m.py", "KRL001")
    ]
    # --isolated ignores every configuration file.
    assert ("m.py", "KRL001") in codes(run_cli("-q", "--isolated", "m.py", cwd=sub))


def test_pyproject_without_our_table_is_skipped(project: Path) -> None:
    configure(project, 'select = ["KRL002"]\n')
    sub = project / "sub"
    sub.mkdir()
    (sub / "pyproject.toml").write_text('[project]\nname = "inner"\n', encoding="utf-8")
    (sub / "m.py").write_text(RISKY, encoding="utf-8")
    assert run_cli(".", cwd=sub).returncode == 0  # the outer table applies (KRL001 not selected)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('selct = ["KRL001"]\n', "unknown key 'selct'"),
        ('fail-on = "severe"\n', "fail-on"),
        ('select = "KRL001"\n', "expected a list of strings"),
        ('select = ["KRL999"]\n', "select: unknown rule selector 'KRL999'"),
        ('ignore = ["E501"]\n', "ignore: unknown rule selector 'E501'"),
        (
            'per-file-ignores = {"tests/*.py" = ["KRL999"]}\n',
            "per-file-ignores.'tests/*.py': unknown rule selector 'KRL999'",
        ),
        ("recurrent-dropout-max-lr = -1\n", "recurrent-dropout-max-lr"),
        ('recurrent-dropout-max-lr = "fast"\n', "recurrent-dropout-max-lr"),
        ('per-file-ignores = ["x"]\n', "per-file-ignores"),
        ("select = [\n", "not valid TOML"),
    ],
)
def test_bad_configuration_exits_2(project: Path, body: str, message: str) -> None:
    configure(project, body)
    proc = run_cli(cwd=project)
    assert proc.returncode == 2, proc.stdout
    assert "Traceback" not in proc.stderr
    assert "pyproject.toml" in proc.stderr
    assert message in proc.stderr
    assert proc.stdout == ""


def test_bad_flag_values_exit_2(project: Path) -> None:
    for args in (
        ("--recurrent-dropout-max-lr", "zero"),
        ("--per-file-ignores", "no-colon"),
        ("--ignore", "KRL9"),
        ("--config", "missing.toml"),
    ):
        proc = run_cli(*args, cwd=project)
        assert proc.returncode == 2, args
        assert "error" in proc.stderr and "Traceback" not in proc.stderr


def test_rule_option_and_probe_keys_are_loaded(project: Path) -> None:
    configure(
        project,
        'recurrent-dropout-max-lr = 0.003\nprobe-timeout = 12\nprobe-min-severity = "high"\n',
    )
    settings = config.discover_settings(project)
    assert settings.rule_options.recurrent_dropout_max_lr == 0.003
    assert settings.probe_timeout == 12.0
    assert settings.probe_min_severity is Severity.HIGH
    assert settings.root == str(project)
    flags = config.Overrides(recurrent_dropout_max_lr="1e-4", fail_on="medium")
    overridden = config.apply_overrides(settings, flags)
    assert overridden.rule_options.recurrent_dropout_max_lr == 1e-4
    assert overridden.fail_on is Severity.MEDIUM


# --------------------------------------------------------------------------------------------------
# The pure pieces
# --------------------------------------------------------------------------------------------------


def test_selectors_are_codes_prefixes_names_or_all() -> None:
    every = {rule.code for rule in config.ALL_RULES}
    assert config.resolve_selector("KRL001") == {"KRL001"}
    assert config.resolve_selector("krl00") >= {"KRL001", "KRL002"}
    assert config.resolve_selector("KRL") == every
    assert config.resolve_selector("ALL") == every
    assert config.resolve_selector("unbounded-recurrent-activation") == {"KRL002"}
    with pytest.raises(config.ConfigError, match="unknown rule selector"):
        config.resolve_selector("E501")


@pytest.mark.parametrize(
    ("path", "pattern", "matches"),
    [
        ("pkg/build/x.py", "build", False),  # the last component only, for a bare name
        ("pkg/build", "build", True),
        ("pkg/model_pb2.py", "*_pb2.py", True),
        ("tests/unit/test_x.py", "tests/*", True),
        ("src/tests/test_x.py", "tests/*.py", True),
        ("tests/a/b/test_x.py", "tests/**/*.py", True),
        ("tests/test_x.py", "tests/**/*.py", True),
        ("src/model.py", "tests/*.py", False),
    ],
)
def test_globs(path: str, pattern: str, matches: bool) -> None:
    assert config.path_matches(path, pattern) is matches


def test_per_file_ignores_are_relative_to_the_project_root(tmp_path: Path) -> None:
    settings = config.Settings(
        per_file_ignores=(("legacy/*.py", frozenset({"KRL001"})),), root=str(tmp_path)
    )
    assert "KRL001" not in settings.codes_for(str(tmp_path / "legacy" / "old.py"))
    assert "KRL001" in settings.codes_for(str(tmp_path / "new" / "model.py"))


def test_force_exclude_applies_excludes_to_named_paths(project: Path) -> None:
    (project / "build").mkdir()
    (project / "build" / "gen.py").write_text(RISKY, encoding="utf-8")
    configure(project, 'select = ["KRL001"]\nextend-exclude = ["model.py"]\n')
    # Named paths are linted even when excluded (as in ruff)...
    assert codes(run_cli("-q", "build/gen.py", "model.py", cwd=project)) == [
        ("build/gen.py", "KRL001"),
        ("model.py", "KRL001"),
    ]
    # ...unless --force-exclude (or force-exclude = true), as a pre-commit hook wants.
    proc = run_cli("build/gen.py", "model.py", "--force-exclude", cwd=project)
    assert proc.returncode == 0 and "No findings in 0 files checked." in proc.stdout
    configure(project, 'select = ["KRL001"]\nextend-exclude = ["model.py"]\nforce-exclude = true\n')
    assert codes(run_cli("-q", "build/gen.py", "model.py", cwd=project)) == []


def test_force_exclude_applies_to_the_stdin_filename(project: Path) -> None:
    configure(project, 'select = ["KRL001"]\n')
    # An editor or hook pipes every buffer: an excluded name is not linted with --force-exclude...
    for name in ("build/gen.py", "pkg/build/gen.py"):
        args = ("-", "--stdin-filename", name)
        proc = run_cli(
            *args, "--force-exclude", "--output-format", "json", cwd=project, stdin=RISKY
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert json.loads(proc.stdout) == []
        # ...and is without it, like a named path.
        assert codes(run_cli("-q", *args, cwd=project, stdin=RISKY)) == [(name, "KRL001")]
    # A name that is not excluded is linted either way.
    proc = run_cli(
        "-q", "-", "--stdin-filename", "model.py", "--force-exclude", cwd=project, stdin=RISKY
    )
    assert codes(proc) == [("model.py", "KRL001")]


# --------------------------------------------------------------------------------------------------
# Every TOML form, and files that cannot be read or parsed
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '[tool]\nkerasrnnlint = { select = ["KRL002"] }\n',
        '[tool."kerasrnnlint"]\nselect = ["KRL002"]\n',
        "[tool . kerasrnnlint]\nselect = ['KRL002']\n",
        '[tool]\nkerasrnnlint.select = ["KRL002"]\n',
        'tool.kerasrnnlint.select = ["KRL002"]\n',
        "[tool.'kerasrnnlint']\nselect = [\"KRL002\"]\n",
    ],
    ids=["inline-table", "quoted", "spaced", "dotted-in-tool", "dotted-top", "single-quoted"],
)
def test_table_in_any_toml_form_is_read(project: Path, text: str) -> None:
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    proc = run_cli(".", "--quiet", cwd=project)
    assert codes(proc) == [("gates.py", "KRL002")], proc.stdout + proc.stderr
    bad = text.replace('["KRL002"]', '["KRL999"]').replace("['KRL002']", "['KRL999']")
    (project / "pyproject.toml").write_text(bad, encoding="utf-8")
    refused = run_cli(".", cwd=project)
    assert refused.returncode == 2 and "KRL999" in refused.stderr, refused.stderr


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[tool.kerasrnnlint]\nselect = ['KRL001'] # caf\xe9\n", "not UTF-8"),
        (b"[tool.kerasrnnlint]\nx = " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested too deeply"),
    ],
    ids=["latin-1", "nested-5000"],
)
def test_pyproject_that_cannot_be_decoded_or_nests_too_deep_is_a_config_error(
    project: Path, data: bytes, message: str
) -> None:
    (project / "pyproject.toml").write_bytes(data)
    proc = run_cli(".", cwd=project)
    assert proc.returncode == 2
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert "pyproject.toml: not valid TOML: " in proc.stderr and message in proc.stderr


def _as_user() -> object:
    """A ``preexec_fn`` under which root obeys file permissions (see test_cli_inputs)."""
    import os
    import sys

    from test_cli_inputs import drop_file_read_override

    if os.geteuid() != 0:
        return None
    if not sys.platform.startswith("linux"):
        pytest.skip("root reads every file here")
    return drop_file_read_override


def test_unreadable_pyproject_is_reported_and_the_run_goes_on(project: Path) -> None:
    configure(project, 'select = ["KRL002"]\n')
    (project / "pyproject.toml").chmod(0)
    try:
        proc = run_cli(".", "--quiet", cwd=project, preexec_fn=_as_user())  # type: ignore[arg-type]
    finally:
        (project / "pyproject.toml").chmod(0o644)
    assert "pyproject.toml: cannot read (permission denied)" in proc.stderr, proc.stderr
    assert ("model.py", "KRL001") in codes(proc)  # the defaults applied, the run went on


def test_directory_without_search_permission_in_discovery_is_reported(project: Path) -> None:
    locked = project / "locked"
    locked.mkdir()
    (locked / "inner.py").write_text(RISKY, encoding="utf-8")
    locked.chmod(0o600)  # readable, not searchable
    try:
        proc = run_cli(
            "locked/inner.py",
            "model.py",
            cwd=project,
            preexec_fn=_as_user(),  # type: ignore[arg-type]
        )
    finally:
        locked.chmod(0o755)
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert "locked/pyproject.toml: cannot look for configuration there" in proc.stderr
    assert "locked/inner.py: error: permission denied" in proc.stderr, proc.stderr
    assert "model.py:3:" in proc.stdout
    assert proc.returncode == 2


def test_pyproject_that_is_a_fifo_does_not_block(project: Path) -> None:
    import os

    os.mkfifo(project / "pyproject.toml")
    proc = run_cli(".", "--quiet", cwd=project, timeout=60)
    assert ("model.py", "KRL001") in codes(proc), proc.stdout + proc.stderr
