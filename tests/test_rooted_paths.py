"""Paths rooted at the repository, whatever directory the job runs in (kerasrnnlint.roots): the
``--diff`` headers that ``git apply`` takes, and how the root is found."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import run_cli

from kerasrnnlint.roots import display_path, git_top_level, project_root, rooted

RISKY = "from keras.layers import LSTM\n\nlayer = LSTM(8, activation='relu')\n"


def git(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "repo"
    root.mkdir()
    assert git("init", "-q", cwd=root).returncode == 0
    return root


def test_diff_from_a_subdirectory_applies_with_git_apply(repo: Path) -> None:
    job = repo / "services" / "train"
    (job / "pkg").mkdir(parents=True)
    (job / "pkg" / "model.py").write_text(RISKY, encoding="utf-8")
    (job / "pkg" / "other model.py").write_text(RISKY, encoding="utf-8")
    done = run_cli("--diff", "--unsafe-fixes", "--isolated", "pkg", cwd=job)
    assert done.returncode == 1, done.stderr
    assert "--- a/services/train/pkg/model.py\n+++ b/services/train/pkg/model.py\n" in done.stdout
    for where in (job, repo, job / "pkg"):
        proc = subprocess.run(
            ["git", "apply", "--check", "--verbose"],
            cwd=where,
            input=done.stdout,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, (where, proc.stderr)
        if where != job / "pkg":  # git apply in a subdirectory skips files outside it
            assert "services/train/pkg/model.py" in proc.stderr
    proc = subprocess.run(["git", "apply"], cwd=job, input=done.stdout, text=True)
    assert proc.returncode == 0
    assert "activation='tanh'" in (job / "pkg" / "model.py").read_text(encoding="utf-8")
    assert "activation='tanh'" in (job / "pkg" / "other model.py").read_text(encoding="utf-8")


def test_project_root_overrides_the_diff_headers(repo: Path) -> None:
    (repo / "ml").mkdir()
    (repo / "ml" / "model.py").write_text(RISKY, encoding="utf-8")
    done = run_cli(
        "--diff", "--unsafe-fixes", "--isolated", "--project-root", "ml", "ml/model.py", cwd=repo
    )
    assert done.stdout.startswith("--- a/model.py\n+++ b/model.py\n")
    bad = run_cli("--project-root", "missing", "ml/model.py", cwd=repo)
    assert bad.returncode == 2 and "--project-root missing: not a directory" in bad.stderr


def test_root_is_the_git_top_level_else_the_configuration_directory(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.kerasrnnlint]\n", encoding="utf-8")
    start = project / "src"
    if git_top_level(start) is not None:
        pytest.skip("the temporary directory is inside a git repository")
    assert project_root(start, str(project)) == project
    assert project_root(start, None, override=str(start)) == start
    (project / ".git").write_text("gitdir: elsewhere\n", encoding="utf-8")  # a worktree's .git
    (start / "pyproject.toml").write_text("[tool.kerasrnnlint]\n", encoding="utf-8")
    assert project_root(start, str(start)) == project


def test_rooted_and_display_paths(tmp_path: Path) -> None:
    inside = tmp_path / "a" / "b.py"
    assert rooted(str(inside), tmp_path) == "a/b.py"
    assert rooted(str(tmp_path.parent / "x.py"), tmp_path) is None
    assert display_path(str(tmp_path.parent / "x.py"), tmp_path) == str(tmp_path.parent / "x.py")
    assert display_path("<model encoder>", tmp_path) == "<model encoder>"
