"""``--output-format json-lines``: one finding per line, the objects of ``--output-format json``
(``Finding.to_json()``), as ruff's ``json-lines``. Streams well into ``jq`` and log collectors.

Inputs that could not be linted are not findings; the command line prints them to stderr.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from kerasrnnlint.engine import FileResult
from kerasrnnlint.reporters import ReportContext


def report(results: Sequence[FileResult], ctx: ReportContext, out: TextIO) -> None:
    for result in results:
        for finding in result.findings:
            out.write(json.dumps(finding.to_json(), ensure_ascii=False) + "\n")
