"""The pre-commit hooks (``.pre-commit-hooks.yaml``), run by the real ``pre-commit`` in fresh git
repositories: a staged risky file fails the commit with the finding in the output, a clean one
passes, ``# noqa`` and the repository's ``[tool.kerasrnnlint]`` are respected, notebooks are
checked.

The checkout, uncommitted changes included, is snapshotted into a git repository at a fixed commit
(module fixture). pre-commit builds its own virtualenv and pip-installs that snapshot into it
(libcst and rich come from PyPI). ``pre-commit try-repo`` always builds in a throw-away store, so it
runs once (``test_try_repo``); the other cases run ``pre-commit run`` with a
``.pre-commit-config.yaml`` naming the snapshot and its commit, as a user's config names this
repository, sharing one ``PRE_COMMIT_HOME`` and so one environment build. ``PRE_COMMIT_HOME`` is a
temporary directory: the user's pre-commit cache is never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TRAIN_NOTEBOOK = REPO / "fixtures" / "notebooks" / "train.ipynb"

RISKY = 'from keras.layers import LSTM\n\nlayer = LSTM(8, activation="relu")\n'
CLEAN = "from keras.layers import LSTM\n\nlayer = LSTM(8)\n"

pytestmark = pytest.mark.slow  # the first test builds pre-commit's environment (pip, ~30-60 s)


@dataclass(frozen=True)
class HookRepo:
    path: Path
    rev: str
    env: dict[str, str]


def git(*args: str, cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> HookRepo:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")),
        PRE_COMMIT_COLOR="never",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        GIT_AUTHOR_NAME="kerasrnnlint tests",
        GIT_AUTHOR_EMAIL="tests@example.invalid",
        GIT_COMMITTER_NAME="kerasrnnlint tests",
        GIT_COMMITTER_EMAIL="tests@example.invalid",
        GIT_CONFIG_NOSYSTEM="1",
    )
    snapshot = tmp_path_factory.mktemp("kerasrnnlint-hook-repo")
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO, env=env)
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file() and not source.is_symlink():
            target = snapshot / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git("init", "-q", cwd=snapshot, env=env)
    git("add", "-A", cwd=snapshot, env=env)
    git("commit", "-q", "--no-verify", "-m", "snapshot of the checkout", cwd=snapshot, env=env)
    return HookRepo(snapshot, git("rev-parse", "HEAD", cwd=snapshot, env=env), env)


def project(tmp_path: Path, hook_repo: HookRepo, files: dict[str, str | bytes]) -> Path:
    """A fresh git repository with ``files`` written and staged."""
    root = tmp_path / "project"
    root.mkdir()
    git("init", "-q", cwd=root, env=hook_repo.env)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    git("add", "-A", cwd=root, env=hook_repo.env)
    return root


def try_repo(root: Path, hook_repo: HookRepo) -> subprocess.CompletedProcess[str]:
    """``pre-commit try-repo`` on the staged files, as a commit would run the hook."""
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo.path), "kerasrnnlint"]
    env = {**hook_repo.env, "PRE_COMMIT_HOME": str(root.parent / "try-repo-home")}
    return subprocess.run(
        [*command, "--ref", hook_repo.rev, "--color", "never"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def run_hook(
    root: Path, hook_repo: HookRepo, hook: str = "kerasrnnlint"
) -> subprocess.CompletedProcess[str]:
    """``pre-commit run HOOK`` on the staged files, with a config naming the snapshot."""
    config = {
        "repos": [{"repo": str(hook_repo.path), "rev": hook_repo.rev, "hooks": [{"id": hook}]}]
    }
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", hook, "--color", "never"],
        cwd=root,
        env=hook_repo.env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_manifest_declares_both_hooks() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"kerasrnnlint", "kerasrnnlint-fix"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "pyi", "jupyter"]
        assert hook["require_serial"] is True
    assert hooks["kerasrnnlint"]["entry"] == "kerasrnnlint --force-exclude"
    assert hooks["kerasrnnlint-fix"]["entry"] == "kerasrnnlint --fix --force-exclude"


def test_try_repo(tmp_path: Path, hook_repo: HookRepo) -> None:
    files: dict[str, str | bytes] = {
        "src/model.py": RISKY,
        "src/quiet.py": RISKY.replace('"relu")', '"relu")  # noqa'),
        "src/clean.py": CLEAN,
        "README.md": 'LSTM(8, activation="relu")\n',
    }
    proc = try_repo(project(tmp_path, hook_repo, files), hook_repo)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "kerasrnnlint" in output and "Failed" in output
    assert "src/model.py:3:" in output and "KRL001" in output
    assert "quiet.py" not in output and "clean.py" not in output
    assert "README.md" not in output  # not a Python file: not passed to the hook


def test_fails_on_a_staged_risky_file(tmp_path: Path, hook_repo: HookRepo) -> None:
    root = project(tmp_path, hook_repo, {"src/model.py": RISKY})
    proc = run_hook(root, hook_repo)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "src/model.py:3:" in output and "KRL001" in output


def test_passes_on_a_clean_file(tmp_path: Path, hook_repo: HookRepo) -> None:
    proc = run_hook(project(tmp_path, hook_repo, {"model.py": CLEAN}), hook_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout


def test_respects_noqa(tmp_path: Path, hook_repo: HookRepo) -> None:
    text = RISKY.replace('"relu")', '"relu")  # noqa: KRL001')
    proc = run_hook(project(tmp_path, hook_repo, {"model.py": text}), hook_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_respects_the_repositorys_pyproject(tmp_path: Path, hook_repo: HookRepo) -> None:
    pyproject = '[tool.kerasrnnlint]\nignore = ["KRL001"]\n'
    files: dict[str, str | bytes] = {"pyproject.toml": pyproject, "pkg/model.py": RISKY}
    proc = run_hook(project(tmp_path, hook_repo, files), hook_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_skips_files_the_repositorys_pyproject_excludes(
    tmp_path: Path, hook_repo: HookRepo
) -> None:
    # pre-commit names every staged file; an excluded one must stay unchecked, as with ruff's hook.
    pyproject = '[tool.kerasrnnlint]\nextend-exclude = ["legacy"]\n'
    files: dict[str, str | bytes] = {
        "pyproject.toml": pyproject,
        "legacy/old.py": RISKY,
        "src/model.py": RISKY,
    }
    proc = run_hook(project(tmp_path, hook_repo, files), hook_repo)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "src/model.py:3:" in output
    assert "legacy/old.py" not in output


def test_checks_staged_notebooks(tmp_path: Path, hook_repo: HookRepo) -> None:
    files: dict[str, str | bytes] = {"notebooks/train.ipynb": TRAIN_NOTEBOOK.read_bytes()}
    proc = run_hook(project(tmp_path, hook_repo, files), hook_repo)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "notebooks/train.ipynb:cell 4:4:36: KRL001" in output


def test_fix_hook_reports_what_remains(tmp_path: Path, hook_repo: HookRepo) -> None:
    # activation='tanh' changes the model: an unsafe fix, which --fix alone does not apply.
    root = project(tmp_path, hook_repo, {"model.py": RISKY})
    proc = run_hook(root, hook_repo, "kerasrnnlint-fix")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "KRL001" in output
    assert (root / "model.py").read_text(encoding="utf-8") == RISKY
