"""``--fix`` rewrites a file's text and nothing else about it: symbolic and hard links, owner,
group, mode and line endings stay; a read-only file is refused; a file that changed since it was
linted gets the edit at the call it is meant for."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from helpers import run_cli

from kerasrnnlint.config import Settings
from kerasrnnlint.fixes import FixOptions, apply_fixes
from kerasrnnlint.runner import lint_file

RISKY = 'from keras.layers import LSTM\n\nlayer = LSTM(64, activation="relu")\n'
FIXED = RISKY.replace('"relu"', '"tanh"')


def fix(cwd: Path, *paths: str) -> object:
    return run_cli("--fix", "--unsafe-fixes", "--isolated", *paths, cwd=cwd)


def test_fix_through_a_symbolic_link_fixes_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "real.py").write_text(RISKY, encoding="utf-8")
    (tmp_path / "link.py").symlink_to("real.py")
    fix(tmp_path, "link.py")
    assert (tmp_path / "link.py").is_symlink()
    assert (tmp_path / "real.py").read_text(encoding="utf-8") == FIXED


def test_fix_keeps_hard_links(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(RISKY, encoding="utf-8")
    os.link(tmp_path / "a.py", tmp_path / "b.py")
    fix(tmp_path, "a.py")
    assert (tmp_path / "b.py").read_text(encoding="utf-8") == FIXED
    assert os.stat(tmp_path / "a.py").st_ino == os.stat(tmp_path / "b.py").st_ino
    assert os.stat(tmp_path / "a.py").st_nlink == 2


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_fix_run_by_root_keeps_owner_group_and_setuid_mode(tmp_path: Path) -> None:
    path = tmp_path / "tool.py"
    path.write_text(RISKY, encoding="utf-8")
    os.chown(path, 12345, 23456)
    path.chmod(0o4755)  # after chown, which clears setuid
    fix(tmp_path, "tool.py")
    info = os.stat(path)
    assert path.read_text(encoding="utf-8") == FIXED
    assert (info.st_uid, info.st_gid) == (12345, 23456)  # not root: no setuid-root file made
    assert stat.S_IMODE(info.st_mode) == 0o4755


def test_fix_refuses_a_read_only_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.py"
    path.write_text(RISKY, encoding="utf-8")
    path.chmod(0o444)
    proc = fix(tmp_path, "locked.py")
    assert path.read_text(encoding="utf-8") == RISKY
    assert "locked.py: not written: Permission denied" in proc.stderr, proc.stderr  # type: ignore[attr-defined]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"], ids=["cr", "crlf", "lf"])
def test_fix_keeps_every_line_ending(tmp_path: Path, ending: str) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(RISKY.replace("\n", ending).encode())
    fix(tmp_path, "m.py")
    assert path.read_bytes() == FIXED.replace("\n", ending).encode()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python compiles 3.12 syntax")
def test_fix_on_syntax_newer_than_this_python_blames_the_file_not_the_fix(
    tmp_path: Path,
) -> None:
    source = RISKY + "type Alias = int\n"  # PEP 695: libcst reads it, Python 3.11 does not
    (tmp_path / "new.py").write_text(source, encoding="utf-8")
    proc = fix(tmp_path, "new.py")
    err = proc.stderr  # type: ignore[attr-defined]
    assert "new.py: not written: the file itself does not compile with the running Python" in err
    assert "the fixed source would not compile" not in err
    assert (tmp_path / "new.py").read_text(encoding="utf-8") == source


def test_file_changed_since_the_lint_gets_the_edit_at_the_right_call(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(RISKY, encoding="utf-8")
    settings = Settings(select=frozenset({"KRL001"}))
    stale = [lint_file(str(path), settings)]
    # Edited between the lint and the fix: another call now sits at the finding's span.
    changed = (
        "from keras.layers import LSTM\n\nlayer = print(64, activation='relu')\n"
        "other = LSTM(32, activation='relu')\n"
    )
    path.write_text(changed, encoding="utf-8")
    apply_fixes(stale, settings, FixOptions(unsafe=True))
    assert path.read_text(encoding="utf-8") == changed.replace(
        "LSTM(32, activation='relu')", "LSTM(32, activation='tanh')"
    )


def test_notebook_fix_through_a_link_keeps_the_link_and_refuses_read_only(tmp_path: Path) -> None:
    import json

    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": RISKY}
    text = json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    (tmp_path / "real.ipynb").write_text(text, encoding="utf-8")
    (tmp_path / "link.ipynb").symlink_to("real.ipynb")
    fix(tmp_path, "link.ipynb")
    assert (tmp_path / "link.ipynb").is_symlink()
    fixed = json.loads((tmp_path / "real.ipynb").read_text(encoding="utf-8"))
    assert fixed["cells"][0]["source"] == FIXED
    (tmp_path / "locked.ipynb").write_text(text, encoding="utf-8")
    (tmp_path / "locked.ipynb").chmod(0o444)
    proc = fix(tmp_path, "locked.ipynb")
    assert "locked.ipynb: not written: Permission denied" in proc.stderr  # type: ignore[attr-defined]
    assert (tmp_path / "locked.ipynb").read_text(encoding="utf-8") == text
