"""The rule catalogue. One rule, one module; codes are stable (see DESIGN.md)."""

from __future__ import annotations

from kerasrnnlint.rules import (
    krl001_unbounded_activation,
    krl002_unbounded_recurrent_activation,
    krl003_recurrent_dropout_high_lr,
    krl004_unnormalized_unbounded_input,
    krl101_cudnn_fallback,
    krl102_cudnn_forced_ineligible,
)
from kerasrnnlint.rules._rule import Rule, RuleOptions

ALL_RULES: tuple[Rule, ...] = (
    krl001_unbounded_activation.RULE,
    krl002_unbounded_recurrent_activation.RULE,
    krl003_recurrent_dropout_high_lr.RULE,
    krl004_unnormalized_unbounded_input.RULE,
    krl101_cudnn_fallback.RULE,
    krl102_cudnn_forced_ineligible.RULE,
)

BY_CODE: dict[str, Rule] = {rule.code: rule for rule in ALL_RULES}
BY_NAME: dict[str, Rule] = {rule.name: rule for rule in ALL_RULES}


def lookup(code_or_name: str) -> Rule | None:
    """A rule by code (``KRL001``, any case) or name (``unbounded-activation``)."""
    return BY_CODE.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())


__all__ = ["ALL_RULES", "BY_CODE", "BY_NAME", "Rule", "RuleOptions", "lookup"]
