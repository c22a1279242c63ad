"""The JSON reporter: an array of ``Finding.to_json()`` objects (the schema is in the README),
each with the findings folded into it under ``related``.

Inputs that could not be linted and notes are not findings: the command line prints them to
stderr, so that stdout is a pure JSON array.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from kerasrnnlint.engine import FileResult
from kerasrnnlint.reporters import ReportContext


def report(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    data = [finding.to_json() for result in results for finding in result.findings]
    json.dump(data, out, indent=2, ensure_ascii=False)
    out.write("\n")
