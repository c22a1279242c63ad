"""The project: which file a module name means, the summaries of those modules, and resolution of
dotted names across them. The top level of the source frontend (project → module summary →
resolver and interpreter → layer IR).

- **The root** is the nearest directory above a linted file holding ``pyproject.toml``,
  ``setup.cfg``, ``setup.py`` or ``.git``; else the directory holding the outermost package
  (directory with ``__init__.py``) around the file, else the file's own directory.
- **Module names** map to files as the import system would: first the importing script's own
  directory, then the source roots (``[tool.setuptools] package-dir`` and ``packages.find where``
  in ``pyproject.toml``, else ``src/`` when it exists, and the root itself); ``a/b.py``,
  ``a/b/__init__.py`` and namespace packages (a directory without ``__init__.py``); relative
  imports against the importing module's package. Keras and TensorFlow, and everything not found
  in the project (site-packages, the standard library), are external: never read.
- **Summaries** (:mod:`.summary`) of the modules a linted file imports are computed on demand,
  once per process, from the cache (:mod:`.cache`) when the file's bytes did not change. A module
  that is imported but not linted is read for its exports only. The module being linted is not
  read again: while its callers are searched, its summary comes from the text being linted
  (:func:`linted`).
- **Resolution** (:meth:`Project.resolve`) follows a dotted name through re-exports, star imports,
  aliases and dict keys to what it finally is: an :class:`Inside` export of a project module, an
  :class:`Outside` dotted name (``keras.layers.LSTM``), or :class:`Missing` with the reason. Work is
  bounded (:data:`MAX_HOPS` re-exports per name; cycles are cut).
"""

from __future__ import annotations

import contextvars
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from kerasrnnlint.frontends import project_options
from kerasrnnlint.frontends.source.cache import DIRECTORY, SummaryCache, key

if TYPE_CHECKING:
    from kerasrnnlint.frontends.source.summary import CallSite, Export, Klass, ModuleSummary

Found = TypeVar("Found")

# Module summaries (:mod:`.summary`) and hashlib are imported where they are first needed: a
# file that imports nothing of its project (most files a one-file run sees) never needs them,
# and their import is a noticeable part of a one-file run's start-up.

MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")
# Names that are never project modules, whatever the project holds.
EXTERNAL = frozenset({"keras", "tensorflow", "tf_keras", "tf", "__future__", "builtins"})
MAX_HOPS = 32
# Seconds a process keeps what it learned of a project's files (callers, subclasses, the file
# list) before looking again; summaries are checked against the file on every use.
MAX_AGE = 10.0
MAX_MODULE_BYTES = 2_000_000
MAX_PROJECT_FILES = 20_000
# Files of the word index read afresh in one run before the index on disk is rewritten.
RESCANS_BEFORE_SAVING = 32
SKIPPED_DIRS = frozenset(
    {"__pycache__", "node_modules", "site-packages", "venv", "env", "build", "dist", DIRECTORY}
)


@dataclass(frozen=True)
class ModuleRef:
    """One module of the project: its dotted name and file."""

    name: str
    path: Path
    is_package: bool = False

    @property
    def package(self) -> str:
        return self.name if self.is_package else self.name.rpartition(".")[0]


@dataclass(frozen=True)
class Inside:
    """A name that is an export of a project module."""

    export: Export
    module: ModuleRef
    name: str  # the attribute of ``module`` (empty: the module itself)
    where: str  # the module's file relative to the project root, for messages


@dataclass(frozen=True)
class Outside:
    """A name that leaves the project: ``keras.layers.LSTM``, ``numpy.tanh``."""

    name: str


@dataclass(frozen=True)
class Missing:
    """A name of a project module that cannot be followed; ``why`` names the module."""

    why: str


Resolution = Inside | Outside | Missing


@dataclass
class Statistics:
    """What this process did (``KERASRNNLINT_STATISTICS=1`` prints it): summaries computed by
    parsing a module, and summaries read from the cache."""

    parsed: int = 0
    cached: int = 0
    # Files whose result was read from the result cache (hits), and files linted (misses).
    results_cached: int = 0
    results_linted: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def describe(self) -> str:
        return (
            f"{self.parsed} module summaries parsed, {self.cached} read from the cache "
            "(by this process: worker processes of a parallel run are not counted; use -j 1); "
            f"results: {self.results_cached} read from the cache, {self.results_linted} linted"
        )


STATISTICS = Statistics()


@dataclass
class Dependencies:
    """What the analysis of one file learned from the rest of its project, for the result cache
    (:mod:`kerasrnnlint.result_cache`): the result holds while :meth:`Project.unchanged` says so."""

    modules: dict[str, str] = field(default_factory=dict)  # file -> hash of its bytes
    finds: dict[tuple[str, str], str] = field(default_factory=dict)  # (name, importer) -> file
    # (name, the module it was looked for from) -> hash of the files that may name it there
    # (those under Project.search_scope of that module)
    words: dict[tuple[str, str], str] = field(default_factory=dict)

    def merge(self, other: Dependencies) -> None:
        self.modules.update(other.modules)
        self.finds.update(other.finds)
        self.words.update(other.words)

    def as_json(self) -> dict[str, list[list[str]]]:
        return {
            "modules": [[k, v] for k, v in sorted(self.modules.items())],
            "finds": [[name, importer, v] for (name, importer), v in sorted(self.finds.items())],
            "words": [[name, module, v] for (name, module), v in sorted(self.words.items())],
        }


_recording: contextvars.ContextVar[Dependencies | None] = contextvars.ContextVar(
    "kerasrnnlint_dependencies", default=None
)


@contextmanager
def recording() -> Iterator[Dependencies]:
    """Collect the :class:`Dependencies` of what runs inside (merged into an outer recording)."""
    outer = _recording.get()
    deps = Dependencies()
    token = _recording.set(deps)
    try:
        yield deps
    finally:
        _recording.reset(token)
        if outer is not None:
            outer.merge(deps)


def _note(deps: Dependencies) -> None:
    current = _recording.get()
    if current is not None and current is not deps:
        current.merge(deps)


# The module being analysed, with what makes its summary from the text being linted (the index
# that text was parsed into): while set (in this context only: a thread analysing another file
# does not see it), the project asks it for that module's summary instead of parsing the file
# again. Searching the callers of a builder resolves each call through the builder's module.
_linted: contextvars.ContextVar[tuple[Path, Callable[[], ModuleSummary | None]] | None] = (
    contextvars.ContextVar("kerasrnnlint_linted", default=None)
)


@contextmanager
def linted(path: Path, make: Callable[[], ModuleSummary | None]) -> Iterator[None]:
    """Inside, the summary of the module at ``path`` is ``make()`` (None: read the file)."""
    token = _linted.set((path, make))
    try:
        yield
    finally:
        _linted.reset(token)


def _digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def configure(cache: bool = True, enabled: bool = True) -> None:
    """``cache=False`` (``--no-cache``): summaries are neither read from nor written to the
    cache. ``enabled=False``: every file is analysed alone (the benchmark's peer). Forgets the
    projects and summaries this process knows."""
    project_options.cache = cache
    project_options.enabled = enabled
    _projects.clear()
    _scanned.clear()


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = os.stat(path)
    except OSError:
        return (-1, -1)
    return (stat.st_mtime_ns, stat.st_size)


_roots: dict[Path, Path] = {}


def find_root(start: Path) -> Path:
    """The nearest directory holding a project marker; else the directory that holds the
    outermost package around ``start`` (where ``import pkg.mod`` would be found from)."""
    directory = start if start.is_dir() else start.parent
    known = _roots.get(directory)
    if known is None or time.monotonic() - _roots_time.get(directory, 0.0) > MAX_AGE:
        known = _roots[directory] = _find_root(directory)
        _roots_time[directory] = time.monotonic()
    return known


_roots_time: dict[Path, float] = {}


def _find_root(directory: Path) -> Path:
    current = directory
    while True:
        if any((current / marker).exists() for marker in MARKERS):
            return current
        if current.parent == current:
            break
        current = current.parent
    current = directory
    while (current / "__init__.py").is_file() and current.parent != current:
        current = current.parent
    return current


def _may_configure_setuptools(pyproject: Path) -> bool:
    """Can this file hold a ``[tool.setuptools]`` table? Not without the bytes ``setuptools``
    (or a ``\\u`` escape, which could spell them in a quoted key): then it is not parsed (nor
    TOML's parser imported) for the source roots."""
    from kerasrnnlint.files import open_regular

    try:
        with open_regular(pyproject) as handle:
            data = handle.read()
    except OSError:
        return False
    return b"setuptools" in data or b"\\u" in data or b"\\U" in data


def _source_roots(root: Path) -> tuple[Path, ...]:
    """Where top-level packages live: setuptools' package-dir / packages.find where, else src/."""
    found: list[Path] = []
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and _may_configure_setuptools(pyproject):
        try:
            from kerasrnnlint.config import ConfigError, read_toml

            data = read_toml(pyproject)
        except (ConfigError, OSError):
            data = {}
        tool = data.get("tool", {})
        setuptools = tool.get("setuptools", {}) if isinstance(tool, dict) else {}
        if isinstance(setuptools, dict):
            package_dir = setuptools.get("package-dir", {})
            if isinstance(package_dir, dict) and isinstance(package_dir.get(""), str):
                found.append(root / package_dir[""])
            packages = setuptools.get("packages", {})
            find = packages.get("find", {}) if isinstance(packages, dict) else {}
            where = find.get("where", []) if isinstance(find, dict) else []
            for item in [where] if isinstance(where, str) else where:
                if isinstance(item, str):
                    found.append(root / item)
    if not found and (root / "src").is_dir():
        found.append(root / "src")
    found.append(root)
    unique: list[Path] = []
    for path in found:
        if path.is_dir() and path not in unique:
            unique.append(path)
    return tuple(unique)


class Project:
    """The modules of one project root (see the module docstring)."""

    def __init__(self, root: Path, cache: bool = True) -> None:
        self.root = root
        self.roots = _source_roots(root)
        self.cache = SummaryCache(root) if cache else None
        self._lock = threading.RLock()
        self._modules: dict[tuple[str, Path], ModuleRef | None] = {}
        self._summaries: dict[Path, tuple[tuple[int, int], ModuleSummary | None, str]] = {}
        self.created = time.monotonic()
        self._resolved: dict[tuple[str, str, Path], Resolution] = {}
        self._files: list[str] | None = None
        self._scripts: dict[Path, bool] = {}
        self._words: dict[str, str] = {}  # path -> " word word ... ", of the scopes indexed
        self._indexed: dict[Path, list[str]] = {}  # a search scope -> its files
        self._stored: dict[str, tuple[int, int, str]] | None = None  # the index on disk
        self._by_word: dict[tuple[str, Path], list[str]] = {}  # (word, scope) -> paths naming it
        self._digests: dict[tuple[str, Path], str] = {}  # (word, scope) -> _word_digest
        self._callers: dict[
            tuple[Path, str], tuple[list[tuple[CallSite, ModuleRef]], Dependencies]
        ] = {}
        self._subclasses: dict[
            tuple[Path, str], tuple[list[tuple[str, Klass, ModuleRef]], Dependencies]
        ] = {}

    def begin(self) -> None:
        """A new file is analysed: resolutions are recomputed (through summaries that are
        checked against their files), so a module saved in between is seen."""
        with self._lock:
            self._resolved.clear()

    # -- module names ---------------------------------------------------------------------------

    def module_of(self, path: Path) -> ModuleRef:
        """The module a file of the project is (its name under the closest source root)."""
        path = path.resolve() if not path.is_absolute() else path
        best: tuple[str, ...] | None = None
        for base in self.roots:
            try:
                parts = path.relative_to(base).with_suffix("").parts
            except ValueError:
                continue
            if best is None or len(parts) < len(best):
                best = parts
        parts = best or (path.stem,)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        return ModuleRef(".".join(parts) or path.parent.name, path, is_package)

    def absolute(self, name: str, importer: ModuleRef) -> str:
        """``..hparams.X`` in ``pkg.models.net`` → ``pkg.hparams.X``."""
        if not name.startswith("."):
            return name
        dots = len(name) - len(name.lstrip("."))
        package = importer.package.split(".") if importer.package else []
        if dots - 1 > len(package):
            return name.lstrip(".")
        base = package[: len(package) - (dots - 1)]
        rest = name[dots:]
        return ".".join([*base, rest] if rest else base)

    def find_module(self, name: str, importer: ModuleRef | None) -> ModuleRef | None:
        """The project module ``name`` (absolute, dotted) means when ``importer`` imports it."""
        if not name or name.split(".", 1)[0] in EXTERNAL:
            return None
        found = self._find_module(name, importer)
        deps = _recording.get()
        if deps is not None:
            importer_path = str(importer.path) if importer is not None else ""
            deps.finds[(name, importer_path)] = str(found.path) if found is not None else ""
        return found

    def _find_module(self, name: str, importer: ModuleRef | None) -> ModuleRef | None:
        bases: list[Path] = []
        if importer is not None and self._is_script(importer):
            bases.append(importer.path.parent)  # a script: its own directory comes first
        bases.extend(self.roots)
        for base in bases:
            cache_key = (name, base)
            if cache_key not in self._modules:
                self._modules[cache_key] = self._find_in(name, base)
            found = self._modules[cache_key]
            if found is not None:
                return found
        return None

    def _is_script(self, module: ModuleRef) -> bool:
        """A file outside a regular package (its directory has no ``__init__.py``): run as a
        script, its own directory is the first place imports are found."""
        directory = module.path.parent
        known = self._scripts.get(directory)
        if known is None:
            known = self._scripts[directory] = not (directory / "__init__.py").is_file()
        return known

    def _find_in(self, name: str, base: Path) -> ModuleRef | None:
        parts = name.split(".")
        directory = base.joinpath(*parts)
        init = directory / "__init__.py"
        if init.is_file():
            return ModuleRef(name, init, True)
        single = directory.with_name(parts[-1] + ".py")
        if single.is_file():
            return ModuleRef(name, single, False)
        if directory.is_dir() and not (base / parts[0]).is_file():
            return ModuleRef(name, directory, True)  # a namespace package
        return None

    def where(self, module: ModuleRef) -> str:
        try:
            return module.path.relative_to(self.root).as_posix()
        except ValueError:
            return module.path.name

    # -- summaries ------------------------------------------------------------------------------

    def summary(self, module: ModuleRef) -> ModuleSummary | None:
        """The summary of a project module (None: it cannot be read, or is a namespace package
        directory, which exports only its submodules)."""
        own = _linted.get()
        if own is not None and own[0] == module.path:
            made = own[1]()  # the text being linted (its result is keyed by that text)
            if made is not None:
                return made
        stamp = _stamp(module.path)
        with self._lock:
            known = self._summaries.get(module.path)
            if known is not None and known[0] == stamp:
                self._depends_on(module.path, known[2])
                return known[1]
            if known is not None:
                # Changed while this process runs (an editor saving it): what was resolved
                # through it is stale too.
                self._resolved.clear()
                self._callers.clear()
                self._subclasses.clear()
            found, digest = self._load(module)
            self._summaries[module.path] = (stamp, found, digest)
            self._depends_on(module.path, digest)
            return found

    @staticmethod
    def _depends_on(path: Path, digest: str) -> None:
        deps = _recording.get()
        if deps is not None:
            deps.modules[str(path)] = digest

    def _file_digest(self, path: Path) -> str:
        """What :meth:`summary` records of a module's file (see :meth:`unchanged`)."""
        if path.is_dir():
            return "directory"
        try:
            with open(path, "rb") as handle:
                return _digest(handle.read(MAX_MODULE_BYTES + 1))
        except OSError:
            return "unreadable"

    def unchanged(self, depends: object) -> bool:
        """Do the :meth:`Dependencies.as_json` of an earlier analysis still hold (the same
        modules' bytes, the same files for the same module names, the same callers)?"""
        if not isinstance(depends, dict):
            return False
        try:
            for path, digest in depends["modules"]:
                if self._file_digest(Path(path)) != digest:
                    return False
            for name, importer, where in depends["finds"]:
                ref = ModuleRef("", Path(importer)) if importer else None
                found = self._find_module(name, ref)
                if (str(found.path) if found is not None else "") != where:
                    return False
            for word, module, digest in depends["words"]:
                if self._word_digest(word, self.search_scope(Path(module))) != digest:
                    return False
        except (ValueError, TypeError, KeyError, OSError):
            return False
        return True

    def _word_digest(self, word: str, scope: Path) -> str:
        """A hash of the files under ``scope`` that call or derive from ``word``, and of what
        they name."""
        paths = self._naming(word, scope)
        with self._lock:  # the index is read once per Project: so is each digest
            known = self._digests.get((word, scope))
            if known is None:
                words = self._words
                text = "\n".join(f"{p}\0{words.get(p, '')}" for p in sorted(set(paths)))
                known = self._digests[(word, scope)] = _digest(text.encode())
            return known

    def _load(self, module: ModuleRef) -> tuple[ModuleSummary | None, str]:
        from kerasrnnlint.frontends.source import summary as summaries
        from kerasrnnlint.frontends.source.summary import ModuleSummary

        if module.path.is_dir():
            return ModuleSummary(), "directory"
        try:
            with open(module.path, "rb") as handle:
                data = handle.read(MAX_MODULE_BYTES + 1)
        except OSError as exc:
            return ModuleSummary(error=f"cannot read: {exc.strerror or exc}"), "unreadable"
        digest = _digest(data)
        if len(data) > MAX_MODULE_BYTES:
            return ModuleSummary(error="too large to read"), digest
        entry = key(module.name, data)
        if self.cache is not None:
            cached = self.cache.get(entry)
            if cached is not None:
                with STATISTICS.lock:
                    STATISTICS.cached += 1
                return cached, digest
        from kerasrnnlint.files import Unreadable, decode_python

        text = decode_python(data)
        if isinstance(text, Unreadable):
            made = ModuleSummary(error=text.cause)
        else:
            try:
                made = summaries.summarize_text(text, str(module.path))
            except Exception as exc:  # a bug of ours must not stop the importer's analysis
                made = ModuleSummary(error=f"internal error ({type(exc).__name__}) reading it")
        with STATISTICS.lock:
            STATISTICS.parsed += 1
        if self.cache is not None:
            self.cache.put(entry, made)
        return made, digest

    # -- resolution -----------------------------------------------------------------------------

    def resolve(self, name: str, importer: ModuleRef) -> Resolution:
        """What the dotted ``name``, as written in ``importer``, finally is."""
        cache_key = (name, importer.name, importer.path)
        with self._lock:
            if cache_key not in self._resolved:
                self._resolved[cache_key] = self._resolve(name, importer, (), 0)
            return self._resolved[cache_key]

    def resolve_keys(
        self, name: str, keys: tuple[str, ...], importer: ModuleRef
    ) -> Resolution | None:
        """``name[key]...`` (None: ``name`` is not in the project)."""
        with self._lock:
            found = self._resolve(name, importer, keys, 0)
        return None if isinstance(found, Outside) else found

    def _resolve(
        self, name: str, importer: ModuleRef, keys: tuple[str, ...], hops: int
    ) -> Resolution:
        if hops > MAX_HOPS:
            return Missing(f"`{name}` is re-exported more than {MAX_HOPS} times (a cycle?)")
        absolute = self.absolute(name, importer)
        parts = absolute.split(".")
        module: ModuleRef | None = None
        rest: list[str] = []
        for length in range(len(parts), 0, -1):
            module = self.find_module(".".join(parts[:length]), importer)
            if module is not None:
                rest = parts[length:]
                break
        if module is None:
            if keys:
                return Missing(f"`{absolute}` is not a module of the project")
            return Outside(absolute)
        from kerasrnnlint.frontends.source.summary import Klass, Ref, Unknown

        if module == importer and not rest:
            return Outside(absolute)
        where = self.where(module)
        if not rest:
            if keys:
                return Missing(f"`{absolute}` is a module, not a dict")
            return Inside(Unknown("a module"), module, "", where)
        found = self._attribute(module, rest[0], hops)
        if isinstance(found, Missing):
            return found
        if isinstance(found, Ref):
            tail = ".".join([found.name, *rest[1:]]) if not found.keys else found.name
            more = (*found.keys, *keys)
            if found.keys and rest[1:]:
                return Missing(f"attribute of a dict entry in {where}")
            return self._resolve(tail, module, more, hops + 1)
        export: Export = found
        for attr in rest[1:]:
            if isinstance(export, Klass):
                inner = export.get(attr)
                if inner is None:
                    return Missing(f"class attribute `{attr}` not visible in {where}")
                if isinstance(inner, Ref):
                    return self._resolve(inner.name, module, (*inner.keys, *keys), hops + 1)
                export = inner
            else:
                return Missing(f"attribute `{attr}` of `{rest[0]}` in {where}")
        return self._keyed(Inside(export, module, rest[0], where), keys, hops)

    def _keyed(self, found: Inside, keys: tuple[str, ...], hops: int) -> Resolution:
        from kerasrnnlint.frontends.source.summary import DictOf, Ref, Unknown

        export = found.export
        for index, dict_key in enumerate(keys):
            if isinstance(export, Unknown):
                return Missing(f"{export.why} in {found.where}")
            if not isinstance(export, DictOf):
                return Missing(f"`{found.name}` in {found.where} is not a visible dict")
            entry = export.get(dict_key)
            if entry is None:
                why = "may hold" if export.open else "has no"
                return Missing(f"`{found.name}` in {found.where} {why} key {dict_key!r}")
            if isinstance(entry, Ref):
                more = (*entry.keys, *keys[index + 1 :])
                return self._resolve(entry.name, found.module, more, hops + 1)
            export = entry
        return Inside(export, found.module, found.name, found.where)

    def attribute(self, export: Export, module: ModuleRef, name: str) -> Resolution:
        """An export found in ``module`` (a class attribute), with a ``Ref`` followed."""
        from kerasrnnlint.frontends.source.summary import Ref

        if isinstance(export, Ref):
            with self._lock:
                return self._resolve(export.name, module, export.keys, 1)
        return Inside(export, module, name, self.where(module))

    def returned(self, name: str, importer: ModuleRef) -> Resolution | None:
        """What a call of the project function ``name`` returns, when every ``return`` of it
        gives the same name (a factory of layer classes)."""
        found = self.resolve(name, importer)
        if not isinstance(found, Inside):
            return None
        from kerasrnnlint.frontends.source.summary import Function, Ref

        if not isinstance(found.export, Function):
            return None
        returns = found.export.returns
        if not isinstance(returns, Ref):
            return None
        with self._lock:
            return self._resolve(returns.name, found.module, returns.keys, 1)

    def entries(self, found: Inside) -> list[tuple[str, Resolution]]:
        """The entries of a dict of a project module, each resolved (a ``Ref`` is followed)."""
        from kerasrnnlint.frontends.source.summary import DictOf, Ref

        export = found.export
        if not isinstance(export, DictOf):
            return []
        with self._lock:
            return [
                (
                    name,
                    self._resolve(entry.name, found.module, entry.keys, 1)
                    if isinstance(entry, Ref)
                    else Inside(entry, found.module, found.name, found.where),
                )
                for name, entry in export.entries
            ]

    def _attribute(self, module: ModuleRef, attr: str, hops: int) -> Export | Missing:
        """``attr`` of a module: bound there, or brought in by one of its star imports."""
        from kerasrnnlint.frontends.source.summary import Ref

        found = self.summary(module)
        where = self.where(module)
        if found is None:
            return Missing(f"{where} cannot be read")
        if found.error is not None:
            return Missing(f"{where} does not parse ({found.error})")
        if attr in found.names:
            return found.names[attr]
        for star in found.star_imports:
            absolute = self.absolute(star, module)
            source = self.find_module(absolute, module)
            if source is None:
                continue
            if hops < MAX_HOPS and self._star_exports(source, attr, hops + 1):
                return Ref(f"{absolute}.{attr}")
        submodule = self.find_module(f"{module.name}.{attr}", module)
        if submodule is not None:
            return Ref(f"{module.name}.{attr}")
        return Missing(f"`{attr}` is not defined in {where}")

    def _star_exports(
        self, module: ModuleRef, attr: str, hops: int, seen: set[Path] | None = None
    ) -> bool:
        """Does ``from module import *`` bind ``attr`` (through its own star imports too)?
        Each module is visited once (cycles, diamonds)."""
        seen = set() if seen is None else seen
        if module.path in seen or hops > MAX_HOPS:
            return False
        seen.add(module.path)
        found = self.summary(module)
        if found is None or found.error is not None:
            return False
        if attr in found.star_names():
            return True
        if found.all_names is not None:
            return False
        for star in found.star_imports:
            source = self.find_module(self.absolute(star, module), module)
            if source is not None and self._star_exports(source, attr, hops + 1, seen):
                return True
        return False

    def star_provides(self, star: str, attr: str, importer: ModuleRef) -> bool:
        """Does ``from star import *`` in ``importer`` bind ``attr``?"""
        module = self.find_module(self.absolute(star, importer), importer)
        return module is not None and self._star_exports(module, attr, 0)

    # -- callers --------------------------------------------------------------------------------

    def search_scope(self, module: Path) -> Path:
        """The directory below which every file that could import the module ``module`` (its
        file, or a namespace package's directory) lies: where its callers and subclasses are
        looked for.

        The project root, unless no source root reaches the module through names an import
        statement can spell: a directory on the way whose name is not an identifier
        (``keras-lmu-0.9.0/``, a vendored or unpacked copy of another package) is named by no
        import, so only files below the deepest such directory can reach the module (as scripts
        beside it, through relative imports, or through modules that are themselves below it).
        Without this, a one-file run under a large repository indexes all of it."""
        for base in self.roots:
            try:
                parts = module.relative_to(base).with_suffix("").parts
            except ValueError:
                continue
            if all(part.isidentifier() for part in parts):
                return self.root
        try:
            parts = module.relative_to(self.root).parts
        except ValueError:
            return self.root
        names = [*parts[:-1], Path(parts[-1]).stem] if parts else []
        blocked = [index for index, name in enumerate(names) if not name.isidentifier()]
        if not blocked:
            return self.root
        # The module file's own name: nothing can import it; its directory is searched, as for
        # a script there.
        deepest = min(blocked[-1], len(parts) - 2)
        return self.root.joinpath(*parts[: deepest + 1])

    def _naming(self, word: str, scope: Path) -> list[str]:
        """The files under ``scope`` whose words (:func:`called_words`) include ``word``."""
        words = self._word_index(scope)
        with self._lock:
            known = self._by_word.get((word, scope))
            if known is None:
                needle = f" {word} "
                known = [path for path in self._indexed[scope] if needle in words.get(path, "")]
                self._by_word[(word, scope)] = known
            return known

    def _word_index(self, scope: Path) -> dict[str, str]:
        """The names each file under ``scope`` calls or derives from, read once per process;
        unchanged files (same size and modification time) are taken from the cache's index."""
        with self._lock:
            if scope in self._indexed:
                return self._words
            if self._stored is None:
                self._stored = self.cache.load_index() if self.cache is not None else {}
            stored = self._stored
            root = str(self.root) + os.sep
            files = self._files_under(scope)
            # What the index on disk would hold after this run: this scope's files as they are
            # now (a deleted file drops out), the rest as stored.
            if scope == self.root:
                index: dict[str, tuple[int, int, str]] = {}
            elif str(scope).startswith(root):
                inside = str(scope)[len(root) :] + os.sep
                index = {k: entry for k, entry in stored.items() if not k.startswith(inside)}
            else:
                index = dict(stored)
            from kerasrnnlint.files import open_regular

            rescanned = 0
            for path in files:
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                name = path[len(root) :] if path.startswith(root) else path
                entry = stored.get(name)
                if entry is None or entry[:2] != (stat.st_mtime_ns, stat.st_size):
                    # Nested projects share files, and a project is looked at afresh now and
                    # then: a file is scanned once per process while it is unchanged.
                    entry = _scanned.get(path)
                if entry is not None and entry[0] == stat.st_mtime_ns and entry[1] == stat.st_size:
                    text = entry[2]
                else:
                    try:  # a FIFO named like a module is passed over, never waited on
                        with open_regular(path) as handle:
                            data = handle.read(MAX_MODULE_BYTES)
                    except OSError:
                        continue
                    text = " ".join(sorted(called_words(data)))
                    rescanned += 1
                    if len(_scanned) >= MAX_SCANNED:
                        _scanned.clear()
                    _scanned[path] = (stat.st_mtime_ns, stat.st_size, text)
                index[name] = (stat.st_mtime_ns, stat.st_size, text)
                self._words[path] = f" {text} "
            self._indexed[scope] = files
            if self.cache is not None and (rescanned >= RESCANS_BEFORE_SAVING or not stored):
                # A few files read afresh cost less than rewriting the index of every file of
                # the project (what a pre-commit run over one changed file would do each time).
                self.cache.save_index(index)
            self._stored = index
            return self._words

    def _files_under(self, scope: Path) -> list[str]:
        """The files of :meth:`files` that lie under ``scope``, walking only that directory
        when the whole project is not listed yet."""
        if scope == self.root:
            return self.files()
        if self._files is not None:
            prefix = str(scope) + os.sep
            return [path for path in self._files if path.startswith(prefix)]
        try:
            parts = scope.relative_to(self.root).parts
        except ValueError:
            return []
        if any(part.startswith(".") or part in SKIPPED_DIRS for part in parts):
            return []  # the walk of the whole project never enters it
        return _walk(scope, MAX_PROJECT_FILES)

    def files(self) -> list[str]:
        """Every Python file of the project (bounded), hidden and environment directories
        skipped."""
        if self._files is None:
            self._files = _walk(self.root, MAX_PROJECT_FILES)
        return self._files

    def _mentioning(
        self, module: ModuleRef, name: str
    ) -> Iterator[tuple[ModuleRef, ModuleSummary]]:
        """The other modules of the project that call ``name`` or derive a class from it (by
        the words of :func:`called_words`), with their summary."""
        scope = self.search_scope(module.path)
        paths = self._naming(name, scope)
        words = self._words
        own = str(module.path)
        # A caller imports the module (or its package, which may re-export it), or imports
        # something relatively.
        parts = module.name.split(".")
        imported = [f" import:{part} " for part in parts[-2:]] + [" import:. "]
        for path in paths:
            if path == own:
                continue
            mentioned = words.get(path, "")
            if not any(i in mentioned for i in imported):
                continue
            other = self.module_of(Path(path))
            found = self.summary(other)
            if found is not None and found.error is None:
                yield other, found

    def subclasses(self, module: ModuleRef, cls: str) -> list[tuple[str, Klass, ModuleRef]]:
        """The classes of other modules of the project derived directly from ``cls`` of
        ``module``: (their name, their summary, their module)."""
        return self._search(self._subclasses, module, cls, self._subclasses_of)

    def _search(
        self,
        memo: dict[tuple[Path, str], tuple[list[Found], Dependencies]],
        module: ModuleRef,
        word: str,
        search: Callable[[ModuleRef, str, list[Found]], None],
    ) -> list[Found]:
        """What ``search`` finds in the files that name ``word`` (defined in ``module``), once per
        project: the dependencies recorded by the first search (the word's digest in the files
        searched, the summaries read) are noted again for each later answer from ``memo``."""
        cache_key = (module.path, word)
        with self._lock:
            if cache_key in memo:
                known, deps = memo[cache_key]
                _note(deps)
                return known
        found: list[Found] = []
        with recording() as deps:
            scope = self.search_scope(module.path)
            deps.words[(word, str(module.path))] = self._word_digest(word, scope)
            search(module, word, found)
        with self._lock:
            memo[cache_key] = (found, deps)
        return found

    def _subclasses_of(
        self, module: ModuleRef, cls: str, found: list[tuple[str, Klass, ModuleRef]]
    ) -> None:
        from kerasrnnlint.frontends.source.summary import Klass, Ref

        for other, summary in self._mentioning(module, cls):
            for name, export in summary.names.items():
                if not isinstance(export, Klass):
                    continue
                for base in export.bases:
                    if not isinstance(base, Ref):
                        continue
                    target = self.resolve(base.name, other)
                    if (
                        isinstance(target, Inside)
                        and target.module.path == module.path
                        and target.name == cls
                    ):
                        found.append((name, export, other))
                        break

    def callers(self, module: ModuleRef, function: str) -> list[tuple[CallSite, ModuleRef]]:
        """The calls, in other modules of the project, of ``function`` defined in ``module``."""
        return self._search(self._callers, module, function, self._callers_of)

    def _callers_of(
        self, module: ModuleRef, function: str, found: list[tuple[CallSite, ModuleRef]]
    ) -> None:
        for caller, summary in self._mentioning(module, function):
            for call in summary.calls:
                if not call.callee.endswith(function):
                    continue
                target = self.resolve(call.callee, caller)
                if (
                    isinstance(target, Inside)
                    and target.module.path == module.path
                    and target.name == function
                ):
                    found.append((call, caller))


def _walk(top: Path, limit: int) -> list[str]:
    """The ``.py`` files below ``top`` in a sorted walk (at most ``limit``), hidden and
    environment directories skipped."""
    found: list[str] = []
    for directory, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        found.extend(os.path.join(directory, n) for n in sorted(names) if n.endswith(".py"))
        if len(found) >= limit:
            break
    return found[:limit]


# The words of :func:`called_words` of each file scanned by this process, by path, with the
# file's modification time and size when scanned; cleared when it grows past MAX_SCANNED.
_scanned: dict[str, tuple[int, int, str]] = {}
MAX_SCANNED = 100_000

_projects: dict[Path, Project] = {}
_projects_lock = threading.Lock()


def project_for(path: str) -> tuple[Project, ModuleRef] | None:
    """The project a linted file belongs to, and its module; None for text not on disk."""
    if not project_options.enabled or not path or path.startswith("<"):
        return None
    try:
        file = Path(path).resolve()
        if not file.parent.is_dir():
            return None
        root = find_root(file)
    except (OSError, RuntimeError):
        return None
    with _projects_lock:
        project = _projects.get(root)
        if (
            project is None
            or time.monotonic() - project.created > MAX_AGE
            or (project.cache is not None) != project_options.cache
        ):
            # A long-lived process (the language server) looks at the project afresh now and
            # then: new files, new callers.
            project = Project(root, cache=project_options.cache)
            _projects[root] = project
    project.begin()
    return project, project.module_of(file)


# ``from x import ...`` / ``import x``: for the prefilter (a file without the bytes "keras").
_IMPORTS = re.compile(rb"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import|import[ \t]+([\w.]+))", re.M)


# ``name(`` not after ``def``/``class`` (a call), and the bases of ``class X(...)``.
# Possessive: a name that is not followed by ``(`` never is once shortened (no backtracking);
# ``\b`` first: it fails at most positions, before the lookbehinds are tried.
_CALLED = re.compile(rb"\b(?<!def )(?<!class )([A-Za-z_]\w*+)\s*+\(")
_BASES = re.compile(rb"\bclass\s+\w+\s*\(([^)]*)\)")
_WORD = re.compile(rb"[A-Za-z_]\w*")


def called_words(data: bytes) -> set[str]:
    """The names a module may call or derive from: where to look for callers and subclasses."""
    found = {m.decode("ascii", "replace") for m in _CALLED.findall(data)}
    for bases in _BASES.findall(data):
        found.update(w.decode("ascii", "replace") for w in _WORD.findall(bases))
    for module in imported_modules(data):
        found.add("import:" + (module.split(".")[-1] if module.strip(".") else "."))
        found.update("import:" + part for part in module.split(".") if part)
        if module.startswith("."):
            found.add("import:.")
    return found


def imported_modules(data: bytes) -> Iterator[str]:
    for match in _IMPORTS.finditer(data):
        name = (match[1] or match[2] or b"").decode("ascii", "replace")
        if name:
            yield name


def imports_project_module(path: str, data: bytes) -> bool:
    """True when the file imports a module of its project (which may re-export Keras)."""
    found = project_for(path)
    if found is None:
        return False
    project, module = found
    for name in imported_modules(data):
        absolute = project.absolute(name, module)
        if project.find_module(absolute, module) is not None:
            return True
    return False
