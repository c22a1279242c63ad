"""``kerasrnnlint server``: a language server over stdio (pygls)."""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] = ()) -> int:
    raise SystemExit("kerasrnnlint server is not implemented yet")
