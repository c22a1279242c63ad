"""The on-disk cache of module summaries: ``.kerasrnnlint_cache/`` at the project root.

One file per summary, named by a hash of (tool version, summary format, module name, the module's
bytes): a changed file gets a new key, so an entry is never stale, only unused. Entries are
written to a temporary file and renamed into place (two runs sharing the cache never see half an
entry); an entry that does not read back as a summary with its own key (corrupt, truncated, written
by another tool) is ignored and rebuilt. The directory holds a ``.gitignore`` of ``*`` so it is
never committed, and is pruned, oldest first, when it holds more than :data:`MAX_ENTRIES`.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kerasrnnlint.frontends.source.summary import ModuleSummary

# :mod:`.summary` and hashlib are imported when an entry is first read or written (see
# :mod:`.project`: a one-file run over a file that imports nothing of its project needs neither).

DIRECTORY = ".kerasrnnlint_cache"
# The format of a module summary (:mod:`.summary`); part of every entry's key with the tool's
# version. Kept here, not in :mod:`.summary`: the key of the word index is computed on every run
# that checks a result-cache entry, and importing the summaries would import libcst there.
SUMMARY_FORMAT = 5
MAX_ENTRIES = 20_000
PRUNE_AFTER = 16  # entries written by one process before it surely looks at the bound
MAX_ENTRY_BYTES = 4_000_000
MAX_INDEX_BYTES = 256_000_000  # the word index of a project of many files


def _version() -> str:
    from kerasrnnlint import __version__

    return __version__


def read_entry(path: Path, limit: int = MAX_ENTRY_BYTES) -> str | None:
    """The text of a cache file, or None: missing, not a regular file (a FIFO is refused without
    blocking, as every input is: :func:`kerasrnnlint.files.read_bytes`), over ``limit`` bytes or
    not UTF-8."""
    from kerasrnnlint.files import Unreadable, read_bytes

    data = read_bytes(str(path), limit)
    if isinstance(data, Unreadable):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_keyed(path: Path, entry: str, limit: int = MAX_ENTRY_BYTES) -> dict[str, Any] | None:
    """The JSON object of a cache file written under the key ``entry`` (its ``"key"`` member), or
    None: unreadable as :func:`read_entry` says, not JSON, not an object, or another key (a
    foreign, stale or colliding entry is never trusted)."""
    text = read_entry(path, limit)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("key") != entry:
        return None
    return data


def write_entry(directory: Path, target: Path, text: str) -> None:
    """Write ``text`` to ``target`` through a temporary file in ``directory`` renamed into place
    (a concurrent reader sees the old entry or the new one, never half of one); failures are
    silent: a cache that cannot be written is only slower."""
    try:
        fd, temp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=directory)
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, target)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def key(module: str, data: bytes) -> str:
    import hashlib

    digest = hashlib.sha256()
    digest.update(f"kerasrnnlint {_version()} summary {SUMMARY_FORMAT} {module}\0".encode())
    digest.update(data)
    return digest.hexdigest()


# Per cache directory, in this process: entries written, and how many when it was last listed
# for pruning.
_written: dict[Path, int] = {}
_pruned_at: dict[Path, int] = {}


class SummaryCache:
    """Summaries on disk under ``root/.kerasrnnlint_cache/summaries``; every failure to read or
    write is silent (the summary is then computed, and the run goes on)."""

    def __init__(self, root: Path) -> None:
        self.base = root / DIRECTORY
        self.directory = self.base / "summaries"
        self._ready = False

    def _path(self, entry: str) -> Path:
        return self.directory / f"{entry}.json"

    def get(self, entry: str) -> ModuleSummary | None:
        from kerasrnnlint.frontends.source import summary

        data = read_keyed(self._path(entry), entry)
        if data is None:
            return None
        try:
            return summary.loads(data["summary"])
        except (ValueError, KeyError, TypeError, IndexError, RecursionError):
            return None

    def put(self, entry: str, value: ModuleSummary) -> None:
        from kerasrnnlint.frontends.source import summary

        text = json.dumps({"key": entry, "summary": summary.dumps(value)})
        if len(text) > MAX_ENTRY_BYTES or not self._prepare():
            return
        write_entry(self.directory, self._path(entry), text)
        self._prune(entry)

    def _index_path(self) -> Path:
        return self.base / "index.json"

    def load_index(self) -> dict[str, tuple[int, int, str]]:
        """The project's file index (path → size, modification time, called names) of the last
        run; empty when absent, corrupt or written by another version."""
        data = read_keyed(self._index_path(), key("index", b""), MAX_INDEX_BYTES)
        if data is None:
            return {}
        try:
            return {str(k): (int(v[0]), int(v[1]), str(v[2])) for k, v in data["files"].items()}
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return {}

    def save_index(self, files: dict[str, tuple[int, int, str]]) -> None:
        if not self._prepare():
            return
        text = json.dumps({"key": key("index", b""), "files": files})
        write_entry(self.base, self._index_path(), text)

    def _prepare(self) -> bool:
        if self._ready:
            return True
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.base / ".gitignore"
            if not ignore.exists():
                fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=self.base)
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write("# Created by kerasrnnlint: a cache, never committed.\n*\n")
                os.replace(temp, ignore)
        except OSError:
            return False
        self._ready = True
        return True

    def _prune(self, entry: str) -> None:
        """Keep the cache bounded: drop the oldest entries beyond the limit.

        Listing a large cache costs more than a one-file run's own work, so a process that
        writes only a few entries (a pre-commit run over one changed file) lists it when the
        name of one of them, a hash, starts with ``0``: one such run in 16 on average, while a
        process that writes :data:`PRUNE_AFTER` entries always does; a long one (the language
        server) again after every tenth of the bound. Counted per directory, not per
        :class:`SummaryCache`: the result cache makes one for every file it stores."""
        written = _written[self.directory] = _written.get(self.directory, 0) + 1
        last = _pruned_at.get(self.directory)
        if last is None:
            if written < PRUNE_AFTER and not entry.startswith("0"):
                return
        elif written - last < MAX_ENTRIES // 10:
            return
        _pruned_at[self.directory] = written
        try:
            entries = list(os.scandir(self.directory))
        except OSError:
            return
        if len(entries) <= MAX_ENTRIES:
            return

        def age(entry: os.DirEntry[str]) -> float:
            try:
                return entry.stat().st_mtime
            except OSError:
                return 0.0

        entries.sort(key=age)
        for old in entries[: len(entries) - MAX_ENTRIES * 4 // 5]:
            with contextlib.suppress(OSError):
                os.unlink(old.path)
