"""Source positions of libcst nodes, computed by a lean codegen: of the whole module, or of the
statements that hold the nodes asked.

libcst's ``PositionProvider`` gives the same ranges but costs about twice the parse (it splits
every token with a regex and builds two objects per node); here a codegen only counts characters,
and offsets become rows and columns by bisection. The ranges are the *syntactic* ones
(``PositionProvider``'s, not the whitespace-inclusive ones).

Statement by statement (given the text, CPython's tree of it and the scope pass' order; used
for linted modules when :data:`STATEMENT_SPANS` is on), a span costs the codegen of the
innermost statement holding the node (a line of simple statements; for a node in a compound
statement's header, that header up to its first block), started at the offset in the text
where CPython's parser (:func:`python_tree`, once a module, shared with :func:`call_lines`) puts
the statement, with the indentation of the blocks around it. The node's statement is found from
the scope pass' ``scope_of``, whose keys are the nodes in source order (a statement, then the
nodes inside it). libcst's code is the text, so a statement whose generated code is the text at
that offset has the offsets the pass over the whole module gives; one that is not (a guess gone
wrong, text libcst does not round-trip) falls back to its top-level statement, then to one pass
over the whole module.
"""

from __future__ import annotations

import ast
import bisect
import itertools
import re
import warnings
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.internal import CodegenState

from kerasrnnlint.ir import Span

_NEWLINE = re.compile(r"\r\n?|\n")

# Whether a linted module's spans come statement by statement (:class:`Positions` given the text,
# CPython's tree and the scope pass' order) rather than from one pass over the whole module. Off:
# the analysis asks for the spans of every value it resolves, in most statements of a file that
# holds a layer, and then one pass costs less than the statements one by one plus CPython's
# parse (measured on the real corpus: 1.02-1.21x; 1.2x on the synthetic one). It pays once spans
# are asked only for what ends up in a finding or an unknown.
STATEMENT_SPANS = False


class _Stopped(Exception):
    """The codegen reached the node it was to stop at."""


@dataclass(frozen=False)
class _OffsetState(CodegenState):
    offset: int = 0
    # By id of the node (the module keeps its nodes alive; ``id`` is cheaper than a node's hash).
    ranges: dict[int, tuple[int, int]] = field(default_factory=dict)
    starts: list[int] = field(default_factory=list)
    # Everything a node's codegen writes (its parentheses and whitespace too): its code.
    whole: dict[int, tuple[int, int]] = field(default_factory=dict)
    # Stop (raise :class:`_Stopped`) where this node's codegen would start: the nodes written
    # before it are complete, the ones around it are left out.
    stop: cst.CSTNode | None = None
    stopped: bool = False

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        for token in self.indent_tokens:
            self.offset += len(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.offset += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        if node is self.stop:
            self.stopped = True
            raise _Stopped
        self.starts.append(self.offset)

    def after_codegen(self, node: cst.CSTNode) -> None:
        found = (self.starts.pop(), self.offset)
        key = id(node)
        self.whole[key] = found
        self.ranges.setdefault(key, found)

    # Any context manager does for libcst (its own is a generator's).
    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> _Recording:
        return _Recording(self, node, start_node, end_node)


class _Recording:
    """``with state.record_syntactic_position(node):`` -- the range of what the block writes
    (or from ``start_node``'s start to ``end_node``'s end). A class, not a generator: libcst
    enters one for most nodes, and a ``contextmanager`` costs several times as much."""

    __slots__ = ("end_node", "node", "start", "start_node", "state")

    def __init__(
        self,
        state: _OffsetState,
        node: cst.CSTNode,
        start_node: cst.CSTNode | None,
        end_node: cst.CSTNode | None,
    ) -> None:
        self.state, self.node = state, node
        self.start_node, self.end_node = start_node, end_node
        self.start = state.offset

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        state = self.state
        if state.stopped:  # a node left open by a stop has no range
            return
        start, end = self.start, state.offset
        if self.start_node is not None:
            start = state.ranges[id(self.start_node)][0]
        if self.end_node is not None:
            end = state.ranges[id(self.end_node)][1]
        state.ranges[id(self.node)] = (start, end)


def _ast_count(statement: cst.BaseStatement) -> int:
    """How many statements CPython sees in a libcst statement: ``a; b`` is two."""
    return len(statement.body) if type(statement) is cst.SimpleStatementLine else 1


_Clause = tuple[cst.CSTNode, cst.BaseSuite, list[ast.stmt]]
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_LOOPS = {cst.For: (ast.For, ast.AsyncFor), cst.While: (ast.While,)}


def _clauses(statement: cst.BaseCompoundStatement, tree: ast.stmt) -> list[_Clause] | None:
    """The parts of a compound statement that hold statements, in source order, each as (the
    node it starts with, its block, CPython's statements of that block); None when the two
    trees do not pair up there."""
    kind = type(statement)
    if kind is cst.FunctionDef and isinstance(tree, _DEFINITIONS):
        return [(statement.body, statement.body, tree.body)]
    if (kind is cst.ClassDef and isinstance(tree, ast.ClassDef)) or (
        kind is cst.With and isinstance(tree, (ast.With, ast.AsyncWith))
    ):
        return [(statement.body, statement.body, tree.body)]
    if kind is cst.If and isinstance(tree, ast.If):
        assert isinstance(statement, cst.If)
        found: list[_Clause] = [(statement.body, statement.body, tree.body)]
        orelse, rest = statement.orelse, tree.orelse
        while isinstance(orelse, cst.If):  # ``elif``: an ``if`` alone in CPython's orelse
            if len(rest) != 1 or not isinstance(rest[0], ast.If):
                return None
            found.append((orelse, orelse.body, rest[0].body))
            orelse, rest = orelse.orelse, rest[0].orelse
        if orelse is not None:
            found.append((orelse, orelse.body, rest))
        return found
    if kind in _LOOPS and isinstance(tree, _LOOPS[kind]):
        assert isinstance(statement, (cst.For, cst.While))
        assert isinstance(tree, (ast.For, ast.AsyncFor, ast.While))
        found = [(statement.body, statement.body, tree.body)]
        if statement.orelse is not None:
            found.append((statement.orelse, statement.orelse.body, tree.orelse))
        return found
    if (kind is cst.Try and isinstance(tree, ast.Try)) or (
        kind is cst.TryStar and type(tree).__name__ == "TryStar"
    ):
        assert isinstance(statement, (cst.Try, cst.TryStar))
        handlers = getattr(tree, "handlers", [])
        if len(handlers) != len(statement.handlers):
            return None
        found = [(statement.body, statement.body, getattr(tree, "body", []))]
        for handler, caught in zip(statement.handlers, handlers, strict=True):
            assert isinstance(handler, (cst.ExceptHandler, cst.ExceptStarHandler))
            found.append((handler, handler.body, caught.body))
        if statement.orelse is not None:
            found.append((statement.orelse, statement.orelse.body, getattr(tree, "orelse", [])))
        if statement.finalbody is not None:
            final = statement.finalbody
            found.append((final, final.body, getattr(tree, "finalbody", [])))
        return found
    if kind is cst.Match and isinstance(tree, ast.Match):
        assert isinstance(statement, cst.Match)
        if len(tree.cases) != len(statement.cases):
            return None
        return [(c, c.body, a.body) for c, a in zip(statement.cases, tree.cases, strict=True)]
    return None


@dataclass(frozen=True)
class _Unit:
    """A statement to generate alone: where it should start in the text, where the next
    statement starts (``exact``) or a bound its end must not pass, and the indentation of the
    blocks around it; with ``stop``, only its header, up to that block."""

    statement: cst.BaseStatement
    start: int
    end: int
    exact: bool
    indents: tuple[str, ...]
    stop: cst.CSTNode | None = None

    @property
    def key(self) -> tuple[int, int]:
        return id(self.statement), id(self.stop)


class Positions:
    """Where the nodes of one module are: :meth:`span` gives 1-based rows and columns.

    With the text the module was parsed from, CPython's tree of it (``tree``) and the scope
    pass' ``scope_of`` (its keys are the ids of the nodes in source order: a statement, then
    the nodes inside it), a span costs the codegen of the innermost statement that holds the
    node (a line of simple statements, or the compound statement whose header holds it), once
    per statement, started at the offset CPython's line numbers give that statement, with the
    indentation of the blocks around it. A statement whose generated code is not the text at
    that offset is not trusted: its top-level statement is generated instead, and where that
    does not match either, the whole module, in one pass (what was done for every module
    before). libcst's code is the text, so a statement whose code matches it has the offsets
    the whole module's pass gives.
    """

    def __init__(
        self,
        module: cst.Module,
        text: str | None = None,
        tree: ast.Module | None = None,
        order: Mapping[int, object] | None = None,
    ) -> None:
        self._module = module
        self._ranges: dict[int, tuple[int, int]] = {}
        self._whole: dict[int, tuple[int, int]] = {}
        self._code = ""
        self._line_starts: list[int] = [0]
        # Statement by statement: the text (with the newline libcst adds at the end of a file
        # without one), CPython's tree, the position of each node's id in ``order``, the
        # top-level statements' positions and first CPython statements, what was generated.
        self._text: str | None = None
        self._reference = ""
        self._tree = tree
        self._order = order
        self._positions: dict[int, int] | None = None
        self._firsts: list[int] = []
        self._ast_firsts: list[int] = []
        self._done: set[tuple[int, int]] = set()
        self._blocks: dict[int, tuple[list[int], list[int]]] = {}
        self._compounds: dict[int, tuple[list[_Clause], list[int]]] = {}
        self._tops: dict[int, tuple[int | None, int | None]] = {}
        # How many statements were generated alone, and how many of them did not match the
        # text (their offset was wrong): for tests and benchmarks.
        self.generated = 0
        self.rejected = 0
        # libcst drops a last newline it did not see as one (a file ending in a lone "\r"):
        # its code is then not the text, and only a pass over the whole module says where
        # that pass puts the end.
        dropped = (
            not module.has_trailing_newline and text is not None and text.endswith(("\r", "\n"))
        )
        if text is not None and tree is not None and order is not None and not dropped:
            self._text = self._code = text
            self._line_starts = [0, *(m.end() for m in _NEWLINE.finditer(text))]
            phantom = not module.has_trailing_newline and not module.footer
            self._reference = text + module.default_newline if phantom else text
            taken = 0
            for statement in module.body:
                self._ast_firsts.append(taken)
                taken += _ast_count(statement)
            if taken == len(tree.body):
                return
        self._whole_module()

    @property
    def whole_module(self) -> bool:
        """True once the positions come from a pass over the whole module."""
        return self._text is None

    def _whole_module(self) -> None:
        """One pass over the whole module: every node's range (what was done before)."""
        module = self._module
        state = _OffsetState(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        module._codegen(state)
        self._ranges = state.ranges
        self._whole = state.whole
        code = "".join(state.tokens)
        self._code = code
        self._line_starts = [0, *(m.end() for m in _NEWLINE.finditer(code))]
        self._text = None

    def _start_of(self, statement: cst.BaseStatement, first: ast.stmt) -> int | None:
        """Where ``statement`` starts in the text (its leading comments and blank lines
        included), from the line CPython gives ``first``, its first statement: a decorated
        definition starts at its first decorator; every line of ``leading_lines`` is one line
        of the text. A guess, until the generated code is compared with the text there."""
        line = first.lineno
        decorators = getattr(first, "decorator_list", None)
        if decorators:
            line = decorators[0].lineno
        leading: Sequence[cst.EmptyLine] = getattr(statement, "leading_lines", ())
        row = line - len(leading)
        if row < 1 or row > len(self._line_starts):
            return None
        return self._line_starts[row - 1]

    def _top_end(self, index: int) -> int | None:
        """Where the text after top-level statement ``index`` starts: the next statement, or
        the module's footer (comments and blank lines after the last statement)."""
        module = self._module
        assert self._tree is not None
        if index + 1 < len(module.body):
            return self._start_of(
                module.body[index + 1], self._tree.body[self._ast_firsts[index + 1]]
            )
        state = CodegenState(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        for line in module.footer:
            line._codegen(state)
        if not module.has_trailing_newline:
            state.pop_trailing_newline()
        return len(self._reference) - len("".join(state.tokens))

    def _top_index(self, position: int) -> int | None:
        """The index of the top-level statement whose nodes hold ``position`` (in ``order``)."""
        if not self._firsts or position < self._firsts[0]:
            return None
        return bisect.bisect_right(self._firsts, position) - 1

    def _unit(self, index: int, position: int | None) -> _Unit | None:
        """The innermost statement holding the node at ``position`` (in ``order``), found from
        top-level statement ``index`` down through the blocks of compound statements; with
        ``position`` None, all of the top-level statement."""
        assert self._tree is not None and self._positions is not None
        positions = self._positions
        statement: cst.BaseStatement = self._module.body[index]
        tree = self._tree.body[self._ast_firsts[index]]
        if index not in self._tops:
            self._tops[index] = (self._start_of(statement, tree), self._top_end(index))
        start, end = self._tops[index]
        if start is None or end is None:
            return None
        unit = _Unit(statement, start, end, True, ())
        after = self._firsts[index + 1] if index + 1 < len(self._firsts) else len(positions)
        own = self._firsts[index]
        while position is not None and isinstance(statement, cst.BaseCompoundStatement):
            clauses, heads = self._compound(statement, tree)
            if not heads or -1 in heads:
                break
            if position < heads[0]:
                # In the header (``def f(a=1):``, ``class A(B):``, ``with s.scope():``): the
                # codegen stops where the first block starts. The statement itself: all of it.
                if position != own:
                    unit = _Unit(
                        statement, unit.start, unit.end, False, unit.indents, clauses[0][0]
                    )
                break
            k = bisect.bisect_right(heads, position) - 1
            _, block, body = clauses[k]
            if not isinstance(block, cst.IndentedBlock):
                break  # ``if x: a; b``: the small statements are on the header's line
            region_end = heads[k + 1] if k + 1 < len(heads) else after
            inner = block.body
            firsts, taken = self._block(block)
            if -1 in firsts or taken[-1] != len(body):
                break
            at = bisect.bisect_right(firsts, position) - 1
            if at < 0:
                # In a clause's own header (``elif x:``, ``except E as e:``): up to its block.
                unit = _Unit(statement, unit.start, unit.end, False, unit.indents, block)
                break
            nested_start = self._start_of(inner[at], body[taken[at]])
            if nested_start is None:
                break
            exact = at + 1 < len(inner)
            nested_end: int | None = unit.end
            if exact:
                nested_end = self._start_of(inner[at + 1], body[taken[at + 1]])
            if nested_end is None:
                break
            default = self._module.default_indent
            indents = (*unit.indents, default if block.indent is None else block.indent)
            if isinstance(statement, cst.Match):  # its cases are indented under it
                extra = default if statement.indent is None else statement.indent
                indents = (*unit.indents, extra, indents[-1])
            statement, tree = inner[at], body[taken[at]]
            unit = _Unit(statement, nested_start, nested_end, exact, indents)
            after = firsts[at + 1] if exact else region_end
            own = firsts[at]
        return unit

    def _compound(
        self, statement: cst.BaseCompoundStatement, tree: ast.stmt
    ) -> tuple[list[_Clause], list[int]]:
        """:func:`_clauses` of ``statement`` and the position in ``order`` of the node each
        starts with (-1: not there), once a statement; no clauses where the trees differ."""
        found = self._compounds.get(id(statement))
        if found is None:
            assert self._positions is not None
            clauses = _clauses(statement, tree) or []
            heads = [self._positions.get(id(head), -1) for head, _, _ in clauses]
            found = self._compounds[id(statement)] = (clauses, heads)
        return found

    def _block(self, block: cst.IndentedBlock) -> tuple[list[int], list[int]]:
        """The position in ``order`` of each statement of ``block`` (-1: not there), and the
        index of its first CPython statement (one more: how many there are), once a block."""
        found = self._blocks.get(id(block))
        if found is None:
            assert self._positions is not None
            firsts = [self._positions.get(id(s), -1) for s in block.body]
            taken = [0, *itertools.accumulate(_ast_count(s) for s in block.body)]
            found = self._blocks[id(block)] = (firsts, taken)
        return found

    def _generate(self, unit: _Unit) -> bool:
        """Generate ``unit``'s statement from its offset; False when its code is not the text
        there (the offset would be wrong)."""
        self._done.add(unit.key)
        module = self._module
        state = _OffsetState(
            default_indent=module.default_indent,
            default_newline=module.default_newline,
            indent_tokens=list(unit.indents),
            offset=unit.start,
            stop=unit.stop,
        )
        with suppress(_Stopped):
            unit.statement._codegen(state)
        if unit.stop is not None and not state.stopped:
            return False
        code = "".join(state.tokens)
        end = unit.start + len(code)
        self.generated += 1
        if (end != unit.end if unit.exact else end > unit.end) or not self._reference.startswith(
            code, unit.start
        ):
            self.rejected += 1
            return False
        self._ranges.update(state.ranges)
        self._whole.update(state.whole)
        return True

    def _map(self) -> dict[int, int]:
        """The position of each node's id in ``order``, made on the first span asked."""
        if self._positions is None:
            assert self._order is not None
            self._positions = dict(zip(self._order, itertools.count()))
            firsts = [self._positions.get(id(s), -1) for s in self._module.body]
            if all(a < b for a, b in itertools.pairwise(firsts)) and -1 not in firsts:
                self._firsts = firsts
        return self._positions

    def _find(self, node: cst.CSTNode) -> tuple[int, int] | None:
        """The range of a node not generated yet: its statement's codegen, or its top-level
        statement's, or the whole module's where neither can be trusted."""
        key = id(node)
        position = self._map().get(key)
        index = None if position is None else self._top_index(position)
        if position is not None and index is not None:
            for inner in (position, None):  # the innermost statement, then the top-level one
                unit = self._unit(index, inner)
                fresh = unit is not None and unit.key not in self._done
                if fresh and unit is not None and self._generate(unit) and key in self._ranges:
                    return self._ranges[key]
        self._whole_module()
        return self._ranges.get(key)

    def expression_code(self, node: cst.BaseExpression) -> str | None:
        """What ``module.code_for_node(node)`` gives for an expression, up to the newline
        characters (the module's, not ``\\n``) and the indentation, cut from the text: its
        statement is generated if it was not (its span is asked next, most of the time). None
        for a node of another module."""
        key = id(node)
        found = self._whole.get(key)
        if found is None and self._text is not None and key in self._map():
            self._find(node)
            found = self._whole.get(key)
        return None if found is None else self._code[found[0] : found[1]]

    def _row_column(self, offset: int) -> tuple[int, int]:
        row = bisect.bisect_right(self._line_starts, offset)
        return row, offset - self._line_starts[row - 1] + 1

    def span(self, node: cst.CSTNode) -> Span | None:
        found = self._ranges.get(id(node))
        if found is None and self._text is not None:
            found = self._find(node)
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


def python_tree(text: str) -> ast.Module | None:
    """CPython's tree of ``text`` (a fraction of libcst's parse), None when it does not parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError):
        return None


def call_lines(tree: ast.Module | None, calls: list[cst.Call]) -> dict[int, int] | None:
    """The first line of each call of ``calls`` (all the calls of the module, in source order),
    by ``id``, from CPython's tree of its text (:func:`python_tree`; a fraction of a codegen);
    None when that cannot be trusted: the text does not parse there (``tree`` is None), an
    f-string over several lines holds a call (inner positions are not reliable before Python
    3.12), or the two trees' calls do not pair up one to one with the same callee names."""
    if tree is None:
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
