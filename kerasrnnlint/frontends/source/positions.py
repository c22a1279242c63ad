"""Source positions of libcst nodes, computed with one lean codegen pass.

libcst's ``PositionProvider`` gives the same ranges but costs about twice the parse (it splits
every token with a regex and builds two objects per node); here the pass only counts characters,
and offsets become rows and columns by bisection, on demand. The ranges are the *syntactic* ones
(``PositionProvider``'s, not the whitespace-inclusive ones).
"""

from __future__ import annotations

import ast
import bisect
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.internal import CodegenState

from kerasrnnlint.ir import Span

_NEWLINE = re.compile(r"\r\n?|\n")


@dataclass(frozen=False)
class _OffsetState(CodegenState):
    offset: int = 0
    ranges: dict[cst.CSTNode, tuple[int, int]] = field(default_factory=dict)
    starts: list[int] = field(default_factory=list)
    # Everything a node's codegen writes (its parentheses and whitespace too): its code.
    whole: dict[cst.CSTNode, tuple[int, int]] = field(default_factory=dict)

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        for token in self.indent_tokens:
            self.offset += len(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.offset += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.starts.append(self.offset)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self.starts.pop()
        self.whole[node] = (start, self.offset)
        if node not in self.ranges:
            self.ranges[node] = (start, self.offset)

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Iterator[None]:
        start = self.offset
        try:
            yield
        finally:
            end = self.offset
            if start_node is not None:
                start = self.ranges[start_node][0]
            if end_node is not None:
                end = self.ranges[end_node][1]
            self.ranges[node] = (start, end)


class Positions:
    """Where every node of one module is: :meth:`span` gives 1-based rows and columns."""

    def __init__(self, module: cst.Module) -> None:
        state = _OffsetState(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        module._codegen(state)
        self._ranges = state.ranges
        self._whole = state.whole
        code = "".join(state.tokens)
        self._code = code
        self._line_starts = [0, *(m.end() for m in _NEWLINE.finditer(code))]

    def expression_code(self, node: cst.BaseExpression) -> str | None:
        """What ``module.code_for_node(node)`` gives for an expression, up to the newline
        characters (the module's, not ``\\n``), cut from this pass's text: no second codegen.
        None for a node the pass did not see."""
        found = self._whole.get(node)
        return None if found is None else self._code[found[0] : found[1]]

    def _row_column(self, offset: int) -> tuple[int, int]:
        row = bisect.bisect_right(self._line_starts, offset)
        return row, offset - self._line_starts[row - 1] + 1

    def span(self, node: cst.CSTNode) -> Span | None:
        found = self._ranges.get(node)
        if found is None:
            return None
        line, column = self._row_column(found[0])
        end_line, end_column = self._row_column(found[1])
        return Span(line, column, end_line, end_column)


def _tail(func: ast.expr | cst.BaseExpression) -> str:
    """The last name of a callee (``f`` of ``a.b.f``), or "" when it is not a name."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return ""


def call_lines(text: str, calls: list[cst.Call]) -> dict[int, int] | None:
    """The first line of each call of ``calls`` (all the calls of the module parsed from
    ``text``, in source order), by ``id``, from CPython's parser (a fraction of a codegen); None
    when that cannot be trusted: the text does not parse there, an f-string over several lines
    holds a call (inner positions are not reliable before Python 3.12), or the two trees' calls
    do not pair up one to one with the same callee names."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError):
        return None
    found: list[tuple[int, int, int, int, ast.Call]] = []
    # Calls inside a one-line f-string are on its line (their columns may be off: they only
    # order calls of one line, and any line's calls all get that line).
    on_line: dict[int, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            line = on_line.get(id(node), node.lineno)
            end_line = node.end_lineno or node.lineno
            end_column = node.end_col_offset or 0
            found.append((line, node.col_offset, -end_line, -end_column, node))
        elif isinstance(node, ast.JoinedStr) and id(node) not in on_line:
            inner_calls = [i for i in ast.walk(node) if isinstance(i, ast.Call)]
            if inner_calls and node.end_lineno != node.lineno:
                return None
            for inner in ast.walk(node):
                on_line[id(inner)] = node.lineno
    if len(found) != len(calls):
        return None
    found.sort(key=lambda entry: entry[:4])
    lines: dict[int, int] = {}
    for entry, call in zip(found, calls, strict=True):
        if _tail(entry[4].func) != _tail(call.func):
            return None
        lines[id(call)] = entry[0]
    return lines
