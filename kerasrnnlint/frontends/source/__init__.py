"""The libcst source frontend. Never imports or runs the scanned code.

:func:`analyze` parses the text once with libcst, indexes scopes and calls in one visitor pass
(:mod:`.scopes`), resolves imports, aliases and values on demand (:mod:`.resolver`), finds the
recurrent layer calls (:mod:`.analyzer`), lets :mod:`.context` add the training context, and reads
the ``# noqa`` comments (:mod:`.noqa`).
"""

from __future__ import annotations

import re

import libcst as cst

from kerasrnnlint.frontends import ipython
from kerasrnnlint.frontends.base import FrontendResult, InputError
from kerasrnnlint.frontends.source.analyzer import find_layers
from kerasrnnlint.frontends.source.context import attach_context
from kerasrnnlint.frontends.source.noqa import noqa_map
from kerasrnnlint.frontends.source.resolver import Resolver
from kerasrnnlint.frontends.source.scopes import index_module

__all__ = ["analyze", "parse"]

_ERROR_AT = re.compile(r"error at (\d+):(\d+)")

# Python 2 constructs that explain a parse error on their line.
_PY2_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\s*print\s+[^\s(=.,)\]]"), "Python 2 print statement?"),
    (re.compile(r"^\s*exec\s+[\"'\w]"), "Python 2 exec statement?"),
    (re.compile(r"^\s*except\s+[\w.]+\s*,\s*\w+\s*:"), "Python 2 `except X, e:`?"),
    (re.compile(r"^\s*raise\s+[\w.]+\s*,"), "Python 2 raise statement?"),
    (re.compile(r"<>"), "Python 2 `<>` operator?"),
    (re.compile(r"`"), "Python 2 backquotes?"),
    (re.compile(r"\b\d+[lL]\b"), "Python 2 long literal?"),
)


def _describe(exc: cst.ParserSyntaxError, text: str) -> InputError:
    message = exc.message
    match = _ERROR_AT.search(message)
    line, column = (int(match[1]), int(match[2])) if match else (exc.raw_line, exc.raw_column + 1)
    lines = text.splitlines()
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    for pattern, hint in _PY2_HINTS:
        if pattern.search(source_line):
            return InputError(f"cannot parse: {hint}", line, column)
    detail = message.split("\n", 1)[0]
    detail = re.sub(r"^(parser error: |tokenizer error: )?(error at \d+:\d+: )?", "", detail)
    if len(detail) > 100:
        detail = detail[:99] + "…"
    return InputError(f"cannot parse: {detail or 'invalid syntax'}", line, column)


def parse(text: str) -> cst.Module:
    """Parse Python source with libcst; :class:`InputError` (with the line) when it does not."""
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise _describe(exc, text) from None
    except RecursionError:
        raise InputError("cannot parse: nested too deeply") from None
    except (ValueError, TypeError, MemoryError) as exc:
        raise InputError(f"cannot parse: {exc}") from None


def _parse_or_mask(text: str) -> tuple[cst.Module, str, tuple[str, ...]]:
    try:
        return parse(text), text, ()
    except InputError:
        masked, lines = ipython.mask(text)
        if not lines:
            raise
    module = parse(masked)
    shown = ", ".join(str(n) for n in lines[:10]) + (", …" if len(lines) > 10 else "")
    note = f"masked {len(lines)} IPython/shell line(s) (lines {shown}) so the rest could be parsed"
    return module, masked, (note,)


def analyze(text: str, path: str) -> FrontendResult:
    """The recurrent layers of one Python source text, and its ``# noqa`` comments.

    Raises :class:`InputError` when the text does not parse (after masking IPython lines).
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    module, text, notes = _parse_or_mask(text)
    try:
        resolver = Resolver(index_module(module), path)
        found = find_layers(resolver)
    except RecursionError:
        raise InputError("cannot analyze: nested too deeply") from None
    layers = attach_context(module, resolver, found)
    return FrontendResult(layers=tuple(layers), noqa=noqa_map(text), notes=notes)
