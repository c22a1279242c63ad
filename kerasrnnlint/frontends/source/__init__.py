"""The libcst source frontend. Never imports or runs the scanned code."""

from __future__ import annotations

from kerasrnnlint.frontends.base import FrontendResult, InputError


def analyze(text: str, path: str) -> FrontendResult:
    """The recurrent layers of one Python source text, and its ``# noqa`` comments.

    Raises :class:`InputError` when the text does not parse.
    """
    raise InputError("source frontend not implemented yet")
