"""The repository root that reports name files from.

CI systems place a finding by its path *in the repository*, whatever directory the job ran in:
GitHub code scanning reads SARIF uris against the checkout (``%SRCROOT%``), GitHub annotations,
GitLab Code Quality and JUnit readers want repository paths, and ``git apply`` wants ``a/…``/``b/…``
headers relative to the top level. So every reporter that writes a path for a machine, and the
``--diff`` headers, name files relative to one root:

1. ``--project-root DIR`` when given;
2. else the git top level: the nearest directory upward of the first linted path (or of the working
   directory) that holds a ``.git`` entry (a directory, or the file of a worktree or submodule);
   found without running git;
3. else the directory of the configuration file (``Settings.root``);
4. else the working directory.

A file outside the root keeps an absolute path (SARIF: a ``file:`` uri). This is not the "project"
of cross-module analysis (which modules import which); it only decides how paths are written.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath


def git_top_level(start: Path) -> Path | None:
    """The nearest directory upward of ``start`` that has a ``.git`` entry, or None. A directory
    that cannot be searched (no permission) counts as having none (``os.path`` never raises)."""
    directory = Path(os.path.abspath(start))
    if not os.path.isdir(directory):
        directory = directory.parent
    for candidate in (directory, *directory.parents):
        if os.path.lexists(candidate / ".git"):
            return candidate
    return None


def project_root(
    start: Path | None = None, config_root: str | None = None, override: str | None = None
) -> Path:
    """The root that report paths are relative to (see the module docstring), absolute."""
    if override is not None:
        return Path(os.path.abspath(override))
    top = git_top_level(start if start is not None else Path.cwd())
    if top is not None:
        return top
    if config_root is not None:
        return Path(os.path.abspath(config_root))
    return Path(os.path.abspath(os.getcwd()))


def is_pseudo(path: str) -> bool:
    """Names that are not files: ``-``, ``<stdin>``, ``<model NAME>`` (a live model)."""
    return path == "-" or path.startswith("<")


def rooted(path: str, root: Path | str | None = None) -> str | None:
    """``path`` relative to ``root`` (default: the working directory) with ``/`` separators, or
    None when it is outside the root. Symbolic links are not resolved unless that is what puts the
    path under the root (``/tmp`` vs ``/private/tmp``)."""
    if is_pseudo(path):
        return path
    base = os.path.abspath(root if root is not None else os.getcwd())
    full = os.path.abspath(path)
    for left, right in ((full, base), (os.path.realpath(full), os.path.realpath(base))):
        try:
            rel = os.path.relpath(left, right)
        except ValueError:  # another drive on Windows
            continue
        if rel != os.pardir and not rel.startswith(os.pardir + os.sep):
            return PurePath(rel).as_posix()
    return None


def display_path(path: str, root: Path | str | None = None) -> str:
    """``path`` as a machine-read report writes it: relative to the root, else absolute (posix)."""
    rel = rooted(path, root)
    if is_pseudo(path):
        return path
    return rel if rel is not None else PurePath(os.path.abspath(path)).as_posix()
