"""``--output-format grouped``: findings grouped by file, as ruff's ``grouped``::

    src/model.py:
      3:25 KRL001 [high] LSTM uses unbounded activation 'relu' …
      9:12 KRL003 [medium] …

    Found 2 findings (1 high, 1 medium) in 1 file.

Inside a notebook the position is ``cell 4:12:5``, inside a saved model the layer path. The fix
marks (``[*]``, ``[-]``) and the fixable summary are the text report's; notes and inputs that could
not be linted go to stderr, as with every format. ``--quiet`` drops the summary lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Finding
from kerasrnnlint.reporters import ReportContext
from kerasrnnlint.reporters.text import fix_mark, fixable_line, summary_line


def position(finding: Finding) -> str:
    loc = finding.location
    if loc.layer_path:
        return " › ".join(loc.layer_path)
    if loc.cell is not None:
        return f"cell {loc.cell}:{loc.line}:{loc.column}"
    return f"{loc.line}:{loc.column}"


def report(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    for result in results:
        lines = [line(f, ctx.unsafe_fixes) for f in result.findings]
        if lines:
            out.write(f"{result.path}:\n" + "\n".join(lines) + "\n\n")
    if not ctx.quiet:
        out.write(summary_line(results) + "\n")
        fixable = fixable_line(results, ctx.unsafe_fixes)
        if fixable is not None:
            out.write(fixable + "\n")


def line(finding: Finding, unsafe: bool) -> str:
    mark = fix_mark(finding, unsafe)
    code = f"{finding.code} {mark}" if mark else finding.code
    return f"  {position(finding)} {code} [{finding.severity}] {finding.message}"
