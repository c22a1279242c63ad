"""IPython syntax that is not Python: ``!pip install ...``, ``%matplotlib inline``, ``%%time``.

:func:`mask` replaces such lines with a ``pass`` statement at the same indentation, so the text
keeps its line numbering and the rest of it can be parsed. The source frontend uses it when a
``.py`` file (often exported from a notebook) does not parse; the notebook frontend uses it on
every code cell.
"""

from __future__ import annotations

import re

# A line that starts (after indentation) with a shell escape or a line/cell magic, or assigns one
# (``files = !ls``, ``t = %timeit -o f()``).
_MAGIC = re.compile(r"^(?P<indent>[ \t]*)(?:[!%]|[A-Za-z_][\w.]*\s*=\s*[!%][A-Za-z%!])")
# A help request: ``obj?``, ``obj??``, ``?obj``.
_HELP = re.compile(r"^(?P<indent>[ \t]*)(?:\?+[A-Za-z_][\w.]*|[A-Za-z_][\w.]*\?+)\s*$")

PLACEHOLDER = "pass  # masked"
# Physical lines as Python counts them (``\r\n``, ``\r`` or ``\n``; not form feeds), with endings.
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def is_magic(line: str) -> bool:
    """True for an IPython magic, shell escape or help line (see the module docstring)."""
    return bool(_MAGIC.match(line) or _HELP.match(line))


def mask(text: str) -> tuple[str, tuple[int, ...]]:
    """The text with every IPython line replaced by ``pass  # masked``, and the masked line numbers.

    Line numbers are 1-based; the masked text has exactly as many lines as ``text``, and keeps its
    line endings, so every other line keeps its number and its columns.
    """
    out: list[str] = []
    masked: list[int] = []
    for number, line in enumerate(_LINES.findall(text), start=1):
        body = line.rstrip("\r\n")
        match = _MAGIC.match(body) or _HELP.match(body)
        if match is None:
            out.append(line)
            continue
        ending = line[len(body) :]
        out.append(f"{match.group('indent')}{PLACEHOLDER}{ending}")
        masked.append(number)
    return "".join(out), tuple(masked)
