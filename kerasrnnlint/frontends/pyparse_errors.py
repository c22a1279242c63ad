"""Parse errors libcst gets wrong, made right with CPython's help.

Two cases where libcst's verdict differs from Python's:

- Python 2 ``except X, e:`` parses in libcst (as the PEP 758 form ``except A, B:``, a tuple of
  two exception types) although no Python 3 before 3.14 accepts it, and it means ``except X as e``.
  :func:`refuse_python2` reports it as the other Python 2 forms are reported.
- libcst's tokenizer refuses some indentation that CPython accepts (tabs and spaces mixed on
  whitespace-only lines, form feeds), and says so at 1:1. :func:`libcst_only_position` finds the
  line where libcst's tokenizer stops, by parsing ever shorter prefixes of the text.
"""

from __future__ import annotations

import ast
import re
import warnings
from typing import TypeVar

from kerasrnnlint.frontends.base import InputError

T = TypeVar("T")

# Cheap test before CPython's parser is asked: ``except Name, name:`` at the start of a line.
_PY2_EXCEPT = re.compile(
    r"^[ \t]*except[ \t]*(?:\([^)\n]*\)|[\w.]+)[ \t]*,[ \t]*[a-z_]\w*[ \t]*:", re.MULTILINE
)
PY2_EXCEPT_HINT = "cannot parse: Python 2 `except X, e:`? (write `except X as e:`)"


def _python_tree(text: str) -> ast.Module | SyntaxError | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(text)
        except SyntaxError as exc:
            return exc
        except (ValueError, TypeError, RecursionError, MemoryError):
            return None


def _python2_handler(text: str) -> tuple[int, int] | None:
    """Where a Python 2 ``except X, e:`` is (line, column), if the text has one."""
    if _PY2_EXCEPT.search(text) is None:
        return None
    lines = text.splitlines()
    tree = _python_tree(text)
    if isinstance(tree, SyntaxError):  # Python 3.10-3.13: refused; is it at such a line?
        line = tree.lineno or 0
        source = lines[line - 1] if 0 < line <= len(lines) else ""
        if _PY2_EXCEPT.match(source):
            return line, len(source) - len(source.lstrip()) + 1
        return None
    if tree is None:
        return None
    for node in ast.walk(tree):  # 3.14+: accepted as `except (X, e):`; `e` a lowercase name
        if not isinstance(node, ast.ExceptHandler) or node.name is not None:
            continue
        kind = node.type
        if (
            isinstance(kind, ast.Tuple)
            and len(kind.elts) == 2
            and isinstance(kind.elts[1], ast.Name)
        ):
            source = lines[node.lineno - 1] if node.lineno <= len(lines) else ""
            if _PY2_EXCEPT.match(source) and kind.elts[1].id[:1].islower():
                return node.lineno, node.col_offset + 1
    return None


def refuse_python2(module: T, text: str) -> T:
    """``module`` (libcst's tree of ``text``), unless ``text`` holds Python 2 ``except X, e:``:
    then :class:`InputError` at its line."""
    where = _python2_handler(text)
    if where is not None:
        raise InputError(PY2_EXCEPT_HINT, where[0], where[1])
    return module


_TOKENIZER = re.compile(r"tokenizer error: (?P<message>.+)")


def libcst_only_position(error: Exception, text: str) -> tuple[str, int, int] | None:
    """For a tokenizer error libcst reports at 1:1 in text CPython accepts: its message and the
    line where libcst's tokenizer really stops (the shortest prefix of lines that fails the
    same way), column 1. None for any other error."""
    import libcst as cst

    match = _TOKENIZER.search(str(error))
    if match is None or getattr(error, "raw_line", 1) != 1:
        return None
    message = match["message"].strip()

    def fails_so(count: int) -> bool:
        try:
            cst.parse_module("".join(lines[:count]))
        except cst.ParserSyntaxError as exc:
            found = _TOKENIZER.search(str(exc))
            return found is not None and found["message"].strip() == message
        except Exception:
            return False
        return False

    lines = text.splitlines(keepends=True)
    low, high = 1, len(lines)
    if high == 0 or not fails_so(high):
        return None
    while low < high:  # the first prefix that fails as the whole text does
        middle = (low + high) // 2
        if fails_so(middle):
            high = middle
        else:
            low = middle + 1
    return f"{message} (libcst's tokenizer refuses this line; Python accepts it)", low, 1
