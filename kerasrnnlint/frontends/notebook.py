"""Jupyter notebooks: code cells linted like Python source, findings located by cell."""

from __future__ import annotations

from pathlib import Path

from kerasrnnlint.frontends.base import FrontendResult, InputError


def analyze_file(path: Path) -> FrontendResult:
    raise InputError("notebooks are not supported yet")
