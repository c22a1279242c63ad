"""File names from the scanned repository cannot inject into the report: terminal escapes and
newlines are printed escaped in every text format, and a name that is not UTF-8 is reported like
any other (SARIF percent-encodes its bytes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

RISKY = b'from keras.layers import LSTM\n\nlayer = LSTM(64, activation="relu")\n'
EVIL = "evil\x1b]0;owned\x07\x1b[2J\nfake.py:1:1: KRL001 [high] forged\r.py"


def run_bytes(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    # Strict UTF-8 on stdout, as under a UTF-8 locale (the C locale would be lenient).
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "kerasrnnlint", *args],
        cwd=cwd,
        capture_output=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def evil_project(tmp_path: Path) -> Path:
    (tmp_path / EVIL).write_bytes(RISKY)
    (tmp_path / "bad.json").write_bytes(b'{"class_name": "Sequential", "config": {"layers": 1}}')
    (tmp_path / (EVIL + ".ipynb")).write_bytes(b"{not json")
    return tmp_path


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_escapes_and_newlines_in_file_names_are_printed_escaped(
    evil_project: Path, fmt: str
) -> None:
    for extra in ([], ["--fix", "--diff"], ["--color", "always"]):
        proc = run_bytes(evil_project, ".", "--output-format", fmt, *extra)
        output = proc.stdout + proc.stderr
        assert b"\x1b]" not in output and b"\x1b[2J" not in output and b"\x07" not in output
        assert b"\r" not in output
        lines = output.decode().splitlines()
        assert not any(line.startswith("fake.py") for line in lines), output
        if fmt == "github" and not extra:
            assert all(line.startswith("::") for line in proc.stdout.decode().splitlines())
        assert "\\x1b]0;owned\\x07" in output.decode()


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse such names")
@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "junit"])
def test_file_name_that_is_not_utf8_is_reported(tmp_path: Path, fmt: str) -> None:
    os.mkdir(os.path.join(os.fsencode(tmp_path), b"caf\xe9"))
    os.close(os.open(os.path.join(os.fsencode(tmp_path), b"caf\xe9", b"m\xff.py"), os.O_CREAT))
    Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), b"caf\xe9", b"m\xff.py"))).write_bytes(
        RISKY
    )
    proc = run_bytes(tmp_path, ".", "--output-format", fmt)
    assert b"internal error" not in proc.stderr and b"Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stderr
    if fmt == "sarif":
        log = json.loads(proc.stdout)
        (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "KRL001"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri == "caf%E9/m%FF.py"
    if fmt in ("text", "github"):
        assert b"caf\\xe9/m\\xff.py" in proc.stdout, proc.stdout
    if fmt == "json":  # the name's escape reads back as the very bytes of the name
        names = {os.fsencode(item["filename"]) for item in json.loads(proc.stdout)}
        assert names == {b"caf\xe9/m\xff.py"}
    written = run_bytes(tmp_path, ".", "--output-format", fmt, "--output-file", "report")
    assert b"internal error" not in written.stderr, written.stderr
    assert written.returncode == 1 and (tmp_path / "report").stat().st_size > 0
