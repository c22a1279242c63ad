"""The language server's incremental parse: after any edit, the same module and the same findings as
a full lint of the text.

The parser (``frontends/source/incremental.py``) re-parses only the top-level statements (and the
statements of a top-level ``def``/``class`` block) whose text changed. Checked here: the assembled
module deep-equals libcst's parse of every fixture, of hand-written texts at the splitting's edges,
and of the real corpus where it is built; random edits applied in sequence (fixed seeds) give,
after each one, the module and the lint result (findings, spans, messages, fixes, diagnostics) of a
fresh full lint; and a real LSP client editing a document sees what the command line reports.
"""

from __future__ import annotations

import ast
import random
import sys
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import libcst as cst
import pytest
import pytest_lsp
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec
from pytest_lsp import ClientServerConfig, LanguageClient
from test_lsp import open_doc, wait_for

from kerasrnnlint import engine
from kerasrnnlint.config import Settings
from kerasrnnlint.frontends import source
from kerasrnnlint.frontends.base import InputError
from kerasrnnlint.frontends.source.incremental import WHOLE_WHEN_NEW, IncrementalParser, split
from kerasrnnlint.integrations.lsp import convert
from kerasrnnlint.integrations.lsp.documents import ConfigCache, Part, Target
from kerasrnnlint.integrations.lsp.server import compute

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "fixtures").rglob("*.py"))
CORPUS = ROOT / "bench" / "corpus" / "real"
SEEDS = (1, 2, 3)


def full(text: str) -> cst.Module | str:
    try:
        return source.parse(text)
    except InputError as exc:
        return exc.describe()


def incremental(parser: IncrementalParser, text: str) -> cst.Module | str:
    try:
        return parser(text)
    except InputError as exc:
        return exc.describe()


def assert_same_parse(parser: IncrementalParser, text: str) -> cst.Module | str:
    expected, got = full(text), incremental(parser, text)
    if isinstance(expected, str) or isinstance(got, str):
        assert got == expected, text
        return got
    for attribute in ("encoding", "default_indent", "default_newline", "has_trailing_newline"):
        assert getattr(got, attribute) == getattr(expected, attribute), (attribute, text)
    assert got.deep_equals(expected), text
    assert got.code == expected.code
    nodes = all_nodes(got)
    assert len({id(n) for n in nodes}) == len(nodes), "a node shared by two places"
    return got


def all_nodes(module: cst.Module) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if not isinstance(node, (cst.SimpleWhitespace, cst.Newline, cst.MaybeSentinel)):
                found.append(node)
            return True

    module.visit(Collect())
    return found


# Parsers that parse every chunk alone (never the whole text at once), and the server's (the whole
# text when most of it is new, seeding the cache with its statements).
CHUNKS, SEEDED = 1.0, WHOLE_WHEN_NEW


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(p.relative_to(ROOT / "fixtures")))
def test_every_fixture_parses_to_the_full_parse(path: Path) -> None:
    text = path.read_text(encoding="utf-8").removeprefix("\ufeff")
    parser = IncrementalParser(whole_when_new=CHUNKS)
    assert_same_parse(parser, text)
    assert not parser.fell_back and not parser.whole
    seeded = IncrementalParser()
    assert_same_parse(seeded, text)
    edited = text + "\n\nx = 1\n"
    assert_same_parse(seeded, edited)
    assert_same_parse(parser, edited)
    assert not seeded.whole and not parser.whole


EDGES = {
    "empty": "",
    "comments only": "# one\n\n# two\n",
    "no final newline": "import keras\nx = 1",
    "header and footer": "#!/usr/bin/env python\n# c\n\n\nimport a\n\n\n# end\n\n",
    "decorators": "@a\n@b(\n  1)\n# between\n@c\ndef f():\n    pass\n@d\nclass C: pass\n",
    "clauses at column 0": "if a:\n  x\nelif b:\n  y\nelse:\n  z\ntry:\n  p\nexcept E:\n  q\n"
    "except* F:\n  r\nfinally:\n  s\nfor i in x:\n  pass\nelse:\n  pass\nelsewhere = 1\n",
    "footers": "def f():\n    x = 1\n    # inner\n  # between\n# outer\n\n    # deep\nz = 1\n",
    "crlf": "import a\r\n\r\ndef f():\r\n    return 1\r\n",
    "mixed newlines": "import a\r\nb = 1\n\ndef f():\n    return 1\r\n",
    "lone cr": "import a\rdef f():\r  pass\r",
    "tabs": "def f():\n\tif x:\n\t\treturn 1\n\treturn 2\nclass C:\n\tdef g(self):\n\t\tpass\n",
    "indent changes": "x = 1\ndef f():\n  return 1\ndef g():\n    return 2\nclass C:\n"
    "        a = 1\n        b = 2\n",
    "first indent later": "x = [\n        1,\n]\ny = '''\n  z\n'''\ndef f():\n   pass\n",
    "strings at column 0": 'x = """\ndef not_code():\n"""\ny = \'\'\'\n@x\n\'\'\'\nz = "a\\\nb"\n',
    "backslash inside": "x = 1 + \\\n    2\nif a and \\\n   b:\n    pass\n",
    "backslash at column 0": "x = 1 + \\\n2\ny = 3\n",
    "form feed": "x = 1\n\f\ndef f():\n    pass\n",
    "duplicates": "x = 1\nx = 1\ndef f():\n    x = 1\n    x = 1\n\n\ndef f():\n    x = 1\n"
    "    x = 1\n",
    "class members": "class A(\n    B,  # base\n):\n    '''Doc.'''\n\n    # first\n    x = 1\n"
    "# col 0\n    @property\n    def y(self):\n        return 1\n\n    if T:\n        z = 1\n"
    "    else:\n        z = 2\n\n\n# after\nclass D:\n    pass\n",
    "async and match": "async def f():\n    async with a:\n        pass\n    match x:\n"
    "        case 1:\n            pass\n        case _:\n            pass\n",
    "syntax error": "import a\ndef f(:\n    pass\nx = 1\n",
    "unterminated string": 'x = 1\ny = """\nz = 2\n',
    "python 2 except": "try:\n    pass\nexcept ValueError, e:\n    pass\n",
    "python 2 print": "import a\nprint 'x'\n",
    "unexpected indent": "x = 1\n  y = 2\n",
    "deep boolean chain": "x = 1\n" * 4000 + "y = (a and\n" + " b and\n" * 1200 + " c)\n",
    "comment in a signature": "def f(\n    # c\n    x,\n):\n    return x\n    return 2\n",
}


@pytest.mark.parametrize("whole_when_new", [CHUNKS, SEEDED], ids=["chunks", "seeded"])
@pytest.mark.parametrize("name", EDGES)
def test_texts_at_the_splittings_edges_parse_to_the_full_parse(
    name: str, whole_when_new: float
) -> None:
    parser = IncrementalParser(whole_when_new)
    assert_same_parse(parser, EDGES[name])
    assert_same_parse(parser, EDGES[name])  # again, from the cache
    assert_same_parse(parser, EDGES[name].replace("1", "2"))


def test_what_cannot_be_split_with_certainty_is_parsed_whole() -> None:
    for name in ("backslash at column 0", "form feed", "syntax error"):
        parser = IncrementalParser(whole_when_new=CHUNKS)
        incremental(parser, EDGES[name])
        assert parser.fell_back, name
    assert split(EDGES["form feed"]) is None


def test_an_edit_reparses_only_the_statement_it_touched() -> None:
    text = (ROOT / "fixtures" / "context_subclass.py").read_text(encoding="utf-8")
    text += "\n\ndef after():\n    a = 1\n    b = 2\n    return a + b\n"
    parser = IncrementalParser()
    before = parser(text)
    assert parser.whole and not parser.fell_back  # new: parsed whole, its statements cached
    edited = text.replace("    b = 2\n", "    b = 2  # edited\n")
    after = assert_same_parse(parser, edited)
    assert isinstance(after, cst.Module)
    assert parser.reparsed == 1 and not parser.fell_back
    # The statements the edit did not touch are the very same nodes.
    assert all(a is b for a, b in zip(before.body[:-1], after.body[:-1], strict=True))
    last_before, last_after = before.body[-1], after.body[-1]
    assert isinstance(last_before, cst.FunctionDef) and isinstance(last_after, cst.FunctionDef)
    assert last_before.body.body[0] is last_after.body.body[0]
    assert last_before.body.body[1] is not last_after.body.body[1]


# --------------------------------------------------------------------------------------------------
# Random edits
# --------------------------------------------------------------------------------------------------

SNIPPETS = (
    "x",
    " ",
    "\n",
    "    ",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    ",",
    "'",
    '"',
    '"""',
    "#",
    "\\",
    "\\\n",
    "\r\n",
    "\t",
    "else:\n",
    "@d\n",
    "def g():\n    ",
    "class K:\n    ",
    'activation="relu"',
    "LSTM(4, activation='relu')",
)
STATEMENTS = (
    "x = 1\n",
    "model = keras.layers.LSTM(8, activation='relu')\n",
    "def extra():\n    return GRU(4, activation='selu')\n",
    "# a comment\n",
    "\n",
    "    y = 2\n",
    "if x:\n    pass\nelse:\n    pass\n",
)


def random_edit(rng: random.Random, text: str, history: list[str]) -> str:
    """One edit as people make them, and as they break and repair code."""
    lines = text.splitlines(keepends=True) or [""]
    kind = rng.randrange(10)
    if kind == 0 and history:  # undo to an earlier text
        return rng.choice(history)
    if kind in (1, 2):  # type or paste a few characters
        at = rng.randrange(len(text) + 1)
        return text[:at] + rng.choice(SNIPPETS) + text[at:]
    if kind == 3:  # delete a few characters
        at = rng.randrange(len(text) + 1)
        return text[:at] + text[at + rng.randrange(1, 12) :]
    if kind == 4:  # delete a line, the first and the last ones too
        row = rng.choice([0, len(lines) - 1, rng.randrange(len(lines))])
        return "".join(lines[:row] + lines[row + 1 :])
    if kind == 5:  # add a statement at column 0 or indented, at the start or the end too
        row = rng.choice([0, len(lines), rng.randrange(len(lines) + 1)])
        return "".join([*lines[:row], rng.choice(STATEMENTS), *lines[row:]])
    if kind == 6:  # move a block of lines elsewhere
        start = rng.randrange(len(lines))
        end = min(len(lines), start + rng.randrange(1, 8))
        block, rest = lines[start:end], lines[:start] + lines[end:]
        row = rng.randrange(len(rest) + 1)
        return "".join(rest[:row] + block + rest[row:])
    if kind == 7:  # change the middle of a line (inside strings and multi-line calls too)
        row = rng.randrange(len(lines))
        line = lines[row]
        at = rng.randrange(len(line) + 1)
        lines[row] = line[:at] + rng.choice(("_", "1", "relu", "'", ")", "# ")) + line[at:]
        return "".join(lines)
    if kind == 8:  # indent or dedent a line
        row = rng.randrange(len(lines))
        line = lines[row]
        lines[row] = line[4:] if line.startswith("    ") else "    " + line
        return "".join(lines)
    # a comment at the end of a line (the benchmark's edit)
    row = rng.randrange(len(lines))
    lines[row] = lines[row].rstrip("\r\n") + "  # edited\n"
    return "".join(lines)


def parses(text: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(text)
        except (SyntaxError, ValueError):
            return False
    return True


def random_texts(path: Path, seed: int, edits: int) -> list[str]:
    """A sequence of edits of a file; a broken text is repaired half the time (the last text
    that parsed comes back, as an undo or a fix would bring it)."""
    rng = random.Random(f"{path.name}:{seed}")
    text = path.read_text(encoding="utf-8")
    texts, history, valid = [], [text], text
    for _ in range(edits):
        if text is not valid and rng.random() < 0.5:
            text = valid
        else:
            text = random_edit(rng, text, history)
        if parses(text):
            valid = text
        history.append(text)
        texts.append(text)
    return texts


EDITED = [
    ROOT / "fixtures" / name
    for name in (
        "context_subclass.py",
        "context_functional.py",
        "krl004_unnormalized_unbounded_input.py",
        "lookalikes_comments_strings.py",
        "values_kwargs.py",
    )
]


@pytest.mark.parametrize("whole_when_new", [CHUNKS, SEEDED], ids=["chunks", "seeded"])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("path", EDITED, ids=lambda p: p.stem)
def test_random_edits_parse_to_the_full_parse(path: Path, seed: int, whole_when_new: float) -> None:
    parser = IncrementalParser(whole_when_new)
    reused = 0
    for text in random_texts(path, seed, 60):
        assert_same_parse(parser, text)
        reused += not parser.fell_back and parser.reparsed <= 2
    assert reused >= 15, "the incremental path was hardly taken: the test would prove nothing"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("path", EDITED, ids=lambda p: p.stem)
def test_random_edits_lint_as_a_full_lint(path: Path, seed: int, tmp_path: Path) -> None:
    """The server's compute, with the document's parser, after each edit: the findings (spans,
    messages, fixes) and diagnostics of a full lint of the text."""
    target_path = tmp_path / path.name
    uri = target_path.as_uri()
    codec = PositionCodec()
    parser, configs = IncrementalParser(), ConfigCache()
    findings = 0
    for version, text in enumerate(random_texts(path, seed, 40), start=1):
        target = Target(uri, uri, str(target_path), (Part(uri, text, version),))
        got = compute(target, configs, codec, parser=parser)
        assert got is not None
        expected = engine.lint_source(text, str(target_path), Settings())
        assert got.result == expected, text
        view = got.views[uri]
        lines = convert.split_lines(text)
        ordered = list(convert.display_order(expected.findings))
        assert list(view.diagnostics) == [convert.diagnostic(f, uri, lines, codec) for f in ordered]
        findings += len(expected.findings)
    if engine.lint_source(path.read_text(encoding="utf-8"), str(target_path)).findings:
        assert findings, "no edit left a finding to compare"


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        p for p in CORPUS.rglob("*.py") if engine.may_hold_recurrent_layer(p.read_bytes())
    )


@pytest.mark.slow
@pytest.mark.skipif(
    not CORPUS.is_dir(),
    reason="the real corpus is not built: python bench/real_corpus.py downloads it",
)
def test_the_real_corpus_parses_to_the_full_parse_also_after_edits() -> None:
    """Every file of the real corpus that the prefilter lets through, and one random edit of it."""
    files = corpus_files()
    assert files
    for n, path in enumerate(files):
        text = path.read_text(encoding="utf-8", errors="replace").removeprefix("\ufeff")
        rng = random.Random(n)
        edited = random_edit(rng, text, [])
        parser = IncrementalParser(whole_when_new=CHUNKS)
        assert_same_parse(parser, text)
        assert not parser.fell_back, path
        assert_same_parse(parser, edited)
        seeded = IncrementalParser()
        assert_same_parse(seeded, text)
        assert_same_parse(seeded, edited)


# --------------------------------------------------------------------------------------------------
# A real client
# --------------------------------------------------------------------------------------------------

SERVER = [sys.executable, "-m", "kerasrnnlint", "server", "--debounce-ms", "0"]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, tmp_path: Path) -> AsyncIterator[None]:
    params = types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=tmp_path.as_uri()
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


def edit_of(before: str, after: str) -> types.TextDocumentContentChangePartial:
    """The one range edit that turns ``before`` into ``after`` (ASCII and ``\\n`` only)."""
    start = 0
    while start < min(len(before), len(after)) and before[start] == after[start]:
        start += 1
    end_b, end_a = len(before), len(after)
    while end_b > start and end_a > start and before[end_b - 1] == after[end_a - 1]:
        end_b, end_a = end_b - 1, end_a - 1

    def position(offset: int) -> types.Position:
        line = before.count("\n", 0, offset)
        return types.Position(line=line, character=offset - (before.rfind("\n", 0, offset) + 1))

    return types.TextDocumentContentChangePartial(
        range=types.Range(start=position(start), end=position(end_b)), text=after[start:end_a]
    )


def shown(diagnostics: list[types.Diagnostic] | tuple[types.Diagnostic, ...]) -> list[object]:
    return [(d.range, d.code, d.message, d.severity) for d in diagnostics]


@pytest.mark.asyncio
async def test_a_client_editing_a_document_sees_what_the_command_line_reports(
    client: LanguageClient, tmp_path: Path
) -> None:
    path = tmp_path / "model.py"
    uri = path.as_uri()
    text = (ROOT / "fixtures" / "context_subclass.py").read_text(encoding="utf-8")
    texts = random_texts(ROOT / "fixtures" / "context_subclass.py", 7, 30)
    texts = [t for t in texts if "\r" not in t]  # edit_of counts lines by "\n"
    open_doc(client, uri, text)
    await wait_for(client, uri, lambda d: True, "the first diagnostics")
    codec = PositionCodec()
    for version, edited in enumerate(texts, start=2):
        client.diagnostics.pop(uri, None)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[edit_of(text, edited)],
            )
        )
        text = edited
        got = await wait_for(client, uri, lambda d: True, f"version {version}")
        expected = engine.lint_source(text, str(path), Settings())
        lines = convert.split_lines(text)
        ordered = convert.display_order(expected.findings)
        wanted = [convert.diagnostic(f, uri, lines, codec) for f in ordered]
        assert shown(list(got)) == shown(wanted)
