"""The language server: documents in, diagnostics (pushed or pulled), hover and code actions out.

Lints run in daemon worker threads (:class:`Worker`); the event-loop thread only schedules them
and answers requests. Each lint's outcome is kept as a :class:`Snapshot` (findings, diagnostics
and text per document or notebook cell); hover and code actions are answered from the latest
snapshot without waiting for a lint in progress, and quick-fix edits are computed in their own
thread, so a large buffer being linted never holds up another document.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import itertools
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace.position_codec import PositionCodec

from kerasrnnlint import __version__, engine, fixes
from kerasrnnlint.config import Settings
from kerasrnnlint.engine import FileResult
from kerasrnnlint.files import MAX_SOURCE_BYTES, too_large_to_parse
from kerasrnnlint.findings import Finding
from kerasrnnlint.frontends.base import FrontendResult, InputError, MissingDependency
from kerasrnnlint.integrations.lsp import convert
from kerasrnnlint.integrations.lsp.convert import FIX_ALL_KIND, split_lines
from kerasrnnlint.integrations.lsp.documents import (
    ConfigCache,
    Part,
    Target,
    doc_key,
    lintable,
    scheme,
    untitled_path,
)
from kerasrnnlint.integrations.lsp.transport import Protocol
from kerasrnnlint.runner import internal_error, lint_text

if TYPE_CHECKING:  # libcst is imported by the first lint, not at start-up
    from kerasrnnlint.frontends.source.incremental import IncrementalParser

# How long after the last change a lint starts. With the incremental parse an edit's lint costs
# 60-130 ms of CPU on 800-1,000-line modules (bench/bench_lsp.py): a lint superseded by the next
# keystroke wastes little, and diagnostics come about 50 ms + one lint after typing stops.
DEBOUNCE_S = 0.05
LINT_THREADS = 2  # a large buffer being linted does not hold up a small one
MAX_FIX_CACHE = 64

log = logging.getLogger(__name__)
T = TypeVar("T")


# --------------------------------------------------------------------------------------------------
# Linting (runs in a worker thread)
# --------------------------------------------------------------------------------------------------


def lint_document(
    text: str, path: str, settings: Settings, parser: IncrementalParser | None = None
) -> FileResult:
    """The findings of a buffer; none for a file the configuration's ``exclude`` globs cover
    (a directory above it inside the project included), as the command line skips it.

    With ``parser`` (the document's, kept between its lints), only the top-level statements
    an edit touched are parsed again; the result is the command line's all the same."""
    from kerasrnnlint.discovery import _excluded_anywhere

    if Path(path).is_absolute() and _excluded_anywhere(path, settings):
        return FileResult(path=path, skipped=True)
    if parser is None or len(text) > MAX_SOURCE_BYTES:  # a huge buffer: the size check's way
        return lint_text(text, path, settings)
    from kerasrnnlint.frontends import source

    return _guarded(path, settings, lambda: source.analyze(text, path, parser=parser))


def lint_cells(cells: Sequence[tuple[int, str]], path: str, settings: Settings) -> FileResult:
    """The findings of a notebook's Python code cells (number, source), linted together as the
    notebook frontend lints an ``.ipynb`` file, located by cell."""
    from kerasrnnlint.discovery import _excluded_anywhere
    from kerasrnnlint.frontends import notebook

    if Path(path).is_absolute() and _excluded_anywhere(path, settings):
        return FileResult(path=path, skipped=True)
    size = sum(len(source.encode("utf-8", "surrogatepass")) for _, source in cells)
    if size > MAX_SOURCE_BYTES:
        return FileResult(path=path, error=too_large_to_parse(size))
    parsed = notebook.Notebook(
        cells=tuple(notebook.Cell(number=n, index=n - 1, source=s) for n, s in cells)
    )
    return _guarded(path, settings, lambda: notebook.analyze_notebook(parsed, path))


def _guarded(path: str, settings: Settings, analyse: Callable[[], FrontendResult]) -> FileResult:
    """The findings of one frontend run; every way it can fail becomes the result's error."""
    try:
        return engine.from_frontend(path, analyse(), settings)
    except MissingDependency as exc:
        return FileResult(path=path, error=exc.message, missing_dependency=True)
    except InputError as exc:
        return FileResult(path=path, error=exc.describe())
    except RecursionError:
        return FileResult(path=path, error="too deeply nested to analyse (recursion limit)")
    except MemoryError:
        return FileResult(path=path, error="out of memory while analysing")
    except Exception as exc:
        return internal_error(path, exc)


@dataclass(frozen=True)
class View:
    """One document's share of a lint: its text, findings and diagnostics (display order)."""

    uri: str
    version: int | None
    text: str
    lines: tuple[str, ...]
    findings: tuple[Finding, ...]
    diagnostics: tuple[types.Diagnostic, ...]


@dataclass(frozen=True)
class Computed:
    result: FileResult
    views: dict[str, View]
    config_error: str | None
    config_changed: bool


def compute(
    target: Target,
    configs: ConfigCache,
    codec: PositionCodec,
    wanted: Callable[[], bool] = lambda: True,
    parser: IncrementalParser | None = None,
) -> Computed | None:
    """Lint a target (None when it is no longer ``wanted`` by the time a thread takes it up:
    edited again or closed while it waited); a text document with its ``parser``."""
    if not wanted():
        return None
    settings, error, changed = configs.settings_for(Path(target.path))
    try:
        if target.notebook:
            cells = [(p.cell or 0, p.text) for p in target.parts]
            result = lint_cells(cells, target.path, settings)
        else:
            result = lint_document(target.parts[0].text, target.path, settings, parser)
        views = build_views(target, result, codec)
    except Exception as exc:  # a bug: say so in the log and keep serving
        result = internal_error(target.path, exc)
        views = build_views(target, FileResult(path=target.path), codec)
    return Computed(result, views, error, changed)


def build_views(target: Target, result: FileResult, codec: PositionCodec) -> dict[str, View]:
    by_part: dict[int, list[Finding]] = {i: [] for i in range(len(target.parts))}
    index = {p.cell: i for i, p in enumerate(target.parts)}
    for finding in result.findings:
        by_part[index.get(finding.location.cell, 0) if target.notebook else 0].append(finding)
    views = {}
    for i, part in enumerate(target.parts):
        lines = tuple(split_lines(part.text))
        ordered = tuple(convert.display_order(by_part[i]))
        views[doc_key(part.uri)] = View(
            uri=part.uri,
            version=part.version,
            text=part.text,
            lines=lines,
            findings=ordered,
            diagnostics=tuple(convert.diagnostic(f, part.uri, lines, codec) for f in ordered),
        )
    return views


# --------------------------------------------------------------------------------------------------
# Worker threads
# --------------------------------------------------------------------------------------------------


class Worker:
    """Daemon threads running blocking calls for the event loop (a lint in progress never keeps
    the process alive after ``exit``)."""

    def __init__(self, name: str, threads: int) -> None:
        self.threads = threads
        self.jobs: queue.SimpleQueue[
            tuple[Callable[..., Any], tuple[Any, ...], Any, Any] | None
        ] = queue.SimpleQueue()
        for n in range(threads):
            threading.Thread(target=self._run, name=f"{name}-{n}", daemon=True).start()

    def stop(self) -> None:
        """Let the threads end once the jobs already submitted are done."""
        for _ in range(self.threads):
            self.jobs.put(None)

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            function, args, future, loop = job
            del job
            try:
                result = function(*args)
            except BaseException as exc:  # handed to the awaiting coroutine
                outcome: tuple[Callable[..., None], Any] = (_set_exception, exc)
            else:
                outcome = (_set_result, result)
                del result
            with contextlib.suppress(RuntimeError):  # the loop is closed: the server exits
                loop.call_soon_threadsafe(outcome[0], future, outcome[1])
            del function, args, future, loop, outcome  # keep no finished job's memory alive

    def submit(self, function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self.jobs.put((function, args, future, loop))
        return future


def _set_result(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():
        future.set_result(result)


def _set_exception(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


def trim_memory() -> None:
    """Give freed memory back to the system (glibc keeps it in its arenas otherwise)."""
    gc.collect()
    name = ctypes.util.find_library("c")
    if name is None:
        return
    try:
        libc = ctypes.CDLL(name)
        trim = getattr(libc, "malloc_trim", None)
        if trim is not None:
            trim(0)
    except OSError:
        pass


# --------------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    target: Target
    views: dict[str, View]
    result: FileResult
    result_id: str


@dataclass
class State:
    debounce: float = DEBOUNCE_S
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    inflight: dict[str, tuple[Target, asyncio.Future[Snapshot | None]]] = field(
        default_factory=dict
    )
    tasks: set[asyncio.Future[Any]] = field(default_factory=set)
    configs: ConfigCache = field(default_factory=ConfigCache)
    # Each open text document's parser: its statements' trees, kept between its lints.
    parsers: dict[str, IncrementalParser] = field(default_factory=dict)
    shown_errors: set[str] = field(default_factory=set)
    # Quick-fix edits per document: (the text they were computed on, edits by finding).
    fix_cache: dict[str, tuple[str, dict[tuple[Any, ...], fixes.SourceFix | None]]] = field(
        default_factory=dict
    )
    ids: Iterator[int] = field(default_factory=itertools.count)


class KerasRnnLintServer(LanguageServer):
    protocol: Protocol

    def __init__(self, debounce: float = DEBOUNCE_S) -> None:
        super().__init__(
            "kerasrnnlint",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            notebook_document_sync=types.NotebookDocumentSyncOptions(
                notebook_selector=[
                    types.NotebookDocumentFilterWithCells(
                        notebook="*", cells=[types.NotebookCellLanguage(language="python")]
                    )
                ]
            ),
            protocol_cls=Protocol,
        )
        self.state = State(debounce=debounce)
        self.lints = Worker("lint", LINT_THREADS)
        # Quick-fix edits parse the document: one thread per document, so that a large
        # document's edit never holds up another document's actions.
        self.fixers: dict[str, Worker] = {}
        self.fix_lock = threading.Lock()

    # -- what the client supports -----------------------------------------------------------------

    @property
    def pull(self) -> bool:
        """The client asks for diagnostics (LSP 3.17 ``textDocument/diagnostic``): no pushing."""
        text = self.client_capabilities.text_document
        return text is not None and text.diagnostic is not None

    @property
    def refresh_support(self) -> bool:
        workspace = self.client_capabilities.workspace
        diagnostics = workspace.diagnostics if workspace else None
        return bool(diagnostics and diagnostics.refresh_support)

    # -- documents --------------------------------------------------------------------------------

    def workspace_root(self) -> str | None:
        root: str | None = self.workspace.root_path
        if root:
            return root
        for folder in self.workspace.folders.values():
            path = to_fs_path(folder.uri)
            if path:
                return path
        return None

    def path_of(self, uri: str) -> str | None:
        if scheme(uri) == "untitled":
            return untitled_path(uri, self.workspace_root())
        if scheme(uri) == "file":
            return to_fs_path(uri)
        return None

    def target_for(self, uri: str) -> Target | None:
        """What a lint of the document (or the notebook holding the cell) ``uri`` covers now."""
        workspace = self.workspace
        notebook = workspace.get_notebook_document(cell_uri=uri) or (
            workspace.get_notebook_document(notebook_uri=uri)
        )
        if notebook is not None:
            return self.notebook_target(notebook)
        doc = workspace.text_documents.get(doc_key(uri))
        if doc is None or not lintable(doc.uri, doc.language_id):
            return None
        path = self.path_of(doc.uri)
        if path is None:
            return None
        part = Part(uri=doc.uri, text=doc.source, version=doc.version)
        return Target(key=doc_key(doc.uri), uri=doc.uri, path=path, parts=(part,))

    def notebook_target(self, notebook: types.NotebookDocument) -> Target | None:
        path = self.path_of(notebook.uri)
        if path is None:
            return None
        parts = []
        for number, cell in enumerate(notebook.cells, start=1):
            if cell.kind != types.NotebookCellKind.Code:
                continue
            doc = self.workspace.text_documents.get(doc_key(cell.document))
            if doc is None or (doc.language_id or "python").lower() != "python":
                continue
            parts.append(Part(uri=doc.uri, text=doc.source, version=doc.version, cell=number))
        return Target(
            key=doc_key(notebook.uri),
            uri=notebook.uri,
            path=path,
            parts=tuple(parts),
            notebook=True,
        )

    def target_uris(self) -> list[str]:
        """Every open document and notebook (not the cells), as the client spells them."""
        workspace = self.workspace
        uris = [nb.uri for nb in workspace.notebook_documents.values()]
        for doc in workspace.text_documents.values():
            if workspace.get_notebook_document(cell_uri=doc.uri) is None:
                uris.append(doc.uri)
        return uris

    def current_view(self, uri: str) -> tuple[View | None, int | None]:
        """The latest results for ``uri`` if they are for its current text, and its number of
        lines now (None: no such document)."""
        doc = self.workspace.text_documents.get(doc_key(uri))
        if doc is None:
            return None, None
        target = self.target_for(uri)
        snapshot = self.state.snapshots.get(target.key) if target else None
        view = snapshot.views.get(doc_key(uri)) if snapshot else None
        if view is None or view.text != doc.source:
            return None, convert.count_lines(doc.source)
        return view, len(view.lines)

    # -- scheduling -------------------------------------------------------------------------------

    def schedule(self, uri: str, delay: float) -> None:
        target = self.target_for(uri)
        if target is None:
            return
        self.cancel_timer(target.key)
        loop = asyncio.get_running_loop()
        self.state.timers[target.key] = loop.call_later(delay, self._fire, target.uri)

    def cancel_timer(self, key: str) -> None:
        timer = self.state.timers.pop(key, None)
        if timer is not None:
            timer.cancel()

    def _fire(self, uri: str) -> None:
        self.state.timers.pop(doc_key(uri), None)
        self.ensure_lint(uri)

    def ensure_lint(self, uri: str) -> asyncio.Future[Snapshot | None] | None:
        """The lint of the target's current text: the one in flight, or a new one."""
        target = self.target_for(uri)
        if target is None:
            return None
        key = target.key
        inflight = self.state.inflight.get(key)
        if inflight is not None and inflight[0].same_text(target):
            return inflight[1]
        future: asyncio.Future[Snapshot | None] = asyncio.ensure_future(self.lint(target))
        self.state.inflight[key] = (target, future)

        def done(_: object) -> None:
            if self.state.inflight.get(key, (None, None))[1] is future:
                del self.state.inflight[key]

        future.add_done_callback(done)
        return future

    async def lint(self, target: Target) -> Snapshot | None:
        inflight = self.state.inflight

        def wanted() -> bool:  # called in the lint thread; reads one dict entry
            entry = inflight.get(target.key)
            return entry is not None and entry[0] is target

        parser = None
        if not target.notebook:
            parser = self.state.parsers.get(target.key)
            if parser is None:
                from kerasrnnlint.frontends.source.incremental import IncrementalParser

                parser = self.state.parsers[target.key] = IncrementalParser()
        computed = await self.lints.submit(
            compute, target, self.state.configs, self.workspace.position_codec, wanted, parser
        )
        if computed is None:
            return None
        if computed.config_error:
            self.show_config_error(computed.config_error)
        if computed.config_changed:
            self.relint_all(skip=target.key)
        current = self.target_for(target.uri)
        if current is None:  # closed meanwhile: nothing to keep
            trim_memory()
            return None
        if not target.same_text(current):
            return None  # changed again: a newer lint publishes
        if computed.result.error:
            self.window_log_message(
                types.LogMessageParams(
                    types.MessageType.Log, f"{target.uri}: {computed.result.error}"
                )
            )
        snapshot = Snapshot(target, computed.views, computed.result, str(next(self.state.ids)))
        self.state.snapshots[target.key] = snapshot
        if not self.pull:
            self.publish(snapshot)
        return snapshot

    async def fresh_snapshot(self, uri: str) -> Snapshot | None:
        """The results for the current text and configuration (linting now if needed)."""
        for _ in range(10):  # a document edited faster than it lints: give up after a while
            target = self.target_for(uri)
            if target is None:
                return None
            snapshot = self.state.snapshots.get(target.key)
            if (
                snapshot is not None
                and snapshot.target.same_text(target)
                and not self.state.configs.identity_changed(Path(target.path))
            ):
                return snapshot
            self.cancel_timer(target.key)
            future = self.ensure_lint(target.uri)
            if future is None:
                return None
            got = await asyncio.shield(future)
            if got is not None and got.target.same_text(self.target_for(uri)):
                return got
        return self.state.snapshots.get(target.key) if target else None

    def publish(self, snapshot: Snapshot) -> None:
        for view in snapshot.views.values():
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(
                    uri=view.uri, diagnostics=list(view.diagnostics), version=view.version
                )
            )

    def clear(self, uris: Iterable[str]) -> None:
        if self.pull:
            return
        for uri in uris:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))

    def forget(self, key: str, part_uris: Iterable[str] = ()) -> None:
        """Free everything kept for a closed document or notebook."""
        self.cancel_timer(key)
        self.state.inflight.pop(key, None)
        self.state.parsers.pop(key, None)
        snapshot = self.state.snapshots.pop(key, None)
        uris = {doc_key(u) for u in part_uris}
        if snapshot is not None:
            uris |= set(snapshot.views)
        for uri in uris | {key}:
            self.drop_fixes(uri)
        del snapshot
        trim_memory()

    def relint_all(self, skip: str | None = None) -> None:
        if skip is None:
            self.state.configs.clear()
            self.state.snapshots.clear()
        for uri in self.target_uris():
            if doc_key(uri) != skip:
                self.state.snapshots.pop(doc_key(uri), None)
                self.schedule(uri, 0)
        if self.pull and self.refresh_support:
            self.spawn(self.workspace_diagnostic_refresh_async(None))

    def spawn(self, awaitable: Any) -> None:
        task = asyncio.ensure_future(awaitable)
        self.state.tasks.add(task)
        task.add_done_callback(self.state.tasks.discard)

    def show_config_error(self, error: str) -> None:
        if error in self.state.shown_errors:
            return
        self.state.shown_errors.add(error)
        self.window_show_message(
            types.ShowMessageParams(types.MessageType.Error, f"kerasrnnlint: {error}")
        )

    # -- requests ---------------------------------------------------------------------------------

    def pull_report(
        self, snapshot: Snapshot | None, uri: str, previous: str | None
    ) -> types.DocumentDiagnosticReport:
        view = snapshot.views.get(doc_key(uri)) if snapshot else None
        if snapshot is None or view is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        if previous is not None and previous == snapshot.result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=snapshot.result_id)
        return types.RelatedFullDocumentDiagnosticReport(
            items=list(view.diagnostics), result_id=snapshot.result_id
        )

    def hover(self, params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        view, lines = self.current_view(uri)
        if lines is not None:
            check_position(params.position, lines, "position")
        if view is None:
            return None
        found = [
            (finding, diag)
            for finding, diag in zip(view.findings, view.diagnostics, strict=True)
            if convert.contains(diag.range, params.position)
        ]
        if not found:
            return None
        found.sort(key=lambda pair: -int(pair[0].severity))  # the most severe first
        return types.Hover(
            contents=types.MarkupContent(
                kind=types.MarkupKind.Markdown,
                value="\n\n---\n\n".join(convert.hover_text(f) for f, _ in found),
            ),
            range=found[0][1].range,
        )

    async def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        view, lines = self.current_view(uri)
        if lines is not None:
            check_range(params.range, lines)
        if view is None:
            return []
        asked = params.context.diagnostics
        only = params.context.only
        chosen = [
            (finding, diag)
            for finding, diag in zip(view.findings, view.diagnostics, strict=True)
            if any(convert.same_diagnostic(sent, diag) for sent in asked)
        ]
        want_quick = convert.kind_allowed(types.CodeActionKind.QuickFix, only)
        want_all = convert.kind_allowed(FIX_ALL_KIND, only)
        if not (chosen and want_quick) and not (want_all and _any_safe_fix(view.findings)):
            return []
        codec = self.workspace.position_codec
        fixer = self.fixers.get(doc_key(uri))
        if fixer is None:
            fixer = self.fixers[doc_key(uri)] = Worker("fix", 1)
        return await fixer.submit(
            self.build_actions, view, chosen if want_quick else [], want_all, codec
        )

    def build_actions(
        self,
        view: View,
        chosen: Sequence[tuple[Finding, types.Diagnostic]],
        want_all: bool,
        codec: PositionCodec,
    ) -> list[types.CodeAction]:
        """The actions for the chosen diagnostics (fix thread: the edits parse the text)."""
        actions = []
        for finding, diag in chosen:
            fix = finding.fix
            if fix is not None and fix.changes and not fix.normalize_input:
                one = ("one", finding.code, convert.finding_span(finding))
                edited = self.cached_fix(view, one, [finding], True)
                if edited is not None and edited.applied:
                    title = f"Fix {finding.code}: {fix.title}"
                    if not fix.safe:
                        title += " (unsafe: changes what the model computes)"
                    actions.append(
                        types.CodeAction(
                            title=title,
                            kind=types.CodeActionKind.QuickFix,
                            diagnostics=[diag],
                            is_preferred=True,
                            edit=convert.workspace_edit(view.uri, view.text, edited.text, codec),
                        )
                    )
            try:
                # The finding's own line, and the lines of the findings folded into it (a
                # suppressed root no longer folds them: they would come back).
                targets = [(diag.range.start.line + 1, finding.code)]
                targets += [
                    (where.span.line, code)
                    for where, code in fixes.noqa_targets([finding])[1:]
                    if where.span is not None
                    and (where.path, where.cell) == (finding.location.path, finding.location.cell)
                ]
                noqa = fixes.add_noqa_source(view.text, targets)
                suppressed = ", ".join(dict.fromkeys(code for _, code in targets))
            except fixes.FixError:
                continue
            if noqa != view.text:
                actions.append(
                    types.CodeAction(
                        title=f"Suppress with `# noqa: {suppressed}`",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diag],
                        edit=convert.workspace_edit(view.uri, view.text, noqa, codec),
                    )
                )
        if want_all:
            every = self.cached_fix(view, ("all",), view.findings, False)
            if every is not None and every.applied and every.text != view.text:
                count = len(every.applied)
                actions.append(
                    types.CodeAction(
                        title=f"kerasrnnlint: fix all safely fixable ({count})",
                        kind=FIX_ALL_KIND,
                        edit=convert.workspace_edit(view.uri, view.text, every.text, codec),
                    )
                )
        return actions

    def cached_fix(
        self, view: View, key: tuple[Any, ...], findings: Sequence[Finding], unsafe: bool
    ) -> fixes.SourceFix | None:
        """A libcst edit of the view's text, remembered until the text changes (editors ask for
        code actions at every cursor move)."""
        doc = doc_key(view.uri)
        with self.fix_lock:
            text, cache = self.state.fix_cache.get(doc, (None, {}))
            if text != view.text:
                cache = {}
                self.state.fix_cache[doc] = (view.text, cache)
                while len(self.state.fix_cache) > MAX_FIX_CACHE:
                    self.state.fix_cache.pop(next(iter(self.state.fix_cache)))
            if key in cache:
                return cache[key]
        try:
            edited: fixes.SourceFix | None = fixes.fix_source(view.text, findings, unsafe=unsafe)
        except fixes.FixError:
            edited = None
        with self.fix_lock:
            cache[key] = edited
        return edited

    def drop_fixes(self, key: str) -> None:
        """Forget a closed document's edits and end its fix thread."""
        with self.fix_lock:
            self.state.fix_cache.pop(key, None)
        fixer = self.fixers.pop(key, None)
        if fixer is not None:
            fixer.stop()


def _any_safe_fix(findings: Iterable[Finding]) -> bool:
    return any(fixes.why_not_applicable(f, unsafe=False) is None for f in findings)


def check_position(position: types.Position, lines: int, what: str) -> None:
    """InvalidParams for a position past the end of the document (a line may be one past the
    last, where a final newline ends; a character past the end of its line means its end)."""
    if position.line > lines:
        raise JsonRpcInvalidParams(
            f"{what}: line {position.line} is past the end of the document ({lines} lines)"
        )


def check_range(r: types.Range, lines: int) -> None:
    check_position(r.start, lines, "range.start")
    check_position(r.end, lines, "range.end")
    if convert.key(r.end) < convert.key(r.start):
        raise JsonRpcInvalidParams("range: the end is before the start")


# --------------------------------------------------------------------------------------------------
# Wiring the features
# --------------------------------------------------------------------------------------------------


def _is_pyproject(uri: str) -> bool:
    path = doc_key(uri).rstrip("/")
    return path.endswith("/pyproject.toml") or path == "pyproject.toml"


def build_server(debounce: float = DEBOUNCE_S) -> KerasRnnLintServer:
    server = KerasRnnLintServer(debounce=debounce)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: KerasRnnLintServer, params: types.InitializedParams) -> None:
        caps = ls.client_capabilities.workspace
        watched = caps.did_change_watched_files if caps else None
        if watched is None or not watched.dynamic_registration:
            return  # the configuration's identity is still checked before each lint
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern="**/pyproject.toml")]
        )
        registration = types.Registration(
            id="kerasrnnlint-pyproject",
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=options,
        )
        try:
            await ls.client_register_capability_async(types.RegistrationParams([registration]))
        except Exception as exc:  # the client refused: the identity check still sees changes
            log.info("could not register a pyproject.toml watcher: %s", exc)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: KerasRnnLintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: KerasRnnLintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, ls.state.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: KerasRnnLintServer, params: types.DidSaveTextDocumentParams) -> None:
        if _is_pyproject(params.text_document.uri):
            ls.relint_all()
        else:
            ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: KerasRnnLintServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.forget(doc_key(uri), [uri])
        ls.clear([uri])

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_open(ls: KerasRnnLintServer, params: types.DidOpenNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri, 0)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_change(
        ls: KerasRnnLintServer, params: types.DidChangeNotebookDocumentParams
    ) -> None:
        structure = params.change.cells.structure if params.change.cells else None
        if structure is not None and structure.did_close:
            gone = [doc.uri for doc in structure.did_close]
            for uri in gone:
                ls.drop_fixes(doc_key(uri))
            ls.clear(gone)
        ls.schedule(params.notebook_document.uri, ls.state.debounce)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_close(
        ls: KerasRnnLintServer, params: types.DidCloseNotebookDocumentParams
    ) -> None:
        cells = [doc.uri for doc in params.cell_text_documents]
        ls.forget(doc_key(params.notebook_document.uri), cells)
        ls.clear(cells)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: KerasRnnLintServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(_is_pyproject(change.uri) for change in params.changes):
            ls.relint_all()

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(
            identifier="kerasrnnlint", inter_file_dependencies=False, workspace_diagnostics=False
        ),
    )
    async def pull(
        ls: KerasRnnLintServer, params: types.DocumentDiagnosticParams
    ) -> types.DocumentDiagnosticReport:
        uri = params.text_document.uri
        snapshot = await ls.fresh_snapshot(uri)
        return ls.pull_report(snapshot, uri, params.previous_result_id)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND]),
    )
    async def code_action(
        ls: KerasRnnLintServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        return await ls.code_actions(params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: KerasRnnLintServer, params: types.HoverParams) -> types.Hover | None:
        return ls.hover(params)

    return server


def run(debounce: float = DEBOUNCE_S) -> int:
    """Serve over stdio until ``exit``; the exit status (1 when ``exit`` came without
    ``shutdown``)."""
    import sys

    from kerasrnnlint.integrations.lsp.transport import serve

    server = build_server(debounce=debounce)
    code = serve(server.protocol, sys.stdin.buffer, sys.stdout.buffer)
    # The reading thread may be blocked on stdin, holding its lock: interpreter shutdown would
    # wait for it (or abort). Nothing is left to clean up, so leave at once.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
