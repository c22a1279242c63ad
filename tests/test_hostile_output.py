"""``--output-file`` never replaces what it should write into, nor an input.

A regular file is replaced atomically; anything else (a device, a FIFO, ``/dev/stdout``) is
written in place; a symbolic link is followed to its target and stays a link.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from helpers import ROOT, run_cli

RISKY = 'from keras.layers import LSTM\n\nlayer = LSTM(64, activation="relu")\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "model.py").write_text(RISKY, encoding="utf-8")
    return tmp_path


def test_report_through_a_link_to_dev_stdout_goes_to_stdout(project: Path) -> None:
    (project / "out").symlink_to("/dev/stdout")
    proc = run_cli("model.py", "--output-format", "json", "--output-file", "out", cwd=project)
    assert '"code": "KRL001"' in proc.stdout, proc.stdout + proc.stderr
    assert (project / "out").is_symlink()


def test_report_to_a_character_device_is_written_into_it(project: Path) -> None:
    (project / "null").symlink_to(os.devnull)
    proc = run_cli("model.py", "--output-file", "null", cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert (project / "null").is_symlink()
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_report_to_a_fifo_is_written_into_it(project: Path) -> None:
    fifo = project / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "kerasrnnlint", "model.py", "--output-file", "pipe"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    reader.join(30)
    assert received and "model.py:3:" in received[0], proc.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still the FIFO, not a regular file


def test_report_through_a_link_to_a_regular_file_replaces_the_target(project: Path) -> None:
    (project / "reports").mkdir()
    target = project / "reports" / "lint.txt"
    target.write_text("old\n")
    (project / "latest.txt").symlink_to("reports/lint.txt")
    proc = run_cli("model.py", "--output-file", "latest.txt", cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert (project / "latest.txt").is_symlink()
    assert "model.py:3:" in target.read_text()


@pytest.mark.parametrize("named", ["model.py", "."])
def test_output_file_that_is_an_input_is_refused(project: Path, named: str) -> None:
    proc = run_cli(named, "--fix", "--unsafe-fixes", "--output-file", "model.py", cwd=project)
    assert proc.returncode == 2
    assert "--output-file model.py is one of the inputs" in proc.stderr, proc.stderr
    assert (project / "model.py").read_text(encoding="utf-8") == RISKY  # not fixed, not replaced
    piped = run_cli(
        "-", "--stdin-filename", "model.py", "--output-file", "model.py", cwd=project, stdin=RISKY
    )
    assert piped.returncode == 2
    assert (project / "model.py").read_text(encoding="utf-8") == RISKY
