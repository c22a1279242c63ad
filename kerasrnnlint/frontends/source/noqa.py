"""``# noqa`` comments, ruff/flake8 syntax: ``# noqa`` (every code), ``# noqa: KRL001, KRL002``.

Only comments count: a ``# noqa`` inside a string is text, not a suppression. ``noqa`` is matched
case-insensitively and codes are upper-cased; a comment may hold other text before it
(``# type: ignore  # noqa: KRL001``).

File-level suppression as ruff's ``# ruff: noqa``: a comment ``# kerasrnnlint: noqa`` anywhere in
the file suppresses every finding of the file, ``# kerasrnnlint: noqa: KRL101, KRL004`` those
codes. The map holds it under line :data:`FILE_LEVEL` (0, no line of the file).
"""

from __future__ import annotations

import io
import re
import tokenize

from kerasrnnlint.frontends.base import NoqaMap

NOQA = re.compile(
    r"#\s*noqa(?::\s?(?P<codes>[A-Z]+[0-9]+(?:(?:\s*,\s*|\s+)[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)
FILE_NOQA = re.compile(
    r"#\s*kerasrnnlint\s*:\s*noqa(?::\s?(?P<codes>[A-Z]+[0-9]+(?:(?:\s*,\s*|\s+)[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)
FILE_LEVEL = 0  # the key of a file-level directive in a NoqaMap
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)
_LINES = re.compile(r"\r\n?|\n")  # Python's line endings (not form feeds)


def parse_comment(comment: str) -> tuple[bool, frozenset[str] | None]:
    """Whether a comment is a noqa directive, and its codes (None: all codes)."""
    return _parse(NOQA, comment)


def parse_file_comment(comment: str) -> tuple[bool, frozenset[str] | None]:
    """Whether a comment is a file-level ``# kerasrnnlint: noqa`` directive, and its codes."""
    return _parse(FILE_NOQA, comment)


def _parse(pattern: re.Pattern[str], comment: str) -> tuple[bool, frozenset[str] | None]:
    match = pattern.search(comment)
    if match is None:
        return False, None
    codes = match.group("codes")
    if not codes:
        return True, None
    return True, frozenset(code.upper() for code in _CODE.findall(codes))


def _comments(text: str) -> list[tuple[int, str]]:
    """(line, comment text) for every comment; a line scan when the text does not tokenize."""
    try:
        return [
            (token.start[0], token.string)
            for token in tokenize.generate_tokens(io.StringIO(text, newline=None).readline)
            if token.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, SyntaxError, ValueError):
        found = []
        for number, line in enumerate(_LINES.split(text), start=1):
            index = line.find("#")
            if index >= 0:
                found.append((number, line[index:]))
        return found


def noqa_map(text: str) -> NoqaMap:
    """Line → None (bare ``# noqa``) or the codes of ``# noqa: CODE,...`` for the whole text;
    :data:`FILE_LEVEL` → the same for ``# kerasrnnlint: noqa`` directives."""
    if "noqa" not in text.lower():
        return {}
    result: dict[int, frozenset[str] | None] = {}
    for line, comment in _comments(text):
        for key, parse in ((line, parse_comment), (FILE_LEVEL, parse_file_comment)):
            is_noqa, codes = parse(comment)
            if not is_noqa:
                continue
            previous = result.get(key, frozenset())
            if codes is None or previous is None:
                result[key] = None
            else:
                result[key] = previous | codes
    return result


def file_level(noqa: NoqaMap) -> NoqaMap:
    """Only the file-level directive of a map (a notebook's joined cells share it)."""
    return {FILE_LEVEL: noqa[FILE_LEVEL]} if FILE_LEVEL in noqa else {}
