"""Scanned code is never run: modules of the repository being checked must not shadow ours.

``python -m`` puts the working directory first on ``sys.path``; started in the root of the
repository being checked, its ``json.py`` or ``libcst.py`` would be imported instead of the real
modules. Each planted module writes a marker file when imported: no marker may appear.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, run_cli

SHADOWS = ("json", "libcst", "rich", "keras", "argparse", "tomllib", "pygls", "difflib")
RISKY = 'from keras.layers import LSTM\n\nlayer = LSTM(64, activation="relu")\n'


@pytest.fixture
def hostile_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in SHADOWS:
        marker = tmp_path / f"imported-{name}"
        (repo / f"{name}.py").write_text(
            f"open({str(marker)!r}, 'w').write('imported')\n", encoding="utf-8"
        )
    (repo / "model.py").write_text(RISKY, encoding="utf-8")
    (repo / "pyproject.toml").write_text("[tool.kerasrnnlint]\nfail-on = 'high'\n")
    return repo


def markers(repo: Path) -> list[str]:
    return sorted(p.name for p in repo.parent.glob("imported-*"))


def test_python_dash_m_in_the_scanned_repository_imports_nothing_of_it(hostile_repo: Path) -> None:
    proc = run_cli(".", "--output-format", "sarif", "--color", "always", cwd=hostile_repo)
    assert markers(hostile_repo) == [], proc.stderr
    assert proc.returncode == 1, proc.stderr  # the LSTM is found: the real modules ran
    assert json.loads(proc.stdout)["runs"][0]["results"]
    fixed = run_cli("--fix", "--unsafe-fixes", "model.py", cwd=hostile_repo)
    assert markers(hostile_repo) == [], fixed.stderr


def test_console_script_in_the_scanned_repository_imports_nothing_of_it(
    hostile_repo: Path,
) -> None:
    script = shutil.which("kerasrnnlint")
    if script is None:
        pytest.skip("the kerasrnnlint console script is not installed")
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [script, "."], cwd=hostile_repo, capture_output=True, text=True, env=env, timeout=120
    )
    assert markers(hostile_repo) == [], proc.stderr
    assert "KRL001" in proc.stdout, proc.stdout + proc.stderr


def _message(payload: dict[str, object]) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_server_started_in_the_scanned_repository_imports_nothing_of_it(
    hostile_repo: Path,
) -> None:
    pytest.importorskip("pygls")
    uri = (hostile_repo / "model.py").as_uri()
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didOpen",
            "params": {
                "textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": RISKY}
            },
        },
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "kerasrnnlint", "server"],
        cwd=hostile_repo,
        input=b"".join(_message(m) for m in messages),
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert markers(hostile_repo) == [], proc.stderr.decode(errors="replace")
    assert b'"id": 1' in proc.stdout or b'"id":1' in proc.stdout, proc.stdout[:500]
