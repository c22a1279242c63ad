"""A lint run without an optional package (h5py) still checks everything else.

h5py is made unimportable in the child process (``sys.modules["h5py"] = None``), which is what a
machine without it looks like to ``import h5py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

RUN_WITHOUT_H5PY = (
    "import sys; sys.modules['h5py'] = None; "
    "from kerasrnnlint.cli import main; raise SystemExit(main(sys.argv[1:]))"
)


def run_without_h5py(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUN_WITHOUT_H5PY, "--isolated", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def make_project(tmp_path: Path) -> Path:
    shutil.copy(FIXTURES / "models" / "classic.h5", tmp_path / "classic.h5")
    (tmp_path / "model.py").write_text(
        "from keras.layers import LSTM\nlayer = LSTM(8, activation='relu')\n", encoding="utf-8"
    )
    return tmp_path


def test_a_walked_h5_file_is_a_note_and_the_rest_is_checked(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    proc = run_without_h5py(".", cwd=project)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the finding, not an input error
    assert "model.py:2" in proc.stdout and "KRL001" in proc.stdout
    assert "classic.h5: note: not checked: reading .h5 model files needs h5py" in proc.stderr
    assert ": error:" not in proc.stdout + proc.stderr


def test_a_named_h5_file_is_an_error(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    proc = run_without_h5py("classic.h5", "model.py", cwd=project)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "classic.h5: error: reading .h5 model files needs h5py" in proc.stderr
    assert "KRL001" in proc.stdout  # the other input is still reported
    assert "Traceback" not in proc.stderr
