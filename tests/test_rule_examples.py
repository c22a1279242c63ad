"""Every rule's own examples (``Rule.valid`` / ``Rule.invalid``), linted like any source file.

A valid example must not get a finding of that rule; an invalid one must get at least one. The
examples are what ``kerasrnnlint explain`` shows, so this keeps the documentation honest.
"""

from __future__ import annotations

import pytest

from kerasrnnlint.engine import lint_source
from kerasrnnlint.rules import ALL_RULES, Rule

VALID = [(rule, i, text) for rule in ALL_RULES for i, text in enumerate(rule.valid)]
INVALID = [(rule, i, text) for rule in ALL_RULES for i, text in enumerate(rule.invalid)]


def _codes(text: str) -> list[str]:
    result = lint_source(text, "example.py")
    assert result.error is None, result.error
    return [finding.code for finding in result.findings]


def test_every_rule_has_examples() -> None:
    for rule in ALL_RULES:
        assert rule.valid and rule.invalid, f"{rule.code} needs valid and invalid examples"


@pytest.mark.parametrize(
    ("rule", "index", "text"), VALID, ids=[f"{r.code}-valid-{i}" for r, i, _ in VALID]
)
def test_valid_example_is_silent(rule: Rule, index: int, text: str) -> None:
    assert rule.code not in _codes(text)


@pytest.mark.parametrize(
    ("rule", "index", "text"), INVALID, ids=[f"{r.code}-invalid-{i}" for r, i, _ in INVALID]
)
def test_invalid_example_fires(rule: Rule, index: int, text: str) -> None:
    assert rule.code in _codes(text)


def test_every_fold_is_documented_on_both_rules() -> None:
    """What ``rule CODE`` prints says which findings fold into which (one finding per cause)."""
    from kerasrnnlint.folding import FOLDS
    from kerasrnnlint.rules import BY_CODE

    for fold in FOLDS:
        assert fold.consequence in BY_CODE[fold.root].doc, (fold.root, fold.consequence)
        assert fold.root in BY_CODE[fold.consequence].doc, (fold.consequence, fold.root)
        assert "fold" in BY_CODE[fold.root].doc and "fold" in BY_CODE[fold.consequence].doc
