"""File names (and other text from the scanned repository) made safe to print.

A file name can hold anything but ``/`` and NUL: terminal escape sequences (``\\x1b]...``), carriage
returns and newlines that would fake report lines (or GitHub workflow commands), bidirectional
controls, bytes that are not UTF-8 (read by Python as lone surrogates, which cannot even be
written to a UTF-8 stream). Every text format shows them escaped, as Python writes them in a
string literal: ``\\x1b``, ``\\n``, ``\\u202e``; a byte that is not UTF-8 as ``\\xff``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any


def printable(text: str, keep: str = "") -> str:
    """``text`` with every non-printable character escaped (printable text is unchanged), but
    those in ``keep`` (a format that escapes them its own way)."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char.isprintable() or char in keep:
            out.append(char)
        elif 0xDC80 <= ord(char) <= 0xDCFF:  # a byte that is not UTF-8 (surrogateescape)
            out.append(f"\\x{ord(char) - 0xDC00:02x}")
        else:
            out.append(repr(char)[1:-1])
    return "".join(out)


def display_path(path: str) -> str:
    """A file name as every text format prints it (see the module doc)."""
    return printable(path)


def escaped_items(items: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
    """The text reporter's ``(kind, payload)`` items with their text made printable: strings,
    code-frame triples, and a finding's path and message."""
    from kerasrnnlint.findings import Finding

    for kind, payload in items:
        if isinstance(payload, str):
            yield kind, printable(payload)
        elif isinstance(payload, tuple) and all(isinstance(part, str) for part in payload):
            yield kind, tuple(printable(part) for part in payload)
        elif isinstance(payload, Finding):
            location = payload.location
            safe = dataclasses.replace(location, path=display_path(location.path))
            yield (
                kind,
                dataclasses.replace(payload, location=safe, message=printable(payload.message)),
            )
        else:
            yield kind, payload
