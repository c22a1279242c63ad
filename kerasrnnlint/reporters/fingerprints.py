"""``partialFingerprints.primaryLocationLineHash``, computed as GitHub's own uploader computes it.

GitHub code scanning tracks an alert across runs by this fingerprint only. ``upload-sarif`` of
github/codeql-action adds it when a result lacks it (``src/fingerprints.ts``); an upload through the
REST API does not, so SARIF written without it gets new alerts on every run. This is a port of that
algorithm, checked against the expected values of its own tests (``tests/test_sarif.py``):

- the file is read as UTF-8 (invalid bytes become U+FFFD) and taken as UTF-16 code units, as
  JavaScript's ``charCodeAt`` sees them;
- spaces and tabs are skipped, ``\\r\\n`` and ``\\r`` become ``\\n``;
- a line's hash is a polynomial rolling hash (base 37, modulo 2**64) of the 100 characters that
  follow the start of the line (the end of the file counts as the character 65535, then zeros);
- the hash is written in hexadecimal without leading zeros, followed by ``:N``, where ``N`` counts
  the lines before it (and itself) with the same hash.

A result whose region starts on line ``L`` gets the hash of line ``L`` of its file.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from pathlib import Path

BLOCK_SIZE = 100
MOD = 37
MASK = (1 << 64) - 1
EOF = 65535
FIRST_MOD = pow(MOD, BLOCK_SIZE, 1 << 64)
_SKIPPED = re.compile(r"[ \t]")
_NEWLINES = re.compile(r"\r\n|\r")
READ_CHUNK = 1 << 16


def _units(text: str) -> list[int]:
    """The characters the hash reads: UTF-16 code units, blanks dropped, newlines normalised."""
    text = _SKIPPED.sub("", _NEWLINES.sub("\n", text))
    data = text.encode("utf-16-le", "surrogatepass")
    return [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]


def line_hashes(text: str, upto: int | None = None) -> list[str]:
    """The ``primaryLocationLineHash`` of every line of ``text`` (index 0 is line 1), or of the
    first ``upto`` lines. A text ending with a newline has one more (empty) line, as in GitHub's."""
    units = _units(text)
    starts = [0]
    starts += [i + 1 for i, unit in enumerate(units) if unit == 10]  # the EOF unit starts a line
    if upto is not None:
        starts = starts[:upto]
    window = [*units, EOF, *([0] * BLOCK_SIZE)]
    counts: dict[str, int] = {}
    out = []
    for start in starts:
        value = 0
        for unit in window[start : start + BLOCK_SIZE]:
            value = (value * MOD + unit) & MASK
        digest = format(value, "x")
        counts[digest] = counts.get(digest, 0) + 1
        out.append(f"{digest}:{counts[digest]}")
    return out


def _read_lines(path: Path, lines: int) -> str | None:
    """Enough of the file's text to hash its first ``lines`` lines (None when unreadable).

    A large binary file (a saved model) is read only as far as needed."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    parts: list[str] = []
    seen_lines = 0  # line breaks read (\r\n counts once)
    tail = 0  # non-blank characters read after the start of line ``lines``
    after_cr = False
    try:
        with path.open("rb") as handle:
            while True:
                chunk = handle.read(READ_CHUNK)
                text = decoder.decode(chunk, final=not chunk)
                parts.append(text)
                if not chunk:
                    return "".join(parts)
                if seen_lines < lines:
                    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
                    seen_lines += breaks - (1 if after_cr and text.startswith("\n") else 0)
                else:
                    tail += len(_SKIPPED.sub("", text))
                after_cr = text.endswith("\r") or (after_cr and not text)
                if seen_lines >= lines and tail > 2 * BLOCK_SIZE:
                    return "".join(parts)
    except OSError:
        return None


def file_line_hashes(path: Path, lines: Iterable[int]) -> dict[int, str]:
    """The hashes of some lines (1-based) of the file at ``path``; lines it lacks are left out."""
    wanted = sorted(set(lines))
    if not wanted:
        return {}
    text = _read_lines(path, wanted[-1])
    if text is None:
        return {}
    hashes = line_hashes(text, wanted[-1])
    return {line: hashes[line - 1] for line in wanted if 1 <= line <= len(hashes)}
