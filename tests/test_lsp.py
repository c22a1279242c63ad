"""The language server, end to end: a real LSP client (pytest-lsp) drives ``kerasrnnlint server``
over stdio in a subprocess. Diagnostics come from the buffer; quick fix and noqa actions are applied
to the text and the re-lint is checked; hover shows the explanation and the risk factors; the
workspace configuration is re-read when pyproject.toml changes."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

SERVER = [sys.executable, "-m", "kerasrnnlint", "server"]
TIMEOUT = 15.0

RISKY = """\
from keras.layers import GRU, LSTM

model_layer = LSTM(
    64,
    activation="relu",  # tuned by hand
    return_sequences=True,
)
other = GRU(8, activation="selu")
"""


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, tmp_path: Path) -> AsyncIterator[None]:
    params = types.InitializeParams(
        capabilities=types.ClientCapabilities(),
        root_uri=tmp_path.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="ws")],
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


async def wait_for(
    client: LanguageClient,
    uri: str,
    ok: Callable[[Sequence[types.Diagnostic]], bool],
    what: str,
    timeout: float = TIMEOUT,
) -> Sequence[types.Diagnostic]:
    """Wait until the diagnostics published for ``uri`` satisfy ``ok``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        got = client.diagnostics.get(uri)
        if got is not None and ok(got):
            return got
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}; last: {client.diagnostics.get(uri)}")


def codes(diagnostics: Sequence[types.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


def open_doc(client: LanguageClient, uri: str, text: str) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )


def change_doc(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def offset(text: str, position: types.Position) -> int:
    lines = text.splitlines(keepends=True)
    return sum(len(line) for line in lines[: position.line]) + position.character


def apply_edits(text: str, edits: Sequence[types.TextEdit]) -> str:
    """Apply TextEdits (ASCII text, so UTF-16 units are characters), last first."""
    for edit in sorted(edits, key=lambda e: offset(text, e.range.start), reverse=True):
        start, end = offset(text, edit.range.start), offset(text, edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


def krl001(diagnostics: Sequence[types.Diagnostic]) -> types.Diagnostic:
    (found,) = [d for d in diagnostics if d.code == "KRL001" and d.range.start.line == 4]
    return found


async def actions_at(
    client: LanguageClient, uri: str, diagnostic: types.Diagnostic
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


def edits_of(action: types.CodeAction, uri: str) -> list[types.TextEdit]:
    assert action.edit is not None and action.edit.changes is not None
    return list(action.edit.changes[uri])


@pytest.mark.asyncio
async def test_diagnostics_follow_the_buffer_not_the_disk(
    client: LanguageClient, tmp_path: Path
) -> None:
    path = tmp_path / "model.py"
    path.write_text("from keras.layers import LSTM\n\nlayer = LSTM(64)\n", encoding="utf-8")
    uri = path.as_uri()

    open_doc(client, uri, RISKY)  # the buffer is risky, the disk is not
    diagnostics = await wait_for(client, uri, lambda d: "KRL001" in codes(d), "KRL001 on open")

    first = krl001(diagnostics)
    assert first.severity == types.DiagnosticSeverity.Error  # high
    assert first.source == "kerasrnnlint"
    assert first.range.start == types.Position(line=4, character=15)  # the "relu" value
    assert first.range.end == types.Position(line=4, character=21)
    selu = [d for d in diagnostics if d.code == "KRL001" and d.range.start.line == 7]
    assert [d.severity for d in selu] == [types.DiagnosticSeverity.Warning]  # medium
    # The relu layer's KRL101 (info, a Hint) is folded into its KRL001 (one finding per cause).
    assert "KRL101" not in codes(diagnostics)
    assert "also disables the fused cuDNN kernel (KRL101)" in first.message

    safe = RISKY.replace('"relu"', '"tanh"').replace('"selu"', '"tanh"')
    change_doc(client, uri, 2, safe)
    await wait_for(client, uri, lambda d: len(d) == 0, "diagnostics to disappear after the edit")

    change_doc(client, uri, 3, "from keras.layers import LSTM\nLSTM(8, activation='elu'\n")
    await asyncio.sleep(0.5)  # a buffer that does not parse must not take the server down
    change_doc(client, uri, 4, "from keras.layers import LSTM\nLSTM(8, activation='elu')\n")
    await wait_for(client, uri, lambda d: "KRL001" in codes(d), "KRL001 after the broken edit")


@pytest.mark.asyncio
async def test_quick_fix_action_rewrites_the_layer_and_relints_clean(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = (tmp_path / "fixme.py").as_uri()
    open_doc(client, uri, RISKY)
    diagnostic = krl001(await wait_for(client, uri, lambda d: "KRL001" in codes(d), "KRL001"))

    actions = await actions_at(client, uri, diagnostic)
    (fix,) = [a for a in actions if a.title.startswith("Fix KRL001")]
    assert "unsafe" in fix.title  # activation -> tanh changes what the model computes
    assert fix.kind == types.CodeActionKind.QuickFix
    fixed = apply_edits(RISKY, edits_of(fix, uri))
    assert fixed == RISKY.replace('activation="relu",  # tuned', 'activation="tanh",  # tuned')

    change_doc(client, uri, 2, fixed)
    remaining = await wait_for(
        client, uri, lambda d: not any(x.range.start.line == 4 for x in d), "the fixed layer"
    )
    assert [x.range.start.line for x in remaining] == [7]  # only the GRU's KRL001 is left


@pytest.mark.asyncio
async def test_noqa_action_suppresses_the_finding(client: LanguageClient, tmp_path: Path) -> None:
    uri = (tmp_path / "suppress.py").as_uri()
    open_doc(client, uri, RISKY)
    diagnostic = krl001(await wait_for(client, uri, lambda d: "KRL001" in codes(d), "KRL001"))

    actions = await actions_at(client, uri, diagnostic)
    # The KRL101 folded into that KRL001 is suppressed with it: it would come back otherwise.
    (noqa,) = [a for a in actions if a.title == "Suppress with `# noqa: KRL001, KRL101`"]
    suppressed = apply_edits(RISKY, edits_of(noqa, uri))
    assert "model_layer = LSTM(  # noqa: KRL101\n" in suppressed  # where the KRL101 points
    assert '    activation="relu",  # tuned by hand  # noqa: KRL001\n' in suppressed

    change_doc(client, uri, 2, suppressed)
    remaining = await wait_for(
        client,
        uri,
        lambda d: not any(x.code == "KRL001" and x.range.start.line == 4 for x in d),
        "KRL001 on line 5 to be suppressed",
    )
    assert [(x.code, x.range.start.line) for x in remaining] == [("KRL001", 7)]  # the GRU's


@pytest.mark.asyncio
async def test_stacked_relu_layers_relate_the_folded_consumer_and_link_the_rule(
    client: LanguageClient, tmp_path: Path
) -> None:
    text = (
        "import keras\n"
        "from keras import layers\n"
        "\n"
        "model = keras.Sequential([\n"
        "    keras.Input(shape=(100, 8)),\n"
        "    layers.LayerNormalization(),\n"
        '    layers.LSTM(64, activation="relu", return_sequences=True),\n'
        "    layers.GRU(32),\n"
        "])\n"
        'model.compile(optimizer="adam", loss="mse")\n'
    )
    uri = (tmp_path / "stacked.py").as_uri()
    open_doc(client, uri, text)
    diagnostics = await wait_for(client, uri, lambda d: "KRL001" in codes(d), "KRL001")
    assert codes(diagnostics) == ["KRL001"]  # the GRU's KRL004 and the KRL101 are folded in
    (root,) = diagnostics
    assert root.code_description is not None
    assert root.code_description.href.endswith("docs/rules/KRL001.md")
    related = root.related_information or []
    assert {r.message.split(":")[0] for r in related} == {"KRL004", "KRL101"}
    (consumer,) = [r for r in related if r.message.startswith("KRL004")]
    assert consumer.location.uri == uri
    assert consumer.location.range.start.line == 7  # the GRU


@pytest.mark.asyncio
async def test_hover_shows_explanation_and_risk_factors(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = (tmp_path / "hover.py").as_uri()
    open_doc(client, uri, RISKY)
    await wait_for(client, uri, lambda d: "KRL001" in codes(d), "KRL001")

    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=4, character=17),
        )
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    text = hover.contents.value
    assert "**KRL001 unbounded-activation** (high)" in text
    assert "**Risk factors:**" in text and "`activation` = relu" in text
    assert "## Why is this bad?" in text  # the rule's explanation
    assert "unsafe: it changes what the model computes" in text

    nothing = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=0, character=2),
        )
    )
    assert nothing is None


@pytest.mark.asyncio
async def test_configuration_is_reread_when_pyproject_changes(
    client: LanguageClient, tmp_path: Path
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.kerasrnnlint]\nignore = ["KRL101"]\n', encoding="utf-8")
    uri = (tmp_path / "configured.py").as_uri()
    open_doc(client, uri, RISKY)
    got = await wait_for(client, uri, lambda d: "KRL001" in codes(d), "KRL001")
    assert "KRL101" not in codes(got)

    pyproject.write_text('[tool.kerasrnnlint]\nignore = ["KRL001"]\n', encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=pyproject.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    got = await wait_for(
        client, uri, lambda d: "KRL101" in codes(d) and "KRL001" not in codes(d), "new config"
    )

    pyproject.write_text('[tool.kerasrnnlint]\nselect = ["KRL001"]\n', encoding="utf-8")
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=pyproject.as_uri())
        )
    )
    await wait_for(
        client, uri, lambda d: set(codes(d)) == {"KRL001"}, "config re-read on pyproject save"
    )


@pytest.mark.asyncio
async def test_a_file_the_configuration_excludes_gets_no_diagnostics(
    client: LanguageClient, tmp_path: Path
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.kerasrnnlint]\nextend-exclude = ["legacy"]\n', encoding="utf-8")
    excluded = (tmp_path / "legacy" / "old.py").as_uri()
    checked = (tmp_path / "src" / "model.py").as_uri()
    open_doc(client, excluded, RISKY)
    open_doc(client, checked, RISKY)
    await wait_for(client, checked, lambda d: "KRL001" in codes(d), "KRL001 in src/model.py")
    # Documents are linted one after another, in the order they were opened.
    assert list(await wait_for(client, excluded, lambda d: True, "legacy/old.py")) == []
