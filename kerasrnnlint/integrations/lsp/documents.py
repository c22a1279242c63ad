"""What the server lints: documents as the client names them, their paths, their configuration.

- :func:`doc_key` is how a URI is looked up, whatever its escaping (``%20``, ``%C3%A9``, ``c%3A``):
  pygls stores documents under the unescaped URI; diagnostics go back under the client's spelling.
- A :class:`Target` is one lint: a text document, or a notebook whose Python code cells are linted
  together (as ``.ipynb`` files are), each cell a :class:`Part` with its own URI.
- :class:`ConfigCache` gives a document's settings and re-reads them when any ``pyproject.toml``
  from the document's directory up to the root changes identity (path, inode, mtime_ns, size), so
  a change is seen before the next lint without the client's file watching.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from kerasrnnlint import config
from kerasrnnlint.config import Settings

PYTHON_SUFFIXES = (".py", ".pyi", ".pyw")
SCHEMES = ("file", "untitled")


def doc_key(uri: str) -> str:
    """The key pygls stores a document under (the URI without percent-escapes)."""
    return unquote(uri)


def scheme(uri: str) -> str:
    head, colon, _ = uri.partition(":")
    return head.lower() if colon else ""


def lintable(uri: str, language_id: str | None) -> bool:
    """A Python buffer on disk or unsaved (not ``pyproject.toml``, not a ``git:`` diff view)."""
    if scheme(uri) not in SCHEMES:
        return False
    if language_id:
        return language_id.lower() == "python"
    return doc_key(uri).lower().endswith(PYTHON_SUFFIXES)


def untitled_path(uri: str, root: str | None) -> str:
    """Where an ``untitled:`` buffer is linted as: a file (that need not exist) in the workspace
    root, so the workspace's configuration applies."""
    name = doc_key(uri).split(":", 1)[1].replace("\\", "/").strip("/").rsplit("/", 1)[-1]
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "untitled"
    if not name.lower().endswith(PYTHON_SUFFIXES):
        name += ".py"
    return os.path.join(root or os.getcwd(), name)


@dataclass(frozen=True)
class Part:
    """One document the client shows diagnostics on: a text document or a notebook cell."""

    uri: str  # as the client spelled it
    text: str
    version: int | None
    cell: int | None = None  # the cell's number among all cells of the notebook (1-based)


@dataclass(frozen=True)
class Target:
    """What one lint covers: a text document, or a notebook and its Python code cells."""

    key: str  # doc_key of the document or of the notebook
    uri: str
    path: str  # the filesystem path it is linted as
    parts: tuple[Part, ...]
    notebook: bool = False

    def same_text(self, other: Target | None) -> bool:
        return (
            other is not None
            and len(self.parts) == len(other.parts)
            and all(
                a.uri == b.uri and a.text == b.text and a.cell == b.cell
                for a, b in zip(self.parts, other.parts, strict=True)
            )
        )


# --------------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------------

Identity = tuple[tuple[str, int, int, int], ...]


def config_identity(directory: Path) -> Identity:
    """Every ``pyproject.toml`` from ``directory`` up to the root as (path, inode, mtime, size):
    a change to any of them (edited, created, removed, gained a table) changes it."""
    found = []
    for candidate in (directory, *directory.parents):
        path = candidate / "pyproject.toml"
        try:
            st = os.stat(path)
        except FileNotFoundError:
            continue
        except OSError as exc:  # unreadable: its state is part of the identity too
            found.append((str(path), -1, -1, exc.errno or 0))
            continue
        found.append((str(path), st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(found)


def load_settings(document: Path) -> tuple[Settings, Path | None, str | None]:
    """The settings for a document: ``[tool.kerasrnnlint]`` of the nearest ``pyproject.toml``
    that has one (the CLI's loader), the file, and an error message when it cannot be used (then
    the defaults apply)."""
    try:
        found = config.find_config(document)
    except OSError as exc:
        return Settings(), None, f"cannot look for pyproject.toml: {exc}"
    if found is None:
        return Settings(), None, None
    try:
        return config.load_config(found), found, None
    except config.ConfigError as exc:  # a bad config must not stop the server: say so
        return Settings(), found, str(exc)
    except (OSError, ValueError, RecursionError) as exc:
        return Settings(), found, f"{found}: error: cannot read: {exc}"


@dataclass(frozen=True)
class Loaded:
    identity: Identity
    settings: Settings
    error: str | None


@dataclass
class ConfigCache:
    """Settings per directory, re-read when the configuration's identity changes."""

    entries: dict[Path, Loaded] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def settings_for(self, path: Path) -> tuple[Settings, str | None, bool]:
        """The settings, an error message, and whether they were re-read after a change."""
        directory = Path(os.path.abspath(path)).parent
        identity = config_identity(directory)
        with self.lock:
            cached = self.entries.get(directory)
        if cached is not None and cached.identity == identity:
            return cached.settings, cached.error, False
        settings, _, error = load_settings(path)
        with self.lock:
            self.entries[directory] = Loaded(identity, settings, error)
        return settings, error, cached is not None

    def identity_changed(self, path: Path) -> bool:
        directory = Path(os.path.abspath(path)).parent
        with self.lock:
            cached = self.entries.get(directory)
        return cached is None or cached.identity != config_identity(directory)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
