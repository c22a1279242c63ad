"""Jupyter notebooks: code cells linted like Python source, findings located by cell.

The notebook JSON is read directly (nbformat 4, and the ``worksheets`` of nbformat 3; no nbformat
dependency). Only code cells are read. In each one, IPython magics, ``!shell`` lines and help
requests are masked (:func:`kerasrnnlint.frontends.ipython.mask`) and a cell whose body is not
Python (``%%bash``, ``%%writefile``, ``%%html``...) is left out. The code cells are then joined into
one text and analysed together, so an import in cell 1 resolves a layer in cell 4.

Cells are numbered as they appear in the notebook, markdown and raw cells included (1-based), so
"cell 4" is the fourth cell you see. Every :class:`~kerasrnnlint.ir.Location` of the result (the
layer, the layer that feeds it, the optimizer) gets its ``cell`` and rows *inside that cell*; an
argument's span too (dropped when the value was written in another cell than the layer).

``# noqa``: the joined text's suppression map is split per cell into
``FrontendResult.cell_noqa`` (cell -> rows inside the cell), which the engine matches against each
finding's own cell; ``FrontendResult.noqa`` holds only a file-level ``# kerasrnnlint: noqa``.

A cell that does not parse is left out with a note naming it, and the other cells are still
linted. Bad JSON, or JSON that is not a notebook, is an :class:`InputError`. A notebook whose
kernel language is not Python is skipped with a note.

For autofix: :func:`read` gives the cells, :func:`write_cells` writes new sources of some cells
back, leaving everything else in the file (outputs, metadata, layout) as it was.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from kerasrnnlint.files import MAX_SOURCE_BYTES, too_large_to_parse
from kerasrnnlint.frontends.base import FrontendResult, InputError, NoqaMap
from kerasrnnlint.ir import Arg, Location, RecurrentLayer, Span

MAX_BYTES = 256 * 1024 * 1024  # notebooks with outputs can be large, but not this large
# Outputs (plots, widget state) hold JSON too, but not this many objects (about 1 GB of memory).
MAX_JSON_OBJECTS = 5_000_000

# Cell magics whose body is Python (the rest, e.g. %%bash or %%writefile, are left out).
PYTHON_BODY_CELL_MAGICS: frozenset[str] = frozenset(
    {"time", "timeit", "capture", "prun", "debug", "python", "python3", "py", "pypy", "tensorflow"}
)

# Physical lines as Python counts them, with their endings (as in frontends/ipython.py).
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_CELL_MAGIC = re.compile(r"\A\s*%%(?P<name>[\w.-]+)")


@dataclass(frozen=True)
class Cell:
    """One code cell: its 1-based position among all cells, its index in the JSON, its source."""

    number: int
    index: int
    source: str
    worksheet: int | None = None  # nbformat 3 only


@dataclass(frozen=True)
class Notebook:
    cells: tuple[Cell, ...]
    language: str | None = None


@dataclass(frozen=True)
class _Block:
    """Where a cell's text sits in the joined text: rows ``start .. start + count - 1``."""

    cell: int
    start: int
    count: int


# --------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------


def _source_text(value: object, number: int) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return "".join(value)
    raise InputError(f"not a valid notebook: cell {number} has a source that is not text")


def _language(metadata: object) -> str | None:
    if not isinstance(metadata, dict):
        return None
    for key, field_name in (("kernelspec", "language"), ("language_info", "name")):
        section = metadata.get(key)
        if isinstance(section, dict) and isinstance(section.get(field_name), str):
            return str(section[field_name]).lower()
    return None


def parse(data: bytes) -> Notebook:
    """The code cells of a notebook file's bytes. Raises :class:`InputError` when it is not one."""
    brackets = data.count(b"{") + data.count(b"[")
    if brackets > MAX_JSON_OBJECTS:  # bytes are bounded; what they would create, too
        raise InputError(
            f"not read: more than {MAX_JSON_OBJECTS:,} JSON objects and arrays ({brackets:,} "
            "brackets) would take gigabytes of memory"
        )
    try:
        doc = json.loads(data.decode("utf-8-sig"))  # nbformat: UTF-8 JSON
    except UnicodeDecodeError as exc:
        raise InputError(f"not a valid notebook: not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        message = f"not a valid notebook: invalid JSON: {exc.msg}"
        raise InputError(message, exc.lineno, exc.colno) from None
    if not isinstance(doc, dict):
        raise InputError("not a valid notebook: the JSON is not an object")
    raw: list[tuple[int | None, int, object]] = []
    if isinstance(doc.get("cells"), list):
        raw = [(None, i, c) for i, c in enumerate(doc["cells"])]
        source_key = "source"
    elif isinstance(doc.get("worksheets"), list):  # nbformat 3
        for w, sheet in enumerate(doc["worksheets"]):
            cells = sheet.get("cells") if isinstance(sheet, dict) else None
            if isinstance(cells, list):
                raw += [(w, i, c) for i, c in enumerate(cells)]
        source_key = "input"
    else:
        raise InputError("not a valid notebook: no 'cells' list")
    found = []
    for number, (worksheet, index, cell) in enumerate(raw, start=1):
        if not isinstance(cell, dict):
            raise InputError(f"not a valid notebook: cell {number} is not an object")
        if cell.get("cell_type") != "code":
            continue
        text = _source_text(cell.get(source_key, ""), number)
        found.append(Cell(number=number, index=index, source=text, worksheet=worksheet))
    return Notebook(cells=tuple(found), language=_language(doc.get("metadata")))


def read(path: Path) -> Notebook:
    """The code cells of the notebook at ``path``."""
    from kerasrnnlint.files import Unreadable, read_bytes

    data = read_bytes(str(path), MAX_BYTES)  # a regular file only (a FIFO would block)
    if isinstance(data, Unreadable):
        raise InputError(f"cannot read: {data.cause}")
    return parse(data)


# --------------------------------------------------------------------------------------------------
# Joining cells and mapping rows back
# --------------------------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return _LINES.findall(text)


def python_body(cell: Cell) -> bool:
    """False for a cell magic whose body is not Python (``%%bash``, ``%%writefile``...)."""
    match = _CELL_MAGIC.match(cell.source)
    return match is None or match.group("name").lower() in PYTHON_BODY_CELL_MAGICS


def cell_text(cell: Cell) -> str:
    """The cell's source as the analyzer sees it: magics masked, ending with a newline."""
    from kerasrnnlint.frontends.ipython import mask

    text, _ = mask(cell.source)
    if text and not text.endswith(("\n", "\r")):
        text += "\n"
    return text


def join(cells: Sequence[Cell]) -> tuple[str, tuple[_Block, ...]]:
    """The cells' texts one after another, and where each one starts."""
    parts: list[str] = []
    blocks: list[_Block] = []
    row = 1
    for cell in cells:
        text = cell_text(cell)
        count = len(_lines(text))
        if count == 0:
            continue
        parts.append(text)
        blocks.append(_Block(cell=cell.number, start=row, count=count))
        row += count
    return "".join(parts), tuple(blocks)


def _block_of(row: int, blocks: Sequence[_Block]) -> _Block | None:
    for block in blocks:
        if block.start <= row < block.start + block.count:
            return block
    return None


def cell_of(row: int, blocks: Sequence[_Block]) -> tuple[int, int] | None:
    """``(cell, row inside the cell)`` of a row of the joined text."""
    block = _block_of(row, blocks)
    return None if block is None else (block.cell, row - block.start + 1)


def _span_in_cell(span: Span, blocks: Sequence[_Block]) -> tuple[int, Span] | None:
    block = _block_of(span.line, blocks)
    if block is None:
        return None
    shift = block.start - 1
    end_line = min(span.end_line, block.start + block.count - 1)
    return block.cell, Span(span.line - shift, span.column, end_line - shift, span.end_column)


T = TypeVar("T")


def _remap(value: T, blocks: Sequence[_Block], home: int | None) -> T:
    """A copy of an IR value with every location in cell coordinates.

    ``home`` is the cell of the enclosing layer: an argument's span in another cell is dropped.
    """
    result: Any = value
    if isinstance(value, Location):
        if value.span is None or value.layer_path:
            return value
        moved = _span_in_cell(value.span, blocks)
        if moved is None:
            return value
        result = dataclasses.replace(value, span=moved[1], cell=moved[0])
    elif isinstance(value, Arg):
        span = value.span
        if span is not None:
            moved = _span_in_cell(span, blocks)
            span = moved[1] if moved is not None and moved[0] == home else None
        result = dataclasses.replace(value, span=span)
    elif isinstance(value, Span):
        moved = _span_in_cell(value, blocks)
        result = value if moved is None else moved[1]
    elif isinstance(value, tuple):
        result = tuple(_remap(item, blocks, home) for item in value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _remap(getattr(value, f.name), blocks, home)
            for f in dataclasses.fields(value)
            if f.init
        }
        result = dataclasses.replace(value, **changes)
    return result  # type: ignore[no-any-return]


def remap_layer(layer: RecurrentLayer, blocks: Sequence[_Block]) -> RecurrentLayer:
    span = layer.location.span
    moved = _span_in_cell(span, blocks) if span is not None else None
    home = moved[0] if moved is not None else None
    return _remap(layer, blocks, home)


def split_noqa(noqa: NoqaMap, blocks: Sequence[_Block]) -> dict[int, NoqaMap]:
    """A joined-text suppression map as one map per cell (rows inside the cell)."""
    per_cell: dict[int, dict[int, frozenset[str] | None]] = {}
    for row, codes in noqa.items():
        where = cell_of(row, blocks)
        if where is not None:
            per_cell.setdefault(where[0], {})[where[1]] = codes
    return dict(per_cell)


# --------------------------------------------------------------------------------------------------
# Analysis
# --------------------------------------------------------------------------------------------------


def _parse_error(cell: Cell, path: str) -> InputError | None:
    from kerasrnnlint.frontends import source

    try:
        source.analyze(cell_text(cell), path)
    except InputError as exc:
        return exc
    return None


def _describe(exc: InputError) -> str:
    where = f", line {exc.line}" if exc.line is not None else ""
    return f"{exc.message}{where}"


def analyze_notebook(notebook: Notebook, path: str) -> FrontendResult:
    """The recurrent layers of a parsed notebook, located by cell."""
    from kerasrnnlint.engine import may_hold_recurrent_layer_in_project
    from kerasrnnlint.frontends import source
    from kerasrnnlint.frontends.source.noqa import file_level

    if notebook.language is not None and not notebook.language.startswith("python"):
        return FrontendResult(notes=(f"not a Python notebook ({notebook.language}); skipped",))
    notes: list[str] = []
    cells = []
    for cell in notebook.cells:
        if python_body(cell):
            cells.append(cell)
        else:
            magic = cell.source.lstrip().splitlines()[0]
            notes.append(f"cell {cell.number} is not Python ({magic}); skipped")
    while True:
        text, blocks = join(cells)
        encoded = text.encode("utf-8", "surrogatepass")
        if not may_hold_recurrent_layer_in_project(path, encoded):
            return FrontendResult(notes=tuple(notes))
        if len(encoded) > MAX_SOURCE_BYTES:  # the limit of Python files, for the same parser
            raise InputError(too_large_to_parse(len(encoded)).replace("of Python", "of code"))
        try:
            result = source.analyze(text, path)
            break
        except InputError as exc:
            broken = next(((c, e) for c in cells if (e := _parse_error(c, path)) is not None), None)
            if broken is None:
                where = cell_of(exc.line, blocks) if exc.line is not None else None
                if where is None:
                    raise
                col = f":{exc.column}" if exc.column is not None else ""
                raise InputError(f"{exc.message} (cell {where[0]}, line {where[1]}{col})") from None
            cell, error = broken
            notes.append(f"cell {cell.number} does not parse ({_describe(error)}); skipped")
            cells = [c for c in cells if c is not cell]
    layers = tuple(remap_layer(layer, blocks) for layer in result.layers)
    return FrontendResult(
        layers=layers,
        noqa=file_level(result.noqa),  # a `# kerasrnnlint: noqa` in any cell: the whole notebook
        notes=tuple(notes) + result.notes,
        cell_noqa=split_noqa(result.noqa, blocks),
    )


def analyze_file(path: Path) -> FrontendResult:
    """The recurrent layers of the notebook at ``path``, located by cell (see the module doc)."""
    return analyze_notebook(read(Path(path)), str(path))


# --------------------------------------------------------------------------------------------------
# Writing cells back (autofix)
# --------------------------------------------------------------------------------------------------


def _source_lines(text: str) -> list[str]:
    """A cell source as nbformat stores it: lines with their endings, the last one without."""
    return _lines(text)


def _indent(text: str) -> int | None:
    match = re.search(r"\A\{\s*?\n([ \t]*)\"", text)
    if match is None:
        return None
    return len(match.group(1).expandtabs(1))


_WS = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_SCALAR = re.compile(r"[^,\]}\s]+")
JsonPath = tuple[str | int, ...]


def value_spans(raw: str, wanted: set[JsonPath]) -> dict[JsonPath, tuple[int, int]]:
    """Where the JSON values at ``wanted`` paths (keys and indexes) are written in ``raw``.

    A minimal scanner of well-formed JSON (``raw`` already parsed): the text between the values
    is never looked at again, so a fix can replace a cell's source and leave every other byte.
    """
    found: dict[JsonPath, tuple[int, int]] = {}

    def skip(pos: int) -> int:
        match = _WS.match(raw, pos)
        return match.end() if match else pos

    def value(pos: int, path: JsonPath) -> int:
        pos = skip(pos)
        start, opener = pos, raw[pos]
        if opener in "{[":
            closer = "}" if opener == "{" else "]"
            pos = skip(pos + 1)
            index = 0
            while raw[pos] != closer:
                key: str | int = index
                if opener == "{":
                    match = _STRING.match(raw, pos)
                    if match is None:
                        raise ValueError(f"expected a key at {pos}")
                    key = json.loads(match.group())
                    pos = skip(match.end())
                    if raw[pos] != ":":
                        raise ValueError(f"expected ':' at {pos}")
                    pos += 1
                pos = skip(value(pos, (*path, key)))
                index += 1
                if raw[pos] == ",":
                    pos = skip(pos + 1)
            end = pos + 1
        else:
            match = (_STRING if opener == '"' else _SCALAR).match(raw, pos)
            if match is None:
                raise ValueError(f"expected a value at {pos}")
            end = match.end()
        if path in wanted:
            found[path] = (start, end)
        return end

    value(0, ())
    return found


def _string_chars(raw: str, pos: int, out: list[tuple[int, int]]) -> int:
    """Append where each character of the JSON string at ``raw[pos]`` (its opening quote) is
    written, as ``(start, end)`` offsets; return the offset after the closing quote."""
    pos += 1
    while raw[pos] != '"':
        start = pos
        if raw[pos] == "\\":
            if raw[pos + 1] == "u":
                code = int(raw[pos + 2 : pos + 6], 16)
                pos += 6
                if 0xD800 <= code < 0xDC00 and raw[pos : pos + 2] == "\\u":
                    low = int(raw[pos + 2 : pos + 6], 16)
                    if 0xDC00 <= low < 0xE000:
                        pos += 6  # a surrogate pair is one character
            else:
                pos += 2
        else:
            pos += 1
        out.append((start, pos))
    return pos + 1


def source_chars(raw: str, notebook: Notebook) -> dict[int, tuple[tuple[int, int], ...]]:
    """Where each character of each code cell's source is written in the notebook's text ``raw``
    (decoded, without a BOM): cell number -> ``(start, end)`` offsets in ``raw``, one pair per
    character of ``Cell.source``. Reports use it to point at the line of the ``.ipynb`` file
    that holds a row of a cell. A cell whose source cannot be found is left out."""
    paths: dict[JsonPath, int] = {}
    for cell in notebook.cells:
        if cell.worksheet is None:
            paths[("cells", cell.index, "source")] = cell.number
        else:
            paths[("worksheets", cell.worksheet, "cells", cell.index, "input")] = cell.number
    try:
        spans = value_spans(raw, set(paths))
    except (ValueError, IndexError, RecursionError):
        return {}
    by_number = {cell.number: cell for cell in notebook.cells}
    found: dict[int, tuple[tuple[int, int], ...]] = {}
    for path, (start, end) in spans.items():
        number = paths[path]
        chars: list[tuple[int, int]] = []
        try:
            if raw[start] == '"':
                _string_chars(raw, start, chars)
            else:  # a list of strings
                for match in _STRING.finditer(raw, start, end):
                    _string_chars(raw, match.start(), chars)
        except (ValueError, IndexError):
            continue
        if len(chars) == len(by_number[number].source):
            found[number] = tuple(chars)
    return found


def _render(value: object, raw: str, start: int, indent: int | None) -> str:
    """``value`` as JSON written the way the file writes its values at ``start``."""
    text = json.dumps(value, indent=indent, ensure_ascii=raw.isascii())
    line_start = raw.rfind("\n", 0, start) + 1
    lead = re.match(r"[ \t]*", raw[line_start:start]).group()  # type: ignore[union-attr]
    text = text.replace("\n", "\n" + lead)
    return text.replace("\n", "\r\n") if "\r\n" in raw else text


def _spliced(raw: str, changes: Mapping[JsonPath, object]) -> str:
    """``raw`` with the values at ``changes``' paths replaced, everything else byte for byte."""
    spans = value_spans(raw, set(changes))
    indent = _indent(raw)
    out, last = [], 0
    for path, (start, end) in sorted(spans.items(), key=lambda item: item[1]):
        out += [raw[last:start], _render(changes[path], raw, start, indent)]
        last = end
    return "".join(out) + raw[last:]


def write_cells(path: Path, sources: Mapping[int, str]) -> None:
    """Write new sources for some code cells (by cell number), atomically.

    Only those cells' ``source`` values are rewritten in the file's text; every other byte
    (outputs, metadata, layout, escapes, line endings, a BOM) stays as it was.
    """

    from kerasrnnlint.files import open_regular

    path = Path(path)
    with open_regular(path) as handle:
        data = handle.read()
    bom = "\ufeff" if data.startswith(b"\xef\xbb\xbf") else ""
    raw = data.decode("utf-8-sig")
    doc = json.loads(raw)
    notebook = parse(data)
    by_number = {cell.number: cell for cell in notebook.cells}
    changes: dict[JsonPath, object] = {}
    for number, new in sources.items():
        cell = by_number.get(number)
        if cell is None:
            raise KeyError(f"cell {number} is not a code cell of {path}")
        where: JsonPath
        if cell.worksheet is None:
            where, key = ("cells", cell.index), "source"
        else:
            where, key = ("worksheets", cell.worksheet, "cells", cell.index), "input"
        target = doc
        for step in where:
            target = target[step]
        value = new if isinstance(target.get(key), str) else _source_lines(new)
        target[key] = value
        at: JsonPath = (*where, key)
        changes[at] = value
    try:
        text = _spliced(raw, changes)
        if json.loads(text) != doc:
            raise ValueError("the spliced text does not read back as the fixed notebook")
    except (ValueError, IndexError, RecursionError):
        text = json.dumps(doc, indent=_indent(raw), ensure_ascii=False)  # the layout is lost
        if raw.endswith("\n"):
            text += "\n"
    text = bom + text
    from kerasrnnlint.files import rewrite

    rewrite(path, text.encode("utf-8"))  # keeps links, owner and mode; refuses read-only files
