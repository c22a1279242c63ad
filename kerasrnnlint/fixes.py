"""Autofix: ``--fix``, ``--unsafe-fixes``, ``--diff`` and ``--add-noqa`` as libcst edits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kerasrnnlint.config import Settings
from kerasrnnlint.engine import FileResult


@dataclass(frozen=True)
class FixOptions:
    unsafe: bool = False  # also apply fixes that change what the model computes
    diff_only: bool = False  # print a unified diff, write nothing
    add_noqa: bool = False  # insert a suppression comment on every current finding instead


@dataclass(frozen=True)
class FixOutcome:
    results: tuple[FileResult, ...]  # what remains after fixing (re-linted)
    diff: str = ""
    fixed: int = 0
    files_written: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()


def apply_fixes(
    results: Sequence[FileResult], settings: Settings, options: FixOptions
) -> FixOutcome:
    return FixOutcome(results=tuple(results), messages=("autofix is not implemented yet",))
