"""Where a finding sits *in its file*, for reports that only know files and lines (SARIF, GitLab,
reviewdog...).

- a source file: the finding's span;
- a saved model: the file as a whole, ``1:1-1:1`` (the layer path goes into the message);
- a notebook: the rows of a finding are rows inside a cell, so its span is mapped onto the text of
  the ``.ipynb`` file: the line (and columns) of the JSON string that holds that row of the cell's
  source (:func:`kerasrnnlint.frontends.notebook.source_chars`). When the notebook cannot be read
  again, the region is the first line of the file.

Rows and columns are 1-based, the end column exclusive, columns in code points.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kerasrnnlint.ir import Location, Span

WHOLE_FILE = Span(1, 1, 1, 1)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_CELL_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


@dataclass(frozen=True)
class _Notebook:
    line_starts: tuple[int, ...]  # offsets in the file's text where each line starts
    cells: dict[int, tuple[tuple[int, int], ...]]  # cell -> (start, end) of each source character
    cell_rows: dict[int, tuple[int, ...]]  # cell -> offsets in its source where each row starts


def _read_notebook(path: str) -> _Notebook | None:
    from kerasrnnlint.frontends import notebook
    from kerasrnnlint.frontends.base import InputError

    try:
        data = Path(path).read_bytes()
        parsed = notebook.parse(data)
    except (OSError, InputError):
        return None
    raw = data.decode("utf-8-sig")
    starts = (0, *(m.end() for m in _LINE_BREAK.finditer(raw)))
    chars = notebook.source_chars(raw, parsed)
    rows: dict[int, tuple[int, ...]] = {}
    for cell in parsed.cells:
        offsets, at = [], 0
        for line in _CELL_LINES.findall(cell.source):
            offsets.append(at)
            at += len(line)
        rows[cell.number] = tuple(offsets)
    return _Notebook(starts, chars, rows)


@dataclass
class Positions:
    """Maps locations to spans in their files; caches each notebook it reads."""

    _notebooks: dict[str, _Notebook | None] = field(default_factory=dict)

    def span(self, loc: Location) -> Span:
        """The finding's range in its file (see the module docstring)."""
        if loc.layer_path or loc.span is None:
            return WHOLE_FILE
        if loc.cell is None:
            return loc.span
        return self.notebook_span(loc.path, loc.cell, loc.span) or WHOLE_FILE

    def notebook_span(self, path: str, cell: int, span: Span) -> Span | None:
        """A span in a cell (rows inside the cell) as a span of the ``.ipynb`` file's text."""
        if path not in self._notebooks:
            self._notebooks[path] = _read_notebook(path)
        book = self._notebooks[path]
        if book is None or cell not in book.cells:
            return None
        chars, rows = book.cells[cell], book.cell_rows[cell]
        if not chars or not 1 <= span.line <= len(rows):
            return None

        def offset(row: int, column: int) -> int:
            row = min(max(row, 1), len(rows))
            return min(rows[row - 1] + max(column, 1) - 1, len(chars))

        first = min(offset(span.line, span.column), len(chars) - 1)
        last = max(offset(span.end_line, span.end_column) - 1, first)
        start, end = chars[first][0], chars[last][1]
        return Span(*self._line_column(book, start), *self._line_column(book, end))

    @staticmethod
    def _line_column(book: _Notebook, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(book.line_starts, offset) - 1
        return index + 1, offset - book.line_starts[index] + 1


# ``InputError.describe()`` ends a message with the position it knows: ``cause (line 3:1)``.
_ERROR_POSITION = re.compile(r"\(line (?P<line>\d+)(?::(?P<column>\d+))?\)$")


def error_position(error: str) -> tuple[int, int | None] | None:
    """The ``(line, column)`` an input error names (``… (line 3:1)``), or None.

    A notebook's error names a cell (``(cell 4, line 2:5)``): that row is not a row of the file,
    so it gives None."""
    match = _ERROR_POSITION.search(error)
    if match is None:
        return None
    column = match.group("column")
    return int(match.group("line")), int(column) if column else None


def source_text(path: str, sources: Mapping[str, str]) -> str | None:
    """The text of a source file as the linter read it (``sources`` first: stdin, buffers)."""
    if path in sources:
        return sources[path]
    from kerasrnnlint.files import Unreadable, decode_python, read_bytes

    data = read_bytes(path)
    text = decode_python(data) if isinstance(data, bytes) else data
    return None if isinstance(text, Unreadable) else text


@dataclass
class Scopes:
    """The qualified name of the function or class around a row (``Trainer.build``), from the
    source text; ``<module>`` at top level. Caches each text it parses."""

    sources: Mapping[str, str] = field(default_factory=dict)
    _found: dict[tuple[str, int | None], list[tuple[int, int, str]]] = field(default_factory=dict)

    def name(self, loc: Location) -> str:
        if loc.span is None or loc.layer_path:
            return "<model>"
        key = (loc.path, loc.cell)
        if key not in self._found:
            self._found[key] = _scopes(self._text(loc.path, loc.cell))
        line = loc.span.line
        inside = [(first, name) for first, last, name in self._found[key] if first <= line <= last]
        return max(inside)[1] if inside else "<module>"

    def _text(self, path: str, cell: int | None) -> str:
        if cell is None:
            return source_text(path, self.sources) or ""
        from kerasrnnlint.frontends import notebook

        try:
            cells = notebook.read(Path(path)).cells
        except Exception:  # no scope is better than no report
            return ""
        return next((c.source for c in cells if c.number == cell), "")


def _scopes(text: str) -> list[tuple[int, int, str]]:
    """(first row, last row, qualified name) of every def and class in ``text``."""
    import ast

    from kerasrnnlint.frontends.ipython import mask

    tree = None
    for candidate in (text, mask(text)[0]):
        try:
            tree = ast.parse(candidate)
            break
        except (SyntaxError, ValueError, RecursionError):
            continue
    if tree is None:
        return []
    found: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                found.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


@dataclass
class Lines:
    """The text of a file's lines, for formats that count columns in UTF-8 bytes (reviewdog);
    caches each file it reads."""

    sources: Mapping[str, str] = field(default_factory=dict)
    _lines: dict[str, list[str]] = field(default_factory=dict)

    def line(self, path: str, number: int) -> str:
        if path not in self._lines:
            text = self.sources.get(path)
            if text is None:
                try:
                    text = Path(path).read_bytes().decode("utf-8-sig", "replace")
                except OSError:
                    text = ""
            self._lines[path] = _LINE_BREAK.split(text)
        lines = self._lines[path]
        return lines[number - 1] if 1 <= number <= len(lines) else ""

    def utf8_column(self, path: str, line: int, column: int) -> int:
        """A 1-based code-point column as a 1-based UTF-8 byte column."""
        text = self.line(path, line)
        return len(text[: max(column, 1) - 1].encode("utf-8", "surrogatepass")) + 1
