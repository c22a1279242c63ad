"""Lint a list of files: read, prefilter, dispatch by suffix, in parallel processes when many.

The parent reads every Python file and drops those the byte-level prefilter rules out, so only
files that may hold a recurrent layer are parsed; when more than :data:`PARALLEL_THRESHOLD`
remain, they are parsed in a process pool. Results come back in input order. Any failure on one
input becomes a :class:`~kerasrnnlint.engine.FileResult` with an ``error``; the run goes on.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from kerasrnnlint import engine
from kerasrnnlint.children import ChildDied
from kerasrnnlint.config import Settings
from kerasrnnlint.discovery import MODEL_SUFFIXES, NOTEBOOK_SUFFIXES, Target, suffix
from kerasrnnlint.engine import FileResult
from kerasrnnlint.files import (
    MAX_SOURCE_BYTES,
    Unreadable,
    decode_python,
    is_binary,
    read_bytes,
    too_large_to_parse,
)
from kerasrnnlint.frontends.base import InputError, MissingDependency

PARALLEL_THRESHOLD = 64  # files left after the prefilter
Kind = Literal["python", "notebook", "model"]


def kind_of(path: str) -> Kind:
    """How a file is linted, by its suffix (anything unknown is Python)."""
    ext = suffix(path)
    if ext in MODEL_SUFFIXES or ext == ".json":
        return "model"
    if ext in NOTEBOOK_SUFFIXES:
        return "notebook"
    return "python"


@dataclass(frozen=True)
class Prepared:
    """A file ready to be linted: Python text already read and decoded, or a path for the
    frontends that read their own files."""

    path: str
    kind: Kind
    text: str | None = None
    # A notebook's or model file's bytes when they do not come from ``path`` (stdin).
    data: bytes | None = None
    # Where the result is stored in the result cache (kerasrnnlint.result_cache) once linted:
    # the entry's name and the project root whose cache holds it.
    cache_key: str | None = None
    cache_root: str | None = None


def _wide_text(data: bytes) -> str | None:
    """``"UTF-16"``/``"UTF-32"`` for JSON text in a wide encoding (a BOM, or NULs between the
    first characters), which the byte prefilter cannot read: None for anything else."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4]:
        return "UTF-16"
    return None


def prepare(path: str, explicit: bool = True) -> Prepared | FileResult:
    """Read and prefilter one file; a FileResult when there is nothing more to do.

    ``explicit``: named on the command line; a file found in a directory that cannot be read as
    its kind is skipped with a note instead of an error."""
    kind = kind_of(path)
    if kind == "model":
        return Prepared(path, kind)
    if kind == "notebook":
        from kerasrnnlint.frontends import notebook

        # Outputs (images) make notebooks large; the notebook frontend has its own, larger limit.
        data = read_bytes(path, notebook.MAX_BYTES)
    else:
        data = read_bytes(path)
    if isinstance(data, Unreadable):
        return FileResult(path=path, error=data.cause)
    if kind == "notebook":
        wide = _wide_text(data)
        if wide is not None:
            cause = f"not a valid notebook: {wide} text (notebooks are UTF-8 JSON); re-save it"
            if explicit:
                return FileResult(path=path, error=cause)
            return FileResult(path=path, skipped=True, notes=(f"not checked: {cause}",))
        # The cells' code is checked by the notebook frontend (it may get Keras from a project
        # module); here only a notebook that names no recurrent class is skipped.
        if engine.PREFILTER.search(data) is None:
            return FileResult(path=path, skipped=True)
        return Prepared(path, kind)
    if is_binary(data):
        from kerasrnnlint.frontends.saved_model import sniff_kind

        model = sniff_kind(data[:8])
        if model is not None:
            return FileResult(path=path, error=f"not Python source: the file is {model}; rename it")
        return FileResult(path=path, error="binary file (contains NUL bytes); not Python source")
    if not engine.may_hold_recurrent_layer_in_project(path, data):
        return FileResult(path=path, skipped=True)
    if len(data) > MAX_SOURCE_BYTES:
        return FileResult(path=path, error=too_large_to_parse(len(data)))
    text = decode_python(data)
    if isinstance(text, Unreadable):
        return FileResult(path=path, error=text.cause)
    return Prepared(path, kind, text)


def internal_error(path: str, exc: BaseException) -> FileResult:
    return FileResult(
        path=path,
        error=f"internal error ({type(exc).__name__}: {exc}); please report this with the file",
    )


def lint_prepared(item: Prepared, settings: Settings) -> FileResult:
    """Lint one prepared file. Never raises for bad input. With a ``cache_key``, the result
    (unless it is a failure of ours or of the machine) goes to the result cache, with what the
    analysis used of the rest of the project."""
    if item.cache_key is None or item.cache_root is None:
        return _lint_prepared(item, settings)[0]
    from kerasrnnlint import result_cache
    from kerasrnnlint.frontends.source import project

    with project.recording() as depends:
        result, lasting = _lint_prepared(item, settings)
    if lasting:
        cache = result_cache.ResultCache(Path(item.cache_root))
        cache.put(item.cache_key, result, depends.as_json())
    return result


def _lint_prepared(item: Prepared, settings: Settings) -> tuple[FileResult, bool]:
    """The result, and whether it lasts (is the same on every run over the same inputs)."""
    try:
        if item.kind == "python":
            return engine.lint_source(item.text or "", item.path, settings), True
        if item.kind == "notebook":
            from kerasrnnlint.frontends import notebook

            analysed = (
                notebook.analyze_file(Path(item.path))
                if item.data is None
                else notebook.analyze_notebook(notebook.parse(item.data), item.path)
            )
            return engine.from_frontend(item.path, analysed, settings), True
        from kerasrnnlint.frontends import saved_model

        analysed = (
            saved_model.analyze_file(Path(item.path))
            if item.data is None
            else saved_model.analyze_data(item.data, item.path)
        )
        return engine.from_frontend(item.path, analysed, settings), True
    except MissingDependency as exc:
        return FileResult(path=item.path, error=exc.message, missing_dependency=True), False
    except InputError as exc:
        return FileResult(path=item.path, error=exc.describe()), True
    except RecursionError:
        cause = "too deeply nested to analyse (recursion limit)"
        return FileResult(path=item.path, error=cause), False
    except MemoryError:
        return FileResult(path=item.path, error="out of memory while analysing"), False
    except Exception as exc:
        return internal_error(item.path, exc), False


# Inputs parsed in a child process, so that a native crash of the parser (libcst's on a huge or
# pathological file, h5py's on a corrupt HDF5 file; an abort when memory runs out) costs that one
# input instead of the whole run. A fork costs about 2 ms; parsing a file of ISOLATE_BYTES of
# Python costs about 3 s: normal files (far smaller) are parsed in the process itself.
ISOLATE_BYTES = 256 * 1024
_NATIVE_MODELS = (".h5", ".hdf5")


def isolated(item: Prepared) -> bool:
    """Is ``item`` parsed in a child process (see :data:`ISOLATE_BYTES`)?"""
    if not hasattr(os, "fork"):
        return False
    if item.kind == "python":
        return len(item.text or "") >= ISOLATE_BYTES
    if item.kind == "notebook":
        try:
            size = len(item.data) if item.data is not None else os.stat(item.path).st_size
        except OSError:
            return False
        return size >= ISOLATE_BYTES
    return item.data is None and suffix(item.path) in _NATIVE_MODELS


def lint_isolated(item: Prepared, settings: Settings, force: bool = False) -> FileResult:
    """:func:`lint_prepared` in a forked child when :func:`isolated` says so (or ``force``, where
    fork exists); a child that dies (a signal, an abort) gives an error for this input, and the
    run goes on."""
    if not (isolated(item) or (force and hasattr(os, "fork"))):
        return lint_prepared(item, settings)
    from kerasrnnlint import children

    if item.kind == "model":  # import h5py once, here, rather than in every child
        with contextlib.suppress(ImportError):
            import h5py  # noqa: F401
    outcome = children.call_forked(lint_prepared, item, settings)
    if isinstance(outcome, children.ChildDied):
        return FileResult(path=item.path, error=_death(outcome))
    return outcome


def _death(died: ChildDied) -> str:
    """Why the child analysing an input gave no result, for the message."""
    if died.signal is not None:
        return (
            f"the analysis crashed ({died.signal}, in native code: the parser, or out of "
            "memory); skipped, the other files are still checked"
        )
    return f"the analysis stopped without a result (exit status {died.status}); skipped"


def lint_file(path: str | os.PathLike[str], settings: Settings | None = None) -> FileResult:
    """Lint one file by suffix: ``.ipynb``, ``.keras``/``.h5``/``.json`` models, else Python."""
    name = os.fspath(path)
    settings = settings or Settings()
    try:
        ready = prepare(name)
    except Exception as exc:
        return internal_error(name, exc)
    if isinstance(ready, FileResult):
        return ready
    return lint_prepared(ready, settings)


def lint_text(text: str, path: str, settings: Settings | None = None) -> FileResult:
    """Lint Python source that is not on disk (stdin, an editor buffer)."""
    settings = settings or Settings()
    if len(text) > MAX_SOURCE_BYTES:
        data = text.encode("utf-8", "surrogatepass")
        if len(data) > MAX_SOURCE_BYTES and engine.may_hold_recurrent_layer(data):
            return FileResult(path=path, error=too_large_to_parse(len(data)))
    return lint_prepared(Prepared(path, "python", text), settings)


# --------------------------------------------------------------------------------------------------
# Many files
# --------------------------------------------------------------------------------------------------

_worker_settings: Settings | None = None


def _init_worker(settings: Settings, parent: int) -> None:
    global _worker_settings
    import signal

    from kerasrnnlint.children import default_signals, die_with_parent

    die_with_parent(parent)  # a `kill -9` of the run must not leave workers blocked forever
    default_signals()
    # Ctrl-C reaches the whole foreground process group: the run stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_settings = settings


def _work(item: Prepared) -> FileResult:
    return lint_isolated(item, _worker_settings or Settings())


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _parallel(items: Sequence[Prepared], settings: Settings, jobs: int) -> Iterator[FileResult]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Import the source frontend (libcst) once, here, so that forked workers inherit it.
    from kerasrnnlint.frontends.source import interpreter, layer_ir, noqa, summary  # noqa: F401

    methods = multiprocessing.get_all_start_methods()
    method = "fork" if sys.platform.startswith("linux") and "fork" in methods else None
    context = multiprocessing.get_context(method)
    chunk = max(1, min(64, len(items) // (jobs * 4) or 1))
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_init_worker,
        initargs=(settings, os.getpid()),
    )
    try:
        yield from pool.map(_work, items, chunksize=chunk)
    except BaseException:
        # Ctrl-C, a signal, a dead worker: stop the workers now. Leaving the pool normally would
        # wait for every queued file first.
        for child in multiprocessing.active_children():
            child.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def lint_targets(
    targets: Sequence[Target], settings: Settings, jobs: int | None = None
) -> list[FileResult]:
    """Lint every target; one FileResult per target, in the same order."""
    results: list[FileResult | None] = [None] * len(targets)
    pending: list[tuple[int, Prepared]] = []
    for index, target in enumerate(targets):
        if target.error is not None:
            results[index] = FileResult(path=target.path, error=target.error)
            continue
        if target.note is not None:
            results[index] = FileResult(path=target.path, skipped=True, notes=(target.note,))
            continue
        try:
            ready = prepare(target.path, target.explicit)
        except Exception as exc:
            ready = internal_error(target.path, exc)
        if isinstance(ready, FileResult):
            results[index] = ready
        else:
            pending.append((index, ready))
    pending = _from_result_cache(pending, results, settings)
    jobs = default_jobs() if jobs is None else max(1, jobs)
    items = [item for _, item in pending]
    finished = 0
    broken = False
    if jobs > 1 and len(items) > PARALLEL_THRESHOLD:
        try:
            for result in _parallel(items, settings, jobs):
                results[pending[finished][0]] = result
                finished += 1
        except Exception:  # a worker died (killed, a native crash, out of memory)
            broken = True
    for index, item in pending[finished:]:
        # After a worker died, the rest is finished here, each file in a child: the file that
        # killed the worker must not kill the run.
        results[index] = lint_isolated(item, settings, force=broken)
    return [
        _as_note(result) if not target.explicit else result
        for target, result in zip(targets, results, strict=True)
        if result is not None
    ]


def _from_result_cache(
    pending: list[tuple[int, Prepared]], results: list[FileResult | None], settings: Settings
) -> list[tuple[int, Prepared]]:
    """Fill ``results`` from the result cache where an entry still holds; the files left to
    lint, each with the cache entry its result goes to (nothing when ``--no-cache``)."""
    from kerasrnnlint.frontends import project_options

    if not pending or not project_options.cache or not project_options.enabled:
        return pending
    from kerasrnnlint import result_cache
    from kerasrnnlint.frontends.source import project

    left: list[tuple[int, Prepared]] = []
    caches: dict[Path, result_cache.ResultCache] = {}
    for index, item in pending:
        found = project.project_for(item.path) if item.kind == "python" else None
        if found is None or item.text is None:
            left.append((index, item))
            continue
        root = found[0].root
        cache = caches.get(root) or caches.setdefault(root, result_cache.ResultCache(root))
        entry = result_cache.key(item.path, item.text, settings, project=True)
        cached = cache.get(entry)
        if cached is not None and cached[0].path == item.path and found[0].unchanged(cached[1]):
            results[index] = cached[0]
            with project.STATISTICS.lock:
                project.STATISTICS.results_cached += 1
            continue
        with project.STATISTICS.lock:
            project.STATISTICS.results_linted += 1
        left.append((index, replace(item, cache_key=entry, cache_root=str(root))))
    return left


def _as_note(result: FileResult) -> FileResult:
    """A file found by a directory walk that needs a missing optional package: not checked, said
    in a note, and the run's exit status is left to the other inputs."""
    if not result.missing_dependency or result.error is None:
        return result
    return FileResult(path=result.path, skipped=True, notes=(f"not checked: {result.error}",))
