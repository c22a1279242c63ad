"""The libcst source frontend. Never imports or runs the scanned code.

Levels, top down (data flows one way):

1. **project** (:mod:`.project`, :mod:`.cache`): the project a file belongs to, which file each
   module name means, and resolution of names across modules;
2. **module summary** (:mod:`.summary`): what one module exports, computed once per module (cached
   on disk by content hash);
3. **interpreter** (:mod:`.scopes`, :mod:`.values`, :mod:`.resolver`, :mod:`.interpreter`): one
   walk over the linted module that evaluates its values and its layer graph together, asking
   level 1 for imported names;
4. **layer IR** (:mod:`.layer_ir`): the recorded layers as :class:`ir.RecurrentLayer`.

:func:`analyze` parses the text once with libcst, indexes scopes and calls in one pass, walks
the module once (the layers with their resolved arguments and training context), and reads the
``# noqa`` comments (:mod:`.noqa`).
"""

from __future__ import annotations

import ast
import re
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from kerasrnnlint.frontends import ipython, pyparse_errors
from kerasrnnlint.frontends.base import FrontendResult, InputError

if TYPE_CHECKING:
    import libcst as cst

# libcst and the levels below the project are imported by :func:`parse` and :func:`analyze`, not
# here: importing the project level (:mod:`.project`, :mod:`.cache`) must not cost libcst's
# import, so that a run whose results all come from the result cache never pays it.

__all__ = ["analyze", "parse"]

_ERROR_AT = re.compile(r"error at (\d+):(\d+)")

# Python 2 constructs that explain a parse error on their line.
_PY2_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\s*print\s+[^\s(=.,)\]]"), "Python 2 print statement?"),
    (re.compile(r"^\s*exec\s+[\"'\w]"), "Python 2 exec statement?"),
    (re.compile(r"^\s*except\s+[\w.]+\s*,\s*\w+\s*:"), "Python 2 `except X, e:`?"),
    (re.compile(r"^\s*raise\s+[\w.]+\s*,"), "Python 2 raise statement?"),
    (re.compile(r"<>"), "Python 2 `<>` operator?"),
    (re.compile(r"`"), "Python 2 backquotes?"),
    (re.compile(r"\b\d+[lL]\b"), "Python 2 long literal?"),
)


def _python_parse(text: str) -> ast.Module:
    """CPython's parser, silently: the scanned code's SyntaxWarnings are not ours to print."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text)


def _python_error(text: str) -> tuple[str, int, int] | None:
    """CPython's own message and position for a syntax error (better than libcst's), if any."""
    try:
        _python_parse(text)
    except SyntaxError as exc:
        return exc.msg, exc.lineno or 1, exc.offset or 1
    except (ValueError, TypeError, RecursionError, MemoryError):
        return None
    return None


def _describe(exc: cst.ParserSyntaxError, text: str) -> InputError:
    """A message for people: a Python 2 hint, else CPython's message, else libcst's."""
    detail = exc.message.split("\n", 1)[0]
    detail = re.sub(r"^(parser error: |tokenizer error: )?(error at \d+:\d+: )?", "", detail)
    match = _ERROR_AT.search(exc.message)
    line, column = (
        (int(match[1]), int(match[2]) + 1) if match else (exc.raw_line, exc.raw_column + 1)
    )
    python = _python_error(text) or pyparse_errors.libcst_only_position(exc, text)
    if python is not None:
        detail, line, column = python
    lines = text.splitlines()
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    for pattern, hint in _PY2_HINTS:
        if pattern.search(source_line):
            return InputError(f"cannot parse: {hint}", line, column)
    if len(detail) > 100:
        detail = detail[:99] + "…"
    return InputError(f"cannot parse: {detail or 'invalid syntax'}", line, column)


# libcst's native parser crashes the process on very deep nesting (brackets, or expression chains
# of ~10,000 terms) and is very slow on long chains. Texts that could hold such nesting (long,
# long lines, deep brackets) are checked with CPython's parser first (~8x faster than libcst):
# what CPython refuses, or what nests deeper than MAX_NESTING, is an input error.
SUSPICIOUS_LENGTH = 25_000
SUSPICIOUS_LINE = 1_000
SUSPICIOUS_DEPTH = 100  # CPython refuses more than 200 nested brackets
MAX_NESTING = 1_000
_NOT_BRACKETS = re.compile(r"[^()\[\]{}]+")
# libcst's visitors recurse a few frames per level of nesting.
RECURSION_LIMIT = 15_000


def _suspicious(text: str) -> bool:
    if len(text) > SUSPICIOUS_LENGTH:
        return True
    if max(map(len, text.splitlines()), default=0) > SUSPICIOUS_LINE:
        return True
    depth = deepest = 0
    for char in _NOT_BRACKETS.sub("", text):
        depth = depth + 1 if char in "([{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    return deepest > SUSPICIOUS_DEPTH


def _nesting(tree: ast.AST) -> int:
    """How deep libcst's tree for this code would be (``a and b and c`` nests in libcst)."""
    # ``ast.iter_child_nodes`` inlined (it is a generator over a generator: most of the cost);
    # a Load/Store context is a child one level down, counted without being pushed.
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    node_type, context_type, bool_type = ast.AST, ast.expr_context, ast.BoolOp
    while stack:
        node, depth = stack.pop()
        depth += len(node.values) - 1 if isinstance(node, bool_type) else 1
        if depth > deepest:
            deepest = depth
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, context_type):
                deepest = max(deepest, depth + 1)
            elif isinstance(value, node_type):
                stack.append((value, depth))
            elif isinstance(value, list):
                stack.extend((item, depth) for item in value if isinstance(item, node_type))
    return deepest


def _too_deep(text: str) -> str | None:
    """Why ``text`` nests too deeply to be parsed safely, or None (other errors are libcst's)."""
    try:
        tree = _python_parse(text)
    except (RecursionError, MemoryError):
        return "cannot parse: nested too deeply (Python refuses it too)"
    except SyntaxError as exc:
        if "too many nested" in str(exc.msg):
            return f"cannot parse: {exc.msg}"
        return None
    except (ValueError, TypeError):
        return None
    depth = _nesting(tree)
    if depth > MAX_NESTING:
        return f"cannot parse: nested too deeply ({depth} levels, the limit is {MAX_NESTING})"
    return None


_recursion_lock = threading.Lock()
_recursion_users = 0
_recursion_previous = 0


@contextmanager
def deep_recursion() -> Iterator[None]:
    """Allow the recursion deep code needs while libcst parses and our visitors walk it.

    The limit is per process: threads (the language server) share one raised limit, restored
    when the last of them is done.
    """
    global _recursion_users, _recursion_previous
    with _recursion_lock:
        if _recursion_users == 0:
            _recursion_previous = sys.getrecursionlimit()
            sys.setrecursionlimit(max(_recursion_previous, RECURSION_LIMIT))
        _recursion_users += 1
    try:
        yield
    finally:
        with _recursion_lock:
            _recursion_users -= 1
            if _recursion_users == 0:
                sys.setrecursionlimit(_recursion_previous)


def parse(text: str) -> cst.Module:
    """Parse Python source with libcst; :class:`InputError` (with the line) when it does not."""
    if _suspicious(text):
        refused = _too_deep(text)
        if refused is not None:
            raise InputError(refused)
    import libcst as cst

    try:
        with deep_recursion():
            return pyparse_errors.refuse_python2(cst.parse_module(text), text)
    except cst.ParserSyntaxError as exc:
        raise _describe(exc, text) from None
    except RecursionError:
        raise InputError("cannot parse: nested too deeply") from None
    except (ValueError, TypeError, MemoryError) as exc:
        raise InputError(f"cannot parse: {exc}") from None


def _parse_or_mask(
    text: str, parser: Callable[[str], cst.Module] = parse
) -> tuple[cst.Module, str, tuple[str, ...]]:
    try:
        return parser(text), text, ()
    except InputError:
        masked, lines = ipython.mask(text)
        if not lines:
            raise
    module = parser(masked)
    shown = ", ".join(str(n) for n in lines[:10]) + (", …" if len(lines) > 10 else "")
    note = f"masked {len(lines)} IPython/shell line(s) (lines {shown}) so the rest could be parsed"
    return module, masked, (note,)


def analyze(
    text: str,
    path: str,
    project: bool = True,
    parser: Callable[[str], cst.Module] = parse,
) -> FrontendResult:
    """The recurrent layers of one Python source text, and its ``# noqa`` comments (read only
    when there is a layer: without one there is nothing to suppress).

    With ``project`` (the default), the project ``path`` belongs to is found from ``path`` and
    the modules the text imports are followed (:mod:`.project`); without, the text alone.
    Raises :class:`InputError` when the text does not parse (after masking IPython lines).

    ``parser`` is what parses the text: :func:`parse`, or anything that gives the same module or
    raises the same error for every text (the language server's
    :class:`~.incremental.IncrementalParser`, which re-parses only the statements an edit
    touched).
    """
    from kerasrnnlint.frontends.source.layer_ir import find_layers
    from kerasrnnlint.frontends.source.noqa import noqa_map
    from kerasrnnlint.frontends.source.project import project_for
    from kerasrnnlint.frontends.source.resolver import Resolver
    from kerasrnnlint.frontends.source.scopes import index_module

    if text.startswith("\ufeff"):
        text = text[1:]
    module, text, notes = _parse_or_mask(text, parser)
    linked = project_for(path) if project else None
    try:
        with deep_recursion():
            resolver = Resolver(index_module(module), path, linked, text)
            layers = find_layers(module, resolver)
    except RecursionError:
        raise InputError("cannot analyze: nested too deeply") from None
    # Suppressions only matter for findings, and findings need layers: skip the tokenize pass.
    noqa = noqa_map(text) if layers else {}
    return FrontendResult(layers=tuple(layers), noqa=noqa, notes=notes)
