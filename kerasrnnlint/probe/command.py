"""``kerasrnnlint probe FILE:LINE``: probe the recurrent layer at a line."""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str]) -> int:
    raise SystemExit("kerasrnnlint probe is not implemented yet")
