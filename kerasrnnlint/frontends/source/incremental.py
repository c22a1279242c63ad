"""Parse an edited text again without parsing all of it: top-level statements cached by their text.

An editor sends the whole buffer after each keystroke, and a keystroke changes one top-level
statement. :class:`IncrementalParser` splits the text into *chunks*, one per top-level statement,
without parsing (:func:`split`: a chunk starts at a line that begins a statement at column 0,
outside brackets, strings and ``\\`` continuations; ``else``/``elif``/``except``/``finally``
clauses and the definition under a decorator stay with their statement; comments and blank lines
after a statement stay in its chunk). Each chunk is parsed alone with libcst, once per distinct
text (a bounded cache), followed by a ``pass`` *sentinel*: libcst gives the comments and blank
lines that follow a statement to its indented block's footer or to the next statement's
``leading_lines`` by their indentation against that next statement, and the sentinel stands in
for it. The chunks' statements are assembled into a ``cst.Module`` equal
(``deep_equals``) to ``libcst.parse_module(text)``, with the same header, footer, default indent
and newline. Unchanged statements keep their node objects from one parse to the next.

Nodes depend on two module-wide values (an ``IndentedBlock``'s ``indent`` and a ``Newline``'s
``value`` are None where they equal the module's default): a chunk whose first indentation or
first newline differs from the whole text's is parsed after a prefix that sets them
(``if 1:\\n<indent>pass\\n``).

Whatever is uncertain falls back to :func:`kerasrnnlint.frontends.source.parse` of the whole text,
so the result (the module, or the :class:`InputError` and its message) is always the one a full
parse gives: a chunk that does not parse alone (a syntax error anywhere: the full parse words the
error), a form feed or NUL, a ``\\`` continuation followed by a line at column 0, anything but the
expected statements around the sentinel, a module-level attribute other than the whole text's.
The nesting guard of the full parse (CPython's parser asked first for long or deep texts) is kept
per chunk: CPython's verdict on each new chunk is cached with it, and a chunk CPython refuses
sends the whole text to the full parse.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst

from kerasrnnlint.frontends import pyparse_errors
from kerasrnnlint.frontends.base import InputError
from kerasrnnlint.frontends.source import (
    MAX_NESTING,
    _nesting,
    _python_parse,
    _suspicious,
    deep_recursion,
    parse,
)

__all__ = ["Chunk", "IncrementalParser", "split"]

DEFAULT_INDENT = "    "  # libcst's when a text has no indented block
DEFAULT_NEWLINE = "\n"
MIN_CACHE = 256  # chunks kept at least (else twice the chunks of the last text parsed)

Statement = cst.SimpleStatementLine | cst.BaseCompoundStatement

_NEWLINE = re.compile(r"\r\n?|\n")
# In code: a string's opening quote, a comment, a bracket, a backslash before a newline, or a
# newline followed by a line that starts with code (at column 0) or with indentation and code.
_CODE = re.compile(
    r"""(?P<quote>'''|\"\"\"|'|")"""
    r"|(?P<comment>\#[^\r\n]*)"
    r"|(?P<open>[(\[{])"
    r"|(?P<close>[)\]}])"
    r"|(?P<backslash>\\(?:\r\n?|\n))"
    r"|(?:\r\n?|\n)(?=(?P<indent>[ \t]+)?(?P<code>[^ \t\r\n\#]))"
)
# The rest of a string after its opening quote, up to and with its closing quote (or the end of
# the line for an unterminated one-line string: the parse of that chunk will say so).
_STRING_END = {
    "'": re.compile(r"(?:[^'\\\r\n]|\\(?:\r\n|[\s\S]))*(?:'|(?=[\r\n])|$)"),
    '"': re.compile(r'(?:[^"\\\r\n]|\\(?:\r\n|[\s\S]))*(?:"|(?=[\r\n])|$)'),
    "'''": re.compile(r"(?:[^'\\]|\\[\s\S]|'(?!''))*(?:'''|$)"),
    '"""': re.compile(r'(?:[^"\\]|\\[\s\S]|"(?!""))*(?:"""|$)'),
}
# A line that goes on the statement before it, not a statement of its own.
_CLAUSE = re.compile(r"(?:else|elif|except|finally)\b")
# A text that starts with a statement (else its first chunk is the module's header).
_STARTS_WITH_CODE = re.compile(r"[^ \t\r\n#]")
# A chunk whose body is split further, into its statements: a definition.
_DEFINITION = re.compile(r"@|(?:async[ \t]+)?def\b|class\b")


@dataclass(frozen=True)
class Chunk:
    """One top-level statement's text (with the comments and blank lines after it)."""

    text: str
    indent: str | None  # the first indentation of a line of code in it (libcst's first INDENT)
    # For a definition (``def``, ``class``) with two statements or more in its indented block:
    # where each statement of the block starts in ``text``.
    members: tuple[int, ...] = ()


class Uncertain(Exception):
    """The chunks cannot be trusted to give the full parse's module: parse it whole."""


def split(text: str) -> tuple[list[Chunk], str | None] | None:
    """The text's chunks, and its first indentation of a line of code (the module's default
    indent); None when the text cannot be split with certainty (see the module docstring)."""
    if "\f" in text or "\0" in text:
        return None
    starts = [0]
    indents: list[str | None] = [None]
    members: list[list[int]] = [[]]
    splittable = [_DEFINITION.match(text) is not None]
    first_indent: str | None = None
    depth = 0
    decorated = text.startswith("@")  # the line before was a decorator: a definition follows
    member_decorated = False
    pos = 0
    search = _CODE.search
    while True:
        match = search(text, pos)
        if match is None:
            break
        pos = match.end()
        kind = match.lastgroup
        if kind == "quote":
            end = _STRING_END[match["quote"]].match(text, pos)
            if end is None:  # pragma: no cover - the patterns match the empty string
                return None
            pos = end.end()
        elif kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(depth - 1, 0)
        elif kind == "backslash":
            if depth == 0 and pos < len(text) and text[pos] not in " \t\r\n":
                return None  # a line continued at column 0: is it a statement of its own?
        elif kind == "comment":
            pass
        elif depth == 0:  # a newline before a line of code, outside brackets
            indent = match["indent"]
            if indent is not None:
                if indents[-1] is None:
                    indents[-1] = indent
                    if first_indent is None:
                        first_indent = indent
                elif not (splittable[-1] and indent == indents[-1]):
                    continue
                if splittable[-1]:  # a statement of the definition's block?
                    at = pos + len(indent)
                    if _CLAUSE.match(text, at):
                        continue
                    was_decorated, member_decorated = member_decorated, text.startswith("@", at)
                    if not was_decorated:
                        members[-1].append(pos - starts[-1])
                continue
            if _CLAUSE.match(text, pos):
                continue
            if decorated:
                decorated = text.startswith("@", pos)
                continue
            decorated = text.startswith("@", pos)
            starts.append(pos)
            indents.append(None)
            members.append([])
            splittable.append(_DEFINITION.match(text, pos) is not None)
            member_decorated = False
    starts.append(len(text))
    chunks = [
        Chunk(text[start:end], indent, tuple(inner) if len(inner) > 1 else ())
        for start, end, indent, inner in zip(starts, starts[1:], indents, members, strict=False)
    ]
    return chunks, first_indent


@dataclass
class _Parsed:
    """One chunk's parse: its statements and what follows them."""

    statements: tuple[Statement, ...]
    # The blank lines and comments libcst gives to the next statement (the sentinel's), or for
    # the last chunk the module's footer.
    following: Sequence[cst.EmptyLine]
    header: Sequence[cst.EmptyLine]  # the first chunk's: the module's
    has_trailing_newline: bool
    # The first statement with the previous chunk's ``following`` as its leading lines, and the
    # ``following`` object it was made with.
    led: tuple[Sequence[cst.EmptyLine], Statement] | None = None


@dataclass
class _Member:
    """One statement of a definition's block, parsed after the definition's head."""

    definition: cst.FunctionDef | cst.ClassDef  # as parsed with this statement alone
    statements: tuple[Statement, ...]
    # The lines libcst gives to the block's next statement (the block sentinel's); for the
    # last, the chunk's ``following`` (the top-level sentinel's or the module's footer).
    following: Sequence[cst.EmptyLine]
    footer: Sequence[cst.EmptyLine]  # the block's footer (the last statement's parse)
    header: Sequence[cst.EmptyLine]
    has_trailing_newline: bool
    led: tuple[Sequence[cst.EmptyLine], Statement] | None = None


# (head, text, occurrence of the chunk, occurrence in the block, last in the block, last in the
# module, prefix): a chunk's parse (head "") or a definition's block statement's. A text met again
# gets nodes of its own (the analysis tells nodes apart by identity).
_Key = tuple[str, str, int, int, bool, bool, str]
# Parse the whole text when more than this share of its chunks is new (on open, after a paste):
# one full parse costs less than parsing most statements one by one, and it seeds the cache.
WHOLE_WHEN_NEW = 0.5


@dataclass(frozen=True)
class _Planned:
    """One chunk of a text to parse: its cache key, and its block statements' (head, text, key)."""

    chunk: Chunk
    prefix: str
    key: _Key
    members: tuple[tuple[str, str, _Key], ...]


class IncrementalParser:
    """:func:`~kerasrnnlint.frontends.source.parse`, re-parsing only the statements whose text
    changed since the texts parsed before (one parser per edited document): top-level
    statements, and the statements of a top-level ``def`` or ``class`` block. Thread-safe."""

    def __init__(self, whole_when_new: float = WHOLE_WHEN_NEW) -> None:
        self.whole_when_new = whole_when_new
        self._cache: OrderedDict[_Key, _Parsed | _Member] = OrderedDict()
        # CPython's verdict on a chunk for the nesting guard: its depth, None when refused.
        self._depths: OrderedDict[tuple[str, str], int | None] = OrderedDict()
        self._lock = threading.Lock()
        self.reparsed = 0  # chunks and block statements parsed by the last call
        self.fell_back = False  # whether the last call parsed the whole text (uncertain)
        self.whole = False  # whether it parsed the whole text because most of it was new

    def __call__(self, text: str) -> cst.Module:
        with self._lock:
            self.reparsed = 0
            self.fell_back = self.whole = False
            try:
                return self._parse(text)
            except Uncertain:
                pass
            except InputError:
                raise
            except Exception:  # a bug here must not cost a lint: the full parse decides
                self._cache.clear()
                self._depths.clear()
            self.fell_back = True
            return parse(text)

    def _parse(self, text: str) -> cst.Module:
        found = split(text)
        if found is None:
            raise Uncertain
        chunks, first_indent = found
        newline = _first_newline(text)
        indent = first_indent if first_indent is not None else DEFAULT_INDENT
        plan = _plan(chunks, indent, newline)
        limit = max(MIN_CACHE, 2 * sum(1 + len(c.members) for c in chunks))
        new = sum(p.key not in self._cache for p in plan)
        if len(plan) > 4 and new > self.whole_when_new * len(plan):
            module = parse(text)  # the full parse's module, or its error
            self.whole = True
            self.reparsed = new
            self._seed(module, text, plan, indent, newline)
            self._trim(limit)
            return module
        if _suspicious(text):  # as the full parse: CPython first, for nesting libcst may crash on
            refused = self._too_deep(chunks, limit)
            if refused is not None:
                raise InputError(refused)
        parsed: list[_Parsed] = []
        last = len(plan) - 1
        for i, planned in enumerate(plan):
            entry = self._cache.get(planned.key)
            if entry is None:
                chunk, prefix = planned.chunk, planned.prefix
                if planned.members:
                    entry = self._definition(planned, i == 0, i == last, newline, indent)
                else:
                    entry = _parse_chunk(chunk, prefix, i == 0, i == last, newline, indent)
                    self.reparsed += 1
                self._cache[planned.key] = entry
            else:
                self._cache.move_to_end(planned.key)
            assert isinstance(entry, _Parsed)
            parsed.append(entry)
        self._trim(limit)
        module = _assemble(parsed, indent, newline)
        return pyparse_errors.refuse_python2(module, text)

    def _trim(self, limit: int) -> None:
        while len(self._cache) > limit:
            self._cache.popitem(last=False)

    def _seed(
        self, module: cst.Module, text: str, plan: Sequence[_Planned], indent: str, newline: str
    ) -> None:
        """Cache the statements of the whole text's parse as the chunks' parses would give them
        (nothing when the two do not line up one to one)."""
        if module.default_indent != indent or module.default_newline != newline:
            return
        body = module.body
        # The first chunk holds only the module's header unless the text starts with code.
        planned = list(plan)
        header_only = len(plan) > 1 and not _STARTS_WITH_CODE.match(text)
        if header_only:
            first = planned.pop(0)
            self._cache[first.key] = _Parsed(
                statements=(),
                following=body[0].leading_lines if body else module.footer,
                header=module.header,
                has_trailing_newline=module.has_trailing_newline,
            )
        if len(planned) != len(body) or not all(
            _agrees(entry.chunk.text, statement)
            for entry, statement in zip(planned, body, strict=True)
        ):
            return
        for j, (entry, statement) in enumerate(zip(planned, body, strict=True)):
            following = body[j + 1].leading_lines if j + 1 < len(body) else module.footer
            header = module.header if j == 0 and not header_only else ()
            self._cache[entry.key] = _Parsed(
                statements=(statement,),
                following=following,
                header=header,
                has_trailing_newline=module.has_trailing_newline,
                led=(statement.leading_lines, statement),
            )
            if not entry.members or not isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                continue
            block = statement.body
            if not isinstance(block, cst.IndentedBlock) or len(block.body) != len(entry.members):
                continue
            inner = [
                s
                for s in block.body
                if isinstance(s, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
            ]
            if len(inner) != len(block.body) or not all(
                _agrees(text, member)
                for (_, text, _), member in zip(entry.members, inner, strict=True)
            ):
                continue
            for k, ((_, _, key), member) in enumerate(zip(entry.members, inner, strict=True)):
                self._cache[key] = _Member(
                    definition=statement,
                    statements=(member,),
                    following=inner[k + 1].leading_lines if k + 1 < len(inner) else following,
                    footer=block.footer,
                    header=header,
                    has_trailing_newline=module.has_trailing_newline,
                    led=(member.leading_lines, member),
                )

    def _definition(
        self, planned: _Planned, first: bool, last: bool, newline: str, indent: str
    ) -> _Parsed:
        """A definition's chunk from its block's statements, each parsed after the head (the
        decorators, the ``def``/``class`` line and the lines before the first statement)."""
        chunk, prefix = planned.chunk, planned.prefix
        block_indent = chunk.indent or indent
        members: list[_Member] = []
        for k, (head, body, key) in enumerate(planned.members):
            last_member = k == len(planned.members) - 1
            member = self._cache.get(key)
            if member is None:
                source = prefix + head + body
                if not last_member:
                    source += f"{block_indent}pass{newline}"
                member = _parse_member(chunk, source, prefix, first, last, last_member, newline)
                self._cache[key] = member
                self.reparsed += 1
            else:
                self._cache.move_to_end(key)
            assert isinstance(member, _Member)
            members.append(member)
        statements: list[Statement] = list(members[0].statements)
        for before, member in itertools.pairwise(members):
            statements.append(_led(member, before.following))
            statements.extend(member.statements[1:])
        definition = members[0].definition
        block = definition.body.with_changes(body=statements, footer=members[-1].footer)
        return _Parsed(
            statements=(definition.with_changes(body=block),),
            following=members[-1].following,
            header=members[0].header,
            has_trailing_newline=members[-1].has_trailing_newline,
        )

    def _too_deep(self, chunks: Sequence[Chunk], limit: int) -> str | None:
        """What the full parse's nesting guard says of the whole text, from CPython's verdict on
        each chunk, or on each statement of a definition's block after its head (the deepest is
        the text's depth); Uncertain when CPython refuses one."""
        deepest = 0
        for chunk in chunks:
            for piece in _pieces(chunk):
                if piece in self._depths:
                    depth = self._depths[piece]
                    self._depths.move_to_end(piece)
                else:
                    try:
                        depth = _nesting(_python_parse("".join(piece)))
                    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError):
                        depth = None
                    self._depths[piece] = depth
                if depth is None:
                    raise Uncertain
                deepest = max(deepest, depth)
        while len(self._depths) > limit:
            self._depths.popitem(last=False)
        if deepest > MAX_NESTING:
            return f"cannot parse: nested too deeply ({deepest} levels, the limit is {MAX_NESTING})"
        return None


def _pieces(chunk: Chunk) -> list[tuple[str, str]]:
    """A chunk as (head, statement) pairs: each statement of a definition's block after the
    definition's head, or ("", the chunk) for any other chunk."""
    if not chunk.members:
        return [("", chunk.text)]
    text = chunk.text
    offsets = (*chunk.members, len(text))
    head = text[: offsets[0]]
    return [(head, text[start:end]) for start, end in itertools.pairwise(offsets)]


def _plan(chunks: Sequence[Chunk], indent: str, newline: str) -> list[_Planned]:
    """Each chunk's cache key and prefix (for a chunk whose first indentation or newline is not
    the text's), and its block statements' keys."""
    seen: dict[str, int] = {}
    last = len(chunks) - 1
    plan = []
    for i, chunk in enumerate(chunks):
        prefix = ""
        if i > 0 and (chunk.indent not in (None, indent) or _first_newline(chunk.text) != newline):
            prefix = f"if 1:{newline}{indent}pass{newline}"
        occurrence = seen.get(chunk.text, 0)
        seen[chunk.text] = occurrence + 1
        members = []
        if chunk.members:
            inner: dict[str, int] = {}
            pieces = _pieces(chunk)
            for k, (head, body) in enumerate(pieces):
                again = inner.get(body, 0)
                inner[body] = again + 1
                key = (head, body, occurrence, again, k == len(pieces) - 1, i == last, prefix)
                members.append((head, body, key))
        key = ("", chunk.text, occurrence, 0, False, i == last, prefix)
        plan.append(_Planned(chunk, prefix, key, tuple(members)))
    return plan


_FIRST_WORD = re.compile(r"[ \t]*(@|[^\W\d]\w*)")
_COMPOUND: dict[type[cst.CSTNode], tuple[str, ...]] = {
    cst.FunctionDef: ("def", "async", "@"),
    cst.ClassDef: ("class", "@"),
    cst.If: ("if",),
    cst.For: ("for", "async"),
    cst.While: ("while",),
    cst.Try: ("try",),
    cst.TryStar: ("try",),
    cst.With: ("with", "async"),
    cst.Match: ("match",),
}
_KEYWORDS = frozenset(word for words in _COMPOUND.values() for word in words) - {"match"}


def _agrees(text: str, statement: cst.CSTNode) -> bool:
    """Whether a chunk's text starts as its statement of the whole text's parse does (a check
    that the two line up, before the parse's statements are cached as the chunks')."""
    match = _FIRST_WORD.match(text)
    word = match[1] if match else ""
    expected = _COMPOUND.get(type(statement))
    if expected is None:
        return isinstance(statement, cst.SimpleStatementLine) and word not in _KEYWORDS
    return word in expected


def _first_newline(text: str) -> str:
    """libcst's default newline for a text: its first."""
    match = _NEWLINE.search(text)
    return match[0] if match else DEFAULT_NEWLINE


def _has_block(node: cst.CSTNode) -> bool:
    """Whether a statement (or clause) holds an indented block: its text has an INDENT token."""
    body = getattr(node, "body", None)
    if isinstance(body, cst.IndentedBlock):
        return True
    for name in ("orelse", "finalbody"):
        clause = getattr(node, name, None)
        if isinstance(clause, cst.CSTNode) and _has_block(clause):
            return True
    return any(_has_block(c) for c in (*getattr(node, "handlers", ()), *getattr(node, "cases", ())))


def _module(chunk: Chunk, source: str, prefix: str, first: bool, newline: str) -> cst.Module:
    """libcst's module of a chunk's source, if its module-wide values are the whole text's."""
    try:
        with deep_recursion():
            module = cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError, ValueError, TypeError, MemoryError):
        raise Uncertain from None
    if prefix:
        if module.header or not module.body or not isinstance(module.body[0], cst.If):
            raise Uncertain
        indent = prefix[len(f"if 1:{newline}") : -len(f"pass{newline}")]
        if module.default_indent != indent or module.default_newline != newline:
            raise Uncertain
        return module.with_changes(body=module.body[1:])
    # libcst's first INDENT is the one the split saw (the module's default indent comes from
    # the first chunk that has one), and its newline the chunk's first.
    if chunk.indent is None:
        if any(_has_block(s) for s in module.body) or module.default_indent != DEFAULT_INDENT:
            raise Uncertain
    elif module.default_indent != chunk.indent:
        raise Uncertain
    if module.default_newline != _first_newline(source) or (module.header and not first):
        raise Uncertain
    return module


def _sentinel_lines(statement: cst.CSTNode | None) -> Sequence[cst.EmptyLine]:
    """The leading lines of a ``pass`` sentinel (Uncertain when ``statement`` is not one)."""
    if (
        not isinstance(statement, cst.SimpleStatementLine)
        or len(statement.body) != 1
        or not isinstance(statement.body[0], cst.Pass)
    ):
        raise Uncertain
    return statement.leading_lines


def _following(
    body: list[Any], footer: Sequence[cst.EmptyLine], sentinel: bool
) -> Sequence[cst.EmptyLine]:
    """The lines after a chunk's last statement: without a sentinel, the ``footer`` libcst gave
    the module (or block); with one, the sentinel's leading lines, the sentinel popped from
    ``body`` (Uncertain when it is not there or a footer is left after it)."""
    if not sentinel:
        return footer
    lines = _sentinel_lines(body.pop() if body else None)
    if footer:
        raise Uncertain
    return lines


def _parse_chunk(
    chunk: Chunk, prefix: str, first: bool, last: bool, newline: str, indent: str
) -> _Parsed:
    """Parse one chunk (after the prefix, before the sentinel) and check what libcst made of it."""
    source = prefix + chunk.text + ("" if last else f"pass{newline}")
    module = _module(chunk, source, prefix, first, newline)
    body = list(module.body)
    following = _following(body, module.footer, not last)
    if (body and body[0].leading_lines) or (not first and not body):
        raise Uncertain
    return _Parsed(
        statements=tuple(body),
        following=following,
        header=module.header,
        has_trailing_newline=module.has_trailing_newline,
    )


def _parse_member(
    chunk: Chunk, source: str, prefix: str, first: bool, last: bool, last_member: bool, newline: str
) -> _Member:
    """Parse a definition's head and one statement of its block (and the block sentinel after it
    unless it is the last), and check what libcst made of it."""
    if not last:
        source += f"pass{newline}"
    module = _module(chunk, source, prefix, first, newline)
    body = list(module.body)
    following = _following(body, module.footer, not last)
    if len(body) != 1 or body[0].leading_lines:
        raise Uncertain
    definition = body[0]
    if not isinstance(definition, (cst.FunctionDef, cst.ClassDef)) or not isinstance(
        definition.body, cst.IndentedBlock
    ):
        raise Uncertain
    block = definition.body
    statements: list[Statement] = []
    for statement in block.body:
        if not isinstance(statement, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            raise Uncertain
        statements.append(statement)
    if not last_member:
        following = _following(statements, block.footer, True)
    if not statements:
        raise Uncertain
    return _Member(
        definition=definition,
        statements=tuple(statements),
        following=following,
        footer=block.footer,
        header=module.header,
        has_trailing_newline=module.has_trailing_newline,
    )


def _led(member: _Member, lines: Sequence[cst.EmptyLine]) -> Statement:
    """A block statement's first statement with the lines the one before gave it (after the head
    alone it got the head's last lines, if any)."""
    first = member.statements[0]
    if not lines and not first.leading_lines:
        return first
    if member.led is None or member.led[0] is not lines:
        member.led = (lines, first.with_changes(leading_lines=lines))
    return member.led[1]


def _assemble(parsed: Sequence[_Parsed], indent: str, newline: str) -> cst.Module:
    """The module of the chunks' statements, each led by the lines the chunk before gave it."""
    body: list[Statement] = []
    following: Sequence[cst.EmptyLine] = ()
    for i, entry in enumerate(parsed):
        statements = entry.statements
        if i > 0 and statements:
            first = statements[0]
            if following or first.leading_lines:
                if entry.led is None or entry.led[0] is not following:
                    entry.led = (following, first.with_changes(leading_lines=following))
                first = entry.led[1]
            body.append(first)
            body.extend(statements[1:])
        else:
            body.extend(statements)
        following = entry.following
    return cst.Module(
        body=body,
        header=parsed[0].header,
        footer=following,
        encoding="utf-8",
        default_indent=indent,
        default_newline=newline,
        has_trailing_newline=parsed[-1].has_trailing_newline,
    )
