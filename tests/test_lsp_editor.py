"""The language server as editors drive it, through a real LSP client (pytest-lsp): the order of
diagnostics and hovers, code actions for the asked diagnostics only, fix-all, URIs with escapes,
``untitled:`` buffers, configuration changes seen without file watching, pull diagnostics,
notebook documents, and answers that do not wait for a large document's lint."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from test_lsp import apply_edits, change_doc, codes, edits_of, open_doc, wait_for

SERVER = [sys.executable, "-m", "kerasrnnlint", "server"]
PULL = types.ClientCapabilities(
    text_document=types.TextDocumentClientCapabilities(
        diagnostic=types.DiagnosticClientCapabilities(related_document_support=False)
    ),
    workspace=types.WorkspaceClientCapabilities(
        diagnostics=types.DiagnosticWorkspaceClientCapabilities(refresh_support=False)
    ),
)
NOTEBOOKS = types.ClientCapabilities(
    notebook_document=types.NotebookDocumentClientCapabilities(
        synchronization=types.NotebookDocumentSyncClientCapabilities()
    )
)

# Line 3: KRL101 (info, for unroll) starts at the call, KRL001 (high) at the "relu" value, later.
ONE_LINE = 'from keras.layers import LSTM\n\nlayer = LSTM(8, unroll=True, activation="relu")\n'
SAFE_FIXES = """\
from keras.layers import LSTM

a = LSTM(8, activation="relu", use_cudnn=True)
b = LSTM(16, unroll=True, use_cudnn=True)
"""


async def start(client: LanguageClient, root: Path, capabilities: types.ClientCapabilities) -> None:
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
        )
    )


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, tmp_path: Path) -> AsyncIterator[None]:
    await start(lsp_client, tmp_path, types.ClientCapabilities())
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def puller(lsp_client: LanguageClient, tmp_path: Path) -> AsyncIterator[None]:
    await start(lsp_client, tmp_path, PULL)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def notebooks(lsp_client: LanguageClient, tmp_path: Path) -> AsyncIterator[None]:
    await start(lsp_client, tmp_path, NOTEBOOKS)
    yield
    await lsp_client.shutdown_session()


async def hover_at(client: LanguageClient, uri: str, line: int, character: int) -> str | None:
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
        )
    )
    if hover is None:
        return None
    assert isinstance(hover.contents, types.MarkupContent)
    return hover.contents.value


async def code_actions(
    client: LanguageClient,
    uri: str,
    where: types.Range,
    diagnostics: Sequence[types.Diagnostic],
    only: Sequence[str] | None = None,
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=where,
            context=types.CodeActionContext(diagnostics=list(diagnostics), only=only),
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


def whole_line(line: int) -> types.Range:
    return types.Range(types.Position(line, 0), types.Position(line + 1, 0))


# --------------------------------------------------------------------------------------------------
# Issue 10: what a person reads first, and actions for what was asked
# --------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_on_one_line_the_highest_severity_comes_first(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = (tmp_path / "order.py").as_uri()
    open_doc(client, uri, ONE_LINE)
    got = await wait_for(client, uri, lambda d: {"KRL001", "KRL101"} <= set(codes(d)), "both")
    on_line = [d for d in got if d.range.start.line == 2]
    assert [d.code for d in on_line][:2] == ["KRL001", "KRL101"]
    assert on_line[0].range.start.character > on_line[1].range.start.character

    text = await hover_at(client, uri, 2, on_line[0].range.start.character + 1)  # both cover it
    assert text is not None
    assert text.index("**KRL001") < text.index("**KRL101")


@pytest.mark.asyncio
async def test_actions_only_for_the_asked_diagnostics_and_the_fix_is_preferred(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = (tmp_path / "asked.py").as_uri()
    open_doc(client, uri, ONE_LINE)
    got = await wait_for(client, uri, lambda d: {"KRL001", "KRL101"} <= set(codes(d)), "both")
    (relu,) = [d for d in got if d.code == "KRL001"]

    actions = await code_actions(client, uri, whole_line(2), [relu])
    titles = [a.title for a in actions]
    assert titles and all("KRL001" in t for t in titles), titles
    (fix,) = [a for a in actions if a.title.startswith("Fix KRL001")]
    assert fix.is_preferred is True
    assert fix.kind == types.CodeActionKind.QuickFix
    (noqa,) = [a for a in actions if a.title.startswith("Suppress")]
    assert not noqa.is_preferred

    # A cursor on the line with no diagnostic in the context: nothing to offer.
    assert await code_actions(client, uri, whole_line(2), []) == []

    # Neovim 0.7 sends back ranges it recomputed in bytes: the same code and message on the same
    # line is still that diagnostic.
    shifted = types.Range(
        types.Position(2, relu.range.start.character + 7),
        types.Position(2, relu.range.end.character + 7),
    )
    recomputed = types.Diagnostic(range=shifted, message=relu.message, code="KRL001")
    again = await code_actions(client, uri, whole_line(2), [recomputed])
    assert [a.title for a in again] == titles
    other = types.Diagnostic(range=shifted, message="something else", code="KRL001")
    assert await code_actions(client, uri, whole_line(2), [other]) == []


@pytest.mark.asyncio
async def test_fix_all_applies_every_safe_fix(client: LanguageClient, tmp_path: Path) -> None:
    uri = (tmp_path / "fixall.py").as_uri()
    open_doc(client, uri, SAFE_FIXES)
    await wait_for(client, uri, lambda d: codes(d).count("KRL102") == 2, "two KRL102")

    everything = types.Range(types.Position(0, 0), types.Position(4, 0))
    actions = await code_actions(client, uri, everything, [], only=["source.fixAll"])
    (fix_all,) = actions
    assert fix_all.kind == "source.fixAll.kerasrnnlint"
    fixed = apply_edits(SAFE_FIXES, edits_of(fix_all, uri))
    assert fixed == SAFE_FIXES.replace("use_cudnn=True", 'use_cudnn="auto"')  # relu stays: unsafe

    # Asked for quick fixes only, fix-all is not among them.
    only_quick = await code_actions(client, uri, everything, [], only=["quickfix"])
    assert all(a.kind == types.CodeActionKind.QuickFix for a in only_quick)

    change_doc(client, uri, 2, fixed)
    await wait_for(client, uri, lambda d: "KRL102" not in codes(d), "KRL102 fixed")


# --------------------------------------------------------------------------------------------------
# Issue 11: the server follows the editor
# --------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_uris_with_escapes_get_diagnostics_hover_and_actions(
    client: LanguageClient, tmp_path: Path
) -> None:
    project = tmp_path / "My Project" / "c:" / "modèles"
    project.mkdir(parents=True)
    (tmp_path / "My Project" / "pyproject.toml").write_text(
        '[tool.kerasrnnlint]\nignore = ["KRL101"]\n', encoding="utf-8"
    )
    path = project / "modél.py"
    uri = path.as_uri()  # file:///…/My%20Project/c%3A/mod%C3%A8les/mod%C3%A9l.py
    assert "%20" in uri and "%C3%A9" in uri and "/c%3A/" in uri
    plain_colon = uri.replace("/c%3A/", "/c:/")  # as other clients write it
    lower_hex = uri.replace("%C3%A9", "%c3%a9").replace("%C3%A8", "%c3%a8")
    for where in (uri, plain_colon, lower_hex):
        open_doc(client, where, ONE_LINE)
        got = await wait_for(client, where, lambda d: "KRL001" in codes(d), f"KRL001 at {where}")
        assert "KRL101" not in codes(got)  # the project's configuration was found from the path
        assert await hover_at(client, where, 2, got[0].range.start.character + 1)
        actions = await code_actions(client, where, got[0].range, [got[0]])
        assert any(a.title.startswith("Fix KRL001") for a in actions)
        assert edits_of(actions[0], where)
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=where))
        )
        await wait_for(client, where, lambda d: len(d) == 0, "cleared on close")


@pytest.mark.asyncio
async def test_untitled_buffers_use_the_workspace_configuration(
    client: LanguageClient, tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.kerasrnnlint]\nignore = ["KRL101"]\n', encoding="utf-8"
    )
    uri = "untitled:Untitled-1"
    open_doc(client, uri, ONE_LINE)
    got = await wait_for(client, uri, lambda d: "KRL001" in codes(d), "KRL001 in untitled")
    assert "KRL101" not in codes(got)
    assert await hover_at(client, uri, 2, got[0].range.start.character + 1)


@pytest.mark.asyncio
async def test_configuration_changes_are_seen_without_file_watching(
    client: LanguageClient, tmp_path: Path
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.kerasrnnlint]\nignore = ["KRL101"]\n', encoding="utf-8")
    edited = (tmp_path / "edited.py").as_uri()
    other = (tmp_path / "other.py").as_uri()
    open_doc(client, edited, ONE_LINE)
    open_doc(client, other, ONE_LINE)
    for uri in (edited, other):
        got = await wait_for(client, uri, lambda d: "KRL001" in codes(d), "KRL001")
        assert "KRL101" not in codes(got)

    # Changed on disk; the client says nothing (Neovim on Linux watches no files).
    pyproject.write_text('[tool.kerasrnnlint]\nignore = ["KRL001", "KRL102"]\n', encoding="utf-8")
    stat = pyproject.stat()
    os.utime(pyproject, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    change_doc(client, edited, 2, ONE_LINE + "# typed\n")
    for uri in (edited, other):  # the other document is linted again too
        await wait_for(
            client,
            uri,
            lambda d: "KRL101" in codes(d) and "KRL001" not in codes(d),
            f"the new configuration for {uri}",
        )


@pytest.mark.asyncio
async def test_pull_diagnostics_for_clients_that_ask(
    puller: LanguageClient, tmp_path: Path
) -> None:
    client = puller
    uri = (tmp_path / "pulled.py").as_uri()
    open_doc(client, uri, ONE_LINE)

    async def pull(previous: str | None = None) -> types.DocumentDiagnosticReport:
        return await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(
                text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=previous
            )
        )

    report = await pull()
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert {"KRL001", "KRL101"} <= {str(d.code) for d in report.items}
    assert [d.code for d in report.items][:2] == ["KRL001", "KRL101"]
    assert report.result_id
    # The lint is done and answered: a server that also pushed would have pushed by now.
    assert uri not in client.diagnostics

    unchanged = await pull(report.result_id)
    assert isinstance(unchanged, types.RelatedUnchangedDocumentDiagnosticReport)

    # The configuration changes on disk, the text does not: the next pull sees it.
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.kerasrnnlint]\nignore = ["KRL101"]\n', encoding="utf-8")
    configured = await pull(report.result_id)
    assert isinstance(configured, types.RelatedFullDocumentDiagnosticReport)
    assert {str(d.code) for d in configured.items} == {"KRL001"}

    change_doc(client, uri, 2, ONE_LINE.replace('"relu"', '"tanh"'))
    after = await pull(configured.result_id)
    assert isinstance(after, types.RelatedFullDocumentDiagnosticReport)
    assert "KRL001" not in {str(d.code) for d in after.items}
    assert uri not in client.diagnostics


@pytest.mark.asyncio
async def test_a_notebook_is_linted_as_one_with_diagnostics_per_cell(
    notebooks: LanguageClient, tmp_path: Path
) -> None:
    client = notebooks
    nb_uri = (tmp_path / "train me.ipynb").as_uri()
    cells = [
        ("import", types.NotebookCellKind.Code, "from keras.layers import LSTM\n"),
        ("prose", types.NotebookCellKind.Markup, "# A model\n"),
        ("model", types.NotebookCellKind.Code, "x = 1\nlayer = LSTM(8, activation='relu')\n"),
    ]
    cell_uris = [f"vscode-notebook-cell:{nb_uri[5:]}#{name}" for name, _, _ in cells]
    client.notebook_document_did_open(
        types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(
                uri=nb_uri,
                notebook_type="jupyter-notebook",
                version=1,
                cells=[
                    types.NotebookCell(kind=kind, document=cell_uri)
                    for cell_uri, (_, kind, _) in zip(cell_uris, cells, strict=True)
                ],
            ),
            cell_text_documents=[
                types.TextDocumentItem(
                    uri=cell_uri,
                    language_id="python" if kind == types.NotebookCellKind.Code else "markdown",
                    version=1,
                    text=text,
                )
                for cell_uri, (_, kind, text) in zip(cell_uris, cells, strict=True)
            ],
        )
    )
    # The import in the first cell resolves the layer in the third: linted together.
    got = await wait_for(client, cell_uris[2], lambda d: "KRL001" in codes(d), "KRL001 in cell 3")
    (relu,) = [d for d in got if d.code == "KRL001"]
    assert relu.range.start.line == 1  # the row inside the cell
    assert list(await wait_for(client, cell_uris[0], lambda d: True, "cell 1")) == []
    assert await hover_at(client, cell_uris[2], 1, relu.range.start.character + 1)
    actions = await code_actions(client, cell_uris[2], relu.range, [relu])
    (fix,) = [a for a in actions if a.title.startswith("Fix KRL001")]
    assert edits_of(fix, cell_uris[2])[0].new_text == "tanh"

    new_text = "x = 1\nlayer = LSTM(8, activation='tanh')\n"
    client.notebook_document_did_change(
        types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(version=2, uri=nb_uri),
            change=types.NotebookDocumentChangeEvent(
                cells=types.NotebookDocumentCellChanges(
                    text_content=[
                        types.NotebookDocumentCellContentChanges(
                            document=types.VersionedTextDocumentIdentifier(
                                uri=cell_uris[2], version=2
                            ),
                            changes=[types.TextDocumentContentChangeWholeDocument(text=new_text)],
                        )
                    ]
                )
            ),
        )
    )
    await wait_for(client, cell_uris[2], lambda d: "KRL001" not in codes(d), "fixed cell 3")


# --------------------------------------------------------------------------------------------------
# Issue 13: a large document's lint does not hold up anything else; closing frees it
# --------------------------------------------------------------------------------------------------


def big_source(rows: int) -> str:
    """A module with a large data table (slow to parse) and one risky layer."""
    table = "".join(f'    ({i}, "row {i}", {i}.5),\n' for i in range(rows))
    return (
        "from tensorflow import keras\nfrom tensorflow.keras import layers\n\n"
        f"DATA = [\n{table}]\n\nlayer = layers.LSTM(8, activation='relu')\n"
    )


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.asyncio
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
async def test_a_large_lint_does_not_hold_up_hover_and_closing_frees_it(
    client: LanguageClient, tmp_path: Path
) -> None:
    big = (tmp_path / "big.py").as_uri()
    small = (tmp_path / "small.py").as_uri()
    open_doc(client, big, big_source(10_000))
    open_doc(client, small, ONE_LINE)
    got = await wait_for(client, small, lambda d: "KRL001" in codes(d), "the small document")
    assert await hover_at(client, small, 2, got[0].range.start.character + 1)
    assert await code_actions(client, small, got[0].range, [got[0]])
    assert await hover_at(client, big, 3, 4) is None  # answered from no results yet
    assert big not in client.diagnostics, "the small document waited for the large one"

    await wait_for(client, big, lambda d: "KRL001" in codes(d), "the large one", timeout=300)
    assert client._server is not None
    pid = client._server.pid
    loaded = rss_kb(pid)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=big))
    )
    await wait_for(client, big, lambda d: len(d) == 0, "cleared on close")
    deadline = asyncio.get_running_loop().time() + 10
    while rss_kb(pid) > loaded - 50_000 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.1)
    assert rss_kb(pid) <= loaded - 50_000, (loaded, rss_kb(pid))


@pytest.mark.asyncio
async def test_positions_and_edits_in_a_file_with_lone_cr_line_endings(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = (tmp_path / "classic_mac.py").as_uri()
    # (No final line ending: the libcst edit itself drops a final lone CR, which the autofix
    # owns; here the server's positions are checked.)
    text = ONE_LINE.replace("\n", "\r").rstrip("\r")
    lines = text.split("\r")
    open_doc(client, uri, text)
    got = await wait_for(client, uri, lambda d: "KRL001" in codes(d), "KRL001")
    (relu,) = [d for d in got if d.code == "KRL001"]
    assert relu.range.start == types.Position(line=2, character=lines[2].index('"relu"'))
    actions = await code_actions(client, uri, relu.range, [relu])
    (fix,) = [a for a in actions if a.title.startswith("Fix KRL001")]
    (edit,) = edits_of(fix, uri)

    def offset(position: types.Position) -> int:
        return sum(len(line) + 1 for line in lines[: position.line]) + position.character

    fixed = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    assert fixed == text.replace('"relu"', '"tanh"')
