"""``--output-format concise``: one line per finding (``path:line:col: CODE [*] [severity]
message``, as in the text report), no code frame, then the summary; as ruff's ``concise``. It is the
text report without code frames: notes and inputs that could not be linted go to stderr, as with
every format. ``--quiet`` keeps only the finding lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TextIO

from kerasrnnlint.engine import FileResult
from kerasrnnlint.reporters import ReportContext, text


def report(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    text.report(results, replace(ctx, show_source=False), out)
