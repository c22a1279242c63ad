"""The distributions: ``python -m build`` gives a wheel and an sdist that pass ``twine check`` and
hold what they should, and the wheel installed into a fresh virtual environment (no editable
install, no source tree on the path) lints ``fixtures/`` as the checkout does.

The virtual environment has no system site packages; kerasrnnlint's own dependencies (libcst,
rich and theirs) are linked into it from the running interpreter's, so the test needs no network
and never sees the editable install of a checkout.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from helpers import run_cli
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # builds the distributions (about 10 s)
IGNORED = shutil.ignore_patterns(
    ".git", "__pycache__", "*.egg-info", "build", "dist", ".venv", "venv", "corpus", ".*_cache"
)


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and the wheel, built from a copy of the checkout (the tree is not written to)."""
    src = tmp_path_factory.mktemp("src") / "kerasrnnlint"
    shutil.copytree(REPO, src, ignore=IGNORED)
    out = tmp_path_factory.mktemp("dist")
    if importlib.util.find_spec("build") is not None:
        # As a user runs it, without downloading setuptools again (-n) whatever its version (-x).
        commands = [[sys.executable, "-m", "build", "-n", "-x", "--outdir", str(out), str(src)]]
    else:  # the PEP 517 hooks that `python -m build --no-isolation` calls, one process each
        hook = "import sys; from setuptools import build_meta; build_meta.{}(sys.argv[1])"
        commands = [
            [sys.executable, "-c", hook.format(name), str(out)]
            for name in ("build_sdist", "build_wheel")
        ]
    for command in commands:
        proc = subprocess.run(command, cwd=src, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    (sdist,) = out.glob("kerasrnnlint-*.tar.gz")
    (wheel,) = out.glob("kerasrnnlint-*-py3-none-any.whl")
    return {"sdist": sdist, "wheel": wheel}


def test_twine_check_passes(dists: dict[str, Path]) -> None:
    if importlib.util.find_spec("twine") is None:
        pytest.skip("twine is not installed (it is in the test extra)")
    proc = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dists.values())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASSED") == 2


def test_sdist_holds_the_project_and_what_its_tests_need(dists: dict[str, Path]) -> None:
    with tarfile.open(dists["sdist"]) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    for wanted in (
        "README.md",
        "LICENSE",
        "pyproject.toml",
        "action.yml",
        ".pre-commit-hooks.yaml",
        "kerasrnnlint/rules/krl001_unbounded_activation.py",
        "kerasrnnlint/reporters/fingerprints.py",
        "tests/helpers.py",
        "tests/data/sarif-schema-2.1.0.json",
        "fixtures/notebooks/train.ipynb",
        "fixtures/models/classic.keras",
        "docs/rules/KRL001.md",
        "docs/generate_rule_pages.py",
    ):
        assert wanted in names, wanted
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_wheel_holds_the_package_and_its_metadata(dists: dict[str, Path]) -> None:
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = set(wheel.namelist())
        (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        text = wheel.read(meta).decode("utf-8")
    assert "kerasrnnlint/reporters/sarif.py" in names and "kerasrnnlint/links.py" in names
    assert any(n.endswith(".dist-info/entry_points.txt") for n in names)
    assert any(re.search(r"\.dist-info/(licenses/)?LICENSE$", n) for n in names)
    assert not [n for n in names if n.startswith(("tests/", "fixtures/", "docs/"))]
    assert "Description-Content-Type: text/markdown" in text
    assert "Provides-Extra: h5" in text and "Requires-Dist: libcst" in text


def _requirements(dist: metadata.Distribution, extras: tuple[str, ...] = ("",)) -> list[str]:
    found = []
    for line in dist.requires or []:
        req = Requirement(line)
        if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in extras):
            found.append(req.name)
    return found


def link_dependencies(requirements: list[str], target: Path) -> None:
    """Link the installed distributions named (and theirs) into ``target``: their packages,
    modules and ``.dist-info`` folders, nothing else of the environment."""
    target.mkdir(parents=True, exist_ok=True)
    todo, seen = list(requirements), set()
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen.add(key)
        dist = metadata.distribution(name)
        site = Path(str(dist.locate_file("")))
        for top in {Path(str(f)).parts[0] for f in dist.files or ()}:
            if top in ("..", "__pycache__") or top.endswith(".pth"):
                continue
            if (site / top).exists() and not (target / top).exists():
                (target / top).symlink_to(site / top)
        todo += _requirements(dist)


def test_the_wheel_runs_in_a_fresh_virtual_environment(
    dists: dict[str, Path], tmp_path: Path
) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False, symlinks=os.name != "nt")
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        (meta,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        requires = [
            line.split(":", 1)[1].strip()
            for line in wheel.read(meta).decode("utf-8").splitlines()
            if line.startswith("Requires-Dist:")
        ]
    needed = [
        Requirement(r).name
        for r in requires
        if Requirement(r).marker is None or Requirement(r).marker.evaluate({"extra": ""})  # type: ignore[union-attr]
    ]
    link_dependencies(needed, tmp_path / "deps")
    (Path(site) / "kerasrnnlint_test_deps.pth").write_text(str(tmp_path / "deps") + "\n")
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            str(dists["wheel"]),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    work = tmp_path / "work"  # no source tree in the working directory either
    work.mkdir()
    where = subprocess.run(
        [python, "-c", "import kerasrnnlint; print(kerasrnnlint.__file__)"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()
    assert Path(where).resolve().is_relative_to(env_dir.resolve()), where
    script = env_dir / ("Scripts/kerasrnnlint.exe" if os.name == "nt" else "bin/kerasrnnlint")
    flags = ("--isolated", "--extend-exclude", "*.h5", "--output-format", "json")
    proc = subprocess.run(
        [script, *flags, str(REPO / "fixtures")],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr  # the fixtures have findings
    installed = json.loads(proc.stdout)
    checkout = json.loads(run_cli(*flags, REPO / "fixtures", cwd=work).stdout)
    assert len(installed) > 20
    assert installed == checkout


def test_the_sdist_runs_its_own_tests(dists: dict[str, Path], tmp_path: Path) -> None:
    # What a distribution packager does: unpack the sdist, test it against its own sources.
    with tarfile.open(dists["sdist"]) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(tmp_path, filter="data")
        else:  # Python before 3.10.12 / 3.11.4
            tar.extractall(tmp_path)  # our own archive
    (unpacked,) = tmp_path.glob("kerasrnnlint-*")
    env = {**os.environ, "PYTHONPATH": str(unpacked)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_rule_pages.py",
            "tests/test_sarif.py",
            "-k",
            "codeql or stale or page",
        ],
        cwd=unpacked,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout and "error" not in proc.stdout.lower()
    where = subprocess.run(
        [sys.executable, "-c", "import kerasrnnlint; print(kerasrnnlint.__file__)"],
        cwd=unpacked,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert Path(where.strip()).resolve().is_relative_to(unpacked.resolve())
