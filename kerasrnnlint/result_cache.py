"""The result cache: each linted Python file's :class:`~kerasrnnlint.engine.FileResult`, kept in
``.kerasrnnlint_cache/results/`` at the project root, so that a re-run over an unchanged tree
parses nothing.

An entry's name is a hash of the tool's code (its version, and the size and modification time
of each of its modules), the file's path and text, and everything in the
settings that changes that file's findings (the rule codes that apply to it, after ``select``,
``ignore`` and ``per-file-ignores``, and the rule options). The entry also records what the
analysis learned from the rest of the project (:class:`~.project.Dependencies`: the modules whose
summaries it used, with a hash of their bytes; which file each imported module name meant; the
files that call or subclass what it asked about); it is used only while all of these still hold,
so a change to ``config.py`` re-lints the files that import it.

Entries are JSON, written and read by the small explicit codec below (never pickle: reading a
cache file runs nothing), and checked against the dataclasses' field types on the way in: an
entry of the wrong shape, corrupt, truncated or written by another tool is ignored and rebuilt.
Writes go through a temporary file and :func:`os.replace` (concurrent runs never see half an
entry); the directory is bounded as the summaries' is.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import functools
import hashlib
import json
import os
import types
import typing
from pathlib import Path
from typing import Any, Literal

from kerasrnnlint.config import Settings
from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Factor, Finding, Fix, Related
from kerasrnnlint.ir import Arg, Context, Location, Optimizer, Producer, RecurrentLayer, Span

FORMAT = 1
MAX_ENTRY_BYTES = 8_000_000
SUBDIRECTORY = "results"

# The only classes an entry may build.
_CLASSES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        FileResult,
        Finding,
        Fix,
        Factor,
        Related,
        Span,
        Location,
        Arg,
        Producer,
        Optimizer,
        Context,
        RecurrentLayer,
    )
}


class Malformed(Exception):
    """A value that does not have the shape its field's type says."""


# --------------------------------------------------------------------------------------------------
# The codec
# --------------------------------------------------------------------------------------------------


def encode(value: object) -> object:
    """A JSON-ready form of a result: dataclasses become objects, tuples lists, enums ints."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return int(value) if isinstance(value, enum.IntEnum) else value
    if isinstance(value, tuple):
        return [encode(item) for item in value]
    names = _names.get(type(value))
    if names is None and dataclasses.is_dataclass(value) and type(value).__name__ in _CLASSES:
        names = _names[type(value)] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: encode(getattr(value, name)) for name in names}
    raise Malformed(f"cannot store a {type(value).__name__}")


# The field names of each class :func:`encode` has met (``dataclasses.fields`` each time costs
# more than the rest of the encoding).
_names: dict[type[Any], tuple[str, ...]] = {}


_hints: dict[type[Any], dict[str, Any]] = {}


def _fields(cls: type[Any]) -> dict[str, Any]:
    known = _hints.get(cls)
    if known is None:
        hints = typing.get_type_hints(cls)
        known = _hints[cls] = {f.name: hints[f.name] for f in dataclasses.fields(cls)}
    return known


def decode(data: object, hint: Any) -> Any:
    """``data`` (as :func:`encode` wrote it) as a value of type ``hint``; :class:`Malformed`
    when it is not one."""
    if hint is Any:  # a finding's probe result: never stored (results are cached unprobed)
        if data is not None:
            raise Malformed("a probe result")
        return None
    if hint is object:  # inside an argument's value: a literal or a tuple of them
        return _literal(data)
    if hint is type(None):
        if data is not None:
            raise Malformed("expected null")
        return None
    if hint in (str, int, bool):
        if type(data) is not hint:
            raise Malformed(f"expected {hint.__name__}")
        return data
    if hint is float:
        if type(data) not in (int, float):
            raise Malformed("expected a number")
        return data  # an int stays an int, as it was written
    if isinstance(hint, type) and issubclass(hint, enum.IntEnum):
        if type(data) is not int:
            raise Malformed("expected an enum value")
        try:
            return hint(data)
        except ValueError:
            raise Malformed("unknown enum value") from None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        for member in typing.get_args(hint):
            with contextlib.suppress(Malformed):
                return decode(data, member)
        raise Malformed("matches no member of a union")
    if origin is Literal:
        if data not in typing.get_args(hint) or not isinstance(data, str):
            raise Malformed("not one of the allowed values")
        return data
    if origin is tuple:
        if not isinstance(data, list):
            raise Malformed("expected a list")
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(item, args[0]) for item in data)
        if len(args) != len(data):
            raise Malformed("a tuple of the wrong length")
        return tuple(decode(item, arg) for item, arg in zip(data, args, strict=True))
    cls: type[Any] | None = _CLASSES.get(getattr(hint, "__name__", ""))
    if cls is not None and cls is hint:
        if not isinstance(data, dict):
            raise Malformed(f"expected a {cls.__name__}")
        fields = _fields(cls)
        if set(data) - set(fields):
            raise Malformed(f"unknown fields of {cls.__name__}")
        return cls(**{name: decode(value, fields[name]) for name, value in data.items()})
    raise Malformed(f"no reader for {hint!r}")


def _literal(data: object, depth: int = 0) -> object:
    if data is None or type(data) in (str, int, float, bool):
        return data
    if isinstance(data, list) and depth < 32:
        return tuple(_literal(item, depth + 1) for item in data)
    raise Malformed("not a literal value")


# --------------------------------------------------------------------------------------------------
# Keys and entries
# --------------------------------------------------------------------------------------------------


def _canonical(value: object) -> object:
    """Settings as JSON that is the same in every process (sets sorted)."""
    if isinstance(value, (frozenset, set)):
        return sorted((_canonical(item) for item in value), key=repr)
    if isinstance(value, (tuple, list)):
        return [_canonical(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=repr)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return str(value.value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


@functools.lru_cache(maxsize=1)
def code_stamp() -> str:
    """The tool's own code: its version, and the size and modification time of each of its
    modules (a checkout that changes between two runs without a new version number must not
    read the results of the old code)."""
    from kerasrnnlint import __version__

    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for module in sorted(package.rglob("*.py")):
        try:
            stat = module.stat()
        except OSError:
            continue
        digest.update(f"{module} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def key(path: str, text: str, settings: Settings, project: bool) -> str:
    """The entry of ``path`` holding ``text``, linted with ``settings``."""
    what = {
        "tool": code_stamp(),
        "format": FORMAT,
        "path": path,
        "absolute": os.path.abspath(path),
        "codes": sorted(settings.codes_for(path)),
        "options": _canonical(settings.rule_options),
        "project": project,
    }
    digest = hashlib.sha256(json.dumps(what, sort_keys=True).encode())
    digest.update(b"\0")
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class ResultCache:
    """Results on disk under ``root/.kerasrnnlint_cache/results``; every failure to read or
    write is silent (the file is then linted, and the run goes on)."""

    def __init__(self, root: Path) -> None:
        from kerasrnnlint.frontends.source.cache import SummaryCache

        # The summaries' cache directory, its .gitignore and its bound, for another kind of entry.
        self._store = SummaryCache(root)
        self._store.directory = self._store.base / SUBDIRECTORY
        self.directory = self._store.directory

    def _path(self, entry: str) -> Path:
        return self.directory / f"{entry}.json"

    def get(self, entry: str) -> tuple[FileResult, dict[str, Any]] | None:
        """The stored result and its dependencies (as :meth:`put` got them), or None."""
        from kerasrnnlint.frontends.source.cache import read_keyed

        data = read_keyed(self._path(entry), entry, MAX_ENTRY_BYTES)
        if data is None:
            return None
        try:
            depends = data["depends"]
            if not isinstance(depends, dict):
                return None
            return decode(data["result"], FileResult), depends
        except (ValueError, KeyError, TypeError, IndexError, RecursionError, Malformed):
            return None

    def put(self, entry: str, result: FileResult, depends: dict[str, Any]) -> None:
        try:
            text = json.dumps({"key": entry, "depends": depends, "result": encode(result)})
        except (Malformed, ValueError, TypeError, RecursionError):
            return
        if len(text) > MAX_ENTRY_BYTES or not self._store._prepare():
            return
        from kerasrnnlint.frontends.source.cache import write_entry

        write_entry(self.directory, self._path(entry), text)
        self._store._prune(entry)
