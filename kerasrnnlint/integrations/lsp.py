"""``kerasrnnlint server``: a language server over stdio (pygls).

- Diagnostics on open, change (debounced, 150 ms by default) and save, linted from the editor's
  buffer (never the disk) in a worker thread so the server keeps answering while it lints.
  Severity: high → Error, medium → Warning, low → Information, info → Hint. ``code`` is the rule
  code and ``codeDescription.href`` links to the rule's documentation (:data:`RULE_DOCS_URL`).
- Hover on a finding: the message, the risk factors that set its severity, the rule's explanation.
- Code actions: the rule's quick fix (the same libcst edit as ``--fix``,
  :func:`kerasrnnlint.fixes.fix_source`) and "Suppress with ``# noqa: CODE``"
  (:func:`kerasrnnlint.fixes.add_noqa_source`).
- Configuration: ``[tool.kerasrnnlint]`` of the nearest ``pyproject.toml`` above the document,
  re-read when a ``pyproject.toml`` changes (``workspace/didChangeWatchedFiles``, or on its save).
  A document its ``exclude``/``extend-exclude`` globs cover gets no diagnostics.

pygls and lsprotocol are imported only here, so a lint run never pays for them.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition

from kerasrnnlint import __version__, config, fixes
from kerasrnnlint.config import Settings
from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Finding, Severity
from kerasrnnlint.ir import Span
from kerasrnnlint.rules import BY_CODE
from kerasrnnlint.runner import lint_text

# Where a rule's documentation lives: its module, whose docstring is also what
# ``kerasrnnlint explain CODE`` prints. ``{module}`` is the rule's module name, ``{code}`` its code.
RULE_DOCS_URL = (
    "https://github.com/kerasrnnlint/kerasrnnlint/blob/main/kerasrnnlint/rules/{module}.py"
)
DEBOUNCE_S = 0.15
SOURCE = "kerasrnnlint"

SEVERITIES: dict[Severity, types.DiagnosticSeverity] = {
    Severity.HIGH: types.DiagnosticSeverity.Error,
    Severity.MEDIUM: types.DiagnosticSeverity.Warning,
    Severity.LOW: types.DiagnosticSeverity.Information,
    Severity.INFO: types.DiagnosticSeverity.Hint,
}

log = logging.getLogger(__name__)
T = TypeVar("T")


# --------------------------------------------------------------------------------------------------
# Pure helpers: findings → LSP objects
# --------------------------------------------------------------------------------------------------


def rule_docs_url(code: str) -> str:
    rule = BY_CODE.get(code)
    module = rule.check.__module__.rsplit(".", 1)[-1] if rule else code.lower()
    return RULE_DOCS_URL.format(module=module, code=code)


def finding_span(finding: Finding) -> Span | None:
    if finding.location.span is not None:
        return finding.location.span
    return finding.subject.location.span if finding.subject else None


def to_range(span: Span | None, lines: Sequence[str], codec: Any) -> types.Range:
    """An LSP range (0-based, client units) of a 1-based code-point span."""
    if span is None:
        return types.Range(types.Position(0, 0), types.Position(0, 0))
    start = ServerTextPosition(span.line - 1, span.column - 1)
    end = ServerTextPosition(span.end_line - 1, span.end_column - 1)
    return types.Range(
        codec.position_to_client_units(lines, start), codec.position_to_client_units(lines, end)
    )


def diagnostic(finding: Finding, lines: Sequence[str], codec: Any) -> types.Diagnostic:
    return types.Diagnostic(
        range=to_range(finding_span(finding), lines, codec),
        message=finding.message,
        severity=SEVERITIES[finding.severity],
        code=finding.code,
        code_description=types.CodeDescription(href=rule_docs_url(finding.code)),
        source=SOURCE,
        data={"name": finding.name, "severity": str(finding.severity)},
    )


def hover_text(finding: Finding) -> str:
    """Markdown: what was found, the risk factors behind its severity, the rule's explanation."""
    parts = [f"**{finding.code} {finding.name}** ({finding.severity})", "", finding.message]
    if finding.factors:
        parts += ["", "**Risk factors:**"]
        parts += [f"- `{f.name}` = {f.value}: {f.effect}" for f in finding.factors]
    if finding.fix is not None:
        safety = "safe" if finding.fix.safe else "unsafe: it changes what the model computes"
        parts += ["", f"**Fix:** {finding.fix.title} ({safety})"]
    rule = BY_CODE.get(finding.code)
    if rule is not None:
        parts += ["", "---", "", _explanation(rule.doc)]
        parts += ["", f"[{finding.code} documentation]({rule_docs_url(finding.code)})"]
    return "\n".join(parts)


def _explanation(doc: str) -> str:
    """The rule docstring's "What it does" and "Why is this bad?" sections."""
    body = doc.split("\n", 1)[1] if "\n" in doc else doc
    return body.split("## Example", 1)[0].strip()


def text_edit(old: str, new: str, codec: Any) -> types.TextEdit:
    """One TextEdit turning ``old`` into ``new`` (the changed middle only)."""
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old -= 1
        end_new -= 1
    lines = old.splitlines(keepends=True)
    return types.TextEdit(
        range=types.Range(
            _client_position(old, start, lines, codec), _client_position(old, end_old, lines, codec)
        ),
        new_text=new[start:end_new],
    )


def _client_position(text: str, offset: int, lines: Sequence[str], codec: Any) -> types.Position:
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    position: types.Position = codec.position_to_client_units(
        lines, ServerTextPosition(line, column)
    )
    return position


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _contains(r: types.Range, p: types.Position) -> bool:
    return (
        (r.start.line, r.start.character)
        <= (p.line, p.character)
        <= (
            r.end.line,
            r.end.character,
        )
    )


# --------------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------------


def load_settings(document: Path) -> tuple[Settings, Path | None, str | None]:
    """The settings for a document: ``[tool.kerasrnnlint]`` of the nearest ``pyproject.toml``
    that has one (the CLI's loader), the file, and an error message when it cannot be used (then
    the defaults apply)."""
    found = config.find_config(document)
    if found is None:
        return Settings(), None, None
    try:
        return config.load_config(found), found, None
    except config.ConfigError as exc:  # a bad config must not stop the server: say so
        return Settings(), found, str(exc)


def lint_document(text: str, path: str, settings: Settings) -> FileResult:
    """The findings of a buffer; none for a file the configuration's ``exclude`` globs cover
    (a directory above it inside the project included), as the command line skips it."""
    from kerasrnnlint.discovery import _excluded_anywhere

    if Path(path).is_absolute() and _excluded_anywhere(path, settings):
        return FileResult(path=path, skipped=True)
    return lint_text(text, path, settings)


# --------------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------------


@dataclass
class Linted:
    version: int | None
    text: str
    result: FileResult


@dataclass(frozen=True)
class Request:
    """A snapshot of a document for work done off the event-loop thread."""

    uri: str
    version: int | None
    text: str
    settings: Settings
    path: str


@dataclass
class State:
    debounce: float = DEBOUNCE_S
    linted: dict[str, Linted] = field(default_factory=dict)
    timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    tasks: set[asyncio.Future[None]] = field(default_factory=set)
    settings: dict[Path, Settings] = field(default_factory=dict)
    fix_cache: dict[tuple[str, str, Span | None], tuple[str, fixes.SourceFix | None]] = field(
        default_factory=dict
    )
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="lint")
    )


class KerasRnnLintServer(LanguageServer):
    def __init__(self, debounce: float = DEBOUNCE_S) -> None:
        super().__init__(
            "kerasrnnlint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full
        )
        self.state = State(debounce=debounce)

    # -- linting ----------------------------------------------------------------------------------

    def settings_for(self, doc: TextDocument) -> tuple[Settings, str]:
        """The settings for a document and the path to lint it as."""
        if doc.path is None:
            return Settings(), doc.uri
        directory = Path(doc.path).parent
        if directory not in self.state.settings:
            settings, _, error = load_settings(Path(doc.path))
            self.state.settings[directory] = settings
            if error:
                self.window_show_message(
                    types.ShowMessageParams(types.MessageType.Error, f"kerasrnnlint: {error}")
                )
        return self.state.settings[directory], doc.path

    def schedule(self, uri: str, delay: float) -> None:
        loop = asyncio.get_running_loop()
        old = self.state.timers.pop(uri, None)
        if old is not None:
            old.cancel()
        self.state.timers[uri] = loop.call_later(delay, self.start_lint, uri)

    def start_lint(self, uri: str) -> None:
        task = asyncio.ensure_future(self.lint_and_publish(uri))
        self.state.tasks.add(task)  # keep a reference until it is done
        task.add_done_callback(self.state.tasks.discard)

    async def lint_and_publish(self, uri: str) -> None:
        self.state.timers.pop(uri, None)
        doc = self.workspace.text_documents.get(uri)
        if doc is None:
            return
        version, text = doc.version, doc.source
        settings, path = self.settings_for(doc)
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(
            self.state.executor, lint_document, text, path, settings
        )
        current = self.workspace.text_documents.get(uri)
        if current is None or current.version != version or uri in self.state.timers:
            return  # closed, or changed again: a newer lint will publish
        self.publish(uri, version, text, result)

    def lint_now(self, request: Request) -> Linted:
        """The findings of the document's text when the request came (re-linted here, in the
        worker thread, when the published ones are stale)."""
        cached = self.state.linted.get(request.uri)
        if cached is not None and cached.text == request.text:
            return cached
        result = lint_document(request.text, request.path, request.settings)
        return Linted(request.version, request.text, result)

    async def in_worker(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function`` in the lint thread (requests stay answered while it works)."""
        return await asyncio.get_running_loop().run_in_executor(
            self.state.executor, function, *args
        )

    def request(self, uri: str) -> Request | None:
        """What a request about ``uri`` works on, taken in the event-loop thread."""
        doc = self.workspace.text_documents.get(uri)
        if doc is None:
            return None
        settings, path = self.settings_for(doc)
        return Request(uri, doc.version, doc.source, settings, path)

    def publish(self, uri: str, version: int | None, text: str, result: FileResult) -> None:
        self.state.linted[uri] = Linted(version, text, result)
        if result.error:
            self.window_log_message(
                types.LogMessageParams(types.MessageType.Log, f"{uri}: {result.error}")
            )
        lines = text.splitlines(keepends=True)
        codec = self.workspace.position_codec
        diagnostics = [diagnostic(f, lines, codec) for f in result.findings]
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )

    def relint_all(self) -> None:
        self.state.settings.clear()
        for uri in list(self.workspace.text_documents):
            self.schedule(uri, 0)

    # -- code actions and hover -------------------------------------------------------------------

    def findings_at(self, linted: Linted, wanted: types.Range) -> list[tuple[Finding, types.Range]]:
        lines = linted.text.splitlines(keepends=True)
        codec = self.workspace.position_codec
        found = []
        for finding in linted.result.findings:
            where = to_range(finding_span(finding), lines, codec)
            if _overlaps(where, wanted):
                found.append((finding, where))
        return found

    def quick_fix(self, uri: str, text: str, finding: Finding) -> fixes.SourceFix | None:
        """The finding's fix as a libcst edit of ``text``, remembered until the text changes
        (editors ask for code actions at every cursor move)."""
        key = (uri, finding.code, finding_span(finding))
        cached = self.state.fix_cache.get(key)
        if cached is not None and cached[0] == text:
            return cached[1]
        try:
            edited: fixes.SourceFix | None = fixes.fix_source(text, [finding], unsafe=True)
        except fixes.FixError:
            edited = None
        self.state.fix_cache = {k: v for k, v in self.state.fix_cache.items() if v[0] == text}
        self.state.fix_cache[key] = (text, edited)
        return edited

    def code_actions(
        self, params: types.CodeActionParams, request: Request
    ) -> list[types.CodeAction]:
        uri = request.uri
        linted = self.lint_now(request)
        codec = self.workspace.position_codec
        actions = []
        lines = linted.text.splitlines(keepends=True)
        for finding, where in self.findings_at(linted, params.range):
            diag = diagnostic(finding, lines, codec)
            fix = finding.fix
            if fix is not None and fix.changes and not fix.normalize_input:
                edited = self.quick_fix(uri, linted.text, finding)
                if edited is not None and edited.applied:
                    title = f"Fix {finding.code}: {fix.title}"
                    if not fix.safe:
                        title += " (unsafe: changes what the model computes)"
                    actions.append(
                        types.CodeAction(
                            title=title,
                            kind=types.CodeActionKind.QuickFix,
                            diagnostics=[diag],
                            is_preferred=fix.safe,
                            edit=_workspace_edit(uri, linted.text, edited.text, codec),
                        )
                    )
            try:
                noqa = fixes.add_noqa_source(linted.text, [(where.start.line + 1, finding.code)])
            except fixes.FixError:
                continue
            if noqa != linted.text:
                actions.append(
                    types.CodeAction(
                        title=f"Suppress with `# noqa: {finding.code}`",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diag],
                        edit=_workspace_edit(uri, linted.text, noqa, codec),
                    )
                )
        return actions

    def hover(self, params: types.HoverParams, request: Request) -> types.Hover | None:
        linted = self.lint_now(request)
        point = types.Range(params.position, params.position)
        texts, ranges = [], []
        for finding, where in self.findings_at(linted, point):
            if _contains(where, params.position):
                texts.append(hover_text(finding))
                ranges.append(where)
        if not texts:
            return None
        return types.Hover(
            contents=types.MarkupContent(
                kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(texts)
            ),
            range=ranges[0],
        )


def _workspace_edit(uri: str, old: str, new: str, codec: Any) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(changes={uri: [text_edit(old, new, codec)]})


def _is_pyproject(uri: str) -> bool:
    return uri.rstrip("/").endswith("/pyproject.toml") or uri == "pyproject.toml"


def build_server(debounce: float = DEBOUNCE_S) -> KerasRnnLintServer:
    server = KerasRnnLintServer(debounce=debounce)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: KerasRnnLintServer, params: types.InitializedParams) -> None:
        caps = ls.client_capabilities.workspace
        watched = caps.did_change_watched_files if caps else None
        if watched is None or not watched.dynamic_registration:
            return
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
        except Exception as exc:  # the client refused: config is still re-read on save
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
        timer = ls.state.timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        ls.state.linted.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: KerasRnnLintServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(_is_pyproject(change.uri) for change in params.changes):
            ls.relint_all()

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    async def code_action(
        ls: KerasRnnLintServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        request = ls.request(params.text_document.uri)
        if request is None:
            return []
        return await ls.in_worker(ls.code_actions, params, request)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: KerasRnnLintServer, params: types.HoverParams) -> types.Hover | None:
        request = ls.request(params.text_document.uri)
        if request is None:
            return None
        return await ls.in_worker(ls.hover, params, request)

    return server


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(
        prog="kerasrnnlint server",
        description="Run the kerasrnnlint language server over stdio.",
    )
    parser.add_argument("--stdio", action="store_true", help="use stdio (the default and only)")
    parser.add_argument(
        "--debounce-ms",
        type=float,
        default=DEBOUNCE_S * 1000,
        help="wait this long after the last change before linting (default: 150)",
    )
    args = parser.parse_args(list(argv))
    logging.basicConfig(level=logging.WARNING)
    build_server(debounce=max(0.0, args.debounce_ms) / 1000).start_io()
    return 0
