"""Source positions (``frontends/source/positions.py``) are libcst's own.

Spans are computed statement by statement (the codegen of the top-level statement holding a
node, started at the offset CPython's line numbers give it); every span must be the one libcst's
``PositionProvider`` gives, on every fixture file and on texts built to break the offset
arithmetic (comments and blank lines owned by statements, decorators, ``a; b``, continuations,
``\\r\\n`` and ``\\r`` newlines, tabs, form feeds, non-ASCII text, no newline at the end).
Where the statement's offset cannot be trusted, the whole module's pass gives the same spans.
"""

from __future__ import annotations

from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from libcst.metadata import MetadataWrapper, PositionProvider

from kerasrnnlint.frontends.source import analyze, resolver
from kerasrnnlint.frontends.source.positions import Positions, python_tree
from kerasrnnlint.frontends.source.scopes import index_module
from kerasrnnlint.frontends.source.values import excerpt

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

TRICKY = {
    "header comments": "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n\n# owned\nx = f(1)\n",
    "comments around statements": (
        "import a\n\n\n# before\n\nx = f(1)  # same line\n# after\n\n\ny = g(x, k=h(2))\n# end\n"
    ),
    "decorators": (
        "@d\n\n# between\n@e(1,\n   2)\n\nclass A(B, metaclass=M):\n    @property\n"
        "    def f(self):\n        return g(1)\n\n\n@dec\nasync def h():\n    await k(2)\n"
    ),
    "semicolons": "a = f(1); b = g(2);  c = h(3)\nd = 1;\ne = k(a); f(b)\n",
    "backslashes": "x = f(1) \\\n    + g(2)\ny = \\\n  h(3)\nif a and \\\n   b:\n    z = k(4)\n",
    "crlf": "x = f(1)\r\n\r\n# c\r\ndef g():\r\n    return h(2)\r\n",
    "lone cr": "x = f(1)\r\r# c\rdef g():\r    return h(2)\r",
    "mixed newlines": "x = f(1)\r\ny = g(2)\nz = h(3)\r\n",
    "tabs": "if x:\n\tif y:\n\t\tz = f(1)\n\t# c\n\tw = g(2)\nv = h(3)\n",
    "form feeds": (
        "\x0c\nx = f(1)\n\x0c\ndef g():\n    return h(2)\n\x0c\n  \x0c  \ny = k(3)  \x0c\n"
    ),
    "non-ascii": "s = '日本語'; t = f('é', 1)\n# ü ß 😀\nu = g('😀', h(2))\n",
    "no trailing newline": "x = f(1)\ny = g(2)",
    "no trailing newline after a block": "def f():\n    return g(1)",
    "no trailing newline after a comment": "x = f(1)\n# last",
    "empty lines at the end": "x = f(1)\n\n\n\n",
    "only comments": "# one\n\n# two\n",
    "empty": "",
    "nested definitions": (
        "class A:\n    x = f(1)\n\n    def g(self, a=h(2)):\n        def k():\n"
        "            return m(3)\n        return k\n\n    # trailing, indented\n\n# at the left\n"
        "y = A()\n"
    ),
    "block footers": "def f():\n    return 1\n    # deeper\n# shallow\nx = g(2)\n",
    "f-strings over lines": 'x = f"""a\n{g(1)}\nb"""\ny = f(2)\nz = f"{h(3)!r:>{w}}"\n',
    "parenthesised starts": "(\n  a\n).b = f(1)\n(c) = g(2)\n[d, e] = h(3), k(4)\n",
    "compound statements": (
        "for i in f(1):\n    pass\nelse:\n    g(2)\nwhile h(3):\n    break\n"
        "try:\n    k(4)\nexcept (A, B) as e:\n    m(5)\nelse:\n    n(6)\nfinally:\n    o(7)\n"
        "with p(8) as q, r(9):\n    s(10)\nif t(11):\n    u(12)\nelif v(13):\n    w(14)\n"
        "else:\n    y(15)\nmatch z(16):\n    case [a, *rest]:\n        b(17)\n"
        "    case {'k': c, **kw}:\n        d(18)\n    case _:\n        pass\n"
    ),
    "lambdas and comprehensions": "f = lambda a, b=g(1): h(a)\nx = [k(i) for i in m(2) if n(i)]\n",
    "deep expression": "x = " + "f(" * 30 + "1" + ")" * 30 + "\n",
}

# Where the generated code of a statement is not the text at the offset guessed for it.
FALLBACK = {
    # The decorator's expression starts on a later line than its ``@``: CPython gives the
    # expression's line, so the guessed offset is wrong.
    "parenthesised decorator": "x = f(1)\n@(\n    d)\ndef g():\n    return h(2)\n",
    # libcst drops a form feed that starts a statement's line: its code is not the text (its
    # positions are those of its code; the whole module's pass keeps them so).
    "form feed before a statement": "x = f(1)\n\x0cy = g(2)\nz = h(3)\n",
}


def _expected(module: cst.Module) -> dict[cst.CSTNode, tuple[int, int, int, int]]:
    ranges = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return {
        node: (r.start.line, r.start.column + 1, r.end.line, r.end.column + 1)
        for node, r in ranges.items()
    }


def _compare(text: str) -> Positions:
    """Asks a span for every node the scope pass saw, in an order that makes the positions
    generate statements out of order; each must be libcst's. Returns the positions."""
    module = cst.parse_module(text)
    index = index_module(module)
    positions = Positions(module, text, python_tree(text), index.scope_of)
    expected = _expected(module)
    before = Positions(module)  # the pass over the whole module, as spans were computed before
    asked = [n for n in expected if id(n) in index.scope_of and not isinstance(n, cst.Module)]
    asked = asked[1::2] + asked[::-2]
    wrong = []
    for node in asked:
        span = positions.span(node)
        got = None if span is None else (span.line, span.column, span.end_line, span.end_column)
        if got != expected[node] or span != before.span(node):
            wrong.append((type(node).__name__, module.code_for_node(node)[:30], got))
        if isinstance(node, cst.BaseExpression):
            # The text is the module's: indentation differs from a codegen of the node alone
            # (that one starts unindented), the excerpt in messages does not.
            code = positions.expression_code(node)
            assert code is None or excerpt(code) == excerpt(module.code_for_node(node))
    assert wrong == [], wrong[:5]
    return positions


def _fixture_files() -> list[Path]:
    return sorted(FIXTURES.rglob("*.py"))


def test_there_are_fixture_files() -> None:
    assert len(_fixture_files()) > 40


@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_spans_of_fixture_files_are_libcsts(path: Path) -> None:
    positions = _compare(path.read_text(encoding="utf-8"))
    # No file there needs the pass over the whole module, or has a statement whose offset
    # was guessed wrong.
    assert not positions.whole_module
    assert positions.rejected == 0


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("name", sorted(TRICKY))
def test_spans_of_tricky_texts_are_libcsts(name: str, newline: str) -> None:
    text = TRICKY[name]
    if newline != "\n" and "\r" not in text:
        text = text.replace("\n", newline)
    positions = _compare(text)
    # libcst does not round-trip a last lone "\r" (its code drops it): the whole module's pass.
    assert positions.whole_module == text.endswith("\r")
    assert positions.rejected == 0


def test_a_node_in_a_method_costs_the_codegen_of_its_line_alone() -> None:
    text = (
        "class Model:\n    def build(self):\n        if self.deep:\n            x = f(1)\n"
        "        else:\n            # shallow\n            x = g(2)\n        return x\n"
    )
    module = cst.parse_module(text)
    positions = Positions(module, text, python_tree(text), index_module(module).scope_of)
    call = next(n for n in _expected(module) if isinstance(n, cst.Call) and "g" in repr(n.func))
    span = positions.span(call)
    assert span is not None and (span.line, span.column, span.end_line, span.end_column) == (
        7,
        17,
        7,
        21,
    )
    assert (positions.generated, positions.rejected) == (1, 0)
    # Its code comes from the text of that line; another call's costs the codegen of its own.
    other = next(n for n in _expected(module) if isinstance(n, cst.Call) and "f" in repr(n.func))
    assert positions.expression_code(call) == "g(2)"
    assert positions.generated == 1
    assert positions.expression_code(other) == "f(1)"
    assert (positions.generated, positions.rejected) == (2, 0)
    assert positions.expression_code(cst.parse_expression("f(1)")) is None  # not this module's


def test_tricky_texts_joined_are_libcsts() -> None:
    text = "".join(TRICKY[name] for name in sorted(TRICKY) if TRICKY[name].endswith("\n"))
    _compare(text)


@pytest.mark.parametrize("name", sorted(FALLBACK))
def test_a_statement_whose_offset_is_wrong_falls_back_to_the_whole_module(name: str) -> None:
    positions = _compare(FALLBACK[name])
    assert positions.whole_module
    assert positions.rejected > 0


def test_without_cpythons_tree_the_whole_module_gives_the_spans() -> None:
    text = TRICKY["decorators"]
    module = cst.parse_module(text)
    positions = Positions(module, text, None, index_module(module).scope_of)
    assert positions.whole_module
    expected = _expected(module)
    call = next(n for n in expected if isinstance(n, cst.Call))
    span = positions.span(call)
    assert span is not None
    assert (span.line, span.column, span.end_line, span.end_column) == expected[call]


def test_a_node_of_another_module_has_no_span() -> None:
    text = "x = f(1)\n"
    module = cst.parse_module(text)
    positions = Positions(module, text, python_tree(text), index_module(module).scope_of)
    assert positions.span(cst.parse_expression("f(1)")) is None


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(hypothesmith.from_grammar())
def test_spans_of_arbitrary_python_are_libcsts(text: str) -> None:
    try:
        cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError, ValueError):
        return
    _compare(text)


@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_the_analysis_is_the_same_with_spans_statement_by_statement(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = path.read_text(encoding="utf-8")
    whole = analyze(text, str(path))
    monkeypatch.setattr(resolver, "STATEMENT_SPANS", True)
    made: list[Positions] = []
    monkeypatch.setattr(resolver, "Positions", lambda *a: made.append(Positions(*a)) or made[-1])
    assert analyze(text, str(path)) == whole
    assert all(not p.whole_module and p.rejected == 0 for p in made)
