"""``--output-format concise``: one line per finding (``path:line:col: CODE [severity] message``,
as in the text report), no code frame, then the summary; as ruff's ``concise``. Notes are
``path: note: …`` lines; inputs that could not be linted go to stderr (``path: error: …``), as
with every format but ``text``. ``--quiet`` keeps only the finding lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from kerasrnnlint.engine import FileResult
from kerasrnnlint.reporters import ReportContext
from kerasrnnlint.reporters.text import header, summary_line


def report(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    for result in results:
        if not ctx.quiet:
            for note in result.notes:
                out.write(f"{result.path}: note: {note}\n")
        for finding in result.findings:
            out.write(header(finding) + "\n")
    if not ctx.quiet:
        out.write(summary_line(results) + "\n")
