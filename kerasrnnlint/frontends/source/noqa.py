"""``# noqa`` comments, ruff/flake8 syntax: ``# noqa`` (every code), ``# noqa: KRL001, KRL002``.

Only comments count: a ``# noqa`` inside a string is text, not a suppression. ``noqa`` is matched
case-insensitively and codes are upper-cased; a comment may hold other text before it
(``# type: ignore  # noqa: KRL001``).
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
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)
_LINES = re.compile(r"\r\n?|\n")  # Python's line endings (not form feeds)


def parse_comment(comment: str) -> tuple[bool, frozenset[str] | None]:
    """Whether a comment is a noqa directive, and its codes (None: all codes)."""
    match = NOQA.search(comment)
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
    """Line → None (bare ``# noqa``) or the codes of ``# noqa: CODE,...`` for the whole text."""
    if "noqa" not in text.lower():
        return {}
    result: dict[int, frozenset[str] | None] = {}
    for line, comment in _comments(text):
        is_noqa, codes = parse_comment(comment)
        if not is_noqa:
            continue
        previous = result.get(line, frozenset())
        if codes is None or previous is None:
            result[line] = None
        else:
            result[line] = previous | codes
    return result
