"""Settings of a run: ``[tool.kerasrnnlint]`` in the nearest pyproject.toml, then flags."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import PurePath

from kerasrnnlint.findings import Severity
from kerasrnnlint.rules import ALL_RULES, RuleOptions

DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".env",
    "env",
    ".tox",
    ".nox",
    "build",
    "dist",
    "__pycache__",
    "node_modules",
    "site-packages",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
)


@dataclass(frozen=True)
class Settings:
    select: frozenset[str] = field(default_factory=lambda: frozenset(r.code for r in ALL_RULES))
    ignore: frozenset[str] = frozenset()
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDES
    extend_exclude: tuple[str, ...] = ()
    fail_on: Severity = Severity.LOW
    rule_options: RuleOptions = field(default_factory=RuleOptions)

    def codes_for(self, path: str) -> frozenset[str]:
        """The rule codes that apply to ``path`` (select minus ignore minus per-file-ignores)."""
        codes = set(self.select) - set(self.ignore)
        pure = PurePath(path)
        for pattern, ignored in self.per_file_ignores:
            if pure.match(pattern) or fnmatch.fnmatch(path, pattern):
                codes -= ignored
        return frozenset(codes)
