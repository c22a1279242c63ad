"""Reporters only format findings. One module per ``--output-format``.

Each reporter module has ``report(results, ctx, out) -> None`` writing to ``out``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from kerasrnnlint.engine import FileResult
from kerasrnnlint.findings import Finding, Severity


@dataclass(frozen=True)
class ReportContext:
    color: bool = False  # only on a terminal
    show_factors: bool = False
    show_unknown: bool = False
    statistics: bool = False
    quiet: bool = False
    show_source: bool = True  # code frames in text output
    # Source text of inputs that are not on disk (stdin, editor buffers), by path, for code frames.
    sources: Mapping[str, str] = field(default_factory=dict)
    unsafe_fixes: bool = False  # `[*]` also for unsafe fixes (they are applied)
    show_fixes: bool = False  # list what --fix did (or would do)
    fixed: tuple[Finding, ...] | None = None  # what --fix fixed (None: --fix did not run)
    # Machine-read reports name files relative to this directory (kerasrnnlint.roots; None: the
    # working directory).
    project_root: str | None = None
    # --fail-on: JUnit makes findings at or above it failures, the rest passing cases.
    fail_on: Severity = Severity.LOW


Reporter = Callable[[Sequence[FileResult], ReportContext, TextIO], None]


def get(name: str) -> Reporter:
    """The reporter for an ``--output-format`` name (imported lazily)."""
    import importlib

    if name not in FORMATS:
        raise KeyError(name)
    module = importlib.import_module(f"kerasrnnlint.reporters.{FORMATS[name]}")
    report: Reporter = module.report
    return report


# --output-format name -> module under kerasrnnlint.reporters
FORMATS: dict[str, str] = {
    "text": "text",
    "json": "json_reporter",
    "sarif": "sarif",
    "github": "github",
    "junit": "junit",
    "json-lines": "json_lines",
    "gitlab": "gitlab",
    "rdjson": "rdjson",
    "pylint": "pylint",
    "azure": "azure",
    "concise": "concise",
    "grouped": "grouped",
}
