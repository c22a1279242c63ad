"""Which files a run lints: the paths on the command line, and what directories hold.

In directories: Python (``.py``, ``.pyi``), notebooks (``.ipynb``), model files (``.keras``,
``.h5``, ``.hdf5``, but not HDF5 files without a model config: data, weights) and ``.json`` files
that look like a Keras model config. A file named on the command line is linted whatever its
suffix. Excluded names and globs are not entered; a symlink that leads back into a directory being
walked is reported, not followed. The order is deterministic: command-line order, then sorted
names depth-first.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from kerasrnnlint.config import Settings
from kerasrnnlint.files import describe_os_error

SOURCE_SUFFIXES: frozenset[str] = frozenset({".py", ".pyi"})
NOTEBOOK_SUFFIXES: frozenset[str] = frozenset({".ipynb"})
MODEL_SUFFIXES: frozenset[str] = frozenset({".keras", ".h5", ".hdf5"})
HDF5_SUFFIXES: frozenset[str] = frozenset({".h5", ".hdf5"})
WALKED_SUFFIXES: frozenset[str] = SOURCE_SUFFIXES | NOTEBOOK_SUFFIXES | MODEL_SUFFIXES


@dataclass(frozen=True)
class Target:
    """A file to lint (``error`` None) or an input that cannot be (``error`` says why)."""

    path: str
    explicit: bool = False  # named on the command line
    error: str | None = None
    identity: tuple[int, int] | None = None  # (device, inode), to lint a file reached twice once
    note: str | None = None  # skipped (not an error), and why: said in a note


def suffix(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def _wanted_in_directory(path: str, name: str) -> bool | str:
    """Is a file found in a directory linted? A string: it is skipped, and that says why."""
    ext = suffix(name)
    if ext in WALKED_SUFFIXES - HDF5_SUFFIXES:
        return True
    if ext == ".json" or ext in HDF5_SUFFIXES:
        from pathlib import Path

        from kerasrnnlint.frontends import saved_model

        if ext in HDF5_SUFFIXES:  # data and weights-only files are not models: not walked into
            return saved_model.looks_like_model_h5(Path(path))
        try:
            return saved_model.sniff_model_json(Path(path))
        except Exception:  # a frontend bug must not stop the walk; the file is just not a model
            return False
    return False


def _join(directory: str, name: str) -> str:
    return name if directory in ("", ".") else os.path.join(directory, name)


def _is_virtualenv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def _walk(
    directory: str, settings: Settings, ancestors: tuple[tuple[int, int], ...]
) -> Iterator[Target]:
    try:
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as exc:
        yield Target(directory, error=f"cannot list directory: {describe_os_error(exc)}")
        return
    for entry in entries:
        path = _join(directory, entry.name)
        if settings.is_excluded(path):
            continue
        try:
            is_dir = entry.is_dir()  # follows symlinks
        except OSError as exc:
            yield Target(path, error=describe_os_error(exc))
            continue
        if is_dir:
            yield from _enter(path, settings, ancestors, entry.is_symlink())
            continue
        if suffix(entry.name) not in WALKED_SUFFIXES | {".json"}:
            continue
        try:
            info = entry.stat()  # follows symlinks
        except OSError as exc:
            # A dangling link or a link loop (a -> b -> a): "too many levels of symbolic links".
            cause = describe_os_error(exc)
            if entry.is_symlink():
                cause = f"broken symbolic link: {cause}"
            yield Target(path, error=cause)
            continue
        if not stat.S_ISREG(info.st_mode):
            yield Target(path, error="not a regular file (a FIFO, socket or device); skipped")
            continue
        # Sniffing opens the file: only now that it is known to be a regular one (and the open
        # checks that again on the descriptor, should it have been swapped for a FIFO since).
        wanted = _wanted_in_directory(path, entry.name)
        if isinstance(wanted, str):
            yield Target(path, note=wanted)
            continue
        if not wanted:
            continue
        yield Target(path, identity=(info.st_dev, info.st_ino))


def _enter(
    path: str, settings: Settings, ancestors: tuple[tuple[int, int], ...], via_link: bool
) -> Iterator[Target]:
    try:
        info = os.stat(path)
    except OSError as exc:
        yield Target(path, error=describe_os_error(exc))
        return
    key = (info.st_dev, info.st_ino)
    if key in ancestors:
        target = os.path.realpath(path)
        what = "symbolic link" if via_link else "directory"
        yield Target(
            path,
            error=f"symlink loop: {what} leads back to {target!r}, which is being walked; "
            "not followed",
        )
        return
    if _is_virtualenv(path):
        return
    yield from _walk(path, settings, (*ancestors, key))


def _excluded_anywhere(path: str, settings: Settings) -> bool:
    """Is ``path``, or a directory above it inside the project root, excluded?"""
    base = os.path.abspath(settings.root or os.getcwd())
    full = os.path.abspath(path)
    rel = os.path.relpath(full, base) if full.startswith(base + os.sep) else os.path.basename(full)
    current = base if full.startswith(base + os.sep) else os.path.dirname(full)
    for part in rel.split(os.sep):
        current = os.path.join(current, part)
        if settings.is_excluded(current):
            return True
    return False


def force_excluded(path: str, settings: Settings) -> bool:
    """With ``--force-exclude``: is a path named on the command line (or as
    ``--stdin-filename``) excluded, itself or through a directory above it?"""
    return settings.force_exclude and _excluded_anywhere(path, settings)


def discover(paths: Iterable[str], settings: Settings) -> list[Target]:
    """Every file to lint (and every input that cannot be), in a deterministic order.

    A file reachable twice (through a symlink) is linted once.
    """
    targets: list[Target] = []
    seen: set[object] = set()
    for raw in paths:
        path = os.path.normpath(raw) if raw not in ("", ".") else "."
        if force_excluded(path, settings):
            continue
        try:
            info = os.stat(path)
        except FileNotFoundError:
            if os.path.islink(path):
                targets.append(Target(path, True, "broken symbolic link (target does not exist)"))
            else:
                targets.append(Target(path, True, "no such file or directory"))
            continue
        except OSError as exc:
            targets.append(Target(path, True, describe_os_error(exc)))
            continue
        if stat.S_ISDIR(info.st_mode):
            found: Iterable[Target] = _enter(path, settings, (), os.path.islink(path))
        elif stat.S_ISREG(info.st_mode):
            found = [Target(path, explicit=True, identity=(info.st_dev, info.st_ino))]
        else:
            found = [Target(path, True, "not a regular file (a FIFO, socket or device); skipped")]
        for target in found:
            key: object = target.identity or target.path
            if key in seen:
                continue
            seen.add(key)
            targets.append(target)
    return targets
